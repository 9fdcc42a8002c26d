"""The twin's certificate authority: one CA and one server certificate per emulator, for every cache created with
in-transit encryption. Clients verify the server against the CA file, under the name localhost or 127.0.0.1."""

from __future__ import annotations

import shutil
import ssl
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID

from cloudtwin.certificates import general_name, new_ca, pem, pkcs8_pem, signed_certificate

VALIDITY_DAYS = 365


def _new_key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


class TwinCertificates:
    """Written to a directory of their own (removed at `close`): `ca.pem`, `server.pem`, `server.key`."""

    def __init__(self, host: str) -> None:
        self.directory = Path(tempfile.mkdtemp(prefix="cloudtwin-elasticache-tls-"))
        self.ca_file = self.directory / "ca.pem"
        self.cert_file = self.directory / "server.pem"
        self.key_file = self.directory / "server.key"
        ca_key, ca_cert = new_ca("cloudtwin ElastiCache CA", VALIDITY_DAYS, _new_key)
        server_key, server_cert = signed_certificate(
            ca_key, ca_cert, "localhost", _names(host), ExtendedKeyUsageOID.SERVER_AUTH, VALIDITY_DAYS, _new_key
        )
        self.ca_pem = pem(ca_cert)
        self.ca_file.write_bytes(self.ca_pem)
        self.cert_file.write_bytes(pem(server_cert) + self.ca_pem)
        self.key_file.write_bytes(pkcs8_pem(server_key))
        self.key_file.chmod(0o600)

    def server_context(self) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        # ElastiCache serves TLS 1.2 and 1.3.
        context.minimum_version = ssl.TLSVersion.TLSv1_2
        context.load_cert_chain(self.cert_file, self.key_file)
        return context

    def close(self) -> None:
        shutil.rmtree(self.directory, ignore_errors=True)


def _names(host: str) -> list:
    """localhost, the loopback addresses, and the emulator's own host when it binds one address."""
    hosts = ["localhost", "127.0.0.1", "::1"]
    if host not in ("", "0.0.0.0", "::", *hosts):
        hosts.append(host)
    return [general_name(name) for name in hosts]
