"""Report groups: local days and interval buckets across daylight-saving changes."""

from __future__ import annotations

import itertools
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import pytest

from presence_server.domain.presence import ShiftRecord
from presence_server.reports.groups import (
    Group,
    day_groups,
    interval_groups,
    shift_groups,
)

HOUR = timedelta(hours=1)


def local_midnight(day: date, zone: ZoneInfo) -> datetime:
    return datetime.combine(day, time(), tzinfo=zone).astimezone(UTC)


def assert_tiles(groups: list[Group], start: datetime, end: datetime) -> None:
    assert groups[0].start == start
    assert groups[-1].end == end
    for before, after in itertools.pairwise(groups):
        assert before.end == after.start
        assert before.start < before.end


@pytest.mark.parametrize(
    ("zone", "day", "hours"),
    [
        pytest.param("Europe/Berlin", date(2025, 3, 30), 23, id="berlin-spring-2025"),
        pytest.param("Europe/Berlin", date(2025, 10, 26), 25, id="berlin-autumn-2025"),
        pytest.param("Europe/Berlin", date(1999, 3, 28), 23, id="berlin-spring-1999"),
        pytest.param("Europe/Berlin", date(1999, 10, 31), 25, id="berlin-autumn-1999"),
        pytest.param(
            "Asia/Jerusalem", date(1999, 4, 2), 23, id="jerusalem-spring-1999"
        ),
        pytest.param(
            "Asia/Jerusalem", date(1999, 9, 3), 25, id="jerusalem-autumn-1999"
        ),
        pytest.param(
            "Asia/Jerusalem", date(2025, 3, 28), 23, id="jerusalem-spring-2025"
        ),
        pytest.param(
            "Asia/Jerusalem", date(2025, 10, 26), 25, id="jerusalem-autumn-2025"
        ),
        pytest.param("Asia/Jerusalem", date(1999, 2, 1), 24, id="jerusalem-plain-day"),
        # Clocks go back at midnight: the day before gets the repeated hour.
        pytest.param("America/Santiago", date(2025, 4, 5), 25, id="santiago-autumn"),
        # Midnight itself is skipped: the day starts at 01:00.
        pytest.param("America/Santiago", date(2025, 9, 7), 23, id="santiago-spring"),
        pytest.param("Australia/Lord_Howe", date(2025, 10, 5), 23.5, id="half-hour"),
    ],
)
def test_a_local_day_lasts_from_one_local_midnight_to_the_next(
    zone: str, day: date, hours: float
) -> None:
    tz = ZoneInfo(zone)
    start = local_midnight(day - timedelta(days=1), tz)
    end = start + timedelta(days=3)

    groups = day_groups(start, end, tz)

    assert_tiles(groups, start, end)
    (the_day,) = [g for g in groups if g.label == day.isoformat()]
    assert the_day.end - the_day.start == timedelta(hours=hours)
    assert the_day.start.astimezone(tz).time() in (time(0), time(1))


def test_day_groups_cut_at_the_range_edges() -> None:
    tz = ZoneInfo("Asia/Jerusalem")
    start = datetime(1999, 2, 1, 10, 0, tzinfo=tz).astimezone(UTC)
    end = datetime(1999, 2, 3, 6, 0, tzinfo=tz).astimezone(UTC)

    groups = day_groups(start, end, tz)

    assert [g.label for g in groups] == ["1999-02-01", "1999-02-02", "1999-02-03"]
    assert [g.end - g.start for g in groups] == [14 * HOUR, 24 * HOUR, 6 * HOUR]
    assert_tiles(groups, start, end)


def test_hour_buckets_repeat_the_autumn_hour_with_its_offset() -> None:
    tz = ZoneInfo("Europe/Berlin")
    start = local_midnight(date(2025, 10, 26), tz)

    groups = interval_groups(start, start + 5 * HOUR, tz, 60)

    assert [g.label for g in groups] == [
        "2025-10-26T00:00+02:00",
        "2025-10-26T01:00+02:00",
        "2025-10-26T02:00+02:00",
        "2025-10-26T02:00+01:00",
        "2025-10-26T03:00+01:00",
    ]
    assert {g.end - g.start for g in groups} == {HOUR}


def test_half_hour_buckets_skip_the_missing_spring_hour() -> None:
    tz = ZoneInfo("Europe/Berlin")
    start = local_midnight(date(2025, 3, 30), tz)

    groups = interval_groups(start, start + 3 * HOUR, tz, 30)

    assert [g.label[11:16] for g in groups] == [
        "00:00",
        "00:30",
        "01:00",
        "01:30",
        "03:00",
        "03:30",
    ]
    assert_tiles(groups, start, start + 3 * HOUR)


def test_buckets_follow_the_local_clock_of_a_half_hour_zone() -> None:
    tz = ZoneInfo("Asia/Kolkata")
    start = datetime(2025, 10, 5, 0, 10, tzinfo=tz).astimezone(UTC)

    groups = interval_groups(start, start + 2 * HOUR, tz, 60)

    assert [g.label[11:16] for g in groups] == ["00:10", "01:00", "02:00"]
    assert groups[0].end - groups[0].start == timedelta(minutes=50)
    assert groups[1].start.minute == 30, "local 01:00 is 19:30 UTC"


def test_a_bucket_cut_by_a_half_hour_change_is_shorter() -> None:
    tz = ZoneInfo("Australia/Lord_Howe")
    start = local_midnight(date(2025, 10, 5), tz)

    groups = interval_groups(start, start + timedelta(hours=3.5), tz, 60)

    assert [g.label[11:] for g in groups] == [
        "00:00+10:30",
        "01:00+10:30",
        "02:30+11:00",
        "03:00+11:00",
    ]
    assert [g.end - g.start for g in groups][2] == timedelta(minutes=30)


@pytest.mark.parametrize("minutes", [15, 30, 60])
def test_interval_buckets_tile_a_range_starting_off_the_grid(minutes: int) -> None:
    tz = ZoneInfo("Asia/Jerusalem")
    start = datetime(1999, 9, 2, 22, 7, 13, 500, tzinfo=tz).astimezone(UTC)
    end = start + timedelta(hours=7, minutes=3)

    groups = interval_groups(start, end, tz, minutes)

    assert_tiles(groups, start, end)
    for group in groups[1:]:
        assert group.start.astimezone(tz).minute % minutes == 0


def test_interval_buckets_refuse_other_lengths() -> None:
    start = datetime(2025, 1, 1, tzinfo=UTC)
    with pytest.raises(ValueError, match="15, 30, 60"):
        interval_groups(start, start + HOUR, ZoneInfo("UTC"), 20)


def test_shift_groups_are_cut_to_the_range_and_keep_zero_length_shifts() -> None:
    tz = ZoneInfo("UTC")
    day = datetime(2025, 1, 1, tzinfo=UTC)
    shifts = [
        ShiftRecord("late", "ann", day - 2 * HOUR, day + 6 * HOUR),
        ShiftRecord("blip", "ann", day + 8 * HOUR, day + 8 * HOUR),
        ShiftRecord("after", "ann", day + 30 * HOUR, day + 38 * HOUR),
    ]

    groups = shift_groups(shifts, day, day + 24 * HOUR, tz)

    assert [(g.shift_id, g.start, g.end) for g in groups] == [
        ("late", day, day + 6 * HOUR),
        ("blip", day + 8 * HOUR, day + 8 * HOUR),
    ]
    assert groups[0].label == "2024-12-31T22:00:00+00:00"
    assert groups[1].contains(day + 8 * HOUR)
