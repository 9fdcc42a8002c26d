"""The pytest plugin as another repository uses it: options, ini, and fixture factories."""

from __future__ import annotations

import re

import pytest
import redis

pytest_plugins = ["pytester"]


def test_settings_come_from_command_line_and_ini(pytester):
    pytester.makeini("[pytest]\ncloudtwin_redis_password = from-ini\ncloudtwin_account_id = 123456789012\n")
    pytester.makepyfile(
        test_settings="""
        def test_settings(cloudtwin, redis_client, sqs_client, sqs_queue):
            assert cloudtwin.settings.redis_password == "from-ini"
            assert cloudtwin.settings.max_request_bytes == 2048
            assert redis_client.ping()
            assert "/123456789012/" in sqs_queue  # the account of access keys that name none
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--cloudtwin-max-request-bytes", "2048")
    result.assert_outcomes(passed=1)


def test_invalid_option_value_is_a_usage_error(pytester):
    pytester.makepyfile(test_bad="def test_any(cloudtwin):\n    pass\n")
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--cloudtwin-max-request-bytes", "lots")
    assert result.ret != 0
    result.stderr.fnmatch_lines(["*--cloudtwin-max-request-bytes='lots' is not a valid*"])


def test_factories_make_emulators_and_clients_of_their_own(pytester):
    pytester.makeconftest(
        """
        from cloudtwin.pytest_plugin import factories

        strict_twin = factories.cloudtwin_proc(redis_password="s3cret", region="eu-west-1")
        strict_sqs = factories.sqs_client("strict_twin")
        strict_redis = factories.redis_client("strict_twin")
        """
    )
    pytester.makepyfile(
        test_factories="""
        import pytest
        import redis

        def test_own_emulator(cloudtwin, strict_twin, strict_sqs, strict_redis):
            assert strict_twin.aws_endpoint != cloudtwin.aws_endpoint
            url = strict_sqs.create_queue(QueueName="own")["QueueUrl"]
            assert "/queue/eu-west-1/" in url
            assert strict_redis.set("k", "v") and strict_redis.get("k") == b"v"
            service = strict_twin.services["redis"]
            with pytest.raises(redis.AuthenticationError):
                redis.Redis(host=service.server.host, port=service.port).ping()
        """
    )
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)


def run_subprocess(pytester, *args: str):
    return pytester.runpytest("-p", "no:cacheprovider", "-rs", *args)


APP_CODE = """
import os

import boto3


def enqueue(body):
    sqs = boto3.client("sqs")  # as the application builds it: no endpoint, region or keys given
    url = sqs.create_queue(QueueName="app-jobs")["QueueUrl"]
    sqs.send_message(QueueUrl=url, MessageBody=body)
"""


def test_aws_env_points_the_applications_own_clients_at_the_twin(pytester, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://outside.invalid")
    monkeypatch.setenv("AWS_ENDPOINT_URL_SQS", "http://sqs.outside.invalid")
    monkeypatch.setenv("AWS_PROFILE", "no-such-profile")
    for name in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_DEFAULT_REGION", "AWS_REGION"):
        monkeypatch.delenv(name, raising=False)
    pytester.makepyfile(app=APP_CODE)
    pytester.makepyfile(
        test_app="""
        import os

        import boto3

        import app

        def test_app_reaches_the_twin(cloudtwin_aws_env, cloudtwin):
            app.enqueue("job-1")
            assert cloudtwin.health()["aws"]["sqs"]["queues"] == 1
            sqs = boto3.client("sqs")
            url = sqs.get_queue_url(QueueName="app-jobs")["QueueUrl"]
            assert url.startswith(cloudtwin.aws_endpoint + "/queue/eu-west-1/")
            assert sqs.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "job-1"
            assert os.environ["AWS_ACCESS_KEY_ID"] == "test"

        def test_environment_is_restored_after_the_test():
            assert os.environ["AWS_ENDPOINT_URL"] == "http://outside.invalid"
            assert os.environ["AWS_ENDPOINT_URL_SQS"] == "http://sqs.outside.invalid"
            assert os.environ["AWS_PROFILE"] == "no-such-profile"
            assert "AWS_ACCESS_KEY_ID" not in os.environ
        """
    )
    result = run_subprocess(pytester, "--cloudtwin-region", "eu-west-1")
    result.assert_outcomes(passed=2)


def test_aws_env_is_autouse_through_the_ini_option(pytester, monkeypatch):
    monkeypatch.setenv("AWS_ENDPOINT_URL", "http://outside.invalid")
    pytester.makeini("[pytest]\ncloudtwin_aws_env = true\n")
    pytester.makepyfile(app=APP_CODE)
    pytester.makepyfile(
        test_app="""
        import app

        def test_without_asking_for_it(sqs_client):
            app.enqueue("job-2")
            url = sqs_client.get_queue_url(QueueName="app-jobs")["QueueUrl"]
            assert sqs_client.receive_message(QueueUrl=url)["Messages"][0]["Body"] == "job-2"
        """
    )
    run_subprocess(pytester).assert_outcomes(passed=1)


CLOCK_TESTS = """
def test_visibility_timeout(sqs_client, sqs_queue, cloudtwin_clock):
    cloudtwin_clock.freeze()
    sqs_client.send_message(QueueUrl=sqs_queue, MessageBody="job")
    sqs_client.receive_message(QueueUrl=sqs_queue)
    assert "Messages" not in sqs_client.receive_message(QueueUrl=sqs_queue)
    cloudtwin_clock.advance(31)
    assert sqs_client.receive_message(QueueUrl=sqs_queue)["Messages"][0]["Body"] == "job"


def test_freeze_at(cloudtwin_clock):
    assert cloudtwin_clock.freeze(1_000_000) == 1_000_000
    assert cloudtwin_clock.advance(5) == 1_000_005 and cloudtwin_clock.frozen
"""


def test_clock_drives_a_running_twins_clock_and_restores_it(pytester, aws_endpoint_url, cloudtwin_clock):
    cloudtwin_clock.freeze(2_000_000)  # how the server's clock stood before the session
    pytester.makepyfile(test_clock=CLOCK_TESTS)
    result = run_subprocess(pytester, "--cloudtwin-endpoint", aws_endpoint_url)
    result.assert_outcomes(passed=2)
    assert cloudtwin_clock.frozen and cloudtwin_clock.now() == 2_000_000


def test_clock_tests_skip_where_the_target_cannot_move_time(pytester):
    import http.server
    import threading

    class NotATwin(http.server.BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - the http.server name
            self.send_response(404)
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), NotATwin)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        pytester.makepyfile(test_clock=CLOCK_TESTS)
        result = run_subprocess(pytester, "--cloudtwin-endpoint", f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
    result.assert_outcomes(skipped=2)
    result.stdout.fnmatch_lines(["*cloudtwin_clock cannot move time here: *is not a cloudtwin*"])


def test_redis_client_keeps_to_its_workers_database_on_a_shared_server(
    pytester, monkeypatch, redis_endpoint, redis_client
):
    redis_client.set("another-workers-key", "kept")
    redis_client.execute_command("SELECT", "3")
    redis_client.set("stale", "from an earlier run")
    pytester.makepyfile(
        test_worker="""
        def test_own_database(redis_client, redis_client_factory, redis_endpoint):
            assert redis_client.connection_pool.connection_kwargs["db"] == 3
            assert redis_client.dbsize() == 0
            redis_client.set("mine", "1")
            assert redis_client_factory().get("mine") == b"1"
            assert redis_endpoint.url.endswith("/3")
        """
    )
    monkeypatch.setenv("PYTEST_XDIST_WORKER", "gw3")
    result = run_subprocess(pytester, "--cloudtwin-redis-url", redis_endpoint.url)
    result.assert_outcomes(passed=1)
    fresh = redis.Redis(**redis_endpoint.client_kwargs())
    assert fresh.get("another-workers-key") == b"kept"


def test_reset_marker_resets_the_twin_before_the_test(pytester):
    pytester.makepyfile(
        test_reset="""
        import pytest

        def test_leaves_a_queue(sqs_client, redis_client):
            sqs_client.create_queue(QueueName="left-behind")

        @pytest.mark.cloudtwin_reset
        def test_starts_clean(sqs_client, sqs_queue):
            urls = sqs_client.list_queues()["QueueUrls"]
            assert urls == [sqs_queue]

        def test_sees_what_an_unmarked_test_left(sqs_client):
            sqs_client.create_queue(QueueName="left-again")
            assert sqs_client.list_queues(QueueNamePrefix="left")["QueueUrls"]

        @pytest.mark.cloudtwin_reset("sqs")
        def test_resets_one_service(sqs_client):
            assert "QueueUrls" not in sqs_client.list_queues()
        """
    )
    run_subprocess(pytester).assert_outcomes(passed=4)


def test_emulator_messages_name_the_plugins_options():
    from cloudtwin.pytest_plugin.plugin import as_plugin_flags

    message = "use --kafka external=HOST:PORT, raise --kafka-start-timeout or pick --kafka-port 0 (--kafka)"
    assert as_plugin_flags(message) == (
        "use --cloudtwin-kafka external=HOST:PORT, raise --cloudtwin-kafka-start-timeout "
        "or pick --kafka-port 0 (--cloudtwin-kafka)"
    )


FAILING_TEST = """
def test_jobs(sqs_client, sqs_queue, redis_client, cloudtwin_clock):
    cloudtwin_clock.freeze()
    sqs_client.send_message(QueueUrl=sqs_queue, MessageBody="job-1")
    sqs_client.send_message(QueueUrl=sqs_queue, MessageBody="job-2", DelaySeconds=60)
    received = sqs_client.receive_message(QueueUrl=sqs_queue)["Messages"][0]
    print("RECEIVED", received["MessageId"])
    redis_client.set("session:abc", "xyz", ex=30)
    redis_client.rpush("queue:jobs", "a", "b")
    try:
        sqs_client.get_queue_url(QueueName="no-such-queue")
    except sqs_client.exceptions.QueueDoesNotExist:
        pass
    assert "Messages" in sqs_client.receive_message(QueueUrl=sqs_queue)


def test_passes(sqs_client, sqs_queue):
    sqs_client.send_message(QueueUrl=sqs_queue, MessageBody="fine")
"""


def report_section(result) -> str:
    text = "\n".join(result.outlines)
    start = text.find(" cloudtwin state ")
    return text[start : text.find("short test summary")] if start >= 0 else ""


def assert_reports_the_failing_tests_state(result) -> None:
    result.assert_outcomes(failed=1, passed=1)
    section = report_section(result)
    assert section.count("cloudtwin state") == 1, section  # only the failing test has one
    received_id = next(line.split()[1] for line in result.outlines if line.startswith("RECEIVED "))
    assert re.search(r"test-\w+ \(standard\): 0 visible, 1 in flight, 1 delayed", section), section
    assert re.search(rf"{received_id}\s+in flight\s+received 1x\s+'job-1'", section), section
    assert re.search(r"\s+delayed\s+received 0x\s+'job-2'", section), section
    actions = re.findall(r"\+\d+\.\d+s\s+(\w+)\s+(\S+)\s+(\d+.*)", section)
    assert [(a, r.strip()) for a, _, r in actions] == [
        ("CreateQueue", "200"), ("SendMessage", "200"), ("SendMessage", "200"), ("ReceiveMessage", "200"),
        ("GetQueueUrl", "400 QueueDoesNotExist"), ("ReceiveMessage", "200"),
    ]  # fmt: skip
    assert re.search(r"queue:jobs\s+list\s+2 items\s+no TTL", section), section
    assert re.search(r"session:abc\s+string\s+3 bytes\s+TTL 30 s", section), section
    assert "Clock: frozen at" in section


def test_a_failing_test_shows_the_twins_state(pytester):
    pytester.makepyfile(test_jobs=FAILING_TEST)
    assert_reports_the_failing_tests_state(run_subprocess(pytester))


def test_the_report_shows_a_running_twins_state(pytester, aws_endpoint_url, redis_endpoint):
    pytester.makepyfile(test_jobs=FAILING_TEST)
    result = run_subprocess(
        pytester, "--cloudtwin-endpoint", aws_endpoint_url, "--cloudtwin-redis-url", redis_endpoint.url
    )
    assert_reports_the_failing_tests_state(result)


@pytest.mark.parametrize("how", ["command line", "ini"])
def test_the_report_can_be_turned_off(pytester, how):
    pytester.makepyfile(test_jobs=FAILING_TEST)
    if how == "ini":
        pytester.makeini("[pytest]\ncloudtwin_report = off\n")
    result = run_subprocess(pytester, *(["--cloudtwin-report", "off"] if how == "command line" else []))
    result.assert_outcomes(failed=1, passed=1)
    assert "cloudtwin state" not in result.stdout.str()


def test_a_bad_report_value_is_a_usage_error(pytester):
    pytester.makepyfile(test_jobs=FAILING_TEST)
    result = pytester.runpytest_subprocess("-p", "no:cacheprovider", "--cloudtwin-report", "maybe")
    assert result.ret == pytest.ExitCode.USAGE_ERROR
    result.stderr.fnmatch_lines(["*--cloudtwin-report='maybe': use on or off*"])


def test_the_report_names_queues_apart_and_says_when_they_are_gone(pytester):
    pytester.makepyfile(
        test_regions="""
        import boto3

        def client(region):
            return boto3.client("sqs", region_name=region, aws_access_key_id="test", aws_secret_access_key="test")

        def test_two_regions(cloudtwin_aws_env):
            for region in ("us-east-1", "eu-west-1"):
                client(region).create_queue(QueueName="orders", Attributes={"DelaySeconds": "0"})
            assert False

        def test_deleted(cloudtwin_aws_env):
            sqs = client("us-east-1")
            sqs.delete_queue(QueueUrl=sqs.create_queue(QueueName="short-lived")["QueueUrl"])
            assert False
        """
    )
    result = run_subprocess(pytester)
    result.assert_outcomes(failed=2)
    text = "\n".join(result.outlines)
    assert "orders (standard, eu-west-1, account 000000000000): 0 visible" in text
    assert "orders (standard, us-east-1, account 000000000000): 0 visible" in text
    assert "SQS: no queue named short-lived exists now" in text
