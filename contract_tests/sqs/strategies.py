"""What the SQS properties send."""

from __future__ import annotations

from hypothesis import strategies as st

BODIES = st.text(
    alphabet=st.characters(blacklist_categories=("Cs",), blacklist_characters="\x00\ufffe\uffff", min_codepoint=9),
    min_size=1,
    max_size=40,
).filter(lambda body: all(c in "\t\n\r" or ord(c) >= 0x20 for c in body))
# Long enough that no message becomes visible again by itself while a state machine runs.
HELD = 600
