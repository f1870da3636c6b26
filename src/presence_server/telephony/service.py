"""Telephony synchronization in one server: outbox, workers, adapters.

``TelephonySync`` is what the server process runs. Create it *before* the
engine starts (it attaches the outbox to the engine's transactions), start
it after the engine, and stop it before the engine::

    sync = TelephonySync(engine, adapters)   # hooks into the engine
    await engine.start()
    await sync.start()                       # refresh, then adapters connect
    ...
    await sync.stop()                        # prompt: the outbox keeps the rest
    await engine.stop()

At start every agent's desired state is recomputed from presence (nothing
committed while the server was down, or before an adapter was enabled, is
missed) and every agent is verified against the PBX once it is connected.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta

from presence_server.domain.presence import Event
from presence_server.engine.service import PresenceEngine
from presence_server.telephony.adapter import TelephonyAdapter
from presence_server.telephony.inbound import Inbound
from presence_server.telephony.outbox import Outbox
from presence_server.telephony.worker import (
    AdapterHealth,
    SyncOptions,
    SyncWorker,
    _wait_for,
)

logger = logging.getLogger(__name__)

HEALTH_PREFIX = "presence.telephony."


def health_service_name(adapter: str) -> str:
    """The name of an adapter in the standard health service."""
    return HEALTH_PREFIX + adapter


class TelephonySync:
    """Keeps the enabled adapters' PBXs in line with presence, both ways.

    Args:
        engine: the presence engine, not started yet.
        adapters: created, not started; names must differ.
        options: retry and timing settings of the workers.
        refresh: how often desired states are recomputed from presence (to
            pick up edited agents and status types); 0 = only at start and
            on ``catalog_changed``.
        on_connection: awaited with (adapter name, connected) on each change.
    """

    def __init__(
        self,
        engine: PresenceEngine,
        adapters: Sequence[TelephonyAdapter],
        *,
        options: SyncOptions | None = None,
        refresh: timedelta = timedelta(minutes=5),
        on_connection: Callable[[str, bool], Awaitable[None]] | None = None,
    ) -> None:
        names = [a.name for a in adapters]
        if len(set(names)) != len(names):
            raise ValueError(f"telephony adapter names must differ: {names}")
        self.engine = engine
        self.outbox = Outbox(engine.db, names)
        self._refresh = refresh
        self.inbound = {name: Inbound(name, engine) for name in names}
        self.workers = {
            a.name: SyncWorker(
                a,
                self.outbox,
                engine.clock,
                options,
                inbound=self.inbound[a.name],
                on_connection=on_connection,
            )
            for a in adapters
        }
        self._task: asyncio.Task[None] | None = None
        self._refresh_now = asyncio.Event()
        self._once: asyncio.Future[None] | None = None
        if adapters:
            engine.add_transition_observer(self.outbox.observe)
            engine.add_listener(self._on_events)

    @property
    def names(self) -> list[str]:
        return list(self.workers)

    async def start(self) -> None:
        """Recompute desired states, then start every worker and adapter."""
        if not self.workers:
            return
        await self.refresh()
        for name, worker in self.workers.items():
            self.inbound[name].start(worker.verify)
            await worker.start()
        if self._refresh > timedelta(0):
            self._task = asyncio.create_task(self._refresh_loop(), name="telephony")

    async def stop(self) -> None:
        """Stop every worker and adapter; prompt, whatever the PBX does."""
        if self._once is not None:
            self._once.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._once
            self._once = None
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task
            self._task = None
        for name, worker in self.workers.items():
            try:
                await worker.stop()
            except Exception:
                logger.exception("stopping telephony adapter %s failed", name)
            await self.inbound[name].stop()

    async def refresh(self) -> None:
        """Recompute every desired state from presence now."""
        changed, gone = await self.outbox.refresh(self.engine.clock.now())
        for name, worker in self.workers.items():
            worker.notify(agent for adapter, agent in changed if adapter == name)
            worker.forget(agent for adapter, agent in gone if adapter == name)

    def catalog_changed(self) -> None:
        """An agent or a status type changed: recompute desired states soon.

        Meant for ``Catalog.add_listener`` (returns at once). It is how a new
        agent with an extension and queues gets its Offline desired state
        (logged out, not in the queues) written before its first status
        change; without it, the next periodic refresh does that.
        """
        self._refresh_now.set()
        running = self._once is not None and not self._once.done()
        if self._task is None and self.workers and not running:
            # No periodic refresh: one now, on its own task. A change while
            # it runs is picked up by its next round, never dropped, and the
            # running task is never replaced (the loop holds it only weakly).
            self._once = asyncio.ensure_future(self._refresh_soon())

    async def _refresh_soon(self) -> None:
        while self._refresh_now.is_set():
            self._refresh_now.clear()
            try:
                await self.refresh()
            except Exception:
                logger.exception("refreshing telephony desired states failed")

    def health(self) -> list[AdapterHealth]:
        """Every adapter's health, by name."""
        return [self.workers[name].health() for name in sorted(self.workers)]

    def _on_events(self, events: Sequence[Event]) -> None:
        # Desired states follow the chosen status; other events change none.
        changed = {e.agent_id for e in events if _status_changed(e)}
        if changed:
            for worker in self.workers.values():
                worker.notify(changed)

    async def _refresh_loop(self) -> None:
        clock = self.engine.clock
        while True:
            await _wait_for(self._refresh_now, clock, self._refresh)
            self._refresh_now.clear()
            try:
                await self.refresh()
            except Exception:
                logger.exception("refreshing telephony desired states failed")


def _status_changed(event: Event) -> bool:
    if event.previous is None or event.current is None:
        return True
    return event.previous.status.id != event.current.status.id
