"""The in-process cost of one command through the Redis server's dispatch (ClientConnection.execute), without the
network or the loop: what a change to the per-command path costs, measured apart from socket noise.

    python bench/redis_command_cost_bench.py [--commands 50000] [--runs 15]

Prints the best (least disturbed) microseconds per command over the runs, for a standalone server and for a node of
a 3-shard cluster (keys of the node's own slots, so both run the command).
"""

from __future__ import annotations

import argparse
import socket
import sys
import time

from cloudtwin.clock import clock
from cloudtwin.redis.cluster.sharded import ShardedCluster
from cloudtwin.redis.connection import ClientConnection
from cloudtwin.redis.engine import RedisEngine
from cloudtwin.redis.server import RespServer

# Keys of slot 0-5461 (the first shard of a 3-shard cluster) and none: what every server runs locally.
COMMANDS = {"GET": [b"GET", b"{b}k"], "SET": [b"SET", b"{b}k", b"v"], "PING": [b"PING"]}


def connection_to(server: RespServer) -> tuple[ClientConnection, socket.socket]:
    """A connection of `server`, whose loop is not running: the benchmark calls the connection directly."""
    client = socket.create_connection(("127.0.0.1", server.port))
    server.listener.setblocking(True)
    accepted, address = server.listener.accept()
    return ClientConnection(server, accepted, address), client


def cost(connection: ClientConnection, command: list[bytes], count: int, runs: int) -> float:
    best = float("inf")
    for _ in range(runs):
        started = time.perf_counter()
        for _ in range(count):
            connection.execute(command)
            # The replies are not sent: dropped here so the buffer stays small.
            connection.out.clear()
            connection.server.to_flush.clear()
        best = min(best, (time.perf_counter() - started) / count)
    return best * 1e6


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--commands", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=15)
    args = parser.parse_args()
    standalone = RespServer(RedisEngine(clock), "127.0.0.1", 0)
    cluster = ShardedCluster(clock, shards=3)
    cluster.start()
    # A second, unstarted server over the node's engine: its loop would race this benchmark for the connection.
    node = RespServer(cluster.nodes[0].engine, "127.0.0.1", 0)
    try:
        targets = {"standalone": standalone, "cluster node": node}
        table: dict[str, dict[str, float]] = {}
        for name, server in targets.items():
            connection, client = connection_to(server)
            table[name] = {
                command: cost(connection, argv, args.commands, args.runs) for command, argv in COMMANDS.items()
            }
            client.close()
    finally:
        cluster.stop()
        standalone.stop()
        node.stop()
    print(f"\nus per command through ClientConnection.execute, best of {args.runs} x {args.commands}\n")
    names = list(table)
    print("command  " + "  ".join(f"{name:>12}" for name in names))
    for command in COMMANDS:
        print(f"{command:>7}  " + "  ".join(f"{table[name][command]:12.2f}" for name in names))
    return 0


if __name__ == "__main__":
    sys.exit(main())
