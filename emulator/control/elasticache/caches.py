"""A cache's live side: one engine (its own data) and one RESP server with a listener per node, plus a replication
group's primary and reader endpoints, each answering in the role it has (primary, or read-only replica)."""

from __future__ import annotations

import ssl
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from cloudtwin.clock import Clock
from cloudtwin.redis.client_socket import InternalSession
from cloudtwin.redis.engine import RedisEngine
from cloudtwin.redis.replica import NodeRole
from cloudtwin.redis.server import Listener, RespServer


@dataclass
class CacheSettings:
    """What a cache was created (or since modified) with, as its descriptions report it."""

    engine: str
    engine_version: str
    node_type: str
    parameter_group: str
    transit_encryption: bool
    created: datetime
    at_rest_encryption: bool = False
    # The AUTH tokens accepted now: none, one, or two while a ROTATE is under way (the newest last).
    auth_tokens: list[str] = field(default_factory=list)
    auth_token_modified: datetime | None = None
    user_group_ids: list[str] = field(default_factory=list)
    subnet_group: str | None = None
    security_group_ids: list[str] = field(default_factory=list)


@dataclass
class Member:
    """A cache cluster (one node) of a cache: a standalone cluster has one, a replication group one per member."""

    cluster_id: str
    zone: str
    listener: Listener
    # The node group (shard) of the member: a cluster-mode-disabled group has one, 0001.
    node_group: str = "0001"

    @property
    def is_primary(self) -> bool:
        return not self.listener.role.is_replica


class LiveCache:
    """The engine and server behind a cache, started at once, stopped (clients dropped) at delete."""

    def __init__(
        self,
        clock: Clock,
        host: str,
        advertised_host: str,
        ssl_context: ssl.SSLContext | None,
        cluster_ids: list[str],
        zones: list[str],
        group_endpoints: bool,
    ) -> None:
        self.engine = RedisEngine(clock)
        self.host = host
        self.advertised_host = advertised_host
        self.tls = ssl_context is not None
        first = RespServer(self.engine, host, 0, ssl_context, NodeRole())
        self.server = first
        self.members: list[Member] = []
        self.primary_endpoint: Listener | None = None
        self.reader_endpoint: Listener | None = None
        try:
            self.members.append(Member(cluster_ids[0], zones[0], first.listeners[0]))
            for cluster_id, zone in zip(cluster_ids[1:], zones[1:], strict=True):
                role = NodeRole((advertised_host, first.port))
                self.members.append(Member(cluster_id, zone, first.add_listener(host, 0, role)))
            if group_endpoints:
                self.primary_endpoint = first.add_listener(host, 0, NodeRole())
                has_replicas = len(cluster_ids) > 1
                # Without replicas AWS's reader endpoint leads to the primary.
                reader_role = NodeRole((advertised_host, first.port) if has_replicas else None)
                self.reader_endpoint = first.add_listener(host, 0, reader_role)
        except OSError:
            first.stop()
            raise
        self._unsubscribe_clock = None
        self._clock = clock

    def start(self) -> None:
        server = self.server
        server.start()
        # Keys whose TTL an advanced clock has passed disappear at once, as on the emulator's own Redis.
        self._unsubscribe_clock = self._clock.on_move(lambda: server.call_soon(server.clock_moved))

    def stop(self) -> None:
        if self._unsubscribe_clock is not None:
            self._unsubscribe_clock()
            self._unsubscribe_clock = None
        self.server.stop()

    def address(self, listener: Listener) -> dict:
        return {"Address": self.advertised_host, "Port": listener.port}

    @property
    def primary(self) -> Member:
        return next(member for member in self.members if member.is_primary)

    def member(self, cluster_id: str) -> Member | None:
        return next((member for member in self.members if member.cluster_id == cluster_id), None)

    # --- configuration, applied on the loop thread between commands

    def apply_config(self, config: list[tuple[str, str]]) -> None:
        """Set CONFIG parameters (a parameter group's), all or none."""
        self._on_loop(lambda: self.engine.config.set_many(config))

    def apply_auth(self, auth_tokens: list[str], acl: list[list[bytes]]) -> None:
        """RBAC users (ACL SETUSER commands, the default user among them) if given, else the AUTH tokens: the
        default user's passwords, both of them during a rotation, the newest being requirepass."""
        self._on_loop(lambda: configure_auth(self.engine, auth_tokens, acl))

    def _on_loop(self, call: Callable[[], None]) -> None:
        run_between_commands(self.server, call)

    # --- roles

    def promote(self, cluster_id: str) -> None:
        """Make this member the primary and the old primary a replica; clients of both nodes and of the group's
        endpoints are dropped, as a failover drops them, so they reconnect to the primary endpoint."""
        old, new = self.primary, self.member(cluster_id)
        assert new is not None
        if new is old:
            return
        address = (self.advertised_host, new.listener.port)
        self._on_loop(lambda: self._swap(old, new, address))

    def _swap(self, old: Member, new: Member, address: tuple[str, int]) -> None:
        new.listener.role.primary_address = None
        for member in self.members:
            if member is not new:
                member.listener.role.primary_address = address
        if self.reader_endpoint is not None:
            self.reader_endpoint.role.primary_address = address
        involved = [old.listener, new.listener, self.primary_endpoint, self.reader_endpoint]
        listeners = [listener for listener in involved if listener is not None]
        for connection in list(self.engine.connections.values()):
            if connection.listener in listeners:
                self.server.discard(connection)


def configure_auth(engine: RedisEngine, auth_tokens: list[str], acl: list[list[bytes]]) -> None:
    """RBAC users (ACL SETUSER commands, the default user among them) if given, else the AUTH tokens: the default
    user's passwords, both of them during a rotation, the newest being requirepass. On the engine's loop thread, or
    before its server starts."""
    if acl:
        session = InternalSession(engine)
        try:
            # The session runs as the default user: redefined last, or its own reset would lock it out.
            for command in sorted(acl, key=lambda command: command[2] == b"default"):
                session.run(command)
        finally:
            session.close()
        return
    engine.config.set_many([("requirepass", auth_tokens[-1] if auth_tokens else "")])
    default_user = engine.server.acl.get_user_acl(b"default")
    for token in auth_tokens[:-1]:
        default_user.add_password(token.encode())


def run_between_commands(server: RespServer, call: Callable[[], None]) -> None:
    """Run a change of the engine on its server's loop thread (directly before the server starts), raising what it
    raised."""
    if not server.started:
        call()
        return
    failure: list[BaseException] = []

    def guarded() -> None:
        try:
            call()
        except BaseException as exc:
            failure.append(exc)

    if not server.run_on_loop(guarded):
        raise TimeoutError("the cache's Redis loop did not take the change within 10 s")
    if failure:
        raise failure[0]
