"""Live presence streams: the feed, the hub and log retention, wired together.

``Streams`` is what the server creates once: ``start`` it after the
database is migrated, call ``wake`` after every commit that appends events
in this process (the presence engine's listener and the catalog's), open a
``Subscription`` per SubscribePresence call, and ``stop`` it at shutdown.
When the server's ``stopping`` event is set every open stream is ended
with UNAVAILABLE and the revision to resume from, and new ones are
refused, so that shutdown does not wait out its grace on idle streams.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

from presence_server.engine.clock import Clock
from presence_server.storage.db import Database
from presence_server.streaming import log
from presence_server.streaming.feed import Feed
from presence_server.streaming.filters import ViewFilter
from presence_server.streaming.hub import Encoder, Hub
from presence_server.streaming.subscription import Subscription

logger = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class StreamConfig:
    """How streams behave; the server fills it from its settings.

    Attributes:
        heartbeat: a stream quiet this long gets a heartbeat.
        max_pending: most events that may wait for one subscriber.
        poll_interval: seconds between reads of the log when nothing woke
            the feed (events of other instances).
        retention: how many of the newest revisions the log keeps for resume.
        prune_interval: how often old events are pruned.
        messages_per_second: the fan-out's message budget under load.
        max_delay: the longest a batch is held back to stay in that budget.
    """

    heartbeat: timedelta = timedelta(seconds=15)
    max_pending: int = 10_000
    poll_interval: float = 0.5
    retention: int = 100_000
    prune_interval: timedelta = timedelta(minutes=1)
    messages_per_second: int = 10_000
    max_delay: float = 0.1


class Streams:
    """The streaming side of one server process; see the module docstring."""

    def __init__(
        self,
        db: Database,
        clock: Clock,
        encoder: Encoder,
        config: StreamConfig | None = None,
        *,
        stopping: asyncio.Event | None = None,
    ) -> None:
        self.config = config or StreamConfig()
        self._db = db
        self._clock = clock
        self._stopping = stopping
        self.hub = Hub(
            encoder,
            clock,
            max_pending=self.config.max_pending,
            heartbeat=self.config.heartbeat,
            stall=self.config.heartbeat * 2,
        )
        self.feed = Feed(
            db,
            self.hub,
            poll_interval=self.config.poll_interval,
            messages_per_second=self.config.messages_per_second,
            max_delay=self.config.max_delay,
        )
        self._tasks: list[asyncio.Task[None]] = []

    @property
    def subscribers(self) -> int:
        """Open subscriptions."""
        return self.hub.count

    async def start(self) -> None:
        await self.feed.start()
        self._tasks = [
            asyncio.create_task(self.feed.run(), name="presence-feed"),
            asyncio.create_task(self.hub.run_waker(), name="stream-waker"),
            asyncio.create_task(self.hub.run_heartbeats(), name="stream-heartbeats"),
            asyncio.create_task(self._prune_loop(), name="event-retention"),
        ]
        if self._stopping is not None:
            self._tasks.append(
                asyncio.create_task(self._close_on_stop(), name="streams-stopping")
            )
        logger.info(
            "presence streams from revision %d (keeping %d revisions)",
            self.hub.position,
            self.config.retention,
        )

    async def stop(self) -> None:
        """End every stream and stop the tasks."""
        self.hub.close("the server is stopping")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []
        await self.feed.stop()

    def wake(self) -> None:
        """Events were committed in this process: fan them out now."""
        self.feed.wake()

    def on_events(self, events: Sequence[object]) -> None:
        """A presence engine listener (the events themselves are read from
        the log, which also has their reasons)."""
        self.feed.wake()

    def open(
        self,
        view_filter: ViewFilter,
        *,
        include_snapshot: bool = False,
        from_revision: int | None = None,
    ) -> Subscription:
        """A new stream (see ``Subscription``); enter it to register it."""
        return Subscription(
            self.hub,
            self._db,
            self._clock,
            view_filter,
            include_snapshot=include_snapshot,
            from_revision=from_revision,
        )

    async def prune(self) -> int:
        """Drop events older than the retained revisions; returns how many."""
        return await log.prune(self._db, self.config.retention)

    async def _prune_loop(self) -> None:
        while True:
            await self._clock.sleep_until(
                self._clock.now() + self.config.prune_interval
            )
            try:
                await self.prune()
            except Exception:
                logger.exception("pruning the event log failed; retrying later")

    async def _close_on_stop(self) -> None:
        assert self._stopping is not None
        await self._stopping.wait()
        self.hub.close("the server is stopping")
