"""Fixtures for the Redis tests: the twin, extra twins with their own settings, a real redis-server."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator
from types import SimpleNamespace

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from cloudtwin.clock import clock
from cloudtwin.config import Settings
from cloudtwin.redis.child_server import RedisServerService
from cloudtwin.redis.service import RedisService, redis_service
from tests.redis_servers import free_port, redis_servers, wait_until


@pytest.fixture(scope="session")
def real_redis_port(tmp_path_factory: pytest.TempPathFactory) -> Iterator[int]:
    """A real redis-server for differential tests, or a skip saying why there is none."""
    port = free_port()
    with redis_servers([["--port", str(port)]], tmp_path_factory.mktemp("redis-server")):
        wait_until(redis.Redis(port=port).ping, "redis-server did not answer within 10 s", seconds=10)
        yield port


@pytest.fixture
def real_redis(real_redis_port: int) -> Iterator[redis.Redis]:
    client = redis.Redis(port=real_redis_port, protocol=2, retry=Retry(NoBackoff(), 0))
    client.flushall()
    client.config_set("notify-keyspace-events", "")
    yield client
    client.close()


@pytest.fixture
def twin(redis_client_factory) -> redis.Redis:
    client = redis_client_factory(protocol=2, retry=Retry(NoBackoff(), 0))
    client.flushall()
    client.config_set("notify-keyspace-events", "")
    client.config_set("maxmemory", "0")
    return client


@pytest.fixture
def both(twin: redis.Redis, real_redis: redis.Redis) -> tuple[redis.Redis, redis.Redis]:
    return twin, real_redis


@pytest.fixture
def twin_port(redis_endpoint) -> int:
    return redis_endpoint.port


@pytest.fixture
def start_twin() -> Iterator[Callable[..., RedisService | RedisServerService]]:
    """Start extra Redis twins with their own settings (password, maxmemory, TLS); stopped after the test."""
    started: list[RedisService | RedisServerService] = []

    def start(**settings) -> RedisService | RedisServerService:
        service = redis_service(SimpleNamespace(settings=Settings(redis_port=0, **settings), clock=clock))
        service.start()
        started.append(service)
        return service

    yield start
    for service in started:
        service.stop()


def outcome(call: Callable[[], object]) -> object:
    """A reply, or the error's type and message, so replies and errors compare alike."""
    try:
        return call()
    except redis.RedisError as exc:
        return ("error", str(exc))


def raw(client: redis.Redis, *args: object) -> object:
    """The reply as the protocol parser reads it, without redis-py's callbacks (some reshape or choke on it)."""
    connection = client.connection_pool.get_connection()
    try:
        connection.send_command(*args)
        return connection.read_response()
    except redis.ResponseError as exc:
        return ("error", str(exc))
    finally:
        client.connection_pool.release(connection)


@pytest.fixture
def certificate(tmp_path):
    if shutil.which("openssl") is None:
        pytest.skip("openssl is not installed: cannot make a test certificate")
    cert, key = tmp_path / "cert.pem", tmp_path / "key.pem"
    subprocess.run(
        [
            "openssl",
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-keyout",
            str(key),
            "-out",
            str(cert),
            "-days",
            "1",
            "-subj",
            "/CN=127.0.0.1",
        ],
        check=True,
        capture_output=True,
    )
    return str(cert), str(key)
