"""Every cache endpoint in health and `cloudtwin status`; the admin reset deletes the caches and stops their servers,
as the emulator's shutdown does; the CA of TLS caches through the admin API."""

from __future__ import annotations

import json
import os
import socket
import urllib.request

import boto3

from cloudtwin.cli import main
from cloudtwin.config import Settings
from cloudtwin.process import Emulator


def refuses_connections(address: str) -> bool:
    host, port = address.rsplit(":", 1)
    try:
        socket.create_connection((host, int(port)), timeout=2).close()
    except ConnectionRefusedError:
        return True
    return False


def admin(emulator: Emulator, method: str, route: str, document: dict | None = None) -> dict:
    request = urllib.request.Request(
        f"{emulator.aws_endpoint}/_cloudtwin/{route}",
        data=json.dumps(document).encode() if document is not None else None,
        method=method,
        headers={"Content-Type": "application/json"},
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return json.loads(response.read())


def create_caches(elasticache) -> None:
    elasticache.create_cache_cluster(
        CacheClusterId="solo", Engine="redis", CacheNodeType="cache.t3.micro", TransitEncryptionEnabled=True
    )
    elasticache.create_replication_group(
        ReplicationGroupId="duo", ReplicationGroupDescription="two", Engine="redis", CacheNodeType="cache.t3.micro",
        NumCacheClusters=2,
    )  # fmt: skip


def test_health_and_status_list_every_cache_endpoint(elasticache, emulator_for_caches, capsys):
    create_caches(elasticache)

    caches = admin(emulator_for_caches, "GET", "health")["services"]["elasticache"]["caches"]

    listed = {(entry["id"], entry["role"], entry["tls"]) for entry in caches}
    assert listed == {
        ("solo", "primary", True),
        ("duo-001", "primary", False),
        ("duo-002", "replica", False),
        ("duo", "primary-endpoint", False),
        ("duo", "reader-endpoint", False),
    }
    [node] = elasticache.describe_cache_clusters(CacheClusterId="solo", ShowCacheNodeInfo=True)["CacheClusters"]
    endpoint = node["CacheNodes"][0]["Endpoint"]
    assert f"{endpoint['Address']}:{endpoint['Port']}" in {entry["address"] for entry in caches}
    assert main(["status", "--endpoint", emulator_for_caches.aws_endpoint]) == 0
    printed = json.loads(capsys.readouterr().out)["services"]["elasticache"]
    assert {entry["id"] for entry in printed["caches"]} == {"solo", "duo-001", "duo-002", "duo"}
    assert os.path.isfile(printed["ca_file"])


def test_reset_deletes_the_caches_and_stops_their_servers(elasticache, emulator_for_caches):
    create_caches(elasticache)
    addresses = [entry["address"] for entry in emulator_for_caches.health()["elasticache"]["caches"]]

    assert admin(emulator_for_caches, "POST", "reset", {"service": "elasticache"}) == {"reset": ["elasticache"]}

    assert emulator_for_caches.health()["elasticache"]["caches"] == []
    assert all(refuses_connections(address) for address in addresses)
    assert elasticache.describe_cache_clusters()["CacheClusters"] == []
    assert elasticache.describe_replication_groups()["ReplicationGroups"] == []


def test_shutdown_stops_every_cache_and_removes_the_ca():
    with Emulator(Settings(aws_port=0, redis_port=-1, kafka="off")) as emulator:
        elasticache = boto3.client(
            "elasticache", endpoint_url=emulator.aws_endpoint, region_name="eu-west-1",
            aws_access_key_id="test", aws_secret_access_key="test",
        )  # fmt: skip
        create_caches(elasticache)
        health = emulator.health()["elasticache"]
        addresses = [entry["address"] for entry in health["caches"]]
        assert len(addresses) == 5 and all(not refuses_connections(address) for address in addresses)

    assert all(refuses_connections(address) for address in addresses)
    assert not os.path.exists(health["ca_file"])


def test_the_ca_is_served_by_the_admin_api(emulator_for_caches):
    document = admin(emulator_for_caches, "GET", "elasticache-ca")

    with open(document["ca_file"]) as ca:
        assert document["ca_pem"] == ca.read()
    assert document["ca_pem"].startswith("-----BEGIN CERTIFICATE-----")
