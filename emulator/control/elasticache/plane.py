"""The ElastiCache API in front of moto: caches, replication groups, parameter groups and user groups are the
twin's own (each cache a live endpoint, see caches.py); users, subnet groups and tags stay moto's."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from urllib.parse import parse_qs

from fakeredis._helpers import SimpleError

from cloudtwin.control.elasticache import describe
from cloudtwin.control.elasticache.caches import CacheSettings, LiveCache
from cloudtwin.control.elasticache.clusters import LiveCluster
from cloudtwin.control.elasticache.engines import check_engine, family, full_version
from cloudtwin.control.elasticache.errors import ElastiCacheError, cache_cluster_not_found
from cloudtwin.control.elasticache.parameters import CLUSTER_ENABLED, ParameterGroup
from cloudtwin.control.elasticache.service import ElastiCacheService
from cloudtwin.control.elasticache.store import Cache, RegionStore
from cloudtwin.control.elasticache.topology import (
    ShardPlan,
    cluster_mode_enabled_topology,
    group_topology,
    wants_cluster_mode,
)
from cloudtwin.control.elasticache.validation import auth_token, identifier
from cloudtwin.control.elasticache.wire import QueryRequest, render_error, render_result
from cloudtwin.control.moto_call import buffered_body, call_moto, signed_for
from cloudtwin.http.identity import caller
from cloudtwin.http.responses import respond

if TYPE_CHECKING:
    from cloudtwin.http.gateway import Gateway
    from cloudtwin.process import Emulator

Handler = Callable[[RegionStore, QueryRequest], dict | None]
# Parameters of every request, and those each modify action enacts; any other is refused, not ignored.
_ALWAYS = frozenset({"Action", "Version", "ApplyImmediately"})
_CLUSTER_MODIFIABLE = frozenset(
    {"CacheClusterId", "AuthToken", "AuthTokenUpdateStrategy", "CacheParameterGroupName", "EngineVersion",
     "CacheNodeType", "NumCacheNodes"}
)  # fmt: skip
_GROUP_MODIFIABLE = frozenset(
    {"ReplicationGroupId", "ReplicationGroupDescription", "PrimaryClusterId", "AutomaticFailoverEnabled",
     "MultiAZEnabled", "AuthToken", "AuthTokenUpdateStrategy", "CacheParameterGroupName", "EngineVersion",
     "CacheNodeType", "UserGroupIdsToAdd"}
)  # fmt: skip


class ElastiCacheControlPlane:
    def __init__(self, emulator: Emulator, gateway: Gateway, service: ElastiCacheService) -> None:
        self.emulator = emulator
        self.gateway = gateway
        self.service = service
        self.actions: dict[str, Handler] = {
            "CreateCacheCluster": self.create_cache_cluster,
            "DescribeCacheClusters": self.describe_cache_clusters,
            "ModifyCacheCluster": self.modify_cache_cluster,
            "DeleteCacheCluster": self.delete_cache_cluster,
            "CreateReplicationGroup": self.create_replication_group,
            "DescribeReplicationGroups": self.describe_replication_groups,
            "ModifyReplicationGroup": self.modify_replication_group,
            "DeleteReplicationGroup": self.delete_replication_group,
            "TestFailover": self.test_failover,
            "CreateSnapshot": self.create_snapshot,
            "CreateCacheParameterGroup": self.create_parameter_group,
            "DescribeCacheParameterGroups": self.describe_parameter_groups,
            "ModifyCacheParameterGroup": self.modify_parameter_group,
            "DeleteCacheParameterGroup": self.delete_parameter_group,
            "CreateUserGroup": self.create_user_group,
            "DescribeUserGroups": self.describe_user_groups,
            "DeleteUserGroup": self.delete_user_group,
        }

    def __call__(self, environ: dict, start_response) -> Iterable[bytes] | None:
        if signed_for(environ) != "elasticache":
            return None
        params = {key: values[-1] for key, values in parse_qs(environ.get("QUERY_STRING", "")).items()}
        body = buffered_body(environ).decode("utf-8", "replace")
        params.update((key, values[-1]) for key, values in parse_qs(body, keep_blank_values=True).items())
        request = QueryRequest(params)
        handler = self.actions.get(request.action)
        if handler is None:
            return self._moto(environ, start_response, request.action)
        settings = self.emulator.settings
        region, account = caller(environ, settings.region, settings.account_id)
        try:
            with self.service.lock:
                result = handler(self.service.store(account, region), request)
        except ElastiCacheError as error:
            return respond(start_response, error.status, render_error(error), "text/xml")
        return respond(start_response, 200, render_result(request.action, result), "text/xml")

    def _moto(self, environ: dict, start_response, action: str) -> Iterable[bytes]:
        """Users, subnet groups, tags: moto's. An action neither implements is refused as AWS refuses an unknown one,
        not answered with moto's 500."""
        try:
            answer = call_moto(self.gateway.moto_app, environ)
        except NotImplementedError:
            error = ElastiCacheError("InvalidAction", f"cloudtwin's ElastiCache does not implement {action}")
            return respond(start_response, 400, render_error(error), "text/xml")
        return answer.send(start_response)

    # --- what creates share

    def _now(self) -> datetime:
        return datetime.fromtimestamp(self.emulator.clock.now(), UTC)

    def _settings(
        self, store: RegionStore, request: QueryRequest, cluster_mode: bool = False
    ) -> tuple[CacheSettings, ParameterGroup]:
        """A new cache's settings, checked as ElastiCache checks them; without a parameter group named, the default
        one of the engine's family, its `.cluster.on` one for cluster mode enabled."""
        engine = check_engine(request.text("Engine"))
        version = full_version(engine, request.text("EngineVersion"))
        node_type = request.required("CacheNodeType")
        name = request.text("CacheParameterGroupName") or _default_group(engine, version, cluster_mode)
        parameter_group = self._parameter_group(store, name, engine, version)
        if parameter_group.cluster_mode != cluster_mode:
            raise ElastiCacheError.invalid_combination(
                f"Cluster mode {'enabled' if cluster_mode else 'disabled'} needs a parameter group with "
                f"cluster-enabled {'yes' if cluster_mode else 'no'}; {parameter_group.name} has "
                f"{'yes' if parameter_group.cluster_mode else 'no'}"
            )
        tls = bool(request.flag("TransitEncryptionEnabled"))
        token = request.text("AuthToken")
        tokens = [auth_token(token, tls)] if token else []
        user_groups = request.strings("UserGroupIds")
        if user_groups:
            if tokens:
                raise ElastiCacheError.invalid_combination("AuthToken and UserGroupIds cannot be used together.")
            if not tls:
                raise ElastiCacheError.invalid_combination(
                    "Access control with UserGroupIds requires TransitEncryptionEnabled."
                )
            for group_id in user_groups:
                store.user_groups.get(group_id)
        now = self._now()
        settings = CacheSettings(
            engine=engine,
            engine_version=version,
            node_type=node_type,
            parameter_group=parameter_group.name,
            transit_encryption=tls,
            created=now,
            at_rest_encryption=bool(request.flag("AtRestEncryptionEnabled")),
            auth_tokens=tokens,
            auth_token_modified=now if tokens else None,
            user_group_ids=user_groups,
            subnet_group=request.text("CacheSubnetGroupName"),
            security_group_ids=request.strings("SecurityGroupIds"),
        )
        return settings, parameter_group

    @staticmethod
    def _parameter_group(store: RegionStore, name: str, engine: str, version: str) -> ParameterGroup:
        wanted = family(engine, version)
        group = store.parameter_groups.get(name)
        if group.family != wanted:
            raise ElastiCacheError.invalid_combination(
                f"The parameter group {group.name} is of family {group.family}, which does not fit "
                f"{engine} {version} (family {wanted})."
            )
        return group

    def _start(
        self,
        store: RegionStore,
        settings: CacheSettings,
        parameter_group: ParameterGroup,
        cluster_ids: list[str],
        zones: list[str],
        group_endpoints: bool,
    ) -> LiveCache:
        certificates = self.service.certificates
        context = certificates.server_context() if settings.transit_encryption and certificates else None
        try:
            live = LiveCache(
                self.emulator.clock, self.emulator.settings.host, self.service.advertised_host, context,
                cluster_ids, zones, group_endpoints,
            )  # fmt: skip
        except OSError as exc:
            raise ElastiCacheError(
                "InsufficientCacheClusterCapacity", f"cloudtwin cannot listen for the cache: {exc}"
            ) from None
        try:
            live.apply_config(parameter_group.config_pairs())
            live.apply_auth(settings.auth_tokens, store.user_groups.acl_commands(settings.user_group_ids))
        except SimpleError as exc:
            live.stop()
            raise ElastiCacheError.invalid_value(f"cloudtwin cannot configure the cache: {exc.value}") from None
        live.start()
        return live

    def _tag(self, store: RegionStore, arn: str, request: QueryRequest | None) -> None:
        from moto.elasticache.models import elasticache_backends

        tagging = elasticache_backends[store.account][store.region].tagging_service
        if request is None:
            tagging.delete_all_tags_for_resource(arn)
        else:
            tags = request.structures("Tags")
            if tags:
                tagging.tag_resource(arn, tags)

    # --- cache clusters

    def create_cache_cluster(self, store: RegionStore, request: QueryRequest) -> dict:
        cluster_id = identifier(request.text("CacheClusterId"), "CacheClusterId", 50)
        _check_cluster_ids_free(store, [cluster_id])
        if request.text("ReplicationGroupId"):
            raise ElastiCacheError.invalid_combination(
                "cloudtwin does not add cache clusters to an existing replication group; create the group with "
                "NumCacheClusters instead"
            )
        nodes = request.number("NumCacheNodes")
        if nodes is not None and nodes != 1:
            raise ElastiCacheError.invalid_value(
                "A Redis OSS or Valkey cache cluster has exactly one node (NumCacheNodes 1)."
            )
        named_group = request.text("CacheParameterGroupName")
        if named_group and store.parameter_groups.get(named_group).cluster_mode:
            raise ElastiCacheError.invalid_combination(
                f"A cache cluster cannot use the cluster-enabled parameter group {named_group}: cluster mode enabled "
                "is for replication groups (CreateReplicationGroup)"
            )
        settings, parameter_group = self._settings(store, request)
        zone = request.text("PreferredAvailabilityZone") or f"{store.region}a"
        live = self._start(store, settings, parameter_group, [cluster_id], [zone], group_endpoints=False)
        cache = Cache(cluster_id, False, settings, live, store.arn_prefix)
        store.clusters[cluster_id] = cache
        self._tag(store, cache.arn, request)
        return {"CacheCluster": describe.cache_cluster(cache, live.members[0], "creating", show_nodes=False)}

    def describe_cache_clusters(self, store: RegionStore, request: QueryRequest) -> dict:
        show_nodes = bool(request.flag("ShowCacheNodeInfo"))
        cluster_id = request.text("CacheClusterId")
        if cluster_id:
            listed = [store.owner_of(cluster_id.lower())]
        else:
            standalone_only = bool(request.flag("ShowCacheClustersNotInReplicationGroups"))
            listed = [
                (cache, member)
                for cache in store.caches()
                if not (standalone_only and cache.group)
                for member in cache.live.members
            ]
        return {
            "CacheClusters": [
                describe.cache_cluster(cache, member, describe.AVAILABLE, show_nodes) for cache, member in listed
            ]
        }

    def modify_cache_cluster(self, store: RegionStore, request: QueryRequest) -> dict:
        cluster_id = (request.required("CacheClusterId")).lower()
        cache, member = store.owner_of(cluster_id)
        if cache.group:
            raise ElastiCacheError(
                "InvalidCacheClusterState",
                f"Cache cluster {cluster_id} is a member of replication group {cache.cache_id}: modify the group",
            )
        _refuse_others(request, _CLUSTER_MODIFIABLE)
        nodes = request.number("NumCacheNodes")
        if nodes is not None and nodes != 1:
            raise ElastiCacheError.invalid_value(
                "A Redis OSS or Valkey cache cluster has exactly one node (NumCacheNodes 1)."
            )
        self._modify(store, cache, request)
        return {"CacheCluster": describe.cache_cluster(cache, member, "modifying", show_nodes=False)}

    def delete_cache_cluster(self, store: RegionStore, request: QueryRequest) -> dict:
        cluster_id = (request.required("CacheClusterId")).lower()
        cache, member = store.owner_of(cluster_id)
        if cache.group:
            raise ElastiCacheError(
                "InvalidCacheClusterState",
                f"Cache cluster {cluster_id} is a member of replication group {cache.cache_id}; cloudtwin deletes a "
                "group whole (DeleteReplicationGroup)",
            )
        _refuse_snapshot(request)
        described = describe.cache_cluster(cache, member, "deleting", show_nodes=False)
        del store.clusters[cluster_id]
        cache.live.stop()
        self._tag(store, cache.arn, None)
        return {"CacheCluster": described}

    # --- replication groups

    def create_replication_group(self, store: RegionStore, request: QueryRequest) -> dict:
        group_id = identifier(request.text("ReplicationGroupId"), "ReplicationGroupId", 40)
        if group_id in store.groups:
            raise ElastiCacheError("ReplicationGroupAlreadyExists", f"Replication group {group_id} already exists.")
        description = request.required("ReplicationGroupDescription")
        for name in ("PrimaryClusterId", "GlobalReplicationGroupId"):
            if request.text(name):
                raise ElastiCacheError.invalid_combination(
                    f"cloudtwin does not build replication groups from existing clusters or global groups ({name})"
                )
        named_group = request.text("CacheParameterGroupName")
        if wants_cluster_mode(request, store.parameter_groups.get(named_group) if named_group else None):
            return self._create_cluster_mode_group(store, request, group_id, description)
        settings, parameter_group = self._settings(store, request)
        topology = group_topology(request, group_id, store.region)
        _check_cluster_ids_free(store, topology.cluster_ids)
        failover = bool(request.flag("AutomaticFailoverEnabled"))
        multi_az = bool(request.flag("MultiAZEnabled"))
        _check_failover_settings(failover, multi_az, len(topology.cluster_ids))
        live = self._start(store, settings, parameter_group, topology.cluster_ids, topology.zones, group_endpoints=True)
        cache = Cache(group_id, True, settings, live, store.arn_prefix, description, failover, multi_az)
        return self._register_group(store, cache, request)

    def _create_cluster_mode_group(
        self, store: RegionStore, request: QueryRequest, group_id: str, description: str
    ) -> dict:
        """A cluster-mode-enabled group: a live cluster of the node groups asked for, every node configured as the
        group was created. Automatic failover is always on in cluster mode, as ElastiCache has it."""
        settings, parameter_group = self._settings(store, request, cluster_mode=True)
        shards = cluster_mode_enabled_topology(request, group_id, store.region)
        _check_cluster_ids_free(store, [cluster_id for shard in shards for cluster_id in shard.cluster_ids])
        if request.flag("AutomaticFailoverEnabled") is False:
            raise ElastiCacheError.invalid_combination(
                "Cluster mode enabled replication groups have automatic failover enabled (AutomaticFailoverEnabled)."
            )
        multi_az = bool(request.flag("MultiAZEnabled"))
        if multi_az and any(len(shard.cluster_ids) < 2 for shard in shards):
            raise ElastiCacheError.invalid_combination("MultiAZEnabled needs at least one replica in every node group.")
        live = self._start_cluster(store, settings, parameter_group, shards)
        mode = (request.text("ClusterMode") or "enabled").lower()
        cache = Cache(group_id, True, settings, live, store.arn_prefix, description, True, multi_az, mode)
        return self._register_group(store, cache, request)

    def _register_group(self, store: RegionStore, cache: Cache, request: QueryRequest) -> dict:
        """A started replication group joins the store, its user groups and its tags; the create's answer."""
        store.groups[cache.cache_id] = cache
        for user_group in cache.settings.user_group_ids:
            store.user_groups.get(user_group).replication_groups.append(cache.cache_id)
        self._tag(store, cache.arn, request)
        return {"ReplicationGroup": describe.replication_group(cache, "creating")}

    def _start_cluster(
        self, store: RegionStore, settings: CacheSettings, parameter_group: ParameterGroup, shards: list[ShardPlan]
    ) -> LiveCluster:
        certificates = self.service.certificates
        context = certificates.server_context() if settings.transit_encryption and certificates else None
        live = LiveCluster(
            self.emulator.clock, self.emulator.settings.host, self.service.advertised_host, context, shards,
            parameter_group.config_pairs(), settings.auth_tokens,
            store.user_groups.acl_commands(settings.user_group_ids),
        )  # fmt: skip
        try:
            live.start()
        except OSError as exc:
            raise ElastiCacheError(
                "InsufficientCacheClusterCapacity", f"cloudtwin cannot listen for the cluster's nodes: {exc}"
            ) from None
        except SimpleError as exc:
            raise ElastiCacheError.invalid_value(f"cloudtwin cannot configure the cluster: {exc.value}") from None
        return live

    def describe_replication_groups(self, store: RegionStore, request: QueryRequest) -> dict:
        group_id = request.text("ReplicationGroupId")
        groups = [store.group(group_id.lower())] if group_id else list(store.groups.values())
        return {"ReplicationGroups": [describe.replication_group(cache, describe.AVAILABLE) for cache in groups]}

    def modify_replication_group(self, store: RegionStore, request: QueryRequest) -> dict:
        cache = store.group(request.required("ReplicationGroupId").lower())
        _refuse_others(request, _GROUP_MODIFIABLE)
        primary = request.text("PrimaryClusterId")
        new_primary = None
        if primary and cache.cluster_enabled:
            raise ElastiCacheError.invalid_combination(
                "cloudtwin does not change the primaries of a cluster-mode-enabled group (PrimaryClusterId)"
            )
        if primary:
            new_primary = cache.live.member(primary.lower())
            if new_primary is None:
                raise cache_cluster_not_found(primary)
        failover = request.flag("AutomaticFailoverEnabled")
        multi_az = request.flag("MultiAZEnabled")
        failover = cache.automatic_failover if failover is None else failover
        multi_az = cache.multi_az if multi_az is None else multi_az
        if cache.cluster_enabled:
            _check_cluster_failover_settings(cache, failover, multi_az)
        else:
            _check_failover_settings(failover, multi_az, len(cache.live.members))
        self._modify(store, cache, request)
        cache.automatic_failover, cache.multi_az = failover, multi_az
        cache.description = request.text("ReplicationGroupDescription") or cache.description
        if new_primary is not None:
            assert isinstance(cache.live, LiveCache)
            cache.live.promote(new_primary.cluster_id)
        return {"ReplicationGroup": describe.replication_group(cache, "modifying")}

    def delete_replication_group(self, store: RegionStore, request: QueryRequest) -> dict:
        cache = store.group(request.required("ReplicationGroupId").lower())
        if request.flag("RetainPrimaryCluster"):
            raise ElastiCacheError.invalid_combination(
                "cloudtwin deletes a replication group whole; RetainPrimaryCluster is not supported"
            )
        _refuse_snapshot(request)
        described = describe.replication_group(cache, "deleting")
        del store.groups[cache.cache_id]
        for user_group in cache.settings.user_group_ids:
            users = store.user_groups.groups.get(user_group)
            if users is not None and cache.cache_id in users.replication_groups:
                users.replication_groups.remove(cache.cache_id)
        cache.live.stop()
        self._tag(store, cache.arn, None)
        return {"ReplicationGroup": described}

    def test_failover(self, store: RegionStore, request: QueryRequest) -> dict:
        cache = store.group(request.required("ReplicationGroupId").lower())
        node_group = request.required("NodeGroupId")
        if cache.cluster_enabled:
            raise ElastiCacheError.invalid_combination(
                "cloudtwin does not fail over the shards of a cluster-mode-enabled group (its topology is fixed when "
                "it is created); TestFailover works on cluster-mode-disabled groups"
            )
        if node_group != "0001":
            raise ElastiCacheError.not_found("NodeGroupNotFoundFault", f"NodeGroup {node_group} not found.")
        if not cache.automatic_failover:
            raise ElastiCacheError(
                "InvalidReplicationGroupState",
                f"Replication group {cache.cache_id} does not have automatic failover enabled.",
            )
        replica = next(member for member in cache.live.members if not member.is_primary)
        assert isinstance(cache.live, LiveCache)
        cache.live.promote(replica.cluster_id)
        return {"ReplicationGroup": describe.replication_group(cache, "modifying")}

    def create_snapshot(self, store: RegionStore, request: QueryRequest) -> dict:
        """The twin keeps no backups: a snapshot of a cache that exists is refused, not faked."""
        cluster_id, group_id = request.text("CacheClusterId"), request.text("ReplicationGroupId")
        if cluster_id:
            store.owner_of(cluster_id.lower())
        elif group_id:
            store.group(group_id.lower())
        else:
            raise ElastiCacheError.invalid_value("One of CacheClusterId or ReplicationGroupId must be provided.")
        raise ElastiCacheError.invalid_combination("cloudtwin takes no snapshots of its caches")

    # --- what modifies share

    def _modify(self, store: RegionStore, cache: Cache, request: QueryRequest) -> None:
        """Check every change first, then enact them: a parameter group, the engine version and node type reported,
        AUTH tokens, RBAC user groups."""
        settings = cache.settings
        version = request.text("EngineVersion")
        version = full_version(settings.engine, version) if version else settings.engine_version
        group_name = request.text("CacheParameterGroupName")
        parameter_group = None
        if group_name or version != settings.engine_version:
            parameter_group = self._parameter_group(
                store,
                group_name or _default_group(settings.engine, version, cache.cluster_enabled),
                settings.engine,
                version,
            )
            if parameter_group.cluster_mode != cache.cluster_enabled:
                raise ElastiCacheError.invalid_combination(
                    f"The parameter group {parameter_group.name} has cluster-enabled "
                    f"{'yes' if parameter_group.cluster_mode else 'no'}; cloudtwin does not change a cache's cluster "
                    "mode, so it takes a parameter group of the same cluster mode"
                )
        tokens, added_groups = self._auth_change(store, cache, request)
        if parameter_group is not None:
            cache.live.apply_config(parameter_group.config_pairs())
            settings.parameter_group = parameter_group.name
        settings.engine_version = version
        settings.node_type = request.text("CacheNodeType") or settings.node_type
        if tokens is not None:
            try:
                cache.live.apply_auth(tokens, store.user_groups.acl_commands(added_groups))
            except SimpleError as exc:
                raise ElastiCacheError.invalid_value(f"cloudtwin cannot apply the user groups: {exc.value}") from None
            settings.auth_tokens = tokens
            settings.auth_token_modified = self._now()
        if added_groups:
            settings.user_group_ids = [*settings.user_group_ids, *added_groups]
            for user_group in added_groups:
                store.user_groups.get(user_group).replication_groups.append(cache.cache_id)

    def _auth_change(
        self, store: RegionStore, cache: Cache, request: QueryRequest
    ) -> tuple[list[str] | None, list[str]]:
        """The AUTH tokens after this request (None: unchanged) and the user groups it adds, by the rules of
        AuthTokenUpdateStrategy: ROTATE (default) keeps the old token with the new, SET (only after ROTATE) keeps
        the new alone, DELETE drops the token while moving to RBAC user groups."""
        settings = cache.settings
        token = request.text("AuthToken")
        strategy = (request.text("AuthTokenUpdateStrategy") or ("ROTATE" if token else "")).upper()
        added = request.strings("UserGroupIdsToAdd")
        for user_group in added:
            store.user_groups.get(user_group)
        if added and not settings.transit_encryption:
            raise ElastiCacheError.invalid_combination(
                "Access control with user groups requires TransitEncryptionEnabled."
            )
        if not strategy:
            if added and settings.auth_tokens:
                raise ElastiCacheError.invalid_combination(
                    "A cache with an AUTH token moves to user groups with AuthTokenUpdateStrategy DELETE."
                )
            return ([], added) if added else (None, [])
        if strategy not in ("ROTATE", "SET", "DELETE"):
            raise ElastiCacheError.invalid_value(f"Invalid AuthTokenUpdateStrategy {strategy}: ROTATE, SET or DELETE")
        if settings.user_group_ids and strategy != "DELETE":
            raise ElastiCacheError.invalid_combination("A cache with user groups takes no AUTH token.")
        if strategy == "DELETE":
            if token:
                raise ElastiCacheError.invalid_combination(
                    "AuthToken must be omitted with AuthTokenUpdateStrategy DELETE."
                )
            if not added:
                raise ElastiCacheError.invalid_combination(
                    "AuthTokenUpdateStrategy DELETE is allowed only when moving to user groups (UserGroupIdsToAdd)."
                )
            return [], added
        if not token:
            raise ElastiCacheError.invalid_value(f"AuthTokenUpdateStrategy {strategy} must be given with an AuthToken.")
        auth_token(token, settings.transit_encryption)
        if strategy == "SET":
            if len(settings.auth_tokens) < 2:
                raise ElastiCacheError.invalid_combination("AuthTokenUpdateStrategy SET is allowed only after ROTATE.")
            return [token], added
        return [*settings.auth_tokens[-1:], token], added

    # --- parameter groups

    def create_parameter_group(self, store: RegionStore, request: QueryRequest) -> dict:
        group = store.parameter_groups.create(
            request.required("CacheParameterGroupName"),
            request.required("CacheParameterGroupFamily"),
            request.required("Description"),
        )
        self._tag(store, group.arn, request)
        return {"CacheParameterGroup": group.describe()}

    def describe_parameter_groups(self, store: RegionStore, request: QueryRequest) -> dict:
        name = request.text("CacheParameterGroupName")
        groups = [store.parameter_groups.get(name)] if name else list(store.parameter_groups.groups.values())
        return {"CacheParameterGroups": [group.describe() for group in groups]}

    def modify_parameter_group(self, store: RegionStore, request: QueryRequest) -> dict:
        name = request.required("CacheParameterGroupName")
        changes = {
            item["ParameterName"]: item.get("ParameterValue", "") for item in request.structures("ParameterNameValues")
        }
        if not changes:
            raise ElastiCacheError.invalid_value("The parameter ParameterNameValues must be provided.")
        users = [cache for cache in store.caches() if cache.settings.parameter_group == name]
        if CLUSTER_ENABLED in changes and users:
            raise ElastiCacheError(
                "InvalidCacheParameterGroupState",
                f"cluster-enabled cannot change in parameter group {name} while caches use it.",
            )
        group = store.parameter_groups.modify(name, changes)
        for cache in users:
            cache.live.apply_config(group.config_pairs())
        return {"CacheParameterGroupName": group.name}

    def delete_parameter_group(self, store: RegionStore, request: QueryRequest) -> None:
        name = request.required("CacheParameterGroupName")
        if any(cache.settings.parameter_group == name for cache in store.caches()):
            raise ElastiCacheError("InvalidCacheParameterGroupState", f"Parameter group {name} is in use.")
        store.parameter_groups.delete(name)
        return None

    # --- user groups

    def create_user_group(self, store: RegionStore, request: QueryRequest) -> dict:
        engine = request.required("Engine").lower()
        if engine not in ("redis", "valkey"):
            raise ElastiCacheError.invalid_value(f"Invalid engine {engine} for a user group: redis or valkey")
        group = store.user_groups.create(request.required("UserGroupId"), engine, request.strings("UserIds"))
        self._tag(store, group.arn, request)
        return group.describe()

    def describe_user_groups(self, store: RegionStore, request: QueryRequest) -> dict:
        group_id = request.text("UserGroupId")
        groups = [store.user_groups.get(group_id)] if group_id else list(store.user_groups.groups.values())
        return {"UserGroups": [group.describe() for group in groups]}

    def delete_user_group(self, store: RegionStore, request: QueryRequest) -> dict:
        group = store.user_groups.delete(request.required("UserGroupId"))
        return {**group.describe(), "Status": "deleting"}


def _default_group(engine: str, version: str, cluster_mode: bool) -> str:
    return f"default.{family(engine, version)}{'.cluster.on' if cluster_mode else ''}"


def _check_cluster_failover_settings(cache: Cache, failover: bool, multi_az: bool) -> None:
    if not failover:
        raise ElastiCacheError.invalid_combination(
            "Cluster mode enabled replication groups have automatic failover enabled (AutomaticFailoverEnabled)."
        )
    live = cache.live
    assert isinstance(live, LiveCluster)
    if multi_az and any(len(shard.cluster_ids) < 2 for shard in live.shards):
        raise ElastiCacheError.invalid_combination("MultiAZEnabled needs at least one replica in every node group.")


def _check_failover_settings(failover: bool, multi_az: bool, clusters: int) -> None:
    if failover and clusters < 2:
        raise ElastiCacheError.invalid_combination(
            "Automatic failover needs at least one replica: NumCacheClusters of 2 or more."
        )
    if multi_az and not failover:
        raise ElastiCacheError.invalid_combination("MultiAZEnabled requires AutomaticFailoverEnabled.")


def _refuse_snapshot(request: QueryRequest) -> None:
    if request.text("FinalSnapshotIdentifier"):
        raise ElastiCacheError.invalid_combination(
            "cloudtwin takes no snapshots: delete without FinalSnapshotIdentifier"
        )


def _refuse_others(request: QueryRequest, enacted: frozenset[str]) -> None:
    """A modify names only what the twin enacts: anything else would be echoed, never applied."""
    for name in request.params:
        if name.split(".")[0] not in enacted | _ALWAYS:
            raise ElastiCacheError.invalid_combination(
                f"cloudtwin cannot apply {name.split('.')[0]} to a running cache; it applies "
                f"{', '.join(sorted(enacted - {'CacheClusterId', 'ReplicationGroupId'}))}"
            )


def _check_cluster_ids_free(store: RegionStore, cluster_ids: list[str]) -> None:
    taken = sorted(store.cluster_ids() & set(cluster_ids))
    if taken:
        raise ElastiCacheError("CacheClusterAlreadyExists", f"Cache cluster {taken[0]} already exists.")
