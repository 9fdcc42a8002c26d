"""Control planes that moto keeps the records of, answered with the emulator's live endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cloudtwin.process import Emulator


def install_control_planes(emulator: Emulator) -> None:
    """Put the MSK and ElastiCache interceptors in front of moto on the AWS gateway; the ElastiCache caches join the
    services (health, reset, shutdown)."""
    from cloudtwin.control.elasticache.plane import ElastiCacheControlPlane
    from cloudtwin.control.elasticache.service import ElastiCacheService
    from cloudtwin.control.msk import MskControlPlane

    gateway = emulator.services["aws"].gateway  # type: ignore[attr-defined]
    gateway.interceptors.append(MskControlPlane(emulator, gateway))
    caches = ElastiCacheService(emulator)
    emulator.services[caches.name] = caches  # type: ignore[assignment]
    gateway.interceptors.append(ElastiCacheControlPlane(emulator, gateway, caches))
