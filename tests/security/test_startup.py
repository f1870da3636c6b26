"""Starting with authentication: refused when misconfigured, loud when off."""

from __future__ import annotations

import json
import logging
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from presence_server.app import PresenceServer, StartupError
from tests.helpers.certs import Pki
from tests.helpers.server import ServerProcess, running_server, server_settings
from tests.security.conftest import SECRET, auth_settings, write_api_keys
from tests.security.test_tls import tls_settings


def test_the_server_refuses_to_start_with_auth_on_and_no_verifier(
    tmp_path: Path,
) -> None:
    process = ServerProcess(tmp_path / "data", env={"PRESENCE_AUTH_DISABLED": "false"})

    code = process.run()

    assert code == 2
    for name in (
        "PRESENCE_AUTH_JWT_SECRET",
        "PRESENCE_AUTH_JWT_SECRET_FILE",
        "PRESENCE_AUTH_JWT_PUBLIC_KEY_FILE",
        "PRESENCE_AUTH_API_KEYS_FILE",
        "PRESENCE_AUTH_DISABLED=true",
    ):
        assert name in process.output


async def test_an_in_process_server_refuses_too(
    sqlite_url: str, tmp_path: Path
) -> None:
    server = PresenceServer(
        server_settings(sqlite_url, tmp_path / "data", auth_disabled=False)
    )

    with pytest.raises(StartupError, match="PRESENCE_AUTH_DISABLED=true"):
        await server.start()


async def test_a_short_secret_is_refused(sqlite_url: str, tmp_path: Path) -> None:
    server = PresenceServer(
        server_settings(
            sqlite_url, tmp_path / "data", auth_disabled=False, auth_jwt_secret="short"
        )
    )

    with pytest.raises(StartupError, match="at least 32 bytes"):
        await server.start()


async def test_development_mode_warns_loudly(
    sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.WARNING, logger="presence_server.app"):
        async with running_server(sqlite_url, tmp_path / "data", auth_disabled=True):
            pass

    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert any("AUTHENTICATION IS OFF" in r.getMessage() for r in warnings)


async def test_the_secret_is_never_logged(
    sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.DEBUG):
        async with running_server(
            sqlite_url,
            tmp_path / "data",
            auth_disabled=False,
            auth_jwt_secret=SECRET,
        ):
            pass

    assert "authentication on: JWT" in caplog.text
    assert SECRET not in caplog.text


def test_a_secret_from_a_file_starts_the_server(tmp_path: Path) -> None:
    secret_file = tmp_path / "jwt-secret"
    secret_file.write_text(SECRET + "\n")
    env = {
        "PRESENCE_AUTH_DISABLED": "false",
        "PRESENCE_AUTH_JWT_SECRET_FILE": str(secret_file),
    }

    with ServerProcess(tmp_path / "data", env=env) as process:
        process.wait_until_listening()

    assert "authentication on: JWT" in process.output
    assert "AUTHENTICATION IS OFF" not in process.output


def _rsa_public_key(directory: Path) -> Path:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    path = directory / "jwt-public.pem"
    path.write_bytes(
        key.public_key().public_bytes(
            serialization.Encoding.PEM,
            serialization.PublicFormat.SubjectPublicKeyInfo,
        )
    )
    return path


async def test_a_secret_and_a_public_key_together_are_refused(
    sqlite_url: str, tmp_path: Path
) -> None:
    server = PresenceServer(
        server_settings(
            sqlite_url,
            tmp_path / "data",
            auth_disabled=False,
            auth_jwt_secret=SECRET,
            auth_jwt_public_key_file=_rsa_public_key(tmp_path),
        )
    )

    with pytest.raises(StartupError, match="not both"):
        await server.start()


async def test_the_startup_line_names_the_accepted_algorithm(
    sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="presence_server.app"):
        async with running_server(
            sqlite_url,
            tmp_path / "data",
            auth_disabled=False,
            auth_jwt_public_key_file=_rsa_public_key(tmp_path),
            auth_api_keys_file=write_api_keys(tmp_path),
        ):
            pass

    assert "authentication on: JWT (RS256), API keys" in caplog.text


def _keys_file(directory: Path, text: str) -> dict[str, str]:
    path = directory / "keys.json"
    path.write_text(text)
    return {"PRESENCE_AUTH_API_KEYS_FILE": str(path)}


def _one_key(**fields: str) -> str:
    entry = {"name": "crm", "role": "integration", "sha256": "a" * 64, **fields}
    return json.dumps([entry])


BAD_CONFIGURATIONS = [
    pytest.param(
        lambda d: {"PRESENCE_AUTH_JWT_SECRET": "short"}, "at least 32 bytes", id="short"
    ),
    pytest.param(
        lambda d: _keys_file(d, _one_key(role="root")), "is no role", id="bad-role"
    ),
    pytest.param(
        lambda d: _keys_file(d, _one_key(sha256="not-hex")),
        "64 lower-case hex",
        id="non-hex-hash",
    ),
    pytest.param(lambda d: _keys_file(d, "[{"), "is not JSON", id="bad-json"),
    pytest.param(
        lambda d: {"PRESENCE_AUTH_API_KEYS_FILE": str(d / "missing.json")},
        "cannot read",
        id="missing-keys-file",
    ),
    pytest.param(
        lambda d: (
            _keys_file(d, _one_key() + "\n")
            | {"PRESENCE_AUTH_JWT_PUBLIC_KEY_FILE": str(d / "keys.json")}
        ),
        "is not a PEM public key",
        id="bad-public-key",
    ),
    pytest.param(
        lambda d: {
            "PRESENCE_AUTH_JWT_SECRET": SECRET,
            "PRESENCE_AUTH_JWT_PUBLIC_KEY_FILE": str(_rsa_public_key(d)),
        },
        "not both",
        id="secret-and-public-key",
    ),
]


@pytest.mark.parametrize(("configure", "message"), BAD_CONFIGURATIONS)
def test_a_bad_auth_configuration_exits_2_with_one_line(
    tmp_path: Path, configure: Callable[[Path], dict[str, str]], message: str
) -> None:
    env = {"PRESENCE_AUTH_DISABLED": "false", **configure(tmp_path)}
    process = ServerProcess(tmp_path / "data", env=env)

    code = process.run()

    assert code == 2, process.output
    assert len(process.lines) == 1, process.output
    assert process.lines[0].startswith("presence-server: ")
    assert message in process.lines[0]
    assert "Traceback" not in process.output


PLAINTEXT_WARNING = "bearer tokens and API keys cross the network unencrypted"


@pytest.mark.parametrize(
    ("address", "tls", "warned"),
    [
        pytest.param("0.0.0.0:0", False, True, id="all-interfaces-plaintext"),
        pytest.param("127.0.0.1:0", False, False, id="loopback-plaintext"),
        pytest.param("[::1]:0", False, False, id="ipv6-loopback-plaintext"),
        pytest.param("0.0.0.0:0", True, False, id="all-interfaces-tls"),
    ],
)
async def test_plaintext_off_loopback_with_auth_on_warns(
    sqlite_url: str,
    tmp_path: Path,
    pki: Pki,
    caplog: pytest.LogCaptureFixture,
    address: str,
    tls: bool,
    warned: bool,
) -> None:
    with caplog.at_level(logging.WARNING, logger="presence_server.app"):
        async with running_server(
            sqlite_url,
            tmp_path / "data",
            listen_address=address,
            **auth_settings(tmp_path),
            **(tls_settings(pki) if tls else {}),
        ):
            pass

    warnings = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    found = [m for m in warnings if PLAINTEXT_WARNING in m]
    assert bool(found) is warned
    if warned:
        assert "PRESENCE_TLS_CERT_FILE" in found[0]
        assert "PRESENCE_TLS_KEY_FILE" in found[0]
