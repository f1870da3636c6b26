"""The audit trail: each refusal and each configuration change names its actor."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import grpc
import pytest

from presence_server._proto.presence.v1 import (
    agents_pb2,
    presence_pb2,
    status_types_pb2,
)
from tests.helpers.server import RunningServer, running_server
from tests.security.conftest import auth_settings, bearer, mint

ADMIN_TOKEN = mint(sub="root", role="admin")
ADMIN = bearer(ADMIN_TOKEN)
AUTH_LOGGER = "presence_server.api.auth"


def _refusals(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [
        r
        for r in caplog.records
        if r.name == AUTH_LOGGER and r.getMessage().startswith("refused ")
    ]


async def _get_presence(server: RunningServer, agent_id: str, metadata: Any) -> None:
    with pytest.raises(grpc.aio.AioRpcError):
        await server.presence.GetPresence(
            presence_pb2.GetPresenceRequest(agent_id=agent_id), metadata=metadata
        )


async def test_an_unauthenticated_call_is_logged_at_info_without_the_token(
    auth_server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    forged = mint(secret="another-secret-that-is-long-enough", role="admin")

    with caplog.at_level(logging.INFO, logger=AUTH_LOGGER):
        await _get_presence(auth_server, "ann", bearer(forged))

    (record,) = _refusals(caplog)
    assert record.levelno == logging.INFO
    assert record.__dict__["reason"] == "TOKEN_BAD_SIGNATURE"
    assert record.__dict__["method"] == "/presence.v1.PresenceService/GetPresence"
    assert "UNAUTHENTICATED" in record.getMessage()
    assert forged not in caplog.text
    assert forged.split(".")[2] not in caplog.text


async def test_a_permission_denied_call_is_logged_with_its_actor(
    auth_server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger=AUTH_LOGGER):
        await _get_presence(auth_server, "bob", bearer(mint(sub="ann")))

    (record,) = _refusals(caplog)
    assert record.levelno == logging.INFO
    assert record.__dict__["actor"] == "agent:ann"
    assert record.__dict__["reason"] == "NOT_OWN_AGENT"
    assert "PERMISSION_DENIED" in record.getMessage()


async def test_a_rate_limited_call_is_logged_with_its_actor(
    sqlite_url: str, tmp_path: Path, clock: Any, caplog: pytest.LogCaptureFixture
) -> None:
    settings = auth_settings(tmp_path, auth_rate_per_second=1, auth_rate_burst=1)
    async with running_server(
        sqlite_url, tmp_path / "data", clock=clock, monotonic=lambda: 0.0, **settings
    ) as server:
        request = presence_pb2.StartShiftRequest(agent_id="ann")
        ann = bearer(mint(sub="ann"))
        # No such agent yet: NOT_FOUND, but the call spends the one unit.
        with pytest.raises(grpc.aio.AioRpcError):
            await server.presence.StartShift(request, metadata=ann)
        with (
            caplog.at_level(logging.INFO, logger=AUTH_LOGGER),
            pytest.raises(grpc.aio.AioRpcError) as refused,
        ):
            await server.presence.StartShift(request, metadata=ann)

    assert refused.value.code() is grpc.StatusCode.RESOURCE_EXHAUSTED
    (record,) = _refusals(caplog)
    assert record.__dict__["actor"] == "agent:ann"
    assert record.__dict__["reason"] == "RATE_LIMITED"


async def test_catalog_changes_log_their_actor(
    auth_server: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="presence_server.api"):
        await auth_server.agents.CreateAgent(
            agents_pb2.CreateAgentRequest(
                agent=agents_pb2.Agent(id="ann", display_name="Ann", team="north")
            ),
            metadata=ADMIN,
        )
        await auth_server.agents.ArchiveAgent(
            agents_pb2.ArchiveAgentRequest(id="ann"), metadata=ADMIN
        )
        await auth_server.status_types.ArchiveStatusType(
            status_types_pb2.ArchiveStatusTypeRequest(id="break"), metadata=ADMIN
        )

    changes = {
        r.getMessage(): r.__dict__.get("actor")
        for r in caplog.records
        if r.name.startswith("presence_server.api.")
        and r.name != AUTH_LOGGER
        and r.levelno == logging.INFO
    }
    assert changes == {
        "agent created": "admin:root",
        "agent archived": "admin:root",
        "status type break archived": "admin:root",
    }
