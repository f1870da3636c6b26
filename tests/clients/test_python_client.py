"""``presence_client.PresenceClient`` against a real in-process server.

Presence calls, admin calls and the typed errors each failure becomes.
"""

from __future__ import annotations

import grpc
import pytest
from presence_client import (
    EtagMismatchError,
    InvalidArgumentError,
    NotFoundError,
    PreconditionFailedError,
    PresenceClient,
    QuotaExceededError,
    StaleRevisionError,
    UnavailableError,
)
from presence_client.messages import (
    ActivityKind,
    Agent,
    ConnectionState,
    Outcome,
    StatusKind,
    StatusType,
)

from tests.clients.conftest import QUICK_RETRY, create_agent
from tests.helpers.server import RunningServer


async def test_set_status_applies_at_once_without_an_activity(
    client: PresenceClient, agent: str
) -> None:
    change = await client.set_status(agent, "available", reason="starting")

    assert change.outcome == Outcome.OUTCOME_APPLIED
    assert change.presence.status.id == "available"
    assert change.presence.effective_status.kind == StatusKind.STATUS_KIND_AVAILABLE
    assert change.presence.shift_id != ""
    assert (await client.get_presence(agent)).revision == change.presence.revision


async def test_status_chosen_during_a_call_waits_as_upcoming_until_it_ends(
    client: PresenceClient, agent: str
) -> None:
    await client.set_status(agent, "available")
    await client.start_activity(agent, ActivityKind.ACTIVITY_KIND_CALL, "call-1")

    waiting = await client.set_status(agent, "lunch")
    during = await client.get_presence(agent)
    ended = await client.end_activity(agent, "call-1")

    assert waiting.outcome == Outcome.OUTCOME_UPCOMING
    assert during.HasField("upcoming_status")
    assert during.upcoming_status.id == "lunch"
    assert during.status.id == "available"
    assert during.effective_status.kind == StatusKind.STATUS_KIND_SYSTEM
    assert [a.external_id for a in during.activities] == ["call-1"]
    assert ended.presence.status.id == "lunch"
    assert not ended.presence.HasField("upcoming_status")


async def test_cancel_upcoming_status_drops_the_waiting_status(
    client: PresenceClient, agent: str
) -> None:
    await client.set_status(agent, "available")
    await client.start_activity(agent, ActivityKind.ACTIVITY_KIND_CHAT, "chat-1")
    await client.set_status(agent, "break")

    cancelled = await client.cancel_upcoming_status(agent)
    ended = await client.end_activity(agent, "chat-1")

    assert cancelled.outcome == Outcome.OUTCOME_UPCOMING_CLEARED
    assert ended.presence.status.id == "available"


async def test_list_presence_filters_by_team_and_routable(
    client: PresenceClient,
) -> None:
    ready = await create_agent(client, team="green")
    paused = await create_agent(client, team="green")
    await create_agent(client, team="other")
    async with client.session(ready):
        await client.set_status(ready, "available")
        await client.set_status(paused, "break")

        team = await client.list_presence(teams=["green"])
        routable = await client.list_presence(teams=["green"], routable_only=True)

    assert [p.agent_id for p in team] == sorted([ready, paused])
    assert [p.agent_id for p in routable] == [ready]


async def test_limit_reached_is_a_quota_error_with_used_and_limit(
    client: PresenceClient, agent: str
) -> None:
    await client.status_types.create(
        StatusType(
            name="Coffee",
            color="#6D4C41",
            kind=StatusKind.STATUS_KIND_UNAVAILABLE,
            limit_per_shift=1,
        ),
        status_type_id="coffee",
    )
    await client.set_status(agent, "available")
    await client.set_status(agent, "coffee")
    await client.set_status(agent, "available")

    with pytest.raises(QuotaExceededError) as caught:
        await client.set_status(agent, "coffee")

    error = caught.value
    assert error.code is grpc.StatusCode.RESOURCE_EXHAUSTED
    assert error.reason == "STATUS_LIMIT_REACHED"
    assert (error.used, error.limit, error.status_type_id) == (1, 1, "coffee")
    assert error.message == "Coffee used 1 of 1 time this shift"
    assert [v.subject for v in error.quota_violations] == [
        f"agent/{agent}/status_type/coffee"
    ]


async def test_stale_expected_revision_is_a_stale_revision_error(
    client: PresenceClient, agent: str
) -> None:
    first = await client.set_status(agent, "available")
    await client.set_status(agent, "break")

    with pytest.raises(StaleRevisionError) as caught:
        await client.set_status(
            agent, "lunch", expected_revision=first.presence.revision
        )

    assert caught.value.code is grpc.StatusCode.ABORTED
    assert caught.value.current_revision == first.presence.revision + 1
    assert [v.type for v in caught.value.violations] == ["REVISION"]


async def test_unknown_agent_is_not_found_with_the_resource(
    client: PresenceClient,
) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.get_presence("nobody")

    assert caught.value.reason == "AGENT_NOT_FOUND"
    assert caught.value.resource is not None
    assert (caught.value.resource.type, caught.value.resource.name) == (
        "agent",
        "nobody",
    )


async def test_bad_request_is_invalid_argument_with_field_violations(
    client: PresenceClient, agent: str
) -> None:
    with pytest.raises(InvalidArgumentError) as caught:
        await client.set_status(agent, "")

    assert [v.field for v in caught.value.field_violations] == ["status_type_id"]


async def test_ending_a_shift_during_a_call_is_a_precondition_failure(
    client: PresenceClient, agent: str
) -> None:
    await client.set_status(agent, "available")
    await client.start_activity(agent, ActivityKind.ACTIVITY_KIND_CALL, "call-9")

    with pytest.raises(PreconditionFailedError) as caught:
        await client.end_shift(agent, request_id="end-shift-1")

    assert caught.value.reason == "SHIFT_END_DURING_ACTIVITY"
    assert [v.type for v in caught.value.violations] == ["ACTIVITY"]
    # The request id doubles as the id of the call in the server's log.
    assert caught.value.request_id == "end-shift-1"


async def test_update_with_an_old_etag_is_an_etag_mismatch(
    client: PresenceClient, agent: str
) -> None:
    before = await client.agents.get(agent)
    after = await client.agents.update(
        Agent(id=agent, team="red", etag=before.etag), ["team"]
    )

    with pytest.raises(EtagMismatchError) as caught:
        await client.agents.update(
            Agent(id=agent, team="gold", etag=before.etag), ["team"]
        )

    assert caught.value.current_etag == after.etag
    assert (await client.agents.get(agent)).team == "red"


async def test_admin_calls_round_trip_status_types_and_agents(
    client: PresenceClient,
) -> None:
    created = await client.status_types.create(
        StatusType(name="Training", color="#00897B", kind=2), status_type_id="training"
    )
    renamed = await client.status_types.update(
        StatusType(id="training", name="Coaching"), ["name"]
    )
    await client.status_types.archive("training")
    listed = [t.id for t in await client.status_types.list()]
    everything = [t.id for t in await client.status_types.list(include_archived=True)]
    await client.status_types.delete("training")
    agent = await create_agent(client, team="admins")
    agents = await client.agents.list(team="admins")

    assert created.kind == StatusKind.STATUS_KIND_UNAVAILABLE
    assert renamed.name == "Coaching"
    assert "training" not in listed
    assert "training" in everything
    assert [a.id for a in agents] == [agent]
    with pytest.raises(NotFoundError):
        await client.status_types.get("training")


async def test_lease_session_marks_the_agent_connected_until_closed(
    client: PresenceClient, agent: str
) -> None:
    opened = await client.open_session(agent, client_name="web backend")
    kept = await client.keep_alive(opened.session.session_id)
    closed = await client.close_session(opened.session.session_id)

    assert opened.presence.connection == ConnectionState.CONNECTION_STATE_CONNECTED
    assert kept.session_id == opened.session.session_id
    assert closed.connection != ConnectionState.CONNECTION_STATE_CONNECTED


async def test_unreachable_server_is_unavailable_after_the_retries(
    free_address: str, caplog: pytest.LogCaptureFixture
) -> None:
    async with PresenceClient(free_address, retry=QUICK_RETRY) as client:
        with pytest.raises(UnavailableError) as caught:
            await client.set_status("alice", "available")

    assert caught.value.status is None
    retries = [r for r in caplog.records if "retrying" in r.getMessage()]
    assert len(retries) == QUICK_RETRY.attempts - 1


async def test_typed_error_keeps_the_rpc_error_without_chaining_it(
    client: PresenceClient,
) -> None:
    with pytest.raises(NotFoundError) as caught:
        await client.get_presence("nobody-at-all")

    assert isinstance(caught.value.rpc_error, grpc.aio.AioRpcError)
    assert caught.value.rpc_error.code() == grpc.StatusCode.NOT_FOUND
    assert caught.value.__cause__ is None
    assert caught.value.__suppress_context__


async def test_calls_after_close_reopen_the_channel(
    server: RunningServer, agent: str
) -> None:
    client = PresenceClient(server.address)
    await client.set_status(agent, "available")
    await client.close()

    presence = await client.get_presence(agent)
    await client.close()

    assert presence.status.id == "available"
