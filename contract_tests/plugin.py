"""The contract suite's options, how hard each property is searched, and the summary table at the end.

Every option is also an ini value (`contract_<name>`). Each property runs once per target of its
family; the table shows, property by property, whether it held on each target, and for a failure
the shrunk counterexample hypothesis printed and the seed that replays it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest

# hypothesis is imported where a property runs: this plugin loads in every pytest session of an installed
# cloudtwin, which needs hypothesis only for the contract suite (`cloudtwin[contract]`).
if TYPE_CHECKING:
    import hypothesis

OPTIONS = {
    "sqs_endpoint": ("an SQS endpoint to check beside the twin, e.g. https://sqs.eu-west-1.amazonaws.com", ""),
    "sqs_wires": ("SQS wire protocols to check, comma-separated", "json,query"),
    "queue_prefix": ("prefix of every queue name the suite creates (an IAM policy can allow just these)", "contract-"),
    "redis_url": ("a Redis to check beside the twin (redis:// or rediss://); default: a redis-server from PATH", ""),
    "kafka_bootstrap": ("a Kafka HOST:PORT to check beside the twin; default: the twin's broker, by its address", ""),
    "depth": ("how many examples each property tries, as a multiple of the default (1)", "1"),
    # Each shrinking step replays calls on the target: seconds on the twin, minutes on a real service.
    "shrink": ("shrink a failing example to a minimal one: yes|no", "yes"),
}
FAMILIES = ("sqs", "redis", "kafka")
# On a target that cannot move time, properties that wait for time try this many times fewer examples.
REAL_TIME_EXAMPLE_DIVISOR = 4


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("contract", "cloudtwin contract tests")
    for name, (help_text, default) in OPTIONS.items():
        group.addoption(f"--contract-{name.replace('_', '-')}", dest=f"contract_{name}", default=None, help=help_text)
        parser.addini(f"contract_{name}", help=help_text, default=default)


def contract_option(config: pytest.Config, name: str) -> str:
    value = config.getoption(f"contract_{name}")
    return value if value is not None else config.getini(f"contract_{name}")


@dataclass
class Target:
    """One service a family's properties run against."""

    name: str  # the test id part, e.g. "cloudtwin-json"
    description: str  # where it is, for the summary
    moves_time: bool | None  # time can be advanced instead of waited for; None: no property of it waits on time


@dataclass
class Outcome:
    result: str  # held, FAILED, skipped, xfail
    detail: str = ""


@dataclass
class ContractRun:
    """State of one session: the seed every property uses, the depth, and what each property did."""

    seed: int
    depth: int
    shrink: bool = True
    targets: dict[str, Target] = field(default_factory=dict)
    outcomes: dict[tuple[str, str], dict[str, Outcome]] = field(default_factory=dict)  # by (family, property)

    def settings(self, target: Target, examples: int, timed: bool, **overrides: Any) -> hypothesis.settings:
        from hypothesis import HealthCheck, Phase, settings

        count = examples * self.depth
        if timed and target.moves_time is False:
            count = max(1, count // REAL_TIME_EXAMPLE_DIVISOR)
        phases = [p for p in settings.default.phases if self.shrink or p not in (Phase.shrink, Phase.explain)]
        return settings(
            max_examples=count,
            phases=phases,
            deadline=None,
            database=None,  # the seed alone replays a run
            print_blob=True,
            suppress_health_check=list(HealthCheck),
            **overrides,
        )

    def check(self, target: Target, test: Callable, *, examples: int, timed: bool = False, **strategies) -> None:
        """Run `test` as a hypothesis property over `strategies` with this run's seed."""
        from hypothesis import given, seed

        seed(self.seed)(self.settings(target, examples, timed)(given(**strategies)(test)))()

    def check_machine(
        self, target: Target, factory: Callable, *, examples: int, steps: int, timed: bool = False
    ) -> None:
        """Run a RuleBasedStateMachine built by `factory` with this run's seed."""
        from hypothesis import seed
        from hypothesis.stateful import get_state_machine_test

        machine_settings = self.settings(target, examples, timed, stateful_step_count=steps)
        seed(self.seed)(get_state_machine_test(factory, settings=machine_settings))()


RUN_KEY = pytest.StashKey[ContractRun]()


def contract_run(config: pytest.Config) -> ContractRun:
    return config.stash[RUN_KEY]


def pytest_configure(config: pytest.Config) -> None:
    depth_text = contract_option(config, "depth")
    try:
        depth = int(depth_text)
        if depth < 1:
            raise ValueError
    except ValueError:
        raise pytest.UsageError(f"--contract-depth={depth_text!r} is not a positive whole number") from None
    # hypothesis's own --hypothesis-seed replays a run; without it, each session draws one seed for all properties.
    given_seed = config.getoption("hypothesis_seed", None)
    run_seed = int(given_seed) if given_seed not in (None, "") else random.getrandbits(32)
    shrink = contract_option(config, "shrink").lower()
    if shrink not in ("yes", "no"):
        raise pytest.UsageError(f"--contract-shrink={shrink!r}: choose yes or no")
    run = config.stash[RUN_KEY] = ContractRun(seed=run_seed, depth=depth, shrink=shrink == "yes")
    config.pluginmanager.register(ContractReporter(run), "contract-reporter")


@pytest.fixture(scope="session")
def contract(pytestconfig: pytest.Config) -> ContractRun:
    return contract_run(pytestconfig)


def register_target(config: pytest.Config, family: str, target: Target) -> None:
    contract_run(config).targets[f"{family}:{target.name}"] = target


# This suite's folder. Its tests are known by where they are, not by module name: pytest names them
# `cloudtwin.contract_tests.…` when installed, `contract_tests.…` when collected from a checkout.
SUITE_DIR = Path(__file__).resolve().parent


def _identify(item: pytest.Item) -> tuple[str, str, str] | None:
    """(family, property, target name) of a contract test item, else None."""
    try:
        family = item.path.resolve().relative_to(SUITE_DIR).parts[0]
    except ValueError:
        return None
    callspec = getattr(item, "callspec", None)
    if family not in FAMILIES or callspec is None:
        return None
    target = callspec.params.get(f"{family}_target")
    if target is None:
        return None
    return family, getattr(item, "originalname", item.name).removeprefix("test_"), target


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo):
    report = yield
    identity = _identify(item)
    if identity is not None:
        report.user_properties.append(("contract", identity))
    return report


_EXAMPLE_START = ("Falsifying example:", "Failing test case:", "Falsifying explicit example:")
_EXAMPLE_END = ("Explanation:", "Traceback", "Unreliable test timings")


def counterexample(longrepr_text: str) -> str:
    """The error, then the shrunk example (or state machine steps) and replay blob hypothesis printed."""
    lines = longrepr_text.splitlines()
    errors = [line[1:].strip() for line in lines if line.startswith("E ")]
    start = next((i for i, line in enumerate(lines) if line[1:].strip().startswith(_EXAMPLE_START)), None)
    if start is None:
        return "\n".join(errors[:8] or lines[-3:])
    margin = len(lines[start]) - len(lines[start][1:].lstrip()) - 1
    shown = [errors[0]] if errors and not errors[0].startswith(_EXAMPLE_START) else []
    for line in lines[start:]:
        text = line[1 + margin :].rstrip() if line.startswith("E") else None
        if text is None or text.startswith(_EXAMPLE_END):
            break
        if text:
            shown.append(text)
    blob = next((line[1:].strip() for line in lines if line.startswith("E") and "@reproduce_failure" in line), None)
    if blob and blob not in shown:
        shown.append(blob)
    return "\n".join(shown)


class ContractReporter:
    """Gathers each contract test's outcome by (family, property) and target, and prints the table."""

    def __init__(self, run: ContractRun) -> None:
        self.run = run

    def pytest_runtest_logreport(self, report: pytest.TestReport) -> None:
        identity = dict(report.user_properties).get("contract")
        if identity is None or (report.when != "call" and report.passed):
            return
        family, prop, target = identity
        if hasattr(report, "wasxfail"):
            outcome = Outcome("xfail", report.wasxfail)
        elif report.passed:
            outcome = Outcome("held")
        elif report.skipped:
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            outcome = Outcome("skipped", reason.removeprefix("Skipped: "))
        else:
            outcome = Outcome("FAILED", counterexample(report.longreprtext))
        outcomes = self.run.outcomes.setdefault((family, prop), {})
        # A teardown error after a held call still makes the property fail on that target.
        if target not in outcomes or outcome.result != "held":
            outcomes[target] = outcome

    def pytest_terminal_summary(self, terminalreporter) -> None:
        run = self.run
        if not run.outcomes:
            return
        write = terminalreporter.write_line
        terminalreporter.section("contract properties")
        shrinking = "" if run.shrink else ", failing examples not shrunk"
        write(f"seed {run.seed} (replay with --hypothesis-seed={run.seed}), depth {run.depth}{shrinking}")
        for key, target in sorted(run.targets.items()):
            if target.moves_time:
                time_note = "time advanced on the emulator clock"
            elif target.moves_time is None:
                time_note = "no property waits on time"
            else:
                time_note = f"real time: short waits, 1/{REAL_TIME_EXAMPLE_DIVISOR} of the examples of timed properties"
            write(f"  {key:<22} {target.description} ({time_note})")
        failures = []
        for family in FAMILIES:
            rows = {prop: outcomes for (fam, prop), outcomes in run.outcomes.items() if fam == family}
            if not rows:
                continue
            targets = sorted({target for outcomes in rows.values() for target in outcomes})
            width = max(len(prop) for prop in rows)
            write("")
            write((f"{family:<{width}}  " + "  ".join(f"{t:<15}" for t in targets)).rstrip())
            for prop in sorted(rows):
                cells = [rows[prop].get(t, Outcome("-")).result for t in targets]
                write((f"{prop:<{width}}  " + "  ".join(f"{c:<15}" for c in cells)).rstrip())
                for target in targets:
                    outcome = rows[prop].get(target)
                    if outcome is not None and outcome.result in ("FAILED", "skipped", "xfail"):
                        failures.append((family, prop, target, outcome))
        for family, prop, target, outcome in failures:
            write("")
            if outcome.result != "FAILED":
                write(f"{family} {prop} {outcome.result} on {target}: {outcome.detail}")
                continue
            write(f"{family} {prop} FAILED on {target}; replay: -k '{prop} and {target}' --hypothesis-seed={run.seed}")
            for line in outcome.detail.splitlines():
                write(f"    {line}")
