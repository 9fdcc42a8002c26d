"""What redis hides of a command's arguments wherever it shows them again (MONITOR, SLOWLOG)."""

from __future__ import annotations

from collections.abc import Sequence

REDACTED = b"(redacted)"


def redact(arguments: Sequence[bytes]) -> Sequence[bytes]:
    """AUTH's password (and username), and HELLO's AUTH pair, replaced as redis replaces them."""
    name = arguments[0].lower()
    if name == b"auth":
        return [arguments[0], *(REDACTED for _ in arguments[1:])]
    if name == b"hello":
        shown = list(arguments)
        for index, argument in enumerate(arguments):
            if argument.lower() == b"auth" and index >= 2:
                shown[index + 1 : index + 3] = [REDACTED] * len(shown[index + 1 : index + 3])
        return shown
    return arguments
