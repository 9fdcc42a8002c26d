"""Receipt handles: opaque to clients, but they name the queue and the message they belong to."""

from __future__ import annotations

import base64
import binascii
import os

from emulator.sqs import errors

_SEPARATOR = "\x1f"


def new_receipt_handle(queue_arn: str, message_id: str) -> str:
    raw = _SEPARATOR.join((queue_arn, message_id, os.urandom(12).hex()))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def parse_receipt_handle(handle: str, queue_arn: str) -> str:
    """Return the message id a handle names; ReceiptHandleIsInvalid if it is not one of this queue's."""
    try:
        raw = base64.urlsafe_b64decode(handle.encode("ascii")).decode()
        arn, message_id, _nonce = raw.split(_SEPARATOR)
    except (ValueError, UnicodeError, binascii.Error):
        arn = message_id = None
    if arn != queue_arn or not message_id:
        raise errors.ReceiptHandleIsInvalid(f'The input receipt handle "{handle}" is not a valid receipt handle.')
    return message_id
