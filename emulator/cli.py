"""`cloudtwin serve | status | reset | clock`."""

from __future__ import annotations

import argparse
import json
import logging
import signal
import sys

from cloudtwin.admin_client import AdminClient, AdminUnavailable, default_endpoint
from cloudtwin.config import Settings

ENDPOINT_HELP = "AWS endpoint of the emulator (default: $AWS_ENDPOINT_URL, else 127.0.0.1:$CLOUDTWIN_AWS_PORT or :4566)"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="cloudtwin", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="run the emulator until interrupted")
    Settings.add_arguments(serve)
    serve.add_argument("--log-level", default="WARNING", help="Python logging level (default WARNING)")

    for name, help_text in (("status", "show the health of a running emulator"), ("reset", "drop all state")):
        command = commands.add_parser(name, help=help_text)
        command.add_argument("--endpoint", help=ENDPOINT_HELP)
        if name == "reset":
            command.add_argument("service", nargs="?", help="aws|sqs|redis|kafka (default: all)")

    clock = commands.add_parser("clock", help="read or move the emulator's clock")
    clock.add_argument("--endpoint", help=ENDPOINT_HELP)
    clock.add_argument("action", nargs="?", default="show", choices=["show", "freeze", "advance", "unfreeze", "reset"])
    clock.add_argument("value", nargs="?", help="seconds to advance, or the epoch time to freeze at")

    args = parser.parse_args(argv)
    if args.command == "serve":
        return serve_command(args)
    admin = AdminClient(args.endpoint or default_endpoint())
    try:
        if args.command == "status":
            document = admin.get("health")
        elif args.command == "reset":
            document = admin.post("reset", {"service": args.service} if args.service else {})
        else:
            document = _clock_command(admin, args)
    except AdminUnavailable as exc:
        print(f"cloudtwin: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(document, indent=2))
    return 0


def serve_command(args: argparse.Namespace) -> int:
    from cloudtwin.process import Emulator
    from cloudtwin.service import ServiceStartError

    logging.basicConfig(level=args.log_level.upper(), format="cloudtwin %(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.resolve(vars(args))
    except ValueError as exc:
        print(f"cloudtwin: {exc}", file=sys.stderr)
        return 2
    _raise_open_file_limit(settings)
    emulator = Emulator(settings)
    try:
        emulator.start()
    except ServiceStartError as exc:
        print(f"cloudtwin: cannot start: {exc}", file=sys.stderr)
        return 1
    for name, service in emulator.services.items():
        if name in emulator.failures:
            # Only a best-effort service gets here (Kafka): the others stopped the start above.
            from cloudtwin.kafka.service import BEST_EFFORT_NOTE

            print(f"cloudtwin: {name} did not start: {emulator.failures[name]}; {BEST_EFFORT_NOTE}", flush=True)
        else:
            print(f"cloudtwin: {service.banner()}", flush=True)

    # Set by a signal, or by a required service (Kafka) that fails while it starts in the background.
    stop = emulator.broken

    def on_signal(signum, frame) -> None:
        stop.set()

    signal.signal(signal.SIGINT, on_signal)
    signal.signal(signal.SIGTERM, on_signal)
    print("cloudtwin: ready (Ctrl-C to stop)", flush=True)
    while not stop.wait(3600):
        pass
    if emulator.fatal_error is not None:
        print(f"cloudtwin: cannot start: {emulator.fatal_error}", file=sys.stderr, flush=True)
        emulator.stop()
        return 1
    print("cloudtwin: shutting down", flush=True)
    emulator.stop()
    return 0


def _raise_open_file_limit(settings: Settings) -> None:
    """Enough descriptors for every connection the endpoints admit, or a warning that says what to change."""
    from cloudtwin.fd_limit import RESERVED_DESCRIPTORS, raise_open_file_limit
    from cloudtwin.redis.config import DEFAULT_MAXCLIENTS

    redis_clients = DEFAULT_MAXCLIENTS if settings.redis_port >= 0 else 0
    wanted = settings.http_max_connections + redis_clients + RESERVED_DESCRIPTORS
    limit = raise_open_file_limit(wanted)
    if limit < wanted:
        print(
            f"cloudtwin: warning: the open-file limit is {limit} (ulimit -n), below the {wanted} that "
            f"--http-max-connections ({settings.http_max_connections})"
            + (f" and Redis' maxclients ({redis_clients})" if redis_clients else "")
            + " need; past it new connections wait or fail: raise `ulimit -n` or lower them",
            file=sys.stderr,
            flush=True,
        )


def _clock_command(admin: AdminClient, args: argparse.Namespace) -> dict:
    if args.action == "show":
        return admin.get("clock")
    if args.action == "advance":
        if args.value is None:
            raise SystemExit("cloudtwin clock advance needs a number of seconds")
        return admin.post("clock", {"advance": float(args.value)})
    if args.action == "freeze":
        return admin.post("clock", {"freeze": float(args.value) if args.value else True})
    return admin.post("clock", {args.action: True})


if __name__ == "__main__":
    sys.exit(main())
