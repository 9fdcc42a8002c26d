"""Hash slots: which of the 16384 slots a key belongs to, and how a cluster's shards divide them."""

from __future__ import annotations

from binascii import crc_hqx

HASH_SLOTS = 16384

SlotRange = tuple[int, int]


def key_slot(key: bytes) -> int:
    """The slot of a key as redis computes it: CRC16 (XMODEM) of the key, or of its hash tag, the text between the
    first `{` and the first `}` after it when that text is not empty."""
    start = key.find(b"{")
    if start != -1:
        end = key.find(b"}", start + 1)
        if end > start + 1:
            key = key[start + 1 : end]
    return crc_hqx(key, 0) & (HASH_SLOTS - 1)


def even_slot_ranges(shards: int) -> list[SlotRange]:
    """One contiguous range per shard, as ElastiCache divides the slots when NodeGroupConfiguration names none:
    equal parts, the first shards taking one slot more while the division leaves some over (3 shards: 0-5461,
    5462-10922, 10923-16383; redis-cli --cluster create gives the extra slot to the middle shard instead)."""
    if not 1 <= shards <= HASH_SLOTS:
        raise ValueError(f"a cluster has 1 to {HASH_SLOTS} shards, not {shards}")
    size, extra = divmod(HASH_SLOTS, shards)
    ranges, first = [], 0
    for index in range(shards):
        last = first + size + (1 if index < extra else 0) - 1
        ranges.append((first, last))
        first = last + 1
    return ranges


def parse_slot_ranges(text: str) -> list[SlotRange]:
    """ElastiCache's `Slots` notation, "0-5461" or "0-100,200-300", as (first, last) pairs."""
    ranges = []
    for part in text.split(","):
        first, _, last = part.strip().partition("-")
        start, end = int(first), int(last or first)
        if not 0 <= start <= end < HASH_SLOTS:
            raise ValueError(f"slot range {part.strip()!r} is not within 0-{HASH_SLOTS - 1}")
        ranges.append((start, end))
    return ranges


def format_slot_ranges(ranges: list[SlotRange]) -> str:
    """The ranges in ElastiCache's `Slots` notation (and CLUSTER NODES'), a single slot as its number."""
    return ",".join(str(first) if first == last else f"{first}-{last}" for first, last in ranges)
