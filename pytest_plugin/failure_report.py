"""A failing test's report shows what it left in the twin: queues, the requests it made, Redis keys, topics.

The state is read right after the test body fails, before its fixtures delete queues and topics.
Everything comes from the admin API (the in-process twin serves it too) and the test's own Redis and
Kafka endpoints, so it reads the same against a CI service container. `--cloudtwin-report=off`
(ini `cloudtwin_report = off`) turns it off; passing tests cost nothing but a timestamp.
"""

from __future__ import annotations

import datetime
import time
from collections.abc import Callable
from typing import Any

import pytest

from cloudtwin.pytest_plugin.twin import Twin, running_twin

SECTION = "cloudtwin state"
LAST_REQUESTS = 12
NEWEST_MESSAGES = 3
REDIS_KEYS = 10
KAFKA_TOPICS_KEY = pytest.StashKey[list[str]]()
"""Topics the test made with kafka_topic_factory; read by the report."""
_STARTED = pytest.StashKey[float]()
_FIXTURES = {
    "cloudtwin", "aws_endpoint_url", "sqs_client", "sqs_queue", "sqs_fifo_queue", "cloudtwin_clock",
    "cloudtwin_aws_env", "redis_client", "redis_client_factory", "redis_endpoint",
}  # fmt: skip


def report_enabled(config: pytest.Config) -> bool:
    from cloudtwin.pytest_plugin.plugin import cloudtwin_option

    value = str(cloudtwin_option(config, "report")).strip().lower()
    if value not in ("on", "off", "true", "false", "1", "0", "yes", "no"):
        raise pytest.UsageError(f"--cloudtwin-report={value!r}: use on or off")
    return value in ("on", "true", "1", "yes")


def _uses_twin(item: pytest.Item) -> bool:
    from cloudtwin.pytest_plugin.plugin import cloudtwin_option

    names = getattr(item, "fixturenames", ())
    if any(name in _FIXTURES or name.startswith("kafka_") for name in names):
        return True
    return str(cloudtwin_option(item.config, "aws_env")).lower() in ("1", "true", "yes", "on")


def pytest_runtest_setup(item: pytest.Item) -> None:
    if not report_enabled(item.config) or not _uses_twin(item):
        return
    item.stash[_STARTED] = time.time()
    from cloudtwin.pytest_plugin.twin import external_twin

    twin = external_twin(item.config)
    if twin is not None and not twin.recording_asked:
        twin.recording_asked = True  # once per session; a target that is no cloudtwin simply has no log
        if twin.not_a_cloudtwin() is None:
            twin.post("requests", {"record": True})


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    outcome = yield
    report = outcome.get_result()
    if call.when != "call" or not report.failed or _STARTED not in item.stash:
        return
    text = describe_state(item, item.stash[_STARTED])
    if text:
        report.sections.append((SECTION, text))


def describe_state(item: pytest.Item, started: float) -> str:
    """The report's text; each service's part says on its own line if it could not be read."""
    parts: list[list[str]] = []
    twin = running_twin(item.config)
    if twin is not None and twin.not_a_cloudtwin() is None:
        parts.append(_part("SQS", lambda: _sqs_and_clock(twin, item, started)))
    values: dict[str, Any] = getattr(item, "funcargs", {})
    if "redis_client" in values and "redis_endpoint" in values:
        parts.append(_part("Redis", lambda: _redis(values["redis_endpoint"])))
    topics = item.stash.get(KAFKA_TOPICS_KEY, [])
    if topics and "kafka_bootstrap" in values:
        parts.append(_part("Kafka", lambda: _kafka(values["kafka_bootstrap"], topics)))
    return "\n".join(line for part in parts for line in part)


def _part(name: str, describe: Callable[[], list[str]]) -> list[str]:
    try:
        return describe()
    except Exception as exc:  # one unreadable service must not hide the others, nor the test's own failure
        return [f"{name}: could not read its state: {type(exc).__name__}: {exc}"]


# -- SQS, requests and clock ---------------------------------------------------------------


def _sqs_and_clock(twin: Twin, item: pytest.Item, started: float) -> list[str]:
    log = twin.get("requests", since=started, limit=LAST_REQUESTS)
    requests = log["requests"]
    names = {entry["queue"] for entry in requests if entry["queue"] and entry["service"] in ("sqs", "")}
    for fixture in ("sqs_queue", "sqs_fifo_queue"):
        url = getattr(item, "funcargs", {}).get(fixture)
        if isinstance(url, str):
            names.add(url.rstrip("/").rpartition("/")[2])
    lines: list[str] = []
    if names:
        queues = twin.get("queues", names=",".join(sorted(names)), messages=NEWEST_MESSAGES)["queues"]
        lines += _queue_lines(queues, names)
    if log["recording"] and requests:
        shown = f"last {len(requests)} of {log['count']}" if log["count"] > len(requests) else str(log["count"])
        lines.append(f"AWS requests during the test ({shown}):")
        lines += _table([_request_row(entry, started) for entry in requests], indent="  ")
    clock = twin.get("clock")
    ahead = clock["now"] - time.time()
    if clock["frozen"] or abs(ahead) > 1.0:
        at = datetime.datetime.fromtimestamp(clock["now"], datetime.UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        state = "frozen at" if clock["frozen"] else "running at"
        offset = f" ({_seconds(ahead)} {'ahead of' if ahead >= 0 else 'behind'} wall time)" if abs(ahead) > 1 else ""
        lines.append(f"Clock: {state} {at}{offset}")
    return lines


def _queue_lines(queues: list[dict], names: set[str]) -> list[str]:
    if not queues:
        return [f"SQS: no queue named {', '.join(sorted(names))} exists now"]
    lines = ["SQS queues:"]
    repeated = {queue["name"] for queue in queues if sum(q["name"] == queue["name"] for q in queues) > 1}
    for queue in queues:
        kind = "FIFO" if queue["fifo"] else "standard"
        where = f", {queue['region']}, account {queue['account']}" if queue["name"] in repeated else ""
        lines.append(
            f"  {queue['name']} ({kind}{where}): {queue['visible']} visible, {queue['in_flight']} in flight, "
            f"{queue['delayed']} delayed"
        )
        rows = [
            [
                "   ",
                message["id"],
                message["state"],
                f"received {message['receive_count']}x",
                *([f"group {message['group']}"] if message["group"] else []),
                _preview(message["body"], message["body_chars"]),
            ]
            for message in queue["newest_messages"]
        ]
        if rows:
            lines.append("    newest messages:")
            lines += _table(rows, indent="  ")
    return lines


def _request_row(entry: dict, started: float) -> list[str]:
    action = entry["action"] if entry["service"] in ("sqs", "") else f"{entry['service']}:{entry['action']}"
    result = str(entry["status"]) + (f" {entry['error']}" if entry["error"] else "")
    return [f"+{entry['time'] - started:.3f}s", action, entry["queue"] or "-", result]


# -- Redis -----------------------------------------------------------------------------------

_SIZE: dict[str, tuple[str, str]] = {
    "string": ("STRLEN", "bytes"),
    "list": ("LLEN", "items"),
    "hash": ("HLEN", "fields"),
    "set": ("SCARD", "members"),
    "zset": ("ZCARD", "members"),
    "stream": ("XLEN", "entries"),
}


def _redis(endpoint) -> list[str]:
    import redis

    client = redis.Redis(**{**endpoint.client_kwargs(), "socket_timeout": 5})
    try:
        if endpoint.shared:
            databases = [endpoint.db]  # the worker's own; others belong to other workers
        else:
            databases = sorted(int(name[2:]) for name in client.info("keyspace") if name.startswith("db"))
        lines: list[str] = []
        for db in databases:
            client.execute_command("SELECT", db)
            lines += _redis_database(client, db)
        return lines or ["Redis: no keys"]
    finally:
        client.close()


def _redis_database(client, db: int) -> list[str]:
    keys: list[bytes] = []
    for key in client.scan_iter(count=1000):
        keys.append(key)
        if len(keys) >= 1000:
            break
    if not keys:
        return []
    total = client.dbsize()
    shown = sorted(keys)[:REDIS_KEYS]
    with client.pipeline(transaction=False) as pipe:
        for key in shown:
            pipe.type(key)
            pipe.pttl(key)
        answers = pipe.execute()
    kinds = [kind.decode() if isinstance(kind, bytes) else kind for kind in answers[0::2]]
    with client.pipeline(transaction=False) as pipe:
        for key, kind in zip(shown, kinds, strict=True):
            pipe.execute_command(_SIZE.get(kind, ("EXISTS", ""))[0], key)
        sizes = pipe.execute()
    rows = []
    for key, kind, ttl_ms, size in zip(shown, kinds, answers[1::2], sizes, strict=True):
        unit = _SIZE.get(kind, ("", ""))[1]
        ttl = "no TTL" if ttl_ms < 0 else f"TTL {_seconds(ttl_ms / 1000)}"
        rows.append([_key(key), kind, f"{size} {unit}".strip(), ttl])
    more = f", {total - len(shown)} more not shown" if total > len(shown) else ""
    return [f"Redis db {db}: {total} key{'s' if total != 1 else ''}{more}", *_table(rows, indent="  ")]


# -- Kafka -----------------------------------------------------------------------------------


def _kafka(bootstrap: str, topics: list[str]) -> list[str]:
    from kafka import KafkaConsumer, TopicPartition

    consumer = KafkaConsumer(bootstrap_servers=bootstrap, request_timeout_ms=5000)
    try:
        rows = []
        for topic in topics:
            partitions = sorted(consumer.partitions_for_topic(topic) or ())
            if not partitions:
                rows.append([topic, "(gone)"])
                continue
            ends = consumer.end_offsets([TopicPartition(topic, p) for p in partitions])
            offsets = ", ".join(f"p{p}={ends[TopicPartition(topic, p)]}" for p in partitions)
            rows.append([topic, f"end offsets {offsets}"])
        return ["Kafka topics:", *_table(rows, indent="  ")]
    finally:
        consumer.close()


# -- text --------------------------------------------------------------------------------------


def _table(rows: list[list[str]], indent: str) -> list[str]:
    """Rows with columns padded to line up."""
    if not rows:
        return []
    widths = [max(len(row[i]) for row in rows if i < len(row)) for i in range(max(map(len, rows)))]
    return [indent + "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(row)).rstrip() for row in rows]


def _preview(body: str, length: int) -> str:
    shown = body.replace("\n", "\\n")
    return repr(shown) + (f"... ({length} chars)" if length > len(body) else "")


def _key(key: bytes) -> str:
    text = key.decode("utf-8", "backslashreplace")
    return text if len(text) <= 60 else text[:57] + "..."


def _seconds(value: float) -> str:
    value = abs(value)
    return f"{value:.0f} s" if value >= 10 or value == int(value) else f"{value:.1f} s"
