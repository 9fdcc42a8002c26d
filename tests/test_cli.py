"""`cloudtwin serve | status | reset | clock` as a user runs them."""

from __future__ import annotations

import json
import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from contextlib import contextmanager

import pytest

from cloudtwin.cli import main

SERVE = [sys.executable, "-m", "cloudtwin.cli", "serve"]
QUIET = ["--redis-port", "-1", "--kafka", "off"]


@contextmanager
def serving(*args: str, env: dict | None = None):
    process = subprocess.Popen(
        [*SERVE, *args], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, **(env or {})},
    )  # fmt: skip
    lines = []
    try:
        for line in process.stdout:
            lines.append(line)
            if line.startswith("cloudtwin: ready"):  # not "already in use"
                break
        yield process, lines
    finally:
        if process.poll() is None:
            process.kill()
        process.wait(timeout=10)


def endpoint_of(lines: list[str]) -> str:
    match = re.search(r"AWS endpoint .* on (http://\S+)", "".join(lines))
    assert match, lines
    return match.group(1)


def test_serve_prints_a_banner_answers_and_stops_on_sigterm():
    with serving("--aws-port", "0", *QUIET) as (process, lines):
        endpoint = endpoint_of(lines)
        with urllib.request.urlopen(endpoint + "/_cloudtwin/health", timeout=10) as response:
            assert response.status == 200
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0
        assert "shutting down" in process.stdout.read()


def test_serve_stops_on_sigint():
    with serving("--aws-port", "0", *QUIET) as (process, lines):
        process.send_signal(signal.SIGINT)
        assert process.wait(timeout=10) == 0


def test_environment_sets_the_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with serving(*QUIET, env={"CLOUDTWIN_AWS_PORT": str(port)}) as (process, lines):
        assert endpoint_of(lines) == f"http://127.0.0.1:{port}"
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def test_flag_beats_environment():
    with serving("--aws-port", "0", *QUIET, env={"CLOUDTWIN_AWS_PORT": "1"}) as (process, lines):
        assert not endpoint_of(lines).endswith(":1")
        process.send_signal(signal.SIGTERM)
        process.wait(timeout=10)


def test_port_in_use_is_a_clear_error():
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = subprocess.run([*SERVE, "--aws-port", str(port), *QUIET], capture_output=True, text=True, timeout=30)
    assert result.returncode == 1
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--aws-port" in result.stderr


def test_invalid_environment_value():
    result = subprocess.run(
        [*SERVE, *QUIET], capture_output=True, text=True, timeout=30, env={**os.environ, "CLOUDTWIN_AWS_PORT": "abc"}
    )
    assert result.returncode == 2 and "CLOUDTWIN_AWS_PORT='abc'" in result.stderr


def test_status_reset_and_clock_commands(aws_endpoint_url, capsys, cloudtwin_clock):
    assert main(["status", "--endpoint", aws_endpoint_url]) == 0
    assert '"up": true' in capsys.readouterr().out
    assert main(["clock", "freeze", "1000", "--endpoint", aws_endpoint_url]) == 0
    assert main(["clock", "advance", "31", "--endpoint", aws_endpoint_url]) == 0
    assert '"now": 1031.0' in capsys.readouterr().out
    assert main(["reset", "sqs", "--endpoint", aws_endpoint_url]) == 0
    assert '"sqs"' in capsys.readouterr().out


@pytest.mark.parametrize("variable", ["AWS_ENDPOINT_URL", "CLOUDTWIN_AWS_PORT"])
def test_commands_find_the_emulator_from_the_environment(aws_endpoint_url, capsys, monkeypatch, variable):
    monkeypatch.delenv("AWS_ENDPOINT_URL", raising=False)
    monkeypatch.delenv("CLOUDTWIN_HOST", raising=False)
    value = aws_endpoint_url if variable == "AWS_ENDPOINT_URL" else aws_endpoint_url.rpartition(":")[2]
    monkeypatch.setenv(variable, value)
    assert main(["status"]) == 0
    assert aws_endpoint_url in capsys.readouterr().out


def test_the_endpoint_flag_beats_the_environment(aws_endpoint_url, capsys, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://127.0.0.1:1")
    assert main(["status", "--endpoint", aws_endpoint_url]) == 0
    assert '"up": true' in capsys.readouterr().out


def test_reset_sqs_resets_only_sqs(aws_endpoint_url, capsys, sqs_client):
    import boto3

    sns = boto3.client(
        "sns", endpoint_url=aws_endpoint_url, region_name="us-east-1", aws_access_key_id="test",
        aws_secret_access_key="test",
    )  # fmt: skip
    topic = sns.create_topic(Name="outlives-reset-sqs")["TopicArn"]
    sqs_client.create_queue(QueueName="gone-after-reset-sqs")
    assert main(["reset", "sqs", "--endpoint", aws_endpoint_url]) == 0
    assert json.loads(capsys.readouterr().out) == {"reset": ["sqs"]}
    assert "QueueUrls" not in sqs_client.list_queues(QueueNamePrefix="gone-after-reset-sqs")
    assert topic in [t["TopicArn"] for t in sns.list_topics()["Topics"]]


def test_commands_say_when_nothing_answers(capsys):
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    assert main(["status", "--endpoint", f"http://127.0.0.1:{port}"]) == 1
    assert "no emulator answers" in capsys.readouterr().err


def test_help_lists_every_setting(capsys):
    with pytest.raises(SystemExit):
        main(["serve", "--help"])
    out = capsys.readouterr().out
    for flag in ("--host", "--aws-port", "--region", "--redis-port", "--kafka"):
        assert flag in out


def occupied_port() -> socket.socket:
    """A listening socket on a free port: the port is taken for as long as it stays open."""
    taken = socket.socket()
    taken.bind(("127.0.0.1", 0))
    taken.listen()
    return taken


def test_serve_exits_when_the_redis_port_is_taken():
    with occupied_port() as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*SERVE, "--aws-port", "0", "--redis-port", str(port), "--kafka", "off"],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert result.returncode == 1, result.stdout
    assert "ready" not in result.stdout
    assert f"port {port} on 127.0.0.1 is already in use" in result.stderr
    assert "--redis-port" in result.stderr


def test_serve_exits_when_an_explicit_kafka_backend_cannot_take_its_port():
    with occupied_port() as taken:
        port = taken.getsockname()[1]
        result = subprocess.run(
            [*SERVE, "--aws-port", "0", "--redis-port", "-1", "--kafka", "jvm", "--kafka-port", str(port)],
            capture_output=True, text=True, timeout=30,
        )  # fmt: skip
    assert result.returncode == 1, result.stdout
    assert "ready" not in result.stdout
    assert f"Kafka's port {port} on 127.0.0.1 is already in use" in result.stderr


def without_java_or_maven(tmp_path) -> dict:
    """An environment where the JVM backend fails at once, before any JVM starts: no java, no mvn, no jars."""
    return {
        "PATH": str(tmp_path), "JAVA_HOME": "", "CLOUDTWIN_KAFKA_CACHE_DIR": str(tmp_path / "jars"),
        "CLOUDTWIN_KAFKA_JARS_URL": "http://127.0.0.1:9",  # nothing listens: the download fails at once
    }  # fmt: skip


def test_serve_exits_when_an_explicit_kafka_backend_fails_in_the_background(tmp_path):
    result = subprocess.run(
        [*SERVE, "--aws-port", "0", "--redis-port", "-1", "--kafka", "jvm", "--kafka-port", "0"],
        capture_output=True, text=True, timeout=30, env={**os.environ, **without_java_or_maven(tmp_path)},
    )  # fmt: skip
    assert result.returncode == 1, result.stdout
    assert "the JVM Kafka backend needs Java 17+" in result.stderr


def java_home() -> str | None:
    import shutil

    java = shutil.which("java")
    return os.path.dirname(os.path.dirname(os.path.realpath(java))) if java else None


def served_health(lines: list[str]) -> dict:
    with urllib.request.urlopen(endpoint_of(lines) + "/_cloudtwin/health", timeout=10) as response:
        return json.loads(response.read())["services"]


def test_kafka_auto_that_cannot_take_its_port_still_serves_and_says_so():
    with occupied_port() as taken:
        port = taken.getsockname()[1]
        with serving("--aws-port", "0", "--redis-port", "-1", "--kafka", "auto", "--kafka-port", str(port)) as (
            process,
            lines,
        ):
            assert process.poll() is None, "".join(lines)
            said = "".join(lines)
            assert "kafka did not start" in said and "--kafka auto is best-effort" in said
            assert f"Kafka's port {port}" in said
            kafka = served_health(lines)["kafka"]
            assert kafka["up"] is False and f"Kafka's port {port}" in kafka["error"]
            process.send_signal(signal.SIGTERM)
            assert process.wait(timeout=10) == 0


@pytest.mark.skipif(java_home() is None, reason="auto picks the JVM backend only where Java is installed")
def test_kafka_auto_that_fails_in_the_background_keeps_serving_and_says_so(tmp_path):
    env = {**without_java_or_maven(tmp_path), "JAVA_HOME": java_home()}
    with serving("--aws-port", "0", "--redis-port", "-1", "--kafka", "auto", "--kafka-port", "0", env=env) as (
        process,
        lines,
    ):
        # The background failure, said on stderr as it happens.
        said = next(line for line in process.stderr if "kafka: did not start" in line)
        assert "kafka: did not start" in said and "Maven" in said
        assert "--kafka auto is best-effort" in said
        kafka = served_health(lines)["kafka"]
        assert kafka["state"] == "failed" and "Maven" in kafka["error"]
        assert process.poll() is None
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=10) == 0


def _open_file_limit(soft: int, hard: int):
    import resource

    return lambda: resource.setrlimit(resource.RLIMIT_NOFILE, (soft, hard))


def _soft_open_file_limit(pid: int) -> int:
    with open(f"/proc/{pid}/limits") as limits:
        line = next(line for line in limits if line.startswith("Max open files"))
    return int(line.split()[3])


def test_serve_raises_the_open_file_limit_to_what_its_endpoints_admit():
    args = [*SERVE, "--aws-port", "0", "--redis-port", "0", "--kafka", "off", "--http-max-connections", "500"]
    process = subprocess.Popen(
        args, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, preexec_fn=_open_file_limit(256, 20000)
    )
    try:
        for line in process.stdout:
            if line.startswith("cloudtwin: ready"):
                break
        # 500 AWS connections, Redis' 10,000 clients and the reserve.
        assert _soft_open_file_limit(process.pid) == 500 + 10000 + 128
    finally:
        process.kill()
        process.wait(timeout=10)
    assert "open-file limit" not in process.stderr.read()


def test_serve_warns_when_the_hard_open_file_limit_is_too_low():
    result = subprocess.Popen(
        [*SERVE, "--aws-port", "0", *QUIET], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        preexec_fn=_open_file_limit(300, 400),
    )  # fmt: skip
    try:
        for line in result.stdout:
            if line.startswith("cloudtwin: ready"):
                break
        assert _soft_open_file_limit(result.pid) == 400
    finally:
        result.kill()
        result.wait(timeout=10)
    warning = result.stderr.read()
    assert "the open-file limit is 400 (ulimit -n), below the 1128" in warning
    assert "--http-max-connections (1000) need" in warning
