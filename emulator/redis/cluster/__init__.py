"""Redis with cluster mode enabled: shards of nodes in this process, hash slots, MOVED and CROSSSLOT.

The cluster itself is `sharded.ShardedCluster`; this package imports nothing, so the command modules can use its
slot arithmetic without importing the server.
"""
