"""The tables, in one metadata. Migrations create them; models describe them.

Every table of the server is declared on ``Base`` in this module (or in a
module imported here), so that ``Base.metadata`` is the whole schema: tests
compare it with what the migrations built. A change here needs a migration in
``storage/migrations/versions``.

Rows are never handed out of the storage layer: the repositories turn them
into domain objects.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, MetaData, String, text
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeEngine

from presence_server.storage.types import UTCDateTime

# Names for constraints and indexes, so that later migrations can refer to
# them on every backend.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

# Rows counted by uniqueness rules: neither archived nor deleted.
LIVE_ROW = "NOT archived AND deleted_at IS NULL"


def ordered_text(length: int) -> TypeEngine[str]:
    """A string compared and sorted by code point on every backend.

    SQLite compares bytes; PostgreSQL would use the database's locale, which
    orders ``"B" < "a"`` differently from one server to the next. Keys that
    page through results must sort the same everywhere.
    """
    return String(length).with_variant(String(length, collation="C"), "postgresql")


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map = {datetime: UTCDateTime()}


class StatusTypeRow(Base):
    """One status type; deleted rows stay (``deleted_at``) so ids are not reused."""

    __tablename__ = "status_types"

    id: Mapped[str] = mapped_column(ordered_text(63), primary_key=True)
    name: Mapped[str] = mapped_column(String(64))
    # Casefolded name: unique among live rows (see the index below).
    name_key: Mapped[str] = mapped_column(ordered_text(256))
    color: Mapped[str] = mapped_column(String(7))
    kind: Mapped[str] = mapped_column(String(16))
    keep_on_disconnect: Mapped[bool]
    can_end_shift: Mapped[bool]
    limit_per_shift: Mapped[int]
    allowed_minutes: Mapped[int]
    ring_mobile: Mapped[bool]
    queue_login: Mapped[bool]
    external_calls: Mapped[bool]
    # {adapter: {presence_profile, pause_reason, do_not_disturb, options}}
    telephony: Mapped[dict[str, Any]] = mapped_column(JSON)
    selectable: Mapped[bool]
    sort_order: Mapped[int]
    archived: Mapped[bool]
    built_in: Mapped[bool]
    # Grows with every change; the etag is derived from it.
    revision: Mapped[int]
    create_time: Mapped[datetime]
    update_time: Mapped[datetime]
    # Set by the engine when an agent first enters the type; a used type
    # can be archived but not deleted.
    first_used_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    __table_args__ = (
        Index(
            "uq_status_types_live_name_key",
            "name_key",
            unique=True,
            sqlite_where=text(LIVE_ROW),
            postgresql_where=text(LIVE_ROW),
        ),
    )


class AgentRow(Base):
    """One agent; deleted rows stay (``deleted_at``) and may be created again."""

    __tablename__ = "agents"

    id: Mapped[str] = mapped_column(ordered_text(128), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(128))
    team: Mapped[str] = mapped_column(ordered_text(64))
    extension: Mapped[str] = mapped_column(String(20))
    mobile_number: Mapped[str] = mapped_column(String(16))
    queues: Mapped[list[str]] = mapped_column(JSON)
    role: Mapped[str] = mapped_column(String(16))
    archived: Mapped[bool]
    revision: Mapped[int]
    create_time: Mapped[datetime]
    update_time: Mapped[datetime]
    # Set by the engine with the agent's first presence change; an agent
    # with history can be archived but not deleted.
    first_used_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]

    __table_args__ = (Index("ix_agents_team_id", "team", "id"),)


# The presence tables live in their own module; importing it here puts them on
# Base.metadata with the rest of the schema.
from presence_server.storage import presence_models as _presence_models  # noqa: E402, F401
from presence_server.storage import telephony_models as _outbox  # noqa: E402, F401
