"""Client-side caching: CLIENT TRACKING, CACHING, GETREDIR, TRACKINGINFO and invalidation messages, as in redis 7.0.

A tracking client is told when a key it read may have changed. In the default mode the server remembers which
clients read each key (a read-only command's keys, by redis' key specifications) and sends each of them one
invalidation when the key is next modified, expires, is evicted or is flushed (a flush invalidates everything: a nil).
OPTIN remembers only reads right after CLIENT CACHING yes, OPTOUT all but those after CLIENT CACHING no. BCAST remembers
nothing: every key modified under one of the client's prefixes is announced, batched per prefix. NOLOOP leaves out
keys the client changed itself. Messages go as RESP3 pushes (`invalidate`, [keys]); a RESP2 client redirects them to
another connection, which gets them as pub/sub messages of `__redis__:invalidate` if it is subscribed to anything.
An invalidation for the client whose command caused it follows that command's reply, as in redis 7.0.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from fakeredis._command_args_parsing import Int
from fakeredis._helpers import OK, SimpleError

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.command import command_keys
from cloudtwin.redis.commands.command_table import OrderedSet
from cloudtwin.redis.commands.registry import server_command
from cloudtwin.redis.protocol import Push

if TYPE_CHECKING:
    from cloudtwin.redis.client_socket import EngineSocket

INVALIDATE_CHANNEL = b"__redis__:invalidate"
# Read-only commands whose keys are not remembered: scripts' and functions' read-only variants remember the keys of the
# reads they run instead (as their caller's, as redis does), and pub/sub's shard channels are not keys.
_NOT_REMEMBERED = frozenset({"eval_ro", "evalsha_ro", "fcall_ro"})
_SCRIPT_CALLERS = frozenset({b"eval", b"evalsha", b"eval_ro", b"evalsha_ro", b"fcall", b"fcall_ro"})


@dataclass
class ClientTracking:
    """One client's tracking mode (present only while tracking is on)."""

    redirect: int = 0
    bcast: bool = False
    optin: bool = False
    optout: bool = False
    noloop: bool = False
    # CLIENT CACHING yes (OPTIN) or no (OPTOUT) was given for the next command or transaction.
    caching: bool = False
    # The client it redirects to has gone.
    broken_redirect: bool = False
    prefixes: list[bytes] = field(default_factory=list)


@dataclass
class _Broadcast:
    """A BCAST prefix: its clients, and the keys under it modified since the last broadcast, with who last did it."""

    clients: list[EngineSocket] = field(default_factory=list)
    keys: dict[bytes, EngineSocket | None] = field(default_factory=dict)


class KeyTracking:
    """The server's side of client-side caching: which clients may hold which keys, and the BCAST prefixes.

    `current` is the client whose command is running (set by the connection around each command): an invalidation it
    causes for itself waits in `pending` until its reply is out, and NOLOOP spares it its own changes.
    """

    def __init__(self, clients: Callable[[], list]) -> None:
        self._clients = clients
        # Key -> ids of the clients that read it since it last changed (ids of clients gone are dropped when met).
        self.table: dict[bytes, set[int]] = {}
        self.broadcasts: dict[bytes, _Broadcast] = {}
        self.tracking: dict[int, EngineSocket] = {}
        self.current: EngineSocket | None = None
        self.pending: list[bytes | None] = []
        # While a flush empties the databases: the flush invalidates everything at once, not key by key.
        self.flushing = False

    @property
    def active(self) -> bool:
        return bool(self.tracking)

    # --- enabling

    def enable(self, sock: EngineSocket, mode: ClientTracking, prefixes: list[bytes]) -> None:
        self.tracking[sock._client_info["id"]] = sock
        sock._tracking = mode
        if mode.bcast:
            for prefix in prefixes or [b""]:
                if prefix in mode.prefixes:
                    continue
                mode.prefixes.append(prefix)
                self.broadcasts.setdefault(prefix, _Broadcast()).clients.append(sock)
            mode.prefixes.sort()

    def disable(self, sock: EngineSocket) -> None:
        mode = sock._tracking
        if mode is None:
            return
        for prefix in mode.prefixes:
            broadcast = self.broadcasts[prefix]
            broadcast.clients.remove(sock)
            if not broadcast.clients:
                del self.broadcasts[prefix]
        self.tracking.pop(sock._client_info["id"], None)
        sock._tracking = None

    # --- reads

    def remember(self, sock: EngineSocket, name: str, argv: list[bytes], caller_fields: list[bytes] | None) -> None:
        """After a read-only command `name` ran with `argv` (its name first): remember its keys for the client, or,
        for a read in a script (`caller_fields` the script's own command), the keys the script declared."""
        mode = sock._tracking
        if mode is None or mode.bcast or name in _NOT_REMEMBERED:
            return
        if (mode.optin and not mode.caching) or (mode.optout and mode.caching):
            return
        if caller_fields is not None:
            keys = _declared_keys(caller_fields)
        else:
            keys = command_keys(argv)
        client_id = sock._client_info["id"]
        table = self.table
        for key in keys:
            readers = table.get(key)
            if readers is None:
                table[key] = {client_id}
            else:
                readers.add(client_id)

    # --- changes

    def key_modified(self, key: bytes) -> None:
        if self.flushing:
            return
        current = self.current
        for prefix, broadcast in self.broadcasts.items():
            if key.startswith(prefix):
                broadcast.keys[key] = current
        readers = self.table.pop(key, None)
        if not readers:
            return
        for client_id in readers:
            target = self.tracking.get(client_id)
            if target is None or target._tracking is None or target._tracking.bcast:
                continue
            if target is current:
                if not target._tracking.noloop:
                    self.pending.append(key)
                continue
            self._send(target, [key])

    def flushed(self) -> None:
        """A FLUSHDB or FLUSHALL: every tracking client is told that everything it holds is stale."""
        self.table.clear()
        for sock in list(self.tracking.values()):
            if sock is self.current:
                self.pending.append(None)
            else:
                self._send(sock, None)

    def broadcast(self) -> None:
        """Announce the keys modified under each BCAST prefix since the last time, to that prefix's clients."""
        # Prefixes and keys in byte order, as redis walks its radix trees.
        for _, broadcast in sorted(self.broadcasts.items()):
            if not broadcast.keys:
                continue
            keys = sorted(broadcast.keys)
            for sock in list(broadcast.clients):
                mode = sock._tracking
                if mode is not None and mode.noloop:
                    shown = [key for key in keys if broadcast.keys[key] is not sock]
                    if shown:
                        self._send(sock, shown)
                else:
                    self._send(sock, keys)
            broadcast.keys = {}

    def command_done(self, sock: EngineSocket, first: bytes) -> None:
        """After a client's command and its reply: its own invalidations, the BCAST announcements, and the end of a
        CLIENT CACHING choice (it covers one command, or one transaction, and survives other CLIENT commands)."""
        self.current = None
        if self.pending:
            pending, self.pending = self.pending, []
            if sock._tracking is not None:
                for key in pending:
                    self._send(sock, None if key is None else [key])
        if self.broadcasts:
            self.broadcast()
        mode = sock._tracking
        if mode is not None and mode.caching and sock._transaction is None and first != b"client":
            mode.caching = False

    # --- delivery

    def _send(self, sock: EngineSocket, keys: list[bytes] | None) -> None:
        mode = sock._tracking
        if mode is None:
            return
        target = sock
        if mode.redirect:
            found = self._client(mode.redirect)
            if found is None:
                mode.broken_redirect = True
                if sock.connection is not None and sock._client_info.protocol_version == 3:
                    sock.connection.push(Push([b"tracking-redir-broken", mode.redirect]))
                return
            target = found
        connection = target.connection
        if connection is None:
            return
        if target._client_info.protocol_version == 3:
            connection.push(Push([b"invalidate", keys]))
        elif mode.redirect and target._pubsub:
            connection.push(Push([b"message", INVALIDATE_CHANNEL, keys]))
        # A RESP2 client that does not redirect has nowhere to be told.

    def _client(self, client_id: int) -> EngineSocket | None:
        found = self.tracking.get(client_id)
        if found is not None:
            return found
        return next((sock for sock in self._clients() if sock._client_info["id"] == client_id), None)

    def client_exists(self, client_id: int) -> bool:
        return self._client(client_id) is not None

    # --- INFO

    def info_stats(self) -> dict[str, int]:
        return {
            "tracking_total_keys": len(self.table),
            "tracking_total_items": sum(len(readers) for readers in self.table.values()),
            "tracking_total_prefixes": len(self.broadcasts),
        }


def _declared_keys(fields: list[bytes]) -> list[bytes]:
    """The keys EVAL, EVALSHA, FCALL and their read-only variants name: their numkeys arguments after the script."""
    if len(fields) < 3 or fields[0].lower() not in _SCRIPT_CALLERS:
        return []
    try:
        count = int(fields[2])
    except ValueError:
        return []
    return list(fields[3 : 3 + max(count, 0)])


def _prefixes_overlap(first: bytes, second: bytes) -> bool:
    shorter = min(len(first), len(second))
    return first[:shorter] == second[:shorter]


class TrackingCommands(ServerCommandsBase):
    _tracking: ClientTracking | None = None
    _pubsub: int

    @server_command("CLIENT TRACKING", fixed=(bytes,), repeat=(bytes,))
    def cloudtwin_client_tracking(self, switch: bytes, *options: bytes) -> Any:
        redirect = 0
        bcast = optin = optout = noloop = False
        prefixes: list[bytes] = []
        index = 0
        while index < len(options):
            option = options[index].lower()
            more = index + 1 < len(options)
            if option == b"redirect" and more:
                index += 1
                if redirect:
                    raise SimpleError("ERR A client can only redirect to a single other client")
                redirect = Int.decode(options[index])
                if not self.engine.tracking.client_exists(redirect):
                    raise SimpleError("ERR The client ID you want redirect to does not exist")
            elif option == b"bcast":
                bcast = True
            elif option == b"optin":
                optin = True
            elif option == b"optout":
                optout = True
            elif option == b"noloop":
                noloop = True
            elif option == b"prefix" and more:
                index += 1
                prefixes.append(options[index])
            else:
                raise SimpleError("ERR syntax error")
            index += 1
        tracking = self.engine.tracking
        lowered = switch.lower()
        if lowered == b"off":
            tracking.disable(self)  # type: ignore[arg-type]
            return OK
        if lowered != b"on":
            raise SimpleError("ERR syntax error")
        current = self._tracking
        if prefixes and not bcast:
            raise SimpleError("ERR PREFIX option requires BCAST mode to be enabled")
        if current is not None and current.bcast != bcast:
            raise SimpleError(
                "ERR You can't switch BCAST mode on/off before disabling tracking for this client, and then "
                "re-enabling it with a different mode."
            )
        if bcast and (optin or optout):
            raise SimpleError("ERR OPTIN and OPTOUT are not compatible with BCAST")
        if optin and optout:
            raise SimpleError("ERR You can't specify both OPTIN mode and OPTOUT mode")
        if current is not None and ((optin and current.optout) or (optout and current.optin)):
            raise SimpleError(
                "ERR You can't switch OPTIN/OPTOUT mode before disabling tracking for this client, and then "
                "re-enabling it with a different mode."
            )
        if bcast:
            self._check_prefixes(prefixes, current.prefixes if current is not None else [])
        # Turning it on again keeps the prefixes and the CACHING choice, and takes the new options.
        mode = current or ClientTracking()
        mode.redirect, mode.bcast, mode.optin, mode.optout, mode.noloop = redirect, bcast, optin, optout, noloop
        mode.broken_redirect = False
        tracking.enable(self, mode, prefixes)  # type: ignore[arg-type]
        return OK

    @staticmethod
    def _check_prefixes(prefixes: list[bytes], existing: list[bytes]) -> None:
        for index, prefix in enumerate(prefixes):
            for old in existing:
                if _prefixes_overlap(old, prefix):
                    raise SimpleError(
                        f"ERR Prefix '{prefix.decode(errors='replace')}' overlaps with an existing prefix "
                        f"'{old.decode(errors='replace')}'. Prefixes for a single client must not overlap."
                    )
            for other in prefixes[index + 1 :]:
                if _prefixes_overlap(prefix, other):
                    raise SimpleError(
                        f"ERR Prefix '{prefix.decode(errors='replace')}' overlaps with another provided prefix "
                        f"'{other.decode(errors='replace')}'. Prefixes for a single client must not overlap."
                    )

    @server_command("CLIENT CACHING", fixed=(bytes,))
    def cloudtwin_client_caching(self, choice: bytes) -> Any:
        mode = self._tracking
        if mode is None:
            raise SimpleError(
                "ERR CLIENT CACHING can be called only when the client is in tracking mode with OPTIN or OPTOUT mode "
                "enabled"
            )
        lowered = choice.lower()
        if lowered == b"yes":
            if not mode.optin:
                raise SimpleError("ERR CLIENT CACHING YES is only valid when tracking is enabled in OPTIN mode.")
        elif lowered == b"no":
            if not mode.optout:
                raise SimpleError("ERR CLIENT CACHING NO is only valid when tracking is enabled in OPTOUT mode.")
        else:
            raise SimpleError("ERR syntax error")
        mode.caching = True
        return OK

    @server_command("CLIENT GETREDIR")
    def cloudtwin_client_getredir(self) -> int:
        mode = self._tracking
        return -1 if mode is None else mode.redirect

    @server_command("CLIENT TRACKINGINFO")
    def cloudtwin_client_trackinginfo(self) -> dict:
        mode = self._tracking
        if mode is None:
            return {b"flags": OrderedSet([b"off"]), b"redirect": -1, b"prefixes": []}
        flags = [b"on"]
        if mode.bcast:
            flags.append(b"bcast")
        if mode.optin:
            flags.append(b"optin")
            if mode.caching:
                flags.append(b"caching-yes")
        if mode.optout:
            flags.append(b"optout")
            if mode.caching:
                flags.append(b"caching-no")
        if mode.noloop:
            flags.append(b"noloop")
        if mode.broken_redirect:
            flags.append(b"broken_redirect")
        # The flags are a set in RESP3, as redis sends them.
        return {b"flags": OrderedSet(flags), b"redirect": mode.redirect, b"prefixes": list(mode.prefixes)}

    def flushdb(self, *args: bytes) -> Any:
        return self._flushing(lambda: super(TrackingCommands, self).flushdb(*args))  # type: ignore[misc]

    def flushall(self, *args: bytes) -> Any:
        return self._flushing(lambda: super(TrackingCommands, self).flushall(*args))  # type: ignore[misc]

    def _flushing(self, flush: Callable[[], Any]) -> Any:
        # Overrides fakeredis's FLUSHDB and FLUSHALL: the databases empty without invalidating key by key (see
        # TrackedDatabase.clear), then one invalidation of everything.
        reply = flush()
        self.engine.tracking.flushed()
        return reply

    def reset(self) -> Any:
        # Overrides fakeredis's RESET, which also turns tracking off in redis.
        self.engine.tracking.disable(self)  # type: ignore[arg-type]
        return super().reset()  # type: ignore[misc]

    def _cleanup(self, server: Any) -> None:
        self.engine.tracking.disable(self)  # type: ignore[arg-type]
        super()._cleanup(server)  # type: ignore[misc]
