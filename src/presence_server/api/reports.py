"""``presence.v1.ReportService``: reports over the stored history.

Thin: requests are checked and converted, ``reports.Reports`` computes.
"""

from __future__ import annotations

import logging
from typing import Any

from presence_server._proto.presence.v1 import reports_pb2, reports_pb2_grpc
from presence_server.domain.agents import check_id
from presence_server.domain.errors import FieldViolation, InvalidArgument
from presence_server.reports.requests import check_range
from presence_server.reports.service import Reports

from .reports_convert import (
    agent_report_to_proto,
    instant_from_proto,
    report_request,
    team_report_to_proto,
    timeline_to_proto,
)

logger = logging.getLogger(__name__)

TEAM_MAX = 64


def _agent_id(value: str) -> str:
    if not value:
        raise InvalidArgument([FieldViolation("agent_id", "is required")])
    violations = check_id(value, "agent_id")
    if violations:
        raise InvalidArgument(violations)
    return value


class ReportServicer(reports_pb2_grpc.ReportServiceServicer):
    """Agent and team reports and an agent's timeline."""

    def __init__(self, reports: Reports) -> None:
        self._reports = reports

    async def GetAgentReport(
        self, request: reports_pb2.GetAgentReportRequest, context: Any
    ) -> reports_pb2.AgentReport:
        agent_id = _agent_id(request.agent_id)
        checked = report_request(request, shifts_allowed=True)
        report = await self._reports.agent_report(agent_id, checked)
        return agent_report_to_proto(report)

    async def GetTeamReport(
        self, request: reports_pb2.GetTeamReportRequest, context: Any
    ) -> reports_pb2.TeamReport:
        team = request.team.strip()
        if not team:
            raise InvalidArgument([FieldViolation("team", "is required")])
        if len(team) > TEAM_MAX:
            raise InvalidArgument(
                [FieldViolation("team", f"must be at most {TEAM_MAX} characters")]
            )
        checked = report_request(request, shifts_allowed=False)
        report = await self._reports.team_report(team, checked)
        return team_report_to_proto(report)

    async def GetAgentTimeline(
        self, request: reports_pb2.GetAgentTimelineRequest, context: Any
    ) -> reports_pb2.AgentTimeline:
        agent_id = _agent_id(request.agent_id)
        span = check_range(
            instant_from_proto(
                request.start_time, request.HasField("start_time"), "start_time"
            ),
            instant_from_proto(
                request.end_time, request.HasField("end_time"), "end_time"
            ),
        )
        timeline = await self._reports.timeline(
            agent_id, span, request.page_size, request.page_token
        )
        return timeline_to_proto(timeline)
