"""The broker's TLS, mutual TLS and IAM listeners with the clients MSK users run: kafka-python,
confluent-kafka, the MSK signer's OAUTHBEARER tokens and the Java CLI tools with aws-msk-iam-auth.
(SASL/SCRAM logins, which come from MSK's SCRAM secrets, are in tests/control/test_msk_scram_secrets.py.)"""

from __future__ import annotations

import base64
import json
import urllib.parse
import uuid
from datetime import UTC, datetime, timedelta

import pytest

from tests.kafka.java_clients import Unavailable, java_client_classpath, run_java
from tests.kafka.secured_clients import broker_ids, refusal, tls_settings

REGION = "us-east-1"
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "AKIDCLOUDTWINTEST", "AWS_SECRET_ACCESS_KEY": "secret", "AWS_REGION": REGION}


@pytest.fixture(scope="module")
def listeners(kafka_service):
    listeners, off = kafka_service.client_listeners()
    if "IAM" not in listeners:
        pytest.skip(f"the session's broker has no IAM listener: {off.get('IAM')}")
    return listeners


@pytest.fixture(scope="module")
def ca_file(kafka_service, listeners) -> str:
    return str(kafka_service.broker.tls.ca_file)


@pytest.fixture
def aws_credentials(monkeypatch):
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("AWS_DEFAULT_REGION", REGION)


def signer_token() -> tuple[str, int]:
    """What Python apps hand their Kafka client for MSK IAM: (token, expiry in ms)."""
    from aws_msk_iam_sasl_signer import MSKAuthTokenProvider

    return MSKAuthTokenProvider.generate_auth_token(REGION)


def altered_token(**query: str) -> str:
    """A signer token with some query fields replaced (the twin checks form, not signatures)."""
    token, _ = signer_token()
    url = urllib.parse.urlsplit(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode())
    fields = dict(urllib.parse.parse_qsl(url.query))
    fields.update(query)
    altered = url._replace(query=urllib.parse.urlencode(fields)).geturl()
    return base64.urlsafe_b64encode(altered.encode()).decode().rstrip("=")


def in_fifteen_minutes(token: str) -> tuple[str, int]:
    """A token with the expiry the signer would give it (librdkafka refuses to send one it thinks expired)."""
    return token, int((datetime.now(UTC) + timedelta(minutes=15)).timestamp() * 1000)


def oauth_settings(ca_file: str, token_source) -> dict:
    """confluent-kafka OAUTHBEARER settings as the MSK signer's README shows them."""

    def oauth_cb(_config):
        token, expiry_ms = token_source()
        return token, expiry_ms / 1000

    return {
        "security.protocol": "SASL_SSL",
        "sasl.mechanisms": "OAUTHBEARER",
        "oauth_cb": oauth_cb,
        "ssl.ca.location": ca_file,
    }


def round_trip(bootstrap: str, topic: str, **settings) -> bytes:
    """Produce one record and read it back with kafka-python over the given settings."""
    from kafka import KafkaConsumer, KafkaProducer

    producer = KafkaProducer(bootstrap_servers=bootstrap, **settings)
    producer.send(topic, b"over a secured listener").get(timeout=30)
    producer.close()
    consumer = KafkaConsumer(
        topic, bootstrap_servers=bootstrap, auto_offset_reset="earliest", consumer_timeout_ms=20_000, **settings
    )
    try:
        return next(iter(consumer)).value
    finally:
        consumer.close()


def test_a_tls_client_verifying_the_twins_ca_produces_and_consumes(listeners, ca_file, kafka_topic):
    value = round_trip(listeners["TLS"], kafka_topic, security_protocol="SSL", ssl_cafile=ca_file)

    assert value == b"over a secured listener"


def test_a_tls_client_that_trusts_only_public_cas_is_refused(listeners):
    assert "certificate verify failed" in refusal({"security.protocol": "SSL"}, listeners["TLS"])


def test_mutual_tls_wants_a_client_certificate_signed_by_the_twins_ca(kafka_service, listeners):
    tls = kafka_service.broker.tls
    with_certificate = {
        **tls_settings(kafka_service),
        "ssl.certificate.location": str(tls.client_certificate),
        "ssl.key.location": str(tls.client_key),
    }

    assert broker_ids(with_certificate, listeners["MTLS"]) == [1]
    assert "bad certificate" in refusal(tls_settings(kafka_service), listeners["MTLS"])


def test_kafka_python_with_aws_msk_iam(listeners, ca_file, kafka_topic, aws_credentials):
    value = round_trip(
        listeners["IAM"], kafka_topic, security_protocol="SASL_SSL", sasl_mechanism="AWS_MSK_IAM", ssl_cafile=ca_file
    )

    assert value == b"over a secured listener"


def test_kafka_python_with_the_msk_signers_oauthbearer_token(listeners, ca_file, kafka_topic, aws_credentials):
    from kafka.net.sasl.oauth import AbstractTokenProvider

    class MskTokenProvider(AbstractTokenProvider):
        def token(self):
            return signer_token()[0]

    value = round_trip(
        listeners["IAM"],
        kafka_topic,
        security_protocol="SASL_SSL",
        sasl_mechanism="OAUTHBEARER",
        sasl_oauth_token_provider=MskTokenProvider(),
        ssl_cafile=ca_file,
    )

    assert value == b"over a secured listener"


def test_confluent_kafka_with_the_msk_signers_oauthbearer_token(listeners, ca_file, kafka_topic, aws_credentials):
    from confluent_kafka import Consumer, Producer

    settings = {"bootstrap.servers": listeners["IAM"], **oauth_settings(ca_file, signer_token)}
    producer = Producer(settings)
    producer.produce(kafka_topic, b"signed")
    assert producer.flush(30) == 0
    consumer = Consumer({**settings, "group.id": f"iam-{uuid.uuid4().hex[:6]}", "auto.offset.reset": "earliest"})
    consumer.subscribe([kafka_topic])
    try:
        message = consumer.poll(30)
        assert message is not None and message.error() is None
        assert message.value() == b"signed"
    finally:
        consumer.close()


@pytest.mark.parametrize(
    ("fields", "reason"),
    [
        (
            {"X-Amz-Date": (datetime.now(UTC) - timedelta(hours=1)).strftime("%Y%m%dT%H%M%SZ")},
            "expired",
        ),
        ({"Action": "kafka-cluster:WriteData"}, "not kafka-cluster:Connect"),
        ({"X-Amz-Credential": "AKID/20240101/us-east-1/s3/aws4_request"}, "X-Amz-Credential"),
        ({"X-Amz-Signature": "forged"}, "X-Amz-Signature"),
    ],
    ids=["expired", "other-action", "other-service", "malformed-signature"],
)
def test_oauthbearer_tokens_out_of_form_are_refused(listeners, ca_file, aws_credentials, fields, reason):
    if "X-Amz-Date" in fields:  # the credential scope names the signing day too
        fields["X-Amz-Credential"] = f"AKIDCLOUDTWINTEST/{fields['X-Amz-Date'][:8]}/{REGION}/kafka-cluster/aws4_request"
    token = altered_token(**fields)

    message = refusal(oauth_settings(ca_file, lambda: in_fifteen_minutes(token)), listeners["IAM"])

    assert reason in message


def test_a_token_that_is_not_a_presigned_url_is_refused(listeners, ca_file):
    message = refusal(oauth_settings(ca_file, lambda: in_fifteen_minutes("bm90IGEgdXJs")), listeners["IAM"])

    assert "invalid_token" in message


def test_an_aws_msk_iam_payload_signed_an_hour_ago_is_refused(listeners, ca_file, aws_credentials):
    """Refused, whichever way kafka-python reports it: with the broker's reason on a first login, as a bare disconnect
    after other logins to the broker (the reason's wording is checked with the signer's tokens above, which the same
    check refuses)."""
    from kafka import KafkaAdminClient
    from kafka.errors import KafkaError
    from kafka.net.sasl import msk

    original = msk.AwsMskIamClient.first_message

    def signed_an_hour_ago(client):
        payload = json.loads(original(client))
        signed = datetime.now(UTC) - timedelta(hours=1)
        payload["x-amz-date"] = signed.strftime("%Y%m%dT%H%M%SZ")
        payload["x-amz-credential"] = f"AKIDCLOUDTWINTEST/{signed:%Y%m%d}/{REGION}/kafka-cluster/aws4_request"
        return json.dumps(payload).encode()

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(msk.AwsMskIamClient, "first_message", signed_an_hour_ago)
        with pytest.raises(KafkaError):
            KafkaAdminClient(
                bootstrap_servers=listeners["IAM"],
                security_protocol="SASL_SSL",
                sasl_mechanism="AWS_MSK_IAM",
                ssl_cafile=ca_file,
                bootstrap_timeout_ms=8_000,  # the refusal comes at once; the client then retries until this
            )


def test_the_java_cli_with_the_seeds_iam_client_properties(listeners, ca_file, kafka_topic, tmp_path):
    try:
        classpath = java_client_classpath()
    except Unavailable as exc:
        pytest.skip(str(exc))
    properties = tmp_path / "client-iam.properties"
    properties.write_text(
        "security.protocol=SASL_SSL\n"
        "sasl.mechanism=AWS_MSK_IAM\n"
        "sasl.jaas.config=software.amazon.msk.auth.iam.IAMLoginModule required;\n"
        "sasl.client.callback.handler.class=software.amazon.msk.auth.iam.IAMClientCallbackHandler\n"
        # The one line MSK does not need: its brokers' certificates chain to public CAs, the twin's to its own.
        f"ssl.truststore.type=PEM\nssl.truststore.location={ca_file}\n"
    )

    result = run_java(
        classpath,
        "org.apache.kafka.tools.TopicCommand",
        "--bootstrap-server", listeners["IAM"], "--command-config", str(properties), "--list",
        env=CREDENTIALS,
    )  # fmt: skip

    assert result.returncode == 0, result.stderr[-2000:]
    assert kafka_topic in result.stdout.split()
