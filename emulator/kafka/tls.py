"""TLS material for the broker's TLS and SASL_SSL listeners: a CA the twin owns, and certificates it signs.

All of it lives in the cache and outlasts brokers, so a client's trust store keeps working across restarts
and a start pays for no key generation; the broker's certificate is kept per set of addresses it names.
"""

from __future__ import annotations

import datetime
import fcntl
import hashlib
import ipaddress
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

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
            ca_key, ca_cert = _self_signed_ca()
            key, cert = _signed_leaf(ca_key, ca_cert, CLIENT_NAME, [], ExtendedKeyUsageOID.CLIENT_AUTH)
            _write_private(client_key, _pkcs8(key))
            client_certificate.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
            _write_private(ca_key_file, _pkcs8(ca_key))
            # Published last: its presence means the set is complete.
            ca_file.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
        keystore = tls_dir / f"broker-{hashlib.sha256(','.join(hosts).encode()).hexdigest()[:12]}.pem"
        if not keystore.is_file():
            ca_key = serialization.load_pem_private_key(ca_key_file.read_bytes(), password=None)
            ca_cert = x509.load_pem_x509_certificate(ca_file.read_bytes())
            key, cert = _signed_leaf(ca_key, ca_cert, hosts[0], hosts, ExtendedKeyUsageOID.SERVER_AUTH)
            chain = cert.public_bytes(serialization.Encoding.PEM) + ca_cert.public_bytes(serialization.Encoding.PEM)
            _write_private(keystore, _pkcs8(key) + chain)
    return TlsMaterial(ca_file, keystore, client_certificate, client_key)


def _self_signed_ca() -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, CA_NAME)])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=CA_DAYS))
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                key_cert_sign=True,
                crl_sign=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )  # fmt: skip
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return key, cert


def _signed_leaf(
    ca_key, ca_cert: x509.Certificate, common_name: str, hosts: list[str], usage: x509.ObjectIdentifier
) -> tuple[rsa.RSAPrivateKey, x509.Certificate]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=KEY_BITS)
    now = datetime.datetime.now(datetime.UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)]))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(days=1))
        .not_valid_after(now + datetime.timedelta(days=LEAF_DAYS))
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_cert.public_key()), critical=False
        )  # fmt: skip
    )
    if hosts:
        builder = builder.add_extension(x509.SubjectAlternativeName([_general_name(h) for h in hosts]), critical=False)
    return key, builder.sign(ca_key, hashes.SHA256())


def _general_name(host: str) -> x509.GeneralName:
    try:
        return x509.IPAddress(ipaddress.ip_address(host))
    except ValueError:
        return x509.DNSName(host)


def _pkcs8(key) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _write_private(path: Path, data: bytes) -> None:
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as out:
        out.write(data)
