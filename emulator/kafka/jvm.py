"""Apache Kafka on the JVM: one KRaft node (broker, controller or both) on 127.0.0.1, no Docker.

A broker's listeners are MSK's (plaintext, TLS, mutual TLS, SASL/SCRAM, IAM): see listeners.py.
cluster.py puts one or more nodes together.
"""

from __future__ import annotations

import base64
import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from cloudtwin.kafka import probes
from cloudtwin.kafka.broker_config import IDENTITY, SIZING, TIMING
from cloudtwin.kafka.exit_report import describe_exit, last_error
from cloudtwin.kafka.iam_plugin import LOGIN_MODULE, TOKEN_VALIDATOR, ensure_plugin
from cloudtwin.kafka.jars import KafkaJars
from cloudtwin.kafka.listeners import IAM, PLAINTEXT, ListenerPlan
from cloudtwin.kafka.orphan_guard import EXIT_PREFIX
from cloudtwin.kafka.ports import free_port
from cloudtwin.kafka.stale import BrokerRecord, reap_stale
from cloudtwin.service import ServiceStartError

if TYPE_CHECKING:
    from cloudtwin.kafka.tls import TlsMaterial

JVM_OPTIONS = [
    "-Xms128m",
    "-Xmx512m",
    "-XX:+UseSerialGC",  # fewest GC threads: this broker shares a small machine with the tests
    # C1 only: a test broker never runs long enough for C2 to pay off, and C2's compiling is about a third of
    # the start-up CPU that competes with the endpoints (JVM CPU at ready 1.8-2.0 s, not 2.7-3.4 s: bench/).
    "-XX:TieredStopAtLevel=1",
    "-XX:+ExitOnOutOfMemoryError",
    "-Xshare:auto",
    "-Djava.awt.headless=true",
    "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn",
    "-Dorg.slf4j.simpleLogger.showDateTime=true",
]
LOG_TAIL_LINES = 8
STOP_SECONDS = 20.0
# A JVM ends with 128 + 15 when SIGTERM ran its shutdown hooks; the guard passes the code on.
CLEAN_EXIT_CODES = (0, 143)
COMBINED = "broker,controller"
CONTROLLER_ONLY = "controller"
BROKER_ONLY = "broker"


@dataclass(frozen=True)
class NodeRuntime:
    """What every node of a cluster shares, prepared once: the IAM plugin and the TLS material."""

    plugin_jar: Path | None
    iam_unavailable: str | None
    """Why the IAM listener is off, when the plugin could not be built."""
    tls: TlsMaterial


def prepare_runtime(
    jars: KafkaJars, records_dir: Path, advertised_host: str, progress: Callable[[str], None]
) -> NodeRuntime:
    """Java, the jars (fetched if needed), brokers a dead emulator left behind ended, the plugin, the TLS files."""
    java = probes.java_runtime()
    if not java.ok:
        raise ServiceStartError(
            f"the JVM Kafka backend needs Java 17+: {java.detail}; install a JDK 17+ "
            "(e.g. apt-get install openjdk-17-jre-headless) or set JAVA_HOME"
        )
    jars.ensure(progress)
    ended = reap_stale(records_dir)
    if ended:
        progress(f"ended {len(ended)} Kafka JVM(s) left behind by an emulator that died: pids {ended}")
    plugin = ensure_plugin(jars)
    if plugin.unavailable:
        progress(f"the IAM listener is off: {plugin.unavailable}")
    # Here, not at import: cryptography would add ~0.1 s to the emulator's start for a broker that may not run.
    from cloudtwin.kafka.tls import tls_material

    tls = tls_material(jars.cache_dir, sorted({advertised_host, "127.0.0.1", "localhost"}))
    return NodeRuntime(plugin.jar, plugin.unavailable, tls)


class JvmBroker:
    backend = "jvm"

    def __init__(
        self,
        jars: KafkaJars,
        plan: ListenerPlan,
        records_dir: Path,
        progress: Callable[[str], None] = lambda line: None,
        nice: int = 0,
        account_id: str = "000000000000",
        overrides: dict[str, str] | None = None,
        node_id: int = 1,
        roles: str = COMBINED,
        voters: str | None = None,
    ) -> None:
        """`account_id`: the account an IAM client's access key maps to unless it is a 12-digit account id;
        `overrides`: server.properties set over the twin's (broker_config.parse_overrides checked them);
        `roles`: KRaft process.roles; `voters`: controller.quorum.voters (default: this node itself)."""
        self.jars = jars
        self.node_id = node_id
        self.roles = roles
        self.voters = voters
        self.halted = False
        """Stopped on purpose (a fault test) with its data kept for resume()."""
        self.nice = nice
        self.account_id = account_id
        self.overrides = dict(overrides or {})
        self.plan = plan
        self.host = plan.host
        self.port = plan.ports.get(PLAINTEXT.name)
        self.tls: TlsMaterial | None = None
        self.kafka_version = jars.version
        self._plugin_jar: Path | None = None
        self.records_dir = records_dir
        self.progress = progress
        self.work_dir: Path | None = None
        self.process: subprocess.Popen | None = None
        self.broker_pid: int | None = None
        self._broker_status: int | None = None
        self._pending_archive: Path | None = None

    @property
    def bootstrap(self) -> str:
        return f"{advertised_host(self.host)}:{self.port}"

    @property
    def listeners(self) -> dict[str, str]:
        """Listener name → HOST:PORT for each listener this broker opens."""
        return self.plan.endpoints

    @property
    def unavailable_listeners(self) -> dict[str, str]:
        """Listener name → why this broker does not open it."""
        return self.plan.unavailable

    @property
    def log_path(self) -> Path | None:
        return self.work_dir / "broker.log" if self.work_dir else None

    @property
    def state(self) -> str:
        """running, stopped (on purpose, resumable), exited (on its own) or not started."""
        if self.halted:
            return "stopped"
        if self.process is None:
            return "not started"
        return "running" if self.process.poll() is None else "exited"

    def launch(self, runtime: NodeRuntime) -> None:
        """Write the configuration, copy formatted storage and launch the JVM; readiness is checked by the caller."""
        self._plugin_jar = runtime.plugin_jar
        if runtime.iam_unavailable and IAM.name in self.plan.ports:
            self.plan = self.plan.without(IAM.name, runtime.iam_unavailable)
        self.tls = runtime.tls
        self.work_dir = Path(tempfile.mkdtemp(prefix="cloudtwin-kafka-"))
        config = self._write_config(
            self.work_dir / "server.properties", self.work_dir / "data", self.plan.controller_port, secured=True
        )
        shutil.copytree(self.storage_template(), self.work_dir / "data")
        _set_node_identity(self.work_dir / "data" / "meta.properties", self.node_id)
        self._launch(config)

    def server_properties(self, log_dir: Path, controller_port: int, secured: bool = True) -> dict[str, str]:
        """The node's configuration: the twin's, its role and listeners, then the overrides.

        When not `secured`, that of a lone node 1 with plaintext and no overrides: formatting storage needs
        no more, and the formatted storage serves every node (see storage_template).
        """
        if not secured:
            assert self.port is not None, "storage is formatted with a broker's configuration"
            plan = ListenerPlan(self.host, self.plan.advertised_host, {PLAINTEXT.name: self.port}, {})
            return {
                **IDENTITY,
                **SIZING,
                **TIMING,
                "controller.quorum.voters": f"1@127.0.0.1:{controller_port}",
                **plan.server_properties(controller_port, None, None, None),
                "log.dirs": str(log_dir),
            }
        identity = {**IDENTITY, "process.roles": self.roles, "node.id": str(self.node_id)}
        if self.roles == CONTROLLER_ONLY:
            del identity["inter.broker.listener.name"]  # a controller alone has no broker listener
        return {
            **identity,
            **SIZING,
            **TIMING,
            "controller.quorum.voters": self.voters or f"{self.node_id}@127.0.0.1:{controller_port}",
            **self.plan.server_properties(
                controller_port, self.tls, LOGIN_MODULE, TOKEN_VALIDATOR, controller=self.roles != BROKER_ONLY
            ),
            "log.dirs": str(log_dir),
            **self.overrides,
        }

    def _write_config(self, path: Path, log_dir: Path, controller_port: int, secured: bool = False) -> Path:
        properties = self.server_properties(log_dir, controller_port, secured)
        path.write_text("".join(f"{key}={value}\n" for key, value in properties.items()))
        return path

    @property
    def classpath(self) -> str:
        return os.pathsep.join([self.jars.classpath, *([str(self._plugin_jar)] if self._plugin_jar else [])])

    def _java(self, main_class: str, *args: str, class_archive: Sequence[str] = ()) -> list[str]:
        account = f"-Dcloudtwin.msk.default-account={self.account_id}"
        return [
            probes.java_executable(),
            *JVM_OPTIONS,
            account,
            *class_archive,
            "-cp",
            self.classpath,
            main_class,
            *args,
        ]

    def storage_template(self) -> Path:
        """KRaft storage formatted once per Kafka release and copied for each node.

        Formatting is a JVM start of its own (a second or more); with static controller voters the
        formatted directory names no port, so one copy serves every node once its node id is set.
        """
        template = self.jars.lib_dir.parent / "storage-template"
        if template.is_dir():
            return template
        with open(template.parent / "storage-template.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not template.is_dir():
                staging = Path(tempfile.mkdtemp(prefix="format-", dir=template.parent))
                try:
                    config = self._write_config(staging / "server.properties", staging / "data", free_port())
                    self._format(config)
                    os.rename(staging / "data", template)
                finally:
                    shutil.rmtree(staging, ignore_errors=True)
        return template

    def _format(self, config: Path) -> None:
        # `--cluster-id=` form: a base64 id may start with "-", which would read as an option.
        cluster_id = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        command = self._java("kafka.tools.StorageTool", "format", f"--cluster-id={cluster_id}", "-c", str(config))
        result = subprocess.run(command, capture_output=True, text=True, errors="replace", timeout=120)
        if result.returncode != 0:
            tail = _last_lines(result.stdout + result.stderr)
            raise ServiceStartError(
                f"formatting Kafka's KRaft storage failed: {tail}; "
                f"delete {self.jars.lib_dir.parent} to fetch the jars again if they are damaged"
            )

    def _class_archive(self) -> list[str]:
        """JVM options for a class-data-sharing archive of Kafka's classes: about a second off each start.

        The first broker records the archive when it exits; later ones map it.
        """
        # An archive fits only the JVM and the classpath that recorded it.
        plugin = f"-{self._plugin_jar.stem}" if self._plugin_jar else ""
        archive = self.jars.lib_dir.parent / f"classes-{probes.java_fingerprint()}{plugin}.jsa"
        if archive.is_file():
            return [f"-XX:SharedArchiveFile={archive}"]
        self._pending_archive = archive.with_name(f"{archive.name}.{os.getpid()}-{self.port}.partial")
        return [f"-XX:ArchiveClassesAtExit={self._pending_archive}"]

    def _keep_class_archive(self, exit_code: int | None) -> None:
        """Publish the archive a JVM wrote on a clean exit; one cut short by a kill is dropped."""
        pending, self._pending_archive = self._pending_archive, None
        if pending is None or not pending.exists():
            return
        if exit_code in CLEAN_EXIT_CODES:
            os.replace(pending, pending.with_name(pending.name.split(".jsa.")[0] + ".jsa"))
        else:
            pending.unlink(missing_ok=True)

    def _launch(self, config: Path) -> None:
        assert self.log_path is not None
        broker = self._java("kafka.Kafka", str(config), class_archive=self._class_archive())
        # Same interpreter and environment as this process, which found cloudtwin (installed, editable or on
        # PYTHONPATH): the guard is imported from the same place.
        guard = [sys.executable, "-m", "cloudtwin.kafka.orphan_guard", "--nice", str(self.nice), *broker]
        with open(self.log_path, "ab") as log:  # a resumed node logs on after its earlier life
            self.process = subprocess.Popen(
                guard, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log, cwd=self.work_dir
            )
        assert self.process.stdout is not None
        first_line = self.process.stdout.readline().strip()
        if not first_line.isdigit():
            raise ServiceStartError(f"the Kafka JVM did not start: {self.exit_reason() or 'no pid reported'}")
        self.broker_pid = int(first_line)
        BrokerRecord(os.getpid(), self.broker_pid, str(config), str(self.work_dir)).save(self.records_dir)

    def exit_reason(self) -> str | None:
        """None while the JVM runs; how it ended and the last error it logged once it has."""
        if self.process is None or self.process.poll() is None:
            return None
        if self._broker_status is None:
            self._broker_status = self._read_broker_status()
        log = self.log_path.read_text(errors="replace") if self.log_path and self.log_path.exists() else ""
        error = last_error(log)
        return f"the Kafka JVM {describe_exit(self._broker_status, log)}; " + (
            f"its last error: {error}" if error else "it logged no error"
        )

    def _read_broker_status(self) -> int:
        """The JVM's own status, which the guard reports on its last line; else the guard's exit code."""
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout.read().decode(errors="replace").splitlines():
            if line.startswith(EXIT_PREFIX) and line[len(EXIT_PREFIX) :].lstrip("-").isdigit():
                return int(line[len(EXIT_PREFIX) :])
        return self.process.returncode

    def request_stop(self) -> None:
        """Tell the JVM to shut down without waiting, so several nodes shut down at once."""
        if self.process is not None and self.process.stdin is not None and not self.process.stdin.closed:
            self.process.stdin.close()  # the guard's cue to stop the JVM (SIGTERM: a clean shutdown)

    def halt(self) -> None:
        """Shut the JVM down cleanly (a broker hands its leaderships over first) and keep its data for resume()."""
        self.halted = True  # first: the JVM's exit must not read as a crash to whoever watches it
        self._end_process()

    def resume(self) -> None:
        """Start a halted node again on its own data: it rejoins as the same broker and catches up."""
        if not self.halted or self.work_dir is None:
            raise RuntimeError(f"node {self.node_id} is {self.state}, not stopped")
        self.halted = False
        self._broker_status = None
        self._launch(self.work_dir / "server.properties")

    def stop(self) -> None:
        self._end_process()
        self.halted = False
        if self.work_dir is not None:
            shutil.rmtree(self.work_dir, ignore_errors=True)
            self.work_dir = None

    def _end_process(self) -> None:
        if self.process is not None:
            self.request_stop()
            try:
                self.process.wait(STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            self._keep_class_archive(self.process.returncode)
            self._broker_status = None
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None
        if self.broker_pid is not None:
            (self.records_dir / f"{self.broker_pid}.json").unlink(missing_ok=True)
            self.broker_pid = None


def _set_node_identity(meta_properties: Path, node_id: int) -> None:
    """Give copied storage this node's id and a directory id of its own (Kafka refuses a log directory whose
    meta.properties names another node)."""
    lines = []
    for line in meta_properties.read_text().splitlines():
        key = line.partition("=")[0].strip()
        if key == "node.id":
            line = f"node.id={node_id}"
        elif key == "directory.id":
            line = f"directory.id={_kafka_uuid()}"
        lines.append(line)
    meta_properties.write_text("\n".join(lines) + "\n")


def _kafka_uuid() -> str:
    """A random id as Kafka writes one: base64url without padding, never starting with '-' (as Kafka's own)."""
    while True:
        text = base64.urlsafe_b64encode(uuid.uuid4().bytes).decode().rstrip("=")
        if not text.startswith("-"):
            return text


def advertised_host(host: str) -> str:
    """An address clients can dial: a wildcard bind is reached through loopback."""
    return "127.0.0.1" if host in ("", "0.0.0.0", "::") else host


def _last_lines(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(lines[-LOG_TAIL_LINES:])
