"""The transition rules: how one command changes one agent's presence.

Pure functions over domain types. ``apply`` takes the stored presence, the
status types, the engine settings and the time, and returns the new presence
with everything the change leaves behind (events, closed periods, finished
activities, shift records). Storage and timing live elsewhere; nothing here
reads a clock or a database, so every rule is tested directly.

The rules, in the order ``_dispatch`` lists them:

* SetStatus with no activity and no wrap-up enters the status at once (a new
  use, counted against the shift's limit). During an activity it becomes the
  upcoming status instead; choosing the status the agent would return to
  clears the upcoming one. During wrap-up alone it ends the wrap-up early.
* StartActivity pauses the chosen status (its allowed time stops running);
  activities overlap and are keyed by external id.
* The end of the last activity starts wrap-up when one is configured, and
  otherwise (or when wrap-up ends) applies the upcoming status, re-checked
  at that moment; with none, or when it can no longer be entered, the agent
  returns to the chosen status: the same use, not a new one.
* Timers (``fire_due``) announce overage, expire leases, end the grace
  period after a lost connection, end wrap-up, close activities past the
  ceiling and close shifts past the maximum length, each at its own instant.
"""

from __future__ import annotations

import dataclasses
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from presence_server.domain.errors import (
    Aborted,
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
    PresenceError,
    QuotaExceeded,
    QuotaViolation,
)
from presence_server.domain.presence import (
    Activity,
    ActivityKind,
    ActivityRecord,
    Actor,
    ConnectionState,
    EventType,
    Outcome,
    Period,
    Presence,
    SessionKind,
    ShiftRecord,
    Source,
    Upcoming,
)
from presence_server.domain.status_types import (
    CALL_ID,
    CHAT_ID,
    INTERACTION_ID,
    OFFLINE_ID,
    TASK_ID,
    WRAP_UP_ID,
    StatusKind,
    StatusType,
)
from presence_server.engine import commands as c

SYSTEM = Actor(Source.SYSTEM, "system")

_ACTIVITY_STATUS = {
    ActivityKind.CALL: CALL_ID,
    ActivityKind.CHAT: CHAT_ID,
    ActivityKind.TASK: TASK_ID,
    ActivityKind.INTERACTION: INTERACTION_ID,
}


@dataclass(frozen=True, slots=True)
class EngineConfig:
    """Settings of the rules (see ``Settings`` for their defaults)."""

    grace: timedelta = timedelta(seconds=30)
    activity_ceiling: timedelta = timedelta(hours=4)
    # 0 = shifts are never closed by the server.
    max_shift: timedelta = timedelta(hours=16)
    wrap_up: Mapping[ActivityKind, timedelta] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class Change:
    """One published change: an event before its revision is assigned."""

    type: EventType
    at: datetime
    before: Presence
    after: Presence
    actor: Actor
    reason: str = ""


@dataclass(slots=True)
class Result:
    presence: Presence
    outcome: Outcome = Outcome.UNCHANGED
    changes: list[Change] = field(default_factory=list)
    periods: list[Period] = field(default_factory=list)
    activities: list[ActivityRecord] = field(default_factory=list)
    shifts: list[ShiftRecord] = field(default_factory=list)


def new_presence(agent_id: str, at: datetime) -> Presence:
    """An agent never seen before: Offline, no shift, no session."""
    return Presence(
        agent_id=agent_id,
        status_id=OFFLINE_ID,
        status_since=at,
        use_spent=0.0,
        segment_since=at,
        overage_since=None,
        effective_id=OFFLINE_ID,
        effective_since=at,
        period_actor=SYSTEM,
        period_new_use=True,
    )


class _Step:
    """The transition under construction: state plus what it leaves behind."""

    def __init__(
        self,
        presence: Presence,
        types: Mapping[str, StatusType],
        config: EngineConfig,
        now: datetime,
    ) -> None:
        self.s = presence
        self.types = types
        self.config = config
        self.now = now
        self.result = Result(presence)

    def update(self, **changes: object) -> None:
        self.s = dataclasses.replace(self.s, **changes)  # type: ignore[arg-type]

    def publish(
        self,
        type: EventType,
        before: Presence,
        actor: Actor,
        at: datetime,
        reason: str = "",
    ) -> None:
        self.result.changes.append(Change(type, at, before, self.s, actor, reason))

    # --- periods and uses ---------------------------------------------------

    def close_period(self, at: datetime) -> None:
        s = self.s
        start = min(s.effective_since, at)
        overage = 0.0
        if s.effective_id == s.status_id and s.segment_since is not None:
            allowed = self._allowed(s.status_id)
            if allowed:
                spent = s.use_spent
                length = (at - start).total_seconds()
                overage = max(0.0, spent + length - allowed) - max(0.0, spent - allowed)
        # A period belongs to the shift it began in: the Offline stretch
        # before a shift starts is outside it, though it closes inside.
        in_shift = s.shift_start is not None and start >= s.shift_start
        self.result.periods.append(
            Period(
                agent_id=s.agent_id,
                status_id=s.effective_id,
                start=start,
                end=at,
                actor=s.period_actor,
                shift_id=s.shift_id if in_shift else "",
                new_use=s.period_new_use,
                overage_seconds=overage,
            )
        )

    def open_period(
        self, status_id: str, at: datetime, actor: Actor, new_use: bool
    ) -> None:
        self.update(
            effective_id=status_id,
            effective_since=at,
            period_actor=actor,
            period_new_use=new_use,
        )

    def _allowed(self, status_id: str) -> float:
        st = self.types.get(status_id)
        return float(st.allowed_seconds) if st else 0.0

    def pause_use(self, at: datetime) -> None:
        s = self.s
        if s.segment_since is not None:
            spent = s.use_spent + max(0.0, (at - s.segment_since).total_seconds())
            self.update(use_spent=spent, segment_since=None)

    def enter(self, status_id: str, at: datetime, actor: Actor) -> None:
        """Begin a new use of ``status_id`` (the agent is in no activity)."""
        if status_id != OFFLINE_ID and not self.s.shift_id:
            self.start_shift(at, actor)
        self.close_period(at)
        uses = dict(self.s.uses)
        uses[status_id] = uses.get(status_id, 0) + 1
        self.update(
            status_id=status_id,
            status_since=at,
            use_spent=0.0,
            segment_since=at,
            overage_since=None,
            upcoming=None,
            wrap_up_until=None,
            uses=uses,
        )
        self.open_period(status_id, at, actor, new_use=True)

    def go_back(self, at: datetime, actor: Actor) -> None:
        """Return to the chosen status after activities: the same use."""
        self.close_period(at)
        self.update(segment_since=at, upcoming=None, wrap_up_until=None)
        self.open_period(self.s.status_id, at, actor, new_use=False)

    def refusal(self, status_id: str) -> PresenceError | None:
        """Why ``status_id`` cannot be entered now, or None when it can."""
        st = self.types.get(status_id)
        if st is None:
            return NotFound("status_type", status_id, reason="STATUS_TYPE_NOT_FOUND")
        subject = f"status_type/{status_id}"
        if st.archived:
            return FailedPrecondition(
                f"{st.name} is archived and can no longer be entered",
                reason="STATUS_TYPE_ARCHIVED",
                precondition_violations=[
                    PreconditionViolation("ARCHIVED", subject, f"{st.name} is archived")
                ],
                resource=("status_type", status_id),
            )
        if st.kind is StatusKind.SYSTEM:
            return FailedPrecondition(
                f"{st.name} is set by activities, not chosen",
                reason="STATUS_TYPE_NOT_SELECTABLE",
                precondition_violations=[
                    PreconditionViolation(
                        "NOT_SELECTABLE", subject, f"{st.name} is a SYSTEM status"
                    )
                ],
                resource=("status_type", status_id),
            )
        if st.limit_per_shift:
            # Entering a working status with no shift open starts a new
            # shift, whose count starts at zero.
            fresh = not self.s.shift_id and status_id != OFFLINE_ID
            used = 0 if fresh else self.s.uses.get(status_id, 0)
            if used >= st.limit_per_shift:
                times = "time" if st.limit_per_shift == 1 else "times"
                return QuotaExceeded(
                    f"{st.name} used {used} of {st.limit_per_shift} {times} this shift",
                    reason="STATUS_LIMIT_REACHED",
                    metadata={
                        "status_type_id": status_id,
                        "used": str(used),
                        "limit": str(st.limit_per_shift),
                    },
                    quota_violations=[
                        QuotaViolation(
                            f"agent/{self.s.agent_id}/{subject}",
                            f"{st.name} may be entered {st.limit_per_shift} "
                            f"{times} per shift; used {used}",
                        )
                    ],
                    resource=("status_type", status_id),
                )
        return None

    # --- shifts ---------------------------------------------------------------

    def start_shift(self, at: datetime, actor: Actor) -> None:
        before = self.s
        shift_id = str(uuid.uuid4())
        self.update(shift_id=shift_id, shift_start=at, uses={})
        self.result.shifts.append(ShiftRecord(shift_id, self.s.agent_id, at, None))
        self.publish(EventType.SHIFT_STARTED, before, actor, at)

    def end_shift(self, at: datetime, actor: Actor) -> None:
        before = self.s
        assert self.s.shift_start is not None
        if self.s.status_id != OFFLINE_ID or self.s.effective_id != OFFLINE_ID:
            self.enter(OFFLINE_ID, at, actor)
        self.result.shifts.append(
            ShiftRecord(self.s.shift_id, self.s.agent_id, self.s.shift_start, at, actor)
        )
        self.update(shift_id="", shift_start=None, uses={}, upcoming=None)
        self.publish(EventType.SHIFT_ENDED, before, actor, at, actor.reason)

    # --- activities -----------------------------------------------------------

    def effective_for_activities(self) -> str:
        return _ACTIVITY_STATUS[self.s.activities[0].kind]

    def finish_activity(
        self,
        activity: Activity,
        at: datetime,
        actor: Actor,
        *,
        expired: bool,
        wrap_up: timedelta | None = None,
    ) -> None:
        """Remove one running activity and settle what follows."""
        before = self.s
        remaining = tuple(a for a in self.s.activities if a is not activity)
        self.update(activities=remaining)
        self.result.activities.append(
            ActivityRecord(
                self.s.agent_id,
                activity.kind,
                activity.external_id,
                activity.start,
                at,
                self.s.shift_id,
                expired,
            )
        )
        event = EventType.ACTIVITY_EXPIRED if expired else EventType.ACTIVITY_ENDED
        reason = "activity ran past the ceiling" if expired else actor.reason
        if remaining:
            target = self.effective_for_activities()
            if target != self.s.effective_id:
                self.close_period(at)
                self.open_period(target, at, actor, new_use=False)
            self.publish(event, before, actor, at, reason)
            return

        if wrap_up is None:
            wrap_up = self.config.wrap_up.get(activity.kind, timedelta(0))
        if wrap_up > timedelta(0) and not expired:
            self.close_period(at)
            self.update(wrap_up_until=at + wrap_up)
            self.open_period(WRAP_UP_ID, at, actor, new_use=False)
            self.publish(EventType.WRAP_UP_STARTED, before, actor, at, reason)
            return
        self.settle(at, actor, before, event, reason)

    def settle(
        self,
        at: datetime,
        actor: Actor,
        before: Presence,
        event: EventType,
        reason: str = "",
    ) -> None:
        """Activities and wrap-up are over: apply the upcoming status or go back."""
        upcoming = self.s.upcoming
        if upcoming is None:
            self.go_back(at, actor)
            self.publish(event, before, actor, at, reason)
            return
        refused = self.refusal(upcoming.status_id)
        if refused is None:
            applied = Actor(Source.UPCOMING, upcoming.actor.name, upcoming.actor.reason)
            self.enter(upcoming.status_id, at, applied)
            self.publish(EventType.UPCOMING_APPLIED, before, applied, at, reason)
            return
        self.go_back(at, actor)
        self.publish(
            EventType.UPCOMING_REJECTED,
            before,
            actor,
            at,
            f"upcoming status not applied: {refused.message}",
        )


# --- commands -----------------------------------------------------------------


def _set_status(t: _Step, cmd: c.SetStatus) -> None:
    s = t.s
    if cmd.expected_revision is not None and cmd.expected_revision != s.revision:
        raise Aborted(
            f"agent {s.agent_id!r} changed since revision {cmd.expected_revision} "
            f"(now {s.revision}); read the presence again and retry",
            reason="REVISION_MISMATCH",
            metadata={"current_revision": str(s.revision)},
            precondition_violations=[
                PreconditionViolation(
                    "REVISION",
                    f"agent/{s.agent_id}",
                    f"revision is {s.revision}, not {cmd.expected_revision}",
                )
            ],
        )
    target = cmd.status_id
    if s.activities:
        # Choosing the status the agent would go back to clears the wait.
        if target == s.status_id:
            if s.upcoming is not None:
                before = s
                t.update(upcoming=None)
                t.publish(EventType.UPCOMING_CLEARED, before, cmd.actor, t.now)
                t.result.outcome = Outcome.UPCOMING_CLEARED
            return
        if s.upcoming is not None and s.upcoming.status_id == target:
            t.result.outcome = Outcome.UPCOMING
            return
        refused = t.refusal(target)
        if refused is not None:
            raise refused
        before = s
        t.update(upcoming=Upcoming(target, cmd.actor, t.now))
        t.publish(EventType.UPCOMING_SET, before, cmd.actor, t.now, cmd.actor.reason)
        t.result.outcome = Outcome.UPCOMING
        return

    if s.wrap_up_until is not None:
        # Choosing a status ends wrap-up early.
        before = s
        if target == s.status_id:
            t.go_back(t.now, cmd.actor)
            t.publish(EventType.WRAP_UP_ENDED, before, cmd.actor, t.now, "ended early")
            t.result.outcome = Outcome.APPLIED
            return
        refused = t.refusal(target)
        if refused is not None:
            raise refused
        t.enter(target, t.now, cmd.actor)
        t.publish(EventType.STATUS_CHANGED, before, cmd.actor, t.now, cmd.actor.reason)
        t.result.outcome = Outcome.APPLIED
        return

    if target == s.status_id:
        return
    refused = t.refusal(target)
    if refused is not None:
        raise refused
    before = s
    t.enter(target, t.now, cmd.actor)
    t.publish(EventType.STATUS_CHANGED, before, cmd.actor, t.now, cmd.actor.reason)
    t.result.outcome = Outcome.APPLIED


def _cancel_upcoming(t: _Step, cmd: c.CancelUpcoming) -> None:
    if t.s.upcoming is None:
        return
    before = t.s
    t.update(upcoming=None)
    t.publish(EventType.UPCOMING_CLEARED, before, cmd.actor, t.now, cmd.actor.reason)
    t.result.outcome = Outcome.UPCOMING_CLEARED


def _start_activity(t: _Step, cmd: c.StartActivity) -> None:
    if any(a.external_id == cmd.external_id for a in t.s.activities):
        return
    before = t.s
    activity = Activity(cmd.kind, cmd.external_id, t.now)
    first = not t.s.activities
    t.update(activities=(*t.s.activities, activity))
    if first:
        t.close_period(t.now)
        t.pause_use(t.now)
        t.update(wrap_up_until=None)
        t.open_period(t.effective_for_activities(), t.now, cmd.actor, new_use=False)
    t.publish(EventType.ACTIVITY_STARTED, before, cmd.actor, t.now, cmd.actor.reason)
    t.result.outcome = Outcome.APPLIED


def _end_activity(t: _Step, cmd: c.EndActivity) -> None:
    found = next((a for a in t.s.activities if a.external_id == cmd.external_id), None)
    if found is None:
        return
    wrap_up = None
    if cmd.wrap_up_seconds is not None:
        wrap_up = timedelta(seconds=cmd.wrap_up_seconds)
    t.finish_activity(found, t.now, cmd.actor, expired=False, wrap_up=wrap_up)
    t.result.outcome = Outcome.APPLIED


def _start_shift(t: _Step, cmd: c.StartShift) -> None:
    if t.s.shift_id:
        return
    t.start_shift(t.now, cmd.actor)
    t.result.outcome = Outcome.APPLIED


def _end_shift(t: _Step, cmd: c.EndShift) -> None:
    s = t.s
    subject = f"agent/{s.agent_id}"
    if not s.shift_id:
        raise FailedPrecondition(
            "no shift is open; there is nothing to end",
            reason="NO_SHIFT_OPEN",
            precondition_violations=[
                PreconditionViolation("SHIFT", subject, "no open shift")
            ],
        )
    if s.activities or s.wrap_up_until is not None:
        busy = "wrap-up" if not s.activities else s.activities[0].kind.value.lower()
        raise FailedPrecondition(
            f"cannot end the shift during a {busy}; end it when the {busy} is over",
            reason="SHIFT_END_DURING_ACTIVITY",
            precondition_violations=[
                PreconditionViolation("ACTIVITY", subject, f"a {busy} is in progress")
            ],
        )
    st = t.types.get(s.status_id)
    if st is not None and not st.can_end_shift:
        raise FailedPrecondition(
            f"cannot end the shift while in {st.name}; first change to a status "
            "that allows ending the shift, such as Available",
            reason="SHIFT_END_NOT_ALLOWED",
            precondition_violations=[
                PreconditionViolation(
                    "CAN_END_SHIFT",
                    f"status_type/{s.status_id}",
                    f"{st.name} does not allow ending the shift",
                )
            ],
        )
    t.end_shift(t.now, cmd.actor)
    t.result.outcome = Outcome.APPLIED


def _open_session(t: _Step, cmd: c.OpenSession) -> None:
    if any(x.id == cmd.session.id for x in t.s.sessions):
        return
    before = t.s
    restored = before.connection is ConnectionState.DISCONNECTED
    t.update(
        sessions=(*t.s.sessions, cmd.session),
        connection=ConnectionState.CONNECTED,
        lost_at=None,
        grace_until=None,
    )
    if restored:
        t.publish(EventType.CONNECTION_RESTORED, before, Actor(Source.AGENT), t.now)


def _close_session(
    t: _Step, session_id: str, lost_at: datetime, noticed_at: datetime
) -> None:
    remaining = tuple(x for x in t.s.sessions if x.id != session_id)
    if len(remaining) == len(t.s.sessions):
        return
    t.update(sessions=remaining)
    if remaining or t.s.connection is not ConnectionState.CONNECTED:
        return
    # Brief drops change nothing: the loss is only recorded; the grace
    # timer decides. The grace counts from when the loss was noticed: after
    # a restart, clients get one whole grace period to come back.
    grace_from = max(lost_at, noticed_at)
    t.update(
        connection=ConnectionState.GRACE,
        lost_at=lost_at,
        grace_until=grace_from + t.config.grace,
    )


def _keep_alive(t: _Step, cmd: c.KeepAlive) -> None:
    sessions = tuple(
        dataclasses.replace(x, expires_at=cmd.expires_at)
        if x.id == cmd.session_id
        else x
        for x in t.s.sessions
    )
    t.update(sessions=sessions)


# --- timers -------------------------------------------------------------------


def _overage_due(t: _Step) -> datetime | None:
    s = t.s
    if s.segment_since is None or s.overage_since is not None:
        return None
    allowed = t._allowed(s.status_id)
    if not allowed:
        return None
    return s.segment_since + timedelta(seconds=max(0.0, allowed - s.use_spent))


def _lease_due(t: _Step) -> datetime | None:
    dues = [
        x.expires_at
        for x in t.s.sessions
        if x.kind is SessionKind.LEASE and x.expires_at is not None
    ]
    return min(dues, default=None)


def _ceiling_due(t: _Step) -> datetime | None:
    if not t.s.activities:
        return None
    return min(a.start for a in t.s.activities) + t.config.activity_ceiling


def _shift_due(t: _Step) -> datetime | None:
    if not t.s.shift_start or not t.config.max_shift:
        return None
    return t.s.shift_start + t.config.max_shift


def _fire_overage(t: _Step, at: datetime) -> None:
    before = t.s
    t.update(overage_since=at)
    st = t.types.get(t.s.status_id)
    name = st.name if st else t.s.status_id
    minutes = st.allowed_minutes if st else 0
    t.publish(
        EventType.OVERAGE_STARTED,
        before,
        SYSTEM,
        at,
        f"{name} passed its allowed {minutes} minutes",
    )


def _fire_lease(t: _Step, at: datetime) -> None:
    for x in t.s.sessions:
        if (
            x.kind is SessionKind.LEASE
            and x.expires_at is not None
            and x.expires_at <= at
        ):
            _close_session(t, x.id, x.expires_at, at)


def _fire_grace(t: _Step, at: datetime) -> None:
    s = t.s
    before = s
    lost_at = s.lost_at or at
    t.update(connection=ConnectionState.DISCONNECTED, grace_until=None)
    actor = Actor(Source.DISCONNECT, "system", "connection lost")
    st = t.types.get(s.status_id)
    keeps = st is not None and st.keep_on_disconnect
    if keeps or s.status_id == OFFLINE_ID:
        t.publish(EventType.CONNECTION_LOST, before, actor, at, actor.reason)
        return
    if s.activities or s.wrap_up_until is not None:
        t.update(upcoming=Upcoming(OFFLINE_ID, actor, at))
        t.publish(EventType.UPCOMING_SET, before, actor, at, actor.reason)
        return
    # The Offline period starts when the connection was lost, not now.
    start = max(lost_at, s.effective_since)
    t.enter(OFFLINE_ID, start, actor)
    t.publish(EventType.STATUS_CHANGED, before, actor, at, actor.reason)


def _fire_wrap_up(t: _Step, at: datetime) -> None:
    before = t.s
    t.update(wrap_up_until=None)
    t.settle(at, SYSTEM, before, EventType.WRAP_UP_ENDED)


def _fire_ceiling(t: _Step, at: datetime) -> None:
    oldest = min(t.s.activities, key=lambda a: a.start)
    t.finish_activity(oldest, at, SYSTEM, expired=True)


def _fire_shift(t: _Step, at: datetime) -> None:
    actor = Actor(Source.SYSTEM, "system", "shift reached its maximum length")
    for activity in sorted(t.s.activities, key=lambda a: a.start):
        t.finish_activity(activity, at, actor, expired=True)
    if t.s.wrap_up_until is not None:
        t.update(wrap_up_until=None)
    t.update(upcoming=None)
    t.end_shift(at, actor)


# Timers in the order they fire when due at the same instant.
_TIMERS: tuple[
    tuple[Callable[[_Step], datetime | None], Callable[[_Step, datetime], None]], ...
] = (
    (_overage_due, _fire_overage),
    (_lease_due, _fire_lease),
    (lambda t: t.s.grace_until, _fire_grace),
    (lambda t: t.s.wrap_up_until, _fire_wrap_up),
    (_ceiling_due, _fire_ceiling),
    (_shift_due, _fire_shift),
)


def _fire_due(t: _Step) -> None:
    # Each handler consumes its deadline, so the loop ends; the bound guards
    # against a rule that would not.
    for _ in range(1000):
        due = [(when, fire) for when_of, fire in _TIMERS if (when := when_of(t))]
        if not due:
            return
        when, fire = min(due, key=lambda pair: pair[0])
        if when > t.now:
            return
        fire(t, when)
    raise RuntimeError(f"timers of agent {t.s.agent_id} did not settle")


def next_due(
    presence: Presence, types: Mapping[str, StatusType], config: EngineConfig
) -> datetime | None:
    """The next instant a timer of this agent fires, or None."""
    t = _Step(presence, types, config, presence.effective_since)
    dues = [when for when_of, _ in _TIMERS if (when := when_of(t))]
    return min(dues, default=None)


# --- entry point --------------------------------------------------------------


def _dispatch(t: _Step, command: c.Command) -> None:
    match command:
        case c.SetStatus():
            _set_status(t, command)
        case c.CancelUpcoming():
            _cancel_upcoming(t, command)
        case c.StartActivity():
            _start_activity(t, command)
        case c.EndActivity():
            _end_activity(t, command)
        case c.StartShift():
            _start_shift(t, command)
        case c.EndShift():
            _end_shift(t, command)
        case c.OpenSession():
            _open_session(t, command)
        case c.CloseSession():
            _close_session(t, command.session_id, command.lost_at, t.now)
        case c.KeepAlive():
            _keep_alive(t, command)
        case c.Tick():
            pass


def apply(
    presence: Presence,
    command: c.Command,
    types: Mapping[str, StatusType],
    config: EngineConfig,
    now: datetime,
) -> Result:
    """Apply ``command`` to ``presence`` at ``now``.

    Timers due by ``now`` fire first, each at its own instant, so a command
    never sees a state that should already have changed. Raises a
    ``PresenceError`` when the command is refused; the input is never
    modified. A command that changes nothing returns ``Outcome.UNCHANGED``
    and no changes.
    """
    if isinstance(command, c.StartActivity) and not command.external_id:
        raise InvalidArgument(
            [FieldViolation("external_id", "is required (the call or task id)")]
        )
    t = _Step(presence, types, config, now)
    _fire_due(t)
    _dispatch(t, command)
    result = t.result
    result.presence = t.s
    return result
