"""`cloudtwin_aws_env`: the environment that points the code under test's own AWS clients at the twin."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest

# Variables that would send a client elsewhere than AWS_ENDPOINT_URL, or sign as someone else.
_CLEARED = ("AWS_SESSION_TOKEN", "AWS_SECURITY_TOKEN", "AWS_PROFILE", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS")


@pytest.fixture
def cloudtwin_aws_env(request: pytest.FixtureRequest, aws_endpoint_url: str) -> Iterator[dict[str, str]]:
    """AWS_ENDPOINT_URL, region and dummy credentials for this test, so `boto3.client("sqs")` in the
    code under test reaches the twin; the environment is as before after the test.

    Against --cloudtwin-endpoint with AWS_ACCESS_KEY_ID already set (a real target), the credentials stay.
    Autouse for every test with the ini option `cloudtwin_aws_env = true` (or --cloudtwin-aws-env=true).
    """
    from cloudtwin.pytest_plugin.plugin import cloudtwin_option

    region = cloudtwin_option(request.config, "region")
    values = {"AWS_ENDPOINT_URL": aws_endpoint_url, "AWS_DEFAULT_REGION": region, "AWS_REGION": region}
    real_target = cloudtwin_option(request.config, "endpoint") and os.environ.get("AWS_ACCESS_KEY_ID")
    with pytest.MonkeyPatch.context() as patch:
        if not real_target:
            values.update(AWS_ACCESS_KEY_ID="test", AWS_SECRET_ACCESS_KEY="test")
            for name in _CLEARED:
                patch.delenv(name, raising=False)
        for name in [name for name in os.environ if name.startswith("AWS_ENDPOINT_URL_")]:
            patch.delenv(name)  # a service's own endpoint variable beats AWS_ENDPOINT_URL
        for name, value in values.items():
            patch.setenv(name, value)
        yield values


@pytest.fixture(autouse=True)
def _cloudtwin_aws_env_autouse(request: pytest.FixtureRequest) -> None:
    from cloudtwin.pytest_plugin.plugin import cloudtwin_option

    if _truthy(cloudtwin_option(request.config, "aws_env")):
        request.getfixturevalue("cloudtwin_aws_env")


def _truthy(value: str) -> bool:
    return str(value).strip().lower() in ("1", "true", "yes", "on")
