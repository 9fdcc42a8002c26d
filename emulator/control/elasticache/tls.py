"""The twin's certificate authority: one CA and one server certificate per emulator, for every cache created with
in-transit encryption. Clients verify the server against the CA file, under the name localhost or 127.0.0.1."""

from __future__ import annotations

import shutil
import ssl
import tempfile
import threading
from pathlib import Path

VALIDITY_DAYS = 365


class TwinCertificates:
    """Written to a directory of their own (removed at `close`): `ca.pem`, `server.pem`, `server.key`.

    Made on first use (a TLS cache, or someone asking for the CA file): most runs never create a TLS cache, and
    loading cryptography and making the keys would add a tenth of a second to every emulator's start.
    """

    def __init__(self, host: str) -> None:
        self.host = host
        self._lock = threading.Lock()
        self._directory: Path | None = None

    @property
    def directory(self) -> Path:
        with self._lock:
            if self._directory is None:
                self._directory = _made(self.host)
            return self._directory

    @property
    def ca_file(self) -> Path:
        return self.directory / "ca.pem"

    @property
    def cert_file(self) -> Path:
        return self.directory / "server.pem"

    @property
    def key_file(self) -> Path:
        return self.directory / "server.key"

    @property
    def ca_pem(self) -> bytes:
        return self.ca_file.read_bytes()

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # ElastiCache serves TLS 1.2 and 1.3.
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def close(self) -> None:
        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)


def _made(host: str) -> Path:
    """A new directory holding the CA, and the server certificate (chained to it) with its key."""
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import ExtendedKeyUsageOID

    from cloudtwin.certificates import general_name, new_ca, pem, pkcs8_pem, signed_certificate

    def new_key() -> ec.EllipticCurvePrivateKey:
        return ec.generate_private_key(ec.SECP256R1())

    # localhost, the loopback addresses, and the emulator's own host when it binds one address.
    hosts = ["localhost", "127.0.0.1", "::1"]
    if host not in ("", "0.0.0.0", "::", *hosts):
        hosts.append(host)
    ca_key, ca_cert = new_ca("cloudtwin ElastiCache CA", VALIDITY_DAYS, new_key)
    server_key, server_cert = signed_certificate(
        ca_key, ca_cert, "localhost", [general_name(name) for name in hosts], ExtendedKeyUsageOID.SERVER_AUTH,
        VALIDITY_DAYS, new_key,
    )  # fmt: skip
    directory = Path(tempfile.mkdtemp(prefix="cloudtwin-elasticache-tls-"))
    (directory / "ca.pem").write_bytes(pem(ca_cert))
    (directory / "server.pem").write_bytes(pem(server_cert) + pem(ca_cert))
    key_file = directory / "server.key"
    key_file.write_bytes(pkcs8_pem(server_key))
    key_file.chmod(0o600)
    return directory
