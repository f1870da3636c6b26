"""Test certificates, made fresh with ``cryptography``: nothing is committed.

``write_pki(directory)`` writes PEM files for TLS tests and returns their
paths (:class:`Pki`): a CA, a server certificate for ``127.0.0.1`` and
``localhost`` signed by it, a client certificate from the same CA, and a
client certificate from a foreign CA the server does not trust. Keys are
EC P-256 (fast to make) and certificates are valid for a day.

The Node tests call it as a command::

    python -m tests.helpers.certs DIRECTORY
"""

from __future__ import annotations

import ipaddress
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID


@dataclass(frozen=True)
class Pki:
    """Paths of the PEM files :func:`write_pki` made."""

    ca: Path
    server_cert: Path
    server_key: Path
    client_cert: Path
    client_key: Path
    foreign_ca: Path
    foreign_client_cert: Path
    foreign_client_key: Path


@dataclass(frozen=True)
class _Issued:
    certificate: x509.Certificate
    key: ec.EllipticCurvePrivateKey


def _name(common_name: str) -> x509.Name:
    return x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])


def _issue(
    common_name: str,
    issuer: _Issued | None,
    *,
    usage: x509.ObjectIdentifier | None = None,
    sans: list[x509.GeneralName] | None = None,
) -> _Issued:
    """A certificate signed by ``issuer``; a self-signed CA when ``None``."""
    key = ec.generate_private_key(ec.SECP256R1())
    now = datetime.now(UTC)
    builder = (
        x509.CertificateBuilder()
        .subject_name(_name(common_name))
        .issuer_name(issuer.certificate.subject if issuer else _name(common_name))
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=5))
        .not_valid_after(now + timedelta(days=1))
        .add_extension(
            x509.BasicConstraints(ca=issuer is None, path_length=None), critical=True
        )
    )
    if issuer is None:
        builder = builder.add_extension(
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
    if usage is not None:
        builder = builder.add_extension(x509.ExtendedKeyUsage([usage]), critical=False)
    if sans:
        builder = builder.add_extension(
            x509.SubjectAlternativeName(sans), critical=False
        )
    signer = issuer.key if issuer else key
    return _Issued(builder.sign(signer, hashes.SHA256()), key)


def _write(directory: Path, stem: str, issued: _Issued) -> tuple[Path, Path]:
    cert = directory / f"{stem}.pem"
    key = directory / f"{stem}-key.pem"
    cert.write_bytes(issued.certificate.public_bytes(serialization.Encoding.PEM))
    key.write_bytes(
        issued.key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
    )
    return cert, key


def write_pki(directory: Path) -> Pki:
    """Make the test CAs and certificates; write them as PEM to ``directory``."""
    directory.mkdir(parents=True, exist_ok=True)
    ca = _issue("presence test CA", None)
    foreign_ca = _issue("foreign test CA", None)
    server = _issue(
        "presence-server",
        ca,
        usage=ExtendedKeyUsageOID.SERVER_AUTH,
        sans=[
            x509.DNSName("localhost"),
            x509.IPAddress(ipaddress.IPv4Address("127.0.0.1")),
        ],
    )
    client = _issue("presence-client", ca, usage=ExtendedKeyUsageOID.CLIENT_AUTH)
    stranger = _issue(
        "foreign-client", foreign_ca, usage=ExtendedKeyUsageOID.CLIENT_AUTH
    )

    ca_cert, _ = _write(directory, "ca", ca)
    foreign_ca_cert, _ = _write(directory, "foreign-ca", foreign_ca)
    server_cert, server_key = _write(directory, "server", server)
    client_cert, client_key = _write(directory, "client", client)
    foreign_cert, foreign_key = _write(directory, "foreign-client", stranger)
    return Pki(
        ca=ca_cert,
        server_cert=server_cert,
        server_key=server_key,
        client_cert=client_cert,
        client_key=client_key,
        foreign_ca=foreign_ca_cert,
        foreign_client_cert=foreign_cert,
        foreign_client_key=foreign_key,
    )


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit("usage: python -m tests.helpers.certs DIRECTORY")
    write_pki(Path(sys.argv[1]))
