"""Engines and versions as ElastiCache describes them. Every cache runs the twin's one Redis (INFO's redis_version);
the API reports the version asked for, completed as AWS completes it."""

from __future__ import annotations

from cloudtwin.control.elasticache.errors import ElastiCacheError

# The versions a create may ask for, newest first, in their full form; `7.1` or `6.x` pick the newest of their line.
VERSIONS = {
    "redis": ("7.1.0", "7.0.7", "6.2.6", "6.0.5", "5.0.6"),
    "valkey": ("8.1.0", "8.0.1", "7.2.6"),
}
DEFAULT_VERSIONS = {"redis": "7.1.0", "valkey": "8.0.1"}


def check_engine(engine: str | None) -> str:
    name = (engine or "redis").lower()
    if name == "memcached":
        raise ElastiCacheError.invalid_value(
            "cloudtwin runs Redis OSS and Valkey caches only; Engine memcached is not supported"
        )
    if name not in VERSIONS:
        raise ElastiCacheError.invalid_value(f"Invalid engine: {engine}. Supported engines: redis, valkey, memcached")
    return name


def full_version(engine: str, asked: str | None) -> str:
    """The version a cache reports: the one asked for, or the newest of the line it names (`7.1`, `6.x`)."""
    if not asked:
        return DEFAULT_VERSIONS[engine]
    for version in VERSIONS[engine]:
        major, minor, _ = version.split(".")
        if asked in (version, f"{major}.{minor}") or (asked == f"{major}.x" and major == "6"):
            return version
    raise ElastiCacheError.invalid_combination(f"Cannot find version {asked} for {engine}")


def family(engine: str, version: str) -> str:
    """The parameter group family of a version: redis7, redis6.x, redis5.0, valkey7, valkey8."""
    major, minor, _ = version.split(".")
    if engine == "redis" and major == "6":
        return "redis6.x"
    if engine == "redis" and major == "5":
        return "redis5.0"
    return f"{engine}{major}"


FAMILIES = frozenset(family(engine, version) for engine, versions in VERSIONS.items() for version in versions)
