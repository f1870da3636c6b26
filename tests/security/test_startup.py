"""Starting with authentication: refused without a verifier, loud when off."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest

from presence_server.app import PresenceServer, StartupError
from tests.helpers.server import ServerProcess, running_server, server_settings
from tests.security.conftest import SECRET


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
