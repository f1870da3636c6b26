"""Session calls by agents: another agent's session is no session at all."""

from __future__ import annotations

from typing import Any

import grpc
import pytest

from presence_server._proto.presence.v1 import agents_pb2, presence_pb2
from tests.helpers.server import RunningServer
from tests.security.conftest import bearer, mint
from tests.security.test_tokens import _reason

ADMIN = bearer(mint(sub="root", role="admin"))
ANN = bearer(mint(sub="ann"))
BOB = bearer(mint(sub="bob"))


async def _bobs_session(server: RunningServer) -> str:
    for agent_id in ("ann", "bob"):
        await server.agents.CreateAgent(
            agents_pb2.CreateAgentRequest(
                agent=agents_pb2.Agent(id=agent_id, display_name=agent_id, team="n")
            ),
            metadata=ADMIN,
        )
    opened = await server.presence.OpenSession(
        presence_pb2.OpenSessionRequest(agent_id="bob", ttl_seconds=60), metadata=BOB
    )
    return str(opened.session.session_id)


async def _refused(call: Any, request: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await call(request, metadata=ANN)
    return refused.value


@pytest.mark.parametrize("rpc", ["KeepAlive", "CloseSession"])
async def test_another_agents_session_is_answered_as_one_that_does_not_exist(
    auth_server: RunningServer, rpc: str
) -> None:
    bobs = await _bobs_session(auth_server)
    call = getattr(auth_server.presence, rpc)
    request_type = getattr(presence_pb2, f"{rpc}Request")
    made_up = "bob:" + "0" * 32

    session_ids = (bobs, made_up, "zed:" + "0" * 32, "ann:" + "0" * 32)

    answers = [
        await _refused(call, request_type(session_id=session_id))
        for session_id in session_ids
    ]

    for answer, session_id in zip(answers, session_ids, strict=True):
        assert answer.code() is grpc.StatusCode.NOT_FOUND
        assert _reason(answer) == "SESSION_NOT_FOUND"
        assert answer.details() == (
            f"session {session_id!r} does not exist or has ended; open a new session"
        )
        assert "ann" not in (answer.details() or "").replace(session_id, "")


async def test_a_session_id_without_an_agent_is_not_found_either(
    auth_server: RunningServer,
) -> None:
    answer = await _refused(
        auth_server.presence.CloseSession,
        presence_pb2.CloseSessionRequest(session_id="no-such-session"),
    )

    assert answer.code() is grpc.StatusCode.NOT_FOUND
    assert "not ''" not in (answer.details() or "")


async def test_the_session_survives_another_agents_close(
    auth_server: RunningServer,
) -> None:
    bobs = await _bobs_session(auth_server)
    await _refused(
        auth_server.presence.CloseSession,
        presence_pb2.CloseSessionRequest(session_id=bobs),
    )

    kept = await auth_server.presence.KeepAlive(
        presence_pb2.KeepAliveRequest(session_id=bobs), metadata=BOB
    )

    assert kept.session_id == bobs
