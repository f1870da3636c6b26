"""Independent reader of the 1999 "Anonymous Bank" call-centre files.

This module is the half of the call-centre replay that never talks to the
server. It reads the raw monthly files described in
``../shared/data/callcenter/README.md``, turns every served, timed call into a
:class:`Service` (agent, start, end), computes the reference figures per
agent-day straight from those services, and orders the services into
start/end events for a driver that replays them against a server.

The public entry points, in the order a replay driver uses them:

* :func:`parse_selection` turns ``"1999-02-01"``, ``"1999-02"``,
  ``"february"`` or ``"all"`` into a :class:`Period`;
* :func:`load_services` reads the files that period needs and returns a
  :class:`ServiceSelection` (the services plus counters of what was skipped);
* :func:`agent_days` gives the reference :class:`AgentDay` figures;
* :func:`replay_events` gives the services (and, with ``with_shifts=True``,
  each agent-day's shift start and end) as :class:`ReplayEvent` objects in
  global time order with a documented tie-break;
* :func:`localize` attaches the call centre's time zone to a naive time.

Lower-level pieces (:func:`iter_records`, :func:`select_services`,
:func:`month_files`) are public too, for tests and for whole-data counts.

All times are naive local wall-clock datetimes, as in the files. Only the
standard library is used, so the figures do not depend on the project's code.
Run ``python scripts/callcenter_data.py 1999-02-01`` for the day's roster.
"""

from __future__ import annotations

import argparse
import csv
import enum
import functools
import gzip
import itertools
import logging
import os
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from pathlib import Path
from typing import NamedTuple
from zoneinfo import ZoneInfo

logger = logging.getLogger(__name__)

DATA_DIR_ENV = "PRESENCE_CALLCENTER_DATA"
"""Environment variable that overrides the data directory."""

LOCAL_ZONE = "Asia/Jerusalem"
"""The time zone the README suggests for the files' naive local times."""

NO_SERVER = "NO_SERVER"
"""The ``server`` value that means no agent took part in the call."""

MANGLED_NAMES = {"NO_SERVERAMA": "NAAMA", "ANO_SERVERT": "ANAT"}
"""Names in May and June where "NA" was replaced by ``NO_SERVER`` upstream."""

HEADER = [
    "vru+line",
    "call_id",
    "customer_id",
    "priority",
    "type",
    "date",
    "vru_entry",
    "vru_exit",
    "vru_time",
    "q_start",
    "q_exit",
    "q_time",
    "outcome",
    "ser_start",
    "ser_exit",
    "ser_time",
    "server",
]
"""The header line of every month file, as a list of column names."""

_MISSING = "0:00:00"
_DAY_S = 24 * 3600
_HALF_DAY_S = 12 * 3600
_FILE_NAME = re.compile(r"anonymous_bank_(\d{4})_(\d{2})_([A-Za-z]+)\.txt\.gz")
_MONTH_NAMES = {
    name: number
    for number, name in enumerate(
        [
            "january",
            "february",
            "march",
            "april",
            "may",
            "june",
            "july",
            "august",
            "september",
            "october",
            "november",
            "december",
        ],
        start=1,
    )
}


# --- Records -----------------------------------------------------------------


class RecordKey(NamedTuple):
    """The only safe key of a record: call ids repeat across VRUs and days."""

    date: date
    vru_line: str
    call_id: int


@dataclass(frozen=True, slots=True)
class Record:
    """One line of a month file, with times resolved and the name repaired.

    ``vru_entry``, ``ser_start`` and ``ser_end`` are naive local datetimes
    placed by the README's midnight rule. ``ser_start``/``ser_end`` are None
    when the file gives no usable time (see :func:`iter_records`).
    ``server`` is the repaired name (``NO_SERVER`` kept as is);
    ``raw_server`` is the name exactly as in the file.
    """

    vru_line: str
    call_id: int
    date: date
    type: str
    outcome: str
    server: str
    raw_server: str
    vru_entry: datetime
    ser_start: datetime | None
    ser_end: datetime | None
    ser_time: int

    @property
    def key(self) -> RecordKey:
        """The record's key, ``(date, vru_line, call_id)``."""
        return RecordKey(self.date, self.vru_line, self.call_id)

    @property
    def is_served(self) -> bool:
        """Outcome AGENT with a named agent (the README's "served call")."""
        return self.outcome == "AGENT" and self.server != NO_SERVER


def repair_server(name: str) -> str:
    """Map the two mangled May/June names back; every other name is unchanged.

    Only exact matches are repaired, so ``NO_SERVER`` itself stays the
    no-agent marker.
    """
    return MANGLED_NAMES.get(name, name)


def iter_records(path: Path) -> Iterator[Record]:
    """Yield the records of one gzip month file, in file order.

    Times are resolved with the README's midnight rule: every timestamp of a
    record is put on the record's ``date`` (the VRU entry date) and moved one
    day later when that makes it more than 12 h earlier than the previous
    present timestamp of the record (order: vru_entry, vru_exit, q_start,
    q_exit, ser_start, ser_exit).

    ``0:00:00`` in a queue or service pair means "missing", except for a real
    midnight: a ``0:00:00`` side is kept when the other side is present, the
    pair's duration is positive and the clock difference equals it (mod
    24 h). This keeps a service that ends exactly at midnight (one in March)
    and drops the two served calls whose ``ser_start`` is ``0:00:00`` but
    whose ``ser_time`` of 0 contradicts their ``ser_exit``; the README counts
    those two among the served calls without times.

    Raises ValueError on a header or row that does not match the README.
    """
    with gzip.open(path, "rt", encoding="ascii", newline="") as stream:
        reader = csv.reader(stream, delimiter="\t")
        header = next(reader, None)
        if header != HEADER:
            raise ValueError(f"{path}: unexpected header {header!r}")

        for line_number, row in enumerate(reader, start=2):
            try:
                yield _parse_row(row)
            except (ValueError, IndexError) as error:
                raise ValueError(f"{path}:{line_number}: {error}") from error


def _parse_row(row: list[str]) -> Record:
    if len(row) != len(HEADER):
        raise ValueError(f"expected {len(HEADER)} fields, got {len(row)}")
    (vru_line, call_id, _customer, _priority, call_type, yymmdd) = row[:6]
    (vru_entry, vru_exit, _vru_time, q_start, q_exit, q_time) = row[6:12]
    (outcome, ser_start, ser_exit, ser_time, raw_server) = row[12:]

    day = _parse_date(yymmdd)
    q_pair = _pair_seconds(q_start, q_exit, int(q_time))
    ser_pair = _pair_seconds(ser_start, ser_exit, int(ser_time))
    offsets = _day_offsets(
        [_seconds(vru_entry), _seconds(vru_exit), *q_pair, *ser_pair]
    )
    midnight = datetime.combine(day, time())

    return Record(
        vru_line=vru_line,
        call_id=int(call_id),
        date=day,
        type=call_type,
        outcome=outcome,
        server=repair_server(raw_server),
        raw_server=raw_server,
        vru_entry=_at(midnight, offsets[0]),
        ser_start=_at_or_none(midnight, offsets[4]),
        ser_end=_at_or_none(midnight, offsets[5]),
        ser_time=int(ser_time),
    )


@functools.cache
def _parse_date(yymmdd: str) -> date:
    if len(yymmdd) != 6:
        raise ValueError(f"date is not yymmdd: {yymmdd!r}")
    return date(1900 + int(yymmdd[:2]), int(yymmdd[2:4]), int(yymmdd[4:6]))


@functools.cache
def _seconds(clock: str) -> int:
    hours, minutes, seconds = clock.split(":")
    value = int(hours) * 3600 + int(minutes) * 60 + int(seconds)
    if not 0 <= value < _DAY_S:
        raise ValueError(f"clock time out of range: {clock!r}")
    return value


def _pair_seconds(start: str, end: str, duration: int) -> tuple[int | None, int | None]:
    """Seconds of day of a start/end pair, None where ``0:00:00`` means missing."""
    start_s = None if start == _MISSING else _seconds(start)
    end_s = None if end == _MISSING else _seconds(end)

    # A lone 0:00:00 is a real midnight only when the pair is consistent.
    if start_s is None and end_s is not None and duration > 0:
        start_s = 0 if end_s % _DAY_S == duration % _DAY_S else None
    if end_s is None and start_s is not None and duration > 0:
        end_s = 0 if (-start_s) % _DAY_S == duration % _DAY_S else None
    return start_s, end_s


def _day_offsets(clocks: Sequence[int | None]) -> list[int | None]:
    """The midnight rule on seconds of day: seconds since the record's midnight."""
    offsets: list[int | None] = []
    previous: int | None = None
    for clock in clocks:
        if clock is None:
            offsets.append(None)
            continue
        offset = clock
        if previous is not None and previous - offset > _HALF_DAY_S:
            offset += _DAY_S
        offsets.append(offset)
        previous = offset
    return offsets


def _at(midnight: datetime, offset: int | None) -> datetime:
    if offset is None:
        raise ValueError("vru_entry is missing")
    return midnight + timedelta(seconds=offset)


def _at_or_none(midnight: datetime, offset: int | None) -> datetime | None:
    return None if offset is None else midnight + timedelta(seconds=offset)


# --- Services ----------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Service:
    """One served, timed call: an agent busy from ``start`` to ``end``.

    Times are naive local datetimes; ``end == start`` for a zero-length
    service. ``key`` identifies the source record.
    """

    agent: str
    start: datetime
    end: datetime
    key: RecordKey

    @property
    def day(self) -> date:
        """The date the service counts on: the date it starts."""
        return self.start.date()

    @property
    def duration_s(self) -> int:
        """Talk seconds; equal to the file's ``ser_time`` for every service."""
        return int((self.end - self.start).total_seconds())


class SkipReason(enum.StrEnum):
    """Why a record produced no :class:`Service`."""

    PHANTOM = "phantom"
    """Outcome PHANTOM: a virtual call the documentation says to ignore."""
    HANG = "hang"
    """Outcome HANG: the caller abandoned (4 of them name a server)."""
    NO_SERVER = "no_server"
    """Outcome AGENT but ``server == NO_SERVER``: no agent to replay."""
    NO_TIMES = "no_times"
    """A served call whose service start or end is missing."""
    TIME_MISMATCH = "time_mismatch"
    """A served call whose clock difference disagrees with ``ser_time``."""
    OTHER_OUTCOME = "other_outcome"
    """An outcome the README does not list."""


@dataclass
class ServiceSelection:
    """The services taken from a run of records, and counters of the rest.

    ``services`` are in record order. ``records`` counts every record seen,
    ``outcomes`` counts them by outcome, ``skipped`` counts the records that
    gave no service by reason, and ``served_by_raw_name`` counts served calls
    (timed or not) by the server name exactly as in the file.
    """

    services: list[Service] = field(default_factory=list)
    records: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    skipped: Counter[SkipReason] = field(default_factory=Counter)
    served_by_raw_name: Counter[str] = field(default_factory=Counter)

    @property
    def served_calls(self) -> int:
        """Served calls (outcome AGENT, named server), timed or not."""
        return sum(self.served_by_raw_name.values())

    @property
    def served_by_agent(self) -> Counter[str]:
        """Served calls per agent, after repairing the mangled names."""
        counts: Counter[str] = Counter()
        for name, count in self.served_by_raw_name.items():
            counts[repair_server(name)] += count
        return counts


def select_services(records: Iterable[Record]) -> ServiceSelection:
    """Take every served, timed call as a :class:`Service`; count the rest.

    A service needs outcome AGENT, a named server (``!= NO_SERVER``, after
    repair), a present start and end, and an end that is ``ser_time``
    seconds after the start. Zero-length services are kept.
    """
    selection = ServiceSelection()
    for record in records:
        selection.records += 1
        selection.outcomes[record.outcome] += 1

        reason = _skip_reason(record)
        if record.is_served:
            selection.served_by_raw_name[record.raw_server] += 1
        if reason is not None:
            selection.skipped[reason] += 1
            continue

        # _skip_reason has checked that both times are present.
        assert record.ser_start is not None
        assert record.ser_end is not None
        selection.services.append(
            Service(record.server, record.ser_start, record.ser_end, record.key)
        )
    return selection


def _skip_reason(record: Record) -> SkipReason | None:
    if record.outcome == "PHANTOM":
        return SkipReason.PHANTOM
    if record.outcome == "HANG":
        return SkipReason.HANG
    if record.outcome != "AGENT":
        return SkipReason.OTHER_OUTCOME
    if record.server == NO_SERVER:
        return SkipReason.NO_SERVER
    if record.ser_start is None or record.ser_end is None:
        return SkipReason.NO_TIMES
    if (record.ser_end - record.ser_start).total_seconds() != record.ser_time:
        return SkipReason.TIME_MISMATCH
    return None


def count_crossing_midnight(services: Iterable[Service]) -> int:
    """Services that end on a later date than they start."""
    return sum(1 for service in services if service.end.date() > service.day)


def count_concurrent(services: Iterable[Service]) -> int:
    """Services that start while the same agent is still in an earlier one.

    Per agent, services are taken in (start, end, key) order; one counts
    when it starts strictly before the latest end among the agent's earlier
    services. A service starting at the second another ends does not count.
    Agent-days are not reset, so a service after midnight can count against
    one that began the day before.
    """
    by_agent: defaultdict[str, list[Service]] = defaultdict(list)
    for service in services:
        by_agent[service.agent].append(service)
    return sum(_count_overlaps(agent_services) for agent_services in by_agent.values())


def _service_order(service: Service) -> tuple[datetime, datetime, RecordKey]:
    return service.start, service.end, service.key


def _count_overlaps(services: Iterable[Service]) -> int:
    overlaps = 0
    busy_until: datetime | None = None
    for service in sorted(services, key=_service_order):
        if busy_until is not None and service.start < busy_until:
            overlaps += 1
        if busy_until is None or service.end > busy_until:
            busy_until = service.end
    return overlaps


def _busy_seconds(services: Iterable[Service]) -> int:
    """Length of the union of the services' intervals."""
    busy = timedelta()
    run_start: datetime | None = None
    run_end: datetime | None = None
    for service in sorted(services, key=_service_order):
        if run_start is None or run_end is None or service.start > run_end:
            if run_start is not None and run_end is not None:
                busy += run_end - run_start
            run_start, run_end = service.start, service.end
        elif service.end > run_end:
            run_end = service.end
    if run_start is not None and run_end is not None:
        busy += run_end - run_start
    return int(busy.total_seconds())


# --- Files and selections ----------------------------------------------------


def default_data_dir() -> Path:
    """The data directory: ``$PRESENCE_CALLCENTER_DATA``, else the shared copy.

    The shared copy is ``../shared/data/callcenter`` relative to the
    repository root (this file lives in ``<root>/scripts``).
    """
    override = os.environ.get(DATA_DIR_ENV)
    if override:
        return Path(override)
    root = Path(__file__).resolve().parent.parent
    return root.parent / "shared" / "data" / "callcenter"


def month_files(data_dir: Path | None = None) -> dict[tuple[int, int], Path]:
    """The month files in ``data_dir``, keyed by (year, month), in month order.

    Raises FileNotFoundError when the directory holds no month file.
    """
    directory = default_data_dir() if data_dir is None else data_dir
    found: dict[tuple[int, int], Path] = {}
    for path in sorted(directory.glob("anonymous_bank_*.txt.gz")):
        match = _FILE_NAME.fullmatch(path.name)
        if match is not None:
            found[(int(match[1]), int(match[2]))] = path
    if not found:
        raise FileNotFoundError(f"no call-centre month files in {directory}")
    return dict(sorted(found.items()))


@dataclass(frozen=True)
class Period:
    """A chosen stretch of days, ``first`` to ``last`` inclusive.

    ``first``/``last`` are None for "all": every service in every file.
    """

    label: str
    first: date | None = None
    last: date | None = None

    def contains(self, day: date) -> bool:
        """Whether ``day`` falls in the period."""
        if self.first is None or self.last is None:
            return True
        return self.first <= day <= self.last


def parse_selection(text: str, year: int = 1999) -> Period:
    """Parse ``YYYY-MM-DD`` (a day), ``YYYY-MM`` or a month name, or ``all``.

    A bare month name (``february``, ``feb``) means that month of ``year``.
    Raises ValueError for anything else.
    """
    value = text.strip().lower()
    if value == "all":
        return Period("all")
    if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
        day = date.fromisoformat(value)
        return Period(value, day, day)

    month_match = re.fullmatch(r"(\d{4})-(\d{2})", value)
    if month_match is not None:
        return _month_period(int(month_match[1]), int(month_match[2]))
    names = [
        name for name in _MONTH_NAMES if len(value) >= 3 and name.startswith(value)
    ]
    if len(names) == 1:
        return _month_period(year, _MONTH_NAMES[names[0]])
    raise ValueError(f"not a day, month or 'all': {text!r}")


def _month_period(year: int, month: int) -> Period:
    first = date(year, month, 1)
    following = date(year + month // 12, month % 12 + 1, 1)
    return Period(f"{year:04d}-{month:02d}", first, following - timedelta(days=1))


def files_for(period: Period, data_dir: Path | None = None) -> list[Path]:
    """The month files that can hold services starting in ``period``.

    That is the months of the period plus the month of the day before it,
    since a call that entered the VRU just before midnight is filed under
    its entry date but its service may start after midnight. Raises
    FileNotFoundError when a month of the period itself has no file.
    """
    files = month_files(data_dir)
    if period.first is None or period.last is None:
        return list(files.values())

    months: list[tuple[int, int]] = []
    day = period.first
    while day <= period.last:
        if (day.year, day.month) not in months:
            months.append((day.year, day.month))
        day += timedelta(days=1)
    missing = [
        f"{year}-{month:02d}" for year, month in months if (year, month) not in files
    ]
    if missing:
        have = ", ".join(f"{year}-{month:02d}" for year, month in files)
        raise FileNotFoundError(f"no data file for {', '.join(missing)} (have {have})")

    eve = period.first - timedelta(days=1)
    before = (eve.year, eve.month)
    earlier = [files[before]] if before not in months and before in files else []
    return earlier + [files[month] for month in months]


def record_day(record: Record) -> date:
    """The day a record belongs to: its service start date, else its date."""
    return record.ser_start.date() if record.ser_start is not None else record.date


def load_services(period: Period, data_dir: Path | None = None) -> ServiceSelection:
    """Read the files ``period`` needs and select the period's services.

    A record belongs to the period when :func:`record_day` falls in it, so
    every counter and every service counts on the day its service starts,
    and a service is never split from its record's counters.
    """
    paths = files_for(period, data_dir)
    logger.info("reading %s from %d file(s)", period.label, len(paths))
    records = (
        record
        for path in paths
        for record in iter_records(path)
        if period.contains(record_day(record))
    )
    return select_services(records)


def localize(moment: datetime, zone: str = LOCAL_ZONE) -> datetime:
    """Attach ``zone`` to a naive local time from the files.

    Ambiguous or skipped local times (daylight-saving changes) resolve with
    ``fold=0``; no agent service falls in either shifted hour of 1999.
    """
    if moment.tzinfo is not None:
        raise ValueError(f"expected a naive local time, got {moment.isoformat()}")
    return moment.replace(tzinfo=ZoneInfo(zone))


# --- Reference figures -------------------------------------------------------


@dataclass(frozen=True)
class AgentDay:
    """Reference figures for one agent on one day (the day services start).

    ``busy_s`` is the union of the service intervals, ``span_s`` runs from
    ``first_start`` to ``last_end`` (which may be on the next date),
    ``occupancy`` is ``busy_s / span_s`` (0 when the span is 0) and
    ``overlaps`` counts services that start while the agent is still in an
    earlier service of the same day.
    """

    agent: str
    day: date
    calls: int
    talk_s: int
    busy_s: int
    first_start: datetime
    last_end: datetime
    span_s: int
    occupancy: float
    overlaps: int
    zero_length: int


def agent_days(services: Iterable[Service]) -> list[AgentDay]:
    """Figures per (agent, start date), ordered by day, calls (most first), agent."""
    groups: defaultdict[tuple[str, date], list[Service]] = defaultdict(list)
    for service in services:
        groups[(service.agent, service.day)].append(service)

    days = [_agent_day(agent, day, group) for (agent, day), group in groups.items()]
    days.sort(key=lambda figures: (figures.day, -figures.calls, figures.agent))
    return days


def _agent_day(agent: str, day: date, services: list[Service]) -> AgentDay:
    first_start = min(service.start for service in services)
    last_end = max(service.end for service in services)
    span_s = int((last_end - first_start).total_seconds())
    busy_s = _busy_seconds(services)
    return AgentDay(
        agent=agent,
        day=day,
        calls=len(services),
        talk_s=sum(service.duration_s for service in services),
        busy_s=busy_s,
        first_start=first_start,
        last_end=last_end,
        span_s=span_s,
        occupancy=busy_s / span_s if span_s else 0.0,
        overlaps=_count_overlaps(services),
        zero_length=sum(1 for service in services if service.end == service.start),
    )


def overlapping_agent_days(days: Iterable[AgentDay]) -> list[tuple[AgentDay, AgentDay]]:
    """Pairs (earlier, later) of one agent's agent-days whose spans overlap.

    This happens when an agent works across midnight: the earlier day's last
    service ends after the later day's first service starts. A driver that
    opens one shift per agent-day has to handle these pairs.
    """
    by_agent: defaultdict[str, list[AgentDay]] = defaultdict(list)
    for figures in days:
        by_agent[figures.agent].append(figures)

    pairs: list[tuple[AgentDay, AgentDay]] = []
    for agent_days_ in by_agent.values():
        agent_days_.sort(key=lambda figures: figures.day)
        for earlier, later in itertools.pairwise(agent_days_):
            if later.first_start < earlier.last_end:
                pairs.append((earlier, later))
    return pairs


# --- Replay order ------------------------------------------------------------


class EventKind(enum.StrEnum):
    """What a replay event does to the agent."""

    SHIFT_START = "shift_start"
    """The agent-day begins: at its first service start."""
    START = "start"
    """A service (an activity) begins."""
    END = "end"
    """A service ends."""
    SHIFT_END = "shift_end"
    """The agent-day ends: at its last service end."""


@dataclass(frozen=True, slots=True)
class ReplayEvent:
    """One step of a replay at ``time`` (naive local) for ``agent``.

    ``day`` is the agent-day the event belongs to (the date its service, or
    the day's first service, starts). ``service`` and ``key`` are set for
    START and END, None for the shift events.
    """

    time: datetime
    agent: str
    kind: EventKind
    day: date
    key: RecordKey | None = None
    service: Service | None = None


# Ranks of the event groups within one second; see replay_events.
_ENDS, _SHIFT_ENDS, _SHIFT_STARTS, _STARTS, _LATE_SHIFT_ENDS = range(5)

_EventOrder = tuple[datetime, int, str, int, int]


def replay_events(
    services: Iterable[Service], with_shifts: bool = False
) -> list[ReplayEvent]:
    """Every service's start and end in global time order, optionally with shifts.

    With ``with_shifts``, each agent-day (see :func:`agent_days`) adds a
    SHIFT_START at its first service start and a SHIFT_END at its last
    service end. Events in the same second come in this order, so that an
    agent never ends a service it has not started, frees a finished call
    before taking the next one, and is inside a shift for every service:

    1. ends of services that started in an earlier second;
    2. shift ends of agent-days whose last service is one of those;
    3. shift starts;
    4. starts of services, each zero-length service's end right after its
       own start;
    5. shift ends of agent-days whose last service is zero-length and ends
       in this second (no shift of that agent can start in it, since both
       would be on the same date).

    Within a group the order is agent, then service order (start, end,
    record key), so the result does not depend on the input order.
    """
    ordered = sorted(
        services, key=lambda service: (service.agent, *_service_order(service))
    )
    keyed: list[tuple[_EventOrder, ReplayEvent]] = []
    for rank, service in enumerate(ordered):
        agent, day, key = service.agent, service.day, service.key
        start = ReplayEvent(service.start, agent, EventKind.START, day, key, service)
        end = ReplayEvent(service.end, agent, EventKind.END, day, key, service)
        end_group = _STARTS if service.end == service.start else _ENDS
        keyed.append(((service.start, _STARTS, agent, rank, 0), start))
        keyed.append(((service.end, end_group, agent, rank, 1), end))

    if with_shifts:
        keyed.extend(_shift_events(ordered))
    keyed.sort(key=lambda item: item[0])
    return [event for _, event in keyed]


def _shift_events(ordered: list[Service]) -> list[tuple[_EventOrder, ReplayEvent]]:
    """Shift events of every agent-day of ``ordered`` (in agent, start order)."""
    keyed: list[tuple[_EventOrder, ReplayEvent]] = []
    for (agent, day), group in itertools.groupby(
        ordered, key=lambda service: (service.agent, service.day)
    ):
        day_services = list(group)
        first_start = day_services[0].start
        last_end = max(service.end for service in day_services)
        ends_zero_length = any(
            service.start == service.end == last_end for service in day_services
        )
        end_group = _LATE_SHIFT_ENDS if ends_zero_length else _SHIFT_ENDS
        keyed.append(
            (
                (first_start, _SHIFT_STARTS, agent, 0, 0),
                ReplayEvent(first_start, agent, EventKind.SHIFT_START, day),
            )
        )
        keyed.append(
            (
                (last_end, end_group, agent, 0, 0),
                ReplayEvent(last_end, agent, EventKind.SHIFT_END, day),
            )
        )
    return keyed


# --- Printing ----------------------------------------------------------------


def format_clock(moment: datetime, day: date) -> str:
    """``HH:MM:SS``, with ``(+N day)`` when ``moment`` is after ``day``."""
    text = moment.strftime("%H:%M:%S")
    later = (moment.date() - day).days
    if later:
        text += f" (+{later} day{'s' if later > 1 else ''})"
    return text


def roster_rows(days: Iterable[AgentDay], with_day: bool = False) -> list[str]:
    """Markdown table rows in the README's roster layout (header included)."""
    columns = ["agent", "calls", "talk_s", "busy_s", "first", "last", "span_s"]
    columns += ["busy%", "ovl"]
    aligns = ["---", "---:", "---:", "---:", "---", "---", "---:", "---:", "---:"]
    if with_day:
        columns.insert(0, "day")
        aligns.insert(0, "---")

    rows = ["| " + " | ".join(columns) + " |", "|" + "|".join(aligns) + "|"]
    for figures in days:
        cells = [
            figures.agent,
            str(figures.calls),
            str(figures.talk_s),
            str(figures.busy_s),
            format_clock(figures.first_start, figures.day),
            format_clock(figures.last_end, figures.day),
            str(figures.span_s),
            f"{100 * figures.occupancy:.1f}",
            str(figures.overlaps),
        ]
        if with_day:
            cells.insert(0, figures.day.isoformat())
        rows.append("| " + " | ".join(cells) + " |")
    return rows


def summary_lines(selection: ServiceSelection, days: Sequence[AgentDay]) -> list[str]:
    """A short, human-readable summary of a selection and its agent-days."""
    services = selection.services
    skipped = ", ".join(
        f"{reason.value} {count}" for reason, count in sorted(selection.skipped.items())
    )
    return [
        f"records: {selection.records} ("
        + ", ".join(f"{k} {v}" for k, v in sorted(selection.outcomes.items()))
        + ")",
        f"served calls: {selection.served_calls}, "
        f"agents: {len(selection.served_by_agent)}",
        f"services replayed: {len(services)} "
        f"(zero-length {sum(1 for s in services if s.end == s.start)}, "
        f"crossing midnight {count_crossing_midnight(services)}, "
        f"concurrent {count_concurrent(services)})",
        f"skipped: {skipped or 'none'}",
        f"agent-days: {len(days)} (overlapping the same agent's previous "
        f"agent-day: {len(overlapping_agent_days(days))})",
        f"talk seconds: {sum(d.talk_s for d in days)}, "
        f"busy seconds: {sum(d.busy_s for d in days)}",
    ]


def main(argv: Sequence[str] | None = None) -> int:
    """Print the agent-day table and a summary for a day, a month or all."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "selection",
        nargs="?",
        default="1999-02-01",
        help="a day (1999-02-01), a month (1999-02 or february) or 'all'",
    )
    parser.add_argument(
        "--data-dir",
        type=Path,
        default=None,
        help=f"directory of the month files (default: ${DATA_DIR_ENV} or the "
        "shared copy)",
    )
    parser.add_argument(
        "--summary-only", action="store_true", help="print only the summary"
    )
    args = parser.parse_args(argv)

    try:
        period = parse_selection(args.selection)
        selection = load_services(period, args.data_dir)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {error}", file=sys.stderr)
        return 2

    days = agent_days(selection.services)
    if not args.summary_only:
        with_day = len({figures.day for figures in days}) > 1
        print("\n".join(roster_rows(days, with_day=with_day)))
        print()
    print(f"selection: {period.label}")
    print("\n".join(summary_lines(selection, days)))
    return 0


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING)
    sys.exit(main())
