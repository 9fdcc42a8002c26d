"""The optional real backend: an installed redis-server (or valkey-server) run as a child process.

For teams who need byte-exact behaviour. It cannot follow the emulator clock: TTLs run on wall time.
"""

from __future__ import annotations

import shutil
import socket
import ssl
import subprocess
import tempfile
import time
from collections import deque
from typing import TYPE_CHECKING

import redis

from cloudtwin.redis.config import EVICTION_POLICIES, parse_memory
from cloudtwin.service import ServiceStartError

if TYPE_CHECKING:
    from cloudtwin.config import Settings

BINARIES = ("redis-server", "valkey-server")
STARTUP_SECONDS = 15


class RedisServerService:
    name = "redis"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.process: subprocess.Popen | None = None
        self.binary: str | None = None
        self.version = ""
        self.host = settings.host
        self.port: int | None = None
        self._workdir: tempfile.TemporaryDirectory | None = None

    @property
    def tls(self) -> bool:
        return bool(self.settings.redis_tls_cert)

    @property
    def endpoint(self) -> str | None:
        if self.port is None:
            return None
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{'rediss' if self.tls else 'redis'}://{host}:{self.port}"

    def start(self) -> None:
        self.binary = next((path for path in map(shutil.which, BINARIES) if path), None)
        if self.binary is None:
            raise ServiceStartError(
                "--redis-backend redis-server needs redis-server or valkey-server on PATH "
                "(apt-get install -y redis-server), or use the default --redis-backend fakeredis"
            )
        self.version = subprocess.run([self.binary, "--version"], capture_output=True, text=True).stdout.strip()
        port = self.settings.redis_port or _free_port(self.host)
        self._workdir = tempfile.TemporaryDirectory(prefix="cloudtwin-redis-")
        try:
            arguments = self._arguments(port)
        except ServiceStartError:
            self.stop()
            raise
        self.process = subprocess.Popen(
            [self.binary, *arguments],
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.port = port
        try:
            self._wait_until_ready()
        except ServiceStartError:
            self.stop()
            raise

    def _arguments(self, port: int) -> list[str]:
        settings = self.settings
        arguments = ["--bind", self.host, "--save", "", "--appendonly", "no", "--dir", self._workdir.name]
        arguments += ["--enable-debug-command", settings.redis_enable_debug_command]
        if self.tls:
            if not settings.redis_tls_key:
                raise ServiceStartError("TLS needs both --redis-tls-cert and --redis-tls-key (PEM files)")
            arguments += [
                "--port",
                "0",
                "--tls-port",
                str(port),
                "--tls-cert-file",
                settings.redis_tls_cert,
                "--tls-key-file",
                settings.redis_tls_key,
                "--tls-auth-clients",
                "no",
            ]
        else:
            arguments += ["--port", str(port)]
        if settings.redis_password:
            arguments += ["--requirepass", settings.redis_password]
        for definition in filter(None, (part.strip() for part in settings.redis_users.split(";"))):
            arguments += ["--user", *definition.split()]
        if settings.redis_maxmemory:
            try:
                arguments += ["--maxmemory", str(parse_memory(settings.redis_maxmemory))]
            except ValueError:
                raise ServiceStartError(f"--redis-maxmemory {settings.redis_maxmemory!r} is not a size") from None
        if settings.redis_maxmemory_policy not in EVICTION_POLICIES:
            raise ServiceStartError(f"--redis-maxmemory-policy must be one of {', '.join(EVICTION_POLICIES)}")
        arguments += ["--maxmemory-policy", settings.redis_maxmemory_policy]
        return arguments

    def _wait_until_ready(self) -> None:
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                output = deque(self.process.stdout.read().splitlines(), maxlen=5)
                raise ServiceStartError(f"{self.binary} exited with {self.process.returncode}: {' | '.join(output)}")
            try:
                if self.client(socket_timeout=1).ping():
                    return
            except redis.RedisError:
                time.sleep(0.05)
        raise ServiceStartError(f"{self.binary} did not answer PING on port {self.port} within {STARTUP_SECONDS} s")

    def client(self, **options) -> redis.Redis:
        kwargs = {"host": self.host, "port": self.port, "password": self.settings.redis_password or None, **options}
        if self.tls:
            kwargs.update(ssl=True, ssl_cert_reqs=ssl.CERT_NONE)
        return redis.Redis(**kwargs)

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
            if self.process.stdout is not None:
                self.process.stdout.close()
            self.process = None
        self.port = None
        if self._workdir is not None:
            self._workdir.cleanup()
            self._workdir = None

    def health(self) -> dict:
        up = self.process is not None and self.process.poll() is None
        report: dict = {
            "up": up,
            "endpoint": self.endpoint,
            "backend": f"{self.binary} ({self.version})",
            "clock": "wall time (a real server cannot follow the emulator clock)",
        }
        if up:
            try:
                with self.client(socket_timeout=2) as client:
                    report["keys"] = sum(db["keys"] for name, db in client.info("keyspace").items())
            except redis.RedisError as exc:
                report["error"] = str(exc)
        return report

    def reset(self) -> None:
        if self.process is not None:
            with self.client(socket_timeout=10) as client:
                client.flushall()
                client.config_resetstat()

    def banner(self) -> str:
        return f"Redis ({self.version.split(' sha=')[0]}, child process) on {self.endpoint}"


def _free_port(host: str) -> int:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family) as probe:
        probe.bind((host, 0))
        return probe.getsockname()[1]
