"""Which shift a recorded period belongs to (the rules, applied directly)."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from presence_server.domain.presence import ActivityKind, Actor, Period, Source
from presence_server.domain.status_types import BUILT_IN_TYPES, SEEDED_TYPES
from presence_server.engine import commands as c
from presence_server.engine import rules

T0 = datetime(1999, 2, 1, 5, 0, tzinfo=UTC)
AGENT = Actor(Source.AGENT, "ann")
PHONE = Actor(Source.ACTIVITY, "ann")
TYPES = {t.id: t for t in (*BUILT_IN_TYPES, *SEEDED_TYPES)}


def replay(*steps: tuple[float, c.Command]) -> list[Period]:
    """Apply commands at minutes after T0; the periods they closed."""
    presence = rules.new_presence("ann", T0)
    periods: list[Period] = []
    for minutes, command in steps:
        at = T0 + timedelta(minutes=minutes)
        result = rules.apply(presence, command, TYPES, rules.EngineConfig(), at)
        presence = result.presence
        periods += result.periods
    return periods


def test_the_offline_stretch_before_a_shift_belongs_to_no_shift() -> None:
    periods = replay(
        (60, c.StartShift(AGENT)),
        (60, c.SetStatus("available", AGENT)),
        (70, c.StartActivity(ActivityKind.CALL, "c1", PHONE)),
        (75, c.EndActivity("c1", PHONE)),
        (90, c.EndShift(AGENT)),
        # The next day's shift: the night in Offline closes inside it.
        (1500, c.SetStatus("available", AGENT)),
        (1510, c.EndShift(AGENT)),
    )

    shifts = [(p.status_id, p.shift_id != "") for p in periods]
    assert shifts == [
        ("offline", False),
        ("available", True),
        ("call", True),
        ("available", True),
        ("offline", False),
        ("available", True),
    ]
    first, second = {p.shift_id for p in periods[1:4]}, {periods[5].shift_id}
    assert len(first) == len(second) == 1
    assert first != second
