"""pytest-xdist workers of one run share one broker: two worker sessions, one JVM."""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import uuid
from pathlib import Path

import pytest

from cloudtwin.kafka import probes
from cloudtwin.pytest_plugin.kafka_sharing import SharedBroker

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
    assert not (Path(tempfile.gettempdir()) / f"cloudtwin-kafka-{run_id}").exists()  # the run's folder is gone


class StubBroker:
    def wait_ready(self) -> str:
        return "127.0.0.1:9092"


def test_the_last_worker_to_leave_removes_the_runs_folder(tmp_path):
    directory = tmp_path / "cloudtwin-kafka-run"
    owner = SharedBroker(directory)
    bootstrap, service = owner.join(StubBroker)
    assert bootstrap is None and isinstance(service, StubBroker)
    assert SharedBroker(directory).bootstrap_file.read_text() == "127.0.0.1:9092"
    owner.leave(owner=True)
    assert not directory.exists()


def test_a_worker_whose_broker_cannot_start_leaves_no_folder(tmp_path):
    directory = tmp_path / "cloudtwin-kafka-run"

    def cannot_start():
        raise RuntimeError("no backend")

    with pytest.raises(RuntimeError):
        SharedBroker(directory).join(cannot_start)
    assert not directory.exists()
