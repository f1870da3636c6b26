"""Telephony outbox: the latest desired PBX state per adapter and agent.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-03
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision: str | None = "0002"
branch_labels: str | None = None
depends_on: str | None = None


def ordered_text(length: int) -> sa.types.TypeEngine[str]:
    return sa.String(length).with_variant(
        sa.String(length, collation="C"), "postgresql"
    )


def upgrade() -> None:
    op.create_table(
        "telephony_outbox",
        sa.Column("adapter", sa.String(64), nullable=False),
        sa.Column("agent_id", ordered_text(128), nullable=False),
        sa.Column("desired", sa.JSON(), nullable=False),
        sa.Column("version", sa.BigInteger(), nullable=False),
        sa.Column("synced_version", sa.BigInteger(), nullable=False),
        sa.Column("update_time", sa.DateTime(timezone=True), nullable=False),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("adapter", "agent_id", name="pk_telephony_outbox"),
    )


def downgrade() -> None:
    op.drop_table("telephony_outbox")
