"""The AMI client: framing, ActionID matching, events between answers,
reconnects. Against a scripted TCP server and the fake Asterisk."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from datetime import timedelta

import pytest
from pydantic import SecretStr

from presence_server.engine.clock import ManualClock
from presence_server.telephony.asterisk.ami import (
    AmiClient,
    AmiConnectionError,
    AmiError,
    Message,
    encode,
    parse,
)
from tests.helpers.server import poll_until
from tests.telephony.fake_ami import FakeAsterisk


def test_a_message_keeps_repeated_keys_and_empty_values() -> None:
    message = parse(
        b"Response: Success\r\nActionID: a-1\r\nMessage: Presence State\r\n"
        b"State: away\r\nMessage: On Break\r\nSubtype: \r\nPausedReason:"
    )

    assert message.response == "Success"
    assert message.all("Message") == ["Presence State", "On Break"]
    assert message.get("subtype") == ""
    assert message.get("PausedReason") == ""
    assert "State" in message


def test_an_action_cannot_smuggle_a_line_break() -> None:
    assert encode([("Action", "Ping")]) == b"Action: Ping\r\n\r\n"
    with pytest.raises(ValueError, match="line breaks"):
        encode([("Reason", "Lunch\r\nAction: Logoff")])


class Recorder:
    def __init__(self) -> None:
        self.events: list[Message] = []
        self.losses: list[str] = []
        self.logins = 0

    async def connected(self) -> None:
        self.logins += 1


def client(
    port: int,
    clock: ManualClock,
    recorder: Recorder,
    secret: str = "s",
    **options: float,
) -> AmiClient:
    return AmiClient(
        "127.0.0.1",
        port,
        "presence",
        SecretStr(secret),
        clock,
        on_event=recorder.events.append,
        on_connected=recorder.connected,
        on_disconnected=recorder.losses.append,
        backoff=(1.0, 4.0),
        **options,  # type: ignore[arg-type]
    )


Script = Callable[[asyncio.StreamReader, asyncio.StreamWriter], object]


@pytest.fixture
async def scripted() -> AsyncIterator[Callable[[Script], asyncio.Future[int]]]:
    servers: list[asyncio.Server] = []
    writers: list[asyncio.StreamWriter] = []

    def serve(script: Script) -> asyncio.Future[int]:
        async def handler(
            reader: asyncio.StreamReader, writer: asyncio.StreamWriter
        ) -> None:
            writers.append(writer)
            writer.write(b"Asterisk Call Manager/13.0.0\r\n")
            login = parse((await reader.readuntil(b"\r\n\r\n"))[:-4])
            writer.write(
                f"Response: Success\r\nActionID: {login.action_id}\r\n"
                "Message: Authentication accepted\r\n\r\n".encode()
            )
            await script(reader, writer)  # type: ignore[misc]

        async def start() -> int:
            server = await asyncio.start_server(handler, "127.0.0.1", 0)
            servers.append(server)
            return int(server.sockets[0].getsockname()[1])

        return asyncio.ensure_future(start())

    yield serve
    for writer in writers:
        writer.close()
    for server in servers:
        server.close()
        await server.wait_closed()


async def test_answers_are_matched_by_action_id_with_events_in_between(
    scripted: Callable[[Script], asyncio.Future[int]], clock: ManualClock
) -> None:
    async def script(reader: asyncio.StreamReader, writer: asyncio.StreamWriter):
        first = parse((await reader.readuntil(b"\r\n\r\n"))[:-4])
        second = parse((await reader.readuntil(b"\r\n\r\n"))[:-4])
        # Answer the second first, with an unrelated event and a list answer.
        writer.write(
            f"Response: Success\r\nActionID: {second.action_id}\r\n"
            "EventList: start\r\nMessage: Queue status will follow\r\n\r\n"
            "Event: DeviceStateChange\r\nDevice: Custom:1001\r\nState: INUSE\r\n\r\n"
            f"Event: QueueMember\r\nQueue: support\r\nActionID: {second.action_id}"
            "\r\n\r\n"
            f"Event: QueueStatusComplete\r\nActionID: {second.action_id}\r\n"
            "EventList: Complete\r\nListItems: 1\r\n\r\n"
            f"Response: Error\r\nActionID: {first.action_id}\r\n"
            "Message: Interface not found\r\n\r\n".encode()
        )
        await reader.read()

    port = await scripted(script)
    recorder = Recorder()
    ami = client(port, clock, recorder)
    await ami.start()
    await poll_until(lambda: _true(ami.connected), what="the login")

    pause = asyncio.ensure_future(ami.action("QueuePause", {"Interface": "x"}))
    await asyncio.sleep(0)
    status = await ami.action("QueueStatus", {"Member": "x"})
    with pytest.raises(AmiError, match="Interface not found"):
        await pause
    await ami.stop()

    assert [e.get("Queue") for e in status.events] == ["support"]
    assert [e.event for e in recorder.events] == ["DeviceStateChange"]


async def test_a_lost_connection_fails_what_is_in_flight_and_reconnects(
    clock: ManualClock,
) -> None:
    fake = await FakeAsterisk(secret="s").start()
    recorder = Recorder()
    ami = client(fake.port, clock, recorder)
    await ami.start()
    await poll_until(lambda: _true(ami.connected), what="the login")
    fake.hold["ping"] = asyncio.Event()

    ping = asyncio.ensure_future(ami.action("Ping"))
    await poll_until(lambda: _true(bool(fake.actions("Ping"))), what="the ping")
    await fake.restart()
    with pytest.raises(AmiConnectionError):
        await ping
    del fake.hold["ping"]

    async def reconnected() -> bool:
        if ami.connected and recorder.logins == 2:
            return True
        await clock.advance(timedelta(seconds=2))
        return False

    await poll_until(reconnected, what="the reconnect")
    pong = await ami.action("Ping")
    await ami.stop()
    await fake.stop()

    assert "closed" in recorder.losses[0]
    assert pong.response.get("Ping") == "Pong"


async def test_a_peer_that_stops_answering_pings_is_dropped_and_redialed(
    clock: ManualClock,
) -> None:
    fake = await FakeAsterisk(secret="s").start()
    recorder = Recorder()
    ami = client(fake.port, clock, recorder, connect_timeout=0.2, ping=10.0)
    await ami.start()
    await poll_until(lambda: _true(ami.connected), what="the login")

    fake.hold["ping"] = asyncio.Event()
    await clock.advance(timedelta(seconds=10))
    await poll_until(lambda: _true(bool(recorder.losses)), what="the drop")
    del fake.hold["ping"]

    async def redialed() -> bool:
        if ami.connected and recorder.logins == 2:
            return True
        await clock.advance(timedelta(seconds=2))
        return False

    await poll_until(redialed, what="the new connection")
    await ami.stop()
    await fake.stop()

    assert len(fake.actions("Login")) == 2


async def test_a_refused_login_is_retried_without_showing_the_secret(
    clock: ManualClock,
) -> None:
    fake = await FakeAsterisk(secret="right").start()
    recorder = Recorder()
    ami = client(fake.port, clock, recorder, secret="wrong-secret-value")
    await ami.start()

    await poll_until(lambda: _true(bool(recorder.losses)), what="the refusal")
    await clock.advance(timedelta(seconds=10))
    await poll_until(
        lambda: _true(len(fake.actions("Login")) >= 2), what="a second attempt"
    )
    await ami.stop()
    await fake.stop()

    assert not ami.connected
    assert "refused the login" in recorder.losses[0]
    assert "wrong-secret-value" not in " ".join(recorder.losses) + repr(ami)


async def _true(value: bool) -> bool:
    return value
