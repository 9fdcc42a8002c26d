"""Redis fixtures: the session's Redis endpoint, a client flushed before each test, and a client factory.

`--cloudtwin-redis-url` (ini `cloudtwin_redis_url`) points them at another server instead, e.g. a
real redis-server or an ElastiCache endpoint reached through a tunnel, to run the same tests there.

Isolation: the session's own emulator serves one pytest process (each pytest-xdist worker starts
its own), so `redis_client` flushes every database. A server given by URL may be shared by the
workers of a run (and by other runs), so there each worker keeps to a database of its own (worker
gwN uses database B+N, where B is the URL's database, default 0) and `redis_client` flushes only that.
"""

from __future__ import annotations

import os
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
    db: int = 0
    shared: bool = False
    """A server others may use too (given by URL): flush only `db`, never every database."""

    @property
    def url(self) -> str:
        scheme = "rediss" if self.tls else "redis"
        auth = f":{urllib.parse.quote(self.password, safe='')}@" if self.password else ""
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{scheme}://{auth}{host}:{self.port}" + (f"/{self.db}" if self.db else "")

    def client_kwargs(self) -> dict[str, Any]:
        kwargs: dict[str, Any] = {"host": self.host, "port": self.port, "password": self.password, "db": self.db}
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
        named_db = parsed.path.strip("/")
        if named_db and not named_db.isdigit():
            raise pytest.UsageError(f"--cloudtwin-redis-url {external!r}: the path names a database, not {named_db!r}")
        return RedisEndpoint(
            host=parsed.hostname or "127.0.0.1",
            port=parsed.port or 6379,
            password=urllib.parse.unquote(parsed.password) if parsed.password else None,
            tls=parsed.scheme == "rediss",
            db=int(named_db or 0) + xdist_worker_number(),
            shared=True,
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
def redis_client(redis_endpoint: RedisEndpoint, redis_client_factory: Callable[..., Any]) -> Any:
    """A redis.Redis on an empty database: the emulator's every database is flushed before the test;
    on a server given by --cloudtwin-redis-url, only this worker's database."""
    import redis

    client = redis_client_factory()
    if not redis_endpoint.shared:
        client.flushall()
        return client
    try:
        client.flushdb()
    except redis.ResponseError as exc:
        pytest.fail(
            f"Redis at {redis_endpoint.host}:{redis_endpoint.port} has no database {redis_endpoint.db} for this "
            f"pytest-xdist worker ({exc}); run at most as many workers as it has databases (16 by default)",
            pytrace=False,
        )
    return client


def xdist_worker_number() -> int:
    """N of pytest-xdist worker gwN; 0 outside xdist."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    return int(worker[2:]) if worker.startswith("gw") and worker[2:].isdigit() else 0
