"""How the broker's listeners are set up: ports at MSK's offsets, the IAM authenticator built or reported
missing (the broker then serves without that listener), and health that tells clients where the CA is."""

from __future__ import annotations

import socket

import pytest

from cloudtwin.config import Settings
from cloudtwin.kafka import iam_plugin, probes
from cloudtwin.kafka.jars import KafkaJars, default_cache_dir
from cloudtwin.kafka.listeners import plan_listeners
from cloudtwin.kafka.service import KafkaService
from cloudtwin.service import ServiceStartError

java = probes.java_runtime()


def test_serve_defaults_are_msks_port_numbers():
    if not _all_free(9092):
        pytest.skip("something listens on 9092-9098 here")

    plan = plan_listeners("127.0.0.1", "127.0.0.1", 9092)

    assert plan.endpoints == {
        "PLAINTEXT": "127.0.0.1:9092",
        "TLS": "127.0.0.1:9094",
        "MTLS": "127.0.0.1:9095",
        "SCRAM": "127.0.0.1:9096",
        "IAM": "127.0.0.1:9098",
    }


def test_a_busy_listener_port_is_named_in_the_error():
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        iam_port = holder.getsockname()[1]

        with pytest.raises(ServiceStartError) as caught:
            plan_listeners("127.0.0.1", "127.0.0.1", iam_port - 6)

    assert f"IAM {iam_port}" in str(caught.value)
    assert "--kafka-port" in str(caught.value)


def test_without_javac_the_iam_authenticator_is_reported_missing(tmp_path, monkeypatch):
    monkeypatch.setattr(iam_plugin, "javac_executable", lambda: None)

    build = iam_plugin.ensure_plugin(KafkaJars(tmp_path))

    assert build.jar is None
    assert "javac" in build.unavailable


@pytest.mark.skipif(not java.ok, reason=f"the JVM backend needs Java 17+: {java.detail}")
def test_a_broker_without_the_iam_authenticator_serves_the_other_listeners(tmp_path, monkeypatch, capfd):
    # A cache of its own with the shared jars, storage template and class archive linked in (saving a
    # download, a format and an archive recording), so no built authenticator is found there.
    shared = KafkaJars(default_cache_dir())
    shared.ensure()
    release = tmp_path / shared.lib_dir.parent.relative_to(shared.cache_dir)
    release.mkdir(parents=True)
    for linked in [shared.lib_dir, *shared.lib_dir.parent.glob("storage-template"), *_plain_archives(shared)]:
        (release / linked.name).symlink_to(linked)
    monkeypatch.setattr(iam_plugin, "javac_executable", lambda: None)
    service = KafkaService(Settings(kafka="jvm", kafka_port=0, kafka_cache_dir=str(tmp_path)))
    service.start()
    try:
        service.wait_ready(120)
        health = service.health()
    finally:
        service.stop()

    assert health["up"] is True
    assert set(health["listeners"]) == {"PLAINTEXT", "TLS", "MTLS", "SCRAM"}
    assert "javac" in health["listeners_off"]["IAM"]
    # What a `serve` user reads: where each listener is, the CA to trust, and why IAM is off.
    [ready] = [line for line in capfd.readouterr().err.splitlines() if "kafka: ready at" in line]
    assert f"SCRAM {health['listeners']['SCRAM']}" in ready
    assert f"CA {health['tls_ca_file']}" in ready
    assert "IAM off: building the IAM authenticator needs a JDK" in ready


def test_health_lists_the_listeners_and_the_ca_clients_verify_with(kafka_service):
    health = kafka_service.health()
    if "IAM" not in health["listeners"]:
        pytest.skip(f"the session's broker has no IAM listener: {health['listeners_off'].get('IAM')}")

    assert health["listeners"]["PLAINTEXT"] == health["endpoint"]
    assert health["listeners_off"] == {}
    with open(health["tls_ca_file"]) as ca:
        assert ca.read().startswith("-----BEGIN CERTIFICATE-----")
    assert health["tls_client_certificate"] and health["tls_client_key"]


def _plain_archives(jars: KafkaJars) -> list:
    """The class archive of a broker without the authenticator on its classpath, if one was recorded."""
    archive = jars.lib_dir.parent / f"classes-{probes.java_fingerprint()}.jsa"
    return [archive] if archive.is_file() else []


def _all_free(base: int) -> bool:
    from cloudtwin.kafka.ports import port_is_free

    return all(port_is_free("127.0.0.1", base + offset) for offset in (0, 2, 3, 4, 6))
