"""TLS and mutual TLS for the gRPC server, from the ``PRESENCE_TLS_*`` settings.

Without a certificate the server speaks plaintext. With
``PRESENCE_TLS_CERT_FILE`` and ``PRESENCE_TLS_KEY_FILE`` it serves TLS only:
a plaintext client cannot connect. ``PRESENCE_TLS_CLIENT_CA_FILE`` adds
mutual TLS: the handshake fails unless the client presents a certificate
signed by one of those CAs. Health and reflection are on the same port, so
they follow the same rules.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import grpc

from presence_server.settings import Settings

Transport = Literal["plaintext", "tls", "mtls"]


class TlsFilesError(Exception):
    """A TLS file named in the settings could not be read at start."""


def transport(settings: Settings) -> Transport:
    """What the server speaks: ``plaintext``, ``tls`` or ``mtls``."""
    if settings.tls_cert_file is None:
        return "plaintext"
    return "mtls" if settings.tls_client_ca_file is not None else "tls"


def server_credentials(settings: Settings) -> grpc.ServerCredentials | None:
    """The gRPC server credentials, or ``None`` for plaintext.

    Raises ``TlsFilesError`` when a file cannot be read (it was readable when
    the settings were checked, so it changed since).
    """
    cert, key = settings.tls_cert_file, settings.tls_key_file
    if cert is None or key is None:
        return None
    client_ca = settings.tls_client_ca_file

    # Known limitation: the files are read once, here, at start; a renewed
    # certificate or CA takes effect only after a restart (rolling restarts
    # keep clients served, and sessions resume by themselves).
    chain = [
        (_read(key, "PRESENCE_TLS_KEY_FILE"), _read(cert, "PRESENCE_TLS_CERT_FILE"))
    ]
    if client_ca is None:
        return grpc.ssl_server_credentials(chain)
    return grpc.ssl_server_credentials(
        chain,
        root_certificates=_read(client_ca, "PRESENCE_TLS_CLIENT_CA_FILE"),
        require_client_auth=True,
    )


def _read(path: Path, setting: str) -> bytes:
    try:
        return path.read_bytes()
    except OSError as error:
        raise TlsFilesError(
            f"{setting}: cannot read {path}: {error.strerror or error}"
        ) from error
