"""Agents in the database: rows in, domain objects out.

Every function works inside a session the caller opened and never commits.
Deleted rows are invisible to all of them except ``load_deleted_row``.
Validation belongs to the catalog; these functions store what they are given.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from presence_server.domain.agents import Agent, Role
from presence_server.storage.models import AgentRow


def etag_for(revision: int) -> str:
    """The etag clients see for a row at ``revision``."""
    return str(revision)


def to_domain(row: AgentRow) -> Agent:
    return Agent(
        id=row.id,
        display_name=row.display_name,
        team=row.team,
        extension=row.extension,
        mobile_number=row.mobile_number,
        queues=tuple(row.queues),
        role=Role(row.role),
        archived=row.archived,
        create_time=row.create_time,
        update_time=row.update_time,
        etag=etag_for(row.revision),
    )


def new_row(agent: Agent, now: datetime) -> AgentRow:
    """A row for a new agent at revision 1; ``add`` it to the session."""
    row = AgentRow(
        id=agent.id,
        archived=False,
        revision=1,
        create_time=now,
        update_time=now,
        first_used_at=None,
        deleted_at=None,
    )
    write_fields(row, agent)
    return row


def write_fields(row: AgentRow, agent: Agent) -> None:
    """Copy the configurable fields (not id, archived, times), as given."""
    row.display_name = agent.display_name
    row.team = agent.team
    row.extension = agent.extension
    row.mobile_number = agent.mobile_number
    row.queues = list(agent.queues)
    row.role = agent.role.value


async def get_agent(session: AsyncSession, agent_id: str) -> Agent | None:
    """The agent with this id, archived or not; ``None`` if absent or deleted.

    Cheap: one primary-key lookup. For the engine's checks inside its own
    transactions.
    """
    row = await load_row(session, agent_id)
    return None if row is None else to_domain(row)


async def load_row(
    session: AsyncSession, agent_id: str, *, for_update: bool = False
) -> AgentRow | None:
    """The row of an agent that is not deleted; ``for_update`` locks it (PG)."""
    query = select(AgentRow).where(
        AgentRow.id == agent_id, AgentRow.deleted_at.is_(None)
    )
    if for_update:
        query = query.with_for_update()
    result: AgentRow | None = await session.scalar(query)
    return result


async def load_deleted_row(session: AsyncSession, agent_id: str) -> AgentRow | None:
    """The row of a deleted agent with this id, to create it again."""
    query = (
        select(AgentRow)
        .where(AgentRow.id == agent_id, AgentRow.deleted_at.is_not(None))
        .with_for_update()
    )
    result: AgentRow | None = await session.scalar(query)
    return result


async def list_agents(
    session: AsyncSession,
    *,
    team: str = "",
    include_archived: bool = False,
    after_id: str = "",
    limit: int,
) -> list[Agent]:
    """Up to ``limit`` agents ordered by id, those with an id above ``after_id``."""
    query = select(AgentRow).where(AgentRow.deleted_at.is_(None))
    if team:
        query = query.where(AgentRow.team == team)
    if not include_archived:
        query = query.where(AgentRow.archived.is_(False))
    if after_id:
        query = query.where(AgentRow.id > after_id)
    query = query.order_by(AgentRow.id).limit(limit)
    return [to_domain(row) for row in await session.scalars(query)]


async def mark_agent_used(session: AsyncSession, agent_id: str, at: datetime) -> bool:
    """Record the agent's first presence change; it can no longer be deleted.

    Call it in the transaction that records the change. Only the first call
    writes. Returns False when the agent does not exist or was deleted; on
    PostgreSQL the row lock orders this against a concurrent delete.
    """
    marked: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        update(AgentRow)
        .where(
            AgentRow.id == agent_id,
            AgentRow.deleted_at.is_(None),
            AgentRow.first_used_at.is_(None),
        )
        .values(first_used_at=at)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount == 1:
        return True
    return await load_row(session, agent_id) is not None
