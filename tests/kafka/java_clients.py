"""The Java clients an MSK user runs (Kafka's CLI tools and aws-msk-iam-auth), fetched once with Maven.

For tests only: the tools' jars are not the broker's (kafka-tools is not on its classpath) and
aws-msk-iam-auth is a client library. Cached beside the broker's jars; tests skip with the reason when
Maven or the download is unavailable.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import tempfile
from pathlib import Path

from cloudtwin.kafka import probes
from cloudtwin.kafka.jars import KAFKA_VERSION, default_cache_dir

MSK_IAM_AUTH_VERSION = "2.3.2"
FETCH_TIMEOUT_SECONDS = 600
_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.cloudtwin</groupId>
  <artifactId>msk-java-clients</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka-tools</artifactId><version>{kafka}</version></dependency>
    <dependency><groupId>software.amazon.msk</groupId><artifactId>aws-msk-iam-auth</artifactId><version>{iam}</version></dependency>
  </dependencies>
</project>
"""


class Unavailable(Exception):
    pass


def java_client_classpath(cache_dir: Path | None = None) -> str:
    """The classpath of kafka-tools and aws-msk-iam-auth; fetched into the cache on first use."""
    cache_dir = cache_dir or default_cache_dir()
    libs = cache_dir / f"java-clients-{KAFKA_VERSION}-iam-{MSK_IAM_AUTH_VERSION}"
    if not libs.is_dir():
        maven = probes.maven_executable()
        if maven is None:
            raise Unavailable("Maven (mvn) is not on PATH to fetch kafka-tools and aws-msk-iam-auth")
        cache_dir.mkdir(parents=True, exist_ok=True)
        with open(cache_dir / "java-clients.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)
            if not libs.is_dir():
                _fetch(maven, libs)
    return str(libs / "*")


def _fetch(maven: str, libs: Path) -> None:
    with tempfile.TemporaryDirectory(prefix="java-clients-", dir=libs.parent) as staging:
        pom = Path(staging) / "pom.xml"
        pom.write_text(_POM.format(kafka=KAFKA_VERSION, iam=MSK_IAM_AUTH_VERSION))
        command = [
            maven, "-B", "-q", "-f", str(pom),
            "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
            "-DincludeScope=runtime", f"-DoutputDirectory={Path(staging) / 'libs'}",
        ]  # fmt: skip
        try:
            result = subprocess.run(command, capture_output=True, text=True, timeout=FETCH_TIMEOUT_SECONDS)
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise Unavailable(f"Maven could not fetch the Java clients: {exc}") from None
        if result.returncode != 0:
            raise Unavailable(f"Maven could not fetch the Java clients: {result.stdout[-400:]}")
        os.rename(Path(staging) / "libs", libs)


def run_java(classpath: str, main_class: str, *args: str, env: dict[str, str] | None = None):
    return subprocess.run(
        [probes.java_executable(), "-Xshare:auto", "-XX:TieredStopAtLevel=1", "-cp", classpath, main_class, *args],
        capture_output=True, text=True, timeout=120, env={**os.environ, **(env or {})},
    )  # fmt: skip
