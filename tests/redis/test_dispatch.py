"""The server's command dispatch: its caches stay bounded whatever clients send."""

from __future__ import annotations

import redis

from cloudtwin.redis import dispatch


def test_many_argument_counts_and_unknown_names_do_not_grow_the_caches(twin: redis.Redis) -> None:
    twin.ping()
    plans, commands = len(dispatch._plans), len(dispatch._commands)
    for count in range(40, 400, 2):
        twin.mset({f"k{i}": i for i in range(count)})
    for attempt in range(200):
        try:
            twin.execute_command(f"NOSUCH{attempt}")
        except redis.ResponseError:
            pass
    # MSETs up to 64 arguments may each get a plan; the longer ones and the unknown names add nothing.
    assert len(dispatch._plans) <= plans + (dispatch.MAX_PLANNED_ARGUMENTS - 40) // 2 + 1
    assert len(dispatch._commands) <= commands + 1


def test_resolve_knows_subcommands_only_after_their_container() -> None:
    signature, arguments = dispatch.resolve([b"CLIENT", b"GetName"])
    assert signature.name == "client getname"
    assert arguments == []
    assert dispatch.resolve([b"client getname"]) is None
    assert dispatch.resolve([b"CLIENT"]) is None
    assert dispatch.resolve([b"nosuchcommand"]) is None
