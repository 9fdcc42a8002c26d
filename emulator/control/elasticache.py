"""ElastiCache: moto keeps the clusters and replication groups; every endpoint they show is the live Redis."""

from __future__ import annotations

import xml.etree.ElementTree as ElementTree
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs, urlsplit

from cloudtwin.control.moto_call import buffered_body, call_moto, signed_for

if TYPE_CHECKING:
    from cloudtwin.http.gateway import Gateway
    from cloudtwin.process import Emulator

NAMESPACE = "http://elasticache.amazonaws.com/doc/2015-02-02/"
_ENDPOINTS = {"Endpoint", "PrimaryEndpoint", "ReaderEndpoint", "ReadEndpoint", "ConfigurationEndpoint"}
ElementTree.register_namespace("", NAMESPACE)


def _tag(name: str) -> str:
    return f"{{{NAMESPACE}}}{name}"


class ElastiCacheControlPlane:
    def __init__(self, emulator: Emulator, gateway: Gateway) -> None:
        self.emulator = emulator
        self.gateway = gateway

    def redis_address(self) -> tuple[str, int] | None:
        """Host and port of the emulator's Redis: what its service reports, else the settings."""
        redis = self.emulator.services.get("redis")
        if redis is not None:
            endpoint = redis.health().get("endpoint")
            if endpoint:
                parts = urlsplit(endpoint if "//" in endpoint else f"//{endpoint}")
                if parts.hostname and parts.port:
                    return parts.hostname, parts.port
        settings = self.emulator.settings
        return (settings.host, settings.redis_port) if settings.redis_port > 0 else None

    def __call__(self, environ: dict, start_response) -> Iterable[bytes] | None:
        if signed_for(environ) != "elasticache":
            return None
        params = parse_qs(environ.get("QUERY_STRING", ""))
        params.update(parse_qs(buffered_body(environ).decode("utf-8", "replace")))
        address = self.redis_address()
        answer = call_moto(self.gateway.moto_app, environ)
        if not answer.ok or address is None:
            return answer.send(start_response)
        show_nodes = params.get("ShowCacheNodeInfo", ["false"])[-1].lower() == "true"
        action = params.get("Action", [""])[-1]
        document = ElementTree.fromstring(answer.body)
        _add_reader_endpoints(document)
        _point_endpoints_at(document, address)
        if action == "DescribeCacheClusters" and show_nodes:
            for cluster in document.iter(_tag("CacheCluster")):
                _add_cache_node(cluster, address)
        return answer.send(start_response, ElementTree.tostring(document, xml_declaration=True, encoding="utf-8"))


def _point_endpoints_at(document: ElementTree.Element, address: tuple[str, int]) -> None:
    """moto's endpoints are DNS names that resolve nowhere; every one becomes the live Redis."""
    host, port = address
    for element in document.iter():
        if element.tag.removeprefix(f"{{{NAMESPACE}}}") in _ENDPOINTS:
            _set_child(element, "Address", host)
            _set_child(element, "Port", str(port))


def _add_reader_endpoints(document: ElementTree.Element) -> None:
    """A cluster-mode-disabled node group has a reader endpoint on AWS; moto leaves it out."""
    for node_group in document.iter(_tag("NodeGroup")):
        if node_group.find(_tag("PrimaryEndpoint")) is not None and node_group.find(_tag("ReaderEndpoint")) is None:
            ElementTree.SubElement(node_group, _tag("ReaderEndpoint"))


def _add_cache_node(cluster: ElementTree.Element, address: tuple[str, int]) -> None:
    """A Redis cache cluster has one node; moto records none, so describe the live one."""
    if cluster.find(_tag("CacheNodes")) is not None:
        return
    nodes = ElementTree.SubElement(cluster, _tag("CacheNodes"))
    node = ElementTree.SubElement(nodes, _tag("CacheNode"))
    created = cluster.findtext(_tag("CacheClusterCreateTime")) or datetime.now(UTC).isoformat()
    zone = cluster.findtext(_tag("PreferredAvailabilityZone")) or "us-east-1a"
    for name, value in (
        ("CacheNodeId", "0001"),
        ("CacheNodeStatus", "available"),
        ("CacheNodeCreateTime", created),
        ("ParameterGroupStatus", "in-sync"),
        ("CustomerAvailabilityZone", zone),
    ):
        ElementTree.SubElement(node, _tag(name)).text = value
    ElementTree.SubElement(node, _tag("Endpoint"))
    _point_endpoints_at(node, address)


def _set_child(parent: ElementTree.Element, name: str, text: str) -> None:
    child = parent.find(_tag(name))
    if child is None:
        child = ElementTree.SubElement(parent, _tag(name))
    child.text = text
