"""PresenceService over real gRPC, on SQLite and PostgreSQL.

Each test gets its own server on a ``ManualClock``; time moves only when a
test moves it, and ``fire_due`` then runs the timers that came due.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from presence_server._proto.presence.v1 import (
    agents_pb2,
    common_pb2,
    presence_pb2,
)
from tests.helpers.server import RunningServer, poll_until

CALL = common_pb2.ACTIVITY_KIND_CALL


async def make_agent(server: RunningServer, agent_id: str, team: str = "north") -> None:
    await server.agents.CreateAgent(
        agents_pb2.CreateAgentRequest(
            agent=agents_pb2.Agent(
                id=agent_id, display_name=agent_id.title(), team=team
            )
        )
    )


async def set_status(
    server: RunningServer, agent_id: str, status: str, **fields: Any
) -> presence_pb2.PresenceChange:
    return await server.presence.SetStatus(  # type: ignore[no-any-return]
        presence_pb2.SetStatusRequest(
            agent_id=agent_id, status_type_id=status, **fields
        )
    )


def details(error: grpc.aio.AioRpcError) -> dict[str, Any]:
    """The google.rpc details of a failed call, by type name."""
    status = rpc_status.from_call(error)
    assert status is not None, "the error carries no google.rpc.Status"
    found: dict[str, Any] = {}
    for packed in status.details:
        for kind in (
            error_details_pb2.BadRequest,
            error_details_pb2.PreconditionFailure,
            error_details_pb2.QuotaFailure,
            error_details_pb2.ErrorInfo,
        ):
            if packed.Is(kind.DESCRIPTOR):
                message = kind()
                packed.Unpack(message)
                found[kind.DESCRIPTOR.name] = message
    return found


async def test_set_status_applies_and_get_presence_shows_it(
    server: RunningServer,
) -> None:
    await make_agent(server, "ann")

    change = await set_status(server, "ann", "available", request_id="r1")
    got = await server.presence.GetPresence(
        presence_pb2.GetPresenceRequest(agent_id="ann")
    )

    assert change.outcome == presence_pb2.OUTCOME_APPLIED
    assert change.presence.status.id == "available"
    assert change.presence.status.name == "Available"
    assert change.presence.status.color == "#2E7D32"
    assert got.effective_status.id == "available"
    assert got.shift_id == change.presence.shift_id != ""
    assert got.revision == change.presence.revision > 0


async def test_status_chosen_during_a_call_waits_and_applies_at_hang_up(
    server: RunningServer,
) -> None:
    await make_agent(server, "ann")
    await set_status(server, "ann", "available")
    await server.presence.StartActivity(
        presence_pb2.StartActivityRequest(agent_id="ann", kind=CALL, external_id="c-1")
    )

    waiting = await set_status(server, "ann", "lunch")
    during = await server.presence.GetPresence(
        presence_pb2.GetPresenceRequest(agent_id="ann")
    )
    ended = await server.presence.EndActivity(
        presence_pb2.EndActivityRequest(agent_id="ann", external_id="c-1")
    )

    assert waiting.outcome == presence_pb2.OUTCOME_UPCOMING
    assert during.effective_status.id == "call"
    assert during.status.id == "available"
    assert during.upcoming_status.id == "lunch"
    assert [a.external_id for a in during.activities] == ["c-1"]
    assert ended.presence.status.id == ended.presence.effective_status.id == "lunch"
    assert not ended.presence.HasField("upcoming_status")


async def test_limit_used_up_is_resource_exhausted_with_quota_failure(
    server: RunningServer,
) -> None:
    await make_agent(server, "ann")
    for _ in range(3):
        await set_status(server, "ann", "break")
        await set_status(server, "ann", "available")

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await set_status(server, "ann", "break")

    assert refused.value.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
    assert refused.value.details() == "Break used 3 of 3 times this shift"
    found = details(refused.value)
    assert found["QuotaFailure"].violations[0].subject.endswith("status_type/break")
    assert found["ErrorInfo"].reason == "STATUS_LIMIT_REACHED"
    still = await server.presence.GetPresence(
        presence_pb2.GetPresenceRequest(agent_id="ann")
    )
    assert still.status.id == "available"


async def test_stale_expected_revision_is_aborted(server: RunningServer) -> None:
    await make_agent(server, "ann")
    first = await set_status(server, "ann", "available")
    await set_status(server, "ann", "idle")

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await set_status(
            server, "ann", "away", expected_revision=first.presence.revision
        )

    assert refused.value.code() == grpc.StatusCode.ABORTED
    assert "PreconditionFailure" in details(refused.value)


async def test_end_shift_during_a_call_is_failed_precondition(
    server: RunningServer,
) -> None:
    await make_agent(server, "ann")
    await set_status(server, "ann", "available")
    await server.presence.StartActivity(
        presence_pb2.StartActivityRequest(agent_id="ann", kind=CALL, external_id="c-1")
    )

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await server.presence.EndShift(presence_pb2.EndShiftRequest(agent_id="ann"))

    assert refused.value.code() == grpc.StatusCode.FAILED_PRECONDITION
    assert "during a call" in (refused.value.details() or "")


BAD_REQUESTS = [
    pytest.param(
        "SetStatus",
        presence_pb2.SetStatusRequest(status_type_id="available"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "agent_id",
        id="set-status-without-agent",
    ),
    pytest.param(
        "SetStatus",
        presence_pb2.SetStatusRequest(agent_id="ann"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "status_type_id",
        id="set-status-without-status",
    ),
    pytest.param(
        "SetStatus",
        presence_pb2.SetStatusRequest(agent_id="ann", status_type_id="call"),
        grpc.StatusCode.FAILED_PRECONDITION,
        "",
        id="set-status-to-a-system-type",
    ),
    pytest.param(
        "SetStatus",
        presence_pb2.SetStatusRequest(agent_id="ghost", status_type_id="available"),
        grpc.StatusCode.NOT_FOUND,
        "",
        id="set-status-of-unknown-agent",
    ),
    pytest.param(
        "SetStatus",
        presence_pb2.SetStatusRequest(agent_id="ann", status_type_id="nope"),
        grpc.StatusCode.NOT_FOUND,
        "",
        id="set-status-to-unknown-type",
    ),
    pytest.param(
        "SetStatus",
        presence_pb2.SetStatusRequest(
            agent_id="ann", status_type_id="available", request_id="x" * 129
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "request_id",
        id="request-id-too-long",
    ),
    pytest.param(
        "StartActivity",
        presence_pb2.StartActivityRequest(agent_id="ann", external_id="c"),
        grpc.StatusCode.INVALID_ARGUMENT,
        "kind",
        id="activity-without-kind",
    ),
    pytest.param(
        "StartActivity",
        presence_pb2.StartActivityRequest(agent_id="ann", kind=CALL),
        grpc.StatusCode.INVALID_ARGUMENT,
        "external_id",
        id="activity-without-id",
    ),
    pytest.param(
        "OpenSession",
        presence_pb2.OpenSessionRequest(agent_id="ann", ttl_seconds=1),
        grpc.StatusCode.INVALID_ARGUMENT,
        "ttl_seconds",
        id="lease-too-short",
    ),
    pytest.param(
        "KeepAlive",
        presence_pb2.KeepAliveRequest(session_id="ann:nope"),
        grpc.StatusCode.NOT_FOUND,
        "",
        id="keep-alive-of-unknown-session",
    ),
    pytest.param(
        "ListPresence",
        presence_pb2.ListPresenceRequest(
            filter=presence_pb2.PresenceFilter(kinds=[99])
        ),
        grpc.StatusCode.INVALID_ARGUMENT,
        "filter.kinds",
        id="filter-with-unknown-kind",
    ),
]


@pytest.mark.parametrize(("method", "request_message", "code", "field"), BAD_REQUESTS)
async def test_bad_requests_are_refused_and_change_nothing(
    server: RunningServer,
    method: str,
    request_message: Any,
    code: grpc.StatusCode,
    field: str,
) -> None:
    await make_agent(server, "ann")
    await set_status(server, "ann", "available")
    before = await server.presence.ListPresence(presence_pb2.ListPresenceRequest())

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await getattr(server.presence, method)(request_message)

    assert refused.value.code() == code
    if field:
        violations = details(refused.value)["BadRequest"].field_violations
        assert [v.field for v in violations] == [field]
    after = await server.presence.ListPresence(presence_pb2.ListPresenceRequest())
    assert after == before


async def test_list_presence_filters(server: RunningServer) -> None:
    await make_agent(server, "ann", team="north")
    await make_agent(server, "bob", team="south")
    await make_agent(server, "cat", team="north")
    await set_status(server, "ann", "available")
    await set_status(server, "bob", "available")
    await set_status(server, "cat", "break")

    async def ids(**filter_fields: Any) -> list[str]:
        reply = await server.presence.ListPresence(
            presence_pb2.ListPresenceRequest(
                filter=presence_pb2.PresenceFilter(**filter_fields)
            )
        )
        return [p.agent_id for p in reply.presences]

    assert await ids() == ["ann", "bob", "cat"]
    assert await ids(teams=["north"]) == ["ann", "cat"]
    assert await ids(status_type_ids=["break"]) == ["cat"]
    assert await ids(kinds=[common_pb2.STATUS_KIND_AVAILABLE]) == ["ann", "bob"]
    assert await ids(agent_ids=["bob", "cat"], in_activity=False) == ["bob", "cat"]


async def test_connect_stream_pushes_changes_and_its_loss_starts_the_grace(
    server: RunningServer,
) -> None:
    await make_agent(server, "ann")
    stream = server.presence.Connect(
        presence_pb2.ConnectRequest(
            agent_id="ann",
            client=presence_pb2.CLIENT_KIND_DESKTOP,
            client_name="test desktop",
        )
    )
    first = await stream.read()
    assert first.session_id.startswith("ann:")
    assert first.presence.connection == presence_pb2.CONNECTION_STATE_CONNECTED

    await set_status(server, "ann", "available")
    pushed = await stream.read()
    assert pushed.presence.status.id == "available"

    stream.cancel()
    engine = server.server._engine
    assert engine is not None

    async def in_grace() -> bool:
        presence = await engine.get("ann")
        return presence.connection.value == "GRACE"

    await poll_until(in_grace, what="the stream's loss to be recorded")
    lost_at = server.clock.now()
    await server.clock.advance(timedelta(seconds=30))
    await engine.fire_due()

    final = await server.presence.GetPresence(
        presence_pb2.GetPresenceRequest(agent_id="ann")
    )
    assert final.status.id == "offline"
    assert final.since.ToDatetime().replace(tzinfo=lost_at.tzinfo) == lost_at
    assert final.connection == presence_pb2.CONNECTION_STATE_DISCONNECTED


async def test_a_dropped_connect_stream_leaves_no_task_behind(
    server: RunningServer,
) -> None:
    # A waiter left pending when the client goes away is destroyed later
    # with an ERROR in the server's log, once per disconnect.
    await make_agent(server, "ann")
    stream = server.presence.Connect(presence_pb2.ConnectRequest(agent_id="ann"))
    await stream.read()

    stream.cancel()
    engine = server.server._engine
    assert engine is not None

    async def in_grace() -> bool:
        presence = await engine.get("ann")
        return presence.connection.value == "GRACE"

    await poll_until(in_grace, what="the stream's loss to be recorded")
    waiting = [
        task
        for task in asyncio.all_tasks()
        if not task.done() and "Queue.get" in repr(task.get_coro())
    ]
    assert waiting == []


async def test_lease_session_keeps_the_agent_connected_until_it_expires(
    server: RunningServer,
) -> None:
    await make_agent(server, "ann")
    opened = await server.presence.OpenSession(
        presence_pb2.OpenSessionRequest(agent_id="ann", ttl_seconds=60)
    )
    await set_status(server, "ann", "available")
    engine = server.server._engine
    assert engine is not None

    await server.clock.advance(timedelta(seconds=50))
    kept = await server.presence.KeepAlive(
        presence_pb2.KeepAliveRequest(session_id=opened.session.session_id)
    )
    await server.clock.advance(timedelta(seconds=50))
    await engine.fire_due()
    assert (
        await server.presence.GetPresence(
            presence_pb2.GetPresenceRequest(agent_id="ann")
        )
    ).connection == presence_pb2.CONNECTION_STATE_CONNECTED

    await server.clock.advance(timedelta(seconds=40))
    await engine.fire_due()

    final = await server.presence.GetPresence(
        presence_pb2.GetPresenceRequest(agent_id="ann")
    )
    assert kept.expire_time.ToSeconds() > opened.session.expire_time.ToSeconds()
    assert final.status.id == "offline"
    with pytest.raises(grpc.aio.AioRpcError) as gone:
        await server.presence.KeepAlive(
            presence_pb2.KeepAliveRequest(session_id=opened.session.session_id)
        )
    assert gone.value.code() == grpc.StatusCode.NOT_FOUND


async def test_concurrent_retries_of_one_request_count_once(
    server: RunningServer,
) -> None:
    await make_agent(server, "ann")
    await set_status(server, "ann", "available")

    answers = await asyncio.gather(
        *(set_status(server, "ann", "lunch", request_id="same") for _ in range(5))
    )

    assert {a.presence.uses_this_shift for a in answers} == {1}
    assert {a.presence.revision for a in answers} == {answers[0].presence.revision}
    final = await server.presence.GetPresence(
        presence_pb2.GetPresenceRequest(agent_id="ann")
    )
    assert final.uses_this_shift == 1


async def test_a_request_id_reused_for_another_request_is_refused(
    server: RunningServer,
) -> None:
    await make_agent(server, "ann")
    await set_status(server, "ann", "available", request_id="req-1")

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await set_status(server, "ann", "meeting", request_id="req-1")

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    violations = details(refused.value)["BadRequest"].field_violations
    assert [v.field for v in violations] == ["request_id"]
    still = await server.presence.GetPresence(
        presence_pb2.GetPresenceRequest(agent_id="ann")
    )
    assert still.status.id == "available"


async def test_an_archived_agent_is_left_out_of_lists_but_shown_when_named(
    server: RunningServer,
) -> None:
    await make_agent(server, "ann")
    await make_agent(server, "bob")
    await set_status(server, "bob", "available")
    await server.agents.ArchiveAgent(agents_pb2.ArchiveAgentRequest(id="bob"))

    listed = await server.presence.ListPresence(presence_pb2.ListPresenceRequest())
    named = await server.presence.GetPresence(
        presence_pb2.GetPresenceRequest(agent_id="bob")
    )

    assert [p.agent_id for p in listed.presences] == ["ann"]
    assert named.status.id == "available"
