"""One settings object for the whole emulator: flags > CLOUDTWIN_* env vars > defaults.

Every field is a setting; its metadata names its help text. The env var is
`CLOUDTWIN_<FIELD NAME IN UPPER CASE>` and the flag `--<field-name>`.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from collections.abc import Mapping
from dataclasses import dataclass, field


def _setting(default, help: str):  # noqa: A002 - mirrors argparse's keyword
    return field(default=default, metadata={"help": help})


@dataclass
class Settings:
    host: str = _setting("127.0.0.1", "address every endpoint binds")
    aws_port: int = _setting(4566, "port of the AWS endpoint (SQS, admin API, moto); 0 picks a free one")
    region: str = _setting("us-east-1", "region used when a request names none")
    account_id: str = _setting("000000000000", "account used when the access key is not a 12-digit account id")
    max_request_bytes: int = _setting(16 * 1024 * 1024, "largest HTTP request body accepted; larger ones get 413")
    http_header_timeout: float = _setting(
        60.0, "seconds a client has to send a whole request head (line and headers) once it starts; then 408"
    )
    http_body_timeout: float = _setting(
        60.0, "seconds a client has to send a whole request body once its head has arrived; then 408"
    )
    http_idle_timeout: float = _setting(
        60.0, "seconds a kept-alive AWS endpoint connection may wait for its next request before it is closed"
    )
    http_max_connections: int = _setting(
        1000, "open connections the AWS endpoint serves at once; more are answered 503 and closed"
    )
    admin_allowed_hosts: str = _setting(
        "",
        "comma-separated host names (besides loopback names and addresses, and --host) under which the admin API "
        "(/_cloudtwin/*, /moto-api/*) answers, as Host or Origin; e.g. the compose service name",
    )
    redis_port: int = _setting(6379, "port of the Redis endpoint; 0 picks a free one, -1 turns Redis off")
    redis_backend: str = _setting(
        "fakeredis", "Redis backend: fakeredis (pure Python, on the emulator clock) or redis-server (an installed one)"
    )
    redis_password: str = _setting("", "Redis requirepass: clients must AUTH with it (empty: no password)")
    redis_users: str = _setting(
        "", "Redis ACL users, ';'-separated ACL SETUSER arguments: 'app on >pw ~app:* +@all; ro on >pw2 ~* +@read'"
    )
    redis_maxmemory: str = _setting("", "Redis maxmemory, e.g. 100mb (empty: no limit)")
    redis_maxmemory_policy: str = _setting("noeviction", "Redis eviction policy when maxmemory is reached")
    redis_enable_debug_command: str = _setting(
        "no",
        "Redis DEBUG: no (refused, as redis 7 and ElastiCache do), yes, or local (loopback clients only); for test "
        "suites that inject errors with DEBUG ERROR/SLEEP/OBJECT",
    )
    redis_tls_cert: str = _setting("", "PEM certificate: serve Redis over TLS only (in-transit encryption)")
    redis_tls_key: str = _setting("", "PEM private key for --redis-tls-cert")
    kafka: str = _setting("auto", "Kafka backend: auto|redpanda|jvm|external=HOST:PORT|off")
    kafka_port: int = _setting(9092, "port the managed Kafka broker listens on; 0 picks a free one")
    kafka_brokers: int = _setting(
        1,
        "brokers in the JVM Kafka cluster (1-9); broker k listens on --kafka-port + 10 x (k - 1) and its TLS, SASL "
        "and IAM neighbours; with 3 or more, topics default to 3 replicas and min.insync.replicas=2 as on MSK",
    )
    kafka_advertised: str = _setting(
        "",
        "Kafka address told to clients (health, MSK GetBootstrapBrokers) when they reach the broker under "
        "another name than the emulator does, e.g. localhost:19092 from outside a compose network",
    )
    kafka_cache_dir: str = _setting("", "where the JVM backend caches Kafka's jars (default ~/.cache/cloudtwin/kafka)")
    kafka_jars_url: str = _setting(
        "https://repo1.maven.org/maven2",
        "Maven repository the JVM backend downloads Kafka's jars from, checked against pinned SHA-256 sums; "
        "empty: resolve them with Maven (mvn), which is also the fallback",
    )
    kafka_start_timeout: float = _setting(180.0, "seconds a managed Kafka broker may take to become ready")
    kafka_config: str = _setting(
        "",
        "server.properties for the JVM Kafka broker over cloudtwin's test-tuned ones, 'key=value;key=value' "
        "(e.g. 'log.retention.check.interval.ms=300000' for Kafka's default)",
    )
    kafka_nice: int = _setting(
        10,
        "niceness (0-19) the JVM Kafka broker runs at, so its start-up does not slow the AWS and Redis endpoints "
        "on a small machine; 0 gives it the emulator's priority",
    )
    redpanda_image: str = _setting(
        "docker.redpanda.com/redpandadata/redpanda:v25.3.9", "image the redpanda Kafka backend runs"
    )

    @classmethod
    def env_name(cls, name: str) -> str:
        return "CLOUDTWIN_" + name.upper()

    @classmethod
    def flag_name(cls, name: str) -> str:
        return "--" + name.replace("_", "-")

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser) -> None:
        """Add one flag per setting; flags default to None so unset ones fall through."""
        for f in dataclasses.fields(cls):
            kind = _parser_type(f)
            parser.add_argument(
                cls.flag_name(f.name),
                dest=f.name,
                type=kind,
                default=None,
                help=f"{f.metadata['help']} (env {cls.env_name(f.name)}, default {f.default!r})",
            )

    @classmethod
    def resolve(cls, flags: Mapping[str, object] | None = None, environ: Mapping[str, str] | None = None) -> Settings:
        """Build settings from flags first, then the environment, then the defaults."""
        flags = flags or {}
        environ = os.environ if environ is None else environ
        values = {}
        for f in dataclasses.fields(cls):
            if flags.get(f.name) is not None:
                values[f.name] = flags[f.name]
            elif cls.env_name(f.name) in environ:
                raw = environ[cls.env_name(f.name)]
                try:
                    values[f.name] = parse_setting(f, raw)
                except ValueError:
                    raise ValueError(f"{cls.env_name(f.name)}={raw!r} is not a valid {f.type}") from None
        return cls(**values)


def parse_setting(f: dataclasses.Field, raw: str):
    """A setting's value from text (an env var, an ini line); ValueError if it is not one."""
    return _parser_type(f)(raw)


def _parser_type(f: dataclasses.Field):
    default_type = type(f.default)
    if default_type is bool:
        return _parse_bool
    return default_type


def _parse_bool(raw: str) -> bool:
    lowered = str(raw).strip().lower()
    if lowered in {"1", "true", "yes", "on"}:
        return True
    if lowered in {"0", "false", "no", "off", ""}:
        return False
    raise ValueError(raw)
