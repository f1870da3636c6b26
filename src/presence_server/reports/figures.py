"""Report arithmetic: how an agent's recorded time adds up, group by group.

Pure functions over domain records (``Period``, ``ActivityRecord``,
``ShiftRecord``); nothing here reads a clock or a database. The caller
closes whatever is still open (the current period, running activities, an
open shift) at the report's "as of" instant before handing it in.

The rules, per group ``[start, end)``:

* time is the part of a period or activity inside the group, so a period
  crossing a group boundary (a local midnight, a range edge) is split
  between the groups and split totals add up to the unsplit total;
* a *use* counts in the group where it begins: a period that began a new
  use of its status (``new_use``) and starts inside the group; returning
  to a status after an activity continues the same use;
* *periods* counts the periods in effect during the group, so a period
  crossing a boundary counts in each group it touches;
* a period's overage is its last ``overage_seconds`` (time past the
  allowed minutes comes after the allowed time), split the same way;
* logged-in time is time inside a shift in any status but an OFFLINE one;
  available time is time in an AVAILABLE status (the effective status is a
  SYSTEM type while an activity runs, so it excludes activities);
* activity time is the union of the activity intervals (overlapping
  activities count once); ``activity_total`` adds them up separately
  (talk time); an activity is counted in the group where it starts;
* a shift group also holds what its shift recorded at the instant it
  ended (a zero-length call answered in the shift's last second), while
  day and interval groups are half-open: an instant on a boundary belongs
  to the later group;
* occupancy is (activity + wrap-up) / (activity + wrap-up + available), 0
  when nothing was available or busy.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from presence_server.domain.presence import (
    ActivityKind,
    ActivityRecord,
    Period,
    ShiftRecord,
)
from presence_server.domain.status_types import WRAP_UP_ID, StatusKind
from presence_server.reports.groups import Group

ZERO = timedelta(0)


@dataclass(frozen=True, slots=True)
class History:
    """Everything recorded for one agent that a report needs, all closed.

    Periods and shifts of one agent do not overlap each other; activities
    may. Records outside the report's range are harmless (they add nothing).
    """

    periods: Sequence[Period] = ()
    activities: Sequence[ActivityRecord] = ()
    shifts: Sequence[ShiftRecord] = ()


@dataclass(slots=True)
class StatusFigures:
    """Time in one status type within one group."""

    status_id: str
    seconds: timedelta = ZERO
    uses: int = 0
    periods: int = 0
    overage: timedelta = ZERO


@dataclass(slots=True)
class ActivityFigures:
    """Activities of one kind: how many started in the group, their total time."""

    kind: ActivityKind
    count: int = 0
    seconds: timedelta = ZERO


@dataclass(slots=True)
class Figures:
    """Everything a report row says about one group (of one agent or a team).

    ``agents`` is how many agents were logged in during the group.
    ``first_activity`` and ``last_activity`` are the first and last instants
    within the group at which an activity was running.
    """

    group: Group
    statuses: dict[str, StatusFigures] = field(default_factory=dict)
    logged_in: timedelta = ZERO
    available: timedelta = ZERO
    activity: timedelta = ZERO
    activity_total: timedelta = ZERO
    activities: dict[ActivityKind, ActivityFigures] = field(default_factory=dict)
    wrap_up: timedelta = ZERO
    first_activity: datetime | None = None
    last_activity: datetime | None = None
    agents: int = 0

    @property
    def occupancy(self) -> float:
        """(activity + wrap-up) / (activity + wrap-up + available), or 0."""
        busy = self.activity + self.wrap_up
        worked = busy + self.available
        return busy / worked if worked > ZERO else 0.0

    def status(self, status_id: str) -> StatusFigures:
        found = self.statuses.get(status_id)
        if found is None:
            found = self.statuses[status_id] = StatusFigures(status_id)
        return found

    def activity_kind(self, kind: ActivityKind) -> ActivityFigures:
        found = self.activities.get(kind)
        if found is None:
            found = self.activities[kind] = ActivityFigures(kind)
        return found


def compute(
    history: History, groups: Sequence[Group], kinds: Mapping[str, StatusKind]
) -> list[Figures]:
    """The figures of each group, in the order given.

    ``groups`` must be sorted by start and must not overlap. ``kinds`` gives
    the kind of each status type id; an unknown id counts as UNAVAILABLE.
    """
    rows = [Figures(group) for group in groups]
    index = _GroupIndex(groups)
    shifts = _Intervals((s.start, s.end or s.start) for s in history.shifts)

    for period in history.periods:
        _add_period(period, kinds.get(period.status_id), rows, index, shifts)
    _add_activities(history.activities, rows, index)

    for row in rows:
        row.agents = 1 if row.logged_in > ZERO else 0
    return rows


def _add_period(
    period: Period,
    kind: StatusKind | None,
    rows: list[Figures],
    index: _GroupIndex,
    shifts: _Intervals,
) -> None:
    overage_from = period.end - timedelta(seconds=period.overage_seconds)
    for position in index.touched(period.start, period.end, period.shift_id):
        row = rows[position]
        group = row.group
        figures = row.status(period.status_id)
        seconds = _overlap(period.start, period.end, group.start, group.end)

        figures.seconds += seconds
        figures.periods += 1
        if period.new_use and group.holds(period.start, period.shift_id):
            figures.uses += 1
        if period.overage_seconds > 0:
            figures.overage += _overlap(
                max(overage_from, period.start), period.end, group.start, group.end
            )

        if kind is not StatusKind.OFFLINE:
            low, high = max(period.start, group.start), min(period.end, group.end)
            row.logged_in += shifts.overlap(low, high)
        if kind is StatusKind.AVAILABLE:
            row.available += seconds
        if period.status_id == WRAP_UP_ID:
            row.wrap_up += seconds


def _add_activities(
    activities: Iterable[ActivityRecord], rows: list[Figures], index: _GroupIndex
) -> None:
    ordered = sorted(activities, key=lambda a: (a.start, a.end))
    for activity in ordered:
        start, end, shift_id = activity.start, activity.end, activity.shift_id
        for position in index.touched(start, end, shift_id):
            row = rows[position]
            group = row.group
            figures = row.activity_kind(activity.kind)
            seconds = _overlap(start, end, group.start, group.end)
            figures.seconds += seconds
            row.activity_total += seconds
            if group.holds(start, shift_id):
                figures.count += 1

            first, last = max(start, group.start), min(end, group.end)
            if row.first_activity is None or first < row.first_activity:
                row.first_activity = first
            if row.last_activity is None or last > row.last_activity:
                row.last_activity = last

    # Zero-length activities add no time to the union.
    timed = ((a.start, a.end) for a in ordered if a.start < a.end)
    for start, end in _union(timed):
        for position in index.touched(start, end, ""):
            row = rows[position]
            group = row.group
            row.activity += _overlap(start, end, group.start, group.end)


def roll_up(group: Group, parts: Iterable[Figures]) -> Figures:
    """One group's figures of several agents added up (a team's row).

    ``occupancy`` is recomputed from the sums, so busier agents weigh more.
    """
    total = Figures(group)
    for part in parts:
        for status_id, figures in part.statuses.items():
            into = total.status(status_id)
            into.seconds += figures.seconds
            into.uses += figures.uses
            into.periods += figures.periods
            into.overage += figures.overage
        for kind, activity in part.activities.items():
            into_kind = total.activity_kind(kind)
            into_kind.count += activity.count
            into_kind.seconds += activity.seconds
        total.logged_in += part.logged_in
        total.available += part.available
        total.activity += part.activity
        total.activity_total += part.activity_total
        total.wrap_up += part.wrap_up
        total.agents += part.agents
        total.first_activity = _earliest(total.first_activity, part.first_activity)
        total.last_activity = _latest(total.last_activity, part.last_activity)
    return total


def _earliest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else min(a, b)


def _latest(a: datetime | None, b: datetime | None) -> datetime | None:
    return b if a is None else a if b is None else max(a, b)


# --- interval helpers ---------------------------------------------------------


def _overlap(
    start: datetime, end: datetime, low: datetime, high: datetime
) -> timedelta:
    return max(ZERO, min(end, high) - max(start, low))


def _union(
    intervals: Iterable[tuple[datetime, datetime]],
) -> Iterator[tuple[datetime, datetime]]:
    """Sorted intervals merged where they overlap or touch."""
    run: tuple[datetime, datetime] | None = None
    for start, end in sorted(intervals):
        if run is not None and start <= run[1]:
            run = (run[0], max(run[1], end))
            continue
        if run is not None:
            yield run
        run = (start, end)
    if run is not None:
        yield run


def _touches(start: datetime, end: datetime, shift_id: str, group: Group) -> bool:
    """Whether ``[start, end)`` (an instant when empty) meets the group."""
    if start == end:
        return group.holds(start, shift_id)
    if group.start == group.end:
        return start <= group.start < end
    return start < group.end and group.start < end


class _GroupIndex:
    """Finds the groups an interval touches, by bisection on sorted groups."""

    def __init__(self, groups: Sequence[Group]) -> None:
        self._groups = groups
        self._ends = [g.end for g in groups]

    def touched(self, start: datetime, end: datetime, shift_id: str) -> list[int]:
        """Positions of the groups that ``[start, end)`` of ``shift_id`` meets.

        An instant where one shift ends and the next begins is in both shift
        groups; it goes to the one whose shift recorded it.
        """
        found: list[int] = []
        position = bisect.bisect_left(self._ends, start)
        while position < len(self._groups):
            group = self._groups[position]
            if group.start > end:
                break
            if _touches(start, end, shift_id, group):
                found.append(position)
            position += 1
        if start == end and len(found) > 1:
            own = [p for p in found if self._groups[p].shift_id == shift_id]
            return own or found[:1]
        return found


class _Intervals:
    """Non-overlapping intervals (one agent's shifts), for overlap lengths."""

    def __init__(self, intervals: Iterable[tuple[datetime, datetime]]) -> None:
        ordered = sorted(intervals)
        self._starts = [start for start, _ in ordered]
        self._ends = [end for _, end in ordered]

    def overlap(self, start: datetime, end: datetime) -> timedelta:
        if start >= end:
            return ZERO
        total = ZERO
        position = bisect.bisect_right(self._ends, start)
        while position < len(self._starts) and self._starts[position] < end:
            total += _overlap(start, end, self._starts[position], self._ends[position])
            position += 1
        return total
