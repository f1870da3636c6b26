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
from google.protobuf import field_mask_pb2
from grpc_health.v1 import health_pb2

from presence_server._proto.presence.v1 import (
    agents_pb2,
    agents_pb2_grpc,
    presence_pb2,
    presence_pb2_grpc,
    status_types_pb2,
    status_types_pb2_grpc,
    telephony_pb2,
    telephony_pb2_grpc,
)
from tests.helpers.server import ServerProcess, poll_until, running_server
from tests.telephony.fake_ami import FakeAsterisk

INTERFACE = "Local/1001@agents/n"
HEALTH = "presence.telephony.asterisk"


def asterisk_env(fake: FakeAsterisk) -> dict[str, str]:
    return {
        "PRESENCE_TELEPHONY_ASTERISK_HOST": fake.host,
        "PRESENCE_TELEPHONY_ASTERISK_PORT": str(fake.port),
        "PRESENCE_TELEPHONY_ASTERISK_USERNAME": "presence",
        "PRESENCE_TELEPHONY_ASTERISK_SECRET": "presence-secret",
        "PRESENCE_TELEPHONY_ASTERISK_MEMBER_INTERFACE": "Local/{ext}@agents/n",
        "PRESENCE_TELEPHONY_ASTERISK_STATE_INTERFACE": "Custom:{ext}",
    }


async def prepare(channel: grpc.aio.Channel) -> None:
    """Agent ann on 1001 in support and sales; Break keeps the queue login."""
    agents = agents_pb2_grpc.AgentServiceStub(channel)
    types = status_types_pb2_grpc.StatusTypeServiceStub(channel)
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
    await types.UpdateStatusType(
        status_types_pb2.UpdateStatusTypeRequest(
            status_type=status_types_pb2.StatusType(id="break", queue_login=True),
            update_mask=field_mask_pb2.FieldMask(paths=["queue_login"]),
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
    # PRESENCE_GRACE_SECONDS is 1 in ServerProcess; the rest is start-up slack.
    assert took < 5, f"took {took:.1f} s to exit"
    later = [r for r in fake.actions("QueuePause") if r.session not in sessions]
    assert [(r.get("Paused"), r.get("Reason")) for r in later] == [("true", "Break")]


async def _connected(channel: grpc.aio.Channel) -> bool:
    found = await adapters(channel)
    return bool(found) and found[0].connected


async def _true(value: bool) -> bool:
    return value
