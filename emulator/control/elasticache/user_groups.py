"""RBAC user groups: moto keeps the users (CreateUser), the twin the groups, which become a cache's ACL users."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from cloudtwin.control.elasticache.errors import ElastiCacheError, user_group_not_found


@dataclass
class UserGroup:
    group_id: str
    engine: str
    user_ids: list[str]
    arn: str
    # The replication groups that use it, which AWS lists in its description.
    replication_groups: list[str] = field(default_factory=list)

    def describe(self) -> dict:
        return {
            "UserGroupId": self.group_id,
            "Status": "active",
            "Engine": self.engine,
            "UserIds": self.user_ids,
            "MinimumEngineVersion": "6.0",
            "ReplicationGroups": self.replication_groups,
            "ServerlessCaches": [],
            "ARN": self.arn,
        }


class UserGroups:
    def __init__(self, arn_prefix: str, users: Callable[[], dict]) -> None:
        self.arn_prefix = arn_prefix
        self._users = users
        self.groups: dict[str, UserGroup] = {}

    @property
    def users(self) -> dict:
        """moto's users of this account and region, by user id (asked afresh: a moto reset replaces them)."""
        return self._users()

    def get(self, group_id: str) -> UserGroup:
        group = self.groups.get(group_id)
        if group is None:
            raise user_group_not_found(group_id)
        return group

    def create(self, group_id: str, engine: str, user_ids: list[str]) -> UserGroup:
        if group_id in self.groups:
            raise ElastiCacheError("UserGroupAlreadyExists", f"User group {group_id} already exists.")
        self._check_members(user_ids)
        group = UserGroup(group_id, engine, user_ids, f"{self.arn_prefix}:usergroup:{group_id}")
        self.groups[group_id] = group
        return group

    def _check_members(self, user_ids: list[str]) -> None:
        names = []
        for user_id in user_ids:
            user = self.users.get(user_id)
            if user is None:
                raise ElastiCacheError.not_found("UserNotFound", f"User {user_id} not found.")
            names.append(user.name)
        if "default" not in names:
            raise ElastiCacheError("DefaultUserRequired", "User group needs to contain a user with the name default.")
        if len(set(names)) != len(names):
            raise ElastiCacheError("DuplicateUserName", "A user group cannot hold two users of the same name.")

    def delete(self, group_id: str) -> UserGroup:
        group = self.get(group_id)
        if group.replication_groups:
            raise ElastiCacheError(
                "InvalidUserGroupState",
                f"User group {group_id} is in use by replication group {', '.join(group.replication_groups)}.",
            )
        del self.groups[group_id]
        return group

    def acl_commands(self, group_ids: list[str]) -> list[list[bytes]]:
        """ACL SETUSER commands giving a cache these groups' users: name, access string, passwords (or nopass)."""
        commands = []
        for group_id in group_ids:
            for user_id in self.get(group_id).user_ids:
                user = self.users[user_id]
                secrets = [f">{password}" for password in user.passwords] or ["nopass"]
                words = [user.name, "reset", *(user.access_string or "").split(), *secrets]
                commands.append([b"ACL", b"SETUSER", *(word.encode() for word in words)])
        return commands
