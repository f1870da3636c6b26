"""``presencectl report``: agent and team reports and an agent's timeline.

::

    presencectl report agent ann --from 2025-03-01 --to 2025-03-08 \\
        --zone Europe/Berlin --by day
    presencectl report team bank --from 1999-02-01 --by interval --interval 60
    presencectl report agent ann --from 2025-03-01 --by shift --csv march.csv
    presencectl report timeline ann --from 2025-03-03 --format csv

``--from`` and ``--to`` take a date (its local midnight in ``--zone``) or a
date and time (with an offset, or local in ``--zone``); the range is
``[from, to)``, so ``--to 2025-03-08`` ends as March 8 begins. Without
``--to`` the range is one day. Tables show times in ``--zone``; CSV has one
line per row with seconds as numbers and instants in ISO 8601 UTC.
"""

from __future__ import annotations

import csv
import enum
import io
import sys
from collections.abc import Iterable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import typer
from presence_client.proto import common_pb2, presence_pb2, reports_pb2
from rich.table import Table

from presence_server.cli.ctl_output import print_json, print_table
from presence_server.cli.ctl_rpc import Connection, JsonOpt, settings_of
from presence_server.domain.presence import LATEST_INSTANT

app = typer.Typer(
    help="Reports: how working time was spent, from the stored history.",
    no_args_is_help=True,
)


class By(enum.StrEnum):
    """How rows are grouped."""

    DAY = "day"
    SHIFT = "shift"
    INTERVAL = "interval"


class Format(enum.StrEnum):
    """What is printed."""

    TABLE = "table"
    CSV = "csv"
    JSON = "json"


FromOpt = Annotated[
    str,
    typer.Option(
        "--from",
        help="Start: a date (local midnight) or date and time. Required.",
        show_default=False,
    ),
]
ToOpt = Annotated[
    str | None,
    typer.Option(
        "--to", help="End (excluded), as --from; one day after --from if left out."
    ),
]
ZoneOpt = Annotated[
    str, typer.Option("--zone", help="IANA time zone for days and display.")
]
ByOpt = Annotated[By, typer.Option("--by", case_sensitive=False, help="Row grouping.")]
IntervalOpt = Annotated[
    int | None,
    typer.Option(
        "--interval",
        help="Minutes per row with --by interval: 15, 30, 60.  [default: 60]",
        show_default=False,
    ),
]
CsvOpt = Annotated[
    Path | None,
    typer.Option(
        "--csv", help="Write CSV to this file ('-' for stdout).", dir_okay=False
    ),
]
FormatOpt = Annotated[
    Format, typer.Option("--format", case_sensitive=False, help="Output format.")
]

_GROUPING = {
    By.DAY: reports_pb2.REPORT_GROUPING_DAY,
    By.SHIFT: reports_pb2.REPORT_GROUPING_SHIFT,
    By.INTERVAL: reports_pb2.REPORT_GROUPING_INTERVAL,
}


@app.command("agent")
def agent_report(
    ctx: typer.Context,
    agent_id: Annotated[
        str, typer.Argument(help="The agent's id.", show_default=False)
    ],
    start: FromOpt,
    end: ToOpt = None,
    zone: ZoneOpt = "UTC",
    by: ByOpt = By.DAY,
    interval: IntervalOpt = None,
    csv_file: CsvOpt = None,
    output: FormatOpt = Format.TABLE,
    json_output: JsonOpt = False,
) -> None:
    """One agent's report: time per status, logged in, available, busy."""
    settings = settings_of(ctx, json_output)
    tz = _zone(zone)
    low, high = _range(start, end, tz)
    with Connection(settings) as conn:
        report = conn.call(
            conn.client.reports.agent(
                agent_id,
                low,
                high,
                time_zone=tz.key,
                grouping=_GROUPING[by],
                interval_minutes=_interval(by, interval),
            )
        )

    title = f"agent {report.agent_id} ({report.display_name}), {tz.key}"
    _emit_report(
        report, title, tz, _format(settings.json_output, output, csv_file), csv_file
    )


@app.command("team")
def team_report(
    ctx: typer.Context,
    team: Annotated[str, typer.Argument(help="The team's name.", show_default=False)],
    start: FromOpt,
    end: ToOpt = None,
    zone: ZoneOpt = "UTC",
    by: ByOpt = By.DAY,
    interval: IntervalOpt = None,
    csv_file: CsvOpt = None,
    output: FormatOpt = Format.TABLE,
    json_output: JsonOpt = False,
) -> None:
    """A team's report: its agents' figures added up (by day or interval)."""
    settings = settings_of(ctx, json_output)
    if by is By.SHIFT:
        raise typer.BadParameter(
            "shifts belong to agents; use --by day or --by interval", param_hint="--by"
        )
    tz = _zone(zone)
    low, high = _range(start, end, tz)
    with Connection(settings) as conn:
        report = conn.call(
            conn.client.reports.team(
                team,
                low,
                high,
                time_zone=tz.key,
                grouping=_GROUPING[by],
                interval_minutes=_interval(by, interval),
            )
        )

    title = f"team {report.team} ({len(report.agent_ids)} agents), {tz.key}"
    _emit_report(
        report, title, tz, _format(settings.json_output, output, csv_file), csv_file
    )


@app.command("timeline")
def timeline(
    ctx: typer.Context,
    agent_id: Annotated[
        str, typer.Argument(help="The agent's id.", show_default=False)
    ],
    start: FromOpt,
    end: ToOpt = None,
    zone: ZoneOpt = "UTC",
    csv_file: CsvOpt = None,
    output: FormatOpt = Format.TABLE,
    json_output: JsonOpt = False,
) -> None:
    """Every period of an agent: status, start, end, how and why it was entered."""
    settings = settings_of(ctx, json_output)
    tz = _zone(zone)
    low, high = _range(start, end, tz)
    periods: list[Any] = []
    page_token = ""
    with Connection(settings) as conn:
        while True:
            page = conn.call(
                conn.client.reports.timeline_page(
                    agent_id, low, high, page_size=5000, page_token=page_token
                )
            )
            periods.extend(page.periods)
            if not page.next_page_token:
                break
            page_token = page.next_page_token

    chosen = _format(settings.json_output, output, csv_file)
    if chosen is Format.JSON:
        page.ClearField("periods")
        page.periods.extend(periods)
        print_json(page)
    elif chosen is Format.CSV:
        _write_csv(csv_file, _timeline_csv(periods))
    else:
        print_table(_timeline_table(agent_id, periods, tz))


# --- options ----------------------------------------------------------------------


def _zone(name: str) -> ZoneInfo:
    try:
        return ZoneInfo(name.strip())
    except (ZoneInfoNotFoundError, ValueError, OSError):
        raise typer.BadParameter(
            f"{name!r} is not an IANA time zone (like Europe/Berlin or UTC)",
            param_hint="--zone",
        ) from None


def _instant(text: str, zone: ZoneInfo, hint: str) -> datetime:
    try:
        value = datetime.fromisoformat(text.strip())
    except ValueError:
        raise typer.BadParameter(
            f"{text!r} is not a date (2025-03-01) or date and time "
            "(2025-03-01T08:00, optionally with an offset)",
            param_hint=hint,
        ) from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=zone)
    try:
        instant = value.astimezone(UTC)
    except OverflowError:
        instant = None
    if instant is None or instant > LATEST_INSTANT:
        raise typer.BadParameter(
            f"{text!r} is outside the dates reports cover (up to "
            f"{LATEST_INSTANT.date().isoformat()})",
            param_hint=hint,
        )
    return instant


def _range(start: str, end: str | None, zone: ZoneInfo) -> tuple[datetime, datetime]:
    low = _instant(start, zone, "--from")
    if end is not None:
        return low, _instant(end, zone, "--to")
    # One local day later, at the same wall-clock time.
    local = low.astimezone(zone)
    following = datetime.combine(
        local.date() + timedelta(days=1), local.time(), tzinfo=zone
    )
    return low, following.astimezone(UTC)


def _interval(by: By, minutes: int | None) -> int:
    if by is not By.INTERVAL:
        if minutes is not None:
            raise typer.BadParameter(
                f"rows are grouped by {by.value}; add --by interval to use it",
                param_hint="--interval",
            )
        return 0
    return 60 if minutes is None else minutes


def _format(json_output: bool, output: Format, csv_file: Path | None) -> Format:
    # Each way of asking for a format must agree with the others: a silently
    # ignored choice would hand a person the output they did not ask for.
    asked = {output} if output is not Format.TABLE else set()
    if json_output:
        asked.add(Format.JSON)
    if csv_file is not None:
        asked.add(Format.CSV)
    if len(asked) > 1:
        names = " and ".join(sorted(chosen.value for chosen in asked))
        raise typer.BadParameter(
            f"asks for both {names}; choose one of --json, --csv FILE, --format",
            param_hint="--format",
        )
    return asked.pop() if asked else Format.TABLE


# --- reports ----------------------------------------------------------------------


def _emit_report(
    report: Any, title: str, zone: ZoneInfo, chosen: Format, csv_file: Path | None
) -> None:
    if chosen is Format.JSON:
        print_json(report)
    elif chosen is Format.CSV:
        _write_csv(csv_file, _report_csv(report.rows))
    else:
        print_table(_report_table(report, title))


def _status_columns(rows: Iterable[Any]) -> list[tuple[str, str]]:
    """(id, name) of every status with time in any row, in the server's order."""
    seen: dict[str, str] = {}
    for row in rows:
        for item in row.statuses:
            seen.setdefault(item.status.id, item.status.name)
    return list(seen.items())


def _report_table(report: Any, title: str) -> Table:
    rows = [*report.rows, report.total]
    statuses = _status_columns(rows)
    table = Table(
        title=title,
        title_justify="left",
        caption=(
            "busy: activity time, overlaps counted once; talk: activity time "
            "added up. Per status: time, xN uses begun in the row, +time over "
            "the allowed minutes."
        ),
        caption_justify="left",
    )
    for name in ("row", "logged in", "available", "busy", "talk", "activities"):
        table.add_column(name, justify="left" if name == "row" else "right")
    table.add_column("wrap-up", justify="right")
    table.add_column("occupancy", justify="right")
    for _, name in statuses:
        table.add_column(name, justify="right")

    for row in rows:
        is_total = row is report.total
        by_id = {item.status.id: item for item in row.statuses}
        cells = [
            "total" if is_total else row.label,
            _hms(row.logged_in_seconds),
            _hms(row.available_seconds),
            _hms(row.activity_seconds),
            _hms(row.activity_total_seconds),
            str(sum(a.count for a in row.activities)),
            _hms(row.wrap_up_seconds),
            f"{100 * row.occupancy:.1f}%",
        ]
        cells += [
            _status_cell(by_id[status_id]) if status_id in by_id else "-"
            for status_id, _ in statuses
        ]
        table.add_row(*cells, end_section=not is_total and row is rows[-2])
    return table


def _status_cell(item: Any) -> str:
    cell = _hms(item.seconds)
    if item.uses:
        cell += f" x{item.uses}"
    if item.overage_seconds:
        cell += f" +{_hms(item.overage_seconds)}"
    return cell


def _report_csv(rows: Sequence[Any]) -> list[list[str]]:
    statuses = _status_columns(rows)
    kinds = [
        name.removeprefix("ACTIVITY_KIND_").lower()
        for name, _ in common_pb2.ActivityKind.items()
        if not name.endswith("UNSPECIFIED")
    ]
    header = [
        "start",
        "end",
        "label",
        "shift_id",
        "agents",
        "logged_in_seconds",
        "available_seconds",
        "activity_seconds",
        "activity_total_seconds",
        "wrap_up_seconds",
        "occupancy",
        "first_activity",
        "last_activity",
    ]
    header += [f"{kind}_count" for kind in kinds]
    # Status ids are chosen by administrators: prefixed, they can never
    # collide with a fixed column ("available" would, "logged_in" could).
    for status_id, _ in statuses:
        header += [
            f"status_{status_id}_seconds",
            f"status_{status_id}_uses",
            f"status_{status_id}_periods",
            f"status_{status_id}_overage_seconds",
        ]
    lines = [header]
    for row in rows:
        counts = {
            common_pb2.ActivityKind.Name(a.kind)
            .removeprefix("ACTIVITY_KIND_")
            .lower(): a.count
            for a in row.activities
        }
        by_id = {item.status.id: item for item in row.statuses}
        line = [
            _iso(row.start_time),
            _iso(row.end_time),
            row.label,
            row.shift_id,
            str(row.agents),
            _number(row.logged_in_seconds),
            _number(row.available_seconds),
            _number(row.activity_seconds),
            _number(row.activity_total_seconds),
            _number(row.wrap_up_seconds),
            f"{row.occupancy:.6f}",
            _iso(row.first_activity_time)
            if row.HasField("first_activity_time")
            else "",
            _iso(row.last_activity_time) if row.HasField("last_activity_time") else "",
        ]
        line += [str(counts.get(kind, 0)) for kind in kinds]
        for status_id, _ in statuses:
            item = by_id.get(status_id)
            line += (
                [
                    _number(item.seconds),
                    str(item.uses),
                    str(item.periods),
                    _number(item.overage_seconds),
                ]
                if item is not None
                else ["0", "0", "0", "0"]
            )
        lines.append(line)
    return lines


# --- timeline ---------------------------------------------------------------------


def _timeline_table(agent_id: str, periods: Sequence[Any], zone: ZoneInfo) -> Table:
    table = Table(title=f"timeline of {agent_id}, {zone.key}", title_justify="left")
    for name in ("start", "end", "duration", "status", "source", "actor", "reason"):
        table.add_column(name, justify="right" if name == "duration" else "left")
    for period in periods:
        start = period.start_time.ToDatetime(tzinfo=UTC)
        end = period.end_time.ToDatetime(tzinfo=UTC)
        table.add_row(
            _local(start, zone),
            "(now) " + _local(end, zone) if period.open else _local(end, zone),
            _hms((end - start).total_seconds()),
            period.status.name,
            _source(period.source),
            period.actor,
            period.reason,
        )
    return table


def _timeline_csv(periods: Sequence[Any]) -> list[list[str]]:
    lines = [
        [
            "start",
            "end",
            "seconds",
            "status_id",
            "status",
            "source",
            "actor",
            "reason",
            "shift_id",
            "new_use",
            "overage_seconds",
            "open",
        ]
    ]
    for p in periods:
        seconds = (p.end_time.ToDatetime() - p.start_time.ToDatetime()).total_seconds()
        lines.append(
            [
                _iso(p.start_time),
                _iso(p.end_time),
                _number(seconds),
                p.status.id,
                p.status.name,
                _source(p.source),
                p.actor,
                p.reason,
                p.shift_id,
                "true" if p.new_use else "false",
                _number(p.overage_seconds),
                "true" if p.open else "false",
            ]
        )
    return lines


# --- formatting -------------------------------------------------------------------


def _write_csv(target: Path | None, lines: list[list[str]]) -> None:
    buffer = io.StringIO()
    csv.writer(buffer, lineterminator="\n").writerows(lines)
    if target is None or str(target) == "-":
        sys.stdout.write(buffer.getvalue())
        return
    try:
        target.write_text(buffer.getvalue(), encoding="utf-8")
    except OSError as error:
        raise typer.BadParameter(
            f"cannot write {target}: {error.strerror or error}", param_hint="--csv"
        ) from None
    typer.echo(f"wrote {len(lines) - 1} rows to {target}", err=True)


def _hms(seconds: float) -> str:
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}"


def _number(seconds: float) -> str:
    return f"{seconds:.6f}".rstrip("0").rstrip(".") or "0"


def _iso(stamp: Any) -> str:
    return str(stamp.ToJsonString())


def _local(instant: datetime, zone: ZoneInfo) -> str:
    return instant.astimezone(zone).isoformat(sep=" ", timespec="seconds")


def _source(value: int) -> str:
    name: str = presence_pb2.Source.Name(value)  # type: ignore[arg-type]
    return name.removeprefix("SOURCE_").lower()
