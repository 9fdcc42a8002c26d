"""Queue names, URLs and ARNs, and who is asking (region, account, endpoint)."""

from __future__ import annotations

import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from cloudtwin.sqs import errors

_NAME = re.compile(r"[A-Za-z0-9_-]{1,80}")
_FIFO_NAME = re.compile(r"[A-Za-z0-9_-]{1,75}\.fifo")
_ACCOUNT = re.compile(r"\d{12}")
_REGION = re.compile(r"[a-z]{2}(-[a-z]+)+-\d+")
# The region in a queue URL's host: AWS's `sqs.<region>.amazonaws.com` and the legacy
# `<region>.queue.amazonaws.com`, and the same forms under localhost or localstack.cloud.
_HOST_REGION = re.compile(r"^(?:sqs\.([a-z]{2}(?:-[a-z]+)+-\d+)\.|([a-z]{2}(?:-[a-z]+)+-\d+)\.queue\.)")


@dataclass(frozen=True, slots=True)
class RequestContext:
    region: str
    account: str
    endpoint: str
    """Scheme, host and port the client used, e.g. http://localhost:4566; queue URLs start with it."""
    trace_header: str | None = None
    """The request's X-Amzn-Trace-Id header: AWS gives it to the messages sent as their AWSTraceHeader."""
    region_signed: bool = False
    """Whether `region` is the one the request was signed for: then a queue URL of another region is
    not found, as in AWS, where each region's endpoint knows only its own queues."""


def validate_queue_name(name: str | None, fifo: bool) -> str:
    if not name:
        raise errors.MissingParameter("The request must contain the parameter QueueName.")
    if fifo:
        if not _FIFO_NAME.fullmatch(name):
            raise errors.InvalidParameterValue(
                "The name of a FIFO queue can only include alphanumeric characters, hyphens, or "
                "underscores, must end with .fifo suffix and be 1 to 80 in length."
            )
    elif not _NAME.fullmatch(name):
        if name.endswith(".fifo") and _FIFO_NAME.fullmatch(name):
            raise errors.InvalidParameterValue(
                "The name of a FIFO queue must come with the attribute FifoQueue set to true."
            )
        raise errors.InvalidParameterValue(
            "Can only include alphanumeric characters, hyphens, or underscores. 1 to 80 in length"
        )
    return name


def queue_url(endpoint: str, region: str, account: str, name: str) -> str:
    return f"{endpoint}/queue/{region}/{account}/{name}"


# Clients send the same few queue URLs over and over: their parsed keys, by (URL, the caller's region).
_PARSED_URLS: dict[tuple[str, str, str], tuple[str, str, str]] = {}
_PARSED_URLS_MAX = 4096


def parse_queue_url(url: str | None, ctx: RequestContext) -> tuple[str, str, str]:
    """(region, account, name) of a queue URL, remembered for the next request that sends it."""
    if url:
        memo = (url, ctx.region, ctx.account)
        key = _PARSED_URLS.get(memo)
        if key is None:
            key = _parse_queue_url(url, ctx)
            if len(_PARSED_URLS) >= _PARSED_URLS_MAX:
                _PARSED_URLS.clear()
            _PARSED_URLS[memo] = key
        return key
    return _parse_queue_url(url, ctx)


def _parse_queue_url(url: str | None, ctx: RequestContext) -> tuple[str, str, str]:
    """(region, account, name) of a queue URL; the host part is ignored, as clients vary it.

    Accepts this emulator's `/queue/<region>/<account>/<name>`, AWS's `/<account>/<name>` (whose
    region is the host's, as in `sqs.<region>.localhost`, else the request's), and a queue name
    alone, which AWS takes as the caller's queue of that name.
    """
    if not url:
        raise errors.MissingParameter("The request must contain the parameter QueueUrl.")
    split = None
    if "://" in url:
        split = urlsplit(url)
        path = split.path
    elif "/" not in url:
        if _NAME.fullmatch(url) or _FIFO_NAME.fullmatch(url):
            return ctx.region, ctx.account, url
        raise errors.InvalidAddress(f"The address {url} is not valid for this endpoint.")
    else:
        path = url
    parts = [part for part in path.split("/") if part]
    if len(parts) == 4 and parts[0] == "queue" and _REGION.fullmatch(parts[1]) and _ACCOUNT.fullmatch(parts[2]):
        return parts[1], parts[2], parts[3]
    if len(parts) == 2 and _ACCOUNT.fullmatch(parts[0]):
        host_region = _HOST_REGION.match(split.hostname or "") if split is not None else None
        if host_region:
            return host_region.group(1) or host_region.group(2), parts[0], parts[1]
        return ctx.region, parts[0], parts[1]
    raise errors.InvalidAddress(f"The address {url} is not valid for this endpoint.")


def parse_queue_arn(arn: str) -> tuple[str, str, str] | None:
    """(region, account, name) of an SQS queue ARN, or None if it is not one."""
    parts = arn.split(":")
    if len(parts) != 6 or parts[:3] != ["arn", "aws", "sqs"] or not parts[5]:
        return None
    return parts[3], parts[4], parts[5]
