"""The contract suite catches a broken twin: each defect below is patched into the in-process emulator of a
pytest run of `--pyargs contract_tests`, and that run must fail the property, naming it in the summary table."""

from __future__ import annotations

import pytest

pytest_plugins = ["pytester"]

# Plugins loaded into the inner run with -p; each breaks one rule of the twin at import time.
FIFO_GROUP_LOCK_NOT_HELD = """
from emulator.sqs import queue
from emulator.sqs.message import MessageState


def take_ignoring_the_group_lock(self, limit, dead_letter):
    taken = []
    for group in list(self.groups.values()):
        for message in list(group.messages):
            if len(taken) < limit and message.state is MessageState.VISIBLE and not dead_letter(message):
                taken.append(message)
                group.in_flight += 1
    return taken


queue.FifoQueue.take = take_ignoring_the_group_lock
"""

TTL_ONE_SECOND_LATE = """
from emulator.redis.database import TrackedDatabase

getitem, expired = TrackedDatabase.__getitem__, TrackedDatabase.expired


def a_second_ago(method):
    def wrapped(self, *args):
        now = self.time
        self.time = now - 1
        try:
            return method(self, *args)
        finally:
            self.time = now

    return wrapped


TrackedDatabase.__getitem__ = a_second_ago(getitem)
TrackedDatabase.expired = a_second_ago(expired)
"""

DELETE_KEEPS_THE_MESSAGE = """
from emulator.sqs.backend import SqsBackend

SqsBackend._delete = lambda self, queue, handle: None
"""

SOUND = "# the twin as it is\n"


def run_contract(pytester: pytest.Pytester, defect: str, selection: str) -> pytest.RunResult:
    pytester.makepyfile(broken_twin=defect)
    return pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "-p", "broken_twin", "--pyargs", "contract_tests", "-k", selection,
        "--contract-sqs-wires", "json", "--hypothesis-seed", "1",
    )  # fmt: skip


@pytest.mark.parametrize(
    ("defect", "selection", "row"),
    [
        (FIFO_GROUP_LOCK_NOT_HELD, "per_group_order_and_group_lock", "per_group_order_and_group_lock *FAILED*"),
        (
            TTL_ONE_SECOND_LATE,
            "ttl_present and cloudtwin",
            "ttl_present_before_the_deadline_and_absent_after_it *FAILED*",
        ),
        (DELETE_KEEPS_THE_MESSAGE, "at_least_once", "at_least_once_visibility_receive_counts_and_deletes *FAILED*"),
    ],
    ids=["fifo-group-lock-not-held", "ttl-a-second-late", "sqs-delete-keeps-the-message"],
)
def test_a_broken_twin_fails_the_property(pytester: pytest.Pytester, defect: str, selection: str, row: str) -> None:
    result = run_contract(pytester, defect, selection)
    result.assert_outcomes(failed=1)
    result.stdout.fnmatch_lines(["*contract properties*", row, "*FAILED on cloudtwin*--hypothesis-seed=1*"])
    result.stdout.fnmatch_lines(["*Failing test case:*"])


def test_the_sound_twin_holds_the_same_properties(pytester: pytest.Pytester) -> None:
    selection = "per_group_order_and_group_lock or (ttl_present and cloudtwin) or at_least_once"
    result = run_contract(pytester, SOUND, selection)
    result.assert_outcomes(passed=3)
    result.stdout.fnmatch_lines(["*contract properties*", "per_group_order_and_group_lock *held*"])
