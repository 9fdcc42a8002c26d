"""TLS material for the broker's TLS and SASL_SSL listeners: a CA the twin owns, and certificates it signs.

All of it lives in the cache and outlasts brokers, so a client's trust store keeps working across restarts
and a start pays for no key generation; the broker's certificate is kept per set of addresses it names.
"""

from __future__ import annotations

import fcntl
import hashlib
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID

from cloudtwin.certificates import general_name, new_ca, pem, pkcs8_pem, signed_certificate

KEY_BITS = 2048
CA_DAYS = 3650
LEAF_DAYS = 825
CA_NAME = "cloudtwin local MSK CA"
CLIENT_NAME = "cloudtwin-client"


@dataclass(frozen=True)
class TlsMaterial:
    ca_file: Path
    """PEM of the CA certificate: what clients verify the broker with (ssl_cafile, ssl.ca.location)."""
    broker_keystore: Path
    """PEM with the broker's private key (PKCS#8) and certificate chain: Kafka's ssl.keystore.type=PEM."""
    client_certificate: Path
    """PEM certificate for mutual TLS, signed by the same CA."""
    client_key: Path


def tls_material(cache_dir: Path, hosts: list[str]) -> TlsMaterial:
    """The CA, a client certificate and a broker certificate for `hosts`, each made once into the cache."""
    tls_dir = cache_dir / "tls"
    tls_dir.mkdir(parents=True, exist_ok=True)
    ca_file, ca_key_file = tls_dir / "ca.pem", tls_dir / "ca-key.pem"
    client_certificate, client_key = tls_dir / "client.pem", tls_dir / "client-key.pem"
    with open(tls_dir / "ca.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not (ca_file.is_file() and ca_key_file.is_file() and client_certificate.is_file()):
            ca_key, ca_cert = new_ca(CA_NAME, CA_DAYS, _new_key)
            key, cert = signed_certificate(
                ca_key, ca_cert, CLIENT_NAME, [], ExtendedKeyUsageOID.CLIENT_AUTH, LEAF_DAYS, _new_key
            )
            _write_private(client_key, pkcs8_pem(key))
            client_certificate.write_bytes(pem(cert))
            _write_private(ca_key_file, pkcs8_pem(ca_key))
            # Published last: its presence means the set is complete.
            ca_file.write_bytes(pem(ca_cert))
        keystore = tls_dir / f"broker-{hashlib.sha256(','.join(hosts).encode()).hexdigest()[:12]}.pem"
        if not keystore.is_file():
            ca_key = serialization.load_pem_private_key(ca_key_file.read_bytes(), password=None)
            ca_cert = x509.load_pem_x509_certificate(ca_file.read_bytes())
            names = [general_name(host) for host in hosts]
            key, cert = signed_certificate(
                ca_key, ca_cert, hosts[0], names, ExtendedKeyUsageOID.SERVER_AUTH, LEAF_DAYS, _new_key
            )
            _write_private(keystore, pkcs8_pem(key) + pem(cert) + pem(ca_cert))
    return TlsMaterial(ca_file, keystore, client_certificate, client_key)


def _new_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
