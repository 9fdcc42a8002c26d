"""`python -m cloudtwin.kafka.prepare`: everything a first JVM broker start needs, done ahead of time.

Fetches Kafka's jars, formats the storage template and records the class-data archive by starting
and stopping one broker. A CI warm-up step, so download trouble shows apart from test failures.
"""

from __future__ import annotations

import sys
import time

from cloudtwin.config import Settings
from cloudtwin.kafka.service import KafkaService
from cloudtwin.service import ServiceStartError


def main() -> int:
    settings = Settings.resolve({"kafka": "jvm", "kafka_port": 0})
    started = time.monotonic()
    service = KafkaService(settings)
    try:
        service.start()
        service.wait_ready()
    except ServiceStartError as exc:
        print(f"cloudtwin: kafka: cannot prepare the JVM backend: {exc}", file=sys.stderr)
        return 1
    finally:
        service.stop()
    print(f"cloudtwin: kafka: JVM backend prepared in {time.monotonic() - started:.1f} s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
