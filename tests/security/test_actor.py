"""Changes record who made them: the authenticated identity, not the request."""

from __future__ import annotations

import asyncio

from presence_server._proto.presence.v1 import (
    agents_pb2,
    common_pb2,
    presence_pb2,
    status_types_pb2,
)
from tests.helpers.server import RunningServer
from tests.security.conftest import API_KEY, bearer, mint

ADMIN = bearer(mint(sub="root", role="admin"))
ANN = bearer(mint(sub="ann", role="agent"))
SAM = bearer(mint(sub="sam", role="supervisor", teams=["north"]))
CRM = (("x-api-key", API_KEY),)


async def _events(
    server: RunningServer, count: int
) -> list[presence_pb2.PresenceEvent]:
    call = server.presence.SubscribePresence(
        presence_pb2.SubscribePresenceRequest(from_revision=0), metadata=ADMIN
    )
    found: list[presence_pb2.PresenceEvent] = []
    async with asyncio.timeout(20):
        async for message in call:
            found.extend(message.events)
            if len(found) >= count:
                break
    call.cancel()
    return found


async def test_each_change_records_the_callers_identity(
    auth_server: RunningServer,
) -> None:
    p = presence_pb2
    await auth_server.agents.CreateAgent(
        agents_pb2.CreateAgentRequest(
            agent=agents_pb2.Agent(id="ann", display_name="Ann", team="north")
        ),
        metadata=ADMIN,
    )
    await auth_server.presence.StartShift(
        p.StartShiftRequest(agent_id="ann", request_id="1"), metadata=ANN
    )
    # The agent claims to be a supervisor: the identity wins.
    await auth_server.presence.SetStatus(
        p.SetStatusRequest(
            agent_id="ann",
            status_type_id="break",
            request_id="2",
            source=p.SOURCE_SUPERVISOR,
        ),
        metadata=ANN,
    )
    await auth_server.presence.SetStatus(
        p.SetStatusRequest(agent_id="ann", status_type_id="available", request_id="3"),
        metadata=SAM,
    )
    await auth_server.presence.StartActivity(
        p.StartActivityRequest(
            agent_id="ann",
            kind=common_pb2.ACTIVITY_KIND_CALL,
            external_id="call-1",
            request_id="4",
        ),
        metadata=CRM,
    )
    await auth_server.status_types.UpdateStatusType(
        status_types_pb2.UpdateStatusTypeRequest(
            status_type=status_types_pb2.StatusType(id="break", color="#000000"),
            update_mask={"paths": ["color"]},
        ),
        metadata=ADMIN,
    )

    events = await _events(auth_server, 6)

    actors = [(e.actor, p.Source.Name(e.source)) for e in events]
    assert ("agent:ann", "SOURCE_AGENT") in actors
    assert ("supervisor:sam", "SOURCE_SUPERVISOR") in actors
    assert ("apikey:crm", "SOURCE_ACTIVITY") in actors
    assert "admin:root" in {actor for actor, _ in actors}
    assert "supervisor" not in {actor for actor, _ in actors}


async def test_a_supervisor_forces_a_team_agent_offline_with_set_status(
    auth_server: RunningServer,
) -> None:
    await auth_server.agents.CreateAgent(
        agents_pb2.CreateAgentRequest(
            agent=agents_pb2.Agent(id="ann", display_name="Ann", team="north")
        ),
        metadata=ADMIN,
    )
    await auth_server.presence.StartShift(
        presence_pb2.StartShiftRequest(agent_id="ann", request_id="1"), metadata=ANN
    )
    await auth_server.presence.SetStatus(
        presence_pb2.SetStatusRequest(
            agent_id="ann", status_type_id="available", request_id="2"
        ),
        metadata=ANN,
    )

    change = await auth_server.presence.SetStatus(
        presence_pb2.SetStatusRequest(
            agent_id="ann", status_type_id="offline", request_id="3"
        ),
        metadata=SAM,
    )

    assert change.presence.status.id == "offline"
    assert change.outcome == presence_pb2.OUTCOME_APPLIED
    event = await _event_by(auth_server, "supervisor:sam")
    assert event.current.status.id == "offline"
    assert event.source == presence_pb2.SOURCE_SUPERVISOR


async def _event_by(server: RunningServer, actor: str) -> presence_pb2.PresenceEvent:
    call = server.presence.SubscribePresence(
        presence_pb2.SubscribePresenceRequest(from_revision=0), metadata=ADMIN
    )
    try:
        async with asyncio.timeout(20):
            async for message in call:
                for event in message.events:
                    if event.actor == actor:
                        return event
    finally:
        call.cancel()
    raise AssertionError(f"no event by {actor}")
