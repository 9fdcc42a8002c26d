"""Where no Kafka backend can run, tests that ask for Kafka skip and say why."""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

from cloudtwin.kafka import probes

KAFKA_TEST = """
def test_needs_kafka(kafka_topic):
    raise AssertionError("must not run without a broker")
"""


@pytest.mark.skipif(probes.docker_engine().ok, reason="a Docker engine answers here, so auto would pick Redpanda")
def test_kafka_tests_skip_with_the_reason_when_no_backend_can_run(tmp_path):
    (tmp_path / "test_kafka_user.py").write_text(KAFKA_TEST)
    # No java on PATH, no JAVA_HOME, no Docker socket named: auto has nothing to choose.
    environ = {key: value for key, value in os.environ.items() if key not in ("JAVA_HOME", "DOCKER_HOST")}
    environ["PATH"] = str(tmp_path)
    command = [sys.executable, "-m", "pytest", "-rs", "-p", "no:cacheprovider", str(tmp_path / "test_kafka_user.py")]

    result = subprocess.run(command, env=environ, cwd=tmp_path, capture_output=True, text=True, timeout=120)

    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 skipped" in result.stdout
    assert "no Kafka backend can run here" in result.stdout
    assert "no Java runtime" in result.stdout
    # The plugin's user passes --cloudtwin-kafka, not serve's --kafka.
    assert "or pass --cloudtwin-kafka external=HOST:PORT" in result.stdout
    assert "--kafka " not in result.stdout
