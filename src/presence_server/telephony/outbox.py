"""The durable outbox of desired telephony states.

Two writers keep it current, both serialized with the engine's batches:

- ``Outbox.observe`` is a transition observer of the engine: it runs inside
  each batch's transaction and writes the new desired state of every agent
  whose chosen status changed, so a committed status change never exists
  without its desired state (a crash loses both or neither).
- ``Outbox.refresh`` recomputes every agent's desired state from the stored
  presence, the agents and the status types. It catches what the observer
  cannot see: an adapter newly enabled, an agent's extension or queues
  edited, a status type's mapping changed. It runs at start and then now and
  then, in a write transaction that first takes the engine's revision lock,
  so it never interleaves with a batch.

Each row holds only the latest desired state and its ``version``; the sync
worker records the version it confirmed on the PBX in ``synced_version``.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Connection

from presence_server.domain.agents import Agent
from presence_server.domain.status_types import OFFLINE_ID, StatusType
from presence_server.engine import store
from presence_server.engine.service import Transitions
from presence_server.storage import agents as agent_rows
from presence_server.storage.db import Database
from presence_server.storage.models import AgentRow
from presence_server.storage.presence_models import PresenceRow
from presence_server.storage.telephony_models import TelephonyOutboxRow
from presence_server.telephony.desired import (
    DesiredState,
    derive,
    from_json,
    to_json,
)

logger = logging.getLogger(__name__)

_OUTBOX = cast(Table, TelephonyOutboxRow.__table__)


@dataclass(frozen=True, slots=True)
class Entry:
    """One outbox row, decoded."""

    agent_id: str
    desired: DesiredState
    version: int
    synced_version: int


class Outbox:
    """The outbox rows of the enabled adapters.

    Args:
        db: the server's database.
        adapters: names of the enabled adapters; desired states are kept
            for these only.
    """

    def __init__(self, db: Database, adapters: Sequence[str]) -> None:
        self.db = db
        self.adapters = tuple(adapters)
        self._lock = db.dialect_name == "postgresql"

    # --- writers ---------------------------------------------------------------

    def observe(self, connection: Connection, changes: Transitions) -> None:
        """The engine's transition observer: store changed desired states.

        Synchronous, on the batch's connection (the engine may run it in its
        writer thread): pure computation and one statement.
        """
        rows: list[dict[str, Any]] = []
        for agent_id, after in changes.after.items():
            before = changes.before.get(agent_id)
            # Only the chosen status (and the agent) shape the desired state.
            if before is not None and before.status_id == after.status_id:
                continue
            agent = changes.agents.get(agent_id)
            if agent is None:
                continue
            for adapter in self.adapters:
                new = _derive(agent, after.status_id, adapter, changes.types)
                if new is None:
                    continue
                if before is not None:
                    old = _derive(agent, before.status_id, adapter, changes.types)
                    if old == new:
                        continue
                rows.append(_row(adapter, new, changes.now))
        if rows:
            connection.execute(_upsert(connection.dialect.name), rows)

    async def refresh(
        self, now: datetime
    ) -> tuple[list[tuple[str, str]], list[tuple[str, str]]]:
        """Bring every desired state in line with presence.

        Returns the (adapter, agent id) keys rewritten and those removed:
        rows of agents that can no longer be synchronized (deleted, no
        extension) are removed, and the PBX is left as it is for them.
        """
        changed: list[dict[str, Any]] = []
        gone: list[tuple[str, str]] = []
        # Known limitation: one pass over every agent holds the engine's
        # revision lock (status changes wait for it); fine for thousands of
        # agents, to be chunked if a deployment grows far beyond that.
        async with self.db.write() as session:
            await store.take_revisions(session, lock=self._lock)
            types = await store.load_types(session)
            agents = [
                agent_rows.to_domain(row)
                for row in await session.scalars(
                    select(AgentRow).where(AgentRow.deleted_at.is_(None))
                )
            ]
            presence = await session.execute(
                select(PresenceRow.agent_id, PresenceRow.status_id)
            )
            chosen = {agent_id: status_id for agent_id, status_id in presence}
            stored = {
                (row.adapter, row.agent_id): row.desired
                for row in await session.scalars(
                    select(TelephonyOutboxRow).where(
                        TelephonyOutboxRow.adapter.in_(self.adapters)
                    )
                )
            }
            wanted: set[tuple[str, str]] = set()
            for agent in agents:
                status_id = chosen.get(agent.id, OFFLINE_ID)
                for adapter in self.adapters:
                    desired = _derive(agent, status_id, adapter, types)
                    if desired is None:
                        continue
                    key = (adapter, agent.id)
                    wanted.add(key)
                    if stored.get(key) != to_json(desired):
                        changed.append(_row(adapter, desired, now))
            gone = [key for key in stored if key not in wanted]
            if changed:
                dialect = (await session.connection()).dialect.name
                await session.execute(_upsert(dialect), changed)
            if gone:
                await session.execute(
                    delete(_OUTBOX).where(
                        tuple_(_OUTBOX.c.adapter, _OUTBOX.c.agent_id).in_(gone)
                    )
                )
        if changed or gone:
            logger.info(
                "telephony desired states refreshed: %d changed, %d removed",
                len(changed),
                len(gone),
            )
        return [(r["adapter"], r["agent_id"]) for r in changed], gone

    async def mark_synced(
        self, adapter: str, agent_id: str, version: int, now: datetime
    ) -> None:
        """Record that ``version`` of the agent's desired state is on the PBX."""
        async with self.db.write() as session:
            await session.execute(
                update(_OUTBOX)
                .where(
                    _OUTBOX.c.adapter == adapter,
                    _OUTBOX.c.agent_id == agent_id,
                    _OUTBOX.c.synced_version < version,
                )
                .values(synced_version=version, synced_at=now)
            )

    # --- readers -----------------------------------------------------------------

    async def load(
        self, adapter: str, agent_ids: Iterable[str] | None = None
    ) -> list[Entry]:
        """The adapter's rows (of the named agents, or all)."""
        query = select(TelephonyOutboxRow).where(TelephonyOutboxRow.adapter == adapter)
        if agent_ids is not None:
            query = query.where(TelephonyOutboxRow.agent_id.in_(list(agent_ids)))
        async with self.db.read() as session:
            rows = list(await session.scalars(query))
        return [
            Entry(row.agent_id, from_json(row.desired), row.version, row.synced_version)
            for row in rows
        ]

    async def pending(self, adapter: str) -> list[Entry]:
        """Rows whose latest version is not yet confirmed on the PBX."""
        query = select(TelephonyOutboxRow).where(
            TelephonyOutboxRow.adapter == adapter,
            TelephonyOutboxRow.version > TelephonyOutboxRow.synced_version,
        )
        async with self.db.read() as session:
            rows = list(await session.scalars(query))
        return [
            Entry(row.agent_id, from_json(row.desired), row.version, row.synced_version)
            for row in rows
        ]


def _derive(
    agent: Agent, status_id: str, adapter: str, types: Mapping[str, StatusType]
) -> DesiredState | None:
    return derive(agent, types.get(status_id), adapter, types)


def _row(adapter: str, desired: DesiredState, now: datetime) -> dict[str, Any]:
    return {
        "adapter": adapter,
        "agent_id": desired.line.agent_id,
        "desired": to_json(desired),
        "version": 1,
        "synced_version": 0,
        "update_time": now,
        "synced_at": None,
    }


def _upsert(dialect: str) -> Any:
    """Insert rows, or replace the desired state of existing ones (version + 1)."""
    if dialect == "postgresql":
        statement: Any = postgresql.insert(_OUTBOX)
    else:
        statement = sqlite.insert(_OUTBOX)
    return statement.on_conflict_do_update(
        index_elements=[_OUTBOX.c.adapter, _OUTBOX.c.agent_id],
        set_={
            "desired": statement.excluded.desired,
            "version": _OUTBOX.c.version + 1,
            "update_time": statement.excluded.update_time,
        },
    )
