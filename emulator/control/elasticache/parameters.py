"""Cache parameter groups: the default group of each family and the user's own, and the CONFIG they give a cache.

A parameter is applied through redis' CONFIG (the same names, validated the same way), and the split
`client-output-buffer-limit-<class>-<bound>` parameters of ElastiCache are joined into redis' one; a parameter the
twin cannot enact is refused, never recorded to no effect.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fakeredis._helpers import SimpleError

from cloudtwin.control.elasticache.engines import FAMILIES
from cloudtwin.control.elasticache.errors import ElastiCacheError, parameter_group_not_found
from cloudtwin.redis.config import ServerConfig

# ElastiCache's defaults where they differ from redis-server's (its default.redis7 and friends).
ELASTICACHE_DEFAULTS = {"maxmemory-policy": "volatile-lru"}
# Parameters that are redis CONFIG parameters under the same name and that the twin applies.
CONFIG_PARAMETERS = frozenset(
    {
        "maxmemory-policy", "maxmemory-samples", "notify-keyspace-events", "timeout", "slowlog-log-slower-than",
        "slowlog-max-len", "proto-max-bulk-len", "hash-max-listpack-entries", "hash-max-listpack-value",
        "hash-max-ziplist-entries", "hash-max-ziplist-value", "list-max-listpack-size", "list-max-ziplist-size",
        "list-compress-depth", "set-max-intset-entries", "zset-max-listpack-entries", "zset-max-listpack-value",
        "zset-max-ziplist-entries", "zset-max-ziplist-value", "stream-node-max-entries", "stream-node-max-bytes",
        "hll-sparse-max-bytes", "lfu-log-factor", "lfu-decay-time", "lua-time-limit", "busy-reply-threshold",
        "latency-monitor-threshold", "lazyfree-lazy-user-del", "activerehashing",
    }
)  # fmt: skip
_BUFFER_BOUNDS = ("hard-limit", "soft-limit", "soft-seconds")
_BUFFER_DEFAULTS = {
    "normal": ("0", "0", "0"),
    "pubsub": ("33554432", "8388608", "60"),
    "replica": ("268435456", "67108864", "60"),
}  # noqa: E501
_OLD_NAMES = frozenset(name for name in CONFIG_PARAMETERS if "ziplist" in name or name == "lua-time-limit")
CLUSTER_ENABLED = "cluster-enabled"


@dataclass
class ParameterGroup:
    name: str
    family: str
    description: str
    arn: str
    is_default: bool = False
    # What the user set, by ElastiCache name; the defaults are not listed.
    values: dict[str, str] = field(default_factory=dict)

    @property
    def cluster_mode(self) -> bool:
        return self.values.get(CLUSTER_ENABLED, "no") == "yes"

    def config_pairs(self) -> list[tuple[str, str]]:
        """Every parameter the twin applies, in one CONFIG SET: redis' default where neither ElastiCache's default
        nor the user's value says otherwise, so that changing groups leaves nothing of the old one behind."""
        values = {**_redis_defaults(), **ELASTICACHE_DEFAULTS, **self.values}
        pairs = [(name, value) for name, value in values.items() if name in CONFIG_PARAMETERS]
        buffers = " ".join(
            " ".join([client_class, *(values.get(f"client-output-buffer-limit-{client_class}-{bound}", default)
                                      for bound, default in zip(_BUFFER_BOUNDS, defaults, strict=True))])
            for client_class, defaults in _BUFFER_DEFAULTS.items()
        )  # fmt: skip
        return [*pairs, ("client-output-buffer-limit", buffers)]

    def describe(self) -> dict:
        return {
            "CacheParameterGroupName": self.name,
            "CacheParameterGroupFamily": self.family,
            "Description": self.description,
            "IsGlobal": False,
            "ARN": self.arn,
        }


class ParameterGroups:
    """One account and region's groups; the default ones exist from the start, as on AWS."""

    def __init__(self, arn_prefix: str) -> None:
        self.arn_prefix = arn_prefix
        self.groups: dict[str, ParameterGroup] = {}
        for family in sorted(FAMILIES):
            self._add_default(f"default.{family}", family, {})
            self._add_default(f"default.{family}.cluster.on", family, {CLUSTER_ENABLED: "yes"})

    def _add_default(self, name: str, family: str, values: dict[str, str]) -> None:
        self.groups[name] = ParameterGroup(
            name, family, f"Default parameter group for {family}", self._arn(name), True, values
        )

    def _arn(self, name: str) -> str:
        return f"{self.arn_prefix}:parametergroup:{name}"

    def get(self, name: str) -> ParameterGroup:
        group = self.groups.get(name)
        if group is None:
            raise parameter_group_not_found(name)
        return group

    def create(self, name: str, family: str, description: str) -> ParameterGroup:
        if name in self.groups:
            raise ElastiCacheError("CacheParameterGroupAlreadyExists", f"Parameter group {name} already exists.")
        if family not in FAMILIES:
            raise ElastiCacheError.invalid_value(
                f"Invalid or unsupported family {family}; cloudtwin knows {', '.join(sorted(FAMILIES))}"
            )
        group = ParameterGroup(name, family, description, self._arn(name))
        self.groups[name] = group
        return group

    def modify(self, name: str, changes: dict[str, str]) -> ParameterGroup:
        group = self.get(name)
        if group.is_default:
            raise ElastiCacheError(
                "InvalidCacheParameterGroupState", f"Default parameter group {name} cannot be modified."
            )
        candidate = ParameterGroup(group.name, group.family, group.description, group.arn, False, group.values)
        candidate.values = {**group.values, **changes}
        for parameter, value in changes.items():
            check_parameter(parameter, value)
        try:
            ServerConfig(lambda name, value: None).set_many(candidate.config_pairs())
        except SimpleError as exc:
            raise ElastiCacheError.invalid_value(f"Invalid parameter value: {exc.value}") from None
        group.values = candidate.values
        return group

    def delete(self, name: str) -> None:
        group = self.get(name)
        if group.is_default:
            raise ElastiCacheError(
                "InvalidCacheParameterGroupState", f"Default parameter group {name} cannot be deleted."
            )
        del self.groups[name]


def _redis_defaults() -> dict[str, str]:
    """redis' defaults of the parameters applied, under their current names (the old ones are aliases)."""
    defaults = ServerConfig(lambda name, value: None).get("*")
    return {name: defaults[name] for name in CONFIG_PARAMETERS if name in defaults and name not in _OLD_NAMES}


def check_parameter(name: str, value: str) -> None:
    """Refuse what the twin cannot enact: a parameter it has no CONFIG for."""
    if name in CONFIG_PARAMETERS:
        return
    if name == CLUSTER_ENABLED:
        if value not in ("yes", "no"):
            raise ElastiCacheError.invalid_value(f"Invalid value for parameter {name}: {value} (yes or no)")
        return
    parts = name.removeprefix("client-output-buffer-limit-").rsplit("-", 2)
    if name.startswith("client-output-buffer-limit-") and len(parts) == 3:
        if parts[0] in _BUFFER_DEFAULTS and "-".join(parts[1:]) in _BUFFER_BOUNDS:
            return
    raise ElastiCacheError.invalid_value(
        f"cloudtwin cannot apply the parameter {name}: it applies the parameters redis' CONFIG SET takes "
        f"({', '.join(sorted(CONFIG_PARAMETERS))}), client-output-buffer-limit-* and cluster-enabled"
    )
