"""The last requests the AWS endpoint served (action, queue, status), kept only while someone asks for them.

The pytest plugin turns it on to show, under a failing test, what the twin was asked during it.
Recording costs a few microseconds per request: it keeps references and short slices of the
request, bounded in number and size, and works out actions and queue names only when read.
"""

from __future__ import annotations

import itertools
import re
import time
from collections import deque
from urllib.parse import parse_qs, unquote_plus

from cloudtwin.http.identity import credential_scope

CAPACITY = 1000
_EXCERPT_BYTES = 400  # enough for a queue URL and its key; never the message body behind it
_JSON_QUEUE = re.compile(rb'"Queue(?:Url|Name)"\s*:\s*"((?:[^"\\]|\\.)*)"')
_JSON_ERROR = re.compile(rb'"__type"\s*:\s*"(?:[^"#]*#)?([^"]*)"')
_XML_ERROR = re.compile(rb"<Code>([^<]*)</Code>")

# seq, wall time, method, path, query string, X-Amz-Target, Authorization, queue excerpt, action excerpt,
# HTTP status, error excerpt
Record = tuple[int, float, str, str, str, str, str, bytes, bytes, int, bytes]


class RequestLog:
    def __init__(self, capacity: int = CAPACITY) -> None:
        self.recording = False
        self._records: deque[Record] = deque(maxlen=capacity)
        self._seq = itertools.count(1)

    def record(self, environ: dict, status: str, answer: object) -> None:
        body = environ.get("cloudtwin.body") or b""
        target = environ.get("HTTP_X_AMZ_TARGET", "")
        code = int(status[:3]) if status[:3].isdigit() else 0
        error = b""
        if code >= 400 and isinstance(answer, list) and answer:
            error = answer[0][:_EXCERPT_BYTES]  # our own protocols answer with one bytes object
        if target:
            queue_key, action = _excerpt(body, b'"QueueUrl"') or _excerpt(body, b'"QueueName"'), b""
        else:
            queue_key = _excerpt(body, b"QueueUrl=") or _excerpt(body, b"QueueName=")
            action = _excerpt(body, b"Action=")
        self._records.append(
            (
                next(self._seq), time.time(), environ["REQUEST_METHOD"], environ["PATH_INFO"],
                environ.get("QUERY_STRING", "")[:2048], target, environ.get("HTTP_AUTHORIZATION", "")[:512],
                queue_key, action, code, error,
            )
        )  # fmt: skip

    def since(self, wall_time: float = 0.0, limit: int = 50) -> dict:
        """Requests answered at or after `wall_time` (seconds since the epoch), the last `limit` of them."""
        records = [record for record in list(self._records) if record[1] >= wall_time]
        older_kept = len(self._records) - len(records)
        return {
            "recording": self.recording,
            "count": len(records),
            "complete": older_kept > 0 or len(self._records) < (self._records.maxlen or 0),
            "requests": [_describe(record) for record in records[-limit:]] if limit > 0 else [],
        }

    def clear(self) -> None:
        self._records.clear()


def _excerpt(body: bytes, key: bytes) -> bytes:
    at = body.find(key)
    return body[at : at + _EXCERPT_BYTES] if at >= 0 else b""


def _describe(record: Record) -> dict:
    seq, at, method, path, query, target, authorization, queue_key, action, status, error = record
    scope = credential_scope({"HTTP_AUTHORIZATION": authorization, "QUERY_STRING": query})
    service = scope[2] if scope else ""
    params = parse_qs(query) if query else {}
    if target:
        name = target.rpartition(".")[2]
        queue = _json_queue(queue_key)
        service = service or ("sqs" if target.startswith("AmazonSQS") else "")
    else:
        form = parse_qs(action.decode("utf-8", "replace")) if action else {}
        name = (form.get("Action") or params.get("Action") or [""])[0]
        queue = _form_value(queue_key) or (params.get("QueueUrl") or params.get("QueueName") or [""])[0]
        if not queue and name:
            queue = path  # the Query protocol takes a queue URL's path for a missing QueueUrl
        if not name:
            name = f"{method} {path}"  # a REST call (S3 and the like)
    return {
        "seq": seq,
        "time": at,
        "service": service,
        "action": name,
        "queue": _queue_name(queue),
        "status": status,
        "error": _error_code(error),
    }


def _json_queue(excerpt: bytes) -> str:
    match = _JSON_QUEUE.search(excerpt)
    return match.group(1).decode("utf-8", "replace").replace("\\/", "/") if match else ""


def _form_value(excerpt: bytes) -> str:
    if not excerpt:
        return ""
    value = excerpt.partition(b"=")[2].partition(b"&")[0]
    return unquote_plus(value.decode("utf-8", "replace"))


def _queue_name(url_or_name: str) -> str:
    """The queue's name from a URL (`…/queue/<region>/<account>/<name>`, `…/<account>/<name>`) or a name."""
    return url_or_name.rstrip("/").rpartition("/")[2] if url_or_name not in ("", "/") else ""


def _error_code(excerpt: bytes) -> str:
    match = _JSON_ERROR.search(excerpt) or _XML_ERROR.search(excerpt)
    return match.group(1).decode("utf-8", "replace") if match else ""
