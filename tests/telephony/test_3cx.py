"""The 3CX adapter against the fake 3CX, over real HTTP and a real websocket.

The engine, the outbox and the sync worker are the real ones, on SQLite and
PostgreSQL. Time (token expiry, backoff, reconnects) moves only with the
test's ManualClock; everything else is awaited by polling with a deadline.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import pytest
from pydantic import SecretStr, ValidationError

from presence_server.catalog import Catalog
from presence_server.domain.presence import EventType, Source
from presence_server.domain.status_types import TelephonyMapping
from presence_server.engine.clock import ManualClock
from presence_server.storage import Database
from presence_server.telephony import AdapterRegistry
from presence_server.telephony.threecx import PLUGIN, ThreeCxAdapter, ThreeCxConfig
from presence_server.telephony.threecx.client import odata_literal
from presence_server.telephony.threecx.profiles import Profile, resolve
from tests.helpers.server import poll_until
from tests.telephony.conftest import Stack, map_status, running, set_fields
from tests.telephony.fake_3cx import FAKE_LOGGER, Fake3cx

SECRET = "3cx-s3cret-value"


@pytest.fixture
async def pbx(clock: ManualClock) -> AsyncIterator[Fake3cx]:
    fake = await Fake3cx(clock, client_secret=SECRET).start()
    yield fake
    await fake.stop()


def config(fake: Fake3cx, **overrides: object) -> ThreeCxConfig:
    values: dict[str, object] = {
        "url": fake.url,
        "client_id": fake.client_id,
        "client_secret": SecretStr(SECRET),
        "reconnect_initial_seconds": 1,
        "reconnect_max_seconds": 4,
        **overrides,
    }
    return ThreeCxConfig(**values)  # type: ignore[arg-type]


def adapter(fake: Fake3cx, clock: ManualClock, **overrides: object) -> ThreeCxAdapter:
    return ThreeCxAdapter("3cx", config(fake, **overrides), clock)


async def connected(stack: Stack, clock: ManualClock) -> None:
    """Let the adapter (re)connect: backoff waits move with the clock."""

    async def up() -> bool:
        if stack.sync.workers["3cx"].connected:
            return True
        await clock.advance(timedelta(seconds=5))
        return False

    await poll_until(up, what="the adapter connected")


async def lost(stack: Stack) -> None:
    async def down() -> bool:
        return not stack.sync.workers["3cx"].connected

    await poll_until(down, what="the loss noticed")


async def settle(stack: Stack) -> None:
    worker = stack.sync.workers["3cx"]

    async def done() -> bool:
        return worker.connected and worker.queue_depth() == 0

    await poll_until(done, what="the PBX in sync")
    await stack.sync.inbound["3cx"].drain()


def state(pbx: Fake3cx, number: str = "1001") -> tuple[str, str]:
    user = pbx.user(number)
    return user.current_profile, user.queue_status


async def test_break_sets_the_away_profile_and_available_sets_it_back(
    database: Database, clock: ManualClock, catalog: Catalog, pbx: Fake3cx
) -> None:
    async with running(database, clock, [adapter(pbx, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)
        available = state(pbx)
        since = len(pbx.received)

        await stack.say("break")
        await settle(stack)
        on_break = state(pbx)
        await stack.say("available")
        await settle(stack)

        assert available == ("Available", "LoggedIn")
        assert on_break == ("Away", "LoggedOut")
        assert state(pbx) == ("Available", "LoggedIn")
        bodies = [r.json() for r in pbx.patches("1001", since)]
        assert bodies == [
            {"CurrentProfileName": "Away", "QueueStatus": "LoggedOut"},
            {"CurrentProfileName": "Available", "QueueStatus": "LoggedIn"},
        ]
        assert {r.status for r in pbx.patches("1001")} == {204}


async def test_a_status_without_queue_login_logs_out_of_the_queues(
    database: Database, clock: ManualClock, catalog: Catalog, pbx: Fake3cx
) -> None:
    async with running(database, clock, [adapter(pbx, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)

        await stack.say("meeting")
        await settle(stack)

        assert state(pbx) == ("Away", "LoggedOut")


async def test_the_mapping_names_the_profile_and_may_keep_the_queue_login(
    database: Database, clock: ManualClock, catalog: Catalog, pbx: Fake3cx
) -> None:
    mapping = TelephonyMapping(
        presence_profile="Custom 1", options={"queue_status": "LoggedIn"}
    )
    await map_status(catalog, "lunch", "3cx", mapping)
    async with running(database, clock, [adapter(pbx, clock)]) as stack:
        await connected(stack, clock)

        await stack.say("lunch")
        await settle(stack)
        writes = stack.sync.health()[0].writes
        # A reconcile finds the PBX as desired: nothing is written again.
        stack.sync.workers["3cx"].reconcile()
        await settle(stack)

        assert state(pbx) == ("Custom 1", "LoggedIn")
        assert stack.sync.health()[0].writes == writes
        assert stack.sync.health()[0].drift_count == 0


@pytest.mark.parametrize(
    ("configured", "sent"),
    [
        ("Lunch break", "Custom 1"),
        ("LUNCH BREAK", "Custom 1"),
        ("Away", "Away"),
        ("OutOfOffice", "Out of office"),
        ("Available2", "Custom 1"),
    ],
    ids=["custom-name", "custom-name-any-case", "token-away", "token", "token-custom"],
)
async def test_a_mapped_profile_is_found_among_the_users_and_its_name_sent(
    database: Database,
    clock: ManualClock,
    catalog: Catalog,
    pbx: Fake3cx,
    configured: str,
    sent: str,
) -> None:
    await map_status(catalog, "lunch", "3cx", TelephonyMapping(configured))
    async with running(database, clock, [adapter(pbx, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)
        since = len(pbx.received)

        await stack.say("lunch")
        await settle(stack)
        writes = stack.sync.health()[0].writes
        # Read back with the same resolution: a reconcile writes nothing.
        stack.sync.workers["3cx"].reconcile()
        await settle(stack)

        assert [r.json() for r in pbx.patches("1001", since)] == [
            {"CurrentProfileName": sent, "QueueStatus": "LoggedOut"}
        ]
        assert state(pbx) == (sent, "LoggedOut")
        assert stack.sync.health()[0].writes == writes
        assert stack.sync.health()[0].drift_count == 0


async def test_an_unknown_profile_is_reported_once_not_retried_and_the_next_goes(
    database: Database,
    clock: ManualClock,
    catalog: Catalog,
    pbx: Fake3cx,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    await map_status(catalog, "lunch", "3cx", TelephonyMapping("Siesta"))
    async with running(database, clock, [adapter(pbx, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)
        since = len(pbx.received)

        await stack.say("lunch")
        await settle(stack)
        refused = stack.sync.health()[0]
        await clock.advance(timedelta(minutes=5))
        stack.sync.workers["3cx"].reconcile()
        await settle(stack)
        after_reconcile = len(pbx.patches("1001", since))
        await stack.say("available")
        await settle(stack)

        # The rest of the desired state is written; the profile is not.
        assert [r.json() for r in pbx.patches("1001", since)] == [
            {"QueueStatus": "LoggedOut"},
            {"QueueStatus": "LoggedIn"},
        ]
        assert after_reconcile == 1
        assert refused.drift_count == 1
        assert "'Siesta'" in refused.last_error
        assert "Custom 1 (Lunch break)" in refused.last_error
        warnings = [
            r.getMessage()
            for r in caplog.records
            if r.levelno == logging.WARNING and "Siesta" in r.getMessage()
        ]
        assert len(warnings) == 1
        assert "agent ann" in warnings[0]
        assert "Available, Away, Out of office" in warnings[0]
        assert state(pbx) == ("Available", "LoggedIn")


async def test_ring_my_mobile_is_left_alone_unless_the_adapter_is_told_to_set_it(
    database: Database, clock: ManualClock, catalog: Catalog, pbx: Fake3cx
) -> None:
    # An administrator's RingMyMobile survives a server that was not asked
    # to manage it, whatever the statuses' ring_mobile says.
    await set_fields(catalog, "lunch", ring_mobile=True)
    ann = pbx.user("1001")
    ann.profile("Available").ring_my_mobile = True
    async with running(database, clock, [adapter(pbx, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)
        await stack.say("lunch")
        await settle(stack)

        assert "ring_mobile" not in stack.sync.health()[0].honours
    assert ann.profile("Available").ring_my_mobile is True
    assert not [r for r in pbx.received if b"ForwardingProfiles" in r.body]


async def test_ring_mobile_is_set_on_the_selected_profile_with_the_profile_change(
    database: Database, clock: ManualClock, catalog: Catalog, pbx: Fake3cx
) -> None:
    await set_fields(catalog, "lunch", ring_mobile=True)
    await map_status(catalog, "lunch", "3cx", TelephonyMapping("Lunch break"))
    ann = pbx.user("1001")
    ann.profile("Available").ring_my_mobile = True
    three = adapter(pbx, clock, ring_mobile=True)
    async with running(database, clock, [three]) as stack:
        await connected(stack, clock)
        await settle(stack)
        since = len(pbx.received)

        await stack.say("available")
        await settle(stack)
        available = ann.profile("Available").ring_my_mobile
        await stack.say("lunch")
        await settle(stack)

        assert available is False
        assert ann.profile("Custom 1").ring_my_mobile is True
        assert [r.json() for r in pbx.patches("1001", since)] == [
            {
                "CurrentProfileName": "Available",
                "QueueStatus": "LoggedIn",
                "ForwardingProfiles": [{"Id": 71, "RingMyMobile": False}],
            },
            {
                "CurrentProfileName": "Custom 1",
                "QueueStatus": "LoggedOut",
                "ForwardingProfiles": [{"Id": 74, "RingMyMobile": True}],
            },
        ]
        assert "ring_mobile" in stack.sync.health()[0].honours
        assert stack.sync.health()[0].drift_count == 0


async def test_ring_my_mobile_changed_on_the_pbx_is_set_back_on_reconcile(
    database: Database, clock: ManualClock, catalog: Catalog, pbx: Fake3cx
) -> None:
    await set_fields(catalog, "lunch", ring_mobile=True)
    three = adapter(pbx, clock, ring_mobile=True)
    async with running(database, clock, [three]) as stack:
        await connected(stack, clock)
        await stack.say("lunch")
        await settle(stack)
        since = len(pbx.received)

        pbx.user("1001").profile("Away").ring_my_mobile = False
        stack.sync.workers["3cx"].reconcile()
        await settle(stack)

        assert pbx.user("1001").profile("Away").ring_my_mobile is True
        assert [r.json() for r in pbx.patches("1001", since)] == [
            {"ForwardingProfiles": [{"Id": 72, "RingMyMobile": True}]}
        ]


async def test_ring_my_mobile_not_applied_by_the_pbx_shows_as_drift_and_is_retried(
    database: Database, clock: ManualClock, catalog: Catalog, pbx: Fake3cx
) -> None:
    await set_fields(catalog, "lunch", ring_mobile=True)
    three = adapter(pbx, clock, ring_mobile=True)
    async with running(database, clock, [three]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)

        pbx.drop_patches = 1
        await stack.say("lunch")
        worker = stack.sync.workers["3cx"]
        await poll_until(lambda: _true(worker.drift_count == 1), what="the drift")
        health = stack.sync.health()[0]
        await clock.advance(timedelta(seconds=2))
        await settle(stack)

        assert "ring_mobile" in health.last_error
        assert pbx.user("1001").profile("Away").ring_my_mobile is True
        assert state(pbx) == ("Away", "LoggedOut")
        assert stack.sync.health()[0].drift_count == 1


@pytest.mark.parametrize(
    ("wanted", "found"),
    [("Custom 2", 5), ("out of office", 3), ("OutOfOffice2", 5), ("Default", None)],
    ids=["name", "name-any-case", "token", "no-default-profile"],
)
def test_profile_names_resolve_by_name_custom_name_then_type(
    wanted: str, found: int | None
) -> None:
    profiles = [
        Profile(1, "Available"),
        Profile(2, "Away"),
        Profile(3, "Out of office"),
        Profile(4, "Custom 1", "Custom 2"),
        Profile(5, "Custom 2"),
    ]

    resolved = resolve(wanted, profiles)

    assert (resolved.id if resolved else None) == found


async def test_pbx_down_while_the_agent_changes_twenty_times_writes_once_after(
    database: Database, clock: ManualClock, catalog: Catalog, pbx: Fake3cx
) -> None:
    plan = ["break", "lunch", "available", "meeting", "break"] * 4
    async with running(database, clock, [adapter(pbx, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)
        await pbx.stop()
        await lost(stack)

        for status in plan:
            await stack.say(status)
            await clock.advance(timedelta(seconds=3))
        since = len(pbx.received)
        await pbx.start()
        await connected(stack, clock)
        await settle(stack)

        assert state(pbx) == ("Away", "LoggedOut")
        assert [r.json() for r in pbx.patches("1001", since)] == [
            {"CurrentProfileName": "Away", "QueueStatus": "LoggedOut"}
        ]
        assert pbx.patches("1002", since) == []


async def test_server_restarted_during_the_outage_syncs_once_after(
    database: Database, clock: ManualClock, catalog: Catalog, pbx: Fake3cx
) -> None:
    async with running(database, clock, [adapter(pbx, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)
        await pbx.stop()
        await lost(stack)
        for status in ["break", "available", "lunch", "meeting", "offline"] * 4:
            await stack.say(status)
            await clock.advance(timedelta(seconds=3))

    # No change after the restart: what is synced is the stored desired state.
    async with running(database, clock, [adapter(pbx, clock)]) as stack:
        await clock.advance(timedelta(seconds=30))
        since = len(pbx.received)
        await pbx.start()
        await connected(stack, clock)
        await settle(stack)

        assert await stack.status() == "offline"
        assert state(pbx) == ("Out of office", "LoggedOut")
        assert [r.json() for r in pbx.patches("1001", since)] == [
            {"CurrentProfileName": "Out of office", "QueueStatus": "LoggedOut"}
        ]
        assert pbx.patches("1002", since) == []


async def test_a_3cx_restart_that_forgets_the_profiles_is_reconciled_on_reconnect(
    database: Database, clock: ManualClock, catalog: Catalog, pbx: Fake3cx
) -> None:
    async with running(database, clock, [adapter(pbx, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await stack.say("lunch")
        await settle(stack)
        before = state(pbx)
        since = len(pbx.received)

        await pbx.restart(forget=True)
        forgotten = state(pbx)
        await lost(stack)
        await connected(stack, clock)
        await settle(stack)

        assert before == ("Away", "LoggedOut")
        assert forgotten == ("Available", "LoggedOut")
        assert state(pbx) == ("Away", "LoggedOut")
        assert [r.json() for r in pbx.patches("1001", since)] == [
            {"CurrentProfileName": "Away"}
        ]
        # Bob was Offline: the PBX forgot that too, and it is restored.
        assert state(pbx, "1002") == ("Out of office", "LoggedOut")


async def test_outbound_writes_equal_the_real_changes_over_five_minutes(
    database: Database, clock: ManualClock, catalog: Catalog, pbx: Fake3cx
) -> None:
    # Twelve steps of 25 s. "call" starts a call on 1001, "hang-up" ends it.
    plan = ["available", "break", "available", "call", "lunch", "hang-up"]
    plan += ["available", "meeting", "lunch", "break", "available", "offline"]
    # What 3CX should hold after each step: Lunch waits for the hang-up, and
    # Meeting, Lunch and Break all mean Away and logged out on 3CX.
    away = ("Away", "LoggedOut")
    expected = [("Available", "LoggedIn"), away, ("Available", "LoggedIn")]
    expected += [("Available", "LoggedIn")] * 2 + [away]
    expected += [("Available", "LoggedIn"), away, away, away]
    expected += [("Available", "LoggedIn"), ("Out of office", "LoggedOut")]
    async with running(database, clock, [adapter(pbx, clock)]) as stack:
        await connected(stack, clock)
        await settle(stack)
        writes = stack.sync.health()[0].writes
        since = len(pbx.received)
        seen: list[tuple[str, str]] = []
        call = None

        for step in plan:
            if step == "call":
                call = pbx.start_call("1001")
                await poll_until(lambda: _has_activity(stack), what="the call")
            elif step == "hang-up":
                assert call is not None
                pbx.end_call(call)
                await poll_until(lambda: _no_activity(stack), what="the hang-up")
            else:
                await stack.say(step)
            await settle(stack)
            seen.append(state(pbx))
            await clock.advance(timedelta(seconds=25))

        # Every step whose 3CX state differs from the one before (the first
        # from Offline's "Out of office").
        real = [s for i, s in enumerate(expected) if i == 0 or expected[i - 1] != s]
        health = stack.sync.health()[0]
        assert seen == expected
        assert health.writes - writes == len(real)
        bodies = [r.json() for r in pbx.patches("1001", since)]
        assert len(bodies) == len(real)
        assert pbx.patches("1002", since) == []
        assert health.drift_count == 0


async def test_a_call_defers_lunch_to_hang_up_and_changes_nothing_else(
    database: Database, clock: ManualClock, catalog: Catalog, pbx: Fake3cx
) -> None:
    async with running(database, clock, [adapter(pbx, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)

        call = pbx.start_call("1001")
        await poll_until(lambda: _has_activity(stack), what="the call as an activity")
        started = await stack.activities()
        await stack.say("lunch")
        await clock.advance(timedelta(minutes=3))
        during = await stack.status(), state(pbx)
        pbx.end_call(call)
        await poll_until(lambda: _status_is(stack, "lunch"), what="Lunch applied")
        await settle(stack)

        assert started == [f"3cx:{call.callid}"]
        assert during == ("available", ("Available", "LoggedIn"))
        assert state(pbx) == ("Away", "LoggedOut")
        assert await stack.activities() == []
        assert stack.sync.health()[0].drift_count == 0
        events = await stack.engine.events_since(0)
        telephony = [e.type for e in events if e.source == Source.TELEPHONY.value]
        assert telephony == [EventType.ACTIVITY_STARTED.value]


async def test_a_reconnect_rereads_the_calls_and_ends_one_that_ended_meanwhile(
    database: Database, clock: ManualClock, catalog: Catalog, pbx: Fake3cx
) -> None:
    async with running(database, clock, [adapter(pbx, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)
        call = pbx.start_call("1001")
        await poll_until(lambda: _has_activity(stack), what="the call started")
        since = len(pbx.received)

        await pbx.stop()
        await lost(stack)
        # The call ends while the websocket is down: no event reaches us.
        pbx.end_call(call)
        await pbx.start()
        await connected(stack, clock)
        await poll_until(lambda: _no_activity(stack), what="the stale call ended")
        await settle(stack)

        after = [(r.method, r.path) for r in pbx.received[since:]]
        assert ("GET", "/callcontrol") in after
        assert pbx.sockets == 1
        assert await stack.status() == "available"


async def test_the_token_is_renewed_before_it_expires(
    database: Database, clock: ManualClock, catalog: Catalog, pbx: Fake3cx
) -> None:
    pbx.expires_in = 300
    async with running(database, clock, [adapter(pbx, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)
        tokens = len(pbx.requests("POST", "/connect/token"))

        # Within the refresh margin (60 s) of the expiry, not past it.
        await clock.advance(timedelta(seconds=250))
        await stack.say("break")
        await settle(stack)

        assert tokens == 1
        assert len(pbx.requests("POST", "/connect/token")) == 2
        assert [r for r in pbx.received if r.status == 401] == []
        assert state(pbx) == ("Away", "LoggedOut")


async def test_a_refused_token_is_fetched_again_once_and_the_write_goes_through(
    database: Database, clock: ManualClock, catalog: Catalog, pbx: Fake3cx
) -> None:
    async with running(database, clock, [adapter(pbx, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("available")
        await settle(stack)
        since = len(pbx.received)

        pbx.revoke_tokens()
        await stack.say("break")
        await settle(stack)

        after = pbx.received[since:]
        assert [r.status for r in after][:3] == [401, 200, 200]
        assert [r.path for r in after][1] == "/connect/token"
        assert len([r for r in after if r.status == 401]) == 1
        assert state(pbx) == ("Away", "LoggedOut")


async def test_the_client_secret_never_appears_in_logs_or_health(
    database: Database,
    clock: ManualClock,
    catalog: Catalog,
    pbx: Fake3cx,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    wrong = "wr0ng-s3cret-value"
    async with running(database, clock, [adapter(pbx, clock)]) as stack:
        await connected(stack, clock)
        await stack.say("break")
        await settle(stack)
    async with running(
        database, clock, [adapter(pbx, clock, client_secret=SecretStr(wrong))]
    ) as stack:
        await poll_until(
            lambda: _true(
                "refused the credentials" in stack.sync.health()[0].last_error
            ),
            what="the refusal in health",
        )
        health = stack.sync.health()[0]

    ours = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''}"
        for r in caplog.records
        if not r.name.startswith(FAKE_LOGGER)
    )
    assert not health.connected
    assert pbx.requests("POST", "/connect/token")[-1].body.count(wrong.encode()) == 1
    assert "refused the credentials" in ours
    assert SECRET not in ours
    assert wrong not in ours
    assert "Bearer" not in ours
    assert wrong not in health.last_error
    assert wrong not in repr(config(pbx, client_secret=SecretStr(wrong)))


def test_settings_read_the_secret_from_a_file_and_never_echo_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET + "\n", encoding="utf-8")
    monkeypatch.setenv("PRESENCE_TELEPHONY_3CX_URL", "https://pbx.example/")
    monkeypatch.setenv("PRESENCE_TELEPHONY_3CX_CLIENT_ID", "presence")
    monkeypatch.setenv("PRESENCE_TELEPHONY_3CX_CLIENT_SECRET_FILE", str(secret_file))

    loaded = AdapterRegistry().config("3cx")
    monkeypatch.setenv("PRESENCE_TELEPHONY_3CX_PING_SECONDS", "-1")
    monkeypatch.setenv("PRESENCE_TELEPHONY_3CX_CLIENT_SECRET", SECRET)
    with pytest.raises(ValidationError) as refused:
        ThreeCxConfig()

    assert AdapterRegistry().plugin("3cx") is PLUGIN
    assert loaded.url == "https://pbx.example"
    assert loaded.client_secret.get_secret_value() == SECRET
    assert SECRET not in repr(loaded)
    assert SECRET not in str(refused.value)


@pytest.mark.parametrize(
    ("value", "literal"),
    [("101", "'101'"), ("O'Brien", "'O''Brien'"), ("''", "''''''")],
    ids=["plain", "one-quote", "only-quotes"],
)
def test_odata_literals_double_their_quotes(value: str, literal: str) -> None:
    assert odata_literal(value) == literal


async def _true(value: bool) -> bool:
    return value


async def _has_activity(stack: Stack) -> bool:
    return bool(await stack.activities())


async def _no_activity(stack: Stack) -> bool:
    return not await stack.activities()


async def _status_is(stack: Stack, status_id: str) -> bool:
    return await stack.status() == status_id
