"""The AWS endpoint as a service of the emulator: SQS core, gateway and HTTP server."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cloudtwin.http import moto_sqs_bridge
from cloudtwin.http.gateway import Gateway
from cloudtwin.http.server import HttpLimits, HttpServer
from cloudtwin.service import listen_error
from cloudtwin.sqs.backend import SqsBackend

if TYPE_CHECKING:
    from cloudtwin.process import Emulator


class AwsService:
    name = "aws"

    def __init__(self, emulator: Emulator) -> None:
        self.settings = emulator.settings
        self.sqs = SqsBackend(emulator.clock)
        self.gateway = Gateway(emulator, self.sqs)
        self.server: HttpServer | None = None

    @property
    def endpoint(self) -> str | None:
        if self.server is None:
            return None
        host = self.server.host
        return f"http://{'[' + host + ']' if ':' in host else host}:{self.server.port}"

    def start(self) -> None:
        settings = self.settings
        try:
            self.server = HttpServer(self.gateway, settings.host, settings.aws_port, HttpLimits.from_settings(settings))
        except OSError as exc:
            raise listen_error(exc, settings.host, settings.aws_port, "--aws-port") from None
        self.server.start()

    def stop(self) -> None:
        # Closing SQS first ends long polls (with a 503, so their connection threads can end) and refuses
        # requests still arriving; the queues are dropped only once no request can reach them any more.
        self.sqs.close()
        moto_sqs_bridge.uninstall(self.sqs)
        if self.server is not None:
            self.server.stop()
            self.server = None
        self.sqs.reset()

    def health(self) -> dict:
        return {
            "up": self.server is not None,
            "endpoint": self.endpoint,
            "backend": "cloudtwin-sqs+moto",
            "sqs": {"queues": self.sqs.queue_count(), "long_polls_waiting": self.sqs.long_polls_waiting},
        }

    def reset(self) -> None:
        self.sqs.reset()
        self.gateway.reset_moto()

    def banner(self) -> str:
        return f"AWS endpoint (SQS, admin API, other services via moto) on {self.endpoint}"
