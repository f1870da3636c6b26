"""The time groups of a report: local days, shifts, or local interval buckets.

A group is a half-open stretch ``[start, end)`` of UTC instants. Day and
interval groups tile the requested range exactly, so every instant of the
range is in one group and split totals add up to the unsplit ones. Their
boundaries are wall-clock boundaries of the requested IANA zone: a local
day runs from one local midnight to the next and lasts 23 or 25 hours
across a daylight-saving change; an interval bucket starts at a local
quarter, half or whole hour and is shorter when a change cuts it.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from presence_server.domain.presence import ShiftRecord

INTERVAL_MINUTES = (15, 30, 60)

_SECOND = timedelta(seconds=1)


class Grouping(enum.Enum):
    """How a report's range is cut into rows."""

    DAY = "DAY"
    SHIFT = "SHIFT"
    INTERVAL = "INTERVAL"


@dataclass(frozen=True, slots=True)
class Group:
    """One row's stretch of time, ``[start, end)`` in UTC.

    ``label`` names it for people in the report's zone: ``1999-02-01`` for a
    day, the local start with its UTC offset for an interval or a shift.
    ``shift_id`` is set for shift groups only.
    """

    start: datetime
    end: datetime
    label: str
    shift_id: str = ""
    # A shift group that ends where its shift ended: what the shift recorded
    # at that very instant (a zero-length call, then EndShift) is still in it.
    closed: bool = False

    def contains(self, instant: datetime) -> bool:
        """Whether ``instant`` is in the group.

        A zero-length group holds its one instant, so a shift that began and
        ended at once keeps what happened then.
        """
        return self.start <= instant < self.end or self.start == instant == self.end

    def holds(self, instant: datetime, shift_id: str) -> bool:
        """Whether something recorded at ``instant`` in shift ``shift_id`` is in it.

        Like ``contains``, and a closed shift group also holds its end instant
        for records of its own shift (another shift may start at that instant).
        """
        if self.contains(instant):
            return True
        return (
            self.closed
            and instant == self.end
            and bool(shift_id)
            and shift_id == self.shift_id
        )


def day_groups(start: datetime, end: datetime, zone: ZoneInfo) -> list[Group]:
    """The local days of ``zone`` that ``[start, end)`` touches, cut to it."""
    groups: list[Group] = []
    cursor = start
    while cursor < end:
        day = cursor.astimezone(zone).date()
        stop = min(_midnight_after(day + timedelta(days=1), zone, cursor), end)
        groups.append(Group(cursor, stop, day.isoformat()))
        cursor = stop
    return groups


def _midnight_after(day: date, zone: ZoneInfo, after: datetime) -> datetime:
    """The instant local ``day`` begins, the first one later than ``after``.

    A midnight skipped by a daylight-saving jump resolves (fold 0) to the
    instant of the jump. A midnight that happens twice (clocks turned back
    at midnight) is taken the second time when the first is not later than
    ``after``: the local day before then shows up as two groups.
    """
    for fold in (0, 1):
        local = datetime.combine(day, time(), tzinfo=zone).replace(fold=fold)
        candidate = local.astimezone(UTC)
        if candidate > after:
            return candidate
    # Not reachable with real zones; move on rather than loop forever.
    return after + timedelta(days=1)


def interval_groups(
    start: datetime, end: datetime, zone: ZoneInfo, minutes: int
) -> list[Group]:
    """Buckets of ``minutes`` starting at local wall-clock multiples of it.

    ``minutes`` is 15, 30 or 60. Buckets follow the wall clock of ``zone``:
    at a daylight-saving change the bucket in progress ends at the change
    and the next one starts there, so the repeated autumn hour has its own
    buckets (labelled with their UTC offset) and the skipped spring hour has
    none.
    """
    if minutes not in INTERVAL_MINUTES:
        raise ValueError(f"interval must be one of {INTERVAL_MINUTES} minutes")
    groups: list[Group] = []
    cursor = start
    while cursor < end:
        stop = min(_next_boundary(cursor, zone, minutes), end)
        label = cursor.astimezone(zone).isoformat(timespec="minutes")
        groups.append(Group(cursor, stop, label))
        cursor = stop
    return groups


def _next_boundary(cursor: datetime, zone: ZoneInfo, minutes: int) -> datetime:
    offset = _offset(cursor, zone)
    wall = (cursor + offset).replace(tzinfo=None)
    floor = wall.replace(minute=wall.minute - wall.minute % minutes, second=0)
    floor = floor.replace(microsecond=0)
    # Where the next wall-clock boundary falls if the offset stays as it is.
    candidate = (floor + timedelta(minutes=minutes) - offset).replace(tzinfo=UTC)
    if _offset(candidate, zone) == offset:
        return candidate
    return _change_between(cursor, candidate, zone, offset)


def _offset(instant: datetime, zone: ZoneInfo) -> timedelta:
    offset = instant.astimezone(zone).utcoffset()
    assert offset is not None
    return offset


def _change_between(
    low: datetime, high: datetime, zone: ZoneInfo, before: timedelta
) -> datetime:
    """The first instant in ``(low, high]`` whose UTC offset is not ``before``.

    Offsets change on whole seconds; a bisection over seconds finds it.
    """
    base = low.replace(microsecond=0)
    found = math.ceil((high - base) / _SECOND)
    passed = 0
    while found - passed > 1:
        middle = (passed + found) // 2
        if _offset(base + middle * _SECOND, zone) == before:
            passed = middle
        else:
            found = middle
    return base + found * _SECOND


def shift_groups(
    shifts: Iterable[ShiftRecord], start: datetime, end: datetime, zone: ZoneInfo
) -> list[Group]:
    """One group per shift touching ``[start, end)``, cut to the range.

    Shifts must be closed (an open shift given with its end at "now").
    A zero-length shift is kept when it lies inside the range. A shift that
    ends inside the range keeps its end instant (``Group.closed``).
    """
    groups: list[Group] = []
    for shift in sorted(shifts, key=lambda s: s.start):
        shift_end = shift.end if shift.end is not None else shift.start
        low, high = max(shift.start, start), min(shift_end, end)
        if low < high or (low == high and start <= low < end):
            label = shift.start.astimezone(zone).isoformat(timespec="seconds")
            closed = shift_end < end
            groups.append(Group(low, high, label, shift.id, closed))
    return groups
