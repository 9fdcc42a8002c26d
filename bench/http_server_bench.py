"""SQS throughput of cloudtwin's gateway behind each HTTP/1.1 server we could run it on.

The same gateway (SQS core, admin API, moto) is served by cloudtwin's own threaded server
(llhttp parser through httptools) and by the maintained WSGI servers waitress and cheroot
(each installed separately; a missing one is skipped), next to the canned server whose
figure is what one boto3 client can do alone. Rounds interleave the servers so that load
from elsewhere on the machine hits each alike.

Also times boto3 S3 PutObject, which sends `Expect: 100-continue` and holds its body back
until the server answers 100 (or botocore's 1 s wait ends).

Run: python bench/http_server_bench.py [--seconds 6] [--rounds 6] [--puts 20]
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import statistics
import sys
import threading
import time
from contextlib import ExitStack

import boto3
from sqs_bench import HERE, Rate, Workload, free_port, server

PEERS = ("waitress", "cheroot")  # maintained WSGI servers, each its own module


def serve(name: str, port: int) -> None:
    """Run the gateway behind server `name` on `port` until killed."""
    from cloudtwin.config import Settings
    from cloudtwin.process import Emulator

    if name == "cloudtwin":
        Emulator(Settings(aws_port=port, redis_port=-1, kafka="off")).start()
        threading.Event().wait()
    emulator = Emulator(Settings(aws_port=0, redis_port=-1, kafka="off"))
    emulator.start()
    gateway = emulator.services["aws"].gateway
    # 16 threads each: a long poll holds one for up to 20 s, so a pool of the default 4 would starve.
    if name == "waitress":
        import waitress

        waitress.serve(gateway, host="127.0.0.1", port=port, threads=16, _quiet=True)
    elif name == "cheroot":
        from cheroot import wsgi

        wsgi.Server(("127.0.0.1", port), gateway, numthreads=16).safe_start()


def put_object_ms(port: int, puts: int) -> float:
    """Median milliseconds of one boto3 S3 PutObject of 1 KiB."""
    s3 = boto3.client(
        "s3",
        endpoint_url=f"http://127.0.0.1:{port}",
        region_name="us-east-1",
        aws_access_key_id="bench",
        aws_secret_access_key="bench",
    )
    s3.create_bucket(Bucket="bench")
    times = []
    for i in range(puts):
        began = time.perf_counter()
        s3.put_object(Bucket="bench", Key=f"k{i}", Body=b"x" * 1024)
        times.append((time.perf_counter() - began) * 1000)
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=6.0, help="measuring time per throughput figure")
    parser.add_argument("--rounds", type=int, default=6, help="interleaved rounds the measuring time is split into")
    parser.add_argument("--puts", type=int, default=20, help="S3 PutObject calls timed per server")
    parser.add_argument("--serve", nargs=2, metavar=("SERVER", "PORT"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve(args.serve[0], int(args.serve[1]))
        return
    names = ["canned", "cloudtwin"] + [name for name in PEERS if importlib.util.find_spec(name)]
    missing = [name for name in PEERS if name not in names]
    print(f"python {sys.version.split()[0]}, {os.cpu_count()} cores", f"(not installed: {missing})" if missing else "")
    ports = {name: free_port() for name in names}
    with ExitStack() as stack:
        for name, port in ports.items():
            if name == "canned":
                command = [sys.executable, str(HERE / "canned_server.py"), str(port)]
            else:
                command = [sys.executable, str(HERE / "http_server_bench.py"), "--serve", name, str(port)]
            stack.enter_context(server(command, port))
        workloads = {name: Workload(port) for name, port in ports.items()}
        rates = {name: {op: Rate() for op in workloads[name].operations} for name in workloads}
        for workload in workloads.values():  # warm-up, not counted
            for operation, prepare in workload.operations.values():
                Rate().run(operation, 0.2, prepare)
        for _ in range(args.rounds):
            for name, workload in workloads.items():
                for op, (operation, prepare) in workload.operations.items():
                    rates[name][op].run(operation, args.seconds / args.rounds, prepare)
        put_ms = {name: put_object_ms(port, args.puts) for name, port in ports.items() if name != "canned"}
    print(f"\nThroughput, one boto3 client, ops/s, and as a fraction of canned ({args.seconds:g} s per figure)")
    print(f"{'operation':<26}" + "".join(f"{name:>12}" for name in names))
    for op in rates["canned"]:
        canned = rates["canned"][op].per_second
        print(f"{op:<26}" + "".join(f"{rates[name][op].per_second:>12.0f}" for name in names))
        print(f"{'  of canned':<26}" + "".join(f"{rates[name][op].per_second / canned:>12.0%}" for name in names))
    print(f"\nS3 PutObject of 1 KiB, median ms of {args.puts} (boto3 sends Expect: 100-continue)")
    print("".join(f"{name:>12}" for name in put_ms))
    print("".join(f"{ms:>12.1f}" for ms in put_ms.values()))


if __name__ == "__main__":
    main()
