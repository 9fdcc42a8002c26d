"""The API reference's rules for identifiers and AUTH tokens."""

from __future__ import annotations

import re

from cloudtwin.control.elasticache.errors import ElastiCacheError

_IDENTIFIER = re.compile(r"[a-z](?:[a-z0-9]|-(?!-))*")
# Printable ASCII: letters, digits and only these special characters (the API reference's AuthToken constraints).
_TOKEN = re.compile(r"[A-Za-z0-9!&#$^<>-]{16,128}")


def identifier(value: str | None, name: str, longest: int) -> str:
    """A cluster or group id: 1 to `longest` letters, digits or hyphens, starting with a letter, no two hyphens in a
    row, no hyphen at the end. Stored in lower case, as ElastiCache stores it."""
    lowered = (value or "").lower()
    if not (0 < len(lowered) <= longest and _IDENTIFIER.fullmatch(lowered) and not lowered.endswith("-")):
        raise ElastiCacheError.invalid_value(
            f"Invalid {name} {value!r}: it must contain from 1 to {longest} alphanumeric characters or hyphens, begin "
            "with a letter, and contain neither two consecutive hyphens nor a hyphen at the end."
        )
    return lowered


def auth_token(token: str, transit_encryption: bool) -> str:
    if not transit_encryption:
        raise ElastiCacheError.invalid_combination(
            "The AUTH token is only supported when encryption-in-transit is enabled (TransitEncryptionEnabled)."
        )
    if not _TOKEN.fullmatch(token):
        raise ElastiCacheError.invalid_value(
            "Invalid AuthToken: it must be 16 to 128 printable characters, letters, digits and only the special "
            "characters ! & # $ ^ < > -"
        )
    return token
