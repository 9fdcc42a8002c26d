"""What the server-level command mixins know of the socket they are mixed into."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fakeredis.commands_mixins._mixin_base import CommandsMixinBase

if TYPE_CHECKING:
    from cloudtwin.redis.connection import ClientConnection
    from cloudtwin.redis.engine import RedisEngine


class ServerCommandsBase(CommandsMixinBase):
    engine: RedisEngine
    connection: ClientConnection
    engine_version: str
