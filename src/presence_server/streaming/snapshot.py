"""The current presence of many agents, and the revision it reflects."""

from __future__ import annotations

from collections.abc import Collection

from sqlalchemy import select

from presence_server.domain.presence import PresenceView
from presence_server.engine import rules, store
from presence_server.engine.clock import Clock
from presence_server.engine.views import view
from presence_server.storage import agents, codec
from presence_server.storage.db import Database
from presence_server.storage.models import AgentRow
from presence_server.storage.presence_models import CounterRow, PresenceRow


async def read_snapshot(
    db: Database, clock: Clock, agent_ids: Collection[str] = ()
) -> tuple[int, list[PresenceView]]:
    """Every live agent's presence (only ``agent_ids`` when given), by id.

    Returns the revision the views reflect with them: every event up to it
    is in the views and none after it. All statements read one consistent
    snapshot of the database: a SQLite read transaction is one, and on
    PostgreSQL the transaction runs at REPEATABLE READ.
    """
    now = clock.now()
    query = (
        select(AgentRow, PresenceRow.revision, PresenceRow.state)
        .outerjoin(PresenceRow, PresenceRow.agent_id == AgentRow.id)
        .where(AgentRow.deleted_at.is_(None), AgentRow.archived.is_(False))
        .order_by(AgentRow.id)
    )
    if agent_ids:
        query = query.where(AgentRow.id.in_(list(agent_ids)))
    async with db.read() as session:
        if db.dialect_name == "postgresql":
            await session.connection(
                execution_options={"isolation_level": "REPEATABLE READ"}
            )
        revision = await session.scalar(
            select(CounterRow.value).where(CounterRow.name == store.REVISION_COUNTER)
        )
        types = await store.load_types(session)
        rows = (await session.execute(query)).all()
    views = []
    for row, agent_revision, state in rows:
        agent = agents.to_domain(row)
        if state is None:
            presence = rules.new_presence(agent.id, agent.create_time or now)
        else:
            presence = codec.presence_from_json(agent.id, agent_revision, state)
        views.append(view(presence, agent, types, now))
    return revision or 0, views
