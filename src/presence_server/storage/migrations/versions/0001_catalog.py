"""Catalog: status types and agents.

Revision ID: 0001
Revises:
Create Date: 2026-12-03

Rows are never removed: a deleted status type or agent keeps its row with
``deleted_at`` set, so that history can still name it and status type ids
are never handed out twice.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision: str | None = None
branch_labels: str | None = None
depends_on: str | None = None

# Rows that count for name uniqueness: neither archived nor deleted.
LIVE_ROW = "NOT archived AND deleted_at IS NULL"


def ordered_text(length: int) -> sa.types.TypeEngine[str]:
    # Sorted by code point on PostgreSQL too, as on SQLite (keyset paging).
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "status_types",
        sa.Column("id", ordered_text(63), nullable=False),
        sa.Column("name", sa.String(64), nullable=False),
        sa.Column("name_key", ordered_text(256), nullable=False),
        sa.Column("color", sa.String(7), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("keep_on_disconnect", sa.Boolean(), nullable=False),
        sa.Column("can_end_shift", sa.Boolean(), nullable=False),
        sa.Column("limit_per_shift", sa.Integer(), nullable=False),
        sa.Column("allowed_minutes", sa.Integer(), nullable=False),
        sa.Column("ring_mobile", sa.Boolean(), nullable=False),
        sa.Column("queue_login", sa.Boolean(), nullable=False),
        sa.Column("external_calls", sa.Boolean(), nullable=False),
        sa.Column("telephony", sa.JSON(), nullable=False),
        sa.Column("selectable", sa.Boolean(), nullable=False),
        sa.Column("sort_order", sa.Integer(), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("built_in", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_status_types"),
    )
    op.create_index(
        "uq_status_types_live_name_key",
        "status_types",
        ["name_key"],
        unique=True,
        sqlite_where=sa.text(LIVE_ROW),
        postgresql_where=sa.text(LIVE_ROW),
    )

    op.create_table(
        "agents",
        sa.Column("id", ordered_text(128), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=False),
        sa.Column("team", ordered_text(64), nullable=False),
        sa.Column("extension", sa.String(20), nullable=False),
        sa.Column("mobile_number", sa.String(16), nullable=False),
        sa.Column("queues", sa.JSON(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("archived", sa.Boolean(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("create_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("first_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name="pk_agents"),
    )
    op.create_index("ix_agents_team_id", "agents", ["team", "id"])


def downgrade() -> None:
    op.drop_index("ix_agents_team_id", table_name="agents")
    op.drop_table("agents")
    op.drop_index("uq_status_types_live_name_key", table_name="status_types")
    op.drop_table("status_types")
