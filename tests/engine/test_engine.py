"""The engine on a real database: the issue's scenarios, on SQLite and PostgreSQL.

Time moves only when a test moves the ``ManualClock``; ``fire_due`` then runs
every timer that came due, so nothing waits on the wall clock.
"""

from __future__ import annotations

import asyncio
import dataclasses
import itertools
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta

import pytest
from sqlalchemy import select

from presence_server.catalog import Catalog
from presence_server.domain.agents import Agent
from presence_server.domain.errors import FailedPrecondition, QuotaExceeded
from presence_server.domain.presence import (
    ActivityKind,
    Actor,
    Event,
    EventType,
    Outcome,
    Source,
)
from presence_server.domain.status_types import StatusType
from presence_server.engine import commands as c
from presence_server.engine.clock import ManualClock
from presence_server.engine.rules import EngineConfig
from presence_server.engine.service import PresenceEngine
from presence_server.storage import Database, migrate
from presence_server.storage.presence_models import PeriodRow

AGENT = Actor(Source.AGENT, "ann")
CONFIG = EngineConfig(
    grace=timedelta(seconds=30),
    activity_ceiling=timedelta(hours=4),
    wrap_up={ActivityKind.TASK: timedelta(seconds=120)},
)


@pytest.fixture
async def catalog(database: Database, clock: ManualClock) -> Catalog:
    catalog = Catalog(database, clock)
    await catalog.ensure_seeded()
    for name in ("ann", "bob", "cat"):
        await catalog.create_agent(Agent(id=name, display_name=name.title(), team="t1"))
    return catalog


@pytest.fixture
async def engine(
    database: Database, clock: ManualClock, catalog: Catalog
) -> AsyncIterator[PresenceEngine]:
    engine = PresenceEngine(database, clock, CONFIG)
    await engine.start()
    yield engine
    await engine.stop()


class Recorder:
    """Collects every published event, in order."""

    def __init__(self, engine: PresenceEngine) -> None:
        self.events: list[Event] = []
        engine.add_listener(self.events.extend)

    def types(self, agent_id: str = "ann") -> list[EventType]:
        return [e.type for e in self.events if e.agent_id == agent_id]


async def say(
    engine: PresenceEngine, command: c.Command, request_id: str = "", agent: str = "ann"
) -> tuple[object, Outcome]:
    return await engine.execute(agent, command, request_id)


def set_status(status: str) -> c.SetStatus:
    return c.SetStatus(status, AGENT)


def call(call_id: str) -> c.StartActivity:
    return c.StartActivity(ActivityKind.CALL, call_id, AGENT)


def hang_up(call_id: str) -> c.EndActivity:
    return c.EndActivity(call_id, AGENT)


async def periods(database: Database, agent_id: str = "ann") -> Sequence[PeriodRow]:
    async with database.read() as session:
        query = (
            select(PeriodRow)
            .where(PeriodRow.agent_id == agent_id)
            .order_by(PeriodRow.id)
        )
        return list(await session.scalars(query))


@pytest.mark.parametrize(
    ("second_choice", "expected"),
    [("available", "available"), ("break", "break")],
    ids=["available-clears-upcoming", "break-replaces-upcoming"],
)
async def test_upcoming_lunch_replaced_during_a_call(
    engine: PresenceEngine,
    clock: ManualClock,
    second_choice: str,
    expected: str,
) -> None:
    recorder = Recorder(engine)
    await say(engine, set_status("available"))
    await say(engine, call("c1"))

    await say(engine, set_status("lunch"))
    await say(engine, set_status(second_choice))
    await clock.advance(timedelta(minutes=3))
    presence, _ = await engine.execute("ann", hang_up("c1"))

    assert presence.status.id == presence.effective.id == expected  # type: ignore[attr-defined]
    lunch_uses = [
        e for e in recorder.events if e.current and e.current.status.id == "lunch"
    ]
    assert lunch_uses == []
    waits = [t for t in recorder.types() if t.name.startswith("UPCOMING")]
    if expected == "available":
        assert waits == [EventType.UPCOMING_SET, EventType.UPCOMING_CLEARED]
    else:
        assert waits == [
            EventType.UPCOMING_SET,
            EventType.UPCOMING_SET,
            EventType.UPCOMING_APPLIED,
        ]
    revisions = [e.revision for e in recorder.events]
    assert revisions == sorted(revisions)
    assert len(set(revisions)) == len(revisions)


async def test_upcoming_offline_applies_then_next_call_changes_nothing(
    engine: PresenceEngine,
) -> None:
    await say(engine, set_status("available"))
    await say(engine, call("c1"))
    await say(engine, set_status("offline"))
    presence, _ = await engine.execute("ann", hang_up("c1"))
    assert presence.status.id == "offline"  # type: ignore[attr-defined]

    await say(engine, set_status("available"))
    await say(engine, call("c2"))
    presence, _ = await engine.execute("ann", hang_up("c2"))

    assert presence.status.id == presence.effective.id == "available"  # type: ignore[attr-defined]
    assert presence.upcoming is None  # type: ignore[attr-defined]


async def test_task_wrap_up_then_upcoming_offline_never_shows_available(
    engine: PresenceEngine, clock: ManualClock
) -> None:
    recorder = Recorder(engine)
    await say(engine, set_status("available"))
    await say(engine, c.StartActivity(ActivityKind.TASK, "t1", AGENT))
    await say(engine, set_status("offline"))
    await clock.advance(timedelta(minutes=1))
    ended_at = clock.now()

    presence, _ = await engine.execute("ann", c.EndActivity("t1", AGENT))
    assert presence.effective.id == "wrap-up"  # type: ignore[attr-defined]
    await clock.advance(timedelta(seconds=120))
    await engine.fire_due()

    after_task = [
        e.current.effective.id
        for e in recorder.events
        if e.current and e.time >= ended_at
    ]
    assert after_task == ["wrap-up", "offline"]
    final = await engine.get("ann")
    assert final.since == ended_at + timedelta(seconds=120)


async def test_two_sessions_offline_one_grace_after_the_last_drop(
    engine: PresenceEngine, clock: ManualClock, database: Database
) -> None:
    web, _ = await engine.open_stream("ann", "web")
    desktop, _ = await engine.open_stream("ann", "desktop")
    await say(engine, set_status("available"))
    first_drop = clock.now()

    await say(engine, c.CloseSession(web, clock.now()))
    await clock.advance(timedelta(seconds=30))
    await engine.fire_due()
    assert (await engine.get("ann")).status.id == "available"

    await clock.set(first_drop + timedelta(minutes=5))
    second_drop = clock.now()
    await say(engine, c.CloseSession(desktop, clock.now()))
    await clock.advance(timedelta(seconds=29))
    await engine.fire_due()
    assert (await engine.get("ann")).status.id == "available"
    await clock.advance(timedelta(seconds=1))
    await engine.fire_due()

    final = await engine.get("ann")
    assert final.status.id == "offline"
    assert final.since == second_drop
    assert final.shift_id, "a lost connection never ends the shift"
    assert (await periods(database))[-1].end == second_drop


async def test_break_limit_with_retries_and_concurrent_duplicates(
    engine: PresenceEngine, catalog: Catalog
) -> None:
    brk = await catalog.get_status_type("break")
    await catalog.update_status_type(
        "break", _with(brk, limit_per_shift=2), ["limit_per_shift"], ""
    )

    await say(engine, set_status("break"), "r1")
    await say(engine, set_status("available"))
    # The answer to r1 was lost; the client retries it.
    retried, _ = await say(engine, set_status("break"), "r1")
    assert retried.uses_this_shift == 1  # type: ignore[attr-defined]
    assert retried.status.id == "break"  # type: ignore[attr-defined]
    assert (await engine.get("ann")).status.id == "available"

    await say(engine, set_status("break"), "r2")
    await say(engine, set_status("available"))
    with pytest.raises(QuotaExceeded, match="Break used 2 of 2 times this shift"):
        await say(engine, set_status("break"), "r3")

    # Another agent: five copies of one request at once make one use.
    answers = await asyncio.gather(
        *(say(engine, set_status("break"), "same", agent="bob") for _ in range(5))
    )
    assert {a[0].uses_this_shift for a in answers} == {1}  # type: ignore[attr-defined]
    assert (await engine.get("bob")).uses_this_shift == 1


async def test_fifty_agents_twenty_changes_each_leave_contiguous_periods(
    sqlite_url: str, clock: ManualClock
) -> None:
    db = Database(sqlite_url)
    await migrate(db)
    catalog = Catalog(db, clock)
    await catalog.ensure_seeded()
    names = [f"agent-{i:02d}" for i in range(50)]
    for name in names:
        await catalog.create_agent(Agent(id=name, display_name=name))
    engine = PresenceEngine(db, clock, CONFIG)
    await engine.start()
    cycle = ["available", "idle", "meeting", "away"]

    async def run(name: str) -> None:
        for i in range(20):
            await engine.execute(name, c.SetStatus(cycle[i % 4], AGENT))

    try:
        await asyncio.gather(*(run(name) for name in names))
        for name in names:
            history = await periods(db, name)
            assert len(history) == 20
            for before, after in itertools.pairwise(history):
                assert before.end == after.start
    finally:
        await engine.stop()
        await db.dispose()


async def test_end_shift_rules(engine: PresenceEngine) -> None:
    await say(engine, set_status("lunch"))
    with pytest.raises(FailedPrecondition, match="Lunch"):
        await say(engine, c.EndShift(AGENT))

    await say(engine, set_status("available"))
    await say(engine, call("c1"))
    with pytest.raises(FailedPrecondition, match="during a call"):
        await say(engine, c.EndShift(AGENT))
    await say(engine, set_status("break"))
    await say(engine, c.CancelUpcoming(AGENT))
    await say(engine, hang_up("c1"))
    await say(engine, set_status("available"))

    presence, outcome = await say(engine, c.EndShift(AGENT))

    assert outcome is Outcome.APPLIED
    assert presence.status.id == "offline"  # type: ignore[attr-defined]
    assert presence.shift_id == ""  # type: ignore[attr-defined]
    assert presence.upcoming is None  # type: ignore[attr-defined]


async def test_lost_connection_leaves_the_shift_open(engine: PresenceEngine) -> None:
    await say(engine, set_status("available"))
    session, _ = await engine.open_stream("ann", "web")
    await say(engine, c.CloseSession(session, engine.clock.now()))
    presence = await engine.get("ann")
    assert presence.shift_id, "a lost connection leaves the shift open"

    _, outcome = await say(engine, c.EndShift(AGENT))

    assert outcome is Outcome.APPLIED


async def test_call_end_never_reported_closes_at_the_ceiling(
    engine: PresenceEngine, clock: ManualClock
) -> None:
    recorder = Recorder(engine)
    await say(engine, set_status("available"))
    await say(engine, call("lost"))
    await say(engine, set_status("lunch"))

    await clock.advance(timedelta(hours=4))
    await engine.fire_due()

    presence = await engine.get("ann")
    assert presence.activities == ()
    assert presence.status.id == "lunch"
    assert EventType.UPCOMING_APPLIED in recorder.types()
    _, outcome = await say(engine, hang_up("lost"))
    assert outcome is Outcome.UNCHANGED


async def test_restart_keeps_statuses_and_offlines_only_clients_that_never_return(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    first = PresenceEngine(database, clock, CONFIG)
    await first.start()
    for name, status in (("ann", "lunch"), ("bob", "meeting"), ("cat", "available")):
        await first.open_stream(name, "desktop")
        await first.execute(name, c.SetStatus(status, AGENT))
    await clock.advance(timedelta(seconds=10))
    stopped_at = clock.now()
    await first.stop()

    await clock.advance(timedelta(minutes=2))
    boot = clock.now()
    second = PresenceEngine(database, clock, CONFIG)
    recorder = Recorder(second)
    await second.start()
    try:
        statuses = {v.agent_id: v.status.id for v in await second.query()}
        assert statuses == {"ann": "lunch", "bob": "meeting", "cat": "available"}
        assert recorder.events == [], "no bulk changes at boot"

        await clock.set(boot + timedelta(seconds=29))
        await second.fire_due()
        assert (await second.get("cat")).status.id == "available"
        await clock.set(boot + timedelta(seconds=30))
        await second.fire_due()

        cat = await second.get("cat")
        assert cat.status.id == "offline"
        assert cat.since == stopped_at
        assert (await second.get("bob")).status.id == "meeting"
        # Lunch keeps on disconnect in the seeded defaults.
        assert (await second.get("ann")).status.id == "lunch"
    finally:
        await second.stop()


def _with(st: StatusType, **changes: object) -> StatusType:
    return dataclasses.replace(st, **changes)  # type: ignore[arg-type]
