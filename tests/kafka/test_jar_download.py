"""Kafka's jars as plain downloads from a Maven repository, checked against pinned sums; Maven as the fallback."""

from __future__ import annotations

import functools
import hashlib
import http.server
import threading
from pathlib import Path

import pytest

from cloudtwin.kafka import probes
from cloudtwin.kafka.jar_manifest import JARS
from cloudtwin.kafka.jars import KAFKA_VERSION, SLF4J_BINDING, KafkaJars
from cloudtwin.service import ServiceStartError
from tests.kafka.test_bad_input import fake_maven


@pytest.fixture
def repository(tmp_path):
    """A Maven repository layout served over HTTP: (root folder, URL)."""
    root = tmp_path / "repository"
    root.mkdir()
    handler = functools.partial(QuietHandler, directory=str(root))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield root, f"http://127.0.0.1:{server.server_port}/maven2"
    server.shutdown()


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    def translate_path(self, path: str) -> str:
        return super().translate_path(path.removeprefix("/maven2"))

    def log_message(self, *args) -> None:
        pass


def publish(root: Path, group: str, artifact: str, version: str, content: bytes) -> tuple[str, str, str, str]:
    folder = root / group.replace(".", "/") / artifact / version
    folder.mkdir(parents=True)
    (folder / f"{artifact}-{version}.jar").write_bytes(content)
    return group, artifact, version, hashlib.sha256(content).hexdigest()


def test_pinned_jars_are_downloaded_without_maven(monkeypatch, tmp_path, repository):
    monkeypatch.setattr(probes, "maven_executable", lambda: None)
    root, url = repository
    pinned = (publish(root, "org.apache.kafka", "kafka_2.13", "9.9", b"broker"), publish(root, "a.b", "c", "1", b"x"))
    jars = KafkaJars(tmp_path / "cache", version="9.9", repository=url, pinned=pinned)
    said: list[str] = []

    jars.ensure(said.append)

    assert jars.cached
    assert sorted(path.name for path in jars.lib_dir.iterdir()) == ["c-1.jar", "kafka_2.13-9.9.jar"]
    assert (jars.lib_dir / "kafka_2.13-9.9.jar").read_bytes() == b"broker"
    assert any("2 jars" in line and url in line for line in said), said


def test_a_jar_that_does_not_match_its_sum_is_refused(monkeypatch, tmp_path, repository):
    monkeypatch.setattr(probes, "maven_executable", lambda: None)
    root, url = repository
    group, artifact, version, _ = publish(root, "org.apache.kafka", "kafka_2.13", "9.9", b"tampered")
    pinned = ((group, artifact, version, hashlib.sha256(b"genuine").hexdigest()),)
    jars = KafkaJars(tmp_path / "cache", version="9.9", repository=url, pinned=pinned)

    with pytest.raises(ServiceStartError) as caught:
        jars.ensure()

    assert "SHA-256" in str(caught.value) and "Maven (mvn) is not on PATH" in str(caught.value)
    assert not jars.cached
    assert [path.name for path in (tmp_path / "cache").iterdir()] == ["kafka-9.9.lock"]  # no staging left


def test_maven_is_the_fallback_when_the_download_fails(monkeypatch, tmp_path, repository):
    error = "[ERROR] Could not resolve dependencies: mirror refused"
    monkeypatch.setattr(probes, "maven_executable", lambda: fake_maven(tmp_path, f"echo '{error}'; exit 1"))
    _, url = repository
    pinned = (("org.apache.kafka", "kafka_2.13", "9.9", "0" * 64),)  # not published: 404
    jars = KafkaJars(tmp_path / "cache", version="9.9", repository=url, pinned=pinned)
    said: list[str] = []

    with pytest.raises(ServiceStartError, match="mirror refused"):
        jars.ensure(said.append)

    assert any("404" in line and "trying Maven" in line for line in said), said


def test_the_kafka_release_run_is_pinned():
    pinned = {(group, artifact, version) for group, artifact, version, _ in JARS[KAFKA_VERSION]}
    assert ("org.apache.kafka", "kafka_2.13", KAFKA_VERSION) in pinned
    assert SLF4J_BINDING in pinned
