"""AUTH, HELLO and QUIT: authentication and protocol negotiation, which a server enforces around every command."""

from __future__ import annotations

from typing import Any

from fakeredis._command_args_parsing import Int
from fakeredis._helpers import OK, SimpleError

from cloudtwin.redis.commands.base import ServerCommandsBase
from cloudtwin.redis.commands.registry import server_command

NOAUTH = "NOAUTH Authentication required."


def not_allowed_while_subscribed(command_name: str) -> SimpleError:
    """Redis 7's answer to a subscribed RESP2 client sending anything but (un)subscribe, PING, QUIT or RESET."""
    return SimpleError(
        f"ERR Can't execute '{command_name.replace(' ', '|')}': only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / "
        "RESET are allowed in this context"
    )


class ConnectionCommands(ServerCommandsBase):
    @server_command("AUTH", repeat=(bytes,), allowed_before_auth=True, queueable=False)
    def cloudtwin_auth(self, *args: bytes) -> Any:
        if not 1 <= len(args) <= 2:
            raise SimpleError("ERR wrong number of arguments for 'auth' command")
        if len(args) == 1 and not self.engine.config["requirepass"] and self._default_user_has_no_password():
            raise SimpleError(
                "ERR AUTH <password> called without any password configured for the default user. "
                "Are you sure your configuration is correct?"
            )
        self._authenticate(args[0] if len(args) == 2 else b"default", args[-1])
        return OK

    def _default_user_has_no_password(self) -> bool:
        return self._server.acl.get_user_acl(b"default").check_password(None)

    def _authenticate(self, username: bytes, password: bytes) -> None:
        user = self._server.acl.get_user_acl(username) if username in self._server.acl._user_acl else None
        # A nopass user accepts any password, as in redis-server.
        accepted = user is not None and user.enabled and (user.check_password(None) or user.check_password(password))
        if not accepted:
            sent = self.connection.last_command
            command = sent[0] if sent else b"AUTH"
            self._server.acl.log_auth_failure(self, username, command)  # type: ignore[attr-defined]
            raise SimpleError("WRONGPASS invalid username-password pair or user is disabled.")
        self._client_info["user"] = username.decode()
        self.connection.authenticated = True

    @server_command("HELLO", repeat=(bytes,), allowed_before_auth=True, queueable=False)
    def cloudtwin_hello(self, *args: bytes) -> Any:
        protocol = self._client_info.protocol_version
        if args:
            try:
                protocol = Int.decode(args[0])
            except SimpleError:
                raise SimpleError("ERR Protocol version is not an integer or out of range") from None
            if protocol not in (2, 3):
                raise SimpleError("NOPROTO unsupported protocol version")
        name = None
        i = 1
        while i < len(args):
            option = args[i].lower()
            remaining = len(args) - i - 1
            if option == b"auth" and remaining >= 2:
                self._authenticate(args[i + 1], args[i + 2])
                i += 3
            elif option == b"setname" and remaining >= 1:
                name = args[i + 1]
                i += 2
            else:
                raise SimpleError(f"ERR Syntax error in HELLO option '{args[i].decode(errors='replace')}'")
        if not self.connection.authenticated:
            raise SimpleError(
                "NOAUTH HELLO must be called with the client already authenticated, otherwise the HELLO "
                "AUTH <user> <pass> option can be used to authenticate the client and select the RESP protocol "
                "version at the same time"
            )
        if name is not None:
            self.client_setname(name)
        self._client_info["resp"] = protocol
        return {
            b"server": b"redis",
            b"version": self.engine_version.encode(),
            b"proto": protocol,
            b"id": self._client_info["id"],
            b"mode": b"standalone" if self.engine.cluster is None else b"cluster",
            b"role": b"replica" if self.connection.role.is_replica else b"master",
            b"modules": [],
        }

    @server_command("QUIT", repeat=(bytes,), allowed_before_auth=True, queueable=False)
    def cloudtwin_quit(self, *args: bytes) -> Any:
        self.connection.close_after_reply()
        return OK
