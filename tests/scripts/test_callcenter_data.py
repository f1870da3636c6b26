"""Tests of the independent call-centre data reader and its reference figures.

The figures come from the data README (../shared/data/callcenter/README.md);
tests on the real files skip when the files are absent, except under CI=true,
where they fail. Small synthetic month files test the parsing rules one by one.
"""

from __future__ import annotations

import gzip
import os
from collections import defaultdict
from collections.abc import Iterator, Sequence
from datetime import date, datetime, timedelta
from pathlib import Path

import callcenter_data as cc
import pytest

FEB_1 = date(1999, 2, 1)

# The README's roster table for 1999-02-01, row for row.
README_ROSTER_1999_02_01 = """\
| agent | calls | talk_s | busy_s | first | last | span_s | busy% | ovl |
|---|---:|---:|---:|---|---|---:|---:|---:|
| IDIT | 133 | 17011 | 16779 | 15:58:21 | 23:57:28 | 28747 | 58.4 | 3 |
| TOVA | 129 | 18661 | 18661 | 07:02:44 | 14:54:05 | 28281 | 66.0 | 0 |
| ANAT | 126 | 16700 | 16700 | 13:01:40 | 21:05:28 | 29028 | 57.5 | 0 |
| YITZ | 118 | 19026 | 19026 | 08:05:01 | 16:02:02 | 28621 | 66.5 | 0 |
| YIFAT | 113 | 17582 | 16854 | 07:56:08 | 15:49:34 | 28406 | 59.3 | 8 |
| MICHAL | 112 | 15863 | 15863 | 06:59:53 | 14:54:42 | 28489 | 55.7 | 0 |
| KAZAV | 107 | 18179 | 18179 | 08:04:05 | 15:58:51 | 28486 | 63.8 | 0 |
| BENSION | 96 | 12052 | 12052 | 18:09:38 | 23:58:01 | 20903 | 57.7 | 0 |
| SHLOMO | 94 | 8963 | 8931 | 18:37:38 | 23:59:39 | 19321 | 46.2 | 2 |
| DORIT | 84 | 17591 | 17591 | 07:02:55 | 14:47:59 | 27904 | 63.0 | 0 |
| AVNI | 78 | 20334 | 20166 | 15:59:52 | 00:00:32 (+1 day) | 28840 | 69.9 | 2 |
| DARMON | 39 | 8701 | 8559 | 11:04:51 | 18:53:07 | 28096 | 30.5 | 1 |
| GILI | 35 | 3941 | 3941 | 07:00:16 | 13:34:17 | 23641 | 16.7 | 0 |
| ZOHARI | 31 | 9439 | 9439 | 08:07:59 | 16:13:46 | 29147 | 32.4 | 0 |
| ELI | 26 | 8136 | 8136 | 08:25:58 | 15:55:26 | 26968 | 30.2 | 0 |
| PINHAS | 11 | 9382 | 9382 | 15:49:26 | 19:11:21 | 12115 | 77.4 | 0 |"""


# --- Fixtures ----------------------------------------------------------------


def _data_dir_or_skip() -> Path:
    data_dir = cc.default_data_dir()
    if not any(data_dir.glob("anonymous_bank_*.txt.gz")):
        reason = f"call-centre data not found in {data_dir}"
        if os.environ.get("CI") == "true":
            pytest.fail(reason)
        pytest.skip(reason)
    return data_dir


@pytest.fixture(scope="module")
def data_dir() -> Path:
    """The real data directory (skips when absent, fails under CI=true)."""
    return _data_dir_or_skip()


@pytest.fixture(scope="module")
def everything(data_dir: Path) -> cc.ServiceSelection:
    """All nine month files, read once for the module."""
    return cc.load_services(cc.parse_selection("all"), data_dir)


@pytest.fixture(scope="module")
def all_agent_days(everything: cc.ServiceSelection) -> list[cc.AgentDay]:
    """Reference figures of every agent-day in the data."""
    return cc.agent_days(everything.services)


@pytest.fixture(scope="module")
def february_first(data_dir: Path) -> cc.ServiceSelection:
    """1999-02-01 as the replay selects it (January's file read for the eve)."""
    return cc.load_services(cc.parse_selection("1999-02-01"), data_dir)


def _write_month(path: Path, rows: Sequence[Sequence[str]]) -> Path:
    with gzip.open(path, "wt", encoding="ascii", newline="") as stream:
        for row in [cc.HEADER, *rows]:
            stream.write("\t".join(row) + "\n")
    return path


def _row(
    ser_start: str,
    ser_exit: str,
    ser_time: int,
    server: str = "MICHAL",
    *,
    outcome: str = "AGENT",
    late: bool = False,
    call_id: str = "1",
) -> list[str]:
    """A 1999-02-01 record with no queue, entering at 09:59 or (late) 23:58."""
    vru_entry, vru_exit = ("23:58:00", "23:58:10") if late else ("9:59:00", "9:59:10")
    return [
        "AA0101",
        call_id,
        "0",
        "0",
        "PS",
        "990201",
        vru_entry,
        vru_exit,
        "10",
        "0:00:00",
        "0:00:00",
        "0",
        outcome,
        ser_start,
        ser_exit,
        str(ser_time),
        server,
    ]


def _read(tmp_path: Path, *rows: list[str]) -> list[cc.Record]:
    path = _write_month(tmp_path / "anonymous_bank_1999_02_February.txt.gz", rows)
    return list(cc.iter_records(path))


def _service(
    agent: str, start: str, seconds: int, call_id: int = 0, day: date = FEB_1
) -> cc.Service:
    begin = datetime.combine(day, datetime.strptime(start, "%H:%M:%S").time())
    key = cc.RecordKey(day, "AA0101", call_id)
    return cc.Service(agent, begin, begin + timedelta(seconds=seconds), key)


# --- Reading records ---------------------------------------------------------


def test_service_after_midnight_moves_to_next_day(tmp_path: Path) -> None:
    (record,) = _read(tmp_path, _row("0:00:05", "0:03:05", 180, late=True))

    assert record.date == FEB_1
    assert record.vru_entry == datetime(1999, 2, 1, 23, 58)
    assert record.ser_start == datetime(1999, 2, 2, 0, 0, 5)
    assert record.ser_end == datetime(1999, 2, 2, 0, 3, 5)


def test_service_crossing_midnight_ends_next_day(tmp_path: Path) -> None:
    (record,) = _read(tmp_path, _row("23:58:10", "0:01:10", 180, late=True))

    assert record.ser_start == datetime(1999, 2, 1, 23, 58, 10)
    assert record.ser_end == datetime(1999, 2, 2, 0, 1, 10)


def test_vru_exit_slightly_before_entry_stays_on_same_day(tmp_path: Path) -> None:
    row = _row("0:00:00", "0:00:00", 0, "NO_SERVER", outcome="HANG")
    row[6:8] = ["10:05:00", "10:00:00"]

    (record,) = _read(tmp_path, row)

    assert record.vru_entry == datetime(1999, 2, 1, 10, 5)
    assert record.ser_start is None
    assert record.ser_end is None


def test_service_ending_exactly_at_midnight_keeps_its_end(tmp_path: Path) -> None:
    (record,) = _read(tmp_path, _row("23:50:26", "0:00:00", 574, late=True))

    assert record.ser_start == datetime(1999, 2, 1, 23, 50, 26)
    assert record.ser_end == datetime(1999, 2, 2, 0, 0, 0)


def test_service_starting_exactly_at_midnight_keeps_its_start(tmp_path: Path) -> None:
    (record,) = _read(tmp_path, _row("0:00:00", "0:02:00", 120, late=True))

    assert record.ser_start == datetime(1999, 2, 2, 0, 0, 0)
    assert record.ser_end == datetime(1999, 2, 2, 0, 2, 0)


def test_midnight_start_contradicting_ser_time_counts_as_missing(
    tmp_path: Path,
) -> None:
    # Like the two real calls (July and October) whose ser_time of 0
    # disagrees with their ser_exit; the README counts them as untimed.
    (record,) = _read(tmp_path, _row("0:00:00", "0:00:23", 0, late=True))

    assert record.ser_start is None
    assert record.ser_end == datetime(1999, 2, 2, 0, 0, 23)
    assert cc.select_services([record]).skipped == {cc.SkipReason.NO_TIMES: 1}


@pytest.mark.parametrize(
    ("ser_start", "ser_exit", "ser_time"),
    [
        pytest.param("0:00:00", "0:05:00", 60, id="start-side"),
        pytest.param("23:50:00", "0:00:00", 100, id="end-side"),
    ],
)
def test_lone_midnight_disagreeing_with_positive_ser_time_counts_as_missing(
    tmp_path: Path, ser_start: str, ser_exit: str, ser_time: int
) -> None:
    (record,) = _read(tmp_path, _row(ser_start, ser_exit, ser_time, late=True))

    assert None in (record.ser_start, record.ser_end)
    assert cc.select_services([record]).services == []


def test_all_zero_service_fields_mean_no_times(tmp_path: Path) -> None:
    (record,) = _read(tmp_path, _row("0:00:00", "0:00:00", 0))

    assert (record.ser_start, record.ser_end, record.ser_time) == (None, None, 0)


@pytest.mark.parametrize(
    ("raw", "repaired"),
    [
        pytest.param("NO_SERVERAMA", "NAAMA", id="naama"),
        pytest.param("ANO_SERVERT", "ANAT", id="anat"),
        pytest.param("NO_SERVER", "NO_SERVER", id="no-agent-marker-kept"),
        pytest.param("XNO_SERVERAMA", "XNO_SERVERAMA", id="only-exact-matches"),
        pytest.param("MICHAL", "MICHAL", id="ordinary-name"),
    ],
)
def test_mangled_names_are_repaired_exactly(raw: str, repaired: str) -> None:
    assert cc.repair_server(raw) == repaired


def test_record_keeps_raw_and_repaired_server(tmp_path: Path) -> None:
    (record,) = _read(tmp_path, _row("10:00:00", "10:01:00", 60, "ANO_SERVERT"))

    assert record.server == "ANAT"
    assert record.raw_server == "ANO_SERVERT"
    assert record.key == cc.RecordKey(FEB_1, "AA0101", 1)


def test_unexpected_header_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "anonymous_bank_1999_02_February.txt.gz"
    with gzip.open(path, "wt") as stream:
        stream.write("a\tb\tc\n")

    with pytest.raises(ValueError, match="unexpected header"):
        list(cc.iter_records(path))


def test_short_row_is_refused_with_its_line_number(tmp_path: Path) -> None:
    path = _write_month(
        tmp_path / "anonymous_bank_1999_02_February.txt.gz",
        [_row("10:00:00", "10:01:00", 60), ["AA0101", "2"]],
    )

    with pytest.raises(ValueError, match=r":3: expected 17 fields"):
        list(cc.iter_records(path))


# --- Selecting services ------------------------------------------------------


def test_selection_keeps_served_timed_calls_and_counts_the_rest(
    tmp_path: Path,
) -> None:
    records = _read(
        tmp_path,
        _row("10:00:00", "10:02:00", 120, call_id="1"),
        _row("10:05:00", "10:05:00", 0, "NO_SERVERAMA", call_id="2"),
        _row("10:06:00", "10:06:05", 5, "NO_SERVER", call_id="3"),
        _row("0:00:00", "0:00:00", 0, call_id="4"),
        _row("0:00:00", "0:00:00", 0, "YIFAT", outcome="HANG", call_id="5"),
        _row("0:00:00", "0:00:00", 0, "NO_SERVER", outcome="PHANTOM", call_id="6"),
    )

    selection = cc.select_services(records)

    assert [(s.agent, s.key.call_id, s.duration_s) for s in selection.services] == [
        ("MICHAL", 1, 120),
        ("NAAMA", 2, 0),
    ]
    assert selection.skipped == {
        cc.SkipReason.NO_SERVER: 1,
        cc.SkipReason.NO_TIMES: 1,
        cc.SkipReason.HANG: 1,
        cc.SkipReason.PHANTOM: 1,
    }
    assert selection.records == 6
    assert selection.served_calls == 3
    assert selection.served_by_agent == {"MICHAL": 2, "NAAMA": 1}


def test_service_counts_on_the_date_it_starts() -> None:
    late = _service("AVNI", "23:59:00", 120)
    after = _service("AVNI", "00:00:10", 60, day=date(1999, 2, 2))

    days = cc.agent_days([late, after])

    assert [(d.day, d.calls, d.last_end) for d in days] == [
        (FEB_1, 1, datetime(1999, 2, 2, 0, 1)),
        (date(1999, 2, 2), 1, datetime(1999, 2, 2, 0, 1, 10)),
    ]
    assert cc.count_crossing_midnight([late, after]) == 1


# --- Agent-day arithmetic ----------------------------------------------------


def test_agent_day_busy_is_union_and_overlaps_count_nested_starts() -> None:
    services = [
        _service("MICHAL", "10:00:00", 600, 1),  # 10:00-10:10
        _service("MICHAL", "10:02:00", 60, 2),  # inside the first
        _service("MICHAL", "10:09:00", 120, 3),  # starts inside, runs past
        _service("MICHAL", "10:11:00", 60, 4),  # starts exactly at the end
        _service("MICHAL", "10:20:00", 0, 5),  # zero-length
    ]

    (figures,) = cc.agent_days(services)

    assert figures.calls == 5
    assert figures.talk_s == 600 + 60 + 120 + 60
    assert figures.busy_s == 660 + 60
    assert figures.span_s == 20 * 60
    assert figures.occupancy == pytest.approx(720 / 1200)
    assert figures.overlaps == 2
    assert figures.zero_length == 1
    assert cc.count_concurrent(services) == 2


def test_agent_day_of_only_zero_length_services_has_zero_occupancy() -> None:
    (figures,) = cc.agent_days([_service("GILI", "09:00:00", 0)])

    assert (figures.busy_s, figures.span_s, figures.occupancy) == (0, 0, 0.0)


def test_touching_services_are_neither_overlapping_nor_concurrent() -> None:
    services = [_service("ELI", "09:00:00", 60, 1), _service("ELI", "09:01:00", 60, 2)]

    (figures,) = cc.agent_days(services)

    assert (figures.busy_s, figures.overlaps) == (120, 0)
    assert cc.count_concurrent(services) == 0


def test_agent_days_are_ordered_by_day_then_most_calls() -> None:
    services = [
        _service("B", "09:00:00", 10, 1),
        _service("A", "09:00:00", 10, 2),
        _service("C", "09:00:00", 10, 3),
        _service("C", "09:10:00", 10, 4),
    ]

    assert [d.agent for d in cc.agent_days(services)] == ["C", "A", "B"]


# --- Replay order ------------------------------------------------------------


def _kinds(events: Sequence[cc.ReplayEvent]) -> list[tuple[str, str, int | None]]:
    return [
        (e.agent, e.kind.value, None if e.key is None else e.key.call_id)
        for e in events
    ]


def test_zero_length_service_starts_before_it_ends() -> None:
    events = cc.replay_events([_service("TOVA", "09:00:00", 0, 1)])

    assert _kinds(events) == [("TOVA", "start", 1), ("TOVA", "end", 1)]


def test_service_ending_frees_agent_before_next_starts_same_second() -> None:
    first = _service("TOVA", "09:00:00", 60, 1)
    second = _service("TOVA", "09:01:00", 30, 2)

    events = cc.replay_events([second, first])

    assert _kinds(events) == [
        ("TOVA", "start", 1),
        ("TOVA", "end", 1),
        ("TOVA", "start", 2),
        ("TOVA", "end", 2),
    ]


def test_zero_length_service_ends_before_a_longer_one_starting_with_it() -> None:
    longer = _service("TOVA", "09:00:00", 60, 1)
    instant = _service("TOVA", "09:00:00", 0, 2)

    events = cc.replay_events([longer, instant])

    assert _kinds(events) == [
        ("TOVA", "start", 2),
        ("TOVA", "end", 2),
        ("TOVA", "start", 1),
        ("TOVA", "end", 1),
    ]


def test_shift_of_previous_day_ends_before_next_day_shift_starts() -> None:
    crossing = _service("AVNI", "23:59:00", 70, 1)  # ends 00:00:10 on Feb 2
    next_day = _service("AVNI", "00:00:10", 0, 2, day=date(1999, 2, 2))

    events = cc.replay_events([next_day, crossing], with_shifts=True)

    assert _kinds(events) == [
        ("AVNI", "shift_start", None),
        ("AVNI", "start", 1),
        ("AVNI", "end", 1),
        ("AVNI", "shift_end", None),
        ("AVNI", "shift_start", None),
        ("AVNI", "start", 2),
        ("AVNI", "end", 2),
        ("AVNI", "shift_end", None),
    ]
    assert [e.day for e in events if e.kind is cc.EventKind.SHIFT_END] == [
        FEB_1,
        date(1999, 2, 2),
    ]


def test_replay_order_does_not_depend_on_input_order() -> None:
    services = [
        _service("A", "09:00:00", 60, 1),
        _service("B", "09:00:00", 0, 2),
        _service("A", "09:00:30", 30, 3),
        _service("B", "09:01:00", 5, 4),
    ]

    forward = cc.replay_events(services, with_shifts=True)
    backward = cc.replay_events(list(reversed(services)), with_shifts=True)

    assert forward == backward
    assert [e.time for e in forward] == sorted(e.time for e in forward)


def _check_replay_sequence(events: Sequence[cc.ReplayEvent]) -> Iterator[str]:
    """Yield every way ``events`` would confuse a per-agent state machine."""
    open_services: defaultdict[str, set[cc.RecordKey]] = defaultdict(set)
    shift_day: dict[str, date] = {}
    previous: datetime | None = None
    for event in events:
        agent, key = event.agent, event.key
        if previous is not None and event.time < previous:
            yield f"time goes back at {event}"
        previous = event.time

        if event.kind is cc.EventKind.SHIFT_START:
            if agent in shift_day:
                yield f"{agent} starts a shift inside one at {event.time}"
            shift_day[agent] = event.day
        elif event.kind is cc.EventKind.SHIFT_END:
            if open_services[agent] or shift_day.pop(agent, None) != event.day:
                yield f"{agent} ends shift {event.day} badly at {event.time}"
        elif shift_day.get(agent) != event.day or key is None:
            yield f"{agent} has {event.kind} outside its shift at {event.time}"
        elif event.kind is cc.EventKind.START:
            open_services[agent].add(key)
        elif key not in open_services[agent]:
            yield f"{agent} ends {key} before starting it"
        else:
            open_services[agent].remove(key)

    if shift_day:
        yield f"shifts left open: {sorted(shift_day)}"


def test_replay_of_all_data_is_a_valid_sequence_per_agent(
    everything: cc.ServiceSelection, all_agent_days: list[cc.AgentDay]
) -> None:
    events = cc.replay_events(everything.services, with_shifts=True)

    assert list(_check_replay_sequence(events)) == []
    assert len(events) == 2 * len(everything.services) + 2 * len(all_agent_days)


# --- The README's reference figures ------------------------------------------


def test_roster_for_1999_02_01_matches_readme_table(
    february_first: cc.ServiceSelection,
) -> None:
    days = cc.agent_days(february_first.services)

    assert "\n".join(cc.roster_rows(days)) == README_ROSTER_1999_02_01


def test_data_readme_still_shows_the_1999_02_01_roster(data_dir: Path) -> None:
    readme = (data_dir / "README.md").read_text(encoding="utf-8")

    assert README_ROSTER_1999_02_01 in readme


def test_michal_1999_02_01_matches_readme_agent_day_check(
    february_first: cc.ServiceSelection,
) -> None:
    (michal,) = [
        d for d in cc.agent_days(february_first.services) if d.agent == "MICHAL"
    ]

    assert (michal.calls, michal.talk_s, michal.busy_s) == (112, 15863, 15863)
    assert michal.first_start == datetime(1999, 2, 1, 6, 59, 53)
    assert michal.last_end == datetime(1999, 2, 1, 14, 54, 42)
    assert michal.span_s == 28489
    assert round(michal.occupancy, 4) == 0.5568
    assert (michal.overlaps, michal.zero_length) == (0, 0)


def test_zohari_untimed_call_on_1999_02_01_is_counted_not_replayed(
    february_first: cc.ServiceSelection,
) -> None:
    zohari = [s for s in february_first.services if s.agent == "ZOHARI"]

    assert len(zohari) == 31
    assert february_first.served_by_agent["ZOHARI"] == 32
    assert february_first.skipped[cc.SkipReason.NO_TIMES] == 1


def test_one_day_selection_equals_that_day_of_all_data(
    february_first: cc.ServiceSelection, everything: cc.ServiceSelection
) -> None:
    from_all = [s for s in everything.services if s.day == FEB_1]

    assert february_first.services == from_all


def test_coverage_counts_match_readme(everything: cc.ServiceSelection) -> None:
    assert everything.records == 318_286
    assert everything.outcomes == {"AGENT": 254_287, "HANG": 61_341, "PHANTOM": 2_658}
    assert everything.served_calls == 250_168
    assert len(everything.services) == 249_777
    assert everything.skipped == {
        cc.SkipReason.PHANTOM: 2_658,
        cc.SkipReason.HANG: 61_341,
        cc.SkipReason.NO_SERVER: 4_119,
        cc.SkipReason.NO_TIMES: 391,
    }


def test_agent_counts_match_readme(everything: cc.ServiceSelection) -> None:
    agents = everything.served_by_agent

    assert len(everything.served_by_raw_name) == 44
    assert len(agents) == 42
    assert sum(1 for name in agents if name.startswith("Z2")) == 8
    assert agents.most_common(1) == [("SHARON", 19_925)]
    assert everything.served_by_raw_name["NO_SERVERAMA"] == 475 + 408
    assert everything.served_by_raw_name["ANO_SERVERT"] == 338


def test_service_quirk_counts_match_readme(everything: cc.ServiceSelection) -> None:
    services = everything.services
    positive = [s.duration_s for s in services if s.duration_s > 0]

    assert len(services) - len(positive) == 585
    assert cc.count_crossing_midnight(services) == 218
    assert cc.count_concurrent(services) == 4_286
    assert round(sum(positive) / len(positive), 1) == 192.1
    assert round(sum(s.duration_s for s in services) / len(services), 1) == 191.7


def test_agent_day_overlaps_add_up_to_concurrent_services(
    all_agent_days: list[cc.AgentDay],
) -> None:
    assert sum(d.overlaps for d in all_agent_days) == 4_286


def test_no_agent_day_overlaps_the_same_agents_previous_one(
    all_agent_days: list[cc.AgentDay],
) -> None:
    assert cc.overlapping_agent_days(all_agent_days) == []


# --- Files, selections and the command line ----------------------------------


@pytest.mark.parametrize(
    ("text", "first", "last"),
    [
        pytest.param("1999-02-01", FEB_1, FEB_1, id="day"),
        pytest.param("1999-02", FEB_1, date(1999, 2, 28), id="month"),
        pytest.param("February", FEB_1, date(1999, 2, 28), id="month-name"),
        pytest.param("dec", date(1999, 12, 1), date(1999, 12, 31), id="short-name"),
        pytest.param("all", None, None, id="all"),
    ],
)
def test_parse_selection(text: str, first: date | None, last: date | None) -> None:
    period = cc.parse_selection(text)

    assert (period.first, period.last) == (first, last)


@pytest.mark.parametrize("text", ["ju", "1999-13", "yesterday", "1999-02-30"])
def test_parse_selection_refuses_unclear_text(text: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - messages come from several places
        cc.parse_selection(text)


def test_first_of_month_also_reads_previous_month(data_dir: Path) -> None:
    paths = cc.files_for(cc.parse_selection("1999-02-01"), data_dir)

    assert [p.name for p in paths] == [
        "anonymous_bank_1999_01_January.txt.gz",
        "anonymous_bank_1999_02_February.txt.gz",
    ]


def test_missing_previous_month_is_not_needed(data_dir: Path) -> None:
    paths = cc.files_for(cc.parse_selection("1999-09-01"), data_dir)

    assert [p.name for p in paths] == ["anonymous_bank_1999_09_September.txt.gz"]


def test_missing_month_is_refused(data_dir: Path) -> None:
    with pytest.raises(FileNotFoundError, match="1999-08"):
        cc.files_for(cc.parse_selection("august"), data_dir)


def test_month_files_lists_the_nine_months_in_order(data_dir: Path) -> None:
    months = list(cc.month_files(data_dir))

    assert months == [(1999, m) for m in (1, 2, 3, 4, 5, 6, 7, 9, 10)]


def test_data_dir_comes_from_environment_when_set(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv(cc.DATA_DIR_ENV, str(tmp_path))

    assert cc.default_data_dir() == tmp_path
    with pytest.raises(FileNotFoundError, match="no call-centre month files"):
        cc.month_files()


def test_default_data_dir_is_shared_copy_beside_the_repository(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(cc.DATA_DIR_ENV, raising=False)
    root = Path(cc.__file__).resolve().parent.parent

    assert cc.default_data_dir() == root.parent / "shared" / "data" / "callcenter"


def test_localize_attaches_jerusalem_time() -> None:
    winter = cc.localize(datetime(1999, 2, 1, 12, 0))
    summer = cc.localize(datetime(1999, 7, 1, 12, 0))

    assert winter.utcoffset() == timedelta(hours=2)
    assert summer.utcoffset() == timedelta(hours=3)


def test_main_prints_roster_and_summary_for_synthetic_day(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _write_month(
        tmp_path / "anonymous_bank_1999_02_February.txt.gz",
        [
            _row("23:58:10", "0:01:10", 180, "AVNI", late=True, call_id="1"),
            _row("0:00:00", "0:00:00", 0, "AVNI", call_id="2"),
        ],
    )

    code = cc.main(["1999-02-01", "--data-dir", str(tmp_path)])

    out = capsys.readouterr().out
    assert code == 0
    assert "| AVNI | 1 | 180 | 180 | 23:58:10 | 00:01:10 (+1 day) | 180 |" in out
    assert "skipped: no_times 1" in out
    assert "crossing midnight 1" in out


def test_main_reports_unknown_selection(capsys: pytest.CaptureFixture[str]) -> None:
    assert cc.main(["someday"]) == 2
    assert "not a day, month or 'all'" in capsys.readouterr().err
