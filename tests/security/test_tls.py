"""TLS and mutual TLS: who can connect, and what a bad setting does.

In-process servers with the Python client for the transport rules (TLS,
mTLS, refusals, health and reflection); one ``presence-server`` process
configured from the environment and driven by ``presencectl``; and bad TLS
settings, each stopping the process with exit code 2.
"""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf.descriptor_pool import DescriptorPool
from grpc_health.v1 import health_pb2, health_pb2_grpc
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from presence_client import PresenceClient, RetryPolicy, UnavailableError
from presence_client import tls_credentials as client_tls

from presence_server.api import SERVICE_NAMES
from tests.helpers.certs import Pki
from tests.helpers.server import RunningServer, ServerProcess, running_server

# A refused handshake fails at once; the timeout only bounds a hung one.
TIMEOUT = 10.0


def tls_settings(pki: Pki, *, mutual: bool = False) -> dict[str, Any]:
    settings: dict[str, Any] = {
        "tls_cert_file": pki.server_cert,
        "tls_key_file": pki.server_key,
    }
    if mutual:
        settings["tls_client_ca_file"] = pki.ca
    return settings


@asynccontextmanager
async def tls_server(
    sqlite_url: str, tmp_path: Path, pki: Pki, *, mutual: bool = False
) -> AsyncIterator[RunningServer]:
    async with running_server(
        sqlite_url, tmp_path / "data", **tls_settings(pki, mutual=mutual)
    ) as running:
        yield running


async def status_type_ids(
    address: str, credentials: grpc.ChannelCredentials | None
) -> set[str]:
    async with PresenceClient(
        address, credentials=credentials, retry=RetryPolicy.never(), timeout=TIMEOUT
    ) as client:
        return {t.id for t in await client.status_types.list()}


# --- who can connect -----------------------------------------------------------


async def test_python_client_with_the_ca_calls_a_tls_server(
    sqlite_url: str, tmp_path: Path, pki: Pki
) -> None:
    async with tls_server(sqlite_url, tmp_path, pki) as server:
        ids = await status_type_ids(server.address, client_tls(pki.ca))

    assert "available" in ids


async def test_python_client_with_a_certificate_of_the_ca_calls_an_mtls_server(
    sqlite_url: str, tmp_path: Path, pki: Pki
) -> None:
    credentials = client_tls(pki.ca, pki.client_cert, pki.client_key)

    async with tls_server(sqlite_url, tmp_path, pki, mutual=True) as server:
        ids = await status_type_ids(server.address, credentials)

    assert "available" in ids


async def test_plaintext_client_is_refused_by_a_tls_server(
    sqlite_url: str, tmp_path: Path, pki: Pki
) -> None:
    async with tls_server(sqlite_url, tmp_path, pki) as server:
        with pytest.raises(UnavailableError):
            await status_type_ids(server.address, None)


async def test_tls_client_that_does_not_trust_the_server_ca_is_refused(
    sqlite_url: str, tmp_path: Path, pki: Pki
) -> None:
    async with tls_server(sqlite_url, tmp_path, pki) as server:
        with pytest.raises(UnavailableError):
            await status_type_ids(server.address, client_tls(pki.foreign_ca))


@pytest.mark.parametrize(
    "client_files",
    [
        pytest.param("none", id="no-client-certificate"),
        pytest.param("foreign", id="certificate-of-another-ca"),
        pytest.param("plaintext", id="plaintext"),
    ],
)
async def test_mtls_server_refuses_a_client_without_a_trusted_certificate(
    sqlite_url: str, tmp_path: Path, pki: Pki, client_files: str
) -> None:
    credentials = {
        "none": client_tls(pki.ca),
        "foreign": client_tls(pki.ca, pki.foreign_client_cert, pki.foreign_client_key),
        "plaintext": None,
    }[client_files]

    async with tls_server(sqlite_url, tmp_path, pki, mutual=True) as server:
        with pytest.raises(UnavailableError):
            await status_type_ids(server.address, credentials)


def test_client_tls_credentials_refuse_a_certificate_without_its_key(
    pki: Pki,
) -> None:
    with pytest.raises(ValueError, match="cert_file and key_file go together"):
        client_tls(pki.ca, cert_file=pki.client_cert)


# --- health and reflection ---------------------------------------------------


def _reflected_services(address: str, credentials: grpc.ChannelCredentials) -> Any:
    """What ``grpcurl -cacert ... list`` and ``describe`` would show."""
    with grpc.secure_channel(address, credentials) as channel:
        database = ProtoReflectionDescriptorDatabase(channel)
        services = sorted(database.get_services())
        pool = DescriptorPool(database)
        methods = [m.name for m in pool.FindServiceByName(SERVICE_NAMES[0]).methods]
    return services, methods


@pytest.mark.parametrize("mutual", [False, True], ids=["tls", "mtls"])
async def test_health_and_reflection_answer_over_tls(
    sqlite_url: str, tmp_path: Path, pki: Pki, mutual: bool
) -> None:
    files = (pki.client_cert, pki.client_key) if mutual else (None, None)
    credentials = client_tls(pki.ca, *files)

    async with tls_server(sqlite_url, tmp_path, pki, mutual=mutual) as server:
        async with grpc.aio.secure_channel(server.address, credentials) as channel:
            health = await health_pb2_grpc.HealthStub(channel).Check(
                health_pb2.HealthCheckRequest(service=""), timeout=TIMEOUT
            )
        # The reflection client is synchronous; the server runs on this loop.
        services, methods = await asyncio.to_thread(
            _reflected_services, server.address, credentials
        )

    assert health.status == health_pb2.HealthCheckResponse.SERVING
    assert "grpc.reflection.v1alpha.ServerReflection" in services
    assert "grpc.health.v1.Health" in services
    assert set(SERVICE_NAMES) <= set(services)
    assert methods


@pytest.mark.parametrize(
    ("tls", "mutual", "said"),
    [
        pytest.param(False, False, "plaintext", id="plaintext"),
        pytest.param(True, False, "tls", id="tls"),
        pytest.param(True, True, "mtls", id="mtls"),
    ],
)
async def test_listening_line_says_how_the_server_is_reached(
    sqlite_url: str,
    tmp_path: Path,
    pki: Pki,
    caplog: pytest.LogCaptureFixture,
    tls: bool,
    mutual: bool,
    said: str,
) -> None:
    settings = tls_settings(pki, mutual=mutual) if tls else {}

    with caplog.at_level(logging.INFO, logger="presence_server.app"):
        async with running_server(sqlite_url, tmp_path / "data", **settings) as server:
            port = server.server.port

    [line] = [r.getMessage() for r in caplog.records if "listening on" in r.message]
    assert line.startswith(f"listening on 127.0.0.1:{port}, {said}, database ")


# --- presence-server and presencectl as processes ------------------------------


def _presencectl(address: str, env: dict[str, str], *args: str) -> Any:
    command = Path(sys.executable).with_name("presencectl")
    base = {k: v for k, v in os.environ.items() if not k.startswith("PRESENCE_")}
    return subprocess.run(
        [str(command), "--server", address, "--json", *args],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_server_from_env_serves_mtls_and_presencectl_talks_to_it(
    tmp_path: Path, pki: Pki
) -> None:
    server_env = {
        "PRESENCE_TLS_CERT_FILE": str(pki.server_cert),
        "PRESENCE_TLS_KEY_FILE": str(pki.server_key),
        "PRESENCE_TLS_CLIENT_CA_FILE": str(pki.ca),
    }
    client_env = {
        "PRESENCE_TLS_CA": str(pki.ca),
        "PRESENCE_TLS_CERT": str(pki.client_cert),
        "PRESENCE_TLS_KEY": str(pki.client_key),
    }

    with ServerProcess(tmp_path / "data", env=server_env) as process:
        process.wait_until_listening()
        listed = _presencectl(process.address, client_env, "status-types", "list")
        refused = _presencectl(
            process.address, {"PRESENCE_TLS_CA": str(pki.ca)}, "status-types", "list"
        )
        code = process.stop()

    assert listed.returncode == 0, listed.stderr
    assert '"id": "available"' in listed.stdout
    assert refused.returncode == 1
    assert refused.stderr.startswith("error: cannot reach presence-server")
    assert code == 0
    [line] = [line for line in process.lines if "listening on" in line]
    assert f"listening on {process.address}, mtls, database" in line


def _error_line(stderr: str) -> str:
    # grpc's own C-core log lines may come first.
    return next(line for line in stderr.splitlines() if line.startswith("error:"))


TLS_HINT = "if it serves TLS, pass --tls-ca (and --tls-cert/--tls-key for mutual TLS)"


def test_presencectl_hints_at_tls_when_a_tls_server_closes_the_connection(
    tmp_path: Path, pki: Pki
) -> None:
    server_env = {
        "PRESENCE_TLS_CERT_FILE": str(pki.server_cert),
        "PRESENCE_TLS_KEY_FILE": str(pki.server_key),
        "PRESENCE_TLS_CLIENT_CA_FILE": str(pki.ca),
    }

    with ServerProcess(tmp_path / "data", env=server_env) as process:
        process.wait_until_listening()
        plaintext = _presencectl(process.address, {}, "status-types", "list")
        without_cert = _presencectl(
            process.address, {"PRESENCE_TLS_CA": str(pki.ca)}, "status-types", "list"
        )
        process.stop()

    for done in (plaintext, without_cert):
        assert done.returncode == 1
        first = _error_line(done.stderr)
        assert first.startswith("error: cannot reach presence-server")
        assert TLS_HINT in first
        assert "is it running" not in first


def test_presencectl_says_the_handshake_failed_against_a_plaintext_server(
    tmp_path: Path, pki: Pki
) -> None:
    with ServerProcess(tmp_path / "data") as process:
        process.wait_until_listening()
        done = _presencectl(
            process.address, {"PRESENCE_TLS_CA": str(pki.ca)}, "status-types", "list"
        )
        process.stop()

    assert done.returncode == 1
    first = _error_line(done.stderr)
    assert "the TLS handshake failed" in first
    assert "if it serves plaintext, leave the --tls options out" in first


def test_presencectl_refuses_a_client_certificate_without_its_key(
    tmp_path: Path, pki: Pki
) -> None:
    done = _presencectl(
        "127.0.0.1:1", {"PRESENCE_TLS_CERT": str(pki.client_cert)}, "agents", "list"
    )

    assert done.returncode == 2
    assert "--tls-cert and --tls-key go together" in done.stderr


# --- bad settings ----------------------------------------------------------


@pytest.mark.parametrize(
    ("files", "named"),
    [
        pytest.param(
            {"CERT": "server_cert"},
            "PRESENCE_TLS_CERT_FILE needs PRESENCE_TLS_KEY_FILE",
            id="cert-without-key",
        ),
        pytest.param(
            {"KEY": "server_key"},
            "PRESENCE_TLS_KEY_FILE needs PRESENCE_TLS_CERT_FILE",
            id="key-without-cert",
        ),
        pytest.param(
            {"CLIENT_CA": "ca"},
            "PRESENCE_TLS_CLIENT_CA_FILE (mutual TLS) needs PRESENCE_TLS_CERT_FILE",
            id="client-ca-without-cert",
        ),
        pytest.param(
            {"CERT": "missing", "KEY": "server_key"},
            "PRESENCE_TLS_CERT_FILE (--tls-cert-file): cannot read",
            id="unreadable-cert",
        ),
        pytest.param(
            {"CERT": "server_cert", "KEY": "server_key", "CLIENT_CA": "missing"},
            "PRESENCE_TLS_CLIENT_CA_FILE (--tls-client-ca-file): cannot read",
            id="unreadable-client-ca",
        ),
        pytest.param(
            {"CERT": "server_cert", "KEY": "client_key"},
            "are not a certificate and its private key",
            id="key-of-another-certificate",
        ),
    ],
)
def test_bad_tls_setting_exits_2_naming_it(
    tmp_path: Path, pki: Pki, files: dict[str, str], named: str
) -> None:
    missing = tmp_path / "no-such.pem"
    env = {
        f"PRESENCE_TLS_{name}_FILE": str(
            missing if field == "missing" else getattr(pki, field)
        )
        for name, field in files.items()
    }
    process = ServerProcess(tmp_path / "data", env=env)

    code = process.run()

    assert code == 2, process.output
    [line] = process.lines
    assert line.startswith("presence-server: invalid settings: ")
    assert named in line
