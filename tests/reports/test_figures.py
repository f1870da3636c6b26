"""Report arithmetic over plain records: splitting, uses, overlaps, occupancy."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from presence_server.domain.presence import (
    ActivityKind,
    ActivityRecord,
    Actor,
    Period,
    ShiftRecord,
    Source,
)
from presence_server.domain.status_types import StatusKind
from presence_server.reports.figures import Figures, History, compute, roll_up
from presence_server.reports.groups import (
    Group,
    day_groups,
    interval_groups,
    shift_groups,
)

KINDS = {
    "available": StatusKind.AVAILABLE,
    "break": StatusKind.UNAVAILABLE,
    "lunch": StatusKind.UNAVAILABLE,
    "offline": StatusKind.OFFLINE,
    "call": StatusKind.SYSTEM,
    "chat": StatusKind.SYSTEM,
    "wrap-up": StatusKind.SYSTEM,
}
AGENT = Actor(Source.AGENT, "ann")
BERLIN = ZoneInfo("Europe/Berlin")
JERUSALEM = ZoneInfo("Asia/Jerusalem")
MINUTE = timedelta(minutes=1)
HOUR = timedelta(hours=1)


def at(zone: ZoneInfo, day: date, hour: int, minute: int = 0) -> datetime:
    return datetime.combine(day, time(hour, minute), tzinfo=zone).astimezone(UTC)


def period(
    status: str,
    start: datetime,
    end: datetime,
    *,
    new_use: bool = True,
    overage: float = 0.0,
) -> Period:
    return Period("ann", status, start, end, AGENT, "s1", new_use, overage)


def activity(
    start: datetime, end: datetime, kind: ActivityKind = ActivityKind.CALL
) -> ActivityRecord:
    return ActivityRecord("ann", kind, f"{kind.value}-{start}", start, end, "s1", False)


def shift(start: datetime, end: datetime) -> ShiftRecord:
    return ShiftRecord("s1", "ann", start, end)


def whole(start: datetime, end: datetime) -> Group:
    return Group(start, end, "total")


def test_a_break_crossing_local_midnight_is_split_and_counted_once() -> None:
    day = date(2025, 1, 14)
    start, end = at(BERLIN, day, 23, 30), at(BERLIN, day + timedelta(days=1), 0, 45)
    history = History(
        periods=[period("break", start, end, overage=15 * 60)],
        shifts=[shift(start - HOUR, end + HOUR)],
    )
    groups = day_groups(
        at(BERLIN, day, 0), at(BERLIN, day + timedelta(days=2), 0), BERLIN
    )

    first, second = compute(history, groups, KINDS)

    assert (first.group.label, second.group.label) == ("2025-01-14", "2025-01-15")
    assert first.statuses["break"].seconds == 30 * MINUTE
    assert second.statuses["break"].seconds == 45 * MINUTE
    assert (first.statuses["break"].uses, second.statuses["break"].uses) == (1, 0)
    assert (first.statuses["break"].periods, second.statuses["break"].periods) == (1, 1)
    # The overage is the last 15 minutes, all after midnight.
    assert first.statuses["break"].overage == timedelta(0)
    assert second.statuses["break"].overage == 15 * MINUTE
    assert first.logged_in + second.logged_in == 75 * MINUTE


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        pytest.param(BERLIN, date(2025, 10, 26), 25, id="berlin-autumn-2025"),
        pytest.param(BERLIN, date(2025, 3, 30), 23, id="berlin-spring-2025"),
        pytest.param(BERLIN, date(1999, 10, 31), 25, id="berlin-autumn-1999"),
        pytest.param(JERUSALEM, date(1999, 9, 3), 25, id="jerusalem-autumn-1999"),
        pytest.param(JERUSALEM, date(1999, 4, 2), 23, id="jerusalem-spring-1999"),
        pytest.param(JERUSALEM, date(2025, 10, 26), 25, id="jerusalem-autumn-2025"),
        pytest.param(JERUSALEM, date(2025, 3, 28), 23, id="jerusalem-spring-2025"),
    ],
)
def test_a_period_across_a_daylight_saving_change_counts_real_time(
    zone: ZoneInfo, day: date, hours: int
) -> None:
    before, after = day - timedelta(days=1), day + timedelta(days=1)
    start, end = at(zone, before, 18), at(zone, after, 6)
    history = History(
        periods=[period("available", start, end)], shifts=[shift(start, end)]
    )
    groups = day_groups(
        at(zone, before, 0), at(zone, after + timedelta(days=1), 0), zone
    )

    rows = compute(history, groups, KINDS)

    assert [r.statuses["available"].seconds for r in rows] == [
        6 * HOUR,
        hours * HOUR,
        6 * HOUR,
    ]
    assert sum((r.available for r in rows), timedelta()) == end - start
    assert [r.statuses["available"].uses for r in rows] == [1, 0, 0]


def test_overlapping_activities_count_once_as_activity_time() -> None:
    base = datetime(2025, 1, 14, 10, tzinfo=UTC)
    calls = [
        activity(base, base + 30 * MINUTE),
        activity(base + 10 * MINUTE, base + 20 * MINUTE),
        activity(base + 25 * MINUTE, base + 40 * MINUTE),
        activity(base + HOUR, base + HOUR),
        activity(base + 50 * MINUTE, base + 55 * MINUTE, ActivityKind.CHAT),
    ]

    (row,) = compute(History(activities=calls), [whole(base, base + 2 * HOUR)], KINDS)

    assert row.activity == 45 * MINUTE
    assert row.activity_total == (30 + 10 + 15 + 0 + 5) * MINUTE
    assert row.activities[ActivityKind.CALL].count == 4
    assert row.activities[ActivityKind.CALL].seconds == 55 * MINUTE
    assert row.activities[ActivityKind.CHAT].count == 1
    assert row.first_activity == base
    assert row.last_activity == base + HOUR, "a zero-length call is still seen"


def test_a_range_edge_in_the_middle_of_a_period_cuts_it() -> None:
    base = datetime(2025, 1, 14, 10, tzinfo=UTC)
    history = History(
        periods=[
            period("lunch", base, base + HOUR, overage=10 * 60),
            period("available", base + HOUR, base + 2 * HOUR),
        ],
        activities=[activity(base - 5 * MINUTE, base + 20 * MINUTE)],
        shifts=[shift(base - HOUR, base + 3 * HOUR)],
    )
    edge = base + 15 * MINUTE

    (row,) = compute(history, [whole(edge, base + 90 * MINUTE)], KINDS)

    assert row.statuses["lunch"].seconds == 45 * MINUTE
    assert row.statuses["lunch"].uses == 0, "the use began before the range"
    assert row.statuses["lunch"].periods == 1
    assert row.statuses["lunch"].overage == 10 * MINUTE
    assert row.statuses["available"].seconds == 30 * MINUTE
    assert row.statuses["available"].uses == 1
    assert row.activity == 5 * MINUTE
    assert row.activities[ActivityKind.CALL].count == 0
    assert row.first_activity == edge
    assert row.logged_in == 75 * MINUTE


def test_returning_to_a_status_after_a_call_is_not_a_new_use() -> None:
    base = datetime(2025, 1, 14, 10, tzinfo=UTC)
    history = History(
        periods=[
            period("available", base, base + 10 * MINUTE),
            period("call", base + 10 * MINUTE, base + 20 * MINUTE, new_use=False),
            period("available", base + 20 * MINUTE, base + HOUR, new_use=False),
        ],
        activities=[activity(base + 10 * MINUTE, base + 20 * MINUTE)],
    )

    (row,) = compute(history, [whole(base, base + HOUR)], KINDS)

    assert row.statuses["available"].uses == 1
    assert row.statuses["available"].periods == 2
    assert row.statuses["available"].seconds == 50 * MINUTE
    assert row.available == 50 * MINUTE


def test_logged_in_time_is_shift_time_outside_offline() -> None:
    base = datetime(2025, 1, 14, 8, tzinfo=UTC)
    history = History(
        periods=[
            period("offline", base - HOUR, base + HOUR),
            period("available", base + HOUR, base + 3 * HOUR),
            period("offline", base + 3 * HOUR, base + 4 * HOUR),
            period("break", base + 4 * HOUR, base + 5 * HOUR),
        ],
        # The first shift starts before the agent leaves Offline; the break
        # at the end is outside any shift.
        shifts=[
            shift(base, base + 2 * HOUR),
            shift(base + 2.5 * HOUR, base + 4 * HOUR),
        ],
    )

    (row,) = compute(history, [whole(base - HOUR, base + 6 * HOUR)], KINDS)

    assert row.logged_in == timedelta(hours=1.5)
    assert row.agents == 1


def test_occupancy_is_busy_over_busy_and_available() -> None:
    base = datetime(2025, 1, 14, 8, tzinfo=UTC)
    history = History(
        periods=[
            period("available", base, base + 30 * MINUTE),
            period("call", base + 30 * MINUTE, base + 50 * MINUTE, new_use=False),
            period("wrap-up", base + 50 * MINUTE, base + HOUR, new_use=False),
            period("break", base + HOUR, base + 2 * HOUR),
        ],
        activities=[activity(base + 30 * MINUTE, base + 50 * MINUTE)],
    )

    (row,) = compute(history, [whole(base, base + 2 * HOUR)], KINDS)
    (idle,) = compute(History(), [whole(base, base + HOUR)], KINDS)

    assert (row.activity, row.wrap_up, row.available) == (
        20 * MINUTE,
        10 * MINUTE,
        30 * MINUTE,
    )
    assert row.occupancy == 0.5
    assert idle.occupancy == 0.0


def _random_history(seed: int, start: datetime, end: datetime) -> History:
    """Contiguous periods, overlapping activities, shifts: a busy fortnight."""
    rng = random.Random(seed)
    periods, activities, shifts = [], [], []
    cursor = start
    statuses = ["available", "break", "lunch", "offline", "call", "wrap-up"]
    while cursor < end:
        length = timedelta(seconds=rng.choice([0, 1, 59, 600, 3599, 7200, 40000]))
        status = rng.choice(statuses)
        overage = rng.choice([0.0, 0.0, min(120.0, length.total_seconds())])
        periods.append(
            period(
                status,
                cursor,
                cursor + length,
                new_use=rng.random() < 0.6,
                overage=overage,
            )
        )
        if rng.random() < 0.4:
            activities.append(
                activity(cursor, cursor + timedelta(seconds=rng.randint(0, 9000)))
            )
        cursor += length
    day = start
    while day < end:
        shifts.append(shift(day + HOUR, day + timedelta(hours=rng.randint(2, 20))))
        day += timedelta(days=1)
    return History(periods, activities, shifts)


def _flat(rows: list[Figures]) -> dict[str, object]:
    """The additive figures of rows, summed."""
    total = roll_up(whole(rows[0].group.start, rows[-1].group.end), rows)
    return {
        "statuses": {
            k: (v.seconds, v.uses, v.overage) for k, v in sorted(total.statuses.items())
        },
        "activities": {
            k.value: (v.count, v.seconds)
            for k, v in sorted(total.activities.items(), key=lambda item: item[0].value)
        },
        "logged_in": total.logged_in,
        "available": total.available,
        "activity": total.activity,
        "activity_total": total.activity_total,
        "wrap_up": total.wrap_up,
        "first": total.first_activity,
        "last": total.last_activity,
    }


@pytest.mark.parametrize("seed", range(5))
@pytest.mark.parametrize(
    "split",
    ["day-berlin", "day-jerusalem", "interval-15", "interval-60"],
)
def test_split_totals_add_up_to_the_unsplit_totals(seed: int, split: str) -> None:
    # Around the Berlin and Jerusalem autumn changes of 2025.
    start = datetime(2025, 10, 20, 5, 17, 3, tzinfo=UTC)
    end = datetime(2025, 11, 1, 19, 2, 55, tzinfo=UTC)
    history = _random_history(seed, start - timedelta(days=1), end + timedelta(days=1))
    if split.startswith("day"):
        zone = BERLIN if split.endswith("berlin") else JERUSALEM
        groups = day_groups(start, end, zone)
    else:
        groups = interval_groups(start, end, JERUSALEM, int(split[-2:]))

    rows = compute(history, groups, KINDS)
    (unsplit,) = compute(history, [whole(start, end)], KINDS)

    assert _flat(rows) == _flat([unsplit])


def test_interval_rows_hold_what_happened_in_each_bucket() -> None:
    base = datetime(2025, 1, 14, 8, tzinfo=UTC)
    history = History(
        periods=[
            period("available", base, base + 20 * MINUTE),
            period("break", base + 20 * MINUTE, base + 50 * MINUTE),
        ],
        activities=[activity(base + 14 * MINUTE, base + 16 * MINUTE)],
    )
    groups = interval_groups(base, base + HOUR, ZoneInfo("UTC"), 15)

    rows = compute(history, groups, KINDS)

    assert [r.statuses.get("break") and r.statuses["break"].seconds for r in rows] == [
        None,
        10 * MINUTE,
        15 * MINUTE,
        5 * MINUTE,
    ]
    assert [r.activity for r in rows] == [MINUTE, MINUTE, timedelta(0), timedelta(0)]
    assert [r.activities.get(ActivityKind.CALL) is not None for r in rows] == [
        True,
        True,
        False,
        False,
    ]
    assert rows[0].activities[ActivityKind.CALL].count == 1
    assert rows[1].activities[ActivityKind.CALL].count == 0


def test_a_zero_length_period_counts_where_it_happens() -> None:
    base = datetime(2025, 1, 14, 8, tzinfo=UTC)
    history = History(periods=[period("offline", base + HOUR, base + HOUR)])
    groups = [Group(base, base + HOUR, "a"), Group(base + HOUR, base + 2 * HOUR, "b")]

    first, second = compute(history, groups, KINDS)

    assert "offline" not in first.statuses
    assert second.statuses["offline"].periods == 1
    assert second.statuses["offline"].uses == 1


def test_a_zero_length_call_as_the_shift_ends_counts_in_that_shift() -> None:
    base = datetime(1999, 2, 3, 12, tzinfo=UTC)
    end = base + 8 * HOUR
    shifts = [ShiftRecord("s1", "ann", base, end)]
    calls = [
        activity(base + HOUR, base + 2 * HOUR),
        # Answered and hung up in the shift's last second, then EndShift.
        activity(end, end),
    ]
    groups = shift_groups(shifts, base - HOUR, base + 24 * HOUR, ZoneInfo("UTC"))

    (row,) = compute(History(activities=calls, shifts=shifts), groups, KINDS)

    assert row.activities[ActivityKind.CALL].count == 2
    assert row.last_activity == end
    assert row.activity == HOUR


def test_an_instant_shared_by_two_shifts_goes_to_the_shift_that_recorded_it() -> None:
    base = datetime(1999, 2, 3, 12, tzinfo=UTC)
    turn = base + 4 * HOUR
    shifts = [
        ShiftRecord("early", "ann", base, turn),
        ShiftRecord("late", "ann", turn, base + 8 * HOUR),
    ]
    in_early = ActivityRecord("ann", ActivityKind.CALL, "a", turn, turn, "early", False)
    in_late = ActivityRecord("ann", ActivityKind.CALL, "b", turn, turn, "late", False)
    groups = shift_groups(shifts, base, base + 24 * HOUR, ZoneInfo("UTC"))

    early, late = compute(History(activities=[in_early, in_late]), groups, KINDS)

    assert early.activities[ActivityKind.CALL].count == 1
    assert late.activities[ActivityKind.CALL].count == 1


def test_a_zero_length_call_at_local_midnight_counts_on_the_new_day() -> None:
    midnight = at(JERUSALEM, date(1999, 2, 2), 0)
    groups = day_groups(midnight - HOUR, midnight + HOUR, JERUSALEM)

    before, after = compute(
        History(activities=[activity(midnight, midnight)]), groups, KINDS
    )

    assert ActivityKind.CALL not in before.activities
    assert after.activities[ActivityKind.CALL].count == 1
