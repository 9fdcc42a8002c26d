"""Receipt handles: opaque to clients, but they name the queue and the message they belong to."""

from __future__ import annotations

import binascii
import itertools
import os

from cloudtwin.sqs import errors

_SEPARATOR = "\x1f"
# Handles must differ per receive, not be secret: a random start and a counter are enough.
_nonces = itertools.count(int.from_bytes(os.urandom(6), "big"))


def new_receipt_handle(queue_arn: str, message_id: str) -> str:
    raw = f"{queue_arn}{_SEPARATOR}{message_id}{_SEPARATOR}{next(_nonces):x}"
    return binascii.b2a_base64(raw.encode(), newline=False).decode()


def parse_receipt_handle(handle: str, queue_arn: str) -> str:
    """Return the message id a handle names; ReceiptHandleIsInvalid if it is not one of this queue's."""
    try:
        raw = binascii.a2b_base64(handle.encode("ascii"), strict_mode=True).decode()
        arn, message_id, _nonce = raw.split(_SEPARATOR)
    except (ValueError, UnicodeError, binascii.Error):
        arn = message_id = None
    if arn != queue_arn or not message_id:
        raise errors.ReceiptHandleIsInvalid(f'The input receipt handle "{handle}" is not a valid receipt handle.')
    return message_id
