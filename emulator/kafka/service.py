"""Kafka as a service of the emulator: picks a backend, starts the broker in the background, admin."""

from __future__ import annotations

import logging
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING, Protocol

from cloudtwin.config import Settings
from cloudtwin.kafka import probes
from cloudtwin.kafka.admin import TopicAdmin
from cloudtwin.kafka.broker_config import parse_overrides
from cloudtwin.kafka.choice import ENABLE_HINT, BackendChoice, choose
from cloudtwin.kafka.cluster import BrokerControlError, JvmCluster
from cloudtwin.kafka.external import ExternalBroker
from cloudtwin.kafka.jars import KafkaJars, default_cache_dir
from cloudtwin.kafka.jvm import advertised_host
from cloudtwin.kafka.listeners import PLAINTEXT, plan_cluster
from cloudtwin.kafka.ports import port_is_free
from cloudtwin.service import ServiceStartError

if TYPE_CHECKING:
    from cloudtwin.kafka.tls import TlsMaterial

log = logging.getLogger(__name__)
WATCH_SECONDS = 1.0
BEST_EFFORT_NOTE = "serving without Kafka (--kafka auto is best-effort; name a backend to require one)"
# Each broker is a JVM of its own (about 0.3 GB and a second of CPU to start); beyond this a laptop suffers.
MAX_BROKERS = 9


class Broker(Protocol):
    backend: str

    @property
    def bootstrap(self) -> str | None:
        """HOST:PORT for clients; a container backend knows it only once started."""

    @property
    def listeners(self) -> dict[str, str]:
        """Listener name (listeners.py) → HOST:PORT, for the listeners the broker opens."""

    @property
    def unavailable_listeners(self) -> dict[str, str]:
        """Listener name → why the broker does not open it."""

    tls: TlsMaterial | None
    kafka_version: str | None
    """The CA clients verify the TLS listeners with, and a client certificate for mutual TLS."""

    def start(self) -> None:
        """Launch the broker (blocking); readiness is checked separately."""

    def exit_reason(self) -> str | None:
        """None while the broker runs; why it stopped once it has."""

    def stop(self) -> None: ...


class KafkaService:
    """Starts in the background so the AWS endpoint never waits on a JVM or a container.

    `start()` only chooses the backend and checks the port (fast, and errors there are
    immediate); health says "starting" until a metadata request lists the broker.
    """

    name = "kafka"

    def __init__(self, settings: Settings, on_start_failure: Callable[[str, str], None] | None = None) -> None:
        self.settings = settings
        self.on_start_failure = on_start_failure
        """Called with ("kafka", why) when the broker cannot start in the background."""
        self.choice: BackendChoice | None = None
        self.broker: Broker | None = None
        self.admin: TopicAdmin | None = None
        self.state = "stopped"
        self.error: str | None = None
        self.ready_seconds: float | None = None
        self._settled = threading.Event()
        self._stopping = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    @property
    def bootstrap(self) -> str | None:
        return self.broker.bootstrap if self.broker is not None else None

    @property
    def kafka_version(self) -> str | None:
        """The Apache Kafka release the broker runs, where the backend knows it."""
        return self.broker.kafka_version if self.broker is not None else None

    @property
    def best_effort(self) -> bool:
        """`--kafka auto` (the default) runs Kafka if it can; a backend named explicitly must start."""
        return self.settings.kafka.strip().lower() == "auto"

    def start(self) -> None:
        self.choice = choose(self.settings.kafka)
        if self.choice.backend == "off":
            self.state = "off"
            self._settled.set()
            return
        self.broker = self._make_broker(self.choice)
        self.state = "starting"
        self._thread = threading.Thread(target=self._run, name="cloudtwin-kafka", daemon=True)
        self._thread.start()

    @property
    def broker_count(self) -> int | None:
        """How many brokers the cluster has: the JVM backend's --kafka-brokers, Redpanda's one; None when unknown
        (an external broker) or off."""
        if self.choice is None or self.choice.backend in ("off", "external"):
            return None
        return self.settings.kafka_brokers if self.choice.backend == "jvm" else 1

    def _make_broker(self, choice: BackendChoice) -> Broker:
        settings = self.settings
        overrides = parse_overrides(settings.kafka_config)
        if overrides and choice.backend != "jvm":
            raise ServiceStartError(
                f"--kafka-config sets the JVM broker's server.properties; the {choice.backend} backend does not "
                "take it (use --kafka jvm)"
            )
        if not 1 <= settings.kafka_brokers <= MAX_BROKERS:
            raise ServiceStartError(f"--kafka-brokers must be 1-{MAX_BROKERS}, not {settings.kafka_brokers}")
        if settings.kafka_brokers > 1 and choice.backend != "jvm":
            raise ServiceStartError(
                f"--kafka-brokers {settings.kafka_brokers}: the {choice.backend} backend "
                + ("is one broker that cloudtwin does not run" if choice.backend == "external" else "runs one broker")
                + "; use --kafka jvm for a cluster of several"
            )
        if choice.backend == "external":
            assert choice.address is not None
            return ExternalBroker(choice.address)
        port = settings.kafka_port
        if port and not port_is_free(settings.host, port):
            raise ServiceStartError(
                f"Kafka's port {port} on {settings.host} is already in use: stop what holds it, choose another "
                f"with --kafka-port / CLOUDTWIN_KAFKA_PORT (0 picks a free one), or use a broker already "
                f"listening there with --kafka external={settings.host}:{port}"
            )
        if choice.backend == "redpanda":
            from cloudtwin.kafka.redpanda import RedpandaBroker

            docker = probes.docker_engine()
            if not docker.ok:
                raise ServiceStartError(
                    f"the redpanda Kafka backend needs a Docker engine: {docker.detail}; start Docker, "
                    "or use --kafka jvm (Java 17+) or --kafka auto"
                )

            return RedpandaBroker(settings.redpanda_image, port, settings.kafka_start_timeout)
        if not 0 <= settings.kafka_nice <= 19:
            raise ServiceStartError(
                f"--kafka-nice / CLOUDTWIN_KAFKA_NICE must be 0-19 (a lower priority), not {settings.kafka_nice}"
            )
        cache = Path(settings.kafka_cache_dir) if settings.kafka_cache_dir else default_cache_dir()
        return JvmCluster(
            KafkaJars(cache, repository=settings.kafka_jars_url),
            plan_cluster(settings.host, advertised_host(settings.host), port, settings.kafka_brokers),
            cache / "running",
            progress=_say,
            nice=settings.kafka_nice,
            account_id=settings.account_id,
            overrides=overrides,
        )

    def _run(self) -> None:
        assert self.broker is not None
        started = time.monotonic()
        try:
            self.broker.start()
            with self._lock:
                if self._stopping.is_set():  # stop() ran while the broker was launching
                    self.broker.stop()
                    return
            bootstrap = self.broker.bootstrap
            assert bootstrap is not None
            self.admin = TopicAdmin.connect(
                bootstrap, self.settings.kafka_start_timeout, self.broker.exit_reason, self.broker_count or 1
            )
        except ServiceStartError as exc:
            self._fail(str(exc))
            return
        except Exception as exc:  # a bug must still show in health instead of a silent thread death
            log.exception("starting Kafka failed")
            self._fail(f"starting Kafka failed unexpectedly: {type(exc).__name__}: {exc}")
            return
        self.ready_seconds = time.monotonic() - started
        self.state = "ready"
        self._settled.set()
        ready = f"ready at {self.broker.bootstrap} ({self.broker.backend}, {self.ready_seconds:.1f} s)"
        _say(ready + self._secured_summary())
        self._watch()

    def _secured_summary(self) -> str:
        """The TLS, SASL and IAM listeners and the CA to trust, for the ready line a `serve` user reads."""
        assert self.broker is not None
        secured = {name: address for name, address in self.broker.listeners.items() if name != PLAINTEXT.name}
        if not secured:
            return ""
        summary = "; " + ", ".join(f"{name} {address}" for name, address in secured.items())
        if self.broker.tls is not None:
            summary += f"; CA {self.broker.tls.ca_file}"
        return summary + "".join(f"; {name} off: {why}" for name, why in self.broker.unavailable_listeners.items())

    def _watch(self) -> None:
        """Notice a broker that dies, so health says so instead of clients timing out."""
        assert self.broker is not None
        while not self._stopping.wait(WATCH_SECONDS):
            reason = self.broker.exit_reason()
            if reason:
                self.state = "down"
                self.error = f"{reason}; restart the emulator to get a new broker"
                _say(self.error)
                return

    def _fail(self, message: str) -> None:
        if self._stopping.is_set():
            return
        self.state = "failed"
        self.error = message
        self._settled.set()
        _say(f"did not start: {message}" + (f"; {BEST_EFFORT_NOTE}" if self.best_effort else ""))
        if self.on_start_failure is not None:
            self.on_start_failure(self.name, message)

    def wait_ready(self, timeout: float | None = None) -> str:
        """The bootstrap address once the broker is ready; ServiceStartError if it cannot be."""
        if self.choice is not None and self.choice.backend == "off":
            raise ServiceStartError(f"Kafka is off: {self.choice.reason}")
        if not self._settled.wait(timeout):
            raise ServiceStartError(f"Kafka was not ready within {timeout} s (state: {self.state})")
        if self.state != "ready" or self.bootstrap is None:
            raise ServiceStartError(self.error or f"Kafka is {self.state}")
        return self.bootstrap

    def client_bootstrap(self, timeout: float | None = None) -> str:
        """The address clients are told to use once the broker is ready (see kafka_advertised)."""
        bootstrap = self.wait_ready(timeout)
        return self.settings.kafka_advertised or bootstrap

    def client_listeners(self, timeout: float | None = None) -> tuple[dict[str, str], dict[str, str]]:
        """Once the broker is ready: listener name → the address clients use, and listener name → why it is off."""
        self.wait_ready(timeout)
        assert self.broker is not None
        listeners = dict(self.broker.listeners)
        if self.settings.kafka_advertised:
            listeners[PLAINTEXT.name] = self.settings.kafka_advertised
        return listeners, dict(self.broker.unavailable_listeners)

    def client_brokers(self, timeout: float | None = None) -> list[tuple[int, str]]:
        """Once the cluster is ready: (broker id, the plaintext HOST:PORT clients dial) for every broker."""
        self.wait_ready(timeout)
        if isinstance(self.broker, JvmCluster) and len(self.broker.brokers) > 1:
            return [(broker.node_id, broker.bootstrap) for broker in self.broker.brokers]
        listeners, _ = self.client_listeners()
        return [(1, listeners[PLAINTEXT.name].split(",")[0])]

    def stop_broker(self, broker_id: int) -> dict:
        """Shut one broker of the JVM cluster down cleanly (a fault test); the others take over its leaderships."""
        cluster = self._ready_cluster()
        with self._lock:
            cluster.stop_broker(broker_id)
        _say(f"broker {broker_id} stopped on request")
        return self.broker_report(broker_id)

    def start_broker(self, broker_id: int, timeout: float | None = None) -> dict:
        """Start a stopped broker again and wait until the cluster's metadata lists it (it serves clients again)."""
        cluster = self._ready_cluster()
        with self._lock:
            cluster.start_broker(broker_id)
        admin = self._ready_admin()
        broker = cluster.broker(broker_id)
        deadline = time.monotonic() + (timeout or self.settings.kafka_start_timeout)
        while broker_id not in _listed(admin):
            reason = broker.exit_reason()
            if reason:
                raise BrokerControlError(f"broker {broker_id} did not come back: {reason}")
            if time.monotonic() > deadline:
                raise BrokerControlError(f"broker {broker_id} was started but did not rejoin the cluster in time")
            time.sleep(0.1)
        _say(f"broker {broker_id} started again on request")
        return self.broker_report(broker_id)

    def broker_report(self, broker_id: int) -> dict:
        return next(item for item in self.health().get("brokers", []) if item["id"] == broker_id)

    def _ready_cluster(self) -> JvmCluster:
        if not isinstance(self.broker, JvmCluster):
            backend = self.choice.backend if self.choice else "off"
            runs = "without Kafka" if backend == "off" else f"the {backend} Kafka backend"
            raise BrokerControlError(
                f"only the JVM backend's brokers can be stopped and started; this emulator runs {runs} "
                "(use --kafka jvm, with --kafka-brokers 3 for a cluster that survives a stopped broker)"
            )
        if self.state != "ready":
            raise BrokerControlError(self.error or f"Kafka is {self.state}")
        return self.broker

    def set_scram_user(self, user: str, password: str) -> None:
        """Create or replace a SASL/SCRAM-SHA-512 credential on the broker."""
        self._ready_admin().set_scram_user(user, password)

    def delete_scram_user(self, user: str) -> None:
        self._ready_admin().delete_scram_user(user)

    def _ready_admin(self) -> TopicAdmin:
        if self.admin is None or self.state != "ready":
            raise ServiceStartError(self.error or f"Kafka is {self.state}")
        return self.admin

    def stop(self) -> None:
        with self._lock:
            self._stopping.set()
        if self.admin is not None:
            self.admin.close()
            self.admin = None
        if self.broker is not None:
            self.broker.stop()
        if self._thread is not None:
            self._thread.join(timeout=30)
            self._thread = None
        if self.state != "off":
            self.state = "stopped"
        self._settled.set()  # anyone still waiting for readiness learns it will not come

    def health(self) -> dict:
        choice = self.choice
        report = {
            "up": self.state == "ready" and self._serving(),
            "state": self.state,
            "backend": choice.backend if choice else None,
            "endpoint": self.bootstrap,
            "bootstrap": self.settings.kafka_advertised or self.bootstrap,
            "reason": choice.reason if choice else None,
        }
        if self.broker is not None:
            report["listeners"] = dict(self.broker.listeners)
            report["listeners_off"] = dict(self.broker.unavailable_listeners)
            if isinstance(self.broker, JvmCluster):
                report["brokers"] = self.broker.broker_states()
                if self.broker.controller is not None:
                    report["controller"] = self.broker.controller_state()
            if self.broker.tls is not None:
                report["tls_ca_file"] = str(self.broker.tls.ca_file)
                report["tls_client_certificate"] = str(self.broker.tls.client_certificate)
                report["tls_client_key"] = str(self.broker.tls.client_key)
        if self.ready_seconds is not None:
            report["ready_seconds"] = round(self.ready_seconds, 2)
        if self.error:
            report["error"] = self.error
        return report

    def _serving(self) -> bool:
        """False only when every broker of the JVM cluster was stopped on request."""
        if not isinstance(self.broker, JvmCluster):
            return True
        return any(broker.state == "running" for broker in self.broker.brokers)

    def reset(self) -> None:
        """Delete every non-internal topic and consumer group; a broker still starting, or gone, has none."""
        if self.admin is not None and self.state == "ready":
            self.admin.reset()

    def banner(self) -> str:
        choice = self.choice
        if choice is None or choice.backend == "off":
            reason = choice.reason if choice else "not started"
            return f"Kafka is off ({reason})" + ("" if ENABLE_HINT in reason else f"; {ENABLE_HINT}")
        return (
            f"Kafka ({choice.backend}: {choice.reason}) starting in the background; "
            f"bootstrap {self.bootstrap or 'known once the container runs'} "
            "(`cloudtwin status` shows when it is ready)"
        )


def _listed(admin: TopicAdmin) -> list[int]:
    """The broker ids the metadata lists; none while the cluster cannot answer (it may be between leaders)."""
    from kafka.errors import KafkaError

    try:
        return admin.broker_ids()
    except (KafkaError, OSError):
        return []


def _say(line: str) -> None:
    """Progress a user waits on (a first download, a dead broker): straight to the terminal, not the logs."""
    log.info("kafka: %s", line)
    stream = sys.__stderr__
    if stream is not None:
        stream.write(f"cloudtwin: kafka: {line}\n")
        stream.flush()
