"""Runs a broker process and ends it when the emulator that started it goes away.

`python -m cloudtwin.kafka.orphan_guard [--nice N] COMMAND...`: the emulator holds the write end of this
process's stdin. When it closes (a clean stop, or the emulator killed with SIGKILL), the guard
stops the broker: SIGTERM, then SIGKILL after a grace period. The broker's pid is the first line
on stdout and `exit <status>` the last, with Popen's status (negative: killed by that signal),
which the guard's own exit code cannot carry. On Linux the broker also gets PR_SET_PDEATHSIG,
in case the guard itself is killed. `--nice N` lowers the broker's CPU priority (and the guard's,
which only waits): set here because the guard is single-threaded, unlike the emulator.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import threading

GRACE_SECONDS = 15.0
EXIT_PREFIX = "exit "
_PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:
    if sys.platform.startswith("linux"):
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)


class _Stopped(Exception):
    """SIGTERM arrived; it interrupts the blocking read of stdin."""


def _raise_stopped(signum, frame) -> None:
    raise _Stopped


def _stop(process: subprocess.Popen) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(GRACE_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def main(argv: list[str]) -> int:
    command = argv
    if argv[:1] == ["--nice"]:
        os.nice(int(argv[1]))
        command = argv[2:]
    # The guard is single-threaded here, so preexec_fn is safe.
    # The broker's stdout goes to our stderr (its log file): our stdout is a pipe nobody drains
    # after the pid line, and a full pipe would block the broker.
    process = subprocess.Popen(command, stdin=subprocess.DEVNULL, stdout=sys.stderr, preexec_fn=_die_with_parent)
    print(process.pid, flush=True)

    def exit_with_broker() -> None:
        status = process.wait()
        try:
            print(f"{EXIT_PREFIX}{status}", flush=True)
        except OSError:
            pass  # the emulator stopped reading: it no longer asks how the broker ended
        os._exit(status & 0xFF)

    waiter = threading.Thread(target=exit_with_broker, daemon=True)
    waiter.start()
    signal.signal(signal.SIGTERM, _raise_stopped)
    try:
        while sys.stdin.buffer.read(4096):
            pass
    except _Stopped:
        pass
    signal.signal(signal.SIGTERM, signal.SIG_IGN)  # stopping already; a second SIGTERM must not cut it short
    _stop(process)
    waiter.join()  # it reports the status and ends this process
    return process.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
