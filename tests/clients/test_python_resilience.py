"""The Python client through failures: lost answers, restarts, dropped streams.

Restarts use a real ``presence-server`` process that comes back on the same
port with the same data directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import grpc
import pytest
from presence_client import (
    Backoff,
    NotFoundError,
    PresenceClient,
    PresenceError,
    RetryPolicy,
    Subscription,
    SubscriptionItem,
    UnavailableError,
)
from presence_client.messages import (
    ConnectionState,
    Outcome,
    StatusKind,
    StatusType,
)
from presence_client.proto import presence_pb2

from tests.clients.conftest import create_agent
from tests.helpers.server import (
    DEFAULT_TIMEOUT,
    RunningServer,
    ServerProcess,
    poll_until,
)

# Patient enough to wait out a server restart.
PATIENT = RetryPolicy(attempts=200, initial_backoff=0.02, max_backoff=0.1)


class LoseFirstAnswer(grpc.aio.UnaryUnaryClientInterceptor):  # type: ignore[misc]
    """Lets the first SetStatus reach the server, then loses its answer.

    The server has committed the change; the caller sees UNAVAILABLE, as if
    the connection dropped on the way back. Records every request id sent.
    """

    def __init__(self) -> None:
        self.request_ids: list[str] = []

    async def intercept_unary_unary(
        self, continuation: Any, client_call_details: Any, request: Any
    ) -> Any:
        call = await continuation(client_call_details, request)
        if not isinstance(request, presence_pb2.SetStatusRequest):
            return call
        self.request_ids.append(request.request_id)
        if len(self.request_ids) == 1:
            await call
            raise grpc.aio.AioRpcError(
                grpc.StatusCode.UNAVAILABLE,
                grpc.aio.Metadata(),
                grpc.aio.Metadata(),
                details="the answer was lost on the way back",
            )
        return call


async def test_retried_set_status_after_a_lost_answer_counts_once(
    server: RunningServer, client: PresenceClient, agent: str
) -> None:
    await client.status_types.create(
        StatusType(
            name="Smoke",
            color="#9E9E9E",
            kind=StatusKind.STATUS_KIND_UNAVAILABLE,
            limit_per_shift=1,
        ),
        status_type_id="smoke",
    )
    await client.set_status(agent, "available")
    losing = LoseFirstAnswer()

    async with PresenceClient(server.address, interceptors=[losing]) as flaky:
        change = await flaky.set_status(agent, "smoke")

    # Two tries with one id; a second use would have been over the limit.
    assert len(losing.request_ids) == 2
    assert losing.request_ids[0] == losing.request_ids[1]
    assert change.outcome == Outcome.OUTCOME_APPLIED
    assert change.presence.uses_this_shift == 1


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def process(data_dir: Path, free_address: str) -> Iterator[ServerProcess]:
    """A server process on ``free_address``; tests restart it with ``restart``."""
    with ServerProcess(data_dir, listen_address=free_address) as started:
        started.wait_until_listening()
        yield started
    _close_output(started)


def _close_output(process: ServerProcess) -> None:
    if process.process.stdout is not None:
        process.process.stdout.close()


async def restart(process: ServerProcess) -> ServerProcess:
    """Stop ``process`` (SIGTERM) and start another on its port and data."""
    address = process.address
    assert await asyncio.to_thread(process.stop) == 0
    _close_output(process)
    again = ServerProcess(process.data_dir, listen_address=address).start()
    await asyncio.to_thread(again.wait_until_listening)
    return again


async def test_set_status_sent_while_the_server_is_down_lands_once_it_is_back(
    process: ServerProcess, caplog: pytest.LogCaptureFixture
) -> None:
    async with PresenceClient(process.address, retry=PATIENT) as client:
        agent = await create_agent(client)
        assert await asyncio.to_thread(process.stop) == 0
        _close_output(process)

        pending = asyncio.create_task(client.set_status(agent, "available"))

        async def retried() -> bool:
            return any("retrying" in r.getMessage() for r in caplog.records)

        await poll_until(retried, what="a retry")
        with ServerProcess(process.data_dir, listen_address=process.address) as back:
            await asyncio.to_thread(back.wait_until_listening)
            change = await asyncio.wait_for(pending, DEFAULT_TIMEOUT)
            presence = await client.get_presence(agent)
        _close_output(back)

    assert change.outcome == Outcome.OUTCOME_APPLIED
    assert presence.status.id == "available"


async def test_session_reconnects_after_a_server_restart(
    process: ServerProcess,
) -> None:
    async with PresenceClient(process.address) as client:
        agent = await create_agent(client)
        await client.set_status(agent, "available")

        async with client.session(agent, client_name="tests") as session:
            first = session.session_id
            assert session.presence is not None
            assert session.presence.connection == (
                ConnectionState.CONNECTION_STATE_CONNECTED
            )

            back = await restart(process)
            try:
                async with asyncio.timeout(DEFAULT_TIMEOUT):
                    await session.wait_for(lambda _: session.session_id != first)
                presence = await client.get_presence(agent)
            finally:
                await session.close()
                await asyncio.to_thread(back.stop)
                _close_output(back)

    assert session.reconnects == 1
    assert presence.connection == ConnectionState.CONNECTION_STATE_CONNECTED
    assert presence.status.id == "available"


async def test_session_pushes_every_change_of_the_agent(
    client: PresenceClient, agent: str
) -> None:
    async with client.session(agent) as session:
        updates = session.updates()
        await client.set_status(agent, "available")
        await client.set_status(agent, "break")

        async with asyncio.timeout(DEFAULT_TIMEOUT):
            seen = [(await anext(updates)).status.id for _ in range(2)]
        await updates.aclose()

    assert seen == ["available", "break"]
    assert not session.connected


async def test_session_of_an_unknown_agent_fails_with_not_found(
    client: PresenceClient,
) -> None:
    with pytest.raises(NotFoundError):
        async with client.session("nobody-at-all"):
            pass


# Reconnects a test can watch several of without waiting.
QUICK_BACKOFF_SECONDS = 0.01


async def first_item(subscription: Subscription) -> SubscriptionItem:
    return await anext(aiter(subscription))


class Retries:
    """Records what ``on_retry`` hears; ``enough`` is set after ``count`` calls."""

    def __init__(self, count: int) -> None:
        self.count = count
        self.heard: list[tuple[PresenceError, int, float]] = []
        self.enough = asyncio.Event()

    def __call__(self, error: PresenceError, attempt: int, delay: float) -> None:
        self.heard.append((error, attempt, delay))
        if len(self.heard) >= self.count:
            self.enough.set()


async def test_subscription_to_a_down_server_reports_each_failed_connect(
    free_address: str, caplog: pytest.LogCaptureFixture
) -> None:
    retries = Retries(count=3)
    backoff = Backoff(initial=QUICK_BACKOFF_SECONDS, maximum=QUICK_BACKOFF_SECONDS)

    async with PresenceClient(free_address) as client:
        subscription = client.subscribe(backoff=backoff, on_retry=retries)
        reading = asyncio.create_task(first_item(subscription))
        async with asyncio.timeout(DEFAULT_TIMEOUT):
            await retries.enough.wait()
        reading.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await reading
        await subscription.aclose()

    assert [attempt for _, attempt, _ in retries.heard[:3]] == [1, 2, 3]
    assert all(isinstance(e, UnavailableError) for e, _, _ in retries.heard)
    assert all(0 < delay <= QUICK_BACKOFF_SECONDS for _, _, delay in retries.heard)
    assert not subscription.connected
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "presence_client.subscribe"
    ]
    assert len(warnings) >= 3
    assert "could not connect (UNAVAILABLE: " in warnings[0]
    assert "retrying in " in warnings[0]


async def test_session_with_a_down_server_reports_each_failed_connect(
    free_address: str, caplog: pytest.LogCaptureFixture
) -> None:
    retries = Retries(count=3)
    backoff = Backoff(initial=QUICK_BACKOFF_SECONDS, maximum=QUICK_BACKOFF_SECONDS)

    async with PresenceClient(free_address) as client:
        session = client.session("alice", backoff=backoff, on_retry=retries)
        await session.start()
        try:
            async with asyncio.timeout(DEFAULT_TIMEOUT):
                await retries.enough.wait()
        finally:
            await session.close()

    assert [attempt for _, attempt, _ in retries.heard[:3]] == [1, 2, 3]
    assert all(isinstance(e, UnavailableError) for e, _, _ in retries.heard)
    warnings = [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and r.name == "presence_client.session"
    ]
    assert len(warnings) >= 3
    assert warnings[0].startswith("session of alice could not connect (UNAVAILABLE")


async def test_session_calls_on_connect_once_the_server_is_back(
    process: ServerProcess,
) -> None:
    retries = Retries(count=1)
    connected = asyncio.Event()
    backoff = Backoff(initial=QUICK_BACKOFF_SECONDS, maximum=0.1)

    async with PresenceClient(process.address) as client:
        agent = await create_agent(client)
        assert await asyncio.to_thread(process.stop) == 0
        _close_output(process)
        session = client.session(
            agent, backoff=backoff, on_retry=retries, on_connect=connected.set
        )
        await session.start()
        try:
            async with asyncio.timeout(DEFAULT_TIMEOUT):
                await retries.enough.wait()
            assert not connected.is_set()
            with ServerProcess(
                process.data_dir, listen_address=process.address
            ) as back:
                await asyncio.to_thread(back.wait_until_listening)
                async with asyncio.timeout(DEFAULT_TIMEOUT):
                    await connected.wait()
                await session.close()
                await asyncio.to_thread(back.stop)
            _close_output(back)
        finally:
            await session.close()

    assert session.presence is not None
    assert session.presence.agent_id == agent
