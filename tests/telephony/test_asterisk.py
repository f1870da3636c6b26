"""The Asterisk adapter against the fake Asterisk, over real AMI on TCP.

The engine, the outbox and the sync worker are the real ones, on SQLite and
PostgreSQL. Time (backoff, reconnects) moves only with the test's
ManualClock; everything else is awaited by polling with a deadline.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from pydantic import SecretStr

from presence_server.catalog import Catalog
from presence_server.domain.presence import EventType, Source
from presence_server.domain.status_types import TelephonyMapping
from presence_server.engine.clock import ManualClock
from presence_server.storage import Database
from presence_server.telephony.asterisk import AsteriskAdapter, AsteriskConfig
from tests.helpers.server import poll_until
from tests.telephony.conftest import Stack, map_status, running
from tests.telephony.fake_ami import FakeAsterisk, Received

ANN = "Local/1001@agents/n"
BOB = "Local/1002@agents/n"
WRITES = ("QueueAdd", "QueueRemove", "QueuePause", "DBPut", "DBDel", "Setvar")


@pytest.fixture
async def asterisk() -> AsyncIterator[FakeAsterisk]:
    fake = await FakeAsterisk().start()
    yield fake
    await fake.stop()


def config(fake: FakeAsterisk, **overrides: object) -> AsteriskConfig:
    """The reference setup's interfaces (a plain Asterisk, not FreePBX)."""
    values: dict[str, object] = {
        "host": fake.host,
        "port": fake.port,
        "username": "presence",
        "secret": SecretStr("presence-secret"),
        "member_interface": "Local/{ext}@agents/n",
        "state_interface": "Custom:{ext}",
        "reconnect_initial_seconds": 1,
        "reconnect_max_seconds": 4,
        **overrides,
    }
    return AsteriskConfig(**values)  # type: ignore[arg-type]


def adapter(
    fake: FakeAsterisk, clock: ManualClock, **overrides: object
) -> AsteriskAdapter:
    return AsteriskAdapter("asterisk", config(fake, **overrides), clock)


async def connected(stack: Stack, clock: ManualClock) -> None:
    """Let the adapter (re)connect: backoff waits move with the clock."""

    async def up() -> bool:
        if stack.sync.workers["asterisk"].connected:
            return True
        await clock.advance(timedelta(seconds=5))
        return False

    await poll_until(up, what="the adapter connected")


async def lost(stack: Stack) -> None:
    """Wait until the adapter noticed that Asterisk went away."""

    async def down() -> bool:
        return not stack.sync.workers["asterisk"].connected

    await poll_until(down, what="the loss noticed")


async def settle(stack: Stack) -> None:
    worker = stack.sync.workers["asterisk"]

    async def done() -> bool:
        return worker.connected and worker.queue_depth() == 0

    await poll_until(done, what="the PBX in sync")
    await stack.sync.inbound["asterisk"].drain()


def writes_for(fake: FakeAsterisk, extension: str, since: int = 0) -> list[Received]:
    """Write actions about one extension, received after ``since``."""
    return [
        r
        for r in fake.received[since:]
        if r.action in WRITES and extension in " ".join(v for _, v in r.fields)
    ]


def seat(fake: FakeAsterisk, queue: str, interface: str = ANN) -> tuple[bool, str]:
    member = fake.member(queue, interface)
    assert member is not None, f"{interface} is not in {queue}"
    return member.paused, member.reason


async def test_break_pauses_in_every_queue_with_one_queue_pause(
    database: Database, clock: ManualClock, catalog: Catalog, asterisk: FakeAsterisk
) -> None:
    async with running(database, clock, [adapter(asterisk, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)
        before = len(asterisk.received)

        await stack.say("break")
        await settle(stack)

        pauses = [r for r in asterisk.received[before:] if r.action == "QueuePause"]
        assert [
            (r.get("Interface"), r.get("Paused"), r.get("Reason")) for r in pauses
        ] == [(ANN, "true", "Break")]
        assert pauses[0].get("Queue") == ""
        assert seat(asterisk, "support") == seat(asterisk, "sales") == (True, "Break")
        assert asterisk.presence["CustomPresence:1001"] == ("away", "", "Break")


async def test_available_unpauses_and_meeting_removes_from_the_queues(
    database: Database, clock: ManualClock, catalog: Catalog, asterisk: FakeAsterisk
) -> None:
    async with running(database, clock, [adapter(asterisk, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("lunch")
        await settle(stack)
        paused = seat(asterisk, "support")

        await stack.say("available")
        await settle(stack)
        unpaused = seat(asterisk, "support"), seat(asterisk, "sales")
        await stack.say("meeting")
        await settle(stack)

        assert paused == (True, "Lunch")
        assert unpaused == ((False, ""), (False, ""))
        assert asterisk.member("support", ANN) is None
        assert asterisk.member("sales", ANN) is None
        removed = {r.get("Queue") for r in asterisk.actions("QueueRemove")}
        assert removed == {"support", "sales"}


async def test_members_are_added_with_the_configured_interfaces(
    database: Database, clock: ManualClock, catalog: Catalog, asterisk: FakeAsterisk
) -> None:
    async with running(database, clock, [adapter(asterisk, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)

        added = asterisk.actions("QueueAdd")
        assert {(r.get("Queue"), r.get("Interface")) for r in added} == {
            ("support", ANN),
            ("sales", ANN),
        }
        assert {r.get("StateInterface") for r in added} == {"Custom:1001"}
        assert {r.get("MemberName") for r in added} == {"Ann"}


async def test_pbx_down_for_a_minute_while_the_agent_changes_twenty_times(
    database: Database, clock: ManualClock, catalog: Catalog, asterisk: FakeAsterisk
) -> None:
    plan = ["break", "lunch", "available", "meeting", "break"] * 4
    async with running(database, clock, [adapter(asterisk, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)
        await asterisk.stop()
        await lost(stack)

        for status in plan:
            await stack.say(status)
            await clock.advance(timedelta(seconds=3))
        since = len(asterisk.received)
        await asterisk.start()
        await connected(stack, clock)
        await settle(stack)

        assert seat(asterisk, "support") == seat(asterisk, "sales") == (True, "Break")
        assert _one_write(writes_for(asterisk, "1001", since))
        assert writes_for(asterisk, "1002", since) == []


async def test_server_restarted_during_the_outage_syncs_once_after(
    database: Database, clock: ManualClock, catalog: Catalog, asterisk: FakeAsterisk
) -> None:
    async with running(database, clock, [adapter(asterisk, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)
        await asterisk.stop()
        await lost(stack)
        for status in ["break", "available", "lunch", "meeting", "lunch"] * 4:
            await stack.say(status)
            await clock.advance(timedelta(seconds=3))

    # No change after the restart: what is synced is the stored desired state.
    async with running(database, clock, [adapter(asterisk, clock)]) as stack:
        await clock.advance(timedelta(seconds=30))
        since = len(asterisk.received)
        await asterisk.start()
        await connected(stack, clock)
        await settle(stack)

        assert seat(asterisk, "support") == (True, "Lunch")
        assert _one_write(writes_for(asterisk, "1001", since))


@pytest.mark.parametrize(
    "persistent", [True, False], ids=["persistent-members", "members-forgotten"]
)
async def test_a_pbx_restart_that_forgets_pauses_is_reconciled_on_reconnect(
    database: Database,
    clock: ManualClock,
    catalog: Catalog,
    asterisk: FakeAsterisk,
    persistent: bool,
) -> None:
    asterisk.persistent_members = persistent
    async with running(database, clock, [adapter(asterisk, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("lunch")
        await settle(stack)

        await asterisk.restart(forget_pauses=True)
        await lost(stack)
        await connected(stack, clock)
        await settle(stack)

        assert seat(asterisk, "support") == seat(asterisk, "sales") == (True, "Lunch")
        statuses = asterisk.actions("QueueStatus")
        assert statuses[-1].get("Member") in (ANN, BOB)


async def test_fully_booted_makes_the_adapter_reconcile(
    database: Database, clock: ManualClock, catalog: Catalog, asterisk: FakeAsterisk
) -> None:
    async with running(database, clock, [adapter(asterisk, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("break")
        await settle(stack)
        # Asterisk reloaded its queues behind our back, then says so.
        member = asterisk.member("sales", ANN)
        assert member is not None
        member.paused, member.reason = False, ""

        asterisk.broadcast([("Event", "FullyBooted"), ("Status", "Fully Booted")])
        await poll_until(
            lambda: _true(seat(asterisk, "sales") == (True, "Break")),
            what="the pause restored",
        )
        await settle(stack)


async def test_a_queue_call_defers_lunch_to_hang_up_and_the_echo_changes_nothing(
    database: Database, clock: ManualClock, catalog: Catalog, asterisk: FakeAsterisk
) -> None:
    async with running(database, clock, [adapter(asterisk, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)

        call = asterisk.queue_call("support")
        await poll_until(lambda: _has_activity(stack), what="the call as an activity")
        await stack.say("lunch")
        await clock.advance(timedelta(minutes=3))
        during = await stack.status(), seat(asterisk, "support")
        asterisk.hang_up(call)
        await poll_until(lambda: _status_is(stack, "lunch"), what="Lunch applied")
        await settle(stack)
        revision = (await stack.engine.get("ann")).revision
        await clock.advance(timedelta(seconds=30))
        await settle(stack)

        assert during == ("available", (False, ""))
        assert seat(asterisk, "support") == (True, "Lunch")
        assert await stack.activities() == []
        assert (await stack.engine.get("ann")).revision == revision
        assert stack.sync.health()[0].drift_count == 0
        events = await stack.engine.events_since(0)
        telephony = [e.type for e in events if e.source == Source.TELEPHONY.value]
        # The call started from the PBX; its end applied Lunch (an UPCOMING
        # change); nothing else came from the PBX, the echo included.
        assert telephony == [EventType.ACTIVITY_STARTED.value]


async def test_a_call_on_the_agents_phone_is_an_activity(
    database: Database, clock: ManualClock, catalog: Catalog, asterisk: FakeAsterisk
) -> None:
    async with running(database, clock, [adapter(asterisk, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)

        call = asterisk.device_call("PJSIP/1001", "1001")
        await poll_until(lambda: _has_activity(stack), what="the call started")
        started = await stack.activities()
        asterisk.end_device_call(call, "PJSIP/1001")
        await poll_until(lambda: _no_activity(stack), what="the call ended")

        assert started == [f"asterisk:{call.linkedid}"]


async def test_a_call_that_ended_while_disconnected_ends_on_reconnect(
    database: Database, clock: ManualClock, catalog: Catalog, asterisk: FakeAsterisk
) -> None:
    async with running(database, clock, [adapter(asterisk, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)
        asterisk.queue_call("support")
        await poll_until(lambda: _has_activity(stack), what="the call started")

        # Asterisk crashes mid-call: the call is gone when it is back.
        await asterisk.restart()
        await lost(stack)
        await connected(stack, clock)
        await poll_until(lambda: _no_activity(stack), what="the stale call ended")
        await settle(stack)

        assert await stack.status() == "available"


async def test_dnd_pressed_on_the_phone_becomes_the_mapped_status(
    database: Database, clock: ManualClock, catalog: Catalog, asterisk: FakeAsterisk
) -> None:
    await map_status(
        catalog,
        "away",
        "asterisk",
        TelephonyMapping(do_not_disturb=True, options={"from_phone": "true"}),
    )
    async with running(database, clock, [adapter(asterisk, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)

        asterisk.phone_dnd("1001", on=True)
        await poll_until(lambda: _status_is(stack, "away"), what="Away")
        await settle(stack)

        assert asterisk.astdb[("DND", "1001")] == "YES"
        assert asterisk.device_states["Custom:DND1001"] == "BUSY"
        assert asterisk.member("support", ANN) is None
        assert asterisk.presence["CustomPresence:1001"][0] == "away"


async def test_dnd_follows_the_mapping_the_freepbx_way(
    database: Database, clock: ManualClock, catalog: Catalog, asterisk: FakeAsterisk
) -> None:
    await map_status(
        catalog, "lunch", "asterisk", TelephonyMapping(do_not_disturb=True)
    )
    async with running(database, clock, [adapter(asterisk, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("lunch")
        await settle(stack)
        on = (
            asterisk.astdb.get(("DND", "1001")),
            asterisk.device_states.get("Custom:DND1001"),
        )
        await stack.say("available")
        await settle(stack)

        assert on == ("YES", "BUSY")
        assert ("DND", "1001") not in asterisk.astdb
        assert asterisk.device_states["Custom:DND1001"] == "NOT_INUSE"


async def test_ring_mobile_and_external_calls_when_configured(
    database: Database, clock: ManualClock, catalog: Catalog, asterisk: FakeAsterisk
) -> None:
    from tests.telephony.conftest import set_fields

    await set_fields(catalog, "lunch", ring_mobile=True, external_calls=False)
    await set_fields(catalog, "available", external_calls=True)
    options = {
        "followme": True,
        "followme_list": "{ext}-{mobile_digits}#",
        "external_calls_key": "PRESENCE/{ext}/external",
    }
    async with running(database, clock, [adapter(asterisk, clock, **options)]) as s:
        await connected(s, clock)
        await s.say("available")
        await settle(s)
        available = dict(asterisk.astdb)
        await s.say("lunch")
        await settle(s)
        lunch = dict(asterisk.astdb), asterisk.device_states["Custom:FOLLOWME1001"]
        await s.say("available")
        await settle(s)

        # A missing key means "off": it is first written when turned on.
        assert ("AMPUSER", "1001/followme/ddial") not in available
        assert available[("PRESENCE", "1001/external")] == "YES"
        assert lunch[0][("AMPUSER", "1001/followme/ddial")] == "DIRECT"
        assert lunch[0][("AMPUSER", "1001/followme/grplist")] == "1001-15550001001#"
        assert lunch[0][("PRESENCE", "1001/external")] == "NO"
        assert lunch[1] == "INUSE"
        assert asterisk.astdb[("AMPUSER", "1001/followme/ddial")] == "EXTENSION"
        assert asterisk.device_states["Custom:FOLLOWME1001"] == "NOT_INUSE"
        assert {"ring_mobile", "external_calls"} <= s.sync.health()[0].honours


async def test_outbound_writes_equal_the_real_changes_over_five_minutes(
    database: Database, clock: ManualClock, catalog: Catalog, asterisk: FakeAsterisk
) -> None:
    plan = ["available", "break", "break", "available", "lunch", "available"]
    plan += ["meeting", "meeting", "available", "break", "available", "offline"]
    async with running(database, clock, [adapter(asterisk, clock)]) as stack:
        await connected(stack, clock)
        await settle(stack)
        writes = stack.sync.health()[0].writes
        since = len(asterisk.received)

        for status in plan:
            await stack.say(status)
            await settle(stack)
            await clock.advance(timedelta(seconds=25))

        changes = sum(1 for i, s in enumerate(plan) if i == 0 or plan[i - 1] != s)
        assert stack.sync.health()[0].writes - writes == changes
        pauses = [r for r in asterisk.received[since:] if r.action == "QueuePause"]
        # Each entry into a logged-in status pauses or unpauses once.
        logged_in = [
            s for i, s in enumerate(plan) if s in ("available", "break", "lunch")
        ]
        entries = [
            s
            for i, s in enumerate(plan)
            if s in logged_in and (i == 0 or plan[i - 1] != s)
        ]
        assert len(pauses) == len(entries)
        assert writes_for(asterisk, "1002", since) == []


async def test_a_static_member_refusing_removal_is_reported_once_and_not_retried(
    database: Database,
    clock: ManualClock,
    catalog: Catalog,
    asterisk: FakeAsterisk,
    caplog: pytest.LogCaptureFixture,
) -> None:
    for queue in ("support", "sales"):
        asterisk.add_static_member(queue, ANN, "Ann", "Custom:1001")
    async with running(database, clock, [adapter(asterisk, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)
        # Offline at start was refused too; count from Available on.
        drift = stack.sync.health()[0].drift_count
        before = len(asterisk.actions("QueueRemove"))
        caplog.clear()
        caplog.set_level(logging.WARNING, logger="presence_server")

        await stack.say("meeting")
        await settle(stack)
        tried = len(asterisk.actions("QueueRemove")) - before
        # Ten minutes in steps, so that pings are answered on the way.
        for _ in range(20):
            await clock.advance(timedelta(seconds=30))
            await settle(stack)
        health = stack.sync.health()[0]

        assert tried == 2
        assert len(asterisk.actions("QueueRemove")) - before == tried
        refused = [r for r in caplog.records if "refused by the PBX" in r.getMessage()]
        assert len(refused) == 1
        assert refused[0].levelno == logging.WARNING
        assert "agent ann" in refused[0].getMessage()
        assert "Member not dynamic" in health.last_error
        assert health.drift_count == drift + 1
        assert health.queue_depth == 0
        # What could be written was: the presence of Meeting.
        assert asterisk.presence["CustomPresence:1001"] == ("away", "", "Meeting")
        assert asterisk.member("support", ANN) is not None


async def test_a_refused_state_is_left_but_the_next_change_goes_through(
    database: Database, clock: ManualClock, catalog: Catalog, asterisk: FakeAsterisk
) -> None:
    asterisk.add_static_member("support", ANN, "Ann", "Custom:1001")
    async with running(database, clock, [adapter(asterisk, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("meeting")
        await settle(stack)

        await stack.say("break")
        await settle(stack)

        assert seat(asterisk, "support") == seat(asterisk, "sales") == (True, "Break")
        assert asterisk.presence["CustomPresence:1001"] == ("away", "", "Break")


async def test_a_wrong_secret_is_reported_and_never_logged(
    database: Database,
    clock: ManualClock,
    catalog: Catalog,
    asterisk: FakeAsterisk,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "sup3r-s3cret-value"
    async with running(
        database, clock, [adapter(asterisk, clock, secret=SecretStr(wrong))]
    ) as stack:
        await poll_until(
            lambda: _true(bool(asterisk.actions("Login"))), what="a login attempt"
        )
        await poll_until(
            lambda: _true("refused" in caplog.text), what="the refusal logged"
        )
        await poll_until(
            lambda: _true("refused" in stack.sync.health()[0].last_error),
            what="the refusal in health",
        )
        health = stack.sync.health()[0]

    assert not health.connected
    assert asterisk.actions("Login")[0].get("Secret") == wrong
    assert wrong not in caplog.text
    assert wrong not in repr(config(asterisk, secret=SecretStr(wrong)))
    assert "Authentication failed" in caplog.text


def _one_write(actions: list[Received]) -> bool:
    """At most one write: no action repeated on the same target."""
    targets = [
        (r.action, r.get("Queue"), r.get("Family"), r.get("Variable")) for r in actions
    ]
    return (
        len(targets) == len(set(targets))
        and sum(1 for r in actions if r.action == "QueuePause") <= 1
    )


async def _true(value: bool) -> bool:
    return value


async def _has_activity(stack: Stack) -> bool:
    return bool(await stack.activities())


async def _no_activity(stack: Stack) -> bool:
    return not await stack.activities()


async def _status_is(stack: Stack, status_id: str) -> bool:
    return await stack.status() == status_id
