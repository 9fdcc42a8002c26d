"""Redis targets: the in-process twin, and a real Redis (--contract-redis-url, else a redis-server from PATH).

The suite flushes every database of each target before each property: aim it at a scratch server.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

import pytest
import redis

from cloudtwin.contract_tests.plugin import Target, contract_option, register_target
from cloudtwin.contract_tests.target_time import TargetTime

REDIS_SERVER_START_SECONDS = 10.0


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "redis_target" in metafunc.fixturenames:
        real = "real" if contract_option(metafunc.config, "redis_url") else "redis-server"
        metafunc.parametrize("redis_target", ["cloudtwin", real], indirect=True)


@dataclass
class RedisSide:
    """One Redis target as the properties use it: clients, and its clock."""

    target: Target
    connection: dict[str, Any]  # redis.Redis keyword arguments
    time: TargetTime
    clients: list[redis.Redis] = field(default_factory=list)

    def client(self, **overrides: Any) -> redis.Redis:
        made = redis.Redis(**{**self.connection, **overrides})
        self.clients.append(made)
        return made

    def close(self) -> None:
        while self.clients:
            self.clients.pop().close()


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.fixture(scope="session")
def local_redis_server() -> Iterator[dict[str, Any]]:
    """A redis-server of our own on a free port, or a skip saying why there is none."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no real Redis: give --contract-redis-url or put redis-server on PATH")
    port = _free_port()
    process = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    probe = redis.Redis(port=port)
    deadline = time.monotonic() + REDIS_SERVER_START_SECONDS
    while True:
        try:
            probe.ping()
            break
        except redis.ConnectionError:
            if time.monotonic() > deadline:
                process.kill()
                pytest.fail(f"redis-server did not answer within {REDIS_SERVER_START_SECONDS} s")
            time.sleep(0.05)
    probe.close()
    yield {"host": "127.0.0.1", "port": port}
    process.terminate()
    process.wait(timeout=10)


def _from_url(url: str) -> dict[str, Any]:
    parsed = urllib.parse.urlsplit(url)
    connection: dict[str, Any] = {"host": parsed.hostname or "127.0.0.1", "port": parsed.port or 6379}
    if parsed.password:
        connection["password"] = urllib.parse.unquote(parsed.password)
    if parsed.username:
        connection["username"] = urllib.parse.unquote(parsed.username)
    if parsed.scheme == "rediss":
        connection.update(ssl=True, ssl_cert_reqs=None)
    return connection


def _side(request: pytest.FixtureRequest, name: str) -> RedisSide:
    if name == "cloudtwin":
        connection = request.getfixturevalue("redis_endpoint").client_kwargs()
        time_keeper = TargetTime(request.getfixturevalue("aws_endpoint_url"))
    elif name == "real":
        connection = _from_url(contract_option(request.config, "redis_url"))
        time_keeper = TargetTime(None)
    else:
        connection = request.getfixturevalue("local_redis_server")
        time_keeper = TargetTime(None)
    version = redis.Redis(**connection).info("server")["redis_version"]
    where = f"{connection['host']}:{connection['port']}"
    description = f"{'cloudtwin Redis' if name == 'cloudtwin' else 'Redis'} {version} at {where}"
    target = Target(name, description, moves_time=time_keeper.emulated)
    register_target(request.config, "redis", target)
    return RedisSide(target, connection, time_keeper)


@pytest.fixture(scope="session")
def redis_sides() -> dict[str, RedisSide]:
    return {}


@pytest.fixture
def redis_target(request: pytest.FixtureRequest, redis_sides: dict[str, RedisSide]) -> Iterator[RedisSide]:
    """The Redis target of this test, flushed, its clock frozen for the test when it is the twin."""
    side = redis_sides.get(request.param)
    if side is None:
        side = redis_sides[request.param] = _side(request, request.param)
    side.client().flushall()
    side.time.start()
    try:
        yield side
    finally:
        side.time.stop()
        side.close()


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    """Poll `condition` until it holds or `seconds` of wall time pass; whether it held."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.01)
    return True
