"""A server without cluster mode answers CLUSTER, READONLY, READWRITE and ASKING as redis-server 7.0 does: its
refusal, which cluster-aware clients read to fall back to a plain connection, after arity and subcommand checks."""

from __future__ import annotations

from tests.redis.conftest import raw


def test_cluster_commands_refused_without_cluster_mode(both):
    commands = [
        ("CLUSTER",),
        ("CLUSTER", "NOSUCH"),
        ("CLUSTER", "MYSHARDID"),
        ("CLUSTER", "KEYSLOT"),
        ("CLUSTER", "KEYSLOT", "a"),
        ("CLUSTER", "SLOTS"),
        ("CLUSTER", "INFO"),
        ("CLUSTER", "HELP"),
        ("CLUSTER", "MEET", "127.0.0.1", "1"),
        ("READONLY",),
        ("READWRITE",),
        ("ASKING",),
        ("SELECT", "1"),
        ("SELECT", "0"),
    ]
    twin, real = both
    assert [raw(twin, *command) for command in commands] == [raw(real, *command) for command in commands]
    assert raw(twin, "ASKING") == ("error", "This instance has cluster support disabled")
    assert raw(twin, "INFO", "cluster") == raw(real, "INFO", "cluster")
