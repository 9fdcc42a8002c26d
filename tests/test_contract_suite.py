"""The contract suite catches a broken twin: defects patched into the emulator make a run of
`--pyargs cloudtwin.contract_tests` fail exactly the properties they break, each named in the summary table
with its failing example and the seed that replays it (unshrunk here, to stay fast)."""

from __future__ import annotations

import pytest

from cloudtwin.redis.database import TrackedDatabase
from cloudtwin.sqs import queue
from cloudtwin.sqs.backend import SqsBackend
from cloudtwin.sqs.message import MessageState

pytest_plugins = ["pytester"]


def take_ignoring_the_group_lock(self, limit, dead_letter):
    """FifoQueue.take that serves a group's next message while an earlier one is in flight."""
    taken = []
    for group in list(self.groups.values()):
        for message in list(group.messages):
            if len(taken) < limit and message.state is MessageState.VISIBLE and not dead_letter(message):
                taken.append(message)
    return taken


def a_second_late(method):
    """A Database read that judges expiry by a clock one second behind: keys outlive their TTL by 1 s."""

    def wrapped(self, *args):
        now = self.time
        self.time = now - 1
        try:
            return method(self, *args)
        finally:
            self.time = now

    return wrapped


def deleting_only_fifo(delete):
    """SqsBackend._delete that, on a standard queue, answers success and keeps the message."""

    def wrapped(self, queue, handle):
        if queue.fifo:
            delete(self, queue, handle)

    return wrapped


BROKEN_PROPERTIES = [
    "per_group_order_and_group_lock",
    "ttl_present_before_the_deadline_and_absent_after_it",
    "at_least_once_visibility_receive_counts_and_deletes",
]


def test_a_broken_twin_fails_the_properties_it_breaks(pytester: pytest.Pytester, monkeypatch) -> None:
    monkeypatch.setattr(queue.FifoQueue, "take", take_ignoring_the_group_lock)
    monkeypatch.setattr(TrackedDatabase, "__getitem__", a_second_late(TrackedDatabase.__getitem__))
    monkeypatch.setattr(TrackedDatabase, "expired", a_second_late(TrackedDatabase.expired))
    monkeypatch.setattr(SqsBackend, "_delete", deleting_only_fifo(SqsBackend._delete))
    # A control: the batch property still holds (its drain sees each message once; kept ones stay invisible).
    selection = " or ".join(BROKEN_PROPERTIES) + " or a_batch_behaves_as_its_single_calls"
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--pyargs", "cloudtwin.contract_tests", "-k", f"({selection}) and not redis-server",
        "--contract-sqs-wires", "json", "--hypothesis-seed", "1", "--contract-shrink", "no",
    )  # fmt: skip
    result.assert_outcomes(failed=3, passed=1)
    result.stdout.fnmatch_lines(
        ["*contract properties*", "seed 1 (replay with --hypothesis-seed=1), depth 1, failing examples not shrunk"]
    )
    result.stdout.fnmatch_lines(["a_batch_behaves_as_its_single_calls *held"])
    for name in BROKEN_PROPERTIES:
        result.stdout.fnmatch_lines([f"{name} *FAILED"])
        result.stdout.fnmatch_lines(
            [f"* {name} FAILED on cloudtwin*; replay: -k '{name} and cloudtwin*--hypothesis-seed=1"]
        )
    # The state machine steps that show the group lock broken.
    result.stdout.fnmatch_lines(
        ["*group * served with a message in flight*", "*Failing test case*", "*state = FifoGroupMachine()*"]
    )
    result.stdout.fnmatch_lines(["*still there 1 ms after its * ms deadline*"])
    result.stdout.fnmatch_lines(["*@reproduce_failure(*"])


def test_contract_options_come_from_ini_and_are_checked(pytester: pytest.Pytester) -> None:
    pytester.makeini("[pytest]\ncontract_depth = 0\n")
    result = pytester.runpytest("-p", "no:cacheprovider", "--pyargs", "cloudtwin.contract_tests", "--collect-only")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--contract-depth='0' is not a positive whole number*"])
    # The command line overrides the ini; then the next bad value is the one reported.
    result = pytester.runpytest(
        "-p", "no:cacheprovider", "--contract-depth", "2", "--contract-shrink", "maybe", "--collect-only"
    )  # fmt: skip
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--contract-shrink='maybe': choose yes or no*"])
