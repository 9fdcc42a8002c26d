"""Rules every batch action shares (entry count, entry ids), for both wire protocols."""

from __future__ import annotations

import re
from collections.abc import Sequence

from cloudtwin.sqs import errors

MAX_ENTRIES = 10
MAX_BATCH_BYTES = 1048576
_ENTRY_ID = re.compile(r"[A-Za-z0-9_-]{1,80}")


def validate_entry_ids(ids: Sequence[str | None]) -> None:
    if not ids:
        raise errors.EmptyBatchRequest("There should be at least one entry in the request.")
    if len(ids) > MAX_ENTRIES:
        raise errors.TooManyEntriesInBatchRequest(
            f"Maximum number of entries per request are {MAX_ENTRIES}. You have sent {len(ids)}."
        )
    seen = set()
    for entry_id in ids:
        if not entry_id or not _ENTRY_ID.fullmatch(entry_id):
            raise errors.InvalidBatchEntryId(
                "A batch entry id can only contain alphanumeric characters, hyphens and underscores. "
                "It can be at most 80 letters long."
            )
        if entry_id in seen:
            raise errors.BatchEntryIdsNotDistinct(f"Id {entry_id} repeated.")
        seen.add(entry_id)


def validate_total_size(total: int) -> None:
    if total > MAX_BATCH_BYTES:
        raise errors.BatchRequestTooLong(
            f"Batch requests cannot be longer than {MAX_BATCH_BYTES} bytes. You have sent {total} bytes."
        )
