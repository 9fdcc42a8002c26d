"""Redis as a service of the emulator: the RESP server over fakeredis, or a managed redis-server."""

from __future__ import annotations

import ssl
from typing import TYPE_CHECKING

from cloudtwin.redis.child_server import RedisServerService
from cloudtwin.redis.config import parse_memory
from cloudtwin.redis.engine import RedisEngine
from cloudtwin.redis.server import RespServer
from cloudtwin.service import ServiceStartError, listen_error

if TYPE_CHECKING:
    from cloudtwin.process import Emulator


BACKENDS = ("fakeredis", "redis-server")


def redis_service(emulator: Emulator) -> RedisService | RedisServerService:
    """The Redis service the settings ask for: fakeredis in-process (default) or a managed redis-server."""
    if emulator.settings.redis_backend == "redis-server":
        return RedisServerService(emulator.settings)
    return RedisService(emulator)


class RedisService:
    name = "redis"

    def __init__(self, emulator: Emulator) -> None:
        self.settings = emulator.settings
        self.clock = emulator.clock
        self.engine: RedisEngine | None = None
        self.server: RespServer | None = None
        self._unsubscribe_clock = None

    @property
    def tls(self) -> bool:
        return bool(self.settings.redis_tls_cert)

    @property
    def endpoint(self) -> str | None:
        if self.server is None:
            return None
        host = self.server.host
        scheme = "rediss" if self.tls else "redis"
        return f"{scheme}://{'[' + host + ']' if ':' in host else host}:{self.server.port}"

    @property
    def host(self) -> str | None:
        return None if self.server is None else self.server.host

    @property
    def port(self) -> int | None:
        return None if self.server is None else self.server.port

    def start(self) -> None:
        settings = self.settings
        if settings.redis_backend not in BACKENDS:
            raise ServiceStartError(
                f"--redis-backend must be one of {', '.join(BACKENDS)}, not {settings.redis_backend!r}"
            )
        engine = RedisEngine(self.clock)
        if settings.redis_enable_debug_command not in ("no", "yes", "local"):
            raise ServiceStartError(
                f"--redis-enable-debug-command must be no, yes or local, not {settings.redis_enable_debug_command!r}"
            )
        engine.enable_debug_command = settings.redis_enable_debug_command
        try:
            engine.config.set_many(self._initial_config())
            if settings.redis_users:
                engine.define_users(settings.redis_users)
        except Exception as exc:
            raise ServiceStartError(f"invalid Redis setting: {getattr(exc, 'value', exc)}") from None
        try:
            server = RespServer(engine, settings.host, settings.redis_port, self._ssl_context())
        except OSError as exc:
            raise listen_error(
                exc, settings.host, settings.redis_port, "--redis-port", " (another redis-server?)"
            ) from None
        server.start()
        self.engine, self.server = engine, server
        # Keys whose TTL an advanced clock has passed disappear at once, not at the next periodic sweep.
        self._unsubscribe_clock = self.clock.on_move(lambda: server.call_soon(server.clock_moved))

    def _initial_config(self) -> list[tuple[str, str]]:
        settings = self.settings
        pairs = [("maxmemory-policy", settings.redis_maxmemory_policy)]
        if settings.redis_password:
            pairs.append(("requirepass", settings.redis_password))
        if settings.redis_maxmemory:
            pairs.append(("maxmemory", str(parse_memory(settings.redis_maxmemory))))
        return pairs

    def _ssl_context(self) -> ssl.SSLContext | None:
        settings = self.settings
        if not settings.redis_tls_cert and not settings.redis_tls_key:
            return None
        if not (settings.redis_tls_cert and settings.redis_tls_key):
            raise ServiceStartError("TLS needs both --redis-tls-cert and --redis-tls-key (PEM files)")
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        try:
            context.load_cert_chain(settings.redis_tls_cert, settings.redis_tls_key)
        except (OSError, ssl.SSLError) as exc:
            raise ServiceStartError(f"cannot load the Redis TLS certificate or key: {exc}") from None
        return context

    def stop(self) -> None:
        if self._unsubscribe_clock is not None:
            self._unsubscribe_clock()
            self._unsubscribe_clock = None
        if self.server is not None:
            self.server.stop()
            self.server = None

    def health(self) -> dict:
        report: dict = {"up": self.server is not None, "endpoint": self.endpoint, "backend": "fakeredis"}
        if self.engine is not None and self.server is not None:
            report["keys"] = self.engine.key_count()
            report["clients"] = len(self.engine.connections)
            report["tls"] = self.tls
        return report

    def reset(self) -> None:
        if self.engine is not None:
            self.engine.flush()
            self.engine.reset_stats()
            self.engine.slowlog.reset()

    def banner(self) -> str:
        return f"Redis (fakeredis engine{', TLS' if self.tls else ''}) on {self.endpoint}"
