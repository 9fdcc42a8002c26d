"""Records of running brokers, so a start can end brokers a crashed emulator left behind."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
from dataclasses import asdict, dataclass
from pathlib import Path


@dataclass
class BrokerRecord:
    owner_pid: int
    """The emulator process that started the broker."""
    broker_pid: int
    marker: str
    """A string only this broker's command line holds (its config path), to tell it from a reused pid."""
    work_dir: str

    def save(self, records_dir: Path) -> Path:
        records_dir.mkdir(parents=True, exist_ok=True)
        path = records_dir / f"{self.broker_pid}.json"
        path.write_text(json.dumps(asdict(self)))
        return path


def reap_stale(records_dir: Path) -> list[int]:
    """End brokers whose emulator is gone and delete their files. Returns the pids ended."""
    ended = []
    for path in records_dir.glob("*.json") if records_dir.is_dir() else []:
        try:
            record = BrokerRecord(**json.loads(path.read_text()))
        except (OSError, ValueError, TypeError):
            path.unlink(missing_ok=True)
            continue
        if _alive(record.owner_pid):
            continue
        if _alive(record.broker_pid) and record.marker in _command_line(record.broker_pid):
            os.kill(record.broker_pid, signal.SIGKILL)
            ended.append(record.broker_pid)
        shutil.rmtree(record.work_dir, ignore_errors=True)
        path.unlink(missing_ok=True)
    return ended


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _command_line(pid: int) -> str:
    proc = Path(f"/proc/{pid}/cmdline")
    if proc.exists():
        return proc.read_bytes().replace(b"\0", b" ").decode(errors="replace")
    result = subprocess.run(["ps", "-o", "args=", "-p", str(pid)], capture_output=True, text=True)
    return result.stdout
