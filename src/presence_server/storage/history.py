"""Reading an agent's stored history for a time range: what reports need.

Every function works inside a (read) session the caller opened. Rows come
out as domain records (``Period``, ``ActivityRecord``, ``ShiftRecord``).

Each query walks the ``(agent_id, start)`` index of its table over the
range only. What began before the range but still ran inside it is found
without scanning older history, by relying on two things the engine
guarantees: one agent's periods (and shifts) follow each other without
overlapping, so at most one of them began before the range and ends in it,
the last one that began before; and an activity can only be running while
the agent's effective status is an activity status, so no activity running
at the range start began before the last other period that began by then.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, and_, func, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from presence_server.domain.presence import (
    ActivityKind,
    ActivityRecord,
    Actor,
    Period,
    Presence,
    ShiftRecord,
    Source,
)
from presence_server.domain.status_types import (
    CALL_ID,
    CHAT_ID,
    INTERACTION_ID,
    TASK_ID,
)
from presence_server.storage import codec
from presence_server.storage.presence_models import (
    ActivityRow,
    EventRow,
    InstanceRow,
    PeriodRow,
    PresenceRow,
    ShiftRow,
)

# Effective statuses that only a running activity puts an agent in.
_ACTIVITY_STATUSES = (CALL_ID, CHAT_ID, TASK_ID, INTERACTION_ID)


async def take_snapshot(session: AsyncSession) -> None:
    """Make the session's reads one consistent snapshot; call it first.

    SQLite read transactions already are one. PostgreSQL's default (READ
    COMMITTED) takes a new snapshot per statement: a change committed
    between reading the periods and the live state would leave a gap or an
    overlap, so the transaction is made REPEATABLE READ.
    """
    bind = session.bind
    if bind is not None and bind.dialect.name == "postgresql":
        await session.connection(
            execution_options={"isolation_level": "REPEATABLE READ"}
        )


@dataclass(frozen=True, slots=True)
class StoredHistory:
    """What is stored for one agent and range; open parts are not closed.

    ``presence`` is the live state (the open period, running activities),
    ``None`` when the agent has never changed. ``shifts`` may end with the
    open shift (``end`` None).
    """

    periods: list[Period]
    activities: list[ActivityRecord]
    shifts: list[ShiftRecord]
    presence: Presence | None


async def agent_history(
    session: AsyncSession, agent_id: str, start: datetime, end: datetime
) -> StoredHistory:
    """Periods, activities and shifts of the agent that touch ``[start, end)``.

    Records that only touch the range at an edge (ending exactly at
    ``start``) may be included; the report arithmetic gives them nothing.
    """
    periods = [_period(row) for row in await _periods(session, agent_id, start, end)]
    return StoredHistory(
        periods=periods,
        activities=await _activities(session, agent_id, start, end),
        shifts=await _shifts(session, agent_id, start, end),
        presence=await _presence(session, agent_id),
    )


async def _periods(
    session: AsyncSession, agent_id: str, start: datetime, end: datetime
) -> list[PeriodRow]:
    before = await session.scalar(
        select(PeriodRow)
        .where(PeriodRow.agent_id == agent_id, PeriodRow.start < start)
        .order_by(PeriodRow.start.desc(), PeriodRow.id.desc())
        .limit(1)
    )
    inside = await session.scalars(
        select(PeriodRow)
        .where(
            PeriodRow.agent_id == agent_id,
            PeriodRow.start >= start,
            PeriodRow.start < end,
        )
        .order_by(PeriodRow.start, PeriodRow.id)
    )
    found = [before] if before is not None and before.end > start else []
    return found + list(inside)


async def _activities(
    session: AsyncSession, agent_id: str, start: datetime, end: datetime
) -> list[ActivityRecord]:
    # No activity running at `start` began before the last period that was
    # not an activity status and began by then.
    floor = await session.scalar(
        select(PeriodRow.start)
        .where(
            PeriodRow.agent_id == agent_id,
            PeriodRow.start <= start,
            PeriodRow.status_id.not_in(_ACTIVITY_STATUSES),
        )
        .order_by(PeriodRow.start.desc())
        .limit(1)
    )
    query = select(ActivityRow).where(
        ActivityRow.agent_id == agent_id, ActivityRow.start < end
    )
    if floor is not None:
        query = query.where(ActivityRow.start >= floor)
    query = query.where(or_(ActivityRow.start >= start, ActivityRow.end > start))
    rows = await session.scalars(query.order_by(ActivityRow.start, ActivityRow.id))
    return [
        ActivityRecord(
            agent_id=row.agent_id,
            kind=ActivityKind(row.kind),
            external_id=row.external_id,
            start=row.start,
            end=row.end,
            shift_id=row.shift_id,
            expired=row.expired,
        )
        for row in rows
    ]


async def _shifts(
    session: AsyncSession, agent_id: str, start: datetime, end: datetime
) -> list[ShiftRecord]:
    before = await session.scalar(
        _shift_query(agent_id)
        .where(ShiftRow.start < start)
        .order_by(ShiftRow.start.desc())
        .limit(1)
    )
    inside = await session.scalars(
        _shift_query(agent_id)
        .where(ShiftRow.start >= start, ShiftRow.start < end)
        .order_by(ShiftRow.start)
    )
    rows = [before] if before is not None and _ends_after(before, start) else []
    rows += list(inside)
    return [
        ShiftRecord(id=row.id, agent_id=row.agent_id, start=row.start, end=row.end)
        for row in rows
    ]


def _shift_query(agent_id: str) -> Select[ShiftRow]:
    return select(ShiftRow).where(ShiftRow.agent_id == agent_id)


def _ends_after(row: ShiftRow, start: datetime) -> bool:
    return row.end is None or row.end > start


async def _presence(session: AsyncSession, agent_id: str) -> Presence | None:
    row = (
        await session.execute(
            select(PresenceRow.revision, PresenceRow.state).where(
                PresenceRow.agent_id == agent_id
            )
        )
    ).first()
    if row is None:
        return None
    revision, state = row
    return codec.presence_from_json(agent_id, revision, state)


def _period(row: PeriodRow) -> Period:
    return Period(
        agent_id=row.agent_id,
        status_id=row.status_id,
        start=row.start,
        end=row.end,
        actor=Actor(Source(row.source), row.actor, row.reason),
        shift_id=row.shift_id,
        new_use=row.new_use,
        overage_seconds=row.overage_seconds,
    )


# --- the timeline ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PeriodPage:
    """Closed periods in (start, id) order, and whether more follow."""

    periods: list[tuple[int, Period]]
    more: bool


async def period_page(
    session: AsyncSession,
    agent_id: str,
    start: datetime,
    end: datetime,
    *,
    after: tuple[datetime, int] | None,
    limit: int,
) -> PeriodPage:
    """Up to ``limit`` closed periods touching ``[start, end)``, after a cursor.

    ``after`` is the (start, id) of the last period of the previous page;
    without it the page begins with the period running at ``start``, if any.
    Each period comes with its row id, the cursor of the next page.
    """
    rows: list[PeriodRow] = []
    if after is None:
        before = await session.scalar(
            select(PeriodRow)
            .where(PeriodRow.agent_id == agent_id, PeriodRow.start < start)
            .order_by(PeriodRow.start.desc(), PeriodRow.id.desc())
            .limit(1)
        )
        if before is not None and before.end > start:
            rows.append(before)
    conditions: list[Any] = [
        PeriodRow.agent_id == agent_id,
        PeriodRow.start >= start,
        PeriodRow.start < end,
    ]
    if after is not None:
        last_start, last_id = after
        conditions.append(
            or_(
                PeriodRow.start > last_start,
                and_(PeriodRow.start == last_start, PeriodRow.id > last_id),
            )
        )
    query = (
        select(PeriodRow)
        .where(*conditions)
        .order_by(PeriodRow.start, PeriodRow.id)
        .limit(limit + 1 - len(rows))
    )
    rows += list(await session.scalars(query))
    more = len(rows) > limit
    return PeriodPage([(row.id, _period(row)) for row in rows[:limit]], more)


async def presence_of(session: AsyncSession, agent_id: str) -> Presence | None:
    """The agent's live state, ``None`` when it has never changed."""
    return await _presence(session, agent_id)


async def latest_recorded_instant(session: AsyncSession) -> datetime | None:
    """The newest instant the database holds: a change, an event, a heartbeat.

    ``None`` for a database that has recorded nothing yet. A clock that
    starts before this instant would write history that runs backwards.
    """
    newest: datetime | None = None
    for column in (
        PresenceRow.update_time,
        EventRow.time,
        InstanceRow.last_alive_at,
    ):
        value = await session.scalar(select(func.max(column)))
        if value is not None and (newest is None or value > newest):
            newest = value
    return newest
