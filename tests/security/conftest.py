"""Fixtures of the security tests: authentication and TLS.

``mint`` makes HS256 tokens with ``SECRET`` (any claim overridable, ``None``
drops it); ``API_KEY`` is the key of the integration ``crm`` in the keys
file ``auth_server`` is started with. ``pki``: PEM files made once per
session (see ``tests.helpers.certs``): a CA, a server certificate for
127.0.0.1 and localhost, a client certificate from the same CA, and one
from a foreign CA.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import jwt
import pytest

from presence_server.security.api_keys import hash_key
from tests.conftest import START
from tests.helpers.certs import Pki, write_pki
from tests.helpers.server import RunningServer, running_server

SECRET = "test-secret-that-is-long-enough-for-hs256"
API_KEY = "pk_test_integration_key"
AUDIENCE = "presence-server"


def mint(secret: str = SECRET, **claims: Any) -> str:
    """An HS256 token valid at ``START`` for an hour; claims override."""
    values: dict[str, Any] = {
        "sub": "ann",
        "role": "agent",
        "aud": AUDIENCE,
        "exp": int((START + timedelta(hours=1)).timestamp()),
    }
    values.update(claims)
    payload = {k: v for k, v in values.items() if v is not None}
    return jwt.encode(payload, secret, algorithm="HS256")


def bearer(token: str) -> tuple[tuple[str, str]]:
    return (("authorization", f"Bearer {token}"),)


def write_api_keys(directory: Path) -> Path:
    path = directory / "api-keys.json"
    entries = [
        {"name": "crm", "role": "integration", "sha256": hash_key(API_KEY)},
        {"name": "wall", "role": "subscriber", "sha256": hash_key("pk_wall")},
    ]
    path.write_text(json.dumps(entries))
    return path


def auth_settings(directory: Path, **overrides: Any) -> dict[str, Any]:
    """``running_server`` keywords for a server with authentication on."""
    values: dict[str, Any] = {
        "auth_disabled": False,
        "auth_jwt_secret": SECRET,
        "auth_api_keys_file": write_api_keys(directory),
    }
    values.update(overrides)
    return values


@pytest.fixture
async def auth_server(
    sqlite_url: str, tmp_path: Path, clock: Any
) -> AsyncIterator[RunningServer]:
    """A server on SQLite with JWTs and API keys on, on the test's clock."""
    async with running_server(
        sqlite_url, tmp_path / "data", clock=clock, **auth_settings(tmp_path)
    ) as running:
        yield running


@pytest.fixture(scope="session")
def pki(tmp_path_factory: pytest.TempPathFactory) -> Pki:
    return write_pki(tmp_path_factory.mktemp("pki"))
