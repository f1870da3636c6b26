"""TLS credentials for :class:`~presence_client.PresenceClient`, from PEM files."""

from __future__ import annotations

from pathlib import Path

import grpc


def tls_credentials(
    ca_file: str | Path | None = None,
    cert_file: str | Path | None = None,
    key_file: str | Path | None = None,
) -> grpc.ChannelCredentials:
    """Channel credentials for a server that speaks TLS or mutual TLS.

    Args:
        ca_file: PEM CA certificate(s) the server's certificate must chain
            to; ``None`` trusts the system's roots.
        cert_file: the client's PEM certificate, for a server that requires
            client certificates (mutual TLS); give ``key_file`` with it.
        key_file: the PEM private key of ``cert_file``.

    The files are read now, once; a renewed certificate needs a new client.
    Raises ``ValueError`` when only one of ``cert_file`` and ``key_file`` is
    given and ``OSError`` when a file cannot be read::

        credentials = tls_credentials("ca.pem", "client.pem", "client-key.pem")
        async with PresenceClient("presence:50051", credentials=credentials):
            ...
    """
    if (cert_file is None) != (key_file is None):
        raise ValueError("cert_file and key_file go together: give both or neither")
    return grpc.ssl_channel_credentials(
        root_certificates=_read(ca_file),
        private_key=_read(key_file),
        certificate_chain=_read(cert_file),
    )


def _read(path: str | Path | None) -> bytes | None:
    return None if path is None else Path(path).read_bytes()
