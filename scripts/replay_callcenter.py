"""Replay the 1999 call-centre data through a presence-server and check its reports.

The real-traffic test of the whole server. It reads the raw month files with
``callcenter_data`` (which never talks to the server), then drives a running
server through its public gRPC API, in global time order, on the server's
simulated clock:

1. creates the agents (ids are the lower-case names, team ``bank``);
2. for each agent-day (an agent's services starting on one local date)
   starts a shift and sets Available at the first service start, turns each
   served call into a CALL activity from service start to service end
   (overlapping services stay overlapping activities; zero-length ones count)
   and ends the shift at the last service end;
3. before each distinct instant, advances the simulated clock to it (the
   files' naive Asia/Jerusalem wall-clock times, converted to UTC), so
   timers fire in order as time moves; commands of one instant run in
   parallel across agents and in order for each agent;
4. asks the server for each agent-day's report (``GetAgentReport`` grouped by
   SHIFT: an agent-day is exactly one shift, so a service counts on the date
   it starts even when the shift crosses midnight) and compares it with the
   reference figures computed from the files: calls, talk seconds, busy
   seconds (union of service intervals), span (first start to last end: the
   shift's logged-in seconds) and occupancy (busy / span).

It prints one line per agent-day and a summary, and exits with 1 when any
figure differs (2 for usage errors and an unusable server)::

    python scripts/replay_callcenter.py 1999-02-01 --start-server
    python scripts/replay_callcenter.py 1999-02 --start-server
    python scripts/replay_callcenter.py all --server 127.0.0.1:50051

``--start-server`` runs ``presence-server`` as a child process on a free
port with a simulated clock and a fresh SQLite file in a temporary directory
(or ``--database-url``). A server given with ``--server`` must run with
``PRESENCE_CLOCK=simulated`` and a clock start before the first service, and
with limits that let the data through (see ``SERVER_SETTINGS``).
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import logging
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter, defaultdict
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from pathlib import Path
from typing import Any, TypeVar
from zoneinfo import ZoneInfo

import callcenter_data as cc
import grpc
from presence_client import (
    AlreadyExistsError,
    PresenceClient,
    PresenceError,
    RetryPolicy,
)
from presence_client.messages import Agent
from presence_client.proto import common_pb2, presence_pb2, reports_pb2

logger = logging.getLogger("replay_callcenter")

TEAM = "bank"
ZONE = ZoneInfo(cc.LOCAL_ZONE)
AVAILABLE = "available"

SERVER_SETTINGS: dict[str, str] = {
    "PRESENCE_ACTIVITY_CEILING_MINUTES": "600",
    "PRESENCE_MAX_SHIFT_HOURS": "26",
}
"""Settings of a server started with ``--start-server``, beyond the clock.

The data has services up to 8.4 h long and agent-days spanning up to 24 h,
so a server replaying it must not close activities or shifts earlier (the
defaults, 4 h and 16 h, would, and the reports would rightly differ).
"""

# Per RPC; generous, a loaded server may take a while to commit a batch.
RPC_TIMEOUT = 60.0
# Transient transport failures are retried with the same request id.
RETRIES = 5
LISTENING = re.compile(r"listening on (?P<address>\S+?:(?P<port>\d+)),")

T = TypeVar("T")


# --- talking to the server ------------------------------------------------------


def open_client(address: str, token: str | None = None) -> PresenceClient:
    """The client the replay drives the server with.

    Every state-changing command carries a request id made from the data, so
    the client's retries (and a rerun after a crash) never apply one twice.
    """
    return PresenceClient(
        address,
        token=token,
        timeout=RPC_TIMEOUT,
        retry=RetryPolicy(attempts=RETRIES, total_seconds=None),
    )


def utc(local: datetime) -> datetime:
    """A naive Asia/Jerusalem time from the files as an aware UTC instant."""
    return cc.localize(local).astimezone(UTC)


def agent_id(name: str) -> str:
    return name.lower()


def external_id(key: cc.RecordKey) -> str:
    return f"{key.date:%Y%m%d}-{key.vru_line}-{key.call_id}"


# --- the replay -------------------------------------------------------------------


@dataclass
class ReplayStats:
    """What the replay sent and what came back unexpectedly."""

    events: int = 0
    instants: int = 0
    rpcs: int = 0
    agents_created: int = 0
    unexpected: Counter[str] = field(default_factory=Counter)
    seconds: float = 0.0


class UnusableServer(Exception):
    """The server cannot run this replay; ``main`` exits 2 with the message."""


async def check_clock(client: PresenceClient, address: str, first: datetime) -> None:
    """Refuse a server without a simulated clock, or one already past ``first``."""
    try:
        now = await client.clock.now()
    except PresenceError as error:
        if error.code is grpc.StatusCode.UNIMPLEMENTED:
            raise UnusableServer(
                f"the server at {address} does not run a simulated clock; "
                "start it with PRESENCE_CLOCK=simulated and PRESENCE_CLOCK_START "
                "before the first service, or use --start-server"
            ) from None
        raise
    if now > first:
        raise UnusableServer(
            f"the server's clock is at {now.isoformat()}, after the first "
            f"service ({first.isoformat()}); replay on a fresh server"
        )


async def create_agents(
    client: PresenceClient, names: Sequence[str], stats: ReplayStats
) -> None:
    """Create the agents of the team; agents that already exist are kept."""

    async def create(name: str) -> None:
        agent = Agent(id=agent_id(name), display_name=name.title(), team=TEAM)
        try:
            await client.agents.create(agent)
            stats.agents_created += 1
        except AlreadyExistsError:
            pass

    await asyncio.gather(*(create(name) for name in names))


async def replay(
    client: PresenceClient, events: Sequence[cc.ReplayEvent], stats: ReplayStats
) -> None:
    """Send every event at its instant, advancing the simulated clock first."""
    started = time.monotonic()
    report_every = max(1, len(events) // 10)
    next_report = report_every

    for instant, group in itertools.groupby(events, key=lambda e: e.time):
        await client.clock.advance(to=utc(instant))
        stats.rpcs += 1
        stats.instants += 1

        # Per agent in order; agents side by side.
        by_agent: defaultdict[str, list[cc.ReplayEvent]] = defaultdict(list)
        for event in group:
            by_agent[event.agent].append(event)
        await asyncio.gather(
            *(_agent_events(client, evs, stats) for evs in by_agent.values())
        )

        if stats.events >= next_report:
            next_report += report_every
            elapsed = time.monotonic() - started
            logger.info(
                "%s: %d/%d events, %.0f events/s",
                instant.isoformat(sep=" "),
                stats.events,
                len(events),
                stats.events / elapsed if elapsed else 0.0,
            )
    stats.seconds = time.monotonic() - started


async def _agent_events(
    client: PresenceClient, events: Sequence[cc.ReplayEvent], stats: ReplayStats
) -> None:
    for event in events:
        await _apply(client, event, stats)
        stats.events += 1


async def _apply(
    client: PresenceClient, event: cc.ReplayEvent, stats: ReplayStats
) -> None:
    who = agent_id(event.agent)
    day = event.day.isoformat()
    p = presence_pb2
    answers: list[tuple[str, Any]] = []
    if event.kind is cc.EventKind.SHIFT_START:
        answers.append(
            (
                "StartShift",
                await client.start_shift(who, request_id=f"shift:{day}"),
            )
        )
        answers.append(
            (
                "SetStatus",
                await client.set_status(
                    who,
                    AVAILABLE,
                    reason="first call of the day",
                    request_id=f"available:{day}",
                ),
            )
        )
    elif event.kind is cc.EventKind.SHIFT_END:
        answers.append(
            (
                "EndShift",
                await client.end_shift(
                    who, reason="last call of the day", request_id=f"end-shift:{day}"
                ),
            )
        )
    else:
        assert event.key is not None
        call_id = external_id(event.key)
        if event.kind is cc.EventKind.START:
            started = await client.start_activity(
                who,
                common_pb2.ACTIVITY_KIND_CALL,
                call_id,
                request_id=f"start:{call_id}",
            )
            answers.append(("StartActivity", started))
        else:
            ended = await client.end_activity(who, call_id, request_id=f"end:{call_id}")
            answers.append(("EndActivity", ended))

    stats.rpcs += len(answers)
    for method, answer in answers:
        if answer.outcome != p.OUTCOME_APPLIED:
            outcome = p.Outcome.Name(answer.outcome)
            stats.unexpected[f"{method} {outcome}"] += 1
            logger.warning("%s %s at %s answered %s", method, who, event.time, outcome)


# --- the comparison ---------------------------------------------------------------

FIGURES = ("calls", "talk_s", "busy_s", "span_s", "occupancy", "first", "last")


@dataclass(frozen=True)
class Check:
    """One agent-day: the reference figures, the server's, and whether they agree."""

    reference: cc.AgentDay
    server: dict[str, Any]
    differences: tuple[str, ...]

    @property
    def ok(self) -> bool:
        return not self.differences


def reference_figures(day: cc.AgentDay) -> dict[str, Any]:
    return {
        "calls": day.calls,
        "talk_s": day.talk_s,
        "busy_s": day.busy_s,
        "span_s": day.span_s,
        "occupancy": day.occupancy,
        "first": utc(day.first_start),
        "last": utc(day.last_end),
    }


def report_range(day: date) -> tuple[datetime, datetime]:
    """Two local days from the agent-day's date: its shift lies within them."""
    start = datetime.combine(day, clock_time(), tzinfo=ZONE)
    end = datetime.combine(day + timedelta(days=2), clock_time(), tzinfo=ZONE)
    return start.astimezone(UTC), end.astimezone(UTC)


def server_figures(row: Any) -> dict[str, Any]:
    calls = sum(
        a.count for a in row.activities if a.kind == common_pb2.ACTIVITY_KIND_CALL
    )
    first = row.first_activity_time if row.HasField("first_activity_time") else None
    last = row.last_activity_time if row.HasField("last_activity_time") else None
    return {
        "calls": calls,
        "talk_s": row.activity_total_seconds,
        "busy_s": row.activity_seconds,
        "span_s": row.logged_in_seconds,
        "occupancy": row.occupancy,
        "first": first.ToDatetime(tzinfo=UTC) if first is not None else None,
        "last": last.ToDatetime(tzinfo=UTC) if last is not None else None,
    }


def compare(reference: dict[str, Any], server: dict[str, Any]) -> tuple[str, ...]:
    """Names of the figures that differ (occupancy within 1e-9, the rest exactly)."""
    differences = []
    for name in FIGURES:
        mine, theirs = reference[name], server.get(name)
        if name == "occupancy":
            same = theirs is not None and abs(mine - theirs) <= 1e-9
        else:
            same = mine == theirs
        if not same:
            differences.append(name)
    return tuple(differences)


async def check_agent_day(client: PresenceClient, day: cc.AgentDay) -> Check:
    start, end = report_range(day.day)
    report = await client.reports.agent(
        agent_id(day.agent),
        start,
        end,
        time_zone=cc.LOCAL_ZONE,
        grouping=reports_pb2.REPORT_GROUPING_SHIFT,
    )
    shift_start = utc(day.first_start)
    rows = [
        r for r in report.rows if r.start_time.ToDatetime(tzinfo=UTC) == shift_start
    ]
    reference = reference_figures(day)
    if len(rows) != 1:
        return Check(day, {}, (f"{len(rows)} shifts start at {shift_start}",))
    server = server_figures(rows[0])
    return Check(day, server, compare(reference, server))


async def check_all(
    client: PresenceClient, days: Sequence[cc.AgentDay], concurrency: int
) -> list[Check]:
    limit = asyncio.Semaphore(concurrency)

    async def one(day: cc.AgentDay) -> Check:
        async with limit:
            return await check_agent_day(client, day)

    return list(await asyncio.gather(*(one(day) for day in days)))


# --- printing ---------------------------------------------------------------------


def _cell(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, datetime):
        return value.astimezone(ZONE).strftime("%H:%M:%S")
    if isinstance(value, float) and not value.is_integer():
        return f"{value:.4f}"
    if isinstance(value, float):
        return str(int(value))
    return str(value)


def table_lines(checks: Sequence[Check], only_mismatches: bool) -> list[str]:
    """One line per agent-day: each figure as server/reference, then OK/MISMATCH."""
    header = f"{'agent-day':<22}" + "".join(
        f"{name + ' srv/ref':>24}" for name in FIGURES
    )
    lines = [header + "  result", "-" * (len(header) + 10)]
    for check in checks:
        if only_mismatches and check.ok:
            continue
        reference = reference_figures(check.reference)
        label = f"{check.reference.day} {check.reference.agent}"
        cells = "".join(
            f"{_cell(check.server.get(n)) + '/' + _cell(reference[n]):>24}"
            for n in FIGURES
        )
        verdict = "OK" if check.ok else "MISMATCH " + ",".join(check.differences)
        lines.append(f"{label:<22}{cells}  {verdict}")
    return lines


def summary_lines(
    period: cc.Period,
    selection: cc.ServiceSelection,
    checks: Sequence[Check],
    stats: ReplayStats,
    report_seconds: float,
    total_seconds: float,
) -> list[str]:
    services = selection.services
    mismatches = sum(1 for c in checks if not c.ok)
    skipped = ", ".join(
        f"{reason.value} {count}" for reason, count in sorted(selection.skipped.items())
    )
    unexpected = ", ".join(f"{k} {v}" for k, v in sorted(stats.unexpected.items()))
    rate = stats.events / stats.seconds if stats.seconds else 0.0
    rpc_rate = stats.rpcs / stats.seconds if stats.seconds else 0.0
    return [
        f"selection: {period.label}",
        f"agent-days: {len(checks)}, matches: {len(checks) - mismatches}, "
        f"mismatches: {mismatches}",
        f"calls replayed: {len(services)} (zero-length "
        f"{sum(1 for s in services if s.start == s.end)}, concurrent "
        f"{cc.count_concurrent(services)}, crossing midnight "
        f"{cc.count_crossing_midnight(services)})",
        f"skipped records: {skipped or 'none'}",
        f"events: {stats.events} at {stats.instants} distinct instants, "
        f"{stats.rpcs} RPCs, agents created: {stats.agents_created}",
        f"unexpected answers: {unexpected or 'none'}",
        f"wall time: replay {stats.seconds:.1f} s, reports {report_seconds:.1f} s, "
        f"total {total_seconds:.1f} s",
        f"events per second: {rate:.0f} ({rpc_rate:.0f} RPCs/s)",
    ]


# --- a server of our own ------------------------------------------------------------


@contextmanager
def started_server(
    clock_start: datetime, database_url: str | None, data_dir: Path | None
) -> Iterator[str]:
    """``presence-server`` as a child process with a simulated clock; its address."""
    command = _server_command()
    with tempfile.TemporaryDirectory(prefix="replay-") as scratch:
        directory = data_dir or Path(scratch)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PRESENCE_")}
        env.update(
            {
                "PRESENCE_LISTEN_ADDRESS": "127.0.0.1:0",
                "PRESENCE_DATA_DIR": str(directory),
                "PRESENCE_METRICS_ADDRESS": "",
                "PRESENCE_LOG_LEVEL": "INFO",
                "PRESENCE_CLOCK": "simulated",
                "PRESENCE_CLOCK_START": clock_start.isoformat(),
                # A private server on loopback for one replay: development mode.
                "PRESENCE_AUTH_DISABLED": "true",
                **SERVER_SETTINGS,
            }
        )
        if database_url:
            env["PRESENCE_DATABASE_URL"] = database_url
        process = subprocess.Popen(
            command,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        address: list[str] = []
        ready = threading.Event()
        lines: list[str] = []

        def read() -> None:
            assert process.stdout is not None
            for line in process.stdout:
                lines.append(line.rstrip("\n"))
                match = LISTENING.search(line)
                if match and not address:
                    address.append(f"127.0.0.1:{match['port']}")
                    ready.set()
                elif "WARNING" in line or "ERROR" in line:
                    logger.info("server: %s", line.rstrip())
            ready.set()

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        try:
            ready.wait(60)
            if not address:
                raise UnusableServer(
                    "presence-server did not start:\n" + "\n".join(lines[-20:])
                )
            logger.info(
                "started presence-server at %s (data in %s)", address[0], directory
            )
            yield address[0]
        finally:
            if process.poll() is None:
                process.send_signal(signal.SIGTERM)
            try:
                process.wait(30)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(30)
            reader.join(5)
            if process.stdout is not None:
                process.stdout.close()


def _server_command() -> list[str]:
    beside = Path(sys.executable).with_name("presence-server")
    found = str(beside) if beside.exists() else shutil.which("presence-server")
    if found is None:
        raise UnusableServer("presence-server is not installed (pip install -e .)")
    return [found]


# --- the whole run ------------------------------------------------------------------


@dataclass
class Outcome:
    """Everything a run found; ``mismatches`` decides the exit code."""

    period: cc.Period
    selection: cc.ServiceSelection
    checks: list[Check]
    stats: ReplayStats
    report_seconds: float
    total_seconds: float

    @property
    def mismatches(self) -> int:
        return sum(1 for check in self.checks if not check.ok)


async def run(
    address: str,
    period: cc.Period,
    selection: cc.ServiceSelection,
    concurrency: int,
    token: str | None = None,
) -> Outcome:
    """Replay ``selection`` against the server at ``address`` and compare."""
    started = time.monotonic()
    days = cc.agent_days(selection.services)
    events = cc.replay_events(selection.services, with_shifts=True)
    stats = ReplayStats()
    async with open_client(address, token) as client:
        await check_clock(client, address, utc(events[0].time))
        names = sorted({day.agent for day in days})
        await create_agents(client, names, stats)
        await replay(client, events, stats)

        checking = time.monotonic()
        checks = await check_all(client, days, concurrency)
        report_seconds = time.monotonic() - checking
    return Outcome(
        period,
        selection,
        checks,
        stats,
        report_seconds,
        time.monotonic() - started,
    )


def clock_start_for(selection: cc.ServiceSelection) -> datetime:
    """A minute before the first service: where a started server's clock begins."""
    first = min(service.start for service in selection.services)
    return utc(first) - timedelta(minutes=1)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "selection",
        nargs="?",
        default="1999-02-01",
        help="a day (1999-02-01), a month (1999-02) or 'all'; default 1999-02-01",
    )
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--server", help="address of a running server, host:port")
    where.add_argument(
        "--start-server",
        action="store_true",
        help="run presence-server with a simulated clock for the replay",
    )
    parser.add_argument(
        "--token",
        default=os.environ.get("PRESENCE_TOKEN") or None,
        help="with --server: an admin token when the server has authentication on "
        "(default: $PRESENCE_TOKEN)",
    )
    parser.add_argument(
        "--database-url", help="with --start-server: the database (default: SQLite)"
    )
    parser.add_argument(
        "--data-dir", type=Path, help="with --start-server: keep the data here"
    )
    parser.add_argument(
        "--calls-dir", type=Path, help="directory of the month files (default: shared)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=16, help="report requests at once"
    )
    parser.add_argument(
        "--only-mismatches", action="store_true", help="list only differing agent-days"
    )
    parser.add_argument("--quiet", action="store_true", help="print only the summary")
    args = parser.parse_args(argv)
    if not args.server and not args.start_server:
        parser.error("give --server HOST:PORT or --start-server")

    try:
        period = cc.parse_selection(args.selection)
        selection = cc.load_services(period, args.calls_dir)
    except (ValueError, FileNotFoundError) as error:
        print(f"error: {args.selection!r}: {error}", file=sys.stderr)
        return 2
    if not selection.services:
        print(f"error: no services in {period.label}", file=sys.stderr)
        return 2

    try:
        if args.start_server:
            with started_server(
                clock_start_for(selection), args.database_url, args.data_dir
            ) as address:
                outcome = asyncio.run(run(address, period, selection, args.concurrency))
        else:
            outcome = asyncio.run(
                run(args.server, period, selection, args.concurrency, args.token)
            )
    except UnusableServer as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    except PresenceError as error:
        # Answers the replay expects to fail are counted, not raised: this is
        # a server that cannot be reached or stopped answering.
        print(
            f"error: the server failed the replay: {error.code.name}: {error.message}",
            file=sys.stderr,
        )
        return 2

    if not args.quiet:
        print("\n".join(table_lines(outcome.checks, args.only_mismatches)))
        print()
    print(
        "\n".join(
            summary_lines(
                period,
                selection,
                outcome.checks,
                outcome.stats,
                outcome.report_seconds,
                outcome.total_seconds,
            )
        )
    )
    return 1 if outcome.mismatches else 0


if __name__ == "__main__":
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s"
    )
    sys.exit(main())
