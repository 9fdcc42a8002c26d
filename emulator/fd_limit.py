"""The process' open-file limit: `serve` needs one descriptor per client connection, and the usual soft
limit (1024) is below what its endpoints admit together (1,000 AWS connections, Redis' 10,000 maxclients)."""

from __future__ import annotations

import resource

# Listening sockets, the Kafka JVM's pipes, log files, moto's files.
RESERVED_DESCRIPTORS = 128


def raise_open_file_limit(wanted: int) -> int:
    """Raise the soft RLIMIT_NOFILE toward `wanted` (never above the hard limit, never lower); the limit now."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft if soft != resource.RLIM_INFINITY else wanted
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if target > soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError):
            pass
    return soft
