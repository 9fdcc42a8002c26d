"""Control planes that moto keeps the records of, answered with the emulator's live endpoints."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from cloudtwin.process import Emulator


def install_control_planes(emulator: Emulator) -> None:
    """Put the MSK and ElastiCache interceptors in front of moto on the AWS gateway."""
    from cloudtwin.control.elasticache import ElastiCacheControlPlane
    from cloudtwin.control.msk import MskControlPlane

    gateway = emulator.services["aws"].gateway  # type: ignore[attr-defined]
    gateway.interceptors.append(MskControlPlane(emulator, gateway))
    gateway.interceptors.append(ElastiCacheControlPlane(emulator, gateway))
