"""Apache Kafka's jars, fetched from Maven Central once into a per-user cache.

A release pinned in `jar_manifest` is plain HTTPS downloads checked against SHA-256 sums, no Maven
needed; Maven (mvn) resolves the jars when the download cannot (a mirror in ~/.m2/settings.xml, an
unpinned release).
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import re
import shutil
import subprocess
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from cloudtwin.kafka import probes
from cloudtwin.kafka.jar_manifest import JARS, Jar
from cloudtwin.service import ServiceStartError

DOWNLOAD_TIMEOUT_SECONDS = 30  # per read: a stalled connection fails rather than hangs the start
PARALLEL_DOWNLOADS = 4
KAFKA_VERSION = "4.3.1"
# Kafka's own slf4j-api is 1.7.x, so the binding must be a 1.7.x one too.
SLF4J_BINDING = ("org.slf4j", "slf4j-simple", "1.7.36")
MAVEN_TIMEOUT_SECONDS = 900
PROGRESS_EVERY_SECONDS = 2.0

_POM = """<project xmlns="http://maven.apache.org/POM/4.0.0">
  <modelVersion>4.0.0</modelVersion>
  <groupId>dev.cloudtwin</groupId>
  <artifactId>kafka-runtime</artifactId>
  <version>1</version>
  <packaging>pom</packaging>
  <dependencies>
    <dependency><groupId>org.apache.kafka</groupId><artifactId>kafka_2.13</artifactId><version>{kafka}</version></dependency>
    <dependency><groupId>{group}</groupId><artifactId>{artifact}</artifactId><version>{binding}</version></dependency>
  </dependencies>
</project>
"""
_DOWNLOADED = re.compile(r"Downloaded from \S+: \S+ \((\d+(?:\.\d+)?) (B|kB|MB|GB)")
_UNITS = {"B": 1, "kB": 1e3, "MB": 1e6, "GB": 1e9}


def default_cache_dir() -> Path:
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "cloudtwin" / "kafka"


class KafkaJars:
    """The classpath of one Kafka release in the cache: `<cache>/kafka-<version>/libs/*.jar`."""

    def __init__(
        self, cache_dir: Path, version: str = KAFKA_VERSION, repository: str = "",
        pinned: tuple[Jar, ...] | None = None,
    ) -> None:  # fmt: skip
        """`repository`: a Maven repository URL to download pinned jars from; empty: Maven (mvn) only."""
        self.cache_dir = cache_dir
        self.version = version
        self.lib_dir = cache_dir / f"kafka-{version}" / "libs"
        self.repository = repository.rstrip("/")
        self.pinned = JARS.get(version) if pinned is None else pinned

    @property
    def cached(self) -> bool:
        # lib_dir appears by rename only once Maven has finished, so its presence means complete.
        return self.lib_dir.is_dir()

    @property
    def classpath(self) -> str:
        return str(self.lib_dir / "*")

    def ensure(self, progress: Callable[[str], None] = lambda line: None) -> None:
        """Fetch the jars unless cached. Safe to call from several processes at once."""
        if self.cached:
            return
        self.cache_dir.mkdir(parents=True, exist_ok=True)
        with open(self.cache_dir / f"kafka-{self.version}.lock", "w") as lock:
            fcntl.flock(lock, fcntl.LOCK_EX)  # another process may be fetching the same release
            if not self.cached:
                self._fetch(progress)

    def _fetch(self, progress: Callable[[str], None]) -> None:
        download_error = None
        if self.repository and self.pinned:
            try:
                self._download(progress)
                return
            except ServiceStartError as exc:
                download_error = str(exc)
        maven = probes.maven_executable()
        if maven is None:
            tried = f"{download_error}, and " if download_error else ""
            raise ServiceStartError(
                f"Kafka {self.version}'s jars are not cached in {self.lib_dir.parent}: {tried}Maven (mvn) is not on "
                "PATH: install Maven 3.8+ so cloudtwin can fetch them once, or use --kafka external=HOST:PORT"
            )
        if download_error:
            progress(f"{download_error}; trying Maven")
        self._fetch_with_maven(maven, progress)

    def _download(self, progress: Callable[[str], None]) -> None:
        """Download the pinned jars from the repository, each checked against its SHA-256 sum."""
        staging = Path(tempfile.mkdtemp(prefix=f"kafka-{self.version}-", dir=self.cache_dir))
        try:
            (staging / "libs").mkdir()
            progress(
                f"downloading Apache Kafka {self.version} ({len(self.pinned)} jars) from {self.repository} "
                f"into {self.lib_dir} (once)"
            )
            with ThreadPoolExecutor(PARALLEL_DOWNLOADS) as pool:
                sizes = list(pool.map(lambda jar: self._download_jar(jar, staging / "libs"), self.pinned))
            self.lib_dir.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging / "libs", self.lib_dir)
            progress(f"cached {len(sizes)} jars ({sum(sizes) / 1e6:.1f} MB) of Apache Kafka {self.version}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _download_jar(self, jar: Jar, into: Path) -> int:
        group, artifact, version, sha256 = jar
        file_name = f"{artifact}-{version}.jar"
        url = f"{self.repository}/{group.replace('.', '/')}/{artifact}/{version}/{file_name}"
        digest = hashlib.sha256()
        size = 0
        try:
            with urllib.request.urlopen(url, timeout=DOWNLOAD_TIMEOUT_SECONDS) as response, open(
                into / file_name, "wb"
            ) as out:  # fmt: skip
                while chunk := response.read(1 << 16):
                    digest.update(chunk)
                    out.write(chunk)
                    size += len(chunk)
        except urllib.error.HTTPError as exc:
            raise ServiceStartError(f"cannot download {url}: HTTP {exc.code} {exc.reason}") from None
        except OSError as exc:
            raise ServiceStartError(f"cannot download {url}: {getattr(exc, 'reason', exc)}") from None
        if digest.hexdigest() != sha256:
            raise ServiceStartError(f"{url} does not have the SHA-256 sum cloudtwin pins for it; not used")
        return size

    def _fetch_with_maven(self, maven: str, progress: Callable[[str], None]) -> None:
        staging = Path(tempfile.mkdtemp(prefix=f"kafka-{self.version}-", dir=self.cache_dir))
        try:
            group, artifact, binding = SLF4J_BINDING
            (staging / "pom.xml").write_text(
                _POM.format(kafka=self.version, group=group, artifact=artifact, binding=binding)
            )
            command = [
                maven, "-B", "-f", str(staging / "pom.xml"),
                "org.apache.maven.plugins:maven-dependency-plugin:3.8.1:copy-dependencies",
                "-DincludeScope=runtime", f"-DoutputDirectory={staging / 'libs'}",
            ]  # fmt: skip
            progress(f"downloading Apache Kafka {self.version} from Maven Central into {self.lib_dir} (once)")
            tail = self._run_maven(command, progress)
            jars = list((staging / "libs").glob("*.jar"))
            if not any(jar.name.startswith(f"kafka_2.13-{self.version}") for jar in jars):
                raise ServiceStartError(
                    f"Maven did not resolve org.apache.kafka:kafka_2.13:{self.version} "
                    f"({' / '.join(tail[-3:]) or 'no output'}): check access to Maven Central "
                    "(or the mirror in ~/.m2/settings.xml) and retry, or use --kafka external=HOST:PORT"
                )
            self.lib_dir.parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging / "libs", self.lib_dir)
            progress(f"cached {len(jars)} jars of Apache Kafka {self.version} in {self.lib_dir}")
        finally:
            shutil.rmtree(staging, ignore_errors=True)

    def _run_maven(self, command: list[str], progress: Callable[[str], None]) -> list[str]:
        """Run Maven, reporting downloads as they happen; returns its last error lines."""
        errors: list[str] = []
        files, size, last_report = 0, 0.0, time.monotonic()
        try:
            process = subprocess.Popen(
                command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, errors="replace"
            )
        except OSError as exc:
            raise ServiceStartError(f"cannot run Maven ({command[0]}): {exc.strerror}") from None
        # A hung download must not hang the start for ever: kill Maven, which ends the read loop.
        watchdog = threading.Timer(MAVEN_TIMEOUT_SECONDS, process.kill)
        watchdog.start()
        assert process.stdout is not None
        for line in process.stdout:
            downloaded = _DOWNLOADED.search(line)
            if downloaded:
                files += 1
                size += float(downloaded.group(1)) * _UNITS[downloaded.group(2)]
                if time.monotonic() - last_report >= PROGRESS_EVERY_SECONDS:
                    progress(f"downloaded {files} files, {size / 1e6:.1f} MB so far")
                    last_report = time.monotonic()
            elif "[ERROR]" in line:
                errors.append(line.replace("[ERROR]", "").strip())
        code = process.wait()
        watchdog.cancel()
        if code != 0:
            detail = " / ".join(error for error in errors[:3] if error) or f"exit code {code}"
            raise ServiceStartError(
                f"Maven could not fetch Apache Kafka {self.version}: {detail}. Check access to Maven Central "
                "(or the mirror in ~/.m2/settings.xml) and retry, or use --kafka external=HOST:PORT"
            )
        if files:
            progress(f"downloaded {files} files, {size / 1e6:.1f} MB")
        return errors
