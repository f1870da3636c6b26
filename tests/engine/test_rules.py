"""The transition rules, applied directly: no database, no clock, no server."""

from __future__ import annotations

import dataclasses
from datetime import UTC, datetime, timedelta

import pytest

from presence_server.domain.errors import (
    Aborted,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    QuotaExceeded,
)
from presence_server.domain.presence import (
    ActivityKind,
    Actor,
    ConnectionState,
    EventType,
    Outcome,
    Presence,
    Session,
    SessionKind,
    Source,
)
from presence_server.domain.status_types import (
    BUILT_IN_TYPES,
    SEEDED_TYPES,
    StatusType,
)
from presence_server.engine import commands as c
from presence_server.engine import rules

T0 = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)
AGENT = Actor(Source.AGENT, "ann")
CONFIG = rules.EngineConfig(
    grace=timedelta(seconds=30),
    activity_ceiling=timedelta(hours=4),
    max_shift=timedelta(hours=16),
    wrap_up={},
)


def catalog(**changes: dict[str, object]) -> dict[str, StatusType]:
    types = {t.id: t for t in (*BUILT_IN_TYPES, *SEEDED_TYPES)}
    for type_id, fields in changes.items():
        types[type_id] = dataclasses.replace(types[type_id], **fields)  # type: ignore[arg-type]
    return types


class Agent:
    """One agent driven through the rules, keeping everything they left."""

    def __init__(
        self,
        types: dict[str, StatusType] | None = None,
        config: rules.EngineConfig = CONFIG,
    ) -> None:
        self.types = types or catalog()
        self.config = config
        self.now = T0
        self.presence: Presence = rules.new_presence("ann", T0)
        self.events: list[rules.Change] = []
        self.periods: list[object] = []
        self.activity_records: list[object] = []

    def at(self, minutes: float) -> Agent:
        self.now = T0 + timedelta(minutes=minutes)
        return self

    def do(self, command: c.Command) -> rules.Result:
        result = rules.apply(self.presence, command, self.types, self.config, self.now)
        self.presence = result.presence
        self.events += result.changes
        self.periods += result.periods
        self.activity_records += result.activities
        return result

    def set(self, status: str) -> rules.Result:
        return self.do(c.SetStatus(status, AGENT))

    def call(self, call_id: str) -> rules.Result:
        return self.do(c.StartActivity(ActivityKind.CALL, call_id, AGENT))

    def hang_up(self, call_id: str, wrap_up: int | None = None) -> rules.Result:
        return self.do(c.EndActivity(call_id, AGENT, wrap_up))

    def tick(self) -> rules.Result:
        return self.do(c.Tick())

    @property
    def types_seen(self) -> list[EventType]:
        return [e.type for e in self.events]


def test_status_applies_at_once_without_activity() -> None:
    ann = Agent()

    result = ann.set("available")

    assert result.outcome is Outcome.APPLIED
    assert ann.presence.status_id == ann.presence.effective_id == "available"
    assert ann.types_seen == [EventType.SHIFT_STARTED, EventType.STATUS_CHANGED]
    assert ann.presence.shift_id


def test_choosing_the_current_status_changes_nothing() -> None:
    ann = Agent()
    ann.set("available")
    before = ann.presence

    result = ann.at(5).set("available")

    assert result.outcome is Outcome.UNCHANGED
    assert result.changes == []
    assert ann.presence == before


def test_status_chosen_during_call_waits_as_upcoming() -> None:
    ann = Agent()
    ann.set("available")
    ann.at(1).call("c1")

    result = ann.at(2).set("lunch")

    assert result.outcome is Outcome.UPCOMING
    assert ann.presence.effective_id == "call"
    assert ann.presence.status_id == "available"
    assert ann.presence.upcoming is not None
    assert ann.presence.upcoming.status_id == "lunch"


def test_upcoming_status_applies_when_last_call_ends() -> None:
    ann = Agent()
    ann.set("available")
    ann.at(1).call("c1")
    ann.at(2).call("c2")
    ann.at(3).set("lunch")

    ann.at(4).hang_up("c1")
    assert ann.presence.effective_id == "call"

    result = ann.at(5).hang_up("c2")

    assert ann.presence.effective_id == ann.presence.status_id == "lunch"
    assert ann.presence.upcoming is None
    assert result.changes[-1].type is EventType.UPCOMING_APPLIED
    assert ann.presence.uses["lunch"] == 1


def test_choosing_the_return_status_clears_upcoming_and_lunch_is_never_used() -> None:
    ann = Agent()
    ann.set("available")
    ann.at(1).call("c1")
    ann.at(2).set("lunch")

    result = ann.at(3).set("available")
    ann.at(4).hang_up("c1")

    assert result.outcome is Outcome.UPCOMING_CLEARED
    assert ann.presence.status_id == "available"
    assert ann.presence.uses.get("lunch", 0) == 0
    assert ann.types_seen[-3:] == [
        EventType.UPCOMING_SET,
        EventType.UPCOMING_CLEARED,
        EventType.ACTIVITY_ENDED,
    ]


def test_later_choice_replaces_upcoming() -> None:
    ann = Agent()
    ann.set("available")
    ann.at(1).call("c1")
    ann.at(2).set("lunch")

    ann.at(3).set("break")
    ann.at(4).hang_up("c1")

    assert ann.presence.status_id == "break"
    assert ann.presence.uses.get("lunch", 0) == 0
    assert ann.presence.uses["break"] == 1


def test_without_upcoming_the_agent_returns_to_the_status_held_before() -> None:
    ann = Agent()
    ann.set("break")
    ann.at(5).call("c1")

    ann.at(8).hang_up("c1")

    assert ann.presence.effective_id == "break"
    assert ann.presence.uses["break"] == 1
    assert ann.periods[-1].status_id == "call"  # type: ignore[attr-defined]


def test_upcoming_rechecked_when_applied_and_rejected_if_archived() -> None:
    ann = Agent()
    ann.set("available")
    ann.at(1).call("c1")
    ann.at(2).set("lunch")
    ann.types = catalog(lunch={"archived": True})

    result = ann.at(3).hang_up("c1")

    assert ann.presence.status_id == ann.presence.effective_id == "available"
    assert ann.presence.upcoming is None
    last = result.changes[-1]
    assert last.type is EventType.UPCOMING_REJECTED
    assert "archived" in last.reason


def test_over_the_limit_is_refused_with_the_count() -> None:
    ann = Agent(catalog(**{"break": {"limit_per_shift": 2}}))
    ann.set("break")
    ann.at(1).set("available")
    ann.at(2).set("break")
    ann.at(3).set("available")

    with pytest.raises(QuotaExceeded) as refused:
        ann.at(4).set("break")

    assert str(refused.value) == "Break used 2 of 2 times this shift"
    assert refused.value.quota_violations
    assert ann.presence.status_id == "available"


def test_returning_after_a_call_is_not_a_new_use() -> None:
    ann = Agent(catalog(**{"break": {"limit_per_shift": 1}}))
    ann.set("break")
    ann.at(1).call("c1")
    ann.at(2).hang_up("c1")
    ann.at(3).call("c2")
    ann.at(4).hang_up("c2")

    assert ann.presence.status_id == "break"
    assert ann.presence.uses["break"] == 1


def test_allowed_time_counts_only_time_in_the_status_itself() -> None:
    # Break allows 15 minutes: 10 in break, 30 on a call, then 5 more.
    ann = Agent()
    ann.set("break")
    ann.at(10).call("c1")
    ann.at(40).hang_up("c1")

    ann.at(44.9).tick()
    assert ann.presence.overage_since is None

    ann.at(46).tick()

    assert ann.presence.overage_since == T0 + timedelta(minutes=45)
    overage = [e for e in ann.events if e.type is EventType.OVERAGE_STARTED]
    assert len(overage) == 1
    assert overage[0].at == T0 + timedelta(minutes=45)


def test_overage_is_announced_once_per_use_and_recorded_on_the_period() -> None:
    ann = Agent()
    ann.set("break")
    ann.at(20).tick()
    ann.at(25).tick()

    ann.at(30).set("available")

    overage = [e for e in ann.events if e.type is EventType.OVERAGE_STARTED]
    assert len(overage) == 1
    break_period = ann.periods[-1]
    assert break_period.status_id == "break"  # type: ignore[attr-defined]
    assert break_period.overage_seconds == 15 * 60  # type: ignore[attr-defined]


def test_entering_a_status_again_starts_a_fresh_timer() -> None:
    ann = Agent()
    ann.set("break")
    ann.at(10).set("available")
    ann.at(20).set("break")

    ann.at(34).tick()

    assert ann.presence.overage_since is None
    assert ann.presence.uses["break"] == 2


def test_end_shift_refused_in_lunch_and_during_a_call() -> None:
    ann = Agent()
    ann.set("lunch")
    with pytest.raises(FailedPrecondition) as in_lunch:
        ann.at(1).do(c.EndShift(AGENT))
    assert in_lunch.value.reason == "SHIFT_END_NOT_ALLOWED"

    ann.at(2).set("available")
    ann.at(3).call("c1")
    with pytest.raises(FailedPrecondition) as on_call:
        ann.at(4).do(c.EndShift(AGENT))
    assert on_call.value.reason == "SHIFT_END_DURING_ACTIVITY"


def test_end_shift_goes_offline_and_clears_upcoming() -> None:
    ann = Agent()
    ann.set("available")
    ann.at(1).call("c1")
    ann.at(2).set("lunch")
    ann.at(3).do(c.CancelUpcoming(AGENT))
    ann.at(4).hang_up("c1")
    shift = ann.presence.shift_id

    ann.at(5).do(c.EndShift(AGENT))

    assert ann.presence.status_id == "offline"
    assert ann.presence.shift_id == ""
    assert ann.presence.upcoming is None
    assert EventType.SHIFT_ENDED in ann.types_seen
    assert shift


def test_wrap_up_then_upcoming_offline_without_available_in_between() -> None:
    ann = Agent(
        config=dataclasses.replace(
            CONFIG, wrap_up={ActivityKind.TASK: timedelta(seconds=120)}
        )
    )
    ann.set("available")
    ann.at(1).do(c.StartActivity(ActivityKind.TASK, "t1", AGENT))
    ann.at(2).set("offline")

    ann.at(3).do(c.EndActivity("t1", AGENT))
    assert ann.presence.effective_id == "wrap-up"
    ann.at(5).tick()

    assert ann.presence.effective_id == ann.presence.status_id == "offline"
    effective_after_task = [
        e.after.effective_id for e in ann.events if e.at >= T0 + timedelta(minutes=3)
    ]
    assert effective_after_task == ["wrap-up", "offline"]
    assert ann.periods[-1].status_id == "wrap-up"  # type: ignore[attr-defined]
    assert ann.periods[-1].end == T0 + timedelta(minutes=5)  # type: ignore[attr-defined]


def test_choosing_a_status_ends_wrap_up_early() -> None:
    ann = Agent()
    ann.set("available")
    ann.at(1).call("c1")

    ann.at(2).hang_up("c1", wrap_up=300)
    assert ann.presence.effective_id == "wrap-up"
    ann.at(3).set("break")

    assert ann.presence.effective_id == "break"
    assert ann.presence.wrap_up_until is None


def test_unknown_or_repeated_activity_ids_change_nothing() -> None:
    ann = Agent()
    ann.set("available")
    ann.at(1).call("c1")
    before = ann.presence

    assert ann.at(2).call("c1").outcome is Outcome.UNCHANGED
    assert ann.at(3).hang_up("nope").outcome is Outcome.UNCHANGED
    assert ann.presence == before


def test_activity_without_an_id_is_refused() -> None:
    with pytest.raises(InvalidArgument):
        Agent().call("")


def test_call_never_reported_ended_closes_at_the_ceiling_and_late_end_is_ignored() -> (
    None
):
    ann = Agent()
    ann.set("available")
    ann.at(1).call("c1")
    ann.at(2).set("lunch")

    ann.at(60 * 5).tick()

    assert ann.presence.activities == ()
    assert ann.presence.status_id == "lunch"
    assert ann.activity_records[-1].expired  # type: ignore[attr-defined]
    assert ann.activity_records[-1].end == T0 + timedelta(hours=4, minutes=1)  # type: ignore[attr-defined]
    assert ann.at(60 * 5 + 1).hang_up("c1").outcome is Outcome.UNCHANGED


def test_stale_expected_revision_is_aborted() -> None:
    ann = Agent()
    ann.set("available")
    ann.presence = dataclasses.replace(ann.presence, revision=7)

    with pytest.raises(Aborted):
        ann.do(c.SetStatus("break", AGENT, expected_revision=6))


def test_system_and_unknown_types_cannot_be_chosen() -> None:
    with pytest.raises(FailedPrecondition):
        Agent().set("call")
    with pytest.raises(NotFound):
        Agent().set("no-such-status")


def session(name: str, at: datetime) -> Session:
    return Session(name, SessionKind.STREAM, at, instance="i1")


def test_offline_after_last_session_and_grace_with_period_from_the_loss() -> None:
    # Web drops at 12:00, desktop at 12:05: Offline at 12:05:30 from 12:05:00.
    ann = Agent()
    ann.do(c.OpenSession(session("web", T0)))
    ann.do(c.OpenSession(session("desk", T0)))
    ann.set("available")
    noon = T0 + timedelta(hours=4)

    ann.now = noon
    ann.do(c.CloseSession("web", noon))
    ann.now = noon + timedelta(seconds=30)
    ann.tick()
    assert ann.presence.status_id == "available"

    ann.now = noon + timedelta(minutes=5)
    ann.do(c.CloseSession("desk", ann.now))
    ann.now = noon + timedelta(minutes=5, seconds=29)
    ann.tick()
    assert ann.presence.status_id == "available"
    ann.now = noon + timedelta(minutes=5, seconds=30)
    ann.tick()

    assert ann.presence.status_id == "offline"
    assert ann.presence.effective_since == noon + timedelta(minutes=5)
    assert ann.presence.connection is ConnectionState.DISCONNECTED
    assert ann.periods[-1].end == noon + timedelta(minutes=5)  # type: ignore[attr-defined]
    assert ann.presence.shift_id, "a lost connection never ends the shift"


def test_reconnect_within_grace_changes_nothing() -> None:
    ann = Agent()
    ann.do(c.OpenSession(session("web", T0)))
    ann.set("available")
    ann.at(10).do(c.CloseSession("web", ann.now))
    events = len(ann.events)

    ann.at(10.2).do(c.OpenSession(session("web2", ann.now)))
    ann.at(20).tick()

    assert ann.presence.status_id == "available"
    assert len(ann.events) == events


def test_status_that_keeps_on_disconnect_is_kept() -> None:
    ann = Agent()
    ann.do(c.OpenSession(session("web", T0)))
    ann.set("meeting")
    ann.at(10).do(c.CloseSession("web", ann.now))

    ann.at(11).tick()

    assert ann.presence.status_id == "meeting"
    assert ann.presence.connection is ConnectionState.DISCONNECTED
    assert ann.events[-1].type is EventType.CONNECTION_LOST


def test_connection_lost_during_a_call_makes_offline_the_upcoming_status() -> None:
    ann = Agent()
    ann.do(c.OpenSession(session("web", T0)))
    ann.set("available")
    ann.at(1).call("c1")
    ann.at(2).do(c.CloseSession("web", ann.now))
    ann.at(3).tick()

    assert ann.presence.upcoming is not None
    assert ann.presence.upcoming.status_id == "offline"

    ann.at(4).hang_up("c1")
    assert ann.presence.status_id == "offline"


def test_opening_a_session_never_changes_the_status() -> None:
    ann = Agent()
    ann.set("break")

    ann.at(1).do(c.OpenSession(session("web", ann.now)))

    assert ann.presence.status_id == "break"
    assert ann.presence.connection is ConnectionState.CONNECTED


def test_lease_expiry_counts_as_a_lost_connection() -> None:
    ann = Agent()
    lease = Session(
        "l1",
        SessionKind.LEASE,
        T0,
        expires_at=T0 + timedelta(seconds=60),
        ttl_seconds=60,
    )
    ann.do(c.OpenSession(lease))
    ann.set("available")

    ann.at(0.5).do(c.KeepAlive("l1", ann.now + timedelta(seconds=60)))
    ann.at(1.9).tick()
    assert ann.presence.status_id == "available"
    ann.at(2.5).tick()

    assert ann.presence.status_id == "offline"
    assert ann.presence.effective_since == T0 + timedelta(minutes=1.5)


def test_shift_past_the_maximum_is_closed() -> None:
    ann = Agent()
    ann.set("available")

    ann.at(16 * 60 + 1).tick()

    assert ann.presence.shift_id == ""
    assert ann.presence.status_id == "offline"
    assert ann.events[-1].type is EventType.SHIFT_ENDED


def test_limits_count_per_shift_not_per_day() -> None:
    ann = Agent(catalog(lunch={"limit_per_shift": 1}))
    ann.set("lunch")
    ann.at(60).set("available")
    ann.at(61).do(c.EndShift(AGENT))

    ann.at(120).set("lunch")

    assert ann.presence.uses["lunch"] == 1


def test_next_due_is_the_earliest_timer() -> None:
    ann = Agent()
    ann.set("break")

    due = rules.next_due(ann.presence, ann.types, CONFIG)

    assert due == T0 + timedelta(minutes=15)
