"""The sync machinery on the shipped fake PBX: outbox, worker, inbound.

The fake adapter plugs in through the same seam as the real ones, so these
tests pin the behaviour every adapter gets for free; the Asterisk tests
repeat the scenarios over the real wire protocol.
"""

from __future__ import annotations

import asyncio
from datetime import timedelta

from sqlalchemy import select

from presence_server.catalog import Catalog
from presence_server.domain.agents import Agent
from presence_server.domain.presence import Source
from presence_server.domain.status_types import TelephonyMapping
from presence_server.engine.clock import ManualClock
from presence_server.storage import Database
from presence_server.storage.presence_models import PeriodRow
from presence_server.storage.telephony_models import TelephonyOutboxRow
from presence_server.telephony import Observed, Seat
from presence_server.telephony.fake import FakeAdapter, FakePbx
from tests.helpers.server import poll_until
from tests.telephony.conftest import Stack, map_status, running


def seats(pbx: FakePbx, extension: str = "1001") -> dict[str, Seat]:
    return dict(pbx.line(extension).queues)


async def synced(stack: Stack, agent_id: str = "ann") -> bool:
    health = stack.sync.health()[0]
    return health.queue_depth == 0 and not stack.sync.workers["fake"].is_busy(agent_id)


async def settle(stack: Stack) -> None:
    """Wait until every agent is confirmed on the PBX and inbound is applied."""
    await poll_until(lambda: synced(stack), what="the PBX in sync")
    await stack.sync.inbound["fake"].drain()


async def test_break_pauses_the_agent_in_every_queue_with_its_name_as_reason(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    pbx = FakePbx()
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await stack.say("available")
        await stack.say("break")
        await settle(stack)

        assert seats(pbx) == {
            "support": Seat(True, "Break"),
            "sales": Seat(True, "Break"),
        }


async def test_available_unpauses_and_meeting_logs_out_of_the_queues(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    pbx = FakePbx()
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await stack.say("lunch")
        await settle(stack)
        await stack.say("available")
        await settle(stack)
        unpaused = seats(pbx)
        await stack.say("meeting")
        await settle(stack)

        assert unpaused == {"support": Seat(False), "sales": Seat(False)}
        assert seats(pbx) == {}
        assert pbx.line("1001").presence == "away"
        assert pbx.line("1001").presence_message == "Meeting"


async def test_pause_reason_and_dnd_come_from_the_adapters_mapping(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    await map_status(
        catalog,
        "break",
        "fake",
        TelephonyMapping(pause_reason="coffee", do_not_disturb=True),
    )
    await map_status(catalog, "break", "other", TelephonyMapping(pause_reason="x"))
    pbx = FakePbx()
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await stack.say("break")
        await settle(stack)

        assert seats(pbx)["support"] == Seat(True, "coffee")
        assert pbx.line("1001").do_not_disturb


async def test_the_desired_state_commits_with_the_status_change(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    pbx = FakePbx()
    pbx.up = False
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await stack.say("available")
        await stack.say("break")

        # Read right after the answer: written in the change's transaction.
        async with database.read() as session:
            row = await session.get(TelephonyOutboxRow, ("fake", "ann"))

        assert row is not None
        assert row.desired["status_id"] == "break"
        assert row.version > row.synced_version


async def test_pbx_down_for_a_minute_gets_only_the_latest_state_once(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    pbx = FakePbx()
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await stack.say("available")
        await settle(stack)
        pbx.go_down()
        before = len(pbx.attempts)

        for i in range(20):
            await stack.say(["break", "lunch", "available", "meeting"][i % 4])
            await clock.advance(timedelta(seconds=3))
        pbx.come_up()
        await settle(stack)

        assert await stack.status() == "meeting"
        assert seats(pbx) == {}
        assert [d.status_id for _, d in pbx.attempts[before:]] == ["meeting"]


async def test_server_restarted_during_the_outage_syncs_the_latest_state(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    pbx = FakePbx()
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await stack.say("available")
        await settle(stack)
        pbx.go_down()
        for status in ("break", "available", "lunch"):
            await stack.say(status)
    before = len(pbx.attempts)
    await clock.advance(timedelta(seconds=30))

    # No change after the restart: only the stored desired state can tell
    # the new server that Lunch is wanted.
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        pbx.come_up()
        await settle(stack)

        assert await stack.status() == "lunch"
        assert seats(pbx)["sales"] == Seat(True, "Lunch")
        assert [d.status_id for _, d in pbx.attempts[before:]] == ["lunch"]


async def test_a_pbx_restart_that_forgets_pauses_is_reconciled(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    pbx = FakePbx()
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await stack.say("lunch")
        await settle(stack)
        writes = len(pbx.writes)

        pbx.restart(forget_pauses=True)
        await settle(stack)

        assert seats(pbx)["support"] == Seat(True, "Lunch")
        # ann was fixed; bob (Offline, in no queue) was found in sync.
        assert [ext for ext, _ in pbx.writes[writes:]] == ["1001"]


async def test_a_refused_write_is_retried_with_the_latest_state_only(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    pbx = FakePbx()
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await stack.say("available")
        await settle(stack)
        pbx.refuse_writes = 1
        await stack.say("break")
        await poll_until(
            lambda: _async(stack.sync.health()[0].last_error != ""),
            what="the refusal",
        )

        await stack.say("lunch")
        await settle(stack)

        statuses = [d.status_id for _, d in pbx.attempts]
        assert statuses[-2:] == ["break", "lunch"]
        assert seats(pbx)["support"] == Seat(True, "Lunch")
        assert "refused" in stack.sync.health()[0].last_error


async def test_a_write_that_did_not_stick_is_counted_as_drift_and_retried(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    pbx = FakePbx()
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await stack.say("available")
        await settle(stack)
        pbx.lose_writes = 1

        await stack.say("break")
        await poll_until(
            lambda: _async(stack.sync.health()[0].drift_count == 1), what="drift"
        )
        await clock.advance(timedelta(seconds=1))
        await settle(stack)

        assert seats(pbx)["support"] == Seat(True, "Break")
        assert [d.status_id for _, d in pbx.attempts[-2:]] == ["break", "break"]
        assert "differs after write" in stack.sync.health()[0].last_error


async def test_a_call_on_the_pbx_defers_lunch_until_hang_up(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    pbx = FakePbx()
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await stack.say("available")
        await settle(stack)
        call = pbx.start_call("1001")
        await settle(stack)

        await stack.say("lunch")
        during = await stack.status(), seats(pbx)["support"]
        await clock.advance(timedelta(minutes=2))
        pbx.end_call(call)
        await settle(stack)

        assert during == ("available", Seat(False))
        assert await stack.status() == "lunch"
        assert await stack.activities() == []
        assert seats(pbx)["support"] == Seat(True, "Lunch")
        async with database.read() as session:
            calls = await session.scalars(
                select(PeriodRow).where(PeriodRow.status_id == "call")
            )
            assert [p.actor for p in calls] == ["fake"]


async def test_the_echo_of_our_own_write_changes_nothing(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    pbx = FakePbx()
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await stack.say("break")
        await settle(stack)
        revision = (await stack.engine.get("ann")).revision
        writes = len(pbx.writes)

        # What the PBX would announce after our pause, once we are idle.
        stack.sync.workers["fake"].sink.observed(
            "ann", Observed(queues={"sales": Seat(True, "Break")})
        )
        await settle(stack)

        assert (await stack.engine.get("ann")).revision == revision
        assert len(pbx.writes) == writes
        assert stack.sync.health()[0].drift_count == 0


async def test_dnd_on_the_phone_selects_the_status_mapped_from_the_phone(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    await map_status(
        catalog,
        "away",
        "fake",
        TelephonyMapping(do_not_disturb=True, options={"from_phone": "true"}),
    )
    await map_status(
        catalog, "available", "fake", TelephonyMapping(options={"from_phone": "true"})
    )
    pbx = FakePbx()
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await stack.say("available")
        await settle(stack)

        pbx.press_dnd("1001", on=True)
        await poll_until(lambda: _status_is(stack, "away"), what="Away")
        await settle(stack)
        away = await stack.engine.get("ann")
        pbx.press_dnd("1001", on=False)
        await poll_until(lambda: _status_is(stack, "available"), what="Available")
        await settle(stack)

        assert away.status.id == "away"
        assert pbx.line("1001").do_not_disturb is False
        async with database.read() as session:
            period = await session.scalar(
                select(PeriodRow).where(PeriodRow.status_id == "away")
            )
        assert period is not None
        assert (period.source, period.actor) == (Source.TELEPHONY.value, "fake")


async def test_a_phone_change_no_status_maps_is_put_back(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    pbx = FakePbx()
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await stack.say("available")
        await settle(stack)

        pbx.press_dnd("1001", on=True)
        await poll_until(
            lambda: _async(pbx.line("1001").do_not_disturb is False),
            what="DND put back",
        )

        assert await stack.status() == "available"
        assert stack.sync.health()[0].drift_count == 1


async def test_outbound_writes_equal_the_real_changes_over_a_run(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    pbx = FakePbx()
    plan = ["available", "break", "available", "lunch", "lunch", "available"]
    plan += ["meeting", "available", "break", "break", "available", "offline"]
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        # The empty PBX gets each agent's Offline state once, at start.
        await settle(stack)
        first = [(ext, d.status_id) for ext, d in pbx.writes]
        del pbx.writes[:]

        for status in plan:
            await stack.say(status)
            await settle(stack)
            await clock.advance(timedelta(seconds=25))

        changes = [s for i, s in enumerate(plan) if i == 0 or plan[i - 1] != s]
        assert sorted(first) == [("1001", "offline"), ("1002", "offline")]
        assert [d.status_id for d in pbx.writes_for("1001")] == changes
        assert pbx.writes_for("1002") == []


async def test_stopping_during_a_slow_write_is_prompt_and_resumes_after(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    pbx = FakePbx()
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await settle(stack)
        pbx.hold = asyncio.Event()
        await stack.say("break")
        await poll_until(
            lambda: _async(pbx.attempts[-1][1].status_id == "break"),
            what="the write",
        )
        loop = asyncio.get_running_loop()
        started = loop.time()
    stopped_in = loop.time() - started
    pbx.hold = None

    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await settle(stack)

        assert stopped_in < 2
        assert seats(pbx)["support"] == Seat(True, "Break")


async def test_a_new_agent_is_logged_out_on_the_pbx_before_its_first_status(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    pbx = FakePbx()
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await settle(stack)
        catalog.add_listener(stack.sync.catalog_changed)

        await catalog.create_agent(
            Agent(id="cy", display_name="Cy", extension="1003", queues=("support",))
        )
        await poll_until(
            lambda: _async(bool(pbx.writes_for("1003"))), what="the new agent"
        )
        await poll_until(lambda: synced(stack, "cy"), what="the new agent synced")

        [desired] = pbx.writes_for("1003")
        assert desired.status_id == "offline"
        assert (desired.state.logged_in, desired.queues) == (False, frozenset())


async def test_health_shows_connection_depth_and_what_the_adapter_honours(
    database: Database, clock: ManualClock, catalog: Catalog
) -> None:
    pbx = FakePbx()
    async with running(database, clock, [FakeAdapter(pbx=pbx)]) as stack:
        await settle(stack)
        pbx.go_down()
        await stack.say("break")
        await stack.say("break", agent_id="bob")
        down = stack.sync.health()[0]
        pbx.come_up()
        await settle(stack)
        up = stack.sync.health()[0]

        assert (down.connected, down.queue_depth) == (False, 2)
        assert "the fake PBX is down" in down.last_error
        assert (up.connected, up.queue_depth) == (True, 0)
        assert "paused" in up.honours
        assert up.writes >= 2


async def _async(value: bool) -> bool:
    return value


async def _status_is(stack: Stack, status_id: str) -> bool:
    return await stack.status() == status_id
