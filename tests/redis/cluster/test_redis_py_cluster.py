"""redis-py's RedisCluster, and plain clients, on the twin's cluster: the workload cluster-aware apps run."""

from __future__ import annotations

import ssl
import time

import pytest
import redis
from redis.backoff import NoBackoff
from redis.cluster import ClusterNode as ClientNode
from redis.cluster import RedisCluster
from redis.retry import Retry

from cloudtwin.clock import clock
from cloudtwin.redis.cluster.sharded import ShardedCluster
from cloudtwin.redis.cluster.slots import key_slot
from tests.redis.cluster.conftest import keys_of_shard


@pytest.fixture
def client(fresh_cluster: ShardedCluster):
    host, port = fresh_cluster.configuration_endpoint
    cluster_client = RedisCluster(host=host, port=port)
    yield cluster_client
    cluster_client.close()


def test_commands_reach_the_shard_serving_their_key(client, fresh_cluster):
    for index in range(60):
        client.set(f"key:{index}", index)
    assert client.get("key:7") == b"7"
    per_node = [node.engine.key_count() for node in fresh_cluster.nodes]
    # Every shard got some keys, and each holds only keys of its own slots.
    assert all(per_node) and sum(per_node) == 60
    for node, (first, last) in zip(fresh_cluster.nodes, ((0, 5461), (5462, 10922), (10923, 16383)), strict=True):
        for key in redis.Redis(port=node.address.port).keys():
            assert first <= key_slot(key) <= last


def test_pipeline_spanning_shards(client):
    pipe = client.pipeline()
    for index in range(20):
        pipe.set(f"p:{index}", index)
    for index in range(20):
        pipe.get(f"p:{index}")
    replies = pipe.execute()
    assert replies[20:] == [str(index).encode() for index in range(20)]


def test_multi_within_one_slot(client):
    with client.pipeline(transaction=True) as pipe:
        pipe.set("{account}balance", 10)
        pipe.incrby("{account}balance", 5)
        pipe.get("{account}balance")
        # redis-py's cluster transactions leave SET's reply unconverted (b"OK"), against redis-server too.
        assert pipe.execute() == [b"OK", 15, b"15"]


def test_lua_with_keys_in_one_slot(client):
    move = client.register_script(
        "local amount = redis.call('decrby', KEYS[1], ARGV[1]); redis.call('incrby', KEYS[2], ARGV[1]); return amount"
    )
    client.set("{wallet}a", 10)
    assert move(keys=["{wallet}a", "{wallet}b"], args=[3]) == 7
    assert client.get("{wallet}b") == b"3"
    assert client.eval("return redis.call('get', KEYS[1])", 1, "{wallet}a") == b"7"


def test_scan_across_nodes(client):
    for index in range(50):
        client.set(f"scan:{index}", 1)
    client.set("other", 1)
    assert sorted(client.scan_iter(match="scan:*")) == sorted(f"scan:{index}".encode() for index in range(50))
    assert client.dbsize(target_nodes=RedisCluster.PRIMARIES) == 51


def test_publish_reaches_subscribers_of_every_node(fresh_cluster):
    # A subscriber on each node; the message is published on one of them.
    subscribers = []
    for node in fresh_cluster.nodes:
        pubsub = redis.Redis(port=node.address.port).pubsub()
        pubsub.subscribe("news")
        assert pubsub.get_message(timeout=5)["type"] == "subscribe"
        subscribers.append(pubsub)
    publisher = redis.Redis(port=fresh_cluster.nodes[1].address.port)
    # PUBLISH counts the receivers of the node it ran on, as in a redis cluster.
    assert publisher.publish("news", "hello") == 1
    for pubsub in subscribers:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=5)
        assert message is not None and message["data"] == b"hello"
        pubsub.close()


def test_cluster_client_pubsub(client):
    pubsub = client.pubsub()
    pubsub.subscribe("alerts")
    assert pubsub.get_message(timeout=5)["type"] == "subscribe"
    client.publish("alerts", "up")
    message = _next_message(pubsub)
    assert message["data"] == b"up"
    pubsub.close()


def test_sharded_pubsub_on_the_channels_shard(client, fresh_cluster):
    pubsub = client.pubsub()
    pubsub.ssubscribe("orders")
    assert pubsub.get_sharded_message(timeout=5)["type"] == "ssubscribe"
    assert client.spublish("orders", "new") == 1
    message = None
    deadline = time.monotonic() + 5
    while message is None and time.monotonic() < deadline:
        message = pubsub.get_sharded_message(ignore_subscribe_messages=True, timeout=1)
    assert message is not None and message["data"] == b"new"
    pubsub.close()
    # A node that does not serve the channel's slot sends the publisher on.
    owner = fresh_cluster.topology.owners[key_slot(b"orders")]
    stranger = next(node for node in fresh_cluster.nodes if node.address.shard is not owner)
    with pytest.raises(redis.exceptions.ResponseError, match=f"{key_slot(b'orders')} 127.0.0.1:{owner.primary.port}"):
        redis.Redis(port=stranger.address.port).execute_command("SPUBLISH", "orders", "x")


def _next_message(pubsub) -> dict:
    deadline = time.monotonic() + 5
    while time.monotonic() < deadline:
        message = pubsub.get_message(ignore_subscribe_messages=True, timeout=1)
        if message is not None:
            return message
    raise AssertionError("no message within 5 s")


def test_a_plain_client_sees_moved_and_crossslot(fresh_cluster):
    local, other_local = keys_of_shard(0, 2)
    foreign = keys_of_shard(1, 1)[0]
    plain = redis.Redis(port=fresh_cluster.nodes[0].address.port)
    with pytest.raises(redis.exceptions.MovedError) as moved:
        plain.set(foreign, 1)
    assert moved.value.slot_id == key_slot(foreign)
    assert (moved.value.host, moved.value.port) == ("127.0.0.1", fresh_cluster.nodes[1].address.port)
    with pytest.raises(redis.exceptions.ClusterCrossSlotError):
        plain.mset({local: 1, other_local: 2})
    assert plain.set(local, 1) is True


def test_keys_expire_on_the_emulator_clock_on_every_node(client, fresh_cluster):
    clock.freeze()
    try:
        for index in range(30):
            client.set(f"ttl:{index}", 1, ex=10)
        clock.advance(11)
        deadline = time.monotonic() + 5
        while fresh_cluster.key_count() and time.monotonic() < deadline:
            time.sleep(0.01)
        assert fresh_cluster.key_count() == 0
    finally:
        clock.unfreeze()


def test_cluster_with_a_password():
    cluster = ShardedCluster(clock, shards=2, requirepass="s3cret")
    cluster.start()
    try:
        host, port = cluster.configuration_endpoint
        with pytest.raises(redis.exceptions.AuthenticationError):
            redis.Redis(host=host, port=port, retry=Retry(NoBackoff(), 0)).execute_command("CLUSTER", "SLOTS")
        client = RedisCluster(host=host, port=port, password="s3cret")
        client.set("a", 1)
        client.set("b", 2)
        assert client.mget_nonatomic("a", "b") == [b"1", b"2"]
        client.close()
    finally:
        cluster.stop()


def test_cluster_over_tls(certificate):
    cert, key = certificate
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    cluster = ShardedCluster(clock, shards=2, ssl_context=context)
    cluster.start()
    try:
        host, port = cluster.configuration_endpoint
        # The test certificate names 127.0.0.1 as its CN only, which hostname checks do not read: the chain is verified.
        client = RedisCluster(host=host, port=port, ssl=True, ssl_ca_certs=cert, ssl_check_hostname=False)
        for index in range(20):
            client.set(f"tls:{index}", index)
        assert client.get("tls:3") == b"3"
        nodes = client.get_nodes()
        assert sorted(node.port for node in nodes) == sorted(node.address.port for node in cluster.nodes)
        plain = redis.Redis(host=host, port=port, ssl=True, ssl_ca_certs=cert, ssl_check_hostname=False)
        shards = plain.execute_command("CLUSTER SHARDS")
        plain.close()
        assert all(b"tls-port" in shard[b"nodes"][0] for shard in shards)
        client.close()
    finally:
        cluster.stop()


def test_startup_node_list_can_be_any_node(fresh_cluster):
    last = fresh_cluster.nodes[-1].address
    client = RedisCluster(startup_nodes=[ClientNode(last.host, last.port)])
    client.set("x", 1)
    assert client.get("x") == b"1"
    client.close()


def test_every_node_starts_with_the_settings_and_users_given():
    cluster = ShardedCluster(
        clock, shards=2, config=[("maxmemory-policy", "allkeys-lru")], users="app on >apppass ~* +@all"
    )
    cluster.start()
    try:
        for node in cluster.nodes:
            client = redis.Redis(port=node.address.port, username="app", password="apppass")
            assert client.config_get("maxmemory-policy") == {"maxmemory-policy": "allkeys-lru"}
            assert client.acl_whoami() == "app"
        host, port = cluster.configuration_endpoint
        app = RedisCluster(host=host, port=port, username="app", password="apppass")
        app.set("k", 1)
        assert app.get("k") == b"1"
        app.close()
    finally:
        cluster.stop()


def test_a_refused_setting_stops_the_nodes_started():
    cluster = ShardedCluster(clock, shards=2, config=[("maxmemory-policy", "sometimes")])
    with pytest.raises(Exception, match="maxmemory-policy"):
        cluster.start()
    assert cluster.nodes == []


def test_publish_from_a_transaction_or_a_script_reaches_other_nodes(fresh_cluster):
    subscriber = redis.Redis(port=fresh_cluster.nodes[2].address.port).pubsub(ignore_subscribe_messages=True)
    subscriber.subscribe("events")
    publisher = redis.Redis(port=fresh_cluster.nodes[0].address.port)
    with publisher.pipeline(transaction=True) as pipe:
        pipe.publish("events", "from-exec")
        pipe.execute()
    publisher.eval("return redis.call('publish', 'events', 'from-lua')", 0)
    assert [_next_message(subscriber)["data"] for _ in range(2)] == [b"from-exec", b"from-lua"]
    subscriber.close()
