"""Checking report requests: every bad field named at once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from presence_server.domain.errors import InvalidArgument
from presence_server.reports.groups import Grouping
from presence_server.reports.requests import check_range, check_report

START = datetime(2025, 3, 1, tzinfo=UTC)


def fields(error: pytest.ExceptionInfo[InvalidArgument]) -> list[str]:
    return [v.field for v in error.value.field_violations]


def test_a_good_request_comes_back_checked_with_utc_by_default() -> None:
    request = check_report(START, START + timedelta(days=7), " ", Grouping.DAY, 0)

    assert request.zone.key == "UTC"
    assert request.end - request.start == timedelta(days=7)


def test_every_bad_field_is_named_in_one_error() -> None:
    with pytest.raises(InvalidArgument) as raised:
        check_report(None, START, "Atlantis/Capital", Grouping.INTERVAL, 20)

    assert fields(raised) == ["start_time", "time_zone", "interval_minutes"]


@pytest.mark.parametrize(
    ("days", "grouping", "minutes", "message"),
    [
        pytest.param(401, Grouping.DAY, 0, "at most 400 days", id="too-long"),
        pytest.param(32, Grouping.INTERVAL, 15, "at most 31 days", id="interval-long"),
        pytest.param(-1, Grouping.DAY, 0, "must be after start_time", id="backwards"),
        pytest.param(0, Grouping.SHIFT, 0, "must be after start_time", id="empty"),
    ],
)
def test_ranges_must_be_forward_and_bounded(
    days: int, grouping: Grouping, minutes: int, message: str
) -> None:
    with pytest.raises(InvalidArgument, match=message) as raised:
        check_report(START, START + timedelta(days=days), "UTC", grouping, minutes)

    assert fields(raised) == ["end_time"]


def test_team_reports_cannot_group_by_shift() -> None:
    with pytest.raises(InvalidArgument, match="DAY or INTERVAL"):
        check_report(
            START,
            START + timedelta(days=1),
            "UTC",
            Grouping.SHIFT,
            0,
            shifts_allowed=False,
        )


def test_a_timeline_range_needs_both_ends() -> None:
    with pytest.raises(InvalidArgument) as raised:
        check_range(START, None)

    assert fields(raised) == ["end_time"]


def test_instants_past_the_year_9000_are_refused_not_overflowed() -> None:
    start = datetime(8999, 12, 31, tzinfo=UTC)

    with pytest.raises(InvalidArgument, match="must not be after 9000") as raised:
        check_report(
            start, datetime(9999, 12, 31, 23, tzinfo=UTC), "UTC", Grouping.DAY, 0
        )

    assert fields(raised) == ["end_time"]
