"""CLIENT LIST and CLIENT INFO in redis 7's format, from what the server knows of each connection.

fakeredis's versions print its own client record, without the flags, idle time, last command and
buffer fields that monitoring tools (and redis-py's `client_list()` users) read. Memory fields are
the connection's buffered bytes: the twin has no allocator figures to report.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakeredis._helpers import SimpleError

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import CONTAINERS
from cloudtwin.redis.dispatch import has_subcommands

if TYPE_CHECKING:
    from cloudtwin.redis.client_socket import EngineSocket

CLIENT_TYPES = (b"normal", b"master", b"replica", b"slave", b"pubsub")


class ClientListCommands(ServerCommandsBase):
    # Same names as fakeredis's methods: its CLIENT LIST and CLIENT INFO signatures dispatch to these.
    def client_info_cmd(self) -> bytes:
        return (client_line(self) + "\n").encode()  # type: ignore[arg-type]

    def client_list_cmd(self, *args: bytes) -> bytes:
        wanted_type: bytes | None = None
        wanted_ids: set[int] | None = None
        i = 0
        while i < len(args):
            option = args[i].lower()
            if option == b"type" and i + 1 < len(args):
                wanted_type = args[i + 1].lower()
                if wanted_type not in CLIENT_TYPES:
                    raise SimpleError(f"ERR Unknown client type '{args[i + 1].decode(errors='replace')}'")
                i += 2
            elif option == b"id" and i + 1 < len(args):
                wanted_ids = set()
                for value in args[i + 1 :]:
                    # redis refuses what is not a number; a number no client has (0, negative) just matches nothing.
                    if not value.lstrip(b"-").isdigit():
                        raise SimpleError("ERR Invalid client ID")
                    wanted_ids.add(int(value))
                i = len(args)
            else:
                raise SimpleError("ERR syntax error")
        lines = []
        for sock in sorted(self.engine.client_sockets(), key=lambda s: s._client_info["id"]):
            if wanted_ids is not None and sock._client_info["id"] not in wanted_ids:
                continue
            if wanted_type is not None and _client_type(sock) != wanted_type:
                continue
            lines.append(client_line(sock) + "\n")
        return "".join(lines).encode()


def _client_type(sock: EngineSocket) -> bytes:
    return b"pubsub" if sock._pubsub else b"normal"


def client_line(sock: EngineSocket) -> str:
    connection = sock.connection
    info = sock._client_info
    server = sock._server
    now = sock.engine.clock.now()
    host, port = connection.server_address
    queued = sock._transaction
    channels = sum(1 for subscribers in server.subscribers.values() if sock in subscribers)
    patterns = sum(1 for subscribers in server.psubscribers.values() if sock in subscribers)
    shard_channels = sum(1 for subscribers in server.ssubscribers.values() if sock in subscribers)
    pending = connection.reader.buffered
    fields = {
        "id": info["id"],
        "addr": connection.address,
        "laddr": f"{host}:{port}",
        "fd": connection.fd,
        "name": info.get("name", ""),
        "age": int(now - connection.connected_at),
        "idle": int(now - connection.last_interaction),
        "flags": _flags(sock),
        "db": sock._db_num,
        "sub": channels,
        "psub": patterns,
        "ssub": shard_channels,
        "multi": len(queued) if queued is not None else -1,
        "qbuf": pending,
        "qbuf-free": 0,
        "argv-mem": 0,
        "multi-mem": 0,
        "rbs": pending,
        "rbp": pending,
        "obl": 0,
        "oll": connection.out.chunk_count,
        "omem": connection.out.size,
        "tot-mem": connection.buffered_bytes(),
        "events": "rw" if connection.out else "r",
        "cmd": _command_label(connection.last_command),
        "user": info.get("user", "default"),
        # The client its tracking invalidations go to: 0 for itself, -1 when not tracking.
        "redir": sock._tracking.redirect if sock._tracking is not None else -1,
        "resp": sock._client_info.protocol_version,
    }
    return " ".join(f"{name}={value}" for name, value in fields.items())


def _flags(sock: EngineSocket) -> str:
    connection = sock.connection
    tracking = sock._tracking
    # In the order redis writes them.
    flags = "".join(
        letter
        for letter, present in (
            ("O", connection.monitoring),
            ("P", bool(sock._pubsub)),
            ("x", sock._transaction is not None),
            ("b", connection.blocked is not None),
            ("t", tracking is not None),
            ("R", tracking is not None and tracking.broken_redirect),
            ("B", tracking is not None and tracking.bcast),
            ("d", bool(sock._watch_notified)),
            ("c", connection.closing),
            ("e", sock._no_evict),
            ("T", sock._no_touch),
        )
        if present
    )
    return flags or "N"


def _command_label(args: list[bytes] | None) -> str:
    """The last command as redis names it: `get`, or `client|list` for a subcommand; NULL before the first."""
    if not args:
        return "NULL"
    name = args[0].lower()
    if len(args) > 1 and (name in CONTAINERS or has_subcommands(name)):
        name += b"|" + args[1].lower()
    return name.decode(errors="replace")
