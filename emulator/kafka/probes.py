"""Cheap checks of what this machine can run: a Docker engine, a Java runtime."""

from __future__ import annotations

import hashlib
import os
import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

MIN_JAVA = 17


@dataclass(frozen=True)
class Probe:
    ok: bool
    detail: str
    """What was found, or why not, in words a user can act on."""


def docker_engine(timeout: float = 2.0) -> Probe:
    """Does a Docker engine answer a ping? A missing socket answers no without waiting."""
    host = os.environ.get("DOCKER_HOST", "")
    if not host and not Path("/var/run/docker.sock").exists():
        return Probe(False, "no Docker engine (no DOCKER_HOST, no /var/run/docker.sock)")
    try:
        import docker
    except ImportError:
        return Probe(False, "the docker package is missing: pip install 'cloudtwin[docker]'")
    where = host or "unix:///var/run/docker.sock"
    try:
        client = docker.from_env(timeout=timeout)
        try:
            client.ping()
        finally:
            client.close()
    except Exception as exc:  # docker raises several unrelated types for "not there"
        return Probe(False, f"no Docker engine answers at {where} ({type(exc).__name__})")
    try:
        import testcontainers.core.container  # noqa: F401 - only checking it is installed
    except ImportError:
        return Probe(False, f"Docker answers at {where} but testcontainers is missing: pip install 'cloudtwin[docker]'")
    return Probe(True, f"Docker engine answers at {where}")


def java_runtime() -> Probe:
    """Is `java` (JAVA_HOME first, then PATH) at least Java 17?"""
    java = _java_executable()
    if java is None:
        return Probe(False, "no Java runtime (java is not on PATH and JAVA_HOME is unset)")
    version = _java_version(java)
    if version is None:
        return Probe(False, f"{java} did not report a version")
    if version < MIN_JAVA:
        return Probe(False, f"{java} is Java {version}; Kafka 4 needs Java {MIN_JAVA} or newer")
    return Probe(True, f"Java {version} at {java}")


def java_executable() -> str:
    """The java to run; callers check java_runtime() first."""
    return _java_executable() or "java"


def java_fingerprint() -> str:
    """Changes whenever the Java runtime does: a class-data archive only fits the JVM that wrote it."""
    java = os.path.realpath(java_executable())
    try:
        stamp = os.stat(java).st_mtime_ns
    except OSError:
        stamp = 0
    return hashlib.sha256(f"{java}:{stamp}".encode()).hexdigest()[:12]


def maven_executable() -> str | None:
    return shutil.which("mvn")


def _java_executable() -> str | None:
    home = os.environ.get("JAVA_HOME")
    if home and (Path(home) / "bin" / "java").is_file():
        return str(Path(home) / "bin" / "java")
    return shutil.which("java")


def _java_version(java: str) -> int | None:
    # The JDK's `release` file answers without starting a JVM (~100 ms saved on every start).
    release = Path(os.path.realpath(java)).parent.parent / "release"
    text = release.read_text(errors="replace") if release.is_file() else ""
    match = re.search(r'JAVA_VERSION="(\d+)(?:\.(\d+))?', text)
    if match is None:
        try:
            text = subprocess.run([java, "-version"], capture_output=True, text=True, timeout=30).stderr
        except (OSError, subprocess.TimeoutExpired):
            return None
        match = re.search(r'version "(\d+)(?:\.(\d+))?', text)
        if match is None:
            return None
    major = int(match.group(1))
    # Java 8 and older call themselves 1.x.
    return int(match.group(2) or 0) if major == 1 else major
