"""The catalog: status types and agents, validated and stored.

The API servicers call exactly these methods. Every failure is a
``PresenceError`` subclass with a stable reason (``catalog.common``), and a
failed call changes nothing: each write is one transaction, rolled back on
any error. Returned objects are domain snapshots, never database rows.

The rules themselves live in ``catalog.status_types`` and ``catalog.agents``;
this class only opens the transactions and reads the clock. Writes that
change something also append an event to the event log in the same
transaction (``catalog.events``), and then tell the listeners.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Callable, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass, replace

from sqlalchemy.ext.asyncio import AsyncSession

from presence_server.catalog import agents, seeding, status_types
from presence_server.catalog.common import require_id
from presence_server.catalog.events import EventLog
from presence_server.domain.agents import Agent
from presence_server.domain.status_types import StatusKind, StatusType
from presence_server.engine.clock import Clock
from presence_server.storage import agents as agent_repo
from presence_server.storage import status_types as status_type_repo
from presence_server.storage.db import Database

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Page:
    """One page of agents; ``next_page_token`` is empty on the last page."""

    agents: list[Agent]
    next_page_token: str


class Catalog:
    """Status types and agents. Safe to share between concurrent requests.

    Several server instances may share one database: every write takes the
    catalog lock (the SQLite write lock, a PostgreSQL advisory lock), so the
    checks a write depends on cannot interleave with another write.

    Etags are strings that change with every stored change. Wherever a
    method takes one, an empty etag means "whatever the current version";
    any other value must match or the call fails with ``Aborted``.
    """

    def __init__(self, db: Database, clock: Clock) -> None:
        self._db = db
        self._clock = clock
        self._listeners: list[Callable[[], None]] = []

    def add_listener(self, listener: Callable[[], None]) -> None:
        """Call ``listener`` after each committed write that appended events.

        It runs on the writer's task and must not block; the event stream
        uses it to read the new events at once.
        """
        self._listeners.append(listener)

    @asynccontextmanager
    async def _write(self) -> AsyncIterator[tuple[AsyncSession, EventLog]]:
        # The revision counter is taken first, before any catalog lock.
        async with self._db.write() as session:
            log = await EventLog.begin(session)
            yield session, log
        if log.appended:
            for listener in self._listeners:
                try:
                    listener()
                except Exception:
                    logger.exception("a catalog listener failed")

    async def ensure_seeded(self) -> list[str]:
        """Create the built-in and default status types; return the ids added.

        Call at every start, after migrating. The first start (no status
        type ever stored) adds the built-ins and the seeded defaults; later
        starts only add built-ins that are missing. Idempotent, and safe when
        several instances start at once.
        """
        async with self._db.write() as session:
            return await seeding.seed(session, self._clock.now())

    # --- status types -----------------------------------------------------

    async def create_status_type(
        self,
        draft: StatusType,
        *,
        status_type_id: str = "",
        given: Collection[str] = (),
    ) -> StatusType:
        """Validate and store a new type.

        ``draft`` carries the requested values; ``given`` names the optional
        fields (queue_login, external_calls, selectable) the caller actually
        set: the others take ``defaults_for(kind)``. ``id``, ``archived``,
        ``built_in``, times and etag of the draft are ignored. Without
        ``status_type_id`` an id is generated from the name; an id that
        exists or ever existed is refused with ``AlreadyExists``.
        """
        now = self._clock.now()
        async with self._write() as (session, log):
            created = await status_types.create(
                session, now, draft, status_type_id=status_type_id, given=given
            )
            await log.status_type_changed(now, created)
        return created

    async def get_status_type(self, status_type_id: str) -> StatusType:
        require_id(status_type_id)
        async with self._db.read() as session:
            return await status_types.get(session, status_type_id)

    async def list_status_types(
        self,
        *,
        include_archived: bool = False,
        kind: StatusKind | None = None,
        selectable_only: bool = False,
    ) -> list[StatusType]:
        """In menu order: sort_order, then name."""
        async with self._db.read() as session:
            return await status_type_repo.list_status_types(
                session,
                include_archived=include_archived,
                kind=kind,
                selectable_only=selectable_only,
            )

    async def update_status_type(
        self,
        status_type_id: str,
        changes: StatusType,
        paths: Collection[str],
        etag: str,
    ) -> StatusType:
        """Copy the fields named by ``paths`` from ``changes``; check; store.

        An update that changes no value stores nothing and keeps the etag.
        """
        require_id(status_type_id, "status_type.id")
        now = self._clock.now()
        async with self._write() as (session, log):
            updated = await status_types.update(
                session, now, status_type_id, changes, paths, etag
            )
            if log.changed():
                await log.status_type_changed(now, updated)
        return updated

    async def archive_status_type(self, status_type_id: str, etag: str) -> StatusType:
        """Archive a type: it stays in history but can no longer be entered.

        Archiving an archived type changes nothing. Built-ins cannot be
        archived.
        """
        require_id(status_type_id)
        now = self._clock.now()
        async with self._write() as (session, log):
            archived = await status_types.archive(session, now, status_type_id, etag)
            if log.changed():
                await log.status_type_changed(now, archived)
        return archived

    async def unarchive_status_type(self, status_type_id: str, etag: str) -> StatusType:
        """Make an archived type usable again, if its name is still free."""
        require_id(status_type_id)
        now = self._clock.now()
        async with self._write() as (session, log):
            restored = await status_types.unarchive(session, now, status_type_id, etag)
            if log.changed():
                await log.status_type_changed(now, restored)
        return restored

    async def delete_status_type(self, status_type_id: str, etag: str) -> None:
        """Delete a type nobody ever used; its id is never given out again."""
        require_id(status_type_id)
        now = self._clock.now()
        async with self._write() as (session, log):
            before = await status_type_repo.get_status_type(session, status_type_id)
            await status_types.delete(session, now, status_type_id, etag)
            if before is not None:
                gone = replace(before, archived=True, update_time=now)
                await log.status_type_changed(now, gone, deleted=True)

    # --- agents -----------------------------------------------------------

    async def create_agent(self, draft: Agent) -> Agent:
        """Validate and store a new agent; the id of a deleted one may be reused."""
        now = self._clock.now()
        async with self._write() as (session, log):
            created = await agents.create(session, now, draft)
            current = await log.agent_view(now, created)
            await log.agent_changed(now, created.id, None, current)
        return created

    async def get_agent(self, agent_id: str) -> Agent:
        require_id(agent_id)
        async with self._db.read() as session:
            return await agents.get(session, agent_id)

    async def list_agents(
        self,
        *,
        team: str = "",
        include_archived: bool = False,
        page_size: int = 0,
        page_token: str = "",
    ) -> Page:
        """Agents in id order, a page at a time.

        ``page_size`` 0 means 1000, larger values are lowered to 1000. The
        token of a page continues the same query only (same team and
        ``include_archived``).
        """
        request = agents.page_request(
            team=team,
            include_archived=include_archived,
            page_size=page_size,
            page_token=page_token,
        )
        async with self._db.read() as session:
            found, next_token = await agents.list_page(session, request)
        return Page(found, next_token)

    async def update_agent(
        self, agent_id: str, changes: Agent, paths: Collection[str], etag: str
    ) -> Agent:
        """Copy the fields named by ``paths`` from ``changes``; check; store."""
        require_id(agent_id, "agent.id")
        now = self._clock.now()
        async with self._write() as (session, log):
            previous = await self._agent_view(session, log, agent_id)
            updated = await agents.update(session, now, agent_id, changes, paths, etag)
            if log.changed():
                current = await log.agent_view(now, updated)
                await log.agent_changed(now, agent_id, previous, current)
        return updated

    async def archive_agent(self, agent_id: str, etag: str) -> Agent:
        """Archive an agent: history stays, status can no longer change."""
        require_id(agent_id)
        return await self._archive_agent(agent_id, etag, archived=True)

    async def unarchive_agent(self, agent_id: str, etag: str) -> Agent:
        require_id(agent_id)
        return await self._archive_agent(agent_id, etag, archived=False)

    async def _archive_agent(
        self, agent_id: str, etag: str, *, archived: bool
    ) -> Agent:
        now = self._clock.now()
        async with self._write() as (session, log):
            previous = await self._agent_view(session, log, agent_id)
            result = await agents.archive(
                session, now, agent_id, etag, archived=archived
            )
            if log.changed():
                current = await log.agent_view(now, result)
                await log.agent_changed(now, agent_id, previous, current)
        return result

    async def _agent_view(
        self, session: AsyncSession, log: EventLog, agent_id: str
    ) -> object:
        """The agent's live view before a write, for its event."""
        agent = await agent_repo.get_agent(session, agent_id)
        return await log.agent_view(self._clock.now(), agent)

    async def delete_agent(self, agent_id: str, etag: str) -> None:
        """Delete an agent without presence history; archive it otherwise."""
        require_id(agent_id)
        now = self._clock.now()
        async with self._write() as (session, log):
            previous = await self._agent_view(session, log, agent_id)
            await agents.delete(session, now, agent_id, etag)
            await log.agent_changed(now, agent_id, previous, None)
