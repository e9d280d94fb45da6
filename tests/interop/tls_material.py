"""Certificates for the TLS tests, generated per test run with `cryptography` (a declared
dependency of MLflow 3.17.2, so already in the venv): a CA, a server certificate for 127.0.0.1 and
localhost signed by it, a client certificate signed by it, and a second CA nobody trusts.

PEM files, the layouts clients expect:
- `ca.pem` — what MLFLOW_TRACKING_SERVER_CERT_PATH names (requests' `verify=`);
- `server.pem` + `server-key.pem` — what the proxy serves;
- `client.pem` + `client-key.pem`, and `client-combined.pem` (certificate then key in one file,
  what MLFLOW_TRACKING_CLIENT_CERT_PATH names: requests' `cert=` with a single path);
- `other-ca.pem` — a CA that signed nothing here, for "verification must fail" cases.
Keys are unencrypted EC P-256 (fast to generate; every TLS stack accepts them).
"""

from __future__ import annotations

import datetime
import ipaddress
from dataclasses import dataclass
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

VALIDITY = datetime.timedelta(days=2)


@dataclass(frozen=True)
class TlsMaterial:
    directory: Path
    ca_cert: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    client_combined: Path
    other_ca_cert: Path


def _name(common_name: str) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, "libmlflow interop tests"),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def _key_pem(key: ec.EllipticCurvePrivateKey) -> bytes:
    return key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )


def _cert_pem(cert: x509.Certificate) -> bytes:
    return cert.public_bytes(serialization.Encoding.PEM)


def _certificate_authority(common_name: str) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _key()
    now = datetime.datetime.now(datetime.timezone.utc)
    cert = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(_name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
        .add_extension(
            x509.KeyUsage(
                digital_signature=True,
                content_commitment=False,
                key_encipherment=False,
                data_encipherment=False,
                key_agreement=False,
                key_cert_sign=True,
                crl_sign=True,
                encipher_only=False,
                decipher_only=False,
            ),
            critical=True,
        )
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
        .sign(key, hashes.SHA256())
    )
    return cert, key


def _leaf(
    common_name: str,
    ca_cert: x509.Certificate,
    ca_key: ec.EllipticCurvePrivateKey,
    usage: x509.ObjectIdentifier,
    sans: list[x509.GeneralName] | None = None,
) -> tuple[x509.Certificate, ec.EllipticCurvePrivateKey]:
    key = _key()
    now = datetime.datetime.now(datetime.timezone.utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(ca_cert.subject)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - datetime.timedelta(hours=1))
        .not_valid_after(now + VALIDITY)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
    )
    if sans:
        # webpki (rustls) checks names only in subjectAltName, never in the CN.
        builder = builder.add_extension(x509.SubjectAlternativeName(sans), critical=False)
    return builder.sign(ca_key, hashes.SHA256()), key


def generate(directory: Path) -> TlsMaterial:
    """Writes a fresh set of PEM files into `directory` (created if needed)."""
    directory.mkdir(parents=True, exist_ok=True)
    ca_cert, ca_key = _certificate_authority("libmlflow test CA")
    server_cert, server_key = _leaf(
        "127.0.0.1",
        ca_cert,
        ca_key,
        ExtendedKeyUsageOID.SERVER_AUTH,
        [x509.IPAddress(ipaddress.ip_address("127.0.0.1")), x509.DNSName("localhost")],
    )
    client_cert, client_key = _leaf("libmlflow test client", ca_cert, ca_key, ExtendedKeyUsageOID.CLIENT_AUTH)
    other_ca_cert, _ = _certificate_authority("untrusted test CA")

    material = TlsMaterial(
        directory=directory,
        ca_cert=directory / "ca.pem",
        server_cert=directory / "server.pem",
        server_key=directory / "server-key.pem",
        client_cert=directory / "client.pem",
        client_key=directory / "client-key.pem",
        client_combined=directory / "client-combined.pem",
        other_ca_cert=directory / "other-ca.pem",
    )
    material.ca_cert.write_bytes(_cert_pem(ca_cert))
    material.server_cert.write_bytes(_cert_pem(server_cert))
    material.server_key.write_bytes(_key_pem(server_key))
    material.client_cert.write_bytes(_cert_pem(client_cert))
    material.client_key.write_bytes(_key_pem(client_key))
    material.client_combined.write_bytes(_cert_pem(client_cert) + _key_pem(client_key))
    material.other_ca_cert.write_bytes(_cert_pem(other_ca_cert))
    for key_file in (material.server_key, material.client_key, material.client_combined):
        key_file.chmod(0o600)
    return material
