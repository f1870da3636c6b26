"""Reports over stored history: agent and team reports, an agent's timeline.

Figures come only from what the engine recorded (closed periods, finished
activities, shifts) plus what is still open in the agent's live state (the
current period, running activities, the open shift), closed at the moment
the report is made. A report covering "now" therefore counts the current
status up to now; nothing is taken from live counters.

The API layer checks requests (``reports.requests``) and converts the
results; this module returns plain domain values.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import json
import logging
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from presence_server.domain.agents import Agent
from presence_server.domain.errors import FieldViolation, InvalidArgument, NotFound
from presence_server.domain.presence import (
    ActivityRecord,
    Period,
    Presence,
)
from presence_server.domain.status_types import StatusKind, StatusType
from presence_server.engine import rules, store
from presence_server.engine.clock import Clock
from presence_server.reports.figures import Figures, History, compute, roll_up
from presence_server.reports.groups import (
    Group,
    Grouping,
    day_groups,
    interval_groups,
    shift_groups,
)
from presence_server.reports.requests import Range, ReportRequest
from presence_server.storage import agents as agent_repo
from presence_server.storage import history
from presence_server.storage.db import Database

logger = logging.getLogger(__name__)

TIMELINE_PAGE_DEFAULT = 500
TIMELINE_PAGE_MAX = 5000

_TEAM_PAGE = 1000


@dataclass(frozen=True, slots=True)
class AgentReport:
    """One agent's figures per group, and over the whole range (``total``)."""

    agent: Agent
    request: ReportRequest
    as_of: datetime
    rows: list[Figures]
    total: Figures
    types: Mapping[str, StatusType]


@dataclass(frozen=True, slots=True)
class TeamReport:
    """A team's figures per group: its agents' figures added up."""

    team: str
    agents: list[Agent]
    request: ReportRequest
    as_of: datetime
    rows: list[Figures]
    total: Figures
    types: Mapping[str, StatusType]


@dataclass(frozen=True, slots=True)
class TimelineEntry:
    """One period; ``open`` for the current one, whose ``end`` is "now"."""

    period: Period
    open: bool = False


@dataclass(frozen=True, slots=True)
class Timeline:
    """A page of an agent's periods; ``next_page_token`` empty on the last."""

    agent: Agent
    entries: list[TimelineEntry]
    next_page_token: str
    as_of: datetime
    types: Mapping[str, StatusType]


class Reports:
    """Reads history and computes reports. Safe to share between requests."""

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock

    async def agent_report(self, agent_id: str, request: ReportRequest) -> AgentReport:
        """The agent's report; ``NotFound`` for an unknown or deleted agent.

        Archived agents keep their history and can be reported on.
        """
        async with self._db.read() as session:
            await history.take_snapshot(session)
            agent = await _agent(session, agent_id)
            # After the snapshot began: nothing in it ends later than now.
            now = self._clock.now()
            types = await store.load_types(session)
            stored = await history.agent_history(
                session, agent_id, request.start, request.end
            )
        closed = closed_history(stored, agent, types, now)

        kinds = _kinds(types)
        groups = _groups(request, closed)
        rows = compute(closed, groups, kinds)
        (total,) = compute(closed, [_whole(request)], kinds)
        logger.debug(
            "report for agent %s: %d rows, %d periods",
            agent_id,
            len(rows),
            len(closed.periods),
        )
        return AgentReport(agent, request, now, rows, total, types)

    async def team_report(self, team: str, request: ReportRequest) -> TeamReport:
        """The team's report (DAY or INTERVAL); ``NotFound`` for an empty team.

        The team's agents are those in it now, archived ones included.
        """
        # Known limitation: team membership is not historical; an agent who
        # moved teams brings all of its history to the new team's reports.
        async with self._db.read() as session:
            await history.take_snapshot(session)
            members = await _team(session, team)
            now = self._clock.now()
            types = await store.load_types(session)
            histories = [
                closed_history(
                    await history.agent_history(
                        session, agent.id, request.start, request.end
                    ),
                    agent,
                    types,
                    now,
                )
                for agent in members
            ]

        kinds = _kinds(types)
        groups = _groups(request, History())
        per_agent = [compute(h, groups, kinds) for h in histories]
        rows = [
            roll_up(group, (figures[i] for figures in per_agent))
            for i, group in enumerate(groups)
        ]
        whole = _whole(request)
        total = roll_up(whole, (compute(h, [whole], kinds)[0] for h in histories))
        return TeamReport(team, members, request, now, rows, total, types)

    async def timeline(
        self, agent_id: str, span: Range, page_size: int = 0, page_token: str = ""
    ) -> Timeline:
        """The agent's periods touching ``span``, oldest first, a page at a time.

        The current period comes last, ending at "now" and marked open.
        ``page_size`` 0 means the default; the token comes from the previous
        page and is only valid for the same agent and range.
        """
        limit = _page_size(page_size)
        after = _read_token(page_token, agent_id, span) if page_token else None
        async with self._db.read() as session:
            await history.take_snapshot(session)
            agent = await _agent(session, agent_id)
            now = self._clock.now()
            types = await store.load_types(session)
            page = await history.period_page(
                session, agent_id, span.start, span.end, after=after, limit=limit
            )
            presence = await history.presence_of(session, agent_id)

        entries = [TimelineEntry(period) for _, period in page.periods]
        token = ""
        if page.more:
            last_id, last = page.periods[-1]
            token = _make_token(agent_id, span, (last.start, last_id))
        else:
            current = _open_period(_live(presence, agent, now), types, now)
            if _touches(current, span):
                entries.append(TimelineEntry(current, open=True))
        return Timeline(agent, entries, token, now, types)


def closed_history(
    stored: history.StoredHistory,
    agent: Agent,
    types: Mapping[str, StatusType],
    now: datetime,
) -> History:
    """The stored history with everything still open closed at ``now``.

    An agent that never changed is Offline since it was created, as the
    engine sees it.
    """
    presence = _live(stored.presence, agent, now)
    running = [
        ActivityRecord(
            agent_id=agent.id,
            kind=activity.kind,
            external_id=activity.external_id,
            start=activity.start,
            end=max(activity.start, now),
            shift_id=presence.shift_id,
            expired=False,
        )
        for activity in presence.activities
    ]
    shifts = [
        shift
        if shift.end is not None
        else dataclasses.replace(shift, end=max(shift.start, now))
        for shift in stored.shifts
    ]
    return History(
        periods=[*stored.periods, _open_period(presence, types, now)],
        activities=[*stored.activities, *running],
        shifts=shifts,
    )


def _live(presence: Presence | None, agent: Agent, now: datetime) -> Presence:
    if presence is not None:
        return presence
    return rules.new_presence(agent.id, agent.create_time or now)


def _open_period(
    presence: Presence, types: Mapping[str, StatusType], now: datetime
) -> Period:
    """The current period as if it closed at ``now`` (the engine's formula)."""
    start = min(presence.effective_since, now)
    overage = 0.0
    status = types.get(presence.status_id)
    allowed = status.allowed_seconds if status is not None else 0
    in_status = presence.effective_id == presence.status_id
    if allowed and in_status and presence.segment_since is not None:
        spent = presence.use_spent
        length = (now - start).total_seconds()
        overage = max(0.0, spent + length - allowed) - max(0.0, spent - allowed)
    shift_start = presence.shift_start
    in_shift = shift_start is not None and start >= shift_start
    return Period(
        agent_id=presence.agent_id,
        status_id=presence.effective_id,
        start=start,
        end=now,
        actor=presence.period_actor,
        shift_id=presence.shift_id if in_shift else "",
        new_use=presence.period_new_use,
        overage_seconds=overage,
    )


def _touches(period: Period, span: Range) -> bool:
    if period.start >= span.end:
        return False
    return period.end > span.start or period.start >= span.start


def _kinds(types: Mapping[str, StatusType]) -> dict[str, StatusKind]:
    return {type_id: st.kind for type_id, st in types.items()}


def _groups(request: ReportRequest, closed: History) -> Sequence[Group]:
    if request.grouping is Grouping.DAY:
        return day_groups(request.start, request.end, request.zone)
    if request.grouping is Grouping.INTERVAL:
        return interval_groups(
            request.start, request.end, request.zone, request.interval_minutes
        )
    return shift_groups(closed.shifts, request.start, request.end, request.zone)


def _whole(request: ReportRequest) -> Group:
    return Group(request.start, request.end, "total")


async def _agent(session: AsyncSession, agent_id: str) -> Agent:
    agent = await agent_repo.get_agent(session, agent_id)
    if agent is None:
        raise NotFound("agent", agent_id, reason="AGENT_NOT_FOUND")
    return agent


async def _team(session: AsyncSession, team: str) -> list[Agent]:
    members: list[Agent] = []
    while True:
        page = await agent_repo.list_agents(
            session,
            team=team,
            include_archived=True,
            after_id=members[-1].id if members else "",
            limit=_TEAM_PAGE,
        )
        members += page
        if len(page) < _TEAM_PAGE:
            break
    if not members:
        error = NotFound("team", team, reason="TEAM_NOT_FOUND")
        error.message = f"team {team!r} has no agents"
        error.args = (error.message,)
        raise error
    return members


# --- timeline page tokens ---------------------------------------------------------


def _page_size(requested: int) -> int:
    if requested < 0 or requested > TIMELINE_PAGE_MAX:
        raise InvalidArgument(
            [
                FieldViolation(
                    "page_size",
                    f"must be 0-{TIMELINE_PAGE_MAX} (0 = {TIMELINE_PAGE_DEFAULT})",
                )
            ]
        )
    return requested or TIMELINE_PAGE_DEFAULT


def _make_token(agent_id: str, span: Range, after: tuple[datetime, int]) -> str:
    document = {
        "agent": agent_id,
        "range": [span.start.isoformat(), span.end.isoformat()],
        "after": [after[0].isoformat(), after[1]],
    }
    raw = json.dumps(document, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_token(token: str, agent_id: str, span: Range) -> tuple[datetime, int]:
    try:
        padded = token + "=" * (-len(token) % 4)
        document = json.loads(base64.urlsafe_b64decode(padded))
        same = document["agent"] == agent_id and document["range"] == [
            span.start.isoformat(),
            span.end.isoformat(),
        ]
        start, row_id = document["after"]
        after = (datetime.fromisoformat(start), int(row_id))
    except (ValueError, KeyError, TypeError, binascii.Error):
        same, after = False, (span.start, 0)
    if not same or after[0].tzinfo is None:
        raise InvalidArgument(
            [
                FieldViolation(
                    "page_token",
                    "is not a token from a previous page of this agent and range",
                )
            ]
        )
    return after
