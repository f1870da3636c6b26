"""The per-process feed: reads the event log in revision order, fans it out.

One task per server process reads every event after the last one it saw
and hands the run to the hub. It reads when woken (``wake``: the presence
engine and the catalog call it after each commit in this process) and at
least every ``poll_interval``, so events committed by other server
instances on the same database arrive too; on PostgreSQL a LISTEN/NOTIFY
channel wakes the feeds of the other instances at once.

Under load the feed paces itself so that fan-out costs at most about
``messages_per_second`` stream messages: it waits ``subscribers /
messages_per_second`` seconds (at most ``max_delay``) after a dispatch
before the next, and everything committed meanwhile goes out in one batch.
A light load is never delayed: a change arriving after a quiet spell is
read and dispatched at once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any

from presence_server.storage.db import Database
from presence_server.streaming import log
from presence_server.streaming.hub import Hub

logger = logging.getLogger(__name__)

PAGE = 1000
CHANNEL = "presence_events"


class Feed:
    """Reads the log after ``hub.position`` and dispatches it; see module doc."""

    def __init__(
        self,
        db: Database,
        hub: Hub,
        *,
        poll_interval: float,
        messages_per_second: int,
        max_delay: float,
    ) -> None:
        self._db = db
        self._hub = hub
        self._poll = poll_interval
        self._budget = messages_per_second
        self._max_delay = max_delay
        self._woken = asyncio.Event()
        self._last_dispatch = 0.0
        self._listener: Any = None
        self._own_pid = 0
        self._notify_wanted = False
        self._notifier: asyncio.Future[None] | None = None

    def wake(self) -> None:
        """New events were committed in this process: read them now."""
        self._woken.set()
        if self._listener is not None:
            self._notify_wanted = True
            if self._notifier is None or self._notifier.done():
                self._notifier = asyncio.ensure_future(self._notify_others())

    async def start(self) -> None:
        """Start after the newest committed event; listen on PostgreSQL."""
        self._hub.position = await log.last_revision(self._db)
        if self._db.dialect_name == "postgresql":
            await self._listen()

    async def stop(self) -> None:
        if self._notifier is not None:
            self._notifier.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._notifier
        listener, self._listener = self._listener, None
        if listener is not None:
            with contextlib.suppress(Exception):
                await listener.close()

    async def run(self) -> None:
        loop = asyncio.get_running_loop()
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._woken.wait(), self._poll)
            delay = self._last_dispatch + self._interval() - loop.time()
            if delay > 0:
                await asyncio.sleep(delay)
            self._woken.clear()
            try:
                await self.read()
            except Exception:
                logger.exception("reading the event log failed; retrying")
                await asyncio.sleep(self._poll)

    async def read(self) -> int:
        """Dispatch everything committed after the hub's position."""
        hub = self._hub
        total = 0
        while True:
            entries = await log.read_after(self._db, hub.position, PAGE)
            if not entries:
                return total
            if entries[0].revision != hub.position + 1:
                logger.warning(
                    "the event log has no revisions %d-%d (pruned before they "
                    "were read); every stream must resynchronize",
                    hub.position + 1,
                    entries[0].revision - 1,
                )
                hub.end_all("this server fell behind the event log")
            hub.dispatch(entries)
            self._last_dispatch = asyncio.get_running_loop().time()
            total += len(entries)
            if len(entries) < PAGE:
                return total

    def _interval(self) -> float:
        return min(self._max_delay, self._hub.count / self._budget)

    # --- PostgreSQL LISTEN/NOTIFY ------------------------------------------------

    async def _listen(self) -> None:
        import asyncpg  # type: ignore[import-untyped]

        url = self._db.url.set(drivername="postgresql")
        try:
            connection = await asyncpg.connect(
                url.render_as_string(hide_password=False)
            )
            await connection.add_listener(CHANNEL, self._on_notify)
        except (OSError, asyncpg.PostgresError) as error:
            logger.warning(
                "no LISTEN/NOTIFY (%s); events of other instances arrive by polling",
                error,
            )
            return
        self._listener = connection
        self._own_pid = connection.get_server_pid()

    def _on_notify(self, _connection: object, pid: int, *_: object) -> None:
        if pid != self._own_pid:
            self._woken.set()

    async def _notify_others(self) -> None:
        # One NOTIFY at a time on the connection; wakes meanwhile make one more.
        while self._notify_wanted and self._listener is not None:
            self._notify_wanted = False
            try:
                await self._listener.execute(f"NOTIFY {CHANNEL}")
            except Exception as error:
                logger.warning("NOTIFY failed: %s", error)
                return
