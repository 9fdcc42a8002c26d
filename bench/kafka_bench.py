"""Kafka through cloudtwin: how soon the broker is ready, per-test topic cost, and throughput.

Broker ready time is measured cold (empty jar cache and empty Maven repository: what a fresh CI
machine pays once), warm (cloudtwin's JVM backend: storage template and class-data archive), and,
side by side, a plain Kafka start from the same jars (format storage, then start) as the peer, and
warm for a cluster of several brokers (`--kafka-brokers`), with the time to stop and start one of them.
Throughput is one kafka-python producer and consumer, so the pure-Python client is the limit.

Run: python bench/kafka_bench.py [--no-cold] [--warm-runs 3] [--cluster-brokers 3] [--messages 50000]
"""

from __future__ import annotations

import argparse
import os
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cloudtwin.config import Settings
from cloudtwin.kafka import probes
from cloudtwin.kafka.broker_config import BROKER_PROPERTIES
from cloudtwin.kafka.jars import KafkaJars, default_cache_dir
from cloudtwin.kafka.jvm import JVM_OPTIONS
from cloudtwin.kafka.ports import free_port
from cloudtwin.kafka.service import KafkaService


def ready_seconds(settings: Settings, environ: dict[str, str] | None = None) -> float:
    """Start a KafkaService, wait until a metadata request lists the broker, stop it."""
    saved = dict(os.environ)
    os.environ.update(environ or {})
    try:
        service = KafkaService(settings)
        started = time.perf_counter()
        service.start()
        service.wait_ready()
        elapsed = time.perf_counter() - started
        service.stop()
        return elapsed
    finally:
        os.environ.clear()
        os.environ.update(saved)


def plain_kafka_ready_seconds(jars: KafkaJars) -> float:
    """The peer: what starting Kafka the usual way costs (kafka-storage format, then kafka-server-start)."""
    from kafka import KafkaAdminClient

    work = Path(tempfile.mkdtemp(prefix="plain-kafka-"))
    port, controller = free_port(), free_port()
    properties = {
        **BROKER_PROPERTIES,
        "controller.quorum.voters": f"1@127.0.0.1:{controller}",
        "listeners": f"PLAINTEXT://127.0.0.1:{port},CONTROLLER://127.0.0.1:{controller}",
        "listener.security.protocol.map": "PLAINTEXT:PLAINTEXT,CONTROLLER:PLAINTEXT",
        "advertised.listeners": f"PLAINTEXT://127.0.0.1:{port}",
        "log.dirs": str(work / "data"),
    }
    config = work / "server.properties"
    config.write_text("".join(f"{key}={value}\n" for key, value in properties.items()))
    java = [probes.java_executable(), *JVM_OPTIONS, "-cp", jars.classpath]
    started = time.perf_counter()
    cluster_id = "--cluster-id=benchbenchbenchbenchbA"
    format_storage = [*java, "kafka.tools.StorageTool", "format", cluster_id, "-c", str(config)]
    subprocess.run(format_storage, check=True, capture_output=True)
    broker = subprocess.Popen([*java, "kafka.Kafka", str(config)], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.02)
        admin = KafkaAdminClient(bootstrap_servers=f"127.0.0.1:{port}")
        while not admin.describe_cluster()["brokers"]:
            time.sleep(0.02)
        elapsed = time.perf_counter() - started
        admin.close()
        return elapsed
    finally:
        broker.terminate()
        broker.wait(30)
        shutil.rmtree(work, ignore_errors=True)


def cluster_seconds(brokers: int) -> tuple[float, float, float]:
    """(ready, stop one broker, start it until it serves again) in seconds, for a cluster of `brokers`."""
    service = KafkaService(Settings(kafka="jvm", kafka_port=0, kafka_brokers=brokers))
    started = time.perf_counter()
    service.start()
    try:
        service.wait_ready()
        ready = time.perf_counter() - started
        started = time.perf_counter()
        service.stop_broker(brokers)
        stopped = time.perf_counter() - started
        started = time.perf_counter()
        service.start_broker(brokers)
        return ready, stopped, time.perf_counter() - started
    finally:
        service.stop()


def topic_create_delete_ms(service: KafkaService, rounds: int) -> list[float]:
    assert service.admin is not None
    timings = []
    for n in range(rounds):
        started = time.perf_counter()
        service.admin.create_topic(f"bench-topic-{n}", partitions=1)
        service.admin.delete_topics([f"bench-topic-{n}"])
        timings.append((time.perf_counter() - started) * 1000)
    return timings


def throughput(bootstrap: str, service: KafkaService, messages: int, size: int) -> tuple[float, float]:
    """(produced per second, consumed per second) for one topic of 3 partitions."""
    from kafka import KafkaConsumer, KafkaProducer

    assert service.admin is not None
    service.admin.create_topic("bench-throughput", partitions=3)
    payload = b"x" * size
    producer = KafkaProducer(bootstrap_servers=bootstrap, acks=1, linger_ms=5, batch_size=256 * 1024)
    started = time.perf_counter()
    for _ in range(messages):
        producer.send("bench-throughput", payload)
    producer.flush()
    produced = messages / (time.perf_counter() - started)
    producer.close()

    consumer = KafkaConsumer(
        "bench-throughput", bootstrap_servers=bootstrap, auto_offset_reset="earliest", group_id="bench",
        max_poll_records=5000, fetch_max_bytes=64 * 1024 * 1024,
    )  # fmt: skip
    started, seen = time.perf_counter(), 0
    while seen < messages:
        for records in consumer.poll(timeout_ms=1000).values():
            seen += len(records)
    consumed = messages / (time.perf_counter() - started)
    consumer.close()
    service.admin.delete_topics(["bench-throughput"])
    return produced, consumed


def row(name: str, value: str, note: str = "") -> None:
    print(f"| {name:<52} | {value:>14} | {note}")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--no-cold", action="store_true", help="skip the cold start (it downloads ~65 MB)")
    parser.add_argument("--warm-runs", type=int, default=3)
    parser.add_argument("--cluster-brokers", type=int, default=3, help="brokers of the cluster measured; 0 skips")
    parser.add_argument("--topic-rounds", type=int, default=50)
    parser.add_argument("--messages", type=int, default=50_000)
    parser.add_argument("--size", type=int, default=100, help="bytes per message")
    args = parser.parse_args()
    if not probes.java_runtime().ok:
        print(f"kafka_bench: the JVM backend cannot run here: {probes.java_runtime().detail}", file=sys.stderr)
        return 1
    warm = Settings(kafka="jvm", kafka_port=0)
    jars = KafkaJars(default_cache_dir())
    jars.ensure()
    print(f"Kafka {jars.version} on the JVM backend, {os.cpu_count()} CPUs, load average {os.getloadavg()[0]:.1f}\n")
    print(f"| {'measure':<52} | {'value':>14} | note")
    print(f"|{'-' * 54}|{'-' * 16}|------")

    if not args.no_cold:
        with tempfile.TemporaryDirectory(prefix="cold-") as cold:
            seconds = ready_seconds(
                Settings(kafka="jvm", kafka_port=0, kafka_cache_dir=f"{cold}/cache"),
                {"MAVEN_OPTS": f"-Dmaven.repo.local={cold}/m2"},
            )
        row("broker ready, cold (download jars, format, start)", f"{seconds:.1f} s", "once per machine")
    ready_seconds(warm)  # a first warm start writes the class-data archive the later ones use
    warm_times = [ready_seconds(warm) for _ in range(args.warm_runs)]
    row("broker ready, warm (cloudtwin)", f"{statistics.median(warm_times):.2f} s",
        f"median of {args.warm_runs}; target < 8 s")  # fmt: skip
    plain = [plain_kafka_ready_seconds(jars) for _ in range(args.warm_runs)]
    row("broker ready, plain Kafka start (peer)", f"{statistics.median(plain):.2f} s", "format + start, same jars")
    if args.cluster_brokers > 1:
        runs = [cluster_seconds(args.cluster_brokers) for _ in range(args.warm_runs)]
        ready, stopped, back = (statistics.median(run[index] for run in runs) for index in range(3))
        brokers = args.cluster_brokers
        row(f"{brokers} brokers ready, warm (--kafka-brokers {brokers})", f"{ready:.2f} s",
            f"median of {args.warm_runs}; {brokers} broker JVMs and a controller")  # fmt: skip
        row(f"stop one of {brokers} brokers", f"{stopped:.2f} s", "clean shutdown, leaders move")
        row("start it again, until it serves", f"{back:.2f} s", "JVM start + rejoin (unfenced)")

    service = KafkaService(warm)
    service.start()
    bootstrap = service.wait_ready()
    try:
        timings = topic_create_delete_ms(service, args.topic_rounds)
        row("topic create + delete", f"{statistics.median(timings):.0f} ms",
            f"median of {args.topic_rounds}, p95 {sorted(timings)[int(len(timings) * 0.95) - 1]:.0f} ms; "
            "target < 100 ms")  # fmt: skip
        produced, consumed = throughput(bootstrap, service, args.messages, args.size)
        row(f"produce, {args.size} B messages (kafka-python, acks=1)", f"{produced:,.0f} msg/s",
            f"{produced * args.size / 1e6:.1f} MB/s")  # fmt: skip
        row(f"consume, {args.size} B messages (kafka-python)", f"{consumed:,.0f} msg/s",
            f"{consumed * args.size / 1e6:.1f} MB/s")  # fmt: skip
    finally:
        service.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
