"""--redis-backend redis-server: an installed redis-server as a child process, managed like the default engine."""

from __future__ import annotations

import shutil
from types import SimpleNamespace

import pytest
import redis

from cloudtwin.clock import clock
from cloudtwin.config import Settings
from cloudtwin.redis.child_server import RedisServerService
from cloudtwin.redis.service import RedisService, redis_service
from cloudtwin.service import ServiceStartError


def make_service(**settings):
    return redis_service(SimpleNamespace(settings=Settings(redis_port=0, **settings), clock=clock))


@pytest.fixture
def child_service():
    if shutil.which("redis-server") is None and shutil.which("valkey-server") is None:
        pytest.skip("neither redis-server nor valkey-server is installed (apt-get install -y redis-server)")
    service = make_service(redis_backend="redis-server", redis_password="pw", redis_maxmemory="10mb")
    service.start()
    yield service
    service.stop()


def test_the_default_backend_is_fakeredis() -> None:
    assert isinstance(make_service(), RedisService)


def test_the_child_server_serves_with_the_settings(child_service: RedisServerService) -> None:
    assert isinstance(child_service, RedisServerService)
    client = redis.Redis(port=child_service.port, password="pw")
    assert client.set("k", "v") is True
    assert client.config_get("maxmemory") == {"maxmemory": str(10 * 1024 * 1024)}
    health = child_service.health()
    assert health["up"] is True and health["keys"] == 1
    assert "redis-server" in health["backend"] or "valkey-server" in health["backend"]
    child_service.reset()
    assert client.dbsize() == 0
    with pytest.raises(redis.AuthenticationError):
        redis.Redis(port=child_service.port).get("k")


def test_stop_ends_the_child_process(child_service: RedisServerService) -> None:
    process = child_service.process
    child_service.stop()
    assert process.poll() is not None
    assert child_service.health()["up"] is False


def test_an_unknown_backend_is_a_start_error() -> None:
    service = make_service(redis_backend="memcached")
    with pytest.raises(ServiceStartError, match="--redis-backend must be one of"):
        service.start()


def test_a_missing_binary_says_how_to_install_it(monkeypatch) -> None:
    monkeypatch.setattr(shutil, "which", lambda name: None)
    service = make_service(redis_backend="redis-server")
    with pytest.raises(ServiceStartError, match="apt-get install -y redis-server"):
        service.start()


def test_the_child_server_speaks_tls_when_given_a_certificate(start_twin, certificate) -> None:
    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed (apt-get install -y redis-server)")
    cert, key = certificate
    service = start_twin(redis_backend="redis-server", redis_tls_cert=cert, redis_tls_key=key)
    assert service.endpoint.startswith("rediss://")
    client = redis.Redis(port=service.port, ssl=True, ssl_cert_reqs=None)
    assert client.set("k", "v") is True and client.get("k") == b"v"
