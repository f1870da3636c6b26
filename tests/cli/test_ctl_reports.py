"""``presencectl report`` against a real server on a simulated clock.

One ``presence-server`` process for the module, started with a simulated
clock at 2025-03-12 08:00 UTC. Agent ``ann`` (team ``desk``) works one hour:

=====  =====================================
08:00  Available
08:10  a call until 08:20
08:30  Break until 08:45
08:45  Available (still open at 09:00, "now")
=====  =====================================
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import grpc
import pytest
from google.protobuf import timestamp_pb2
from typer.testing import CliRunner, Result

from presence_server._proto.presence.v1 import (
    agents_pb2,
    agents_pb2_grpc,
    common_pb2,
    presence_pb2,
    presence_pb2_grpc,
    simulation_pb2,
    simulation_pb2_grpc,
)
from presence_server.cli.ctl import app
from tests.helpers.server import ServerProcess

BEGIN = datetime(2025, 3, 12, 8, 0, tzinfo=UTC)


def ts(instant: datetime) -> timestamp_pb2.Timestamp:
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(instant)
    return message


def _work_one_hour(channel: grpc.Channel) -> None:
    agents = agents_pb2_grpc.AgentServiceStub(channel)
    presence = presence_pb2_grpc.PresenceServiceStub(channel)
    clock = simulation_pb2_grpc.SimulatedClockServiceStub(channel)

    def at(minutes: int) -> None:
        clock.AdvanceClock(
            simulation_pb2.AdvanceClockRequest(
                to=ts(BEGIN + timedelta(minutes=minutes))
            )
        )

    def status(status_id: str) -> None:
        presence.SetStatus(
            presence_pb2.SetStatusRequest(agent_id="ann", status_type_id=status_id)
        )

    agents.CreateAgent(
        agents_pb2.CreateAgentRequest(
            agent=agents_pb2.Agent(id="ann", display_name="Ann", team="desk")
        )
    )
    status("available")
    at(10)
    presence.StartActivity(
        presence_pb2.StartActivityRequest(
            agent_id="ann", kind=common_pb2.ACTIVITY_KIND_CALL, external_id="c1"
        )
    )
    at(20)
    presence.EndActivity(
        presence_pb2.EndActivityRequest(agent_id="ann", external_id="c1")
    )
    at(30)
    status("break")
    at(45)
    status("available")
    at(60)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ServerProcess]:
    env = {"PRESENCE_CLOCK": "simulated", "PRESENCE_CLOCK_START": BEGIN.isoformat()}
    with ServerProcess(tmp_path_factory.mktemp("reports") / "data", env=env) as process:
        process.wait_until_listening()
        _work_one_hour(process.channel())
        yield process

    if process.process.stdout is not None:
        process.process.stdout.close()


def run(server: ServerProcess, *args: str) -> Result:
    result = CliRunner().invoke(app, ["--server", server.address, *args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    return result


def ok(server: ServerProcess, *args: str) -> Result:
    result = run(server, *args)
    assert result.exit_code == 0, result.output
    return result


def test_agent_report_table_shows_each_figure_and_a_total(
    server: ServerProcess,
) -> None:
    result = ok(
        server, "report", "agent", "ann", "--from", "2025-03-12", "--zone", "UTC"
    )

    lines = result.stdout.splitlines()
    assert "agent ann (Ann), UTC" in lines[0]
    header = next(line for line in lines if "logged in" in line)
    for column in ("available", "busy", "talk", "occupancy", "Available", "Break"):
        assert column in header
    day = next(line for line in lines if "2025-03-12" in line)
    # 60 min logged in, 35 available, 10 busy and talking, 1 call, 22.2%.
    # Break: 15 minutes, its one use, none of it over the allowed 15.
    for cell in ("1:00:00", "0:35:00", "0:10:00", "22.2%", "0:15:00 x1"):
        assert cell in day
    assert any(line.strip("│ ").startswith("total") for line in lines)


def test_agent_report_csv_has_seconds_per_status(
    server: ServerProcess, tmp_path: Path
) -> None:
    target = tmp_path / "ann.csv"

    result = ok(
        server,
        "report",
        "agent",
        "ann",
        "--from",
        "2025-03-12T08:00Z",
        "--to",
        "2025-03-12T09:00Z",
        "--by",
        "interval",
        "--interval",
        "30",
        "--csv",
        str(target),
    )

    with target.open(encoding="utf-8") as stream:
        header = next(csv.reader(stream))
        stream.seek(0)
        rows = list(csv.DictReader(stream))
    assert "wrote 2 rows" in result.stderr
    # The summary column and the Available status's own are two columns.
    assert len(header) == len(set(header))
    assert {"available_seconds", "status_available_seconds"} <= set(header)
    assert [row["label"] for row in rows] == [
        "2025-03-12T08:00+00:00",
        "2025-03-12T08:30+00:00",
    ]
    assert [row["status_break_seconds"] for row in rows] == ["0", "900"]
    assert [row["call_count"] for row in rows] == ["1", "0"]
    assert [row["logged_in_seconds"] for row in rows] == ["1800", "1800"]
    assert rows[0]["start"] == "2025-03-12T08:00:00Z"


def test_format_csv_writes_to_stdout_and_json_is_the_message(
    server: ServerProcess,
) -> None:
    as_csv = ok(
        server, "report", "agent", "ann", "--from", "2025-03-12", "--format", "csv"
    )
    as_json = json.loads(
        ok(server, "--json", "report", "agent", "ann", "--from", "2025-03-12").stdout
    )

    (row,) = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert row["activity_seconds"] == "600"
    assert as_json["agentId"] == "ann"
    assert as_json["rows"][0]["loggedInSeconds"] == 3600


def test_team_report_adds_up_the_team(server: ServerProcess) -> None:
    result = ok(
        server,
        "--json",
        "report",
        "team",
        "desk",
        "--from",
        "2025-03-12",
        "--by",
        "day",
    )

    report = json.loads(result.stdout)
    assert report["agentIds"] == ["ann"]
    assert report["total"]["availableSeconds"] == 35 * 60


def test_timeline_lists_periods_with_how_they_were_entered(
    server: ServerProcess,
) -> None:
    table = ok(server, "report", "timeline", "ann", "--from", "2025-03-12T08:00Z")
    as_csv = ok(
        server,
        "report",
        "timeline",
        "ann",
        "--from",
        "2025-03-12T08:00Z",
        "--format",
        "csv",
    )

    rows = list(csv.DictReader(io.StringIO(as_csv.stdout)))
    assert [(r["status_id"], r["source"], r["seconds"]) for r in rows] == [
        # Offline from the agent's creation until Available, the same instant.
        ("offline", "system", "0"),
        ("available", "agent", "600"),
        ("call", "activity", "600"),
        ("available", "activity", "600"),
        ("break", "agent", "900"),
        ("available", "agent", "900"),
    ]
    assert rows[-1]["open"] == "true"
    assert "(now)" in table.stdout
    assert "On a call" in table.stdout


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["agent", "ann", "--from", "yesterday"], "not a date", id="date"),
        pytest.param(
            ["agent", "ann", "--from", "2025-03-12", "--zone", "Mars/Base"],
            "not an IANA time zone",
            id="zone",
        ),
        pytest.param(
            ["team", "desk", "--from", "2025-03-12", "--by", "shift"],
            "shifts belong to agents",
            id="team-shifts",
        ),
        pytest.param(
            ["agent", "ann", "--from", "9999-12-31"],
            "outside the dates reports cover",
            id="year-9999",
        ),
        pytest.param(
            ["agent", "ann", "--from", "0001-01-01", "--zone", "Asia/Tokyo"],
            "outside the dates reports cover",
            id="year-1-east-of-utc",
        ),
        pytest.param(
            ["agent", "ann", "--from", "2025-03-12", "--interval", "15"],
            "add --by interval",
            id="interval-without-by-interval",
        ),
        pytest.param(
            ["agent", "ann", "--from", "2025-03-12", "--json", "--format", "csv"],
            "both csv and json",
            id="json-and-format-csv",
        ),
        pytest.param(
            ["agent", "ann", "--from", "2025-03-12", "--format", "json", "--csv", "-"],
            "both csv and json",
            id="format-json-and-csv-file",
        ),
        pytest.param(
            ["agent", "ann", "--from", "2025-03-12", "--csv", "/nonexistent/x.csv"],
            "cannot write /nonexistent/x.csv",
            id="csv-into-a-missing-directory",
        ),
    ],
)
def test_usage_errors_exit_2(
    server: ServerProcess, args: list[str], message: str
) -> None:
    result = run(server, "report", *args)

    assert result.exit_code == 2
    assert message in result.output


def test_server_refusals_exit_1_with_the_reason(server: ServerProcess) -> None:
    unknown = run(server, "report", "agent", "nobody", "--from", "2025-03-12")
    backwards = run(
        server, "report", "agent", "ann", "--from", "2025-03-12", "--to", "2025-03-11"
    )

    assert unknown.exit_code == 1
    assert "NOT_FOUND" in unknown.stderr
    assert backwards.exit_code == 1
    assert "end_time: must be after start_time" in backwards.stderr
