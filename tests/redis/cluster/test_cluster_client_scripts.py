"""ioredis' Cluster and go-redis' ClusterClient run the same small workload on the twin's cluster, from scripts in
clients/ (installed by clients/prepare.sh, which .ci/run calls); each skips, saying why, without its toolchain or
packages."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from cloudtwin.redis.cluster.sharded import ShardedCluster

CLIENTS = Path(__file__).parent / "clients"
CROSSSLOT = "CROSSSLOT Keys in request don't hash to the same slot"


def _prepare(client: str, toolchain: tuple[str, ...]) -> str:
    """Install one client (quick once cached) and return where it is, or skip with the reason."""
    missing = [tool for tool in toolchain if shutil.which(tool) is None]
    if missing:
        pytest.skip(f"{', '.join(missing)} not installed: the {client} cluster workload is skipped")
    try:
        prepared = subprocess.run(
            [str(CLIENTS / "prepare.sh"), client], capture_output=True, text=True, timeout=600, check=False
        )
    except subprocess.TimeoutExpired:
        pytest.skip(f"installing {client} took over 10 minutes: skipped")
    if prepared.returncode != 0:
        pytest.skip(f"{client} could not be installed: {prepared.stderr.strip()[-500:]}")
    return prepared.stdout.strip().rpartition(": ")[2]


def _run(command: list[str], env: dict[str, str] | None = None) -> dict:
    finished = subprocess.run(
        command, capture_output=True, text=True, timeout=60, env={**os.environ, **(env or {})}, check=False
    )
    assert finished.returncode == 0, finished.stderr[-2000:]
    return json.loads(finished.stdout.strip().splitlines()[-1])


@pytest.fixture(params=["cluster", "replicated_cluster"])
def workload_cluster(request: pytest.FixtureRequest) -> ShardedCluster:
    """The twin's cluster without replicas, then with a replica per shard (which CLUSTER SLOTS lists to the client)."""
    cluster: ShardedCluster = request.getfixturevalue(request.param)
    cluster.flush()
    return cluster


def test_ioredis_cluster_workload(workload_cluster: ShardedCluster):
    node_modules = _prepare("ioredis", ("node", "npm"))
    host, port = workload_cluster.configuration_endpoint
    seen = _run(["node", str(CLIENTS / "ioredis" / "workload.js"), host, str(port)], {"NODE_PATH": node_modules})
    assert seen == {
        "get": "value:7",
        "pipeline": ["OK", 2, "2"],
        "multi": ["OK", 5, "5"],
        "lua": 5,
        "scan": 30,
        "pubsub": "news:hello",
        "crossslot": CROSSSLOT,
    }


def test_go_redis_cluster_workload(workload_cluster: ShardedCluster):
    binary = _prepare("goredis", ("go",))
    host, port = workload_cluster.configuration_endpoint
    seen = _run([binary, f"{host}:{port}"])
    assert seen == {
        "get": "value:7",
        "pipeline": [f"value:{index}" for index in range(5)],
        "multi": 5,
        "lua": 5,
        "scan": 30,
        "pubsub": "news:hello",
        "crossslot": CROSSSLOT,
    }
