"""What a report may be asked for, checked in one place.

Every problem with a request is collected and raised together as one
``InvalidArgument`` whose field violations name the request fields, so a
caller fixes them all in one go.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from presence_server.domain.errors import FieldViolation, InvalidArgument
from presence_server.domain.presence import LATEST_INSTANT
from presence_server.reports.groups import INTERVAL_MINUTES, Grouping

MAX_RANGE = timedelta(days=400)
"""The longest range of a report or a timeline."""

MAX_INTERVAL_RANGE = timedelta(days=31)
"""The longest range of a report grouped by interval (at most 2,976 rows)."""

DEFAULT_ZONE = "UTC"

# The longest IANA zone name is 32 characters; longer input is not looked up.
_ZONE_NAME_MAX = 64


@dataclass(frozen=True, slots=True)
class ReportRequest:
    """A checked report request: ``[start, end)`` in UTC, cut by ``grouping``."""

    start: datetime
    end: datetime
    zone: ZoneInfo
    grouping: Grouping
    interval_minutes: int = 0


@dataclass(frozen=True, slots=True)
class Range:
    """A checked ``[start, end)`` in UTC."""

    start: datetime
    end: datetime


def check_report(
    start: datetime | None,
    end: datetime | None,
    time_zone: str,
    grouping: Grouping | None,
    interval_minutes: int,
    *,
    shifts_allowed: bool = True,
) -> ReportRequest:
    """Check a report request; raise ``InvalidArgument`` naming every bad field.

    An empty ``time_zone`` means UTC. ``interval_minutes`` is required with
    INTERVAL grouping (15, 30 or 60) and must be 0 otherwise.
    """
    violations = _range_violations(start, end)
    zone = _zone(time_zone, violations)

    if grouping is None:
        violations.append(
            FieldViolation("grouping", "is required: DAY, SHIFT or INTERVAL")
        )
    elif grouping is Grouping.SHIFT and not shifts_allowed:
        violations.append(
            FieldViolation(
                "grouping",
                "SHIFT groups one agent's shifts; group a team report by DAY or "
                "INTERVAL",
            )
        )
    if grouping is Grouping.INTERVAL:
        if interval_minutes not in INTERVAL_MINUTES:
            violations.append(
                FieldViolation("interval_minutes", "must be 15, 30 or 60 with INTERVAL")
            )
        if start and end and MAX_INTERVAL_RANGE < end - start <= MAX_RANGE:
            violations.append(
                FieldViolation(
                    "end_time",
                    f"an INTERVAL report covers at most {MAX_INTERVAL_RANGE.days} "
                    "days; ask for several",
                )
            )
    elif interval_minutes:
        violations.append(
            FieldViolation("interval_minutes", "is only used with INTERVAL grouping")
        )

    if violations:
        raise InvalidArgument(violations)
    assert start is not None
    assert end is not None
    assert zone is not None
    assert grouping is not None
    return ReportRequest(start, end, zone, grouping, interval_minutes)


def check_range(start: datetime | None, end: datetime | None) -> Range:
    """Check a timeline's range; raise ``InvalidArgument`` when it is wrong."""
    violations = _range_violations(start, end)
    if violations:
        raise InvalidArgument(violations)
    assert start is not None
    assert end is not None
    return Range(start, end)


def _range_violations(
    start: datetime | None, end: datetime | None
) -> list[FieldViolation]:
    violations: list[FieldViolation] = []
    if start is None:
        violations.append(FieldViolation("start_time", "is required"))
    if end is None:
        violations.append(FieldViolation("end_time", "is required"))
    if start is None or end is None:
        return violations
    for name, instant in (("start_time", start), ("end_time", end)):
        if instant > LATEST_INSTANT:
            violations.append(
                FieldViolation(name, f"must not be after {_iso(LATEST_INSTANT)}")
            )
    if violations:
        return violations
    if end <= start:
        violations.append(
            FieldViolation(
                "end_time",
                f"must be after start_time ({_iso(start)}); the range is "
                "[start_time, end_time)",
            )
        )
    elif end - start > MAX_RANGE:
        violations.append(
            FieldViolation(
                "end_time",
                f"the range may cover at most {MAX_RANGE.days} days; ask for several",
            )
        )
    return violations


def _zone(name: str, violations: list[FieldViolation]) -> ZoneInfo | None:
    name = name.strip() or DEFAULT_ZONE
    try:
        if len(name) > _ZONE_NAME_MAX:
            raise ValueError("too long")
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        violations.append(
            FieldViolation(
                "time_zone",
                f"{name[:_ZONE_NAME_MAX]!r} is not an IANA time zone (like "
                "Europe/Berlin or UTC)",
            )
        )
        return None


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
