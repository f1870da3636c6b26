"""One SubscribePresence stream: its catch-up, then live messages."""

from __future__ import annotations

from collections.abc import AsyncIterator
from types import TracebackType

from presence_server.engine.clock import Clock
from presence_server.storage.db import Database
from presence_server.streaming import log
from presence_server.streaming.filters import ViewFilter
from presence_server.streaming.hub import Hub, Subscriber
from presence_server.streaming.snapshot import read_snapshot

SNAPSHOT_PAGE = 500
REPLAY_PAGE = 1000


class Subscription:
    """The messages of one stream, as encoded bytes, in order.

    Use it as an async context manager (registering and unregistering the
    subscriber, whatever ends the stream) and iterate it; each message must
    be sent before the next is asked for. Iteration ends only with an
    exception: ``StreamEnded`` or ``SubscriberTooSlow`` for the client, or
    the cancellation of the call.

    The stream starts with one of:

    - ``from_revision`` given and still retained: a heartbeat at that
      revision, then every matching event after it;
    - ``from_revision`` too old or ahead of the log: a snapshot flagged as a
      resync;
    - ``include_snapshot``: the snapshot;
    - neither: a heartbeat at the revision the stream starts after (where
      this server's feed is: it may be a few changes behind the database).
    """

    def __init__(
        self,
        hub: Hub,
        db: Database,
        clock: Clock,
        view_filter: ViewFilter,
        *,
        include_snapshot: bool,
        from_revision: int | None,
    ) -> None:
        self._hub = hub
        self._db = db
        self._clock = clock
        self._filter = view_filter
        self._include_snapshot = include_snapshot
        self._from = from_revision
        self._subscriber: Subscriber | None = None
        self._intro: AsyncIterator[bytes] | None = None
        self._started = False

    async def __aenter__(self) -> Subscription:
        self._subscriber = self._hub.subscribe(self._filter)
        self._intro = self._catch_up(self._subscriber)
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._subscriber is not None:
            self._hub.unsubscribe(self._subscriber)
        intro, self._intro = self._intro, None
        if intro is not None:
            await intro.aclose()  # type: ignore[attr-defined]

    def __aiter__(self) -> Subscription:
        return self

    async def __anext__(self) -> bytes:
        subscriber = self._subscriber
        if subscriber is None:
            raise RuntimeError("use the subscription inside 'async with'")
        if self._started:
            # The previous message has been sent.
            subscriber.last_sent = self._clock.now()
        self._started = True
        if self._intro is not None:
            try:
                return await anext(self._intro)
            except StopAsyncIteration:
                self._intro = None
        while not subscriber.parts:
            if subscriber.error is not None:
                raise subscriber.error
            subscriber.ready.clear()
            await subscriber.ready.wait()
        return subscriber.take()

    async def _catch_up(self, subscriber: Subscriber) -> AsyncIterator[bytes]:
        encoder = self._hub.encoder
        start = subscriber.position
        resume = self._from
        if resume is not None:
            if resume <= start:
                replayed = await self._replay(subscriber, resume, start)
                if replayed is not None:
                    async for message in replayed:
                        yield message
                    return
            elif resume <= await log.last_revision(self._db):
                # Ahead of this server's feed, not of the log: nothing missed.
                yield encoder.heartbeat(resume)
                self._hub.go_live(subscriber, resume)
                return
            async for message in self._snapshot(subscriber, resync=True):
                yield message
            return
        if self._include_snapshot:
            async for message in self._snapshot(subscriber, resync=False):
                yield message
            return
        # Live from where the feed is: no database read, so that a thousand
        # dashboards may connect at once. Changes committed just before that
        # the feed has not read yet still come, after the heartbeat.
        subscriber.sent = start
        yield encoder.heartbeat(start)
        self._hub.go_live(subscriber, start)

    async def _snapshot(
        self, subscriber: Subscriber, *, resync: bool
    ) -> AsyncIterator[bytes]:
        subscriber.sent = None
        revision, views = await read_snapshot(
            self._db, self._clock, self._filter.agent_ids
        )
        matching = [v for v in views if self._filter.matches(v)]
        encoder = self._hub.encoder
        for at in range(0, len(matching), SNAPSHOT_PAGE):
            page = matching[at : at + SNAPSHOT_PAGE]
            if at + SNAPSHOT_PAGE < len(matching):
                yield encoder.snapshot(page, end=False, resync=resync, revision=0)
            else:
                self._hub.go_live(subscriber, revision)
                yield encoder.snapshot(page, end=True, resync=resync, revision=revision)
                return
        self._hub.go_live(subscriber, revision)
        yield encoder.snapshot([], end=True, resync=resync, revision=revision)

    async def _replay(
        self, subscriber: Subscriber, after: int, until: int
    ) -> AsyncIterator[bytes] | None:
        """The events in (``after``, ``until``], or None when no longer retained."""
        if after >= until:
            return self._replay_pages(subscriber, after, until, [])
        first = await log.read_after(self._db, after, REPLAY_PAGE)
        if after < until and (not first or first[0].revision != after + 1):
            return None
        return self._replay_pages(subscriber, after, until, first)

    async def _replay_pages(
        self, subscriber: Subscriber, after: int, until: int, page: list[log.LogEntry]
    ) -> AsyncIterator[bytes]:
        encoder = self._hub.encoder
        subscriber.sent = after
        yield encoder.heartbeat(after)
        while after < until:
            if not page or page[0].revision != after + 1:
                # Pruned while we read: start over from a fresh snapshot.
                async for message in self._snapshot(subscriber, resync=True):
                    yield message
                return
            entries = [e for e in page if e.revision <= until]
            last = entries[-1].revision
            wanted = [e for e in entries if self._filter.wants(e.previous, e.current)]
            if wanted:
                parts = [encoder.event(e) for e in wanted]
                parts.append(encoder.revision(last))
                subscriber.sent = last
                yield b"".join(parts)
            after = last
            if after < until:
                page = await log.read_after(self._db, after, REPLAY_PAGE)
        self._hub.go_live(subscriber, until)
