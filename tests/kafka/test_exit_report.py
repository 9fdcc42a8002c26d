"""How a dead broker is described: the signal or exit code, and its last error line, without a JVM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys

from cloudtwin.kafka.exit_report import describe_exit, last_error
from cloudtwin.kafka.orphan_guard import EXIT_PREFIX

# A broker log as slf4j-simple writes it, with a JVM warning first and a warning after the error.
BROKER_LOG = """\
OpenJDK 64-Bit Server VM warning: Sharing is only supported for boot loader classes because bootstrap classpath has \
been appended
1203 [main] WARN org.apache.kafka.common.utils.AppInfoParser - Error registering AppInfo mbean
5012 [kafka-0-raft-io-thread] ERROR org.apache.kafka.raft.KafkaRaftClient - Unexpected error in raft IO thread
org.apache.kafka.common.errors.CorruptRecordException: Record size 0 is less than the minimum record overhead (14)
\tat org.apache.kafka.raft.KafkaRaftClient.poll(KafkaRaftClient.java:3000)
\tat org.apache.kafka.raft.KafkaRaftClientDriver.doWork(KafkaRaftClientDriver.java:64)
5020 [main] WARN kafka.server.BrokerServer - [BrokerServer id=1] Shutting down, ERROR count 1
"""


def test_a_signal_death_names_the_signal():
    assert describe_exit(-9) == "was killed by signal 9 (SIGKILL)"
    assert describe_exit(-6) == "was killed by signal 6 (SIGABRT)"


def test_the_jvm_out_of_memory_exit_says_out_of_memory():
    log = "1 [main] INFO kafka.Kafka$ - started\nTerminating due to java.lang.OutOfMemoryError: Java heap space\n"
    assert describe_exit(3, log) == (
        "ran out of memory (java.lang.OutOfMemoryError: Java heap space) and exited with code 3"
    )
    assert describe_exit(3, "no such line") == "exited with code 3"


def test_exit_codes_after_a_signal_and_plain_ones():
    assert describe_exit(143) == "exited with code 143 after signal 15 (SIGTERM)"
    assert describe_exit(1) == "exited with code 1"
    assert describe_exit(0) == "exited with code 0"


def test_the_last_error_is_the_last_error_line_with_its_exception_not_a_warning():
    assert last_error(BROKER_LOG) == (
        "5012 [kafka-0-raft-io-thread] ERROR org.apache.kafka.raft.KafkaRaftClient - Unexpected error in raft IO "
        "thread org.apache.kafka.common.errors.CorruptRecordException: Record size 0 is less than the minimum "
        "record overhead (14)"
    )


def test_a_log_of_warnings_has_no_last_error():
    warnings_only = "\n".join(line for line in BROKER_LOG.splitlines() if "WARN" in line or "warning" in line)
    assert last_error(warnings_only) is None


def test_an_uncaught_exception_and_an_out_of_memory_exit_count_as_errors():
    log = 'Exception in thread "main" java.lang.IllegalStateException: boom\n\tat Main.main(Main.java:1)\n'
    assert last_error(log) == 'Exception in thread "main" java.lang.IllegalStateException: boom'
    oom = "Terminating due to java.lang.OutOfMemoryError: Java heap space"
    assert last_error(f"1 [main] WARN x - slow\n{oom}\n") == oom


def test_the_orphan_guard_reports_a_signal_death_its_exit_code_cannot_carry():
    sleeper = [sys.executable, "-c", "import time; time.sleep(60)"]
    guard = subprocess.Popen(
        [sys.executable, "-m", "cloudtwin.kafka.orphan_guard", *sleeper],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )  # fmt: skip
    try:
        pid = int(guard.stdout.readline())
        os.kill(pid, signal.SIGKILL)
        remaining = guard.stdout.read()
        assert guard.wait(timeout=10) == 256 - signal.SIGKILL
    finally:
        guard.kill()
        guard.wait()
        guard.stdin.close()
        guard.stdout.close()
    assert remaining.splitlines() == [f"{EXIT_PREFIX}-9"]
