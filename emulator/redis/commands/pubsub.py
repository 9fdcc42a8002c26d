"""Pub/sub bookkeeping when a client goes: redis forgets every subscription of a closed connection at once."""

from __future__ import annotations

from typing import Any

from cloudtwin.redis.commands.base import ServerCommandsBase


class PubSubCleanup(ServerCommandsBase):
    _pubsub: int

    def _cleanup(self, server: Any) -> None:
        # fakeredis leaves shard subscriptions behind and keeps channels and patterns whose last subscriber left, so
        # PUBSUB NUMPAT, CHANNELS and SHARDCHANNELS, and SPUBLISH's receiver count, would go on counting this client.
        if self._pubsub:
            for registry in (server.subscribers, server.psubscribers, server.ssubscribers):
                for channel, subscribers in list(registry.items()):
                    subscribers.discard(self)
                    if not subscribers:
                        del registry[channel]
            self._pubsub = 0
        self._clear_watches()
