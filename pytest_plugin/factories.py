"""Fixture factories, in the manner of pytest-redis: emulators of their own, and clients of them.

```python
from cloudtwin.pytest_plugin import factories

strict_twin = factories.cloudtwin_proc(redis_password="s3cret", region="eu-west-1")
strict_sqs = factories.sqs_client("strict_twin")
strict_redis = factories.redis_client("strict_twin")
```
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from cloudtwin.process import Emulator


def cloudtwin_proc(scope: str = "session", **settings) -> Callable:
    """A fixture: an emulator with these settings over the session's (free ports, Kafka off unless given)."""

    @pytest.fixture(scope=scope)
    def proc(request: pytest.FixtureRequest):
        from cloudtwin.pytest_plugin.plugin import emulator_settings

        with Emulator(emulator_settings(request.config, **settings)) as emulator:
            yield emulator

    return proc


def sqs_client(proc_fixture_name: str, scope: str = "function") -> Callable:
    """A fixture: a boto3 SQS client of the emulator that fixture `proc_fixture_name` started."""

    @pytest.fixture(scope=scope)
    def client(request: pytest.FixtureRequest):
        import boto3

        emulator: Emulator = request.getfixturevalue(proc_fixture_name)
        sqs = boto3.client(
            "sqs",
            endpoint_url=emulator.aws_endpoint,
            region_name=emulator.settings.region,
            aws_access_key_id="test",
            aws_secret_access_key="test",
        )
        yield sqs
        sqs.close()

    return client


def redis_client(proc_fixture_name: str, scope: str = "function", **client_kwargs) -> Callable:
    """A fixture: a redis.Redis of the emulator that fixture `proc_fixture_name` started, flushed first."""

    @pytest.fixture(scope=scope)
    def client(request: pytest.FixtureRequest):
        import redis

        emulator: Emulator = request.getfixturevalue(proc_fixture_name)
        service = emulator.services.get("redis")
        if service is None or service.port is None:
            pytest.skip(f"Redis is not running in {proc_fixture_name}: {emulator.failures.get('redis', 'turned off')}")
        password = emulator.settings.redis_password or None
        kwargs = {"host": service.server.host, "port": service.port, "password": password}
        if service.tls:
            kwargs.update(ssl=True, ssl_cert_reqs=None)
        connection = redis.Redis(**{**kwargs, **client_kwargs})
        connection.flushall()
        yield connection
        connection.close()

    return client
