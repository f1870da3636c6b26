"""ReportService on a real server, on SQLite and PostgreSQL.

History is made through the server's PresenceService, time moved by the
server's engine on the test's ``ManualClock`` (timers fire on the way);
reports are read over gRPC. One morning of agent ``ann`` (UTC, the test
clock starts at 09:30):

====== =========================================================
10:00  Available (a new shift)
10:10  a call, until 10:20
10:30  Break (allowed 15 minutes), until 11:00: 15 minutes overage
11:00  Available, still open when the report is made at 11:30
====== =========================================================
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import grpc
import pytest
from google.protobuf import timestamp_pb2
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from presence_server._proto.presence.v1 import (
    agents_pb2,
    common_pb2,
    presence_pb2,
    reports_pb2,
    reports_pb2_grpc,
)
from tests.conftest import START
from tests.helpers.server import RunningServer

MINUTE = 60.0
DAY_START = datetime(2025, 3, 12, tzinfo=UTC)
DAY_END = DAY_START + timedelta(days=1)


def ts(instant: datetime) -> timestamp_pb2.Timestamp:
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(instant)
    return message


def at(hour: int, minute: int = 0) -> datetime:
    return DAY_START.replace(hour=hour, minute=minute)


class Desk:
    """Drives agents through the server's PresenceService and moves time."""

    def __init__(self, server: RunningServer) -> None:
        self.presence = server.presence
        self.clock = server.clock
        engine = server.server._engine
        assert engine is not None
        self.engine = engine

    async def at(self, instant: datetime) -> None:
        await self.engine.advance_to(instant, self.clock.set)

    async def status(self, agent: str, status_id: str) -> None:
        await self.presence.SetStatus(
            presence_pb2.SetStatusRequest(agent_id=agent, status_type_id=status_id)
        )

    async def call(self, agent: str, call_id: str) -> None:
        await self.presence.StartActivity(
            presence_pb2.StartActivityRequest(
                agent_id=agent, kind=common_pb2.ACTIVITY_KIND_CALL, external_id=call_id
            )
        )

    async def hang_up(self, agent: str, call_id: str) -> None:
        await self.presence.EndActivity(
            presence_pb2.EndActivityRequest(agent_id=agent, external_id=call_id)
        )

    async def end_shift(self, agent: str) -> None:
        await self.presence.EndShift(presence_pb2.EndShiftRequest(agent_id=agent))


@pytest.fixture
async def desk(server: RunningServer) -> Desk:
    """Agents ann and bob (team t1) on the server."""
    for name in ("ann", "bob"):
        await server.agents.CreateAgent(
            agents_pb2.CreateAgentRequest(
                agent=agents_pb2.Agent(id=name, display_name=name.title(), team="t1")
            )
        )
    return Desk(server)


@pytest.fixture
def reports(server: RunningServer) -> reports_pb2_grpc.ReportServiceStub:
    return reports_pb2_grpc.ReportServiceStub(server.channel)


async def ann_morning(desk: Desk) -> None:
    await desk.at(at(10))
    await desk.status("ann", "available")
    await desk.at(at(10, 10))
    await desk.call("ann", "c1")
    await desk.at(at(10, 20))
    await desk.hang_up("ann", "c1")
    await desk.at(at(10, 30))
    await desk.status("ann", "break")
    await desk.at(at(11))
    await desk.status("ann", "available")
    await desk.at(at(11, 30))


def statuses(row: reports_pb2.ReportRow) -> dict[str, tuple[float, int, int, float]]:
    return {
        s.status.id: (s.seconds, s.uses, s.periods, s.overage_seconds)
        for s in row.statuses
    }


def violations(error: grpc.aio.AioRpcError) -> dict[str, str]:
    status = rpc_status.from_call(error)
    assert status is not None
    for detail in status.details:
        if detail.Is(error_details_pb2.BadRequest.DESCRIPTOR):
            bad = error_details_pb2.BadRequest()
            detail.Unpack(bad)
            return {v.field: v.description for v in bad.field_violations}
    return {}


async def test_a_day_report_counts_every_status_and_the_open_period_up_to_now(
    desk: Desk,
    reports: reports_pb2_grpc.ReportServiceStub,
) -> None:
    await ann_morning(desk)

    report = await reports.GetAgentReport(
        reports_pb2.GetAgentReportRequest(
            agent_id="ann",
            start_time=ts(DAY_START),
            end_time=ts(DAY_END),
            time_zone="Europe/Berlin",
            grouping=reports_pb2.REPORT_GROUPING_DAY,
        )
    )

    # The Berlin days touching the UTC range: the 12th from 00:00 UTC (01:00
    # local), and the first hour of the 13th.
    assert [r.label for r in report.rows] == ["2025-03-12", "2025-03-13"]
    row = report.rows[0]
    assert statuses(row)["available"] == (50 * MINUTE, 2, 3, 0.0)
    assert statuses(row)["call"] == (10 * MINUTE, 0, 1, 0.0)
    assert statuses(row)["break"] == (30 * MINUTE, 1, 1, 15 * MINUTE)
    assert row.logged_in_seconds == 90 * MINUTE
    assert row.available_seconds == 50 * MINUTE
    assert row.activity_seconds == row.activity_total_seconds == 10 * MINUTE
    assert [(a.kind, a.count) for a in row.activities] == [
        (common_pb2.ACTIVITY_KIND_CALL, 1)
    ]
    assert row.occupancy == pytest.approx(10 / 60)
    assert row.first_activity_time.ToDatetime(tzinfo=UTC) == at(10, 10)
    assert row.agents == 1
    assert report.as_of.ToDatetime(tzinfo=UTC) == at(11, 30)
    assert report.total.logged_in_seconds == 90 * MINUTE
    # Offline since the agent was created: there, but not logged in.
    assert statuses(row)["offline"][:2] == ((at(10) - START).total_seconds(), 1)


async def test_a_report_covering_now_grows_as_time_passes(
    desk: Desk,
    reports: reports_pb2_grpc.ReportServiceStub,
) -> None:
    await ann_morning(desk)
    request = reports_pb2.GetAgentReportRequest(
        agent_id="ann",
        start_time=ts(DAY_START),
        end_time=ts(DAY_END),
        grouping=reports_pb2.REPORT_GROUPING_DAY,
    )
    before = await reports.GetAgentReport(request)

    await desk.at(at(11, 40))
    after = await reports.GetAgentReport(request)

    assert after.total.available_seconds - before.total.available_seconds == 10 * MINUTE
    assert after.total.logged_in_seconds - before.total.logged_in_seconds == 10 * MINUTE


async def test_interval_rows_cut_the_break_at_quarter_hours(
    desk: Desk,
    reports: reports_pb2_grpc.ReportServiceStub,
) -> None:
    await ann_morning(desk)

    report = await reports.GetAgentReport(
        reports_pb2.GetAgentReportRequest(
            agent_id="ann",
            start_time=ts(at(10)),
            end_time=ts(at(11)),
            time_zone="UTC",
            grouping=reports_pb2.REPORT_GROUPING_INTERVAL,
            interval_minutes=15,
        )
    )

    assert [r.label for r in report.rows] == [
        "2025-03-12T10:00+00:00",
        "2025-03-12T10:15+00:00",
        "2025-03-12T10:30+00:00",
        "2025-03-12T10:45+00:00",
    ]
    assert [statuses(r).get("break", (0.0,))[0] for r in report.rows] == [
        0.0,
        0.0,
        15 * MINUTE,
        15 * MINUTE,
    ]
    assert [r.activity_seconds for r in report.rows] == [5 * MINUTE, 5 * MINUTE, 0, 0]
    # The overage is the last quarter of the break.
    assert [statuses(r).get("break", (0, 0, 0, 0.0))[3] for r in report.rows] == [
        0.0,
        0.0,
        0.0,
        15 * MINUTE,
    ]


async def test_shift_rows_hold_each_shift(
    desk: Desk,
    reports: reports_pb2_grpc.ReportServiceStub,
) -> None:
    await ann_morning(desk)
    await desk.end_shift("ann")
    await desk.at(at(13))
    await desk.status("ann", "available")
    await desk.at(at(14))

    report = await reports.GetAgentReport(
        reports_pb2.GetAgentReportRequest(
            agent_id="ann",
            start_time=ts(DAY_START),
            end_time=ts(DAY_END),
            grouping=reports_pb2.REPORT_GROUPING_SHIFT,
        )
    )

    assert [r.logged_in_seconds for r in report.rows] == [90 * MINUTE, 60 * MINUTE]
    assert [r.start_time.ToDatetime(tzinfo=UTC) for r in report.rows] == [
        at(10),
        at(13),
    ]
    assert all(r.shift_id for r in report.rows)
    assert report.rows[0].end_time.ToDatetime(tzinfo=UTC) == at(11, 30)


async def test_a_team_report_adds_up_its_agents(
    desk: Desk,
    reports: reports_pb2_grpc.ReportServiceStub,
) -> None:
    await desk.status("bob", "lunch")
    await ann_morning(desk)

    report = await reports.GetTeamReport(
        reports_pb2.GetTeamReportRequest(
            team="t1",
            start_time=ts(DAY_START),
            end_time=ts(DAY_END),
            grouping=reports_pb2.REPORT_GROUPING_DAY,
        )
    )

    assert list(report.agent_ids) == ["ann", "bob"]
    (row,) = report.rows
    lunch = (at(11, 30) - START).total_seconds()
    assert row.logged_in_seconds == 90 * MINUTE + lunch
    assert statuses(row)["lunch"][:2] == (lunch, 1)
    assert row.agents == 2
    assert row.occupancy == pytest.approx(10 / 60)


async def test_the_timeline_lists_every_period_then_the_open_one(
    desk: Desk,
    reports: reports_pb2_grpc.ReportServiceStub,
) -> None:
    await ann_morning(desk)
    request = reports_pb2.GetAgentTimelineRequest(
        agent_id="ann", start_time=ts(at(10, 15)), end_time=ts(DAY_END)
    )

    timeline = await reports.GetAgentTimeline(request)
    pages: list[reports_pb2.TimelinePeriod] = []
    token = ""
    while True:
        request.page_size, request.page_token = 2, token
        page = await reports.GetAgentTimeline(request)
        pages.extend(page.periods)
        token = page.next_page_token
        if not token:
            break

    got = [
        (p.status.id, p.start_time.ToDatetime(tzinfo=UTC), p.source, p.open)
        for p in timeline.periods
    ]
    assert got == [
        ("call", at(10, 10), presence_pb2.SOURCE_ACTIVITY, False),
        ("available", at(10, 20), presence_pb2.SOURCE_ACTIVITY, False),
        ("break", at(10, 30), presence_pb2.SOURCE_AGENT, False),
        ("available", at(11), presence_pb2.SOURCE_AGENT, True),
    ]
    assert timeline.periods[2].overage_seconds == 15 * MINUTE
    assert timeline.periods[-1].end_time.ToDatetime(tzinfo=UTC) == at(11, 30)
    assert [p.start_time for p in pages] == [p.start_time for p in timeline.periods]


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        pytest.param({"time_zone": "Mars/Olympus"}, {"time_zone"}, id="unknown-zone"),
        pytest.param({"end_time": ts(DAY_START)}, {"end_time"}, id="empty-range"),
        pytest.param(
            {"end_time": ts(DAY_START + timedelta(days=401))},
            {"end_time"},
            id="range-too-long",
        ),
        pytest.param(
            {
                "grouping": reports_pb2.REPORT_GROUPING_INTERVAL,
                "interval_minutes": 20,
            },
            {"interval_minutes"},
            id="bad-interval",
        ),
        pytest.param(
            {"interval_minutes": 15}, {"interval_minutes"}, id="stray-interval"
        ),
        pytest.param(
            {"grouping": reports_pb2.REPORT_GROUPING_UNSPECIFIED},
            {"grouping"},
            id="no-grouping",
        ),
        pytest.param(
            {"time_zone": "Nowhere", "end_time": ts(DAY_START - timedelta(hours=1))},
            {"time_zone", "end_time"},
            id="all-at-once",
        ),
    ],
)
async def test_bad_report_requests_name_each_bad_field(
    reports: reports_pb2_grpc.ReportServiceStub,
    desk: Desk,
    changes: dict[str, object],
    fields: set[str],
) -> None:
    request = reports_pb2.GetAgentReportRequest(
        agent_id="ann",
        start_time=ts(DAY_START),
        end_time=ts(DAY_END),
        grouping=reports_pb2.REPORT_GROUPING_DAY,
    )
    for name, value in changes.items():
        if isinstance(value, timestamp_pb2.Timestamp):
            getattr(request, name).CopyFrom(value)
        else:
            setattr(request, name, value)

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await reports.GetAgentReport(request)

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(violations(raised.value)) == fields


async def test_a_team_report_by_shift_is_refused(
    reports: reports_pb2_grpc.ReportServiceStub, desk: Desk
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await reports.GetTeamReport(
            reports_pb2.GetTeamReportRequest(
                team="t1",
                start_time=ts(DAY_START),
                end_time=ts(DAY_END),
                grouping=reports_pb2.REPORT_GROUPING_SHIFT,
            )
        )

    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert "DAY or INTERVAL" in violations(raised.value)["grouping"]


async def test_unknown_agent_and_team_are_not_found(
    reports: reports_pb2_grpc.ReportServiceStub, desk: Desk
) -> None:
    with pytest.raises(grpc.aio.AioRpcError) as agent:
        await reports.GetAgentReport(
            reports_pb2.GetAgentReportRequest(
                agent_id="nobody",
                start_time=ts(DAY_START),
                end_time=ts(DAY_END),
                grouping=reports_pb2.REPORT_GROUPING_DAY,
            )
        )
    with pytest.raises(grpc.aio.AioRpcError) as team:
        await reports.GetTeamReport(
            reports_pb2.GetTeamReportRequest(
                team="nowhere",
                start_time=ts(DAY_START),
                end_time=ts(DAY_END),
                grouping=reports_pb2.REPORT_GROUPING_DAY,
            )
        )
    with pytest.raises(grpc.aio.AioRpcError) as timeline:
        await reports.GetAgentTimeline(
            reports_pb2.GetAgentTimelineRequest(
                agent_id="nobody", start_time=ts(DAY_START), end_time=ts(DAY_END)
            )
        )

    assert agent.value.code() is grpc.StatusCode.NOT_FOUND
    assert team.value.code() is grpc.StatusCode.NOT_FOUND
    assert "has no agents" in (team.value.details() or "")
    assert timeline.value.code() is grpc.StatusCode.NOT_FOUND


async def test_a_foreign_page_token_is_refused(
    reports: reports_pb2_grpc.ReportServiceStub,
    desk: Desk,
) -> None:
    await ann_morning(desk)
    first = await reports.GetAgentTimeline(
        reports_pb2.GetAgentTimelineRequest(
            agent_id="ann", start_time=ts(DAY_START), end_time=ts(DAY_END), page_size=1
        )
    )

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await reports.GetAgentTimeline(
            reports_pb2.GetAgentTimelineRequest(
                agent_id="bob",
                start_time=ts(DAY_START),
                end_time=ts(DAY_END),
                page_token=first.next_page_token,
            )
        )

    assert first.next_page_token
    assert raised.value.code() is grpc.StatusCode.INVALID_ARGUMENT
    assert set(violations(raised.value)) == {"page_token"}
