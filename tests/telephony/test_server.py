"""Telephony in a real server: settings and entry points, gRPC, health, and a
SIGTERM while the PBX is slow.

The adapters are enabled the way an operator does it (``PRESENCE_TELEPHONY_
ADAPTERS`` and ``PRESENCE_TELEPHONY_ASTERISK_*``), against the fake Asterisk.
"""

from __future__ import annotations

import asyncio
import signal
import time
from pathlib import Path
from typing import Any

import grpc
import pytest
from grpc_health.v1 import health_pb2

from presence_server._proto.presence.v1 import (
    agents_pb2,
    agents_pb2_grpc,
    presence_pb2,
    presence_pb2_grpc,
    telephony_pb2,
    telephony_pb2_grpc,
)
from presence_server.engine.clock import SystemClock
from tests.helpers.server import ServerProcess, poll_until, running_server
from tests.telephony.fake_3cx import Fake3cx
from tests.telephony.fake_ami import FakeAsterisk, Member

INTERFACE = "Local/1001@agents/n"
HEALTH = "presence.telephony.asterisk"
HEALTH_3CX = "presence.telephony.3cx"
# ServerProcess sets PRESENCE_GRACE_SECONDS to 1. The margin covers what
# follows the grace on a loaded 2-core machine: stopping the adapter (prompt
# by contract), the engine and the database, and the interpreter's exit.
# Measured well under 0.5 s idle; 1.5 s leaves room for load while still
# failing a server that waits for the held PBX call (60 s here).
GRACE_SECONDS = 1.0
EXIT_WITHIN = GRACE_SECONDS + 1.5
SECRET_3CX = "3cx-s3cret-value"


def asterisk_env(fake: FakeAsterisk) -> dict[str, str]:
    return {
        "PRESENCE_TELEPHONY_ASTERISK_HOST": fake.host,
        "PRESENCE_TELEPHONY_ASTERISK_PORT": str(fake.port),
        "PRESENCE_TELEPHONY_ASTERISK_USERNAME": "presence",
        "PRESENCE_TELEPHONY_ASTERISK_SECRET": "presence-secret",
        "PRESENCE_TELEPHONY_ASTERISK_MEMBER_INTERFACE": "Local/{ext}@agents/n",
        "PRESENCE_TELEPHONY_ASTERISK_STATE_INTERFACE": "Custom:{ext}",
    }


def threecx_env(fake: Fake3cx) -> dict[str, str]:
    return {
        "PRESENCE_TELEPHONY_3CX_URL": fake.url,
        "PRESENCE_TELEPHONY_3CX_CLIENT_ID": fake.client_id,
        "PRESENCE_TELEPHONY_3CX_CLIENT_SECRET": SECRET_3CX,
        "PRESENCE_TELEPHONY_3CX_RECONNECT_INITIAL_SECONDS": "0.2",
        "PRESENCE_TELEPHONY_3CX_RECONNECT_MAX_SECONDS": "1",
    }


async def prepare(channel: grpc.aio.Channel) -> None:
    """Agent ann on 1001 in support and sales; the seeded statuses as they are
    (Break keeps the queue login and pauses)."""
    agents = agents_pb2_grpc.AgentServiceStub(channel)
    await agents.CreateAgent(
        agents_pb2.CreateAgentRequest(
            agent=agents_pb2.Agent(
                id="ann",
                display_name="Ann",
                extension="1001",
                queues=["support", "sales"],
            )
        )
    )


async def set_status(channel: grpc.aio.Channel, status: str) -> None:
    stub = presence_pb2_grpc.PresenceServiceStub(channel)
    await stub.SetStatus(
        presence_pb2.SetStatusRequest(agent_id="ann", status_type_id=status)
    )


async def adapters(channel: grpc.aio.Channel) -> Any:
    stub = telephony_pb2_grpc.TelephonyServiceStub(channel)
    reply = await stub.ListAdapters(telephony_pb2.ListTelephonyAdaptersRequest())
    return list(reply.adapters)


def paused(fake: FakeAsterisk, reason: str) -> bool:
    member = fake.member("support", INTERFACE)
    return member is not None and member.paused and member.reason == reason


async def test_a_server_with_the_asterisk_adapter_syncs_and_reports_health(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = await FakeAsterisk().start()
    for name, value in asterisk_env(fake).items():
        monkeypatch.setenv(name, value)
    try:
        async with running_server(
            sqlite_url, tmp_path / "data", telephony_adapters="asterisk"
        ) as server:
            await prepare(server.channel)

            async def connected() -> bool:
                found = await adapters(server.channel)
                return bool(found) and found[0].connected

            await poll_until(connected, what="the adapter connected")
            up = await server.health.Check(
                health_pb2.HealthCheckRequest(service=HEALTH)
            )
            await set_status(server.channel, "break")

            async def synced() -> bool:
                [found] = await adapters(server.channel)
                return found.queue_depth == 0 and found.writes > 0

            await poll_until(synced, what="the break synced")
            await fake.stop()

            async def down() -> bool:
                found = await adapters(server.channel)
                return not found[0].connected

            await poll_until(down, what="the loss noticed")
            lost = await server.health.Check(
                health_pb2.HealthCheckRequest(service=HEALTH)
            )
            [status] = await adapters(server.channel)
    finally:
        await fake.stop()

    assert up.status == health_pb2.HealthCheckResponse.SERVING
    assert lost.status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert status.name == "asterisk"
    assert status.health_service == HEALTH
    assert status.last_error
    assert paused(fake, "Break")
    assert status.writes >= 1
    assert "paused" in status.honoured_fields
    assert status.HasField("last_sync_time")


async def test_a_server_without_adapters_lists_none(
    sqlite_url: str, tmp_path: Path
) -> None:
    async with running_server(sqlite_url, tmp_path / "data") as server:
        assert await adapters(server.channel) == []


async def test_an_unknown_adapter_stops_the_server_from_starting(
    sqlite_url: str, tmp_path: Path
) -> None:
    from presence_server.app import StartupError

    with pytest.raises(StartupError, match="no telephony adapter named 'nope'"):
        async with running_server(
            sqlite_url, tmp_path / "data", telephony_adapters="nope"
        ):
            pass


async def test_sigterm_during_a_slow_pbx_call_exits_in_time_and_syncs_after(
    tmp_path: Path,
) -> None:
    fake = await FakeAsterisk().start()
    env = {
        **asterisk_env(fake),
        "PRESENCE_TELEPHONY_ADAPTERS": "asterisk",
        # The held call must still be in flight when SIGTERM comes.
        "PRESENCE_TELEPHONY_CALL_TIMEOUT_SECONDS": "60",
    }
    data = tmp_path / "data"
    first = ServerProcess(data, env=env).start()
    try:
        await asyncio.to_thread(first.wait_until_listening)
        async with grpc.aio.insecure_channel(first.address) as channel:
            await prepare(channel)
            await poll_until(lambda: _connected(channel), what="the adapter connected")
            fake.hold["queuepause"] = asyncio.Event()
            await set_status(channel, "break")
            await poll_until(
                lambda: _true(bool(fake.actions("QueuePause"))), what="the slow call"
            )

        started = time.monotonic()
        first.send(signal.SIGTERM)
        code = await asyncio.to_thread(first.wait, 15)
        took = time.monotonic() - started
    finally:
        if first.process.poll() is None:
            await asyncio.to_thread(first.stop)

    # The held call never completes: the next server must do the work.
    del fake.hold["queuepause"]
    sessions = {r.session for r in fake.actions("QueuePause")}
    second = ServerProcess(data, env=env).start()
    try:
        await asyncio.to_thread(second.wait_until_listening)
        await poll_until(lambda: _true(paused(fake, "Break")), what="the pause")
    finally:
        await asyncio.to_thread(second.stop)
        await fake.stop()

    assert code == 0
    assert took < EXIT_WITHIN, f"took {took:.1f} s to exit"
    later = [r for r in fake.actions("QueuePause") if r.session not in sessions]
    assert [(r.get("Paused"), r.get("Reason")) for r in later] == [("true", "Break")]


async def test_a_server_with_the_3cx_adapter_reports_its_health(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake = await Fake3cx(SystemClock(), client_secret=SECRET_3CX).start()
    for name, value in threecx_env(fake).items():
        monkeypatch.setenv(name, value)
    try:
        async with running_server(
            sqlite_url, tmp_path / "data", telephony_adapters="3cx"
        ) as server:
            await prepare(server.channel)
            await poll_until(
                lambda: _connected(server.channel), what="the adapter connected"
            )
            up = await server.health.Check(
                health_pb2.HealthCheckRequest(service=HEALTH_3CX)
            )
            # 3CX answers 204 but keeps the old profile once: drift, retried.
            fake.drop_patches = 1
            await set_status(server.channel, "available")

            async def drifted_and_synced() -> bool:
                [found] = await adapters(server.channel)
                return found.queue_depth == 0 and found.drift_count >= 1

            await poll_until(drifted_and_synced, what="the drift fixed")
            await fake.stop()

            async def down() -> bool:
                [found] = await adapters(server.channel)
                return not found.connected

            await poll_until(down, what="the loss noticed")
            await set_status(server.channel, "break")
            [while_down] = await adapters(server.channel)
            lost = await server.health.Check(
                health_pb2.HealthCheckRequest(service=HEALTH_3CX)
            )
            await fake.start()

            async def back() -> bool:
                [found] = await adapters(server.channel)
                return found.connected and found.queue_depth == 0

            await poll_until(back, what="the break synced after the outage")
            [after] = await adapters(server.channel)
            again = await server.health.Check(
                health_pb2.HealthCheckRequest(service=HEALTH_3CX)
            )
    finally:
        await fake.stop()

    assert up.status == health_pb2.HealthCheckResponse.SERVING
    assert lost.status == health_pb2.HealthCheckResponse.NOT_SERVING
    assert again.status == health_pb2.HealthCheckResponse.SERVING
    assert while_down.name == "3cx"
    assert while_down.health_service == HEALTH_3CX
    assert not while_down.connected
    assert while_down.queue_depth > 0
    assert while_down.last_error
    assert SECRET_3CX not in while_down.last_error
    assert after.drift_count >= 1
    assert fake.user("1001").current_profile == "Away"
    assert "presence" in after.honoured_fields


async def test_sigterm_during_a_slow_3cx_call_exits_in_time_and_syncs_after(
    tmp_path: Path,
) -> None:
    fake = await Fake3cx(SystemClock(), client_secret=SECRET_3CX).start()
    env = {
        **threecx_env(fake),
        "PRESENCE_TELEPHONY_ADAPTERS": "3cx",
        # The held PATCH must still be in flight when SIGTERM comes.
        "PRESENCE_TELEPHONY_CALL_TIMEOUT_SECONDS": "60",
        "PRESENCE_TELEPHONY_3CX_REQUEST_TIMEOUT_SECONDS": "60",
    }
    data = tmp_path / "data"
    first = ServerProcess(data, env=env).start()
    try:
        await asyncio.to_thread(first.wait_until_listening)
        async with grpc.aio.insecure_channel(first.address) as channel:
            await prepare(channel)
            await poll_until(lambda: _connected(channel), what="the adapter connected")
            held = fake.hold = asyncio.Event()
            await set_status(channel, "break")
            await poll_until(lambda: _true(fake.held > 0), what="the slow call")

        started = time.monotonic()
        first.send(signal.SIGTERM)
        code = await asyncio.to_thread(first.wait, 15)
        took = time.monotonic() - started
    finally:
        if first.process.poll() is None:
            await asyncio.to_thread(first.stop)

    # The held PATCH is let go only after its client died: the fake drops it,
    # so the next server must do the work.
    fake.hold = None
    held.set()
    since = len(fake.received)
    second = ServerProcess(data, env=env).start()
    try:
        await asyncio.to_thread(second.wait_until_listening)
        await poll_until(lambda: _true(_profile(fake) == "Away"), what="the break")
    finally:
        await asyncio.to_thread(second.stop)
        await fake.stop()

    assert code == 0
    assert took < EXIT_WITHIN, f"took {took:.1f} s to exit"
    assert [r.json() for r in fake.patches("1001", since)] == [
        {"CurrentProfileName": "Away"}
    ]


def _profile(fake: Fake3cx) -> str:
    return fake.user("1001").current_profile


async def _connected(channel: grpc.aio.Channel) -> bool:
    found = await adapters(channel)
    return bool(found) and found[0].connected


async def _true(value: bool) -> bool:
    return value


async def test_a_new_agent_reaches_the_pbx_before_its_first_status_change(
    sqlite_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A leftover membership on the PBX for the extension a new agent gets:
    # the agent is Offline, so the server must take it out of the queue at
    # once, not at the next periodic refresh.
    fake = await FakeAsterisk().start()
    fake.queues["support"][INTERFACE] = Member(INTERFACE, "old", "Custom:1001")
    for name, value in asterisk_env(fake).items():
        monkeypatch.setenv(name, value)
    try:
        async with running_server(
            sqlite_url, tmp_path / "data", telephony_adapters="asterisk"
        ) as server:

            async def connected() -> bool:
                found = await adapters(server.channel)
                return bool(found) and found[0].connected

            await poll_until(connected, what="the adapter connected")
            assert fake.member("support", INTERFACE) is not None

            await prepare(server.channel)

            async def removed() -> bool:
                return fake.member("support", INTERFACE) is None

            await poll_until(removed, what="the new agent taken out of the queue")
            presence = await server.presence.GetPresence(
                presence_pb2.GetPresenceRequest(agent_id="ann")
            )
    finally:
        await fake.stop()

    assert presence.status.id == "offline"
