"""Client settings for the broker's TLS, SASL/SCRAM and IAM listeners, and a quick way to see a login refused."""

from __future__ import annotations

import time

from cloudtwin.kafka.service import KafkaService

REFUSAL_WAIT_SECONDS = 20.0


def tls_settings(kafka_service: KafkaService) -> dict[str, str]:
    """confluent-kafka (librdkafka) settings that verify the broker against the twin's CA."""
    assert kafka_service.broker is not None and kafka_service.broker.tls is not None
    return {"security.protocol": "SSL", "ssl.ca.location": str(kafka_service.broker.tls.ca_file)}


def scram_settings(kafka_service: KafkaService, user: str, password: str) -> dict[str, str]:
    return {
        **tls_settings(kafka_service),
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": "SCRAM-SHA-512",
        "sasl.username": user,
        "sasl.password": password,
    }


def broker_ids(settings: dict, bootstrap: str) -> list[int]:
    """The broker ids a metadata request over these settings lists (raises if it cannot connect)."""
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap, **settings})
    return sorted(admin.list_topics(timeout=15).brokers)


def refusal(settings: dict, bootstrap: str) -> str:
    """The error librdkafka reports when the broker refuses this client's TLS handshake or login."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient

    errors: list = []
    # log_level 0: the refusals are the expected outcome, not noise for the test's output.
    admin = AdminClient({"bootstrap.servers": bootstrap, "error_cb": errors.append, "log_level": 0, **settings})
    deadline = time.monotonic() + REFUSAL_WAIT_SECONDS
    while time.monotonic() < deadline:
        try:
            admin.list_topics(timeout=0.5)
        except KafkaException:
            pass
        else:
            raise AssertionError(f"the broker at {bootstrap} let the client in")
        admin.poll(0.1)
        # A refused client certificate shows as a transport error carrying the TLS alert.
        refused = [
            e for e in errors if e.code() in (KafkaError._AUTHENTICATION, KafkaError._SSL, KafkaError._TRANSPORT)
        ]
        if refused:
            return refused[0].str()
    raise AssertionError(f"no refusal within {REFUSAL_WAIT_SECONDS} s; errors: {[e.str() for e in errors]}")
