"""Redis fixtures: the session's Redis endpoint, a client flushed before each test, and a client factory.

`--cloudtwin-redis-url` (ini `cloudtwin_redis_url`) points them at another server instead, e.g. a
real redis-server or an ElastiCache endpoint reached through a tunnel, to run the same tests there.
"""

from __future__ import annotations

import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import pytest


@dataclass(frozen=True)
class RedisEndpoint:
    host: str
    port: int
    password: str | None = None
    tls: bool = False

    @property
    def url(self) -> str:
        scheme = "rediss" if self.tls else "redis"
        auth = f":{urllib.parse.quote(self.password, safe='')}@" if self.password else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{auth}{host}:{self.port}"

    def client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"host": self.host, "port": self.port, "password": self.password}
        if self.tls:
            kwargs.update(ssl=True, ssl_cert_reqs=None)
        return kwargs


def _option(config: pytest.Config, name: str) -> str:
    value = config.getoption(f"cloudtwin_{name}")
    return value if value is not None else config.getini(f"cloudtwin_{name}")


@pytest.fixture(scope="session")
def redis_endpoint(request: pytest.FixtureRequest) -> RedisEndpoint:
    """Where Redis answers: the session emulator's endpoint, or `--cloudtwin-redis-url`."""
    external = _option(request.config, "redis_url")
    if external:
        parsed = urllib.parse.urlsplit(external)
        return RedisEndpoint(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 6379,
            password=urllib.parse.unquote(parsed.password) if parsed.password else None,
            tls=parsed.scheme == "rediss",
        )
    emulator = request.getfixturevalue("cloudtwin")
    service = emulator.services.get("redis")
    if service is None or service.port is None:
        pytest.skip(f"Redis is not running in the emulator: {emulator.failures.get('redis', 'turned off')}")
    settings = emulator.settings
    return RedisEndpoint(
        host=service.host, port=service.port, password=settings.redis_password or None, tls=service.tls
    )


@pytest.fixture
def redis_client_factory(redis_endpoint: RedisEndpoint) -> Iterator[Callable[..., Any]]:
    """Make redis.Redis clients for the endpoint (keyword arguments override the defaults); closed after the test."""
    import redis

    clients: list[redis.Redis] = []

    def make(**overrides: Any) -> redis.Redis:
        client = redis.Redis(**{**redis_endpoint.client_kwargs(), **overrides})
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


@pytest.fixture
def redis_client(redis_client_factory: Callable[..., Any]) -> Any:
    """A redis.Redis on an empty server: every database is flushed before the test."""
    client = redis_client_factory()
    client.flushall()
    return client
