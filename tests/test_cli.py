"""`cloudtwin serve | status | reset | clock` as a user runs them."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import urllib.request
from contextlib import contextmanager

import pytest

from emulator.cli import main

SERVE = [sys.executable, "-m", "emulator.cli", "serve"]
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
            if "ready" in line:
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
    assert '"aws"' in capsys.readouterr().out


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
