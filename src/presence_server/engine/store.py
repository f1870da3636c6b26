"""Reading and writing what one batch of transitions needs, in few statements.

A batch is applied in one write transaction: load the status types, the
agents, their presence rows and already-seen request ids (one statement
each), apply the rules in memory, then write every row kind with one
executemany each. Statements per batch stay constant whatever its size;
that, with one commit per batch, is what makes the write path fast.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from presence_server.domain.agents import Agent
from presence_server.domain.presence import (
    ActivityRecord,
    Period,
    Presence,
    ShiftRecord,
)
from presence_server.domain.status_types import StatusType
from presence_server.storage import agents, codec, status_types
from presence_server.storage.models import AgentRow, StatusTypeRow
from presence_server.storage.presence_models import (
    ActivityRow,
    CounterRow,
    EventRow,
    IdempotencyRow,
    PeriodRow,
    PresenceRow,
    ShiftRow,
)

REVISION_COUNTER = "revision"

# Core tables for executemany: one statement per row kind per batch.
_PRESENCE = cast(Table, PresenceRow.__table__)
_PERIODS = cast(Table, PeriodRow.__table__)
_ACTIVITIES = cast(Table, ActivityRow.__table__)
_SHIFTS = cast(Table, ShiftRow.__table__)
_EVENTS = cast(Table, EventRow.__table__)
_REQUESTS = cast(Table, IdempotencyRow.__table__)
_STATUS_TYPES = cast(Table, StatusTypeRow.__table__)
_AGENTS = cast(Table, AgentRow.__table__)


async def load_types(session: AsyncSession) -> dict[str, StatusType]:
    """Every status type, for history; deleted ones count as archived."""
    # Core rows (not ORM objects): read once per batch, they must be cheap.
    rows = (await session.execute(select(_STATUS_TYPES))).all()
    found = {}
    for row in rows:
        status_type = status_types.to_domain(cast(StatusTypeRow, row))
        if row.deleted_at is not None:
            status_type = dataclasses.replace(status_type, archived=True)
        found[status_type.id] = status_type
    return found


async def load_agents(session: AsyncSession, ids: Iterable[str]) -> dict[str, Agent]:
    """The named agents that exist and are not deleted."""
    query = select(_AGENTS).where(
        _AGENTS.c.id.in_(list(ids)), _AGENTS.c.deleted_at.is_(None)
    )
    rows = (await session.execute(query)).all()
    return {row.id: agents.to_domain(cast(AgentRow, row)) for row in rows}


async def load_presence(
    session: AsyncSession, ids: Sequence[str], *, lock: bool
) -> dict[str, Presence]:
    """Stored presence of the named agents; ``lock`` takes their row locks."""
    query = select(PresenceRow.agent_id, PresenceRow.revision, PresenceRow.state).where(
        PresenceRow.agent_id.in_(ids)
    )
    if lock:
        query = query.order_by(PresenceRow.agent_id).with_for_update()
    rows = (await session.execute(query)).all()
    return {
        agent_id: codec.presence_from_json(agent_id, revision, state)
        for agent_id, revision, state in rows
    }


async def load_seen_requests(
    session: AsyncSession, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Stored first answers for (agent id, request id) pairs."""
    wanted = list(keys)
    if not wanted:
        return {}
    request_ids = {request_id for _, request_id in wanted}
    query = select(
        IdempotencyRow.agent_id, IdempotencyRow.request_id, IdempotencyRow.result
    ).where(IdempotencyRow.request_id.in_(request_ids))
    rows = (await session.execute(query)).all()
    found = {(a, r): result for a, r, result in rows}
    return {key: found[key] for key in wanted if key in found}


async def take_revisions(session: AsyncSession, *, lock: bool) -> int:
    """The last assigned revision; with ``lock`` it is held until commit.

    Taken first in every batch, so batches of all instances are ordered by it
    and revisions are gapless and in commit order.
    """
    query = select(CounterRow.value).where(CounterRow.name == REVISION_COUNTER)
    if lock:
        query = query.with_for_update()
    value = await session.scalar(query)
    if value is None:
        await session.execute(insert(CounterRow).values(name=REVISION_COUNTER, value=0))
        return 0
    return value


async def save_revisions(session: AsyncSession, last: int) -> None:
    await session.execute(
        update(CounterRow).where(CounterRow.name == REVISION_COUNTER).values(value=last)
    )


async def save_presence(
    session: AsyncSession,
    rows: Sequence[tuple[Presence, datetime | None]],
    existing: Mapping[str, Presence],
    now: datetime,
) -> None:
    """Insert new presence rows and update changed ones (one statement each)."""
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for presence, due in rows:
        values = {
            "state": codec.presence_to_json(presence),
            "status_id": presence.status_id,
            "effective_id": presence.effective_id,
            "in_activity": bool(presence.activities),
            "next_due_at": due,
            "revision": presence.revision,
            "update_time": now,
        }
        if presence.agent_id in existing:
            updates.append({"key": presence.agent_id, **values})
        else:
            inserts.append({"agent_id": presence.agent_id, **values})
    if inserts:
        await session.execute(insert(_PRESENCE), inserts)
        first_use = (
            update(AgentRow)
            .where(AgentRow.id.in_([v["agent_id"] for v in inserts]))
            .where(AgentRow.first_used_at.is_(None))
            .values(first_used_at=now)
        )
        await session.execute(first_use)
    if updates:
        table = _PRESENCE
        statement = (
            update(table)
            .where(table.c.agent_id == bindparam("key"))
            .values({name: bindparam(name) for name in updates[0] if name != "key"})
        )
        await session.execute(statement, updates)


async def save_history(
    session: AsyncSession,
    periods: Sequence[Period],
    activities: Sequence[ActivityRecord],
    shifts: Sequence[ShiftRecord],
    now: datetime,
) -> None:
    """Append closed periods, finished activities and shift records."""
    if periods:
        await session.execute(
            insert(_PERIODS),
            [
                {
                    "agent_id": p.agent_id,
                    "status_id": p.status_id,
                    "start": p.start,
                    "end": p.end,
                    "source": p.actor.source.value,
                    "actor": p.actor.name[:128],
                    "reason": p.actor.reason[:512],
                    "shift_id": p.shift_id,
                    "new_use": p.new_use,
                    "overage_seconds": p.overage_seconds,
                }
                for p in periods
            ],
        )
        used = {p.status_id for p in periods}
        await session.execute(
            update(StatusTypeRow)
            .where(StatusTypeRow.id.in_(used))
            .where(StatusTypeRow.first_used_at.is_(None))
            .values(first_used_at=now)
        )
    if activities:
        await session.execute(
            insert(_ACTIVITIES),
            [
                {
                    "agent_id": a.agent_id,
                    "kind": a.kind.value,
                    "external_id": a.external_id,
                    "start": a.start,
                    "end": a.end,
                    "shift_id": a.shift_id,
                    "expired": a.expired,
                }
                for a in activities
            ],
        )
    await _save_shifts(session, shifts)


async def _save_shifts(session: AsyncSession, shifts: Sequence[ShiftRecord]) -> None:
    # A shift may open and close within one batch: keep its last record, and
    # insert it when its opening record is in this batch.
    opened = {s.id for s in shifts if s.end is None}
    last: dict[str, ShiftRecord] = {}
    for record in shifts:
        last[record.id] = record

    def values(s: ShiftRecord) -> dict[str, Any]:
        actor = s.end_actor
        return {
            "end": s.end,
            "end_source": actor.source.value if actor else "",
            "end_actor": actor.name[:128] if actor else "",
            "end_reason": actor.reason[:512] if actor else "",
        }

    new = [
        {"id": s.id, "agent_id": s.agent_id, "start": s.start, **values(s)}
        for s in last.values()
        if s.id in opened
    ]
    ended = [{"key": s.id, **values(s)} for s in last.values() if s.id not in opened]
    if new:
        await session.execute(insert(_SHIFTS), new)
    if ended:
        table = _SHIFTS
        statement = (
            update(table)
            .where(table.c.id == bindparam("key"))
            .values(
                end=bindparam("end"),
                end_source=bindparam("end_source"),
                end_actor=bindparam("end_actor"),
                end_reason=bindparam("end_reason"),
            )
        )
        await session.execute(statement, ended)


async def save_events(session: AsyncSession, events: Sequence[dict[str, Any]]) -> None:
    if events:
        await session.execute(insert(_EVENTS), list(events))


async def save_requests(session: AsyncSession, rows: Sequence[dict[str, Any]]) -> None:
    if rows:
        await session.execute(insert(_REQUESTS), list(rows))
