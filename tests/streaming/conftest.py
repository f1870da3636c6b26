"""Servers and stream readers for the streaming tests.

- ``server``: a fresh in-process server per test, once per backend, on a
  ``ManualClock`` (heartbeats move only when a test moves it).
- ``sqlite_server``: the same on SQLite only, for the heavy tests where the
  backend is not the point.
- ``Stream``: a SubscribePresence call read in the background, keeping every
  message, the events in order, and the view a dashboard would build.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.protobuf import field_mask_pb2

from presence_server._proto.presence.v1 import (
    agents_pb2,
    presence_pb2,
    status_types_pb2,
)
from presence_server.engine.clock import ManualClock
from tests.helpers.server import RunningServer, poll_until, running_server

Response = presence_pb2.SubscribePresenceResponse
AGENT_CHANGED = presence_pb2.EVENT_TYPE_AGENT_CHANGED
TYPE_CHANGED = presence_pb2.EVENT_TYPE_STATUS_TYPE_CHANGED


@pytest.fixture
async def server(
    database_url: str, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[RunningServer]:
    async with running_server(
        database_url, tmp_path / "data", clock=clock, log_level="INFO"
    ) as running:
        yield running


@pytest.fixture
async def sqlite_server(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[RunningServer]:
    async with running_server(
        sqlite_url, tmp_path / "data", clock=clock, log_level="WARNING"
    ) as running:
        yield running


class Stream:
    """A SubscribePresence stream read by a background task.

    ``view`` is what a dashboard keeps: the snapshot, then each agent
    event's ``current`` presence, an agent dropped when its current presence
    no longer matches ``keep`` (the subscriber's own filter) or is gone.
    """

    def __init__(
        self,
        stub: Any,
        request: presence_pb2.SubscribePresenceRequest,
        keep: Callable[[presence_pb2.AgentStatus], bool] = lambda _: True,
    ) -> None:
        self.messages: list[Response] = []
        self.events: list[presence_pb2.PresenceEvent] = []
        self.view: dict[str, presence_pb2.AgentStatus] = {}
        self.revision = -1
        self.snapshot_done = False
        self.error: grpc.aio.AioRpcError | None = None
        self.ended = False
        self._keep = keep
        self._call = stub.SubscribePresence(request)
        self._task = asyncio.create_task(self._read())

    async def _read(self) -> None:
        try:
            async for message in self._call:
                self._take(message)
        except grpc.aio.AioRpcError as error:
            self.error = error
        finally:
            self.ended = True

    def _take(self, message: Response) -> None:
        self.messages.append(message)
        if message.resync and (not self.snapshot_done or message.snapshot):
            self.snapshot_done = False
        for status in message.snapshot:
            self.view[status.agent_id] = status
        if message.snapshot_end:
            self.snapshot_done = True
        for event in message.events:
            self.events.append(event)
            if not event.agent_id:
                continue
            if event.HasField("current") and self._keep(event.current):
                self.view[event.agent_id] = event.current
            else:
                self.view.pop(event.agent_id, None)
        if message.revision:
            self.revision = message.revision
        elif message.heartbeat:
            self.revision = max(self.revision, 0)

    @property
    def revisions(self) -> list[int]:
        return [e.revision for e in self.events]

    async def wait(
        self, check: Callable[[], bool], what: str, seconds: float = 30
    ) -> None:
        async def done() -> bool:
            if check():
                return True
            if self.ended and not check():
                raise AssertionError(f"stream ended ({self.error}) before {what}")
            return False

        await poll_until(done, seconds, what)

    async def started(self) -> None:
        await self.wait(lambda: self.revision >= 0, "the stream to start")

    async def reaches(self, revision: int, seconds: float = 30) -> None:
        await self.wait(
            lambda: self.revision >= revision, f"revision {revision}", seconds
        )

    async def ends(self) -> grpc.aio.AioRpcError:
        await poll_until(_true(lambda: self.ended), 30, "the stream to end")
        assert self.error is not None, "the stream ended without a status"
        return self.error

    def cancel(self) -> None:
        self._call.cancel()

    async def close(self) -> None:
        self._call.cancel()
        await asyncio.gather(self._task, return_exceptions=True)


def _true(check: Callable[[], bool]) -> Callable[[], Any]:
    async def run() -> bool:
        return check()

    return run


def subscribe(
    server: RunningServer,
    *,
    keep: Callable[[presence_pb2.AgentStatus], bool] = lambda _: True,
    **fields: Any,
) -> Stream:
    return Stream(
        server.presence, presence_pb2.SubscribePresenceRequest(**fields), keep
    )


async def make_agents(
    server: RunningServer, ids: list[str], team: str = "north"
) -> None:
    for start in range(0, len(ids), 50):
        await asyncio.gather(
            *(
                server.agents.CreateAgent(
                    agents_pb2.CreateAgentRequest(
                        agent=agents_pb2.Agent(id=i, display_name=i.title(), team=team)
                    )
                )
                for i in ids[start : start + 50]
            )
        )


async def set_status(
    server: RunningServer, agent_id: str, status: str
) -> presence_pb2.PresenceChange:
    return await server.presence.SetStatus(  # type: ignore[no-any-return]
        presence_pb2.SetStatusRequest(agent_id=agent_id, status_type_id=status)
    )


async def marker(server: RunningServer) -> int:
    """Append an event every subscriber receives (a status type change).

    Filtered streams get no message for changes they do not want; a marker
    after them shows when a stream has caught up. Returns its revision.
    """
    marker.count += 1  # type: ignore[attr-defined]
    await server.status_types.UpdateStatusType(
        status_types_pb2.UpdateStatusTypeRequest(
            status_type=status_types_pb2.StatusType(
                id="meeting",
                sort_order=1000 + marker.count,  # type: ignore[attr-defined]
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["sort_order"]),
        )
    )
    return await last_revision(server)


marker.count = 0  # type: ignore[attr-defined]


async def last_revision(server: RunningServer) -> int:
    from presence_server.streaming import log

    return await log.last_revision(server.server.database)


def stream_count(server: RunningServer) -> int:
    return server.server.streams.subscribers
