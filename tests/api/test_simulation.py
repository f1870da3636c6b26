"""The simulated clock: only on a server that asked for it, and only forward."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf import duration_pb2, timestamp_pb2
from grpc_reflection.v1alpha.proto_reflection_descriptor_database import (
    ProtoReflectionDescriptorDatabase,
)
from pydantic import ValidationError

from presence_server._proto.presence.v1 import (
    agents_pb2,
    agents_pb2_grpc,
    presence_pb2,
    presence_pb2_grpc,
    simulation_pb2,
    simulation_pb2_grpc,
)
from presence_server.api import SIMULATION_SERVICE_NAMES
from presence_server.app import PresenceServer, StartupError
from presence_server.settings import Settings
from tests.helpers.server import RunningServer, server_settings

BEGIN = datetime(1999, 2, 1, 4, 0, tzinfo=UTC)


def ts(instant: datetime) -> timestamp_pb2.Timestamp:
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(instant)
    return message


@pytest.fixture
async def simulated(
    sqlite_url: str, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> AsyncIterator[RunningServer]:
    """A server started with PRESENCE_CLOCK=simulated at ``BEGIN``."""
    caplog.set_level(logging.WARNING, logger="presence_server.app")
    # Not running_server(): its own `clock` argument takes a Clock object.
    settings = server_settings(
        sqlite_url, tmp_path / "data", clock="simulated", clock_start=BEGIN
    )
    server = PresenceServer(settings)
    await server.start()
    channel = grpc.aio.insecure_channel(server.address)
    try:
        yield RunningServer(
            server=server,
            channel=channel,
            status_types=None,
            agents=agents_pb2_grpc.AgentServiceStub(channel),
            presence=presence_pb2_grpc.PresenceServiceStub(channel),
            health=None,
        )
    finally:
        await channel.close()
        await server.stop(grace=0)


def clock_stub(server: RunningServer) -> simulation_pb2_grpc.SimulatedClockServiceStub:
    return simulation_pb2_grpc.SimulatedClockServiceStub(server.channel)


def _services(address: str) -> list[str]:
    with grpc.insecure_channel(address) as channel:
        return sorted(ProtoReflectionDescriptorDatabase(channel).get_services())


async def test_a_normal_server_has_no_clock_service(
    sqlite_server: RunningServer,
) -> None:
    stub = clock_stub(sqlite_server)

    with pytest.raises(grpc.aio.AioRpcError) as read:
        await stub.GetClock(simulation_pb2.GetClockRequest())
    with pytest.raises(grpc.aio.AioRpcError) as moved:
        await stub.AdvanceClock(
            simulation_pb2.AdvanceClockRequest(by=duration_pb2.Duration(seconds=60))
        )
    services = await asyncio.to_thread(_services, sqlite_server.address)

    assert read.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert moved.value.code() is grpc.StatusCode.UNIMPLEMENTED
    assert not set(SIMULATION_SERVICE_NAMES) & set(services)


async def test_a_simulated_server_says_so_loudly_and_offers_the_clock(
    simulated: RunningServer, caplog: pytest.LogCaptureFixture
) -> None:
    clock = await clock_stub(simulated).GetClock(simulation_pb2.GetClockRequest())
    services = await asyncio.to_thread(_services, simulated.address)

    assert clock.now.ToDatetime(tzinfo=UTC) == BEGIN
    assert set(SIMULATION_SERVICE_NAMES) <= set(services)
    # The server started while the fixture was set up.
    started = caplog.get_records("setup")
    warnings = [r for r in started if r.levelno == logging.WARNING]
    assert any("SIMULATED CLOCK" in r.getMessage() for r in warnings)


async def test_the_clock_moves_forward_to_an_instant_or_by_a_duration(
    simulated: RunningServer,
) -> None:
    stub = clock_stub(simulated)

    first = await stub.AdvanceClock(
        simulation_pb2.AdvanceClockRequest(to=ts(BEGIN + timedelta(hours=3)))
    )
    second = await stub.AdvanceClock(
        simulation_pb2.AdvanceClockRequest(by=duration_pb2.Duration(seconds=90))
    )
    same = await stub.AdvanceClock(simulation_pb2.AdvanceClockRequest(to=second.now))

    assert first.now.ToDatetime(tzinfo=UTC) == BEGIN + timedelta(hours=3)
    assert second.now.ToDatetime(tzinfo=UTC) == BEGIN + timedelta(hours=3, seconds=90)
    assert same.now == second.now
    assert simulated.server.clock.now() == BEGIN + timedelta(hours=3, seconds=90)


async def test_the_clock_never_goes_back(simulated: RunningServer) -> None:
    stub = clock_stub(simulated)
    await stub.AdvanceClock(simulation_pb2.AdvanceClockRequest(to=ts(BEGIN)))

    with pytest.raises(grpc.aio.AioRpcError) as back:
        await stub.AdvanceClock(
            simulation_pb2.AdvanceClockRequest(to=ts(BEGIN - timedelta(seconds=1)))
        )
    with pytest.raises(grpc.aio.AioRpcError) as negative:
        await stub.AdvanceClock(
            simulation_pb2.AdvanceClockRequest(by=duration_pb2.Duration(seconds=-1))
        )
    with pytest.raises(grpc.aio.AioRpcError) as nothing:
        await stub.AdvanceClock(simulation_pb2.AdvanceClockRequest())

    assert back.value.code() is grpc.StatusCode.FAILED_PRECONDITION
    assert "cannot go back" in (back.value.details() or "")
    assert negative.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert nothing.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert simulated.server.clock.now() == BEGIN


async def test_timers_due_on_the_way_have_fired_at_their_instant_when_advance_answers(
    simulated: RunningServer,
) -> None:
    await simulated.agents.CreateAgent(
        agents_pb2.CreateAgentRequest(
            agent=agents_pb2.Agent(id="ann", display_name="Ann")
        )
    )
    presence = simulated.presence
    await presence.SetStatus(
        presence_pb2.SetStatusRequest(agent_id="ann", status_type_id="break")
    )

    # Break allows 15 minutes; the clock jumps well past that in one call.
    await clock_stub(simulated).AdvanceClock(
        simulation_pb2.AdvanceClockRequest(to=ts(BEGIN + timedelta(hours=1)))
    )
    ann = await presence.GetPresence(presence_pb2.GetPresenceRequest(agent_id="ann"))

    assert ann.HasField("overage_since")
    assert ann.overage_since.ToDatetime(tzinfo=UTC) == BEGIN + timedelta(minutes=15)
    assert ann.as_of.ToDatetime(tzinfo=UTC) == BEGIN + timedelta(hours=1)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        pytest.param(
            {"clock": "simulated"}, "needs PRESENCE_CLOCK_START", id="no-start"
        ),
        pytest.param(
            {"clock_start": "1999-02-01T06:00:00+02:00"},
            "only used with PRESENCE_CLOCK=simulated",
            id="start-without-simulated",
        ),
        pytest.param(
            {"clock": "simulated", "clock_start": "1999-02-01T06:00:00"},
            "needs a UTC offset",
            id="naive-start",
        ),
        pytest.param({"clock": "fake"}, "'system' or 'simulated'", id="unknown"),
    ],
)
def test_the_simulated_clock_must_be_asked_for_explicitly(
    values: dict[str, str], message: str, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError, match=message):
        Settings(data_dir=tmp_path, **values)  # type: ignore[arg-type]


def test_the_system_clock_is_the_default(tmp_path: Path) -> None:
    settings = Settings(data_dir=tmp_path)

    assert (settings.clock, settings.clock_start) == ("system", None)


async def test_a_simulated_clock_cannot_restart_before_the_stored_history(
    simulated: RunningServer, sqlite_url: str, tmp_path: Path
) -> None:
    # Arrange: history up to BEGIN + 2 h on the simulated server, then stop.
    await simulated.agents.CreateAgent(
        agents_pb2.CreateAgentRequest(
            agent=agents_pb2.Agent(id="dee", display_name="Dee")
        )
    )
    await clock_stub(simulated).AdvanceClock(
        simulation_pb2.AdvanceClockRequest(by=duration_pb2.Duration(seconds=7200))
    )
    await simulated.presence.SetStatus(
        presence_pb2.SetStatusRequest(agent_id="dee", status_type_id="available")
    )
    await simulated.server.stop(grace=0)

    def restarted_at(start: datetime) -> PresenceServer:
        return PresenceServer(
            server_settings(
                sqlite_url, tmp_path / "data", clock="simulated", clock_start=start
            )
        )

    # Act and assert: one hour back is refused, naming what to change...
    earlier = restarted_at(BEGIN + timedelta(hours=1))
    with pytest.raises(StartupError) as refused:
        await earlier.start()
    assert "PRESENCE_CLOCK_START" in str(refused.value)
    assert (BEGIN + timedelta(hours=2)).isoformat() in str(refused.value)

    # ...and nothing was written: the same instant as the history still starts.
    again = restarted_at(BEGIN + timedelta(hours=2))
    await again.start()
    try:
        presence = await again.engine.get("dee")
        assert presence.revision > 0
    finally:
        await again.stop(grace=0)


async def test_advancing_past_the_year_9000_is_refused_and_moves_nothing(
    simulated: RunningServer,
) -> None:
    stub = clock_stub(simulated)
    far = datetime(9999, 12, 31, 23, tzinfo=UTC)

    with pytest.raises(grpc.aio.AioRpcError) as refused:
        await stub.AdvanceClock(simulation_pb2.AdvanceClockRequest(to=ts(far)))

    assert refused.value.code() == grpc.StatusCode.INVALID_ARGUMENT
    assert "9000-01-01" in str(refused.value.details())
    clock = await stub.GetClock(simulation_pb2.GetClockRequest())
    assert clock.now.ToDatetime(tzinfo=UTC) == BEGIN
