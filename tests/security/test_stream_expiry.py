"""Open streams end when their token does: at exp plus the leeway, not before."""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import grpc
import pytest

from presence_server._proto.presence.v1 import agents_pb2, presence_pb2
from tests.conftest import START
from tests.helpers.server import RunningServer, poll_until
from tests.security.conftest import bearer, mint
from tests.security.test_tokens import _reason

ADMIN = bearer(
    mint(sub="root", role="admin", exp=int((START + timedelta(days=9)).timestamp()))
)
EXP = START + timedelta(minutes=1)
LEEWAY = timedelta(seconds=30)  # the server's default


def _expiring(**claims: Any) -> tuple[tuple[str, str]]:
    return bearer(mint(exp=int(EXP.timestamp()), **claims))


async def _agent(server: RunningServer) -> None:
    await server.agents.CreateAgent(
        agents_pb2.CreateAgentRequest(
            agent=agents_pb2.Agent(id="ann", display_name="Ann", team="north")
        ),
        metadata=ADMIN,
    )


async def _set_status(server: RunningServer, status: str) -> None:
    await server.presence.SetStatus(
        presence_pb2.SetStatusRequest(agent_id="ann", status_type_id=status),
        metadata=ADMIN,
    )


async def _event_to(call: Any, status: str) -> None:
    """Read the stream until an event moves ann to ``status``."""
    async with asyncio.timeout(20):
        async for message in call:
            if any(e.current.status.id == status for e in message.events):
                return
    raise AssertionError("the stream ended")


async def _read_to_the_end(call: Any) -> None:
    async with asyncio.timeout(20):
        async for message in call:
            assert not message.events, "an event was sent after the expiry"


async def _refusal(call: Any) -> grpc.aio.AioRpcError:
    with pytest.raises(grpc.aio.AioRpcError) as ended:
        await _read_to_the_end(call)
    return ended.value


def _subscribe(server: RunningServer, metadata: Any) -> Any:
    return server.presence.SubscribePresence(
        presence_pb2.SubscribePresenceRequest(from_revision=0), metadata=metadata
    )


async def test_a_subscriber_stream_ends_when_its_token_expires(
    auth_server: RunningServer,
) -> None:
    await _agent(auth_server)
    call = _subscribe(auth_server, _expiring(sub="wall", role="subscriber"))
    await _set_status(auth_server, "available")
    await _event_to(call, "available")

    # Just before exp + leeway the stream still delivers.
    await auth_server.clock.set(EXP + LEEWAY - timedelta(seconds=1))
    await _set_status(auth_server, "break")
    await _event_to(call, "break")

    await auth_server.clock.set(EXP + LEEWAY)
    ended = await _refusal(call)

    assert ended.code() is grpc.StatusCode.UNAUTHENTICATED
    assert _reason(ended) == "TOKEN_EXPIRED"
    assert "reconnect with a fresh token" in (ended.details() or "")


async def test_a_connect_stream_ends_when_its_token_expires_and_the_loss_is_recorded(
    auth_server: RunningServer,
) -> None:
    await _agent(auth_server)
    call = auth_server.presence.Connect(
        presence_pb2.ConnectRequest(agent_id="ann"), metadata=_expiring()
    )
    first = await call.read()
    assert first.presence.connection == presence_pb2.CONNECTION_STATE_CONNECTED

    await auth_server.clock.set(EXP + LEEWAY - timedelta(seconds=1))
    await _set_status(auth_server, "available")
    assert (await call.read()).presence.status.id == "available"

    await auth_server.clock.set(EXP + LEEWAY)
    with pytest.raises(grpc.aio.AioRpcError) as ended:
        async with asyncio.timeout(20):
            await call.read()

    assert ended.value.code() is grpc.StatusCode.UNAUTHENTICATED
    assert _reason(ended.value) == "TOKEN_EXPIRED"
    engine = auth_server.server._engine
    assert engine is not None

    async def in_grace() -> bool:
        return (await engine.get("ann")).connection.value == "GRACE"

    await poll_until(in_grace, what="the Connect session's loss to be recorded")


async def test_a_stream_opened_with_an_api_key_does_not_expire(
    auth_server: RunningServer,
) -> None:
    await _agent(auth_server)
    call = _subscribe(auth_server, (("x-api-key", "pk_wall"),))
    await _set_status(auth_server, "available")
    await _event_to(call, "available")

    await auth_server.clock.advance(timedelta(days=2))
    await _set_status(auth_server, "break")

    await _event_to(call, "break")
    call.cancel()
