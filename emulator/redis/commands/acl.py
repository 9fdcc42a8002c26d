"""ACL subcommands whose replies differ from fakeredis's: DELUSER's count, GENPASS's length, and DRYRUN."""

from __future__ import annotations

import secrets
from typing import Any

from fakeredis._command_args_parsing import Int
from fakeredis._helpers import OK, SimpleError
from fakeredis.model._acl import UserAccessControlList

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import help_reply, server_command
from cloudtwin.redis.dispatch import check_arity, resolve

_GENPASS_RANGE = (
    "ERR ACL GENPASS argument must be the number of bits for the output password, a positive number up to 4096"
)


_HELP = [
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "DRYRUN <username> <command> [<arg> ...]",
    "    Returns whether the user can execute the given command without executing the command.",
    "GETUSER <username>",
    "    Get the user's details.",
    "GENPASS [<bits>]",
    "    Generate a secure 256-bit user password. The optional `bits` argument can",
    "    be used to specify a different size.",
    "LIST",
    "    Show users details in config file format.",
    "LOAD",
    "    Reload users from the ACL file.",
    "LOG [<count> | RESET]",
    "    Show the ACL log entries.",
    "SAVE",
    "    Save the current config to the ACL file.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
]


class AclCommands(ServerCommandsBase):
    @server_command("ACL HELP")
    def cloudtwin_acl_help(self) -> Any:
        return help_reply("ACL", _HELP)

    @server_command("ACL DELUSER", fixed=(bytes,), repeat=(bytes,))
    def cloudtwin_acl_deluser(self, *usernames: bytes) -> int:
        users = self._server.acl._user_acl
        if b"default" in usernames:
            raise SimpleError("ERR The 'default' user cannot be removed")
        deleted = 0
        for username in usernames:
            if users.pop(username, None) is not None:
                deleted += 1
        return deleted

    def acl_getuser(self, username: bytes) -> Any:
        # Overrides fakeredis's method of the same name, which created a user it was asked about.
        if username not in self._server.acl._user_acl:
            return None
        return super().acl_getuser(username)  # type: ignore[misc]

    def acl_genpass(self, *args: bytes) -> bytes:
        # Overrides fakeredis's method of the same name: one hex digit per 4 bits asked for, rounded up.
        bits = 256
        if args:
            bits = Int.decode(args[0])
            if not 0 < bits <= 4096:
                raise SimpleError(_GENPASS_RANGE)
        digits = (bits + 3) // 4
        return secrets.token_hex((digits + 1) // 2)[:digits].encode()

    @server_command("ACL DRYRUN", fixed=(bytes, bytes), repeat=(bytes,))
    def cloudtwin_acl_dryrun(self, username: bytes, *fields: bytes) -> Any:
        """Whether the user may run the command, without running it or logging a denial."""
        user = self._server.acl._user_acl.get(username)
        if user is None:
            raise SimpleError(f"ERR User '{username.decode(errors='replace')}' not found")
        found = resolve(list(fields))
        if found is None:
            raise SimpleError(f"ERR Command '{fields[0].decode(errors='replace').lower()}' not found")
        signature, arguments = found
        if len(arguments) != len(signature.fixed):
            check_arity(signature, arguments, self.version)
        if user.unrestricted():
            return OK
        command_info = UserAccessControlList._get_command_info(list(fields))
        if command_info is None:
            return OK
        if not user.command_allowed(command_info, list(fields)):
            return f"This user has no permissions to run the '{signature.name.replace(' ', '|')}' command".encode()
        keys = user.keys_not_allowed(command_info, list(fields))
        if keys:
            return b"This user has no permissions to access the '%s' key" % keys[0]
        if b"@pubsub" in command_info[6]:
            channels = user.channels_not_allowed(command_info, list(fields))
            if channels:
                return b"This user has no permissions to access the '%s' channel" % channels[0]
        return OK
