"""The event log as the stream reads it: decoded entries, pages, pruning.

The ``events`` table is the source of truth: every presence transition and
every catalog change appends a row with the next global revision, and
revisions are gapless and in commit order (each writer locks the revision
counter first). Reading ``revision > N`` in order therefore never skips a
row that commits later.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import delete, func, select

from presence_server.catalog.events import agent_views, status_type_from_json
from presence_server.domain.presence import Actor, EventType, PresenceView, Source
from presence_server.domain.status_types import StatusType
from presence_server.engine import store
from presence_server.storage.db import Database
from presence_server.storage.presence_models import CounterRow, EventRow

logger = logging.getLogger(__name__)


@dataclass(slots=True, eq=False)
class LogEntry:
    """One row of the event log, decoded once and shared by every stream.

    ``encoded`` is the entry as a stream sends it, filled in once by the
    fan-out (see ``streaming.hub.Encoder``).
    """

    revision: int
    type: EventType
    time: datetime
    agent_id: str
    actor: Actor
    reason: str
    previous: PresenceView | None = None
    current: PresenceView | None = None
    status_type: StatusType | None = None
    encoded: bytes = field(default=b"", repr=False)


def decode(row: EventRow) -> LogEntry:
    payload = row.payload or {}
    entry = LogEntry(
        revision=row.revision,
        type=EventType(row.type),
        time=row.time,
        agent_id=row.agent_id,
        actor=Actor(Source(row.source), row.actor, row.reason),
        reason=row.reason,
    )
    if "status_type" in payload:
        entry.status_type = status_type_from_json(payload["status_type"])
    else:
        entry.previous, entry.current = agent_views(payload)
    return entry


async def read_after(db: Database, revision: int, limit: int) -> list[LogEntry]:
    """Up to ``limit`` entries after ``revision``, in revision order."""
    async with db.read() as session:
        rows = await session.scalars(
            select(EventRow)
            .where(EventRow.revision > revision)
            .order_by(EventRow.revision)
            .limit(limit)
        )
        return [decode(row) for row in rows]


async def last_revision(db: Database) -> int:
    """The revision of the newest committed event (0 when there is none)."""
    async with db.read() as session:
        value = await session.scalar(
            select(CounterRow.value).where(CounterRow.name == store.REVISION_COUNTER)
        )
    return value or 0


async def prune(db: Database, keep: int, batch: int = 500) -> int:
    """Delete events older than the newest ``keep`` revisions; returns how many.

    Deletes ``batch`` rows per short transaction, so that writers (which
    need the same write lock on SQLite) wait at most one small batch.
    """
    async with db.read() as session:
        newest = await session.scalar(select(func.max(EventRow.revision)))
    if newest is None:
        return 0
    cutoff = newest - keep
    removed = 0
    while True:
        async with db.write() as session:
            oldest = select(EventRow.revision).where(EventRow.revision <= cutoff)
            doomed = oldest.order_by(EventRow.revision).limit(batch)
            result = await session.execute(
                delete(EventRow).where(EventRow.revision.in_(doomed.scalar_subquery()))
            )
        count = int(getattr(result, "rowcount", 0) or 0)
        removed += count
        if count < batch:
            break
    if removed:
        logger.debug("pruned %d events up to revision %d", removed, cutoff)
    return removed
