"""pytest-xdist workers of one run share one broker: two worker sessions, one JVM."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from pathlib import Path

import pytest

from emulator.kafka import probes

java = probes.java_runtime()

WORKER_TEST = """
import os
from pathlib import Path


def test_report_the_broker(kafka_service, kafka_topic):
    health = kafka_service.health()
    Path(os.environ["REPORT"]).write_text(f"{health['backend']} {health['bootstrap']} {kafka_topic}")
"""


def run_worker(tmp_path: Path, worker: str, run_id: str) -> subprocess.Popen:
    environ = {
        **os.environ,
        "PYTEST_XDIST_WORKER": worker,
        "PYTEST_XDIST_TESTRUNUID": run_id,
        "REPORT": str(tmp_path / f"{worker}.txt"),
    }
    command = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", str(tmp_path / "test_worker.py")]
    return subprocess.Popen(command, env=environ, cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


@pytest.mark.skipif(not java.ok, reason=f"the JVM backend needs Java 17+: {java.detail}")
def test_two_workers_of_one_run_use_one_broker(tmp_path):
    (tmp_path / "test_worker.py").write_text(WORKER_TEST)
    (tmp_path / "pytest.ini").write_text("[pytest]\ncloudtwin_kafka = jvm\n")
    run_id = uuid.uuid4().hex

    workers = [run_worker(tmp_path, name, run_id) for name in ("gw0", "gw1")]
    outputs = [worker.communicate(timeout=240)[0].decode() for worker in workers]

    assert all(worker.returncode == 0 for worker in workers), outputs
    reports = [(tmp_path / f"{name}.txt").read_text().split() for name in ("gw0", "gw1")]
    assert sorted(backend for backend, _, _ in reports) == ["external", "jvm"]
    assert reports[0][1] == reports[1][1]  # the same bootstrap address
    assert reports[0][2] != reports[1][2]  # isolation is by unique topic names
