"""Reading and writing what one batch of transitions needs, in few statements.

A batch is applied in one write transaction: load the status types, the
agents, their presence rows and already-seen request ids (one statement
each), apply the rules in memory, then write every row kind with one
executemany each. Statements per batch stay constant whatever its size;
that, with one commit per batch, is what makes the write path fast.

The functions are synchronous, on a ``Connection``: the engine runs a whole
batch in one call, in a worker thread on SQLite (one thread hop per batch
instead of one per statement) and through ``run_sync`` on PostgreSQL.
``take_revisions`` and ``save_revisions`` also exist for async sessions, for
other writers of the event log.
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, insert, select, update
from sqlalchemy.engine import Connection
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

_PLACEHOLDER = re.compile(r"(?<![:\w]):([a-z_]+)")
_SQL: dict[tuple[str, str], tuple[str, tuple[str, ...]]] = {}


def _driver_sql(dialect: str, sql: str) -> tuple[str, tuple[str, ...]]:
    """``sql`` with ``:name`` placeholders in the driver's own style."""
    key = (dialect, sql)
    if key not in _SQL:
        names: list[str] = []

        def placeholder(match: re.Match[str]) -> str:
            names.append(match[1])
            return "?" if dialect == "sqlite" else f"${len(names)}"

        _SQL[key] = (_PLACEHOLDER.sub(placeholder, sql), tuple(names))
    return _SQL[key]


def _run(connection: Connection, sql: str, params: Sequence[Mapping[str, Any]]) -> Any:
    """Execute ``sql`` once per parameter set, straight through the driver.

    The hot statements skip SQL compilation and per-value type processing:
    callers pass values already in stored form (``_stamp``, JSON text).
    """
    text, names = _driver_sql(connection.dialect.name, sql)
    rows = [tuple(values[name] for name in names) for values in params]
    if len(rows) == 1:
        return connection.exec_driver_sql(text, rows[0])
    return connection.exec_driver_sql(text, rows)


def _stamp(connection: Connection, instant: datetime | None) -> Any:
    """An instant as ``UTCDateTime`` stores it on this backend."""
    if instant is None:
        return None
    instant = instant.astimezone(UTC)
    if connection.dialect.name == "sqlite":
        return instant.replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")
    return instant


def _json(value: Any) -> str:
    return json.dumps(value, separators=(",", ":"))


def read_types(connection: Connection) -> dict[str, StatusType]:
    """Every status type, for history; deleted ones count as archived."""
    # Core rows (not ORM objects): read once per batch, they must be cheap.
    rows = connection.execute(select(_STATUS_TYPES)).all()
    found = {}
    for row in rows:
        status_type = status_types.to_domain(cast(StatusTypeRow, row))
        if row.deleted_at is not None:
            status_type = dataclasses.replace(status_type, archived=True)
        found[status_type.id] = status_type
    return found


def read_agents(connection: Connection, ids: Iterable[str]) -> dict[str, Agent]:
    """The named agents that exist and are not deleted."""
    query = select(_AGENTS).where(
        _AGENTS.c.id.in_(list(ids)), _AGENTS.c.deleted_at.is_(None)
    )
    rows = connection.execute(query).all()
    return {row.id: agents.to_domain(cast(AgentRow, row)) for row in rows}


async def load_types(session: AsyncSession) -> dict[str, StatusType]:
    """``read_types`` in an async session."""
    return await session.run_sync(lambda sync: read_types(sync.connection()))


async def load_agents(session: AsyncSession, ids: Iterable[str]) -> dict[str, Agent]:
    """``read_agents`` in an async session."""
    wanted = list(ids)
    return await session.run_sync(lambda sync: read_agents(sync.connection(), wanted))


def read_presence(
    connection: Connection, ids: Sequence[str], *, lock: bool
) -> dict[str, Presence]:
    """Stored presence of the named agents; ``lock`` takes their row locks."""
    sql = f"SELECT agent_id, revision, state FROM presence WHERE {_any(connection)}"
    if lock:
        sql += " ORDER BY agent_id FOR UPDATE"
    rows = _run(connection, sql, [{"ids": _list(connection, ids)}]).all()
    return {
        agent_id: codec.presence_from_json(agent_id, revision, _load_json(state))
        for agent_id, revision, state in rows
    }


def load_seen_requests(
    connection: Connection, keys: Iterable[tuple[str, str]]
) -> dict[tuple[str, str], dict[str, Any]]:
    """Stored first answers for (agent id, request id) pairs."""
    wanted = list(keys)
    if not wanted:
        return {}
    agent_ids = sorted({agent_id for agent_id, _ in wanted})
    request_ids = sorted({request_id for _, request_id in wanted})
    # Both key columns, so that the lookup walks the primary key instead of
    # scanning every key ever stored; exact pairs are picked out below.
    sql = (
        "SELECT agent_id, request_id, result FROM idempotency_keys WHERE "
        f"{_any(connection)} AND {_any(connection, 'request_id', 'requests')}"
    )
    parameters = {
        "ids": _list(connection, agent_ids),
        "requests": _list(connection, request_ids),
    }
    rows = _run(connection, sql, [parameters]).all()
    found = {(a, r): _load_json(result) for a, r, result in rows}
    return {key: found[key] for key in wanted if key in found}


def _any(
    connection: Connection, column: str = "agent_id", parameter: str = "ids"
) -> str:
    """``column`` is one of the list given as the ``:<parameter>`` parameter."""
    if connection.dialect.name == "sqlite":
        return f"{column} IN (SELECT value FROM json_each(:{parameter}))"
    return f"{column} = ANY(:{parameter})"


def _list(connection: Connection, values: Iterable[str]) -> Any:
    """A list parameter for ``_any``: JSON text on SQLite, an array elsewhere."""
    items = list(values)
    return _json(items) if connection.dialect.name == "sqlite" else items


def _load_json(value: Any) -> Any:
    # Drivers hand JSON columns back as text when read without SQLAlchemy.
    return json.loads(value) if isinstance(value, str | bytes) else value


async def load_presence(
    session: AsyncSession, ids: Sequence[str], *, lock: bool
) -> dict[str, Presence]:
    """``read_presence`` in an async session."""
    return await session.run_sync(
        lambda sync: read_presence(sync.connection(), ids, lock=lock)
    )


async def save_events(session: AsyncSession, events: Sequence[dict[str, Any]]) -> None:
    """``write_events`` in an async session."""
    await session.run_sync(lambda sync: write_events(sync.connection(), events))


async def take_revisions(session: AsyncSession, *, lock: bool) -> int:
    """The last assigned revision; with ``lock`` it is held until commit.

    Taken first in every transaction that appends events, so they are
    ordered by it and revisions are gapless and in commit order.
    """
    return await session.run_sync(
        lambda sync: take_batch_revisions(sync.connection(), lock=lock)
    )


async def save_revisions(session: AsyncSession, last: int) -> None:
    await session.run_sync(lambda sync: save_batch_revisions(sync.connection(), last))


def take_batch_revisions(connection: Connection, *, lock: bool) -> int:
    """``take_revisions`` on a synchronous connection."""
    query = select(CounterRow.value).where(CounterRow.name == REVISION_COUNTER)
    if lock:
        query = query.with_for_update()
    value = connection.scalar(query)
    if value is None:
        connection.execute(insert(CounterRow).values(name=REVISION_COUNTER, value=0))
        return 0
    return value


def save_batch_revisions(connection: Connection, last: int) -> None:
    connection.execute(
        update(CounterRow).where(CounterRow.name == REVISION_COUNTER).values(value=last)
    )


def save_presence(
    connection: Connection,
    rows: Sequence[tuple[Presence, datetime | None]],
    existing: Mapping[str, Presence],
    now: datetime,
) -> None:
    """Insert new presence rows and update changed ones (one statement each)."""
    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    stamp = _stamp(connection, now)
    for presence, due in rows:
        values = {
            "agent_id": presence.agent_id,
            "state": _json(codec.presence_to_json(presence)),
            "status_id": presence.status_id,
            "effective_id": presence.effective_id,
            "in_activity": bool(presence.activities),
            "next_due_at": _stamp(connection, due),
            "revision": presence.revision,
            "update_time": stamp,
        }
        (updates if presence.agent_id in existing else inserts).append(values)
    if inserts:
        _run(
            connection,
            "INSERT INTO presence (agent_id, state, status_id, effective_id, "
            "in_activity, next_due_at, revision, update_time) VALUES (:agent_id, "
            ":state, :status_id, :effective_id, :in_activity, :next_due_at, "
            ":revision, :update_time)",
            inserts,
        )
        first_use = (
            update(AgentRow)
            .where(AgentRow.id.in_([v["agent_id"] for v in inserts]))
            .where(AgentRow.first_used_at.is_(None))
            .values(first_used_at=now)
        )
        connection.execute(first_use)
    if updates:
        _run(
            connection,
            "UPDATE presence SET state = :state, status_id = :status_id, "
            "effective_id = :effective_id, in_activity = :in_activity, "
            "next_due_at = :next_due_at, revision = :revision, "
            "update_time = :update_time WHERE agent_id = :agent_id",
            updates,
        )


def save_history(
    connection: Connection,
    periods: Sequence[Period],
    activities: Sequence[ActivityRecord],
    shifts: Sequence[ShiftRecord],
    now: datetime,
) -> None:
    """Append closed periods, finished activities and shift records."""
    if periods:
        _run(
            connection,
            'INSERT INTO status_periods (agent_id, status_id, start, "end", source, '
            "actor, reason, shift_id, new_use, overage_seconds) VALUES (:agent_id, "
            ":status_id, :start, :end, :source, :actor, :reason, :shift_id, "
            ":new_use, :overage_seconds)",
            [
                {
                    "agent_id": p.agent_id,
                    "status_id": p.status_id,
                    "start": _stamp(connection, p.start),
                    "end": _stamp(connection, p.end),
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
        connection.execute(
            update(StatusTypeRow)
            .where(StatusTypeRow.id.in_(used))
            .where(StatusTypeRow.first_used_at.is_(None))
            .values(first_used_at=now)
        )
    if activities:
        _run(
            connection,
            'INSERT INTO activities (agent_id, kind, external_id, start, "end", '
            "shift_id, expired) VALUES (:agent_id, :kind, :external_id, :start, "
            ":end, :shift_id, :expired)",
            [
                {
                    "agent_id": a.agent_id,
                    "kind": a.kind.value,
                    "external_id": a.external_id,
                    "start": _stamp(connection, a.start),
                    "end": _stamp(connection, a.end),
                    "shift_id": a.shift_id,
                    "expired": a.expired,
                }
                for a in activities
            ],
        )
    _save_shifts(connection, shifts)


def _save_shifts(connection: Connection, shifts: Sequence[ShiftRecord]) -> None:
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
        connection.execute(insert(_SHIFTS), new)
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
        connection.execute(statement, ended)


def write_events(connection: Connection, events: Sequence[dict[str, Any]]) -> None:
    """Append events: rows with ``time`` an instant and ``payload`` a dict."""
    if events:
        _run(
            connection,
            "INSERT INTO events (revision, time, type, agent_id, source, actor, "
            "reason, payload) VALUES (:revision, :time, :type, :agent_id, :source, "
            ":actor, :reason, :payload)",
            [
                {
                    **event,
                    "time": _stamp(connection, event["time"]),
                    "payload": _json(event["payload"]),
                }
                for event in events
            ],
        )


def save_requests(connection: Connection, rows: Sequence[dict[str, Any]]) -> None:
    """Remember first answers: rows with ``result`` a dict."""
    if rows:
        _run(
            connection,
            "INSERT INTO idempotency_keys (agent_id, request_id, create_time, "
            "result) VALUES (:agent_id, :request_id, :create_time, :result)",
            [
                {
                    **row,
                    "create_time": _stamp(connection, row["create_time"]),
                    "result": _json(row["result"]),
                }
                for row in rows
            ],
        )
