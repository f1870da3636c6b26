"""Reports over stored history (``client.reports``) and the simulated clock.

Every call here only reads (the clock's ``advance`` aside), so reports are
retried after transient failures. Instants are timezone-aware ``datetime``
values; a naive one is refused rather than guessed.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf import duration_pb2, timestamp_pb2

from ._proto.presence.v1 import (
    reports_pb2,
    reports_pb2_grpc,
    simulation_pb2,
    simulation_pb2_grpc,
)
from ._rpc import Rpc


def to_timestamp(instant: datetime) -> timestamp_pb2.Timestamp:
    """A ``google.protobuf.Timestamp`` for an aware ``datetime``."""
    if instant.tzinfo is None:
        raise ValueError(f"{instant!r} has no time zone; give an aware datetime")
    message = timestamp_pb2.Timestamp()
    message.FromDatetime(instant)
    return message


class Reports:
    """``ReportService``: time per status, per agent or team, and timelines."""

    def __init__(self, rpc: Rpc) -> None:
        self._rpc = rpc

    @property
    def _stub(self) -> Any:
        return self._rpc.stub(reports_pb2_grpc.ReportServiceStub)

    async def agent(
        self,
        agent_id: str,
        start: datetime,
        end: datetime,
        *,
        time_zone: str = "UTC",
        grouping: reports_pb2.ReportGrouping.ValueType = (
            reports_pb2.REPORT_GROUPING_DAY
        ),
        interval_minutes: int = 0,
    ) -> reports_pb2.AgentReport:
        """One agent's figures from ``start`` to ``end``, in rows by ``grouping``.

        Days and intervals are cut in ``time_zone`` (an IANA name).
        """
        request = reports_pb2.GetAgentReportRequest(
            agent_id=agent_id,
            start_time=to_timestamp(start),
            end_time=to_timestamp(end),
            time_zone=time_zone,
            grouping=grouping,
            interval_minutes=interval_minutes,
        )
        return await self._rpc.unary(
            self._stub.GetAgentReport, request, reports_pb2.AgentReport, retry=True
        )

    async def team(
        self,
        team: str,
        start: datetime,
        end: datetime,
        *,
        time_zone: str = "UTC",
        grouping: reports_pb2.ReportGrouping.ValueType = (
            reports_pb2.REPORT_GROUPING_DAY
        ),
        interval_minutes: int = 0,
    ) -> reports_pb2.TeamReport:
        """A team's figures added up, by day or interval (not by shift)."""
        request = reports_pb2.GetTeamReportRequest(
            team=team,
            start_time=to_timestamp(start),
            end_time=to_timestamp(end),
            time_zone=time_zone,
            grouping=grouping,
            interval_minutes=interval_minutes,
        )
        return await self._rpc.unary(
            self._stub.GetTeamReport, request, reports_pb2.TeamReport, retry=True
        )

    async def timeline_page(
        self,
        agent_id: str,
        start: datetime,
        end: datetime,
        *,
        page_size: int = 0,
        page_token: str = "",
    ) -> reports_pb2.AgentTimeline:
        """One page of an agent's periods; ``next_page_token`` empty on the last."""
        request = reports_pb2.GetAgentTimelineRequest(
            agent_id=agent_id,
            start_time=to_timestamp(start),
            end_time=to_timestamp(end),
            page_size=page_size,
            page_token=page_token,
        )
        return await self._rpc.unary(
            self._stub.GetAgentTimeline, request, reports_pb2.AgentTimeline, retry=True
        )

    async def timeline(
        self, agent_id: str, start: datetime, end: datetime
    ) -> list[reports_pb2.TimelinePeriod]:
        """Every period of an agent between ``start`` and ``end``, all pages read."""
        periods: list[reports_pb2.TimelinePeriod] = []
        token = ""
        while True:
            page = await self.timeline_page(agent_id, start, end, page_token=token)
            periods.extend(page.periods)
            if not page.next_page_token or page.next_page_token == token:
                return periods
            token = page.next_page_token


class SimulatedClock:
    """``SimulatedClockService``: only a server started on a simulated clock has it.

    Other servers answer ``UNIMPLEMENTED``.
    """

    def __init__(self, rpc: Rpc) -> None:
        self._rpc = rpc

    @property
    def _stub(self) -> Any:
        return self._rpc.stub(simulation_pb2_grpc.SimulatedClockServiceStub)

    async def now(self) -> datetime:
        """The server's current instant (UTC)."""
        clock = await self._rpc.unary(
            self._stub.GetClock,
            simulation_pb2.GetClockRequest(),
            simulation_pb2.Clock,
            retry=True,
        )
        return clock.now.ToDatetime(tzinfo=UTC)

    async def advance(
        self, *, to: datetime | None = None, by: timedelta | None = None
    ) -> datetime:
        """Move the server's clock to ``to`` or by ``by``; the new instant.

        ``to`` is retried like a read (moving to an instant already reached
        changes nothing); ``by`` never is: a lost answer would move it twice.
        """
        if (to is None) == (by is None):
            raise ValueError("give exactly one of to= and by=")
        request = simulation_pb2.AdvanceClockRequest()
        if to is not None:
            request.to.CopyFrom(to_timestamp(to))
        elif by is not None:
            duration = duration_pb2.Duration()
            duration.FromTimedelta(by)
            request.by.CopyFrom(duration)
        clock = await self._rpc.unary(
            self._stub.AdvanceClock,
            request,
            simulation_pb2.Clock,
            retry=to is not None,
        )
        return clock.now.ToDatetime(tzinfo=UTC)
