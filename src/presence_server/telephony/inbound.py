"""From the PBX to the engine: calls become activities, phone changes statuses.

An adapter reports from its event loop and must never wait on the database,
so reports are queued here and applied by one task per adapter, in the order
they came. Every engine command carries a request id derived from the call
id, so a call reported twice (two event kinds for one call, or again after
a reconnect) starts and ends once.

Call ids are namespaced by adapter in the activity's external id
(``asterisk:1796318938.0``), which lets a snapshot after a reconnect end
exactly the calls this adapter had opened and that are gone.

A change made on the phone (DND pressed, a pause, a presence set) becomes a
status change only when a status type says so: among the selectable,
non-archived types whose mapping for this adapter has the option
``from_phone`` set to ``true``, the first (by sort order) whose desired
state agrees with everything observed is chosen. With none, the worker puts
the PBX back in the desired state: the server owns the status.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Collection, Mapping

from presence_server.domain.errors import PresenceError
from presence_server.domain.presence import ActivityKind, Actor, Source
from presence_server.domain.status_types import StatusKind
from presence_server.engine import commands as c
from presence_server.engine import store
from presence_server.engine.service import PresenceEngine
from presence_server.telephony.desired import (
    FROM_PHONE_OPTION,
    DesiredState,
    Observed,
    derive,
    differences,
)

logger = logging.getLogger(__name__)

_TRUE = frozenset({"true", "yes", "1", "on"})

Work = Callable[[], Awaitable[None]]


class Inbound:
    """Applies one adapter's reports to the engine, in order.

    Args:
        adapter: the adapter's name (actor name, external id prefix).
        engine: the started presence engine.
    """

    def __init__(self, adapter: str, engine: PresenceEngine) -> None:
        self.adapter = adapter
        self.engine = engine
        self._queue: asyncio.Queue[Work] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._restore: Callable[[str], None] | None = None

    def start(self, restore: Callable[[str], None]) -> None:
        """Begin applying; ``restore(agent_id)`` rewrites an agent's desired
        state when a phone change maps to no status."""
        self._restore = restore
        self._task = asyncio.create_task(
            self._run(), name=f"telephony-{self.adapter}-inbound"
        )

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None

    async def drain(self) -> None:
        """Wait until every report queued so far is applied (for tests)."""
        await self._queue.join()

    # --- reports -----------------------------------------------------------------

    def external_id(self, call_id: str) -> str:
        return f"{self.adapter}:{call_id}"

    def call_started(self, agent_id: str, call_id: str) -> None:
        self._queue.put_nowait(lambda: self._start_call(agent_id, call_id))

    def call_ended(self, agent_id: str, call_id: str) -> None:
        self._queue.put_nowait(lambda: self._end_call(agent_id, call_id))

    def calls_snapshot(self, live: Mapping[str, Collection[str]]) -> None:
        frozen = {agent: set(calls) for agent, calls in live.items()}
        self._queue.put_nowait(lambda: self._snapshot(frozen))

    def phone_change(
        self, agent_id: str, desired: DesiredState, observed: Observed
    ) -> bool:
        self._queue.put_nowait(lambda: self._phone_change(agent_id, desired, observed))
        return True

    # --- applying ------------------------------------------------------------------

    async def _run(self) -> None:
        while True:
            work = await self._queue.get()
            try:
                await work()
            except PresenceError as error:
                logger.warning(
                    "telephony report from %s refused: %s", self.adapter, error
                )
            except Exception:
                logger.exception(
                    "applying a telephony report from %s failed", self.adapter
                )
            finally:
                self._queue.task_done()

    async def _start_call(self, agent_id: str, call_id: str) -> None:
        actor = Actor(Source.TELEPHONY, self.adapter, "call connected on the PBX")
        command = c.StartActivity(ActivityKind.CALL, self.external_id(call_id), actor)
        request = f"tel:{self.adapter}:{call_id}:start"
        _, outcome = await self.engine.execute(agent_id, command, request)
        logger.debug("agent %s: call %s started (%s)", agent_id, call_id, outcome.value)

    async def _end_call(self, agent_id: str, call_id: str) -> None:
        actor = Actor(Source.TELEPHONY, self.adapter, "call ended on the PBX")
        command = c.EndActivity(self.external_id(call_id), actor)
        request = f"tel:{self.adapter}:{call_id}:end"
        _, outcome = await self.engine.execute(agent_id, command, request)
        logger.debug("agent %s: call %s ended (%s)", agent_id, call_id, outcome.value)

    async def _snapshot(self, live: Mapping[str, set[str]]) -> None:
        prefix = f"{self.adapter}:"
        views = await self.engine.query()
        for presence in views:
            open_calls = {
                a.external_id.removeprefix(prefix)
                for a in presence.activities
                if a.kind is ActivityKind.CALL and a.external_id.startswith(prefix)
            }
            still = live.get(presence.agent_id, set())
            for call_id in sorted(open_calls - still):
                logger.info(
                    "agent %s: call %s ended while %s was disconnected",
                    presence.agent_id,
                    call_id,
                    self.adapter,
                )
                await self._end_call(presence.agent_id, call_id)
            for call_id in sorted(still - open_calls):
                await self._start_call(presence.agent_id, call_id)

    async def _phone_change(
        self, agent_id: str, desired: DesiredState, observed: Observed
    ) -> None:
        async with self.engine.db.read() as session:
            types = await store.load_types(session)
            agents = await store.load_agents(session, [agent_id])
        agent = agents.get(agent_id)
        candidates = sorted(
            (
                t
                for t in types.values()
                if t.selectable
                and not t.archived
                and t.kind is not StatusKind.SYSTEM
                and self.adapter in t.telephony
                and t.telephony[self.adapter].options.get(FROM_PHONE_OPTION, "").lower()
                in _TRUE
            ),
            key=lambda t: (t.sort_order, t.id),
        )
        chosen = None
        if agent is not None:
            for candidate in candidates:
                wanted = derive(agent, candidate, self.adapter, types)
                if wanted is not None and not differences(wanted, observed):
                    chosen = candidate
                    break
        if chosen is None or chosen.id == desired.status_id:
            logger.info(
                "agent %s: the change on %s maps to no status; restoring %s",
                agent_id,
                self.adapter,
                desired.status_name or desired.status_id,
            )
            if self._restore is not None:
                self._restore(agent_id)
            return
        actor = Actor(Source.TELEPHONY, self.adapter, "changed on the phone")
        try:
            _, outcome = await self.engine.execute(
                agent_id, c.SetStatus(chosen.id, actor)
            )
        except PresenceError as error:
            logger.info(
                "agent %s: %s on the phone refused (%s); restoring",
                agent_id,
                chosen.name,
                error,
            )
            if self._restore is not None:
                self._restore(agent_id)
            return
        logger.info(
            "agent %s: %s on the phone (%s)", agent_id, chosen.name, outcome.value
        )
