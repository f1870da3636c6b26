"""Streams under load, on SQLite only: the backend is not the point here.

Heavy but bounded: 1,000 subscribers, 20 rounds of 1,000 streams, 1,000
snapshot races, 10,000 changes past a slow subscriber. Changes go through
real SetStatus calls; the tests wait with deadlines and never sleep.
"""

from __future__ import annotations

import asyncio
import ctypes
import gc
import random
from pathlib import Path
from typing import Any

import grpc
import pytest
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from presence_server._proto.presence.v1 import presence_pb2, presence_pb2_grpc
from presence_server.domain.presence import Actor, Source
from presence_server.engine import commands as c
from presence_server.engine.clock import ManualClock
from presence_server.streaming.hub import Subscriber
from presence_server.streaming.subscription import Subscription
from tests.helpers.server import RunningServer, backend_url, poll_until, running_server
from tests.streaming.conftest import (
    Stream,
    last_revision,
    make_agents,
    set_status,
    stream_count,
    subscribe,
)

pytestmark = pytest.mark.timeout(180)

STATUSES = ("available", "idle", "away", "meeting")


class Writer:
    """SetStatus calls from ``tasks`` concurrent workers, each a real change."""

    def __init__(self, server: RunningServer, agents: list[str], seed: int) -> None:
        self.server = server
        self.agents = agents
        self.rng = random.Random(seed)
        self.changes = 0
        self.stopped = False
        self._changed = asyncio.Event()

    async def change(self) -> None:
        agent = self.rng.choice(self.agents)
        status = self.rng.choice(STATUSES)
        answer = await set_status(self.server, agent, status)
        if answer.outcome != presence_pb2.OUTCOME_UNCHANGED:
            self.changes += 1
            self._changed.set()

    async def next_change(self) -> None:
        """Wait until one more change is committed."""
        self._changed.clear()
        await self._changed.wait()

    async def run_until_stopped(self) -> None:
        while not self.stopped:
            await self.change()

    async def run(self, total: int, tasks: int) -> None:
        async def worker() -> None:
            while self.changes < total:
                await self.change()

        await asyncio.gather(*(worker() for _ in range(tasks)))


def settled_rss() -> int:
    """This process's resident memory once garbage is collected and returned.

    ``malloc_trim`` gives freed heap back to the system, so that what is
    left is what is still in use, not what the allocator keeps around.
    """
    gc.collect()
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise RuntimeError("no VmRSS")


async def all_reach(streams: list[Stream], revision: int, seconds: float = 60) -> None:
    async def reached() -> bool:
        for stream in streams:
            if stream.ended:
                raise AssertionError(f"a stream ended: {stream.error}")
        return all(s.revision >= revision for s in streams)

    await poll_until(reached, seconds, f"every stream at revision {revision}")


async def all_started(streams: list[Stream]) -> None:
    await all_reach(streams, 0)


async def test_a_thousand_subscribers_all_receive_every_event_in_order(
    sqlite_server: RunningServer,
) -> None:
    server = sqlite_server
    agents = [f"a{i:02d}" for i in range(20)]
    await make_agents(server, agents)
    streams = [subscribe(server) for _ in range(1000)]
    await all_started(streams)

    await Writer(server, agents, seed=1).run(total=60, tasks=10)
    final = await last_revision(server)
    await all_reach(streams, final)

    assert all(s.revisions == after_start(s, final) for s in streams)
    await asyncio.gather(*(s.close() for s in streams))


async def test_a_thousand_streams_opened_and_cancelled_leave_nothing_behind(
    sqlite_server: RunningServer,
) -> None:
    server = sqlite_server
    memory: list[int] = []

    for _ in range(20):
        streams = [subscribe(server) for _ in range(1000)]
        await all_started(streams)
        assert stream_count(server) == 1000
        await asyncio.gather(*(s.close() for s in streams))
        await poll_until(
            _async(lambda: stream_count(server) == 0), 30, "no stream left"
        )
        del streams
        memory.append(settled_rss())

        left = [o for o in gc.get_objects() if isinstance(o, Subscriber | Subscription)]
        assert not left
    # The first rounds warm up allocators and caches; after them it is flat.
    settled = memory[4:]
    assert max(settled) - min(settled) < 12 * 1024 * 1024, [
        m // 1024 // 1024 for m in memory
    ]


@pytest.mark.parametrize(("backend", "rounds"), [("sqlite", 10), ("postgresql", 2)])
async def test_snapshot_and_changes_race_and_every_view_ends_equal_to_the_database(
    backend: str, rounds: int, tmp_path: Path, clock: ManualClock
) -> None:
    async with (
        backend_url(backend, tmp_path) as url,
        running_server(
            url, tmp_path / "data", clock=clock, log_level="WARNING"
        ) as server,
    ):
        agents = [f"a{i}" for i in range(10)]
        await make_agents(server, agents)
        rng = random.Random(3)
        for round_ in range(rounds):
            await race_round(server, Writer(server, agents, seed=round_), rng)


async def race_round(server: RunningServer, writer: Writer, rng: random.Random) -> None:
    """100 snapshots taken while changes commit; each view ends as stored."""
    writers = [asyncio.create_task(writer.run_until_stopped()) for _ in range(8)]
    # Each stream opens after another change, at a random point of the
    # loop's turns, so its snapshot lands anywhere around a commit.
    opened = []
    for _ in range(100):
        await writer.next_change()
        for _ in range(rng.randrange(30)):
            await asyncio.sleep(0)
        opened.append(subscribe(server, include_snapshot=True))
    writer.stopped = True
    await asyncio.gather(*writers)
    final = await last_revision(server)
    await all_reach(opened, final)

    reply = await server.presence.ListPresence(presence_pb2.ListPresenceRequest())
    database = {
        p.agent_id: (p.effective_status.id, p.revision) for p in reply.presences
    }
    for stream in opened:
        view = {a: (p.effective_status.id, p.revision) for a, p in stream.view.items()}
        assert view == database
        snapshot_end = next(m for m in stream.messages if m.snapshot_end)
        assert stream.revisions == list(range(snapshot_end.revision + 1, final + 1))
    assert writer.changes >= 100
    await asyncio.gather(*(s.close() for s in opened))


async def test_a_slow_subscriber_is_ended_and_the_others_get_everything(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> None:
    async with running_server(
        sqlite_url,
        tmp_path / "data",
        clock=clock,
        log_level="WARNING",
        stream_max_pending=1000,
    ) as server:
        agents = [f"a{i:03d}" for i in range(500)]
        await make_agents(server, agents)
        fast = [subscribe(server) for _ in range(5)]
        await all_started(fast)
        # A client with little room to buffer: the server soon has to wait.
        options = [("grpc.http2.bdp_probe", 0), ("grpc.http2.lookahead_bytes", 16384)]
        async with grpc.aio.insecure_channel(server.address, options=options) as chan:
            stub = presence_pb2_grpc.PresenceServiceStub(chan)
            slow = stub.SubscribePresence(presence_pb2.SubscribePresenceRequest())
            received: list[presence_pb2.PresenceEvent] = []
            ended: grpc.aio.AioRpcError | None = None
            intro = await slow.read()
            start = intro.revision

            # 10,000 changes, in rounds of 500 (one per agent); the slow
            # subscriber reads one message every fifth round.
            engine = server.server.engine
            for round_ in range(20):
                status = STATUSES[round_ % 2]
                await asyncio.gather(
                    *(
                        engine.execute(a, c.SetStatus(status, Actor(Source.AGENT, a)))
                        for a in agents
                    )
                )
                if round_ % 5 == 4 and ended is None:
                    ended = await read_one(slow, received)
            final = await last_revision(server)
            await all_reach(fast, final)

            # Then it reads what was sent to it before its stream ended.
            while ended is None:
                ended = await read_one(slow, received)

        error = ended
        assert error.code() == grpc.StatusCode.RESOURCE_EXHAUSTED
        assert _error_info(error).reason == "SUBSCRIBER_TOO_SLOW"
        resume = int(_error_info(error).metadata["resume_revision"])
        assert [e.revision for e in received] == list(range(start + 1, resume + 1))
        assert final - start >= 10_000 > resume - start
        assert all(s.revisions == after_start(s, final) for s in fast)

        again = subscribe(server, from_revision=resume)
        await again.reaches(final)
        assert again.revisions == list(range(resume + 1, final + 1))
        await asyncio.gather(*(s.close() for s in [*fast, again]))


def after_start(stream: Stream, final: int) -> list[int]:
    """Every revision after the one the stream started at, up to ``final``."""
    return list(range(stream.messages[0].revision + 1, final + 1))


async def read_one(
    call: Any, into: list[presence_pb2.PresenceEvent]
) -> grpc.aio.AioRpcError | None:
    """Read one message's events into ``into``; the error if the call ended."""
    try:
        message = await call.read()
    except grpc.aio.AioRpcError as error:
        return error
    assert message is not grpc.aio.EOF, "the stream ended without a status"
    into.extend(message.events)
    return None


def _error_info(error: grpc.aio.AioRpcError) -> error_details_pb2.ErrorInfo:
    status = rpc_status.from_call(error)
    assert status is not None
    info = error_details_pb2.ErrorInfo()
    assert any(d.Unpack(info) for d in status.details if d.Is(info.DESCRIPTOR))
    return info


def _async(check: object) -> object:
    async def run() -> bool:
        return bool(check())  # type: ignore[operator]

    return run
