"""Tables of live presence and of the history it leaves behind.

``presence`` holds one row per agent: the live state as one JSON document
(read and written whole by the engine) beside the few columns that queries
filter on. Everything else is append-only history: periods, activities,
shifts, the event log, plus idempotency keys and the revision counter.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, BigInteger, Float, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from presence_server.storage.models import Base, ordered_text

# SQLite only auto-increments an INTEGER PRIMARY KEY.
_ROW_ID = BigInteger().with_variant(Integer(), "sqlite")


class PresenceRow(Base):
    __tablename__ = "presence"

    agent_id: Mapped[str] = mapped_column(
        ordered_text(128), ForeignKey("agents.id"), primary_key=True
    )
    # The whole live state (see storage.codec).
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    status_id: Mapped[str] = mapped_column(String(63))
    effective_id: Mapped[str] = mapped_column(String(63))
    in_activity: Mapped[bool]
    # The earliest timer of this agent; the scheduler polls on it.
    next_due_at: Mapped[datetime | None] = mapped_column(index=True)
    revision: Mapped[int] = mapped_column(BigInteger)
    update_time: Mapped[datetime]


class PeriodRow(Base):
    """One closed stretch of time in one effective status."""

    __tablename__ = "status_periods"

    id: Mapped[int] = mapped_column(_ROW_ID, primary_key=True, autoincrement=True)
    agent_id: Mapped[str] = mapped_column(ordered_text(128))
    status_id: Mapped[str] = mapped_column(String(63))
    start: Mapped[datetime]
    end: Mapped[datetime]
    source: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(512))
    shift_id: Mapped[str] = mapped_column(String(36))
    new_use: Mapped[bool]
    overage_seconds: Mapped[float] = mapped_column(Float)

    __table_args__ = (Index("ix_status_periods_agent_id_start", "agent_id", "start"),)


class ActivityRow(Base):
    """One finished activity."""

    __tablename__ = "activities"

    id: Mapped[int] = mapped_column(_ROW_ID, primary_key=True, autoincrement=True)
    agent_id: Mapped[str] = mapped_column(ordered_text(128))
    kind: Mapped[str] = mapped_column(String(16))
    external_id: Mapped[str] = mapped_column(String(256))
    start: Mapped[datetime]
    end: Mapped[datetime]
    shift_id: Mapped[str] = mapped_column(String(36))
    expired: Mapped[bool]

    __table_args__ = (Index("ix_activities_agent_id_start", "agent_id", "start"),)


class ShiftRow(Base):
    __tablename__ = "shifts"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    agent_id: Mapped[str] = mapped_column(ordered_text(128))
    start: Mapped[datetime]
    end: Mapped[datetime | None]
    end_source: Mapped[str] = mapped_column(String(16))
    end_actor: Mapped[str] = mapped_column(String(128))
    end_reason: Mapped[str] = mapped_column(String(512))

    __table_args__ = (Index("ix_shifts_agent_id_start", "agent_id", "start"),)


class EventRow(Base):
    """The event log: one row per published change, by global revision."""

    __tablename__ = "events"

    revision: Mapped[int] = mapped_column(
        BigInteger, primary_key=True, autoincrement=False
    )
    time: Mapped[datetime]
    type: Mapped[str] = mapped_column(String(32))
    agent_id: Mapped[str] = mapped_column(String(128))
    source: Mapped[str] = mapped_column(String(16))
    actor: Mapped[str] = mapped_column(String(128))
    reason: Mapped[str] = mapped_column(String(512))
    # {"previous": view, "current": view} or {"status_type": ...}.
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)


class IdempotencyRow(Base):
    """The first answer to a request id, returned again to its retries."""

    __tablename__ = "idempotency_keys"

    agent_id: Mapped[str] = mapped_column(ordered_text(128), primary_key=True)
    request_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    create_time: Mapped[datetime] = mapped_column(index=True)
    result: Mapped[dict[str, Any]] = mapped_column(JSON)


class CounterRow(Base):
    """Named counters; ``revision`` numbers the event log without gaps."""

    __tablename__ = "counters"

    name: Mapped[str] = mapped_column(String(32), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger)


class InstanceRow(Base):
    """A server process: streams it holds die with it."""

    __tablename__ = "instances"

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    started_at: Mapped[datetime]
    last_alive_at: Mapped[datetime]
    stopped_at: Mapped[datetime | None]
