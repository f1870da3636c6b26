"""Presence: live state, history and the event log.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-03

``presence`` is one row per agent, rewritten by every transition; the other
tables are append-only history (periods, activities, shifts, events) or
bookkeeping (request ids, the revision counter, server instances).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision: str | None = "0001"
branch_labels: str | None = None
depends_on: str | None = None


def ordered_text(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def row_id() -> sa.types.TypeEngine[int]:
    # SQLite only auto-increments an INTEGER PRIMARY KEY.
    return sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "presence",
        sa.Column("agent_id", ordered_text(128), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("status_id", sa.String(63), nullable=False),
        sa.Column("effective_id", sa.String(63), nullable=False),
        sa.Column("in_activity", sa.Boolean(), nullable=False),
        sa.Column("next_due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", name="pk_presence"),
        sa.ForeignKeyConstraint(
            ["agent_id"], ["agents.id"], name="fk_presence_agent_id_agents"
        ),
    )
    op.create_index("ix_presence_next_due_at", "presence", ["next_due_at"])

    op.create_table(
        "status_periods",
        sa.Column("id", row_id(), autoincrement=True, nullable=False),
        sa.Column("agent_id", ordered_text(128), nullable=False),
        sa.Column("status_id", sa.String(63), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("reason", sa.String(512), nullable=False),
        sa.Column("shift_id", sa.String(36), nullable=False),
        sa.Column("new_use", sa.Boolean(), nullable=False),
        sa.Column("overage_seconds", sa.Float(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_status_periods"),
    )
    op.create_index(
        "ix_status_periods_agent_id_start", "status_periods", ["agent_id", "start"]
    )

    op.create_table(
        "activities",
        sa.Column("id", row_id(), autoincrement=True, nullable=False),
        sa.Column("agent_id", ordered_text(128), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("external_id", sa.String(256), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shift_id", sa.String(36), nullable=False),
        sa.Column("expired", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_activities"),
    )
    op.create_index("ix_activities_agent_id_start", "activities", ["agent_id", "start"])

    op.create_table(
        "shifts",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("agent_id", ordered_text(128), nullable=False),
        sa.Column("start", sa.DateTime(timezone=True), nullable=False),
        sa.Column("end", sa.DateTime(timezone=True), nullable=True),
        sa.Column("end_source", sa.String(16), nullable=False),
        sa.Column("end_actor", sa.String(128), nullable=False),
        sa.Column("end_reason", sa.String(512), nullable=False),
        sa.PrimaryKeyConstraint("id", name="pk_shifts"),
    )
    op.create_index("ix_shifts_agent_id_start", "shifts", ["agent_id", "start"])

    op.create_table(
        "events",
        sa.Column("revision", sa.BigInteger(), autoincrement=False, nullable=False),
        sa.Column("time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("type", sa.String(32), nullable=False),
        sa.Column("agent_id", sa.String(128), nullable=False),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("actor", sa.String(128), nullable=False),
        sa.Column("reason", sa.String(512), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("revision", name="pk_events"),
    )

    op.create_table(
        "idempotency_keys",
        sa.Column("agent_id", ordered_text(128), nullable=False),
        sa.Column("request_id", sa.String(128), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("result", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("agent_id", "request_id", name="pk_idempotency_keys"),
    )
    op.create_index(
        "ix_idempotency_keys_create_time", "idempotency_keys", ["create_time"]
    )

    op.create_table(
        "counters",
        sa.Column("name", sa.String(32), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("name", name="pk_counters"),
    )
    op.execute("INSERT INTO counters (name, value) VALUES ('revision', 0)")

    op.create_table(
        "instances",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_alive_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("stopped_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_instances"),
    )


def downgrade() -> None:
    for table in (
        "instances",
        "counters",
        "idempotency_keys",
        "events",
        "shifts",
        "activities",
        "status_periods",
        "presence",
    ):
        op.drop_table(table)
