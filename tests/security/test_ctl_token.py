"""Tokens and API keys minted by ``presencectl token``, used by real clients.

The minted credentials go to a real ``presence-server`` process with
authentication on, through ``presencectl --token`` / ``PRESENCE_TOKEN`` and
the Python client's ``token=``.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
from presence_client import PresenceClient, Snapshot
from presence_client.errors import UnauthenticatedError
from presence_client.messages import Agent
from typer.testing import CliRunner, Result

from presence_server.cli.ctl import app
from tests.helpers.server import RunningServer, ServerProcess
from tests.security.conftest import mint

SECRET = "a-local-secret-that-is-at-least-32-bytes"
MINTING = {"PRESENCE_AUTH_JWT_SECRET": SECRET}


def ctl(*args: str, env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(app, list(args), env=env)


def minted(*args: str) -> str:
    result = ctl("token", *args, env=MINTING)
    assert result.exit_code == 0, result.output
    return result.stdout.strip()


@pytest.fixture(scope="module")
def crm_key(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Path]:
    """An integration key made by ``presencectl token --api-key``, and its file."""
    result = ctl("token", "--role", "integration", "--api-key", "crm")
    assert result.exit_code == 0, result.output
    entry = json.loads(result.stderr.split(": ", 1)[1])
    assert result.stdout.strip() not in result.stderr
    keys = tmp_path_factory.mktemp("keys") / "api-keys.json"
    keys.write_text(json.dumps([entry]))
    return result.stdout.strip(), keys


@pytest.fixture(scope="module")
def server(
    tmp_path_factory: pytest.TempPathFactory, crm_key: tuple[str, Path]
) -> Iterator[ServerProcess]:
    env = {
        "PRESENCE_AUTH_DISABLED": "false",
        "PRESENCE_AUTH_JWT_SECRET": SECRET,
        "PRESENCE_AUTH_API_KEYS_FILE": str(crm_key[1]),
    }
    with ServerProcess(tmp_path_factory.mktemp("auth") / "data", env=env) as process:
        process.wait_until_listening()
        yield process


def test_a_minted_admin_token_administers_and_no_token_is_refused(
    server: ServerProcess,
) -> None:
    admin = minted("--role", "admin", "--subject", "ops")

    created = ctl(
        "--server", server.address, "--token", admin,
        "agents", "create", "ann", "--name", "Ann", "--team", "north",
    )  # fmt: skip
    anonymous = ctl("--server", server.address, "agents", "list")

    assert created.exit_code == 0, created.output
    assert anonymous.exit_code == 1
    assert "UNAUTHENTICATED" in anonymous.stderr


def test_a_minted_agent_token_from_the_environment_reads_but_cannot_configure(
    server: ServerProcess,
) -> None:
    ann = {"PRESENCE_TOKEN": minted("--role", "agent", "--subject", "ann")}

    menu = ctl("--server", server.address, "status-types", "list", env=ann)
    refused = ctl(
        "--server", server.address, "agents", "create", "bob", "--name", "Bob",
        env=ann,
    )  # fmt: skip

    assert menu.exit_code == 0, menu.output
    assert "Available" in menu.stdout
    assert refused.exit_code == 1
    assert "PERMISSION_DENIED" in refused.stderr


def test_a_minted_api_key_lets_its_integration_read(
    server: ServerProcess, crm_key: tuple[str, Path]
) -> None:
    key, _ = crm_key

    listed = ctl("--server", server.address, "--token", key, "agents", "list")

    assert listed.exit_code == 0, listed.output


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        pytest.param(
            ["--role", "admin", "--subject", "ops"], {}, "secret is needed", id="none"
        ),
        pytest.param(
            ["--role", "admin", "--subject", "ops"],
            {"PRESENCE_AUTH_JWT_SECRET": "short"},
            "at least 32 bytes",
            id="short-secret",
        ),
        pytest.param(
            ["--role", "agent", "--subject", "ann", "--team", "north"],
            MINTING,
            "only for --role supervisor",
            id="team-on-an-agent",
        ),
        pytest.param(
            ["--role", "supervisor", "--subject", "sam"],
            MINTING,
            "needs at least one team",
            id="supervisor-without-team",
        ),
        pytest.param(["--role", "boss", "--subject", "x"], MINTING, "boss", id="role"),
    ],
)
def test_tokens_that_would_not_work_are_not_minted(
    args: list[str], env: dict[str, str], message: str
) -> None:
    result = ctl("token", *args, env={"PRESENCE_AUTH_JWT_SECRET": "", **env})

    assert result.exit_code == 2
    assert message in result.output


async def test_the_python_client_sends_its_token_on_calls_and_streams(
    auth_server: RunningServer,
) -> None:
    admin = mint(sub="root", role="admin")
    address = auth_server.server.address

    async with PresenceClient(address, token=admin) as client:
        await client.agents.create(Agent(id="cy", display_name="Cy", team="north"))
        subscription = client.subscribe()
        first = await anext(aiter(subscription))
        await subscription.aclose()
    async with PresenceClient(address) as anonymous:
        with pytest.raises(UnauthenticatedError):
            await anonymous.get_presence("cy")

    assert isinstance(first, Snapshot)
    assert [p.agent_id for p in first.presences] == ["cy"]
