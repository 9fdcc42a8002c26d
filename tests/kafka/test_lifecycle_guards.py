"""No broker outlives its emulator: the orphan guard, and reaping what a crashed emulator left."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time

import pytest

from cloudtwin.kafka.stale import BrokerRecord, reap_stale

SLEEPER = [sys.executable, "-c", "import time; time.sleep(120)"]


def wait_gone(pid: int, seconds: float = 10.0) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        try:
            os.waitpid(pid, os.WNOHANG)  # reap it if it is our own child
        except ChildProcessError:
            pass
        time.sleep(0.05)
    return False


def start_guard() -> tuple[subprocess.Popen, int]:
    guard = subprocess.Popen(
        [sys.executable, "-m", "cloudtwin.kafka.orphan_guard", *SLEEPER], stdin=subprocess.PIPE, stdout=subprocess.PIPE
    )
    assert guard.stdout is not None
    return guard, int(guard.stdout.readline())


def test_closing_the_guards_stdin_stops_the_broker():
    guard, broker_pid = start_guard()
    assert guard.stdin is not None

    guard.stdin.close()

    assert guard.wait(10) is not None
    assert wait_gone(broker_pid)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="PR_SET_PDEATHSIG is Linux only")
def test_a_killed_guard_takes_the_broker_with_it():
    guard, broker_pid = start_guard()

    guard.send_signal(signal.SIGKILL)
    guard.wait()

    assert wait_gone(broker_pid)


def dead_pid() -> int:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_a_broker_whose_emulator_died_is_ended_and_its_files_removed(tmp_path):
    marker = str(tmp_path / "server.properties")
    broker = subprocess.Popen([*SLEEPER, marker])
    work_dir = tmp_path / "work"
    work_dir.mkdir()
    BrokerRecord(dead_pid(), broker.pid, marker, str(work_dir)).save(tmp_path / "running")

    assert reap_stale(tmp_path / "running") == [broker.pid]

    assert broker.wait(10) == -signal.SIGKILL
    assert not work_dir.exists()
    assert not list((tmp_path / "running").iterdir())


def test_a_broker_whose_emulator_lives_is_left_alone(tmp_path):
    marker = str(tmp_path / "server.properties")
    broker = subprocess.Popen([*SLEEPER, marker])
    try:
        BrokerRecord(os.getpid(), broker.pid, marker, str(tmp_path)).save(tmp_path / "running")

        assert reap_stale(tmp_path / "running") == []
        assert broker.poll() is None
    finally:
        broker.kill()
        broker.wait()


def test_a_reused_pid_is_not_killed(tmp_path):
    """The record's pid now belongs to some other process: its command line lacks the marker."""
    bystander = subprocess.Popen(SLEEPER)
    try:
        BrokerRecord(dead_pid(), bystander.pid, "/no/such/server.properties", str(tmp_path / "w")).save(
            tmp_path / "running"
        )

        assert reap_stale(tmp_path / "running") == []
        assert bystander.poll() is None
    finally:
        bystander.kill()
        bystander.wait()


def test_the_guard_starts_the_broker_at_a_lower_cpu_priority():
    guard = subprocess.Popen(
        [sys.executable, "-m", "cloudtwin.kafka.orphan_guard", "--nice", "7", *SLEEPER],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE,
    )  # fmt: skip
    assert guard.stdin is not None and guard.stdout is not None
    broker_pid = int(guard.stdout.readline())
    try:
        assert os.getpriority(os.PRIO_PROCESS, broker_pid) == min(19, os.getpriority(os.PRIO_PROCESS, 0) + 7)
    finally:
        guard.stdin.close()
        guard.wait(10)
        guard.stdout.close()
    assert wait_gone(broker_pid)
