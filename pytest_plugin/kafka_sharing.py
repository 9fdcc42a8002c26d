"""One Kafka broker for all pytest-xdist workers of a run: the first worker starts it, the rest join.

A broker dies with the process that started it, so the starting worker holds on to it at the end
of its session until every other worker that joined has left; then it removes the run's folder.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from cloudtwin.kafka.service import KafkaService

WAIT_FOR_WORKERS_SECONDS = 1800.0


class SharedBroker:
    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.bootstrap_file = directory / "bootstrap"
        self.member = directory / "members" / str(os.getpid())

    @classmethod
    def for_xdist_run(cls) -> SharedBroker | None:
        """The run's shared broker when this session is an xdist worker, else None."""
        run = os.environ.get("PYTEST_XDIST_TESTRUNUID")
        if not run or not os.environ.get("PYTEST_XDIST_WORKER"):
            return None
        return cls(Path(tempfile.gettempdir()) / f"cloudtwin-kafka-{run}")

    @contextmanager
    def _locked(self) -> Iterator[None]:
        while True:
            (self.directory / "members").mkdir(parents=True, exist_ok=True)
            with open(self.directory / "lock", "a") as lock:
                fcntl.flock(lock, fcntl.LOCK_EX)
                if self._holds(lock.fileno()):
                    yield
                    return
            # The last member removed the folder while this one waited for the lock: start again.

    def _holds(self, fd: int) -> bool:
        try:
            return os.fstat(fd).st_ino == os.stat(self.directory / "lock").st_ino
        except FileNotFoundError:
            return False

    def join(self, start: Callable[[], KafkaService]) -> tuple[str | None, KafkaService | None]:
        """(bootstrap of the running shared broker, None), or (None, the broker this worker started)."""
        with self._locked():
            if self.bootstrap_file.exists():
                self.member.touch()
                return self.bootstrap_file.read_text(), None
            try:
                service = start()
            except BaseException:  # a skip or failure too: no broker, and the folder goes if nobody uses it
                self._remove_if_unused()
                raise
            self.bootstrap_file.write_text(service.wait_ready())
            self.member.touch()
            return None, service

    def leave(self, owner: bool) -> None:
        """Leave the run; the owner first waits for every other live member to leave, then removes the folder."""
        self.member.unlink(missing_ok=True)
        if not owner:
            return
        deadline = time.monotonic() + WAIT_FOR_WORKERS_SECONDS
        while time.monotonic() < deadline:
            with self._locked():
                if self._remove_if_unused():
                    return  # latecomers start a broker (and a folder) of their own
            time.sleep(0.2)

    def _remove_if_unused(self) -> bool:
        """Remove the run's folder if no live worker is a member; called under the lock."""
        if self._live_members():
            return False
        shutil.rmtree(self.directory, ignore_errors=True)
        return True

    def _live_members(self) -> list[Path]:
        live = []
        for member in (self.directory / "members").iterdir():
            try:
                os.kill(int(member.name), 0)
                live.append(member)
            except ProcessLookupError:
                member.unlink(missing_ok=True)  # a worker that crashed never left
            except (PermissionError, ValueError):
                live.append(member)
        return live
