"""The pytest plugin as another repository uses it: options, ini, and fixture factories."""

from __future__ import annotations

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
        from pytest_plugin import factories

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
