"""The cloudtwin pytest plugin: an emulator per test session, and clients and resources per test.

Every option can be given on the command line (`--cloudtwin-<name>`) or in the ini file
(`cloudtwin_<name>`); besides the plugin's own, every setting of `cloudtwin serve` but the
ports and the host (tests always use free 127.0.0.1 ports) configures the session's emulator.
Custom emulators and clients come from `cloudtwin.pytest_plugin.factories`.
"""

from __future__ import annotations

import dataclasses
import os
import re
import uuid

import pytest

from cloudtwin.clock import clock as emulator_clock
from cloudtwin.config import Settings, parse_setting
from cloudtwin.process import Emulator
from cloudtwin.pytest_plugin import failure_report
from cloudtwin.pytest_plugin.aws_env import _cloudtwin_aws_env_autouse, cloudtwin_aws_env  # noqa: F401
from cloudtwin.pytest_plugin.redis_fixtures import redis_client, redis_client_factory, redis_endpoint  # noqa: F401
from cloudtwin.pytest_plugin.twin import RemoteClock, TwinError, external_twin, register_in_process, session_twin

_OPTIONS = {
    "region": ("region of the clients the fixtures hand out", "us-east-1"),
    "endpoint": ("use a running emulator at this AWS endpoint instead of starting one", ""),
    "redis_url": ("use the Redis server at this URL (redis:// or rediss://) instead of the emulator's", ""),
    "kafka": ("Kafka backend for sessions using Kafka fixtures: auto|redpanda|jvm|external=HOST:PORT|off", "auto"),
    "aws_env": ("true: the cloudtwin_aws_env fixture for every test (AWS_ENDPOINT_URL, region, dummy keys)", "false"),
    "report": ("on|off: add the twin's state (queues, requests, Redis keys, topics) to failing tests", "on"),
}


# Settings the session emulator takes from options; ports and host are always its own.
_EMULATOR_SETTINGS = [
    f
    for f in dataclasses.fields(Settings)
    if f.name not in _OPTIONS and f.name not in {"host", "aws_port", "redis_port", "kafka_port"}
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("cloudtwin")
    options = dict(_OPTIONS)
    for f in _EMULATOR_SETTINGS:
        options[f.name] = (f"emulator setting: {f.metadata['help']}", "")
    for name, (help_text, default) in options.items():
        group.addoption(f"--cloudtwin-{name.replace('_', '-')}", dest=f"cloudtwin_{name}", default=None, help=help_text)
        parser.addini(f"cloudtwin_{name}", help=help_text, default=default)


def pytest_configure(config: pytest.Config) -> None:
    _settings_from_options(config)  # a bad value stops the run before any test
    failure_report.report_enabled(config)  # a bad value stops the run before any test
    config.pluginmanager.register(failure_report, "cloudtwin-failure-report")
    config.addinivalue_line(
        "markers",
        "cloudtwin_reset(service=None): reset the twin before the test: every service, or one of "
        "'sqs', 'aws' (SQS and moto), 'redis', 'kafka'",
    )
    # kafka-python 3 reads its own resources through importlib's legacy API, which warns on
    # every client the Kafka fixtures build; the warning is not the user's to act on.
    config.addinivalue_line("filterwarnings", "ignore:(open_text|read_text) is deprecated:DeprecationWarning")


def as_plugin_flags(message: str) -> str:
    """A message of the emulator as its pytest user reads it: `--kafka` becomes `--cloudtwin-kafka`."""

    def renamed(match: re.Match) -> str:
        name = match.group(1)
        known = name.replace("-", "_") in _OPTIONS or any(f.name == name.replace("-", "_") for f in _EMULATOR_SETTINGS)
        return f"--cloudtwin-{name}" if known else match.group(0)

    return re.sub(r"(?<![\w-])--([a-z][a-z0-9-]*)", renamed, message)


def cloudtwin_option(config: pytest.Config, name: str) -> str:
    value = config.getoption(f"cloudtwin_{name}")
    return value if value is not None else config.getini(f"cloudtwin_{name}")


def emulator_settings(config: pytest.Config, **overrides) -> Settings:
    """Settings for an emulator of this session: overrides > options > ini > CLOUDTWIN_* > defaults.

    Ports are free ones and Kafka is off unless overridden: the Kafka fixtures start a broker
    only for sessions that use one.
    """
    flags: dict = {"aws_port": 0, "redis_port": 0, "kafka": "off", "region": cloudtwin_option(config, "region")}
    flags.update(_settings_from_options(config))
    flags.update(overrides)
    return Settings.resolve(flags)


def _settings_from_options(config: pytest.Config) -> dict:
    values = {}
    for f in _EMULATOR_SETTINGS:
        raw = cloudtwin_option(config, f.name)
        if raw in (None, ""):
            continue
        try:
            values[f.name] = parse_setting(f, raw)
        except ValueError:
            raise pytest.UsageError(f"--cloudtwin-{f.name.replace('_', '-')}={raw!r} is not a valid {f.type}") from None
    return values


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    # Before any fixture makes a queue or topic on a target where the test cannot run anyway.
    if "cloudtwin_clock" in getattr(item, "fixturenames", ()) and cloudtwin_option(item.config, "endpoint"):
        reason = external_twin(item.config).not_a_cloudtwin()
        if reason is not None:
            pytest.skip(f"cloudtwin_clock cannot move time here: {reason}")


@pytest.fixture(scope="session")
def cloudtwin(request: pytest.FixtureRequest):
    """The emulator for this session, on ephemeral 127.0.0.1 ports; stopped at the end."""
    with Emulator(emulator_settings(request.config)) as emulator:
        # Recorded from the first request on, for the failure report (a bounded log).
        emulator.services["aws"].gateway.request_log.recording = failure_report.report_enabled(request.config)
        register_in_process(request.config, emulator.aws_endpoint)
        yield emulator


@pytest.fixture(scope="session")
def aws_endpoint_url(request: pytest.FixtureRequest) -> str:
    external = cloudtwin_option(request.config, "endpoint")
    if external:
        return external.rstrip("/")
    return request.getfixturevalue("cloudtwin").aws_endpoint


@pytest.fixture
def cloudtwin_clock(request: pytest.FixtureRequest):
    """The emulator's clock; set back to wall time after the test.

    With --cloudtwin-endpoint, the running twin's clock, moved through its admin API and put back
    as it was after the test; the test skips where the target cannot move time (not a cloudtwin).
    """
    if not cloudtwin_option(request.config, "endpoint"):
        yield emulator_clock
        emulator_clock.reset()
        return
    clock = RemoteClock(session_twin(request))
    restore = clock.restorer()
    yield clock
    restore()


@pytest.fixture(autouse=True)
def _cloudtwin_reset_marker(request: pytest.FixtureRequest) -> None:
    """`@pytest.mark.cloudtwin_reset` (or `("sqs")`, …): the twin reset before the test's other fixtures."""
    marker = request.node.get_closest_marker("cloudtwin_reset")
    if marker is None:
        return
    service = marker.args[0] if marker.args else marker.kwargs.get("service")
    try:
        session_twin(request).reset(service)
    except TwinError as exc:
        pytest.fail(f"@pytest.mark.cloudtwin_reset: {exc}", pytrace=False)


@pytest.fixture(scope="session")
def sqs_client(request: pytest.FixtureRequest, aws_endpoint_url: str):
    """A boto3 SQS client; credentials from the environment when it has them (a real target)."""
    import boto3

    credentials = (
        {} if os.environ.get("AWS_ACCESS_KEY_ID") else {"aws_access_key_id": "test", "aws_secret_access_key": "test"}
    )
    return boto3.client(
        "sqs", endpoint_url=aws_endpoint_url, region_name=cloudtwin_option(request.config, "region"), **credentials
    )


def _queue_fixture(fifo: bool):
    def fixture(sqs_client):
        name = f"test-{uuid.uuid4().hex[:16]}" + (".fifo" if fifo else "")
        attributes = {"FifoQueue": "true"} if fifo else {}
        url = sqs_client.create_queue(QueueName=name, Attributes=attributes)["QueueUrl"]
        yield url
        sqs_client.delete_queue(QueueUrl=url)

    fixture.__doc__ = f"URL of a fresh {'FIFO' if fifo else 'standard'} queue, deleted after the test."
    return fixture


sqs_queue = pytest.fixture(_queue_fixture(fifo=False), name="sqs_queue")
sqs_fifo_queue = pytest.fixture(_queue_fixture(fifo=True), name="sqs_fifo_queue")

from cloudtwin.pytest_plugin.elasticache_fixtures import (  # noqa: E402, F401 - ElastiCache fixtures, their own module
    elasticache_ca_file,
    elasticache_cache_factory,
    elasticache_client,
    elasticache_redis,
)
from cloudtwin.pytest_plugin.kafka_fixtures import *  # noqa: E402, F403 - Kafka fixtures, in their own module
