"""How a broker process ended, in words: the signal or exit code, and the last error it logged.

A bare exit code (247 for a SIGKILL passed through a wrapper) and the log's tail (often an
unrelated JVM warning) tell a user nothing; the signal's name, an out-of-memory exit and the
broker's last ERROR line do.
"""

from __future__ import annotations

import re
import signal

# -XX:+ExitOnOutOfMemoryError ends the JVM with this code after printing the line below.
JVM_OUT_OF_MEMORY_EXIT = 3
_OUT_OF_MEMORY = re.compile(r"Terminating due to (java\.lang\.OutOfMemoryError.*)")
# The level field of a log line (slf4j-simple: "<time> [<thread>] ERROR <logger> - <message>").
_LEVEL = re.compile(r"(?<![\w.])(TRACE|DEBUG|INFO|WARN|WARNING|ERROR|FATAL|SEVERE)(?![\w.])")
_SEVERE = {"ERROR", "FATAL", "SEVERE"}
# The first line of a Java exception: "org.apache.kafka.common.KafkaException: message".
_EXCEPTION = re.compile(r"^(?:Caused by: )?[\w$]+(?:\.[\w$]+)+(?:Exception|Error)(?::.*)?$")
MAX_LINE_CHARS = 400


def describe_exit(status: int, log: str = "") -> str:
    """How the process ended, from its Popen-style status (negative: killed by that signal)."""
    if status < 0:
        return f"was killed by signal {-status} ({_signal_name(-status)})"
    if status == JVM_OUT_OF_MEMORY_EXIT:
        out_of_memory = _OUT_OF_MEMORY.search(log)
        if out_of_memory:
            return f"ran out of memory ({out_of_memory.group(1).strip()}) and exited with code {status}"
    if status > 128 and _signal_name(status - 128) != "unknown signal":
        # A JVM that runs its shutdown hooks on a signal exits with 128 + the signal's number.
        return f"exited with code {status} after signal {status - 128} ({_signal_name(status - 128)})"
    return f"exited with code {status}"


def last_error(log: str) -> str | None:
    """The last ERROR/FATAL line of the log, with the exception it names when the next line gives one."""
    lines = [line.strip() for line in log.splitlines()]
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        if _is_error(line):
            following = lines[index + 1] if index + 1 < len(lines) else ""
            if _EXCEPTION.match(following) and following not in line:
                line = f"{line} {following}"
            return _shorten(line)
    return None


def _is_error(line: str) -> bool:
    level = _LEVEL.search(line)  # the first level word is the line's own; a message may quote another
    if level is not None and level.group(1) in _SEVERE:
        return True
    return line.startswith("Exception in thread") or _OUT_OF_MEMORY.match(line) is not None


def _signal_name(number: int) -> str:
    try:
        return signal.Signals(number).name
    except ValueError:
        return "unknown signal"


def _shorten(line: str) -> str:
    return line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 3] + "..."
