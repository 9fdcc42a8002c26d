"""ElastiCache's errors, by the code and HTTP status its API reference gives each."""

from __future__ import annotations


class ElastiCacheError(Exception):
    def __init__(self, code: str, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.status = status

    @classmethod
    def invalid_value(cls, message: str) -> ElastiCacheError:
        return cls("InvalidParameterValue", message)

    @classmethod
    def invalid_combination(cls, message: str) -> ElastiCacheError:
        return cls("InvalidParameterCombination", message)

    @classmethod
    def not_found(cls, code: str, message: str) -> ElastiCacheError:
        return cls(code, message, 404)


def cache_cluster_not_found(cluster_id: str) -> ElastiCacheError:
    return ElastiCacheError.not_found("CacheClusterNotFound", f"CacheCluster not found: {cluster_id}")


def replication_group_not_found(group_id: str) -> ElastiCacheError:
    return ElastiCacheError.not_found("ReplicationGroupNotFoundFault", f"ReplicationGroup not found: {group_id}")


def parameter_group_not_found(name: str) -> ElastiCacheError:
    return ElastiCacheError.not_found("CacheParameterGroupNotFound", f"CacheParameterGroup {name} not found.")


def user_group_not_found(group_id: str) -> ElastiCacheError:
    return ElastiCacheError.not_found("UserGroupNotFound", f"User group {group_id} not found.")
