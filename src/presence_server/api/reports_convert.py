"""Reports to protobuf, and report requests to checked domain requests."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime

from google.protobuf import timestamp_pb2

from presence_server._proto.presence.v1 import reports_pb2
from presence_server.domain.errors import FieldViolation, InvalidArgument
from presence_server.domain.status_types import StatusType
from presence_server.engine.views import status_ref
from presence_server.reports.figures import Figures
from presence_server.reports.groups import Grouping
from presence_server.reports.requests import ReportRequest, check_report
from presence_server.reports.service import (
    AgentReport,
    TeamReport,
    Timeline,
    TimelineEntry,
)

from .convert import timestamp_from_proto, timestamp_to_proto
from .presence_convert import (
    activity_kind_to_proto,
    source_to_proto,
    status_ref_to_proto,
)

_GROUPINGS = {
    reports_pb2.REPORT_GROUPING_DAY: Grouping.DAY,
    reports_pb2.REPORT_GROUPING_SHIFT: Grouping.SHIFT,
    reports_pb2.REPORT_GROUPING_INTERVAL: Grouping.INTERVAL,
}
_GROUPING_VALUES = {grouping: value for value, grouping in _GROUPINGS.items()}


# --- requests -------------------------------------------------------------------


def instant_from_proto(
    message: timestamp_pb2.Timestamp, present: bool, field: str
) -> datetime | None:
    """A request's Timestamp field, ``None`` when absent; refuses bad values."""
    if not present:
        return None
    try:
        return timestamp_from_proto(message)
    except (ValueError, OverflowError):
        raise InvalidArgument(
            [FieldViolation(field, "is not a valid timestamp")]
        ) from None


def report_request(
    request: reports_pb2.GetAgentReportRequest | reports_pb2.GetTeamReportRequest,
    *,
    shifts_allowed: bool,
) -> ReportRequest:
    """The checked request; every bad field is named in one ``InvalidArgument``."""
    grouping = _GROUPINGS.get(request.grouping)
    if grouping is None and request.grouping != reports_pb2.REPORT_GROUPING_UNSPECIFIED:
        raise InvalidArgument(
            [FieldViolation("grouping", f"unknown value {request.grouping}")]
        )
    return check_report(
        instant_from_proto(
            request.start_time, request.HasField("start_time"), "start_time"
        ),
        instant_from_proto(request.end_time, request.HasField("end_time"), "end_time"),
        request.time_zone,
        grouping,
        request.interval_minutes,
        shifts_allowed=shifts_allowed,
    )


# --- answers --------------------------------------------------------------------


def row_to_proto(
    figures: Figures, types: Mapping[str, StatusType]
) -> reports_pb2.ReportRow:
    group = figures.group

    def order(status_id: str) -> tuple[int, str]:
        st = types.get(status_id)
        return (st.sort_order, st.name) if st is not None else (0, status_id)

    row = reports_pb2.ReportRow(
        start_time=timestamp_to_proto(group.start),
        end_time=timestamp_to_proto(group.end),
        label=group.label,
        shift_id=group.shift_id,
        statuses=[
            reports_pb2.StatusTime(
                status=status_ref_to_proto(status_ref(types, status_id)),
                seconds=figures.statuses[status_id].seconds.total_seconds(),
                uses=figures.statuses[status_id].uses,
                periods=figures.statuses[status_id].periods,
                overage_seconds=figures.statuses[status_id].overage.total_seconds(),
            )
            for status_id in sorted(figures.statuses, key=order)
        ],
        logged_in_seconds=figures.logged_in.total_seconds(),
        available_seconds=figures.available.total_seconds(),
        activity_seconds=figures.activity.total_seconds(),
        activity_total_seconds=figures.activity_total.total_seconds(),
        activities=[
            reports_pb2.ActivityTime(
                kind=activity_kind_to_proto(kind),
                count=activity.count,
                seconds=activity.seconds.total_seconds(),
            )
            for kind, activity in sorted(
                figures.activities.items(),
                key=lambda item: activity_kind_to_proto(item[0]),
            )
        ],
        wrap_up_seconds=figures.wrap_up.total_seconds(),
        occupancy=figures.occupancy,
        agents=figures.agents,
    )
    if figures.first_activity is not None:
        row.first_activity_time.CopyFrom(timestamp_to_proto(figures.first_activity))
    if figures.last_activity is not None:
        row.last_activity_time.CopyFrom(timestamp_to_proto(figures.last_activity))
    return row


def agent_report_to_proto(report: AgentReport) -> reports_pb2.AgentReport:
    request = report.request
    return reports_pb2.AgentReport(
        agent_id=report.agent.id,
        display_name=report.agent.display_name,
        team=report.agent.team,
        time_zone=request.zone.key,
        grouping=_GROUPING_VALUES[request.grouping],
        interval_minutes=request.interval_minutes,
        as_of=timestamp_to_proto(report.as_of),
        rows=[row_to_proto(row, report.types) for row in report.rows],
        total=row_to_proto(report.total, report.types),
    )


def team_report_to_proto(report: TeamReport) -> reports_pb2.TeamReport:
    request = report.request
    return reports_pb2.TeamReport(
        team=report.team,
        agent_ids=[agent.id for agent in report.agents],
        time_zone=request.zone.key,
        grouping=_GROUPING_VALUES[request.grouping],
        interval_minutes=request.interval_minutes,
        as_of=timestamp_to_proto(report.as_of),
        rows=[row_to_proto(row, report.types) for row in report.rows],
        total=row_to_proto(report.total, report.types),
    )


def timeline_to_proto(timeline: Timeline) -> reports_pb2.AgentTimeline:
    return reports_pb2.AgentTimeline(
        agent_id=timeline.agent.id,
        periods=[_entry_to_proto(e, timeline.types) for e in timeline.entries],
        next_page_token=timeline.next_page_token,
        as_of=timestamp_to_proto(timeline.as_of),
    )


def _entry_to_proto(
    entry: TimelineEntry, types: Mapping[str, StatusType]
) -> reports_pb2.TimelinePeriod:
    period = entry.period
    return reports_pb2.TimelinePeriod(
        status=status_ref_to_proto(status_ref(types, period.status_id)),
        start_time=timestamp_to_proto(period.start),
        end_time=timestamp_to_proto(period.end),
        source=source_to_proto(period.actor.source),
        actor=period.actor.name,
        reason=period.actor.reason,
        shift_id=period.shift_id,
        new_use=period.new_use,
        overage_seconds=period.overage_seconds,
        open=entry.open,
    )
