"""The presence engine: commands in, durable transitions and events out.

Every command goes through one writer task per process that applies queued
commands in batches, each batch in one write transaction with one commit
(group commit). Callers are answered after the commit, so an acknowledged
change survives a crash. Across processes sharing a PostgreSQL database the
batch locks the revision counter and the agents' presence rows, so changes to
one agent are serialized everywhere and revisions stay gapless.

Timers are stored as each agent's next due instant; the scheduler task sends
a ``Tick`` when one is due, and the rules fire every due timer at its own
instant. Firing twice is harmless: a consumed timer is no longer due.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import logging
import uuid
from collections.abc import Awaitable, Callable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, func, select, update
from sqlalchemy.engine import Connection

from presence_server.domain.agents import Agent
from presence_server.domain.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    NotFound,
    PresenceError,
    session_gone,
)
from presence_server.domain.presence import (
    Event,
    Outcome,
    Presence,
    PresenceView,
    Session,
    SessionKind,
)
from presence_server.domain.status_types import StatusType
from presence_server.engine import commands as c
from presence_server.engine import rules, store
from presence_server.engine.clock import Clock
from presence_server.engine.views import view
from presence_server.storage import agents, codec
from presence_server.storage.db import Database
from presence_server.storage.models import AgentRow
from presence_server.storage.presence_models import (
    EventRow,
    IdempotencyRow,
    InstanceRow,
    PresenceRow,
)

logger = logging.getLogger(__name__)

Listener = Callable[[Sequence[Event]], Awaitable[None] | None]


@dataclass(frozen=True, slots=True)
class Transitions:
    """What one batch is about to commit, as shown to transition observers.

    ``after`` holds the new state of every agent the batch changes, ``before``
    the stored state of the batch's agents when it began (none for an
    agent's first change).
    """

    now: datetime
    types: Mapping[str, StatusType]
    agents: Mapping[str, Agent]
    before: Mapping[str, Presence]
    after: Mapping[str, Presence]


# Runs inside the batch's write transaction, after its rows are written: what
# it writes commits or rolls back with the transitions. Raising fails the batch.
TransitionObserver = Callable[[Connection, Transitions], None]


@dataclass(slots=True)
class _Job:
    agent_id: str
    command: c.Command
    request_id: str
    future: asyncio.Future[tuple[PresenceView, Outcome]]


@dataclass(slots=True)
class _Batch:
    """What one batch accumulates before it is written."""

    now: datetime
    types: dict[str, StatusType]
    agents: dict[str, Agent]
    stored: dict[str, Presence]
    states: dict[str, Presence] = field(default_factory=dict)
    revision: int = 0
    events: list[dict[str, Any]] = field(default_factory=list)
    published: list[Event] = field(default_factory=list)
    periods: list[Any] = field(default_factory=list)
    activities: list[Any] = field(default_factory=list)
    shifts: list[Any] = field(default_factory=list)
    requests: list[dict[str, Any]] = field(default_factory=list)
    answers: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    # A timer earlier than the scheduler's next wake-up was written.
    wake: bool = False


class PresenceEngine:
    """Applies presence commands durably and publishes the resulting events.

    Args:
        db: a migrated database.
        clock: the source of time for every transition and timer.
        config: the rules' settings.
        max_batch: most commands applied in one transaction.
        linger: under concurrent load, how long a batch waits for more
            commands before it is written.
        heartbeat: how often this instance records that it is alive; streams
            of an instance silent for three heartbeats count as lost.
    """

    def __init__(
        self,
        db: Database,
        clock: Clock,
        config: rules.EngineConfig | None = None,
        *,
        max_batch: int = 256,
        linger: timedelta = timedelta(milliseconds=2),
        heartbeat: timedelta = timedelta(seconds=5),
    ) -> None:
        self.db = db
        self.clock = clock
        self.config = config or rules.EngineConfig()
        self.instance_id = str(uuid.uuid4())
        self._max_batch = max_batch
        self._linger = linger.total_seconds()
        self._last_batch = 0
        self._heartbeat = heartbeat
        self._lock_rows = db.dialect_name == "postgresql"
        self._queue: asyncio.Queue[_Job] = asyncio.Queue()
        self._tasks: list[asyncio.Task[None]] = []
        self._timers_changed = asyncio.Event()
        self._wake_at: datetime | None = None
        self._listeners: list[Listener] = []
        self._observers: list[TransitionObserver] = []
        # SQLite batches run here, one at a time, on the writer's connection.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="presence-writer")

    # --- lifecycle ------------------------------------------------------------

    async def start(self) -> None:
        """Register this instance, recover lost streams, start the tasks."""
        now = self.clock.now()
        async with self.db.write() as session:
            session.add(
                InstanceRow(
                    id=self.instance_id,
                    started_at=now,
                    last_alive_at=now,
                    stopped_at=None,
                )
            )
        self._tasks = [
            asyncio.create_task(self._write_loop(), name="presence-writer"),
        ]
        await self.recover_sessions()
        self._tasks += [
            asyncio.create_task(self._timer_loop(), name="presence-timers"),
            asyncio.create_task(self._heartbeat_loop(), name="presence-heartbeat"),
        ]
        logger.info("presence engine started (instance %s)", self.instance_id)

    async def stop(self) -> None:
        """Finish queued commands, stop the tasks, record a clean stop.

        Streams held by this instance stay recorded as sessions: the next
        start gives their clients one grace period to come back, counting
        their loss from this moment.
        """
        if self._tasks and not self._tasks[0].done():
            await self._queue.join()
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        self._thread.shutdown(wait=True)
        async with self.db.write() as session:
            await session.execute(
                update(InstanceRow)
                .where(InstanceRow.id == self.instance_id)
                .values(stopped_at=self.clock.now(), last_alive_at=self.clock.now())
            )
        logger.info("presence engine stopped (instance %s)", self.instance_id)

    def add_listener(self, listener: Listener) -> None:
        """Call ``listener`` with each committed batch of events, in order."""
        self._listeners.append(listener)

    def remove_listener(self, listener: Listener) -> None:
        self._listeners.remove(listener)

    def add_transition_observer(self, observer: TransitionObserver) -> None:
        """Let ``observer`` add rows to each batch that changes presence.

        It is called in the batch's transaction with its synchronous
        connection (on SQLite in the writer thread), so its rows are durable
        exactly when the transitions are; an exception from it fails the
        whole batch. Keep it short: it holds the write lock.
        """
        self._observers.append(observer)

    def remove_transition_observer(self, observer: TransitionObserver) -> None:
        self._observers.remove(observer)

    # --- commands ---------------------------------------------------------------

    async def execute(
        self, agent_id: str, command: c.Command, request_id: str = ""
    ) -> tuple[PresenceView, Outcome]:
        """Apply ``command`` to the agent; answer after it is committed.

        With a ``request_id``, a repeat (also concurrent) returns the first
        answer and changes nothing. Raises ``PresenceError`` when refused.
        """
        if not self._tasks:
            raise RuntimeError("the presence engine is not started")
        future: asyncio.Future[tuple[PresenceView, Outcome]] = (
            asyncio.get_running_loop().create_future()
        )
        self._queue.put_nowait(_Job(agent_id, command, request_id, future))
        return await future

    async def open_stream(self, agent_id: str, client: str) -> tuple[str, PresenceView]:
        """Record a Connect stream held by this instance; returns its session id."""
        session = Session(
            id=_session_id(agent_id),
            kind=SessionKind.STREAM,
            opened_at=self.clock.now(),
            instance=self.instance_id,
            client=client,
        )
        presence, _ = await self.execute(agent_id, c.OpenSession(session))
        return session.id, presence

    async def open_lease(
        self, agent_id: str, client: str, ttl: timedelta
    ) -> tuple[Session, PresenceView]:
        now = self.clock.now()
        session = Session(
            id=_session_id(agent_id),
            kind=SessionKind.LEASE,
            opened_at=now,
            expires_at=now + ttl,
            ttl_seconds=int(ttl.total_seconds()),
            client=client,
        )
        presence, _ = await self.execute(agent_id, c.OpenSession(session))
        return session, presence

    async def keep_alive(self, session_id: str) -> Session:
        """Extend a lease by its ttl. NOT_FOUND when it has already ended."""
        agent_id = _agent_of(session_id)
        presence = await self._session_owner(session_id)
        session = next((x for x in presence.sessions if x.id == session_id), None)
        if session is None or session.kind is not SessionKind.LEASE:
            raise session_gone(session_id)
        expires = self.clock.now() + timedelta(seconds=session.ttl_seconds)
        await self.execute(agent_id, c.KeepAlive(session_id, expires))
        return dataclasses.replace(session, expires_at=expires)

    async def close_session(self, session_id: str) -> PresenceView:
        agent_id = _agent_of(session_id)
        presence = await self._session_owner(session_id)
        if not any(x.id == session_id for x in presence.sessions):
            raise session_gone(session_id)
        result, _ = await self.execute(
            agent_id, c.CloseSession(session_id, self.clock.now())
        )
        return result

    # --- queries ------------------------------------------------------------------

    async def get(self, agent_id: str) -> PresenceView:
        views = await self.query([agent_id])
        if not views:
            raise NotFound("agent", agent_id, reason="AGENT_NOT_FOUND")
        return views[0]

    async def query(self, agent_ids: Sequence[str] | None = None) -> list[PresenceView]:
        """Presence of the named agents (all unarchived ones when None), by id."""
        now = self.clock.now()
        query = (
            select(AgentRow, PresenceRow.revision, PresenceRow.state)
            .outerjoin(PresenceRow, PresenceRow.agent_id == AgentRow.id)
            .where(AgentRow.deleted_at.is_(None))
            .order_by(AgentRow.id)
        )
        # Archived agents are left out of lists, but shown when named.
        if agent_ids is not None:
            query = query.where(AgentRow.id.in_(agent_ids))
        else:
            query = query.where(AgentRow.archived.is_(False))
        async with self.db.read() as session:
            types = await store.load_types(session)
            rows = (await session.execute(query)).all()
        views = []
        for row, revision, state in rows:
            agent = agents.to_domain(row)
            if state is None:
                presence = rules.new_presence(agent.id, agent.create_time or now)
            else:
                presence = codec.presence_from_json(agent.id, revision, state)
            views.append(view(presence, agent, types, now))
        return views

    async def events_since(self, revision: int, limit: int = 1000) -> list[EventRow]:
        async with self.db.read() as session:
            rows = await session.scalars(
                select(EventRow)
                .where(EventRow.revision > revision)
                .order_by(EventRow.revision)
                .limit(limit)
            )
            return list(rows)

    async def _session_owner(self, session_id: str) -> Presence:
        # The agent a session id names; one that has no presence has no
        # session either, and is answered so (the id says nothing more).
        try:
            return await self._stored(_agent_of(session_id))
        except NotFound:
            raise session_gone(session_id) from None

    async def _stored(self, agent_id: str) -> Presence:
        async with self.db.read() as session:
            found = await store.load_presence(session, [agent_id], lock=False)
        if agent_id not in found:
            raise NotFound("agent", agent_id, reason="AGENT_NOT_FOUND")
        return found[agent_id]

    # --- timers -------------------------------------------------------------------

    async def fire_due(self) -> int:
        """Fire every timer due by now; returns how many agents had one."""
        now = self.clock.now()
        async with self.db.read() as session:
            due = list(
                await session.scalars(
                    select(PresenceRow.agent_id)
                    .where(PresenceRow.next_due_at <= now)
                    .order_by(PresenceRow.next_due_at)
                )
            )
        if due:
            await asyncio.gather(*(self.execute(a, c.Tick()) for a in due))
        return len(due)

    async def next_due_at(self) -> datetime | None:
        async with self.db.read() as session:
            return await session.scalar(select(func.min(PresenceRow.next_due_at)))

    async def advance_to(
        self, instant: datetime, set_clock: Callable[[datetime], Awaitable[None]]
    ) -> None:
        """Move a simulated clock to ``instant``, firing timers in time order."""
        while True:
            due = await self.next_due_at()
            if due is None or due > instant:
                break
            if due > self.clock.now():
                await set_clock(due)
            await self.fire_due()
        if instant > self.clock.now():
            await set_clock(instant)

    async def _timer_loop(self) -> None:
        # Poll at least this often, so another instance's new timers fire.
        poll = self._heartbeat
        while True:
            self._timers_changed.clear()
            try:
                await self.fire_due()
                due = await self.next_due_at()
            except Exception:
                logger.exception("firing timers failed; retrying")
                due = None
            wake = self.clock.now() + poll
            if due is not None:
                wake = min(wake, due)
            self._wake_at = wake
            sleeper = asyncio.ensure_future(self.clock.sleep_until(wake))
            changed = asyncio.ensure_future(self._timers_changed.wait())
            try:
                await asyncio.wait(
                    {sleeper, changed}, return_when=asyncio.FIRST_COMPLETED
                )
            finally:
                sleeper.cancel()
                changed.cancel()

    # --- sessions of lost instances ---------------------------------------------

    async def recover_sessions(self) -> int:
        """Close stream sessions of instances that stopped or went silent.

        A clean stop recorded its time; a crashed instance is known alive
        until its last heartbeat. Either is when the connection was lost.
        """
        now = self.clock.now()
        silent_before = now - 3 * self._heartbeat
        async with self.db.read() as session:
            instances = {
                row.id: row
                for row in await session.scalars(
                    select(InstanceRow).where(InstanceRow.id != self.instance_id)
                )
            }
            rows = (
                await session.execute(
                    select(
                        PresenceRow.agent_id, PresenceRow.revision, PresenceRow.state
                    )
                )
            ).all()
        closes: list[tuple[str, str, datetime]] = []
        for agent_id, revision, state in rows:
            presence = codec.presence_from_json(agent_id, revision, state)
            for x in presence.sessions:
                if x.kind is not SessionKind.STREAM or x.instance == self.instance_id:
                    continue
                owner = instances.get(x.instance)
                if owner is None:
                    closes.append((agent_id, x.id, x.opened_at))
                elif owner.stopped_at is not None:
                    closes.append((agent_id, x.id, owner.stopped_at))
                elif owner.last_alive_at < silent_before:
                    closes.append((agent_id, x.id, owner.last_alive_at))
        await asyncio.gather(
            *(self.execute(a, c.CloseSession(s, at)) for a, s, at in closes)
        )
        if closes:
            logger.info("closed %d client streams of stopped instances", len(closes))
        return len(closes)

    async def _heartbeat_loop(self) -> None:
        while True:
            await self.clock.sleep_until(self.clock.now() + self._heartbeat)
            try:
                async with self.db.write() as session:
                    await session.execute(
                        update(InstanceRow)
                        .where(InstanceRow.id == self.instance_id)
                        .values(last_alive_at=self.clock.now())
                    )
                await self.recover_sessions()
            except Exception:
                logger.exception("heartbeat failed; retrying")

    # --- the writer -----------------------------------------------------------------

    async def _write_loop(self) -> None:
        while True:
            jobs = [await self._queue.get()]
            # Group commit: under concurrent load (the last batch held more
            # than one command) wait a moment for the callers just answered
            # to send their next command, so that one commit serves them all.
            # A lone caller never waits.
            await asyncio.sleep(self._linger if self._last_batch > 1 else 0)
            while len(jobs) < self._max_batch and not self._queue.empty():
                jobs.append(self._queue.get_nowait())
            self._last_batch = len(jobs)
            try:
                await self._write_batch(jobs)
            finally:
                for _ in jobs:
                    self._queue.task_done()

    async def _write_batch(self, jobs: list[_Job]) -> None:
        live = [j for j in jobs if not j.future.done()]
        if not live:
            return
        try:
            batch = await self._run(live)
        except asyncio.CancelledError:
            for job in live:
                job.future.cancel()
            raise
        except Exception as exc:
            logger.exception("writing %d presence changes failed", len(live))
            for job in live:
                if not job.future.done():
                    job.future.set_exception(exc)
            return
        await self._publish(batch)

    async def _run(self, jobs: list[_Job]) -> _Batch:
        now = self.clock.now()
        writer = self.db.sqlite_writer()
        if writer is not None:
            # SQLite: the whole transaction in one trip to the writer thread.
            def in_thread() -> tuple[_Batch, list[Any]]:
                with writer.begin() as connection:
                    return self._transact(connection, jobs, now)

            loop = asyncio.get_running_loop()
            batch, results = await loop.run_in_executor(self._thread, in_thread)
        else:
            async with self.db.engine.begin() as connection:
                batch, results = await connection.run_sync(self._transact, jobs, now)
        for job, outcome in zip(jobs, results, strict=True):
            if job.future.done():
                continue
            if isinstance(outcome, BaseException):
                job.future.set_exception(outcome)
            else:
                job.future.set_result(outcome)
        if batch.wake:
            self._timers_changed.set()
        return batch

    def _transact(
        self, connection: Connection, jobs: list[_Job], now: datetime
    ) -> tuple[_Batch, list[Any]]:
        """Load, apply and write one batch, synchronously, in one transaction."""
        revision = store.take_batch_revisions(connection, lock=self._lock_rows)
        ids = sorted({j.agent_id for j in jobs})
        batch = _Batch(
            now=now,
            types=store.read_types(connection),
            agents=store.read_agents(connection, ids),
            stored=store.read_presence(connection, ids, lock=self._lock_rows),
            revision=revision,
        )
        batch.answers = store.load_seen_requests(
            connection, [(j.agent_id, j.request_id) for j in jobs if j.request_id]
        )
        results = [self._apply(batch, job) for job in jobs]
        self._write(connection, batch)
        return batch, results

    def _apply(
        self, batch: _Batch, job: _Job
    ) -> tuple[PresenceView, Outcome] | PresenceError:
        key = (job.agent_id, job.request_id)
        asked = repr(job.command)
        if job.request_id and key in batch.answers:
            seen = batch.answers[key]
            if seen.get("command", asked) != asked:
                return InvalidArgument(
                    [
                        FieldViolation(
                            "request_id",
                            "was already used for a different request; give every "
                            "new request a new id (retries keep theirs)",
                        )
                    ],
                    reason="REQUEST_ID_REUSED",
                )
            return codec.view_from_json(seen["view"]), Outcome(seen["outcome"])
        agent = batch.agents.get(job.agent_id)
        if agent is None:
            return NotFound("agent", job.agent_id, reason="AGENT_NOT_FOUND")
        if agent.archived and not isinstance(job.command, c.CloseSession | c.Tick):
            return FailedPrecondition(
                f"agent {agent.id!r} is archived; unarchive it to change its presence",
                reason="AGENT_ARCHIVED",
                resource=("agent", agent.id),
            )
        current = batch.states.get(job.agent_id) or batch.stored.get(job.agent_id)
        if current is None:
            current = rules.new_presence(job.agent_id, agent.create_time or batch.now)
        try:
            result = rules.apply(
                current, job.command, batch.types, self.config, batch.now
            )
        except PresenceError as error:
            return error

        presence = result.presence
        for change in result.changes:
            batch.revision += 1
            before = dataclasses.replace(change.before, revision=current.revision)
            after = dataclasses.replace(change.after, revision=batch.revision)
            current = after
            event = Event(
                revision=batch.revision,
                type=change.type,
                time=change.at,
                agent_id=job.agent_id,
                actor=change.actor,
                previous=view(before, agent, batch.types, change.at),
                current=view(after, agent, batch.types, change.at),
            )
            batch.published.append(event)
            batch.events.append(_event_row(event, change.reason))
        presence = dataclasses.replace(presence, revision=current.revision)
        if presence != (
            batch.states.get(job.agent_id) or batch.stored.get(job.agent_id)
        ):
            batch.states[job.agent_id] = presence
        batch.periods += result.periods
        batch.activities += result.activities
        batch.shifts += result.shifts

        # The last event's view is the answer when nothing changed after it.
        unchanged_since = bool(result.changes) and (
            result.changes[-1].after == result.presence
            and result.changes[-1].at == batch.now
        )
        last = batch.published[-1] if unchanged_since else None
        if last is not None and last.current is not None:
            answer = last.current, result.outcome
            answer_json = batch.events[-1]["payload"]["current"]
        else:
            answer = view(presence, agent, batch.types, batch.now), result.outcome
            answer_json = None
        if job.request_id:
            if answer_json is None:
                answer_json = codec.view_to_json(answer[0])
            first = {
                "view": answer_json,
                "outcome": answer[1].value,
                "command": asked,
            }
            batch.answers[key] = first
            batch.requests.append(
                {
                    "agent_id": job.agent_id,
                    "request_id": job.request_id,
                    "create_time": batch.now,
                    "result": first,
                }
            )
        return answer

    def _write(self, connection: Connection, batch: _Batch) -> None:
        rows = [
            (p, rules.next_due(p, batch.types, self.config))
            for p in batch.states.values()
        ]
        store.save_presence(connection, rows, batch.stored, batch.now)
        store.save_history(
            connection, batch.periods, batch.activities, batch.shifts, batch.now
        )
        store.write_events(connection, batch.events)
        store.save_requests(connection, batch.requests)
        if batch.events:
            store.save_batch_revisions(connection, batch.revision)
        if self._observers and batch.states:
            changes = Transitions(
                batch.now, batch.types, batch.agents, batch.stored, batch.states
            )
            for observer in self._observers:
                observer(connection, changes)
        # Wake the scheduler only for a timer earlier than it plans to wake.
        dues = [due for _, due in rows if due is not None]
        batch.wake = bool(dues) and (self._wake_at is None or min(dues) < self._wake_at)

    async def _publish(self, batch: _Batch) -> None:
        if not batch.published:
            return
        for listener in self._listeners:
            try:
                outcome = listener(batch.published)
                if outcome is not None:
                    await outcome
            except Exception:
                logger.exception("an event listener failed")

    async def prune_requests(self, older_than: timedelta) -> int:
        """Forget request ids older than ``older_than``; returns how many."""
        cutoff = self.clock.now() - older_than
        async with self.db.write() as session:
            result = await session.execute(
                delete(IdempotencyRow).where(IdempotencyRow.create_time < cutoff)
            )
        return int(getattr(result, "rowcount", 0) or 0)


def _event_row(event: Event, reason: str) -> dict[str, Any]:
    return {
        "revision": event.revision,
        "time": event.time,
        "type": event.type.value,
        "agent_id": event.agent_id,
        "source": event.actor.source.value,
        "actor": event.actor.name[:128],
        "reason": (reason or event.actor.reason)[:512],
        "payload": {
            "previous": codec.view_to_json(event.previous) if event.previous else None,
            "current": codec.view_to_json(event.current) if event.current else None,
        },
    }


def _session_id(agent_id: str) -> str:
    # The agent id travels in the session id: a KeepAlive names only it.
    return f"{agent_id}:{uuid.uuid4().hex}"


def _agent_of(session_id: str) -> str:
    agent_id, sep, _ = session_id.rpartition(":")
    if not sep or not agent_id:
        raise session_gone(session_id)
    return agent_id
