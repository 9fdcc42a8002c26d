"""The broker side of MSK IAM authentication: Java sources in iam_auth/, compiled once per Kafka release.

Compiled with the JDK's javac against the very jars the broker runs (no download, no Maven); the jar is
cached next to them, named by a digest of the sources so an upgrade of cloudtwin rebuilds it.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

from cloudtwin.kafka.jars import KafkaJars

SOURCES = Path(__file__).with_name("iam_auth")
JAVA_RELEASE = "17"
COMPILE_TIMEOUT_SECONDS = 180
LOGIN_MODULE = "dev.cloudtwin.msk.AwsMskIamLoginModule"
TOKEN_VALIDATOR = "dev.cloudtwin.msk.MskSignerTokenValidator"


@dataclass(frozen=True)
class PluginBuild:
    """The jar to put on the broker's classpath, or why there is none (the IAM listener is off then)."""

    jar: Path | None
    unavailable: str | None = None


def javac_executable() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "javac").is_file():
        return str(Path(home) / "bin" / "javac")
    return shutil.which("javac")


def source_files() -> list[Path]:
    return sorted(SOURCES.rglob("*.java"))


def ensure_plugin(jars: KafkaJars) -> PluginBuild:
    """The cached jar, compiled first if needed; never raises: a missing JDK only turns IAM off."""
    sources = source_files()
    digest = hashlib.sha256()
    for source in sources:
        digest.update(source.relative_to(SOURCES).as_posix().encode() + b"\0" + source.read_bytes())
    jar = jars.lib_dir.parent / "plugins" / f"cloudtwin-msk-iam-{digest.hexdigest()[:16]}.jar"
    if jar.is_file():
        return PluginBuild(jar)
    if not sources:
        return PluginBuild(None, f"the IAM authenticator's Java sources are missing from {SOURCES}")
    javac = javac_executable()
    if javac is None:
        return PluginBuild(None, "building the IAM authenticator needs a JDK 17+ (javac is not on PATH or JAVA_HOME)")
    jar.parent.mkdir(parents=True, exist_ok=True)
    with open(jar.parent / "build.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another emulator may be building the same jar
        if jar.is_file():
            return PluginBuild(jar)
        with tempfile.TemporaryDirectory(prefix="msk-iam-", dir=jar.parent) as staging:
            classes = Path(staging) / "classes"
            command = [javac, "--release", JAVA_RELEASE, "-nowarn", "-cp", jars.classpath, "-d", str(classes)]
            try:
                result = subprocess.run(
                    [*command, *map(str, sources)], capture_output=True, text=True, timeout=COMPILE_TIMEOUT_SECONDS
                )
            except (OSError, subprocess.TimeoutExpired) as exc:
                return PluginBuild(None, f"compiling the IAM authenticator failed: {exc}")
            if result.returncode != 0:
                errors = " | ".join(line for line in result.stderr.splitlines() if "error" in line)[:600]
                return PluginBuild(None, f"compiling the IAM authenticator failed: {errors or result.returncode}")
            partial = Path(staging) / jar.name
            with zipfile.ZipFile(partial, "w", zipfile.ZIP_DEFLATED) as archive:
                archive.writestr("META-INF/MANIFEST.MF", "Manifest-Version: 1.0\r\n\r\n")
                for path in sorted(classes.rglob("*.class")):
                    archive.write(path, path.relative_to(classes).as_posix())
            os.replace(partial, jar)
    return PluginBuild(jar)
