"""SubscribePresence over real gRPC streams, on SQLite and PostgreSQL.

Each test runs its own server on a ``ManualClock``. Streams are read in the
background (``conftest.Stream``); the tests wait for what they expect with a
deadline and never sleep.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from datetime import timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf import field_mask_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from presence_server._proto.presence.v1 import (
    agents_pb2,
    common_pb2,
    presence_pb2,
    status_types_pb2,
)
from presence_server.engine.clock import ManualClock
from tests.helpers.server import RunningServer, running_server
from tests.streaming.conftest import (
    AGENT_CHANGED,
    TYPE_CHANGED,
    Stream,
    last_revision,
    make_agents,
    marker,
    set_status,
    stream_count,
    subscribe,
)

pytestmark = pytest.mark.timeout(120)


def error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(error)
    assert status is not None
    for packed in status.details:
        if packed.Is(error_details_pb2.ErrorInfo.DESCRIPTOR):
            info = error_details_pb2.ErrorInfo()
            packed.Unpack(info)
            return info
    raise AssertionError("no ErrorInfo in the status")


async def database_view(
    server: RunningServer, **filter_fields: object
) -> dict[str, tuple[str, int]]:
    """Each listed agent's effective status and revision, from ListPresence."""
    reply = await server.presence.ListPresence(
        presence_pb2.ListPresenceRequest(
            filter=presence_pb2.PresenceFilter(**filter_fields)  # type: ignore[arg-type]
        )
    )
    return {p.agent_id: (p.effective_status.id, p.revision) for p in reply.presences}


def stream_view(stream: Stream) -> dict[str, tuple[str, int]]:
    return {a: (p.effective_status.id, p.revision) for a, p in stream.view.items()}


def consecutive(revisions: list[int]) -> bool:
    return revisions == list(range(revisions[0], revisions[0] + len(revisions)))


async def test_snapshot_then_every_change_in_revision_order(
    server: RunningServer,
) -> None:
    await make_agents(server, ["ann", "bob", "cat"])
    await set_status(server, "ann", "available")

    stream = subscribe(server, include_snapshot=True)
    await stream.wait(lambda: stream.snapshot_done, "the snapshot")
    snapshot_revision = stream.revision
    for agent, status in [("bob", "break"), ("ann", "lunch"), ("cat", "available")]:
        await set_status(server, agent, status)
    final = await last_revision(server)
    await stream.reaches(final)

    first = stream.messages[0]
    assert sorted(p.agent_id for p in first.snapshot) == ["ann", "bob", "cat"]
    assert first.snapshot_end
    assert not first.resync
    assert snapshot_revision == first.revision > 0
    assert stream.revisions[0] == snapshot_revision + 1
    assert consecutive(stream.revisions)
    assert stream.revisions[-1] == final
    assert stream_view(stream) == await database_view(server)
    await stream.close()


async def test_an_event_carries_both_presences_reason_actor_source_and_time(
    server: RunningServer, clock: ManualClock
) -> None:
    await make_agents(server, ["ann"])
    await set_status(server, "ann", "available")
    stream = subscribe(server)
    await stream.started()

    await server.presence.SetStatus(
        presence_pb2.SetStatusRequest(
            agent_id="ann", status_type_id="break", reason="coffee"
        )
    )
    await stream.reaches(await last_revision(server))

    event = stream.events[-1]
    assert event.type == presence_pb2.EVENT_TYPE_STATUS_CHANGED
    assert (event.agent_id, event.actor, event.reason) == ("ann", "ann", "coffee")
    assert event.source == presence_pb2.SOURCE_AGENT
    assert event.previous.effective_status.id == "available"
    assert event.current.effective_status.id == "break"
    assert event.current.revision == event.revision
    assert event.time.ToDatetime(tzinfo=clock.now().tzinfo) == clock.now()
    await stream.close()


async def test_a_no_op_set_status_publishes_nothing(server: RunningServer) -> None:
    await make_agents(server, ["ann", "bob"])
    await set_status(server, "ann", "available")
    stream = subscribe(server)
    await stream.started()
    before = await last_revision(server)

    repeat = await set_status(server, "ann", "available")
    after_repeat = await last_revision(server)
    await set_status(server, "bob", "break")
    await stream.reaches(await last_revision(server))

    assert repeat.outcome == presence_pb2.OUTCOME_UNCHANGED
    assert after_repeat == before
    assert {e.agent_id for e in stream.events if e.revision > before} == {"bob"}
    await stream.close()


async def test_subscribing_is_not_a_client_session(server: RunningServer) -> None:
    await make_agents(server, ["ann"])
    stream = subscribe(server, include_snapshot=True, filter={"agent_ids": ["ann"]})
    await stream.wait(lambda: stream.snapshot_done, "the snapshot")

    presence = await server.presence.GetPresence(
        presence_pb2.GetPresenceRequest(agent_id="ann")
    )
    await stream.close()

    assert presence.connection == presence_pb2.CONNECTION_STATE_DISCONNECTED
    assert [p.agent_id for p in stream.messages[0].snapshot] == ["ann"]


async def test_a_status_type_rename_and_recolor_arrive_on_the_stream(
    server: RunningServer,
) -> None:
    stream = subscribe(server)
    await stream.started()

    await server.status_types.UpdateStatusType(
        status_types_pb2.UpdateStatusTypeRequest(
            status_type=status_types_pb2.StatusType(
                id="break", name="Pause", color="#112233"
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["name", "color"]),
        )
    )
    await server.status_types.ArchiveStatusType(
        status_types_pb2.ArchiveStatusTypeRequest(id="meeting")
    )
    await stream.reaches(await last_revision(server))

    rename, archive = stream.events
    assert (rename.type, archive.type) == (TYPE_CHANGED, TYPE_CHANGED)
    assert rename.status_type.id == "break"
    assert (rename.status_type.name, rename.status_type.color) == ("Pause", "#112233")
    assert (archive.status_type.id, archive.status_type.archived) == ("meeting", True)
    assert archive.revision == rename.revision + 1
    await stream.close()


async def test_an_agent_moving_team_leaves_a_team_filtered_view(
    server: RunningServer,
) -> None:
    await make_agents(server, ["ann", "bob"])
    stream = subscribe(
        server,
        include_snapshot=True,
        filter={"teams": ["north"]},
        keep=lambda p: p.team == "north",
    )
    await stream.wait(lambda: stream.snapshot_done, "the snapshot")

    await server.agents.UpdateAgent(
        agents_pb2.UpdateAgentRequest(
            agent=agents_pb2.Agent(id="ann", team="south"),
            update_mask=field_mask_pb2.FieldMask(paths=["team"]),
        )
    )
    await stream.reaches(await last_revision(server))

    [moved] = stream.events
    assert moved.type == AGENT_CHANGED
    assert (moved.previous.team, moved.current.team) == ("north", "south")
    assert set(stream.view) == {"bob"}
    await stream.close()


Keep = Callable[[presence_pb2.AgentStatus], bool]

# filter, the client's own test of a presence, agents before and after.
FILTERS: dict[str, tuple[dict[str, object], Keep, set[str], set[str]]] = {
    "team": (
        {"teams": ["north"]},
        lambda p: p.team == "north",
        {"ann", "bob"},
        {"ann", "bob"},
    ),
    "status-type": (
        {"status_type_ids": ["break"]},
        lambda p: p.effective_status.id == "break",
        {"bob"},
        set(),
    ),
    "kind": (
        {"kinds": [common_pb2.STATUS_KIND_AVAILABLE]},
        lambda p: p.effective_status.kind == common_pb2.STATUS_KIND_AVAILABLE,
        {"ann", "cat"},
        {"ann", "bob", "cat"},
    ),
    "routable": (
        {"routable_only": True},
        lambda p: p.routable,
        {"ann", "cat"},
        {"ann", "cat"},
    ),
    "in-activity": (
        {"in_activity": True},
        lambda p: len(p.activities) > 0,
        {"dan"},
        {"dan"},
    ),
}


async def test_filters_apply_to_the_snapshot_and_to_events(
    server: RunningServer,
) -> None:
    await make_agents(server, ["ann", "bob"], team="north")
    await make_agents(server, ["cat", "dan"], team="south")
    for agent in ("ann", "cat"):
        await server.presence.OpenSession(
            presence_pb2.OpenSessionRequest(agent_id=agent, ttl_seconds=60)
        )
    for agent, status in [("ann", "available"), ("bob", "break"), ("cat", "available")]:
        await set_status(server, agent, status)
    await server.presence.StartActivity(
        presence_pb2.StartActivityRequest(
            agent_id="dan", kind=common_pb2.ACTIVITY_KIND_CALL, external_id="c1"
        )
    )
    streams = {
        name: subscribe(
            server,
            include_snapshot=True,
            filter=presence_pb2.PresenceFilter(**fields),  # type: ignore[arg-type]
            keep=keep,
        )
        for name, (fields, keep, _, _) in FILTERS.items()
    }
    for stream in streams.values():
        await stream.wait(lambda s=stream: s.snapshot_done, "the snapshot")

    await set_status(server, "bob", "available")
    done = await marker(server)

    for name, (fields, _, first, last) in FILTERS.items():
        stream = streams[name]
        await stream.reaches(done)
        expected = await database_view(server, **fields)
        assert {p.agent_id for p in stream.messages[0].snapshot} == first, name
        assert set(expected) == last, name
        assert stream_view(stream) == expected, name
        assert {e.agent_id for e in stream.events if e.agent_id} <= {"bob"}, name
        await stream.close()


async def test_resuming_after_a_dropped_stream_gets_exactly_the_missed_events(
    server: RunningServer,
) -> None:
    await make_agents(server, ["ann", "bob"])
    first = subscribe(server)
    await first.started()
    await set_status(server, "ann", "available")
    await first.reaches(await last_revision(server))
    resume_from = first.revision
    await first.close()

    for agent, status in [("bob", "break"), ("ann", "lunch"), ("bob", "available")]:
        await set_status(server, agent, status)
    missed_until = await last_revision(server)
    second = subscribe(server, from_revision=resume_from, include_snapshot=True)
    await second.reaches(missed_until)
    await set_status(server, "ann", "available")
    await second.reaches(await last_revision(server))

    assert second.messages[0].heartbeat
    assert second.messages[0].revision == resume_from
    assert not any(m.snapshot or m.snapshot_end for m in second.messages)
    assert second.revisions == list(range(resume_from + 1, missed_until + 2))
    await second.close()


async def test_a_revision_no_longer_retained_gets_a_resync_snapshot(
    database_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with running_server(
        database_url, tmp_path / "data", clock=clock, event_retention=2
    ) as server:
        await make_agents(server, ["ann", "bob"])
        for agent, status in [("ann", "available"), ("bob", "break")]:
            await set_status(server, agent, status)
        assert await server.server.streams.prune() > 0

        old = subscribe(server, from_revision=1)
        ahead = subscribe(server, from_revision=10**9)
        for stream in (old, ahead):
            await stream.wait(lambda s=stream: s.snapshot_done, "the snapshot")

            end = stream.messages[-1]
            assert all(m.resync for m in stream.messages)
            assert end.snapshot_end
            assert end.revision == await last_revision(server)
            assert stream_view(stream) == await database_view(server)
            await stream.close()


async def test_a_quiet_stream_gets_heartbeats(
    server: RunningServer, clock: ManualClock
) -> None:
    stream = subscribe(server)
    await stream.started()
    start = stream.messages[0]

    await clock.advance(timedelta(seconds=15))
    await stream.wait(lambda: len(stream.messages) == 2, "a heartbeat")
    await clock.advance(timedelta(seconds=15))
    await stream.wait(lambda: len(stream.messages) == 3, "another heartbeat")

    assert start.heartbeat
    assert start.revision == await last_revision(server)
    assert all(m.heartbeat and m.revision == start.revision for m in stream.messages)
    await stream.close()


async def test_events_committed_by_another_instance_arrive(
    database_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    # SQLite: the feed polls. PostgreSQL: NOTIFY wakes it, so no polling.
    poll_ms = 60_000 if database_url.startswith("postgresql") else 100
    async with (
        running_server(
            database_url, tmp_path / "a", clock=clock, feed_poll_ms=poll_ms
        ) as watched,
        running_server(database_url, tmp_path / "b", clock=clock) as other,
    ):
        await make_agents(other, ["ann"])
        stream = subscribe(watched, include_snapshot=True)
        await stream.wait(lambda: stream.snapshot_done, "the snapshot")

        await set_status(other, "ann", "break")
        await stream.reaches(await last_revision(other))

        assert stream.view["ann"].effective_status.id == "break"
        await stream.close()


async def test_graceful_shutdown_ends_every_stream_with_a_resume_revision(
    database_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with running_server(
        database_url, tmp_path / "data", clock=clock, grace_seconds=30
    ) as server:
        await make_agents(server, ["ann"])
        streams = [
            subscribe(server),
            subscribe(server, include_snapshot=True),
            subscribe(server, filter={"teams": ["nobody"]}),
        ]
        for stream in streams:
            await stream.started()
        revision = await last_revision(server)

        began = time.monotonic()
        await server.server.stop()
        took = time.monotonic() - began

    assert took < 10, "shutdown waited out the grace time on open streams"
    for stream in streams:
        error = await stream.ends()
        assert error.code() == grpc.StatusCode.UNAVAILABLE
        assert error_info(error).metadata["resume_revision"] == str(revision)


async def test_a_negative_from_revision_is_refused(server: RunningServer) -> None:
    stream = subscribe(server, from_revision=-1)

    error = await stream.ends()

    assert error.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert stream_count(server) == 0
