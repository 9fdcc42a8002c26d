"""The ElastiCache caches as a service of the emulator: their records by account and region, their live endpoints
in health, reset (deletes them all) and shutdown (stops them), and the TLS certificate authority they share."""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

from cloudtwin.control.elasticache.clusters import LiveCluster
from cloudtwin.control.elasticache.store import RegionStore
from cloudtwin.control.elasticache.tls import TwinCertificates

if TYPE_CHECKING:
    from cloudtwin.process import Emulator


class ElastiCacheService:
    name = "elasticache"

    def __init__(self, emulator: Emulator) -> None:
        self.settings = emulator.settings
        self.clock = emulator.clock
        # Every control-plane action holds it: actions start and stop servers and must not interleave.
        self.lock = threading.RLock()
        self.stores: dict[tuple[str, str], RegionStore] = {}
        self.certificates: TwinCertificates | None = None

    @property
    def advertised_host(self) -> str:
        """The address descriptions give clients: the host bound, or loopback when every address is."""
        host = self.settings.host
        return {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)

    def start(self) -> None:
        self.certificates = TwinCertificates(self.settings.host)

    def store(self, account: str, region: str) -> RegionStore:
        with self.lock:
            found = self.stores.get((account, region))
            if found is None:
                found = self.stores[(account, region)] = RegionStore(account, region, _moto_users(account, region))
            return found

    def stop(self) -> None:
        self._delete_all()
        if self.certificates is not None:
            self.certificates.close()
            self.certificates = None

    def reset(self) -> None:
        self._delete_all()

    def _delete_all(self) -> None:
        with self.lock:
            for store in self.stores.values():
                for cache in store.caches():
                    cache.live.stop()
            self.stores.clear()

    def health(self) -> dict:
        with self.lock:
            endpoints = [entry for store in self.stores.values() for entry in _endpoints(store)]
        return {
            "up": self.certificates is not None,
            "endpoint": None,
            "backend": "fakeredis",
            "ca_file": str(self.certificates.ca_file) if self.certificates else None,
            "caches": endpoints,
        }

    def banner(self) -> str:
        ca = self.certificates.ca_file if self.certificates else None
        return f"ElastiCache: an endpoint per cache, on a free port each; TLS caches verify against {ca}"


def _endpoints(store: RegionStore) -> list[dict]:
    """One entry per listening address: each member cluster, a group's primary and reader endpoints, and a cluster's
    configuration endpoint (the address of its first node)."""
    entries = []
    for cache in store.caches():
        live = cache.live
        base = {"cache": cache.cache_id, "region": store.region, "tls": live.tls}
        for member in live.members:
            role = "primary" if member.is_primary else "replica"
            entries.append({**base, "id": member.cluster_id, "role": role, "address": _address(live, member.listener)})
        if isinstance(live, LiveCluster):
            port = live.configuration_endpoint["Port"]
            entries.append(
                {**base, "id": cache.cache_id, "role": "configuration-endpoint", "address": _host_port(live, port)}
            )
        if live.primary_endpoint is not None and live.reader_endpoint is not None:
            for role, listener in (
                ("primary-endpoint", live.primary_endpoint),
                ("reader-endpoint", live.reader_endpoint),
            ):
                entries.append({**base, "id": cache.cache_id, "role": role, "address": _address(live, listener)})
    return entries


def _address(live, listener) -> str:
    return _host_port(live, listener.port)


def _host_port(live, port: int) -> str:
    host = live.advertised_host
    return f"{'[' + host + ']' if ':' in host else host}:{port}"


def _moto_users(account: str, region: str):
    def users() -> dict:
        from moto.elasticache.models import elasticache_backends

        return elasticache_backends[account][region].users

    return users
