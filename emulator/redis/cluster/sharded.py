"""A Redis cluster (cluster mode enabled) in this process: one engine and one RESP server per shard, each node (the
shard's primary and its replicas) on a port of its own, sharing the emulator clock."""

from __future__ import annotations

import ssl
from collections.abc import Callable

from cloudtwin.clock import Clock
from cloudtwin.redis.cluster.node import ClusterNode, ClusterReplicaRole
from cloudtwin.redis.cluster.slots import SlotRange, even_slot_ranges, format_slot_ranges
from cloudtwin.redis.cluster.topology import ClusterTopology
from cloudtwin.redis.engine import RedisEngine
from cloudtwin.redis.server import RespServer

_LOOPBACK_OF_WILDCARD = {"0.0.0.0": "127.0.0.1", "": "127.0.0.1", "::": "::1"}


class ShardedCluster:
    """N shards of one primary each. Start it, point a cluster client at `configuration_endpoint`, stop it.

    `slot_ranges` gives each shard its ranges (ElastiCache's NodeGroupConfiguration Slots, see
    `slots.parse_slot_ranges`); by default the slots are split as ElastiCache splits them. `ports` (0: any free port)
    and `announce_host` (the host CLUSTER SLOTS and MOVED name; by default `host`, or loopback for a wildcard `host`)
    place the nodes. `ssl_context` makes every node speak TLS and `requirepass` makes every node want that password.
    Every node starts with the `config` pairs (as CONFIG SET takes them: a parameter group's maxmemory-policy, ...) and
    the ACL `users` ("name rule rule ...; name ...", as RedisEngine.define_users reads them); `prepare`, if given, is
    called with each node's engine after those and before the node listens (ElastiCache's AUTH tokens and RBAC users).
    `replicas` (one count for every shard, or one per shard) adds replica nodes to each shard: listeners of the shard's
    server (the same data, one loop thread, as a twin may) in a replica role, on free ports; a replica serves reads of
    its shard after READONLY, redirects the rest with MOVED and refuses writes without keys with READONLY.
    """

    def __init__(
        self,
        clock: Clock,
        shards: int = 3,
        host: str = "127.0.0.1",
        ports: list[int] | None = None,
        ssl_context: ssl.SSLContext | None = None,
        requirepass: str | None = None,
        slot_ranges: list[list[SlotRange]] | None = None,
        announce_host: str | None = None,
        config: list[tuple[str, str]] | None = None,
        users: str | None = None,
        prepare: Callable[[RedisEngine], None] | None = None,
        replicas: int | list[int] = 0,
    ) -> None:
        ranges = slot_ranges if slot_ranges is not None else [[part] for part in even_slot_ranges(shards)]
        self.replicas = replicas if isinstance(replicas, list) else [replicas] * len(ranges)
        if len(self.replicas) != len(ranges):
            raise ValueError(f"{len(ranges)} shards need {len(ranges)} replica counts, not {len(self.replicas)}")
        if ports is not None and len(ports) != len(ranges):
            raise ValueError(f"{len(ranges)} shards need {len(ranges)} ports, not {len(ports)}")
        self.clock = clock
        self.host = host
        # Clients cannot connect to a wildcard address: a node listening on every interface names the loopback one.
        self.announce_host = announce_host or _LOOPBACK_OF_WILDCARD.get(host, host)
        self.ports = ports or [0] * len(ranges)
        self.ssl_context = ssl_context
        self.config = [*(config or []), *([("requirepass", requirepass)] if requirepass else [])]
        self.users = users
        self.prepare = prepare
        self.topology = ClusterTopology.of(ranges, int(clock.now() * 1000))
        self.nodes: list[ClusterNode] = []
        self._unsubscribe_clock: list[Callable[[], None]] = []

    def start(self) -> None:
        """Start every node; if one cannot listen (OSError) or a setting is refused (fakeredis' SimpleError, worded as
        CONFIG SET or ACL SETUSER word it), those started are stopped again."""
        try:
            for shard, port in zip(self.topology.shards, self.ports, strict=True):
                engine = RedisEngine(self.clock)
                engine.config.set_many(self.config)
                if self.users:
                    engine.define_users(self.users)
                if self.prepare is not None:
                    self.prepare(engine)
                server = RespServer(engine, self.host, port, self.ssl_context)
                address = self.topology.add_primary(shard, self.announce_host, server.port)
                node = ClusterNode(self.topology, address, engine, server, self.ssl_context is not None)
                engine.cluster = node
                # One list for all: a node started early reaches those started after it.
                node.peers = self.nodes
                self.nodes.append(node)
                for _ in range(self.replicas[shard.index]):
                    listener = server.add_listener(self.host, 0, ClusterReplicaRole((self.announce_host, server.port)))
                    node.add_replica(listener, self.topology.add_replica(shard, self.announce_host, listener.port))
                server.start()
                # Keys whose TTL an advanced clock has passed disappear at once, not at the next periodic sweep.
                self._unsubscribe_clock.append(self.clock.on_move(lambda s=server: s.call_soon(s.clock_moved)))
        except BaseException:
            self.stop()
            raise

    def stop(self) -> None:
        for unsubscribe in self._unsubscribe_clock:
            unsubscribe()
        self._unsubscribe_clock.clear()
        for node in self.nodes:
            node.server.stop()
        self.nodes = []

    @property
    def configuration_endpoint(self) -> tuple[str, int]:
        """Where a cluster client starts: any node answers CLUSTER SLOTS for all, so the first one."""
        first = self.nodes[0].address
        return first.host, first.port

    def shard_slots(self) -> list[str]:
        """Each shard's slots in ElastiCache's `Slots` notation ("0-5461"), in shard order."""
        return [format_slot_ranges(shard.ranges) for shard in self.topology.shards]

    def flush(self) -> None:
        """Empty every node (the admin reset); callable from any thread."""
        for node in self.nodes:
            node.engine.flush()

    def key_count(self) -> int:
        return sum(node.engine.key_count() for node in self.nodes)
