"""Fan-out: every subscriber's queue, fed from one ordered feed.

The hub is the registry of open subscriptions. The feed hands it each new
run of log entries (``dispatch``), and the hub queues them for every
subscriber whose filter wants them. It never waits on a subscriber.

Cost per subscriber is kept to a list append: each entry is encoded once
(``Encoder.event``), and subscribers with equal filters share one encoded
message per dispatch, built once for the group. A message is the plain
concatenation of encoded fields, so the messages queued for a subscriber
join into one message with all their events in order: a subscriber that
falls behind receives fewer, larger messages.

A subscriber is *catching up* while it receives its snapshot or the events
it missed: the hub then keeps the entries dispatched meanwhile in its
backlog, and ``go_live`` turns what follows the catch-up into messages. So
nothing is lost or sent twice between snapshot and live, whatever the
timing.

Overflow: a subscriber may have at most ``max_pending`` events waiting. One
more, and the hub drops what was waiting and ends that stream with
``SubscriberTooSlow`` (RESOURCE_EXHAUSTED) carrying the revision to resume
from, after the messages already handed to gRPC. Memory per subscriber is
thus bounded, and a slow reader never holds up the others.

Known limitation: gRPC accepts writes until the client's flow-control
window is full (a few MB per stream with default client settings), so a
slow client is noticed only once that much is buffered in the transport;
that memory is bounded by the window, not by ``max_pending``.
"""

from __future__ import annotations

import asyncio
import logging
from collections import deque
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Protocol

from presence_server.domain.errors import ErrorCode, PresenceError, QuotaViolation
from presence_server.domain.presence import PresenceView
from presence_server.engine.clock import Clock
from presence_server.streaming.filters import ViewFilter
from presence_server.streaming.log import LogEntry

logger = logging.getLogger(__name__)

# Largest message a subscriber is sent at once, well below gRPC's 4 MiB.
MAX_MESSAGE_BYTES = 1024 * 1024

# Subscribers woken per turn of the event loop after a dispatch. Waking all
# at once would run a thousand stream writes in one turn, and every other
# call (SetStatus) would wait for it; slices let them in between.
# Known limitation: fan-out shares the event loop (and the GIL) with the write
# path. Each stream message costs grpc.aio some 50 us of that loop, so a
# thousand subscribers at the message budget take about half a core, and
# SetStatus waits behind those writes for a few loop turns; on two cores
# shared with the clients its p99 is then above 50 ms (see the fan-out
# benchmark). Serving streams from a separate process would need a second
# listening address, which the single-address contract does not have.
WAKE_SLICE = 50


class Encoder(Protocol):
    """Encodes stream messages. A message is the concatenation of parts."""

    def event(self, entry: LogEntry) -> bytes:
        """The entry as one element of a message's event list."""
        ...

    def revision(self, revision: int) -> bytes:
        """The part that sets the revision a message brings the stream to."""
        ...

    def snapshot(
        self, views: Sequence[PresenceView], *, end: bool, resync: bool, revision: int
    ) -> bytes:
        """One snapshot page (``end`` on the last one, with ``revision``)."""
        ...

    def heartbeat(self, revision: int) -> bytes:
        """A heartbeat telling the stream is alive at ``revision``."""
        ...


class StreamEnded(PresenceError):
    """The server ends a stream; the client should resubscribe."""

    code = ErrorCode.UNAVAILABLE


class SubscriberTooSlow(PresenceError):
    """Too many events waited for a subscriber: its stream is ended."""

    code = ErrorCode.RESOURCE_EXHAUSTED


def resume_metadata(revision: int | None) -> dict[str, str]:
    return {} if revision is None else {"resume_revision": str(revision)}


def _resume_hint(revision: int | None) -> str:
    if revision is None:
        return "subscribe again with a snapshot"
    return f"resubscribe with from_revision={revision}"


class Subscriber:
    """One open subscription's queue; see the module docstring."""

    __slots__ = (
        "backlog",
        "backlog_events",
        "ended_at",
        "error",
        "filter",
        "last_sent",
        "parts",
        "pending",
        "position",
        "ready",
        "sent",
        "task",
    )

    def __init__(
        self, view_filter: ViewFilter, position: int, task: asyncio.Task[object] | None
    ) -> None:
        self.filter = view_filter
        # Every entry up to ``position`` is queued, skipped or in the backlog.
        self.position = position
        # Where the client can resume from after what was taken for sending;
        # None until a snapshot is complete.
        self.sent: int | None = None
        self.parts: list[tuple[bytes, int, int]] = []  # message, revision, events
        self.pending = 0
        self.backlog: list[Sequence[LogEntry]] | None = []
        self.backlog_events = 0
        self.ready = asyncio.Event()
        self.error: PresenceError | None = None
        self.ended_at: datetime | None = None
        self.last_sent: datetime | None = None
        self.task = task

    def take(self) -> bytes:
        """Everything waiting (up to ``MAX_MESSAGE_BYTES``) as one message."""
        size = count = taken = 0
        for data, _, events in self.parts:
            if taken and size + len(data) > MAX_MESSAGE_BYTES:
                break
            size += len(data)
            count += events
            taken += 1
        chunk, self.parts = self.parts[:taken], self.parts[taken:]
        self.pending -= count
        self.sent = chunk[-1][1]
        return chunk[0][0] if taken == 1 else b"".join(p[0] for p in chunk)


class Hub:
    """The registry of subscribers and the fan-out to them.

    Args:
        encoder: makes the bytes of stream messages.
        clock: heartbeat and stall times.
        max_pending: most events waiting for one subscriber (see overflow).
        heartbeat: a quiet stream gets a heartbeat after this long.
        stall: a stream ended by the server whose client does not read its
            last messages within this long is cancelled.
    """

    def __init__(
        self,
        encoder: Encoder,
        clock: Clock,
        *,
        max_pending: int,
        heartbeat: timedelta,
        stall: timedelta,
    ) -> None:
        self.encoder = encoder
        self.clock = clock
        self.max_pending = max_pending
        self.heartbeat = heartbeat
        self.stall = stall
        # The revision of the last dispatched entry.
        self.position = 0
        self.closed: PresenceError | None = None
        self._groups: dict[ViewFilter, set[Subscriber]] = {}
        self._count = 0
        self._to_wake: deque[Subscriber] = deque()
        self._wake_needed = asyncio.Event()

    @property
    def count(self) -> int:
        """Open subscriptions."""
        return self._count

    # --- registry -----------------------------------------------------------

    def subscribe(self, view_filter: ViewFilter) -> Subscriber:
        """Register a subscriber, catching up from the current position."""
        if self.closed is not None:
            raise self.closed
        task: asyncio.Task[object] | None = asyncio.current_task()
        subscriber = Subscriber(view_filter, self.position, task)
        self._groups.setdefault(view_filter, set()).add(subscriber)
        self._count += 1
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        group = self._groups.get(subscriber.filter)
        if group is None or subscriber not in group:
            return
        group.discard(subscriber)
        if not group:
            del self._groups[subscriber.filter]
        self._count -= 1
        subscriber.parts.clear()
        subscriber.backlog = None

    def subscribers(self) -> list[Subscriber]:
        return [s for group in self._groups.values() for s in group]

    # --- fan-out ------------------------------------------------------------

    def dispatch(self, entries: Sequence[LogEntry]) -> None:
        """Queue a run of consecutive entries for every subscriber wanting them."""
        if not entries:
            return
        encode = self.encoder.event
        for entry in entries:
            if not entry.encoded:
                entry.encoded = encode(entry)
        first, last = entries[0].revision, entries[-1].revision
        for view_filter, group in self._groups.items():
            shared: tuple[bytes, int] | None = None
            for subscriber in group:
                if subscriber.error is not None:
                    continue
                if subscriber.backlog is not None:
                    self._keep(subscriber, entries)
                    continue
                if last <= subscriber.position:
                    continue
                if first > subscriber.position:
                    if shared is None:
                        shared = self._message(view_filter, entries, last)
                    message, count = shared
                else:
                    rest = [e for e in entries if e.revision > subscriber.position]
                    message, count = self._message(view_filter, rest, last)
                subscriber.position = last
                self._push(subscriber, message, last, count)
        self.position = last

    def go_live(self, subscriber: Subscriber, after: int) -> None:
        """End a catch-up that covered every change up to ``after``.

        What the backlog holds after it is queued, and from now on the
        subscriber gets dispatched entries directly.
        """
        backlog, subscriber.backlog = subscriber.backlog or [], None
        subscriber.backlog_events = 0
        subscriber.sent = after
        subscriber.position = max(subscriber.position, after)
        for entries in backlog:
            last = entries[-1].revision
            rest = [e for e in entries if e.revision > after]
            if not rest:
                continue
            message, count = self._message(subscriber.filter, rest, last)
            subscriber.position = max(subscriber.position, last)
            self._push(subscriber, message, last, count)
            if subscriber.error is not None:
                return

    def _message(
        self, view_filter: ViewFilter, entries: Sequence[LogEntry], last: int
    ) -> tuple[bytes, int]:
        if not view_filter.everything:
            entries = [e for e in entries if view_filter.wants(e.previous, e.current)]
        if not entries:
            return b"", 0
        parts = [e.encoded or self.encoder.event(e) for e in entries]
        parts.append(self.encoder.revision(last))
        return b"".join(parts), len(entries)

    def _push(
        self, subscriber: Subscriber, message: bytes, last: int, count: int
    ) -> None:
        if not count:
            # Nothing for this subscriber; it has seen up to ``last`` all the same.
            if not subscriber.parts:
                subscriber.sent = last
            return
        if subscriber.pending + count > self.max_pending:
            self._overflow(subscriber, subscriber.pending + count)
            return
        if subscriber.parts and not subscriber.parts[-1][2]:
            subscriber.parts.pop()  # a heartbeat not sent yet: events say more
        subscriber.parts.append((message, last, count))
        subscriber.pending += count
        if not subscriber.ready.is_set():
            self._to_wake.append(subscriber)
            self._wake_needed.set()

    def _keep(self, subscriber: Subscriber, entries: Sequence[LogEntry]) -> None:
        assert subscriber.backlog is not None
        subscriber.backlog.append(entries)
        subscriber.backlog_events += len(entries)
        if subscriber.backlog_events > self.max_pending:
            self._overflow(subscriber, subscriber.backlog_events)

    def _overflow(self, subscriber: Subscriber, waiting: int) -> None:
        resume = subscriber.sent
        logger.warning(
            "ending a presence stream: %d events waited for a slow subscriber "
            "(limit %d); it may resume from %s",
            waiting,
            self.max_pending,
            resume,
        )
        subscriber.parts.clear()
        subscriber.pending = 0
        subscriber.backlog = None
        self.end(
            subscriber,
            SubscriberTooSlow(
                f"the subscriber read too slowly: more than {self.max_pending} "
                f"events waited for it; {_resume_hint(resume)}",
                reason="SUBSCRIBER_TOO_SLOW",
                metadata=resume_metadata(resume),
                quota_violations=[
                    QuotaViolation(
                        "presence_stream",
                        f"at most {self.max_pending} events may wait for a subscriber",
                    )
                ],
            ),
        )

    # --- ending streams ------------------------------------------------------

    def end(self, subscriber: Subscriber, error: PresenceError) -> None:
        """End a stream with ``error`` once what is queued has been sent."""
        if subscriber.error is None:
            subscriber.error = error
            subscriber.ended_at = self.clock.now()
            subscriber.ready.set()

    def close(self, message: str) -> None:
        """End every stream (server stopping); refuse new ones."""
        for subscriber in self.subscribers():
            self.end(subscriber, self.unavailable(message, subscriber.sent))
        self.closed = self.unavailable(message, None)

    def end_all(self, message: str) -> None:
        """End every open stream, e.g. when the feed lost its place."""
        for subscriber in self.subscribers():
            self.end(subscriber, self.unavailable(message, subscriber.sent))

    @staticmethod
    def unavailable(message: str, resume: int | None) -> StreamEnded:
        return StreamEnded(
            f"{message}; {_resume_hint(resume)}",
            reason="STREAM_ENDED",
            metadata=resume_metadata(resume),
        )

    async def run_waker(self) -> None:
        """Wake subscribers with new messages, ``WAKE_SLICE`` per loop turn."""
        queue = self._to_wake
        while True:
            await self._wake_needed.wait()
            self._wake_needed.clear()
            while queue:
                for _ in range(min(WAKE_SLICE, len(queue))):
                    queue.popleft().ready.set()
                await asyncio.sleep(0)

    # --- heartbeats -----------------------------------------------------------

    async def run_heartbeats(self) -> None:
        """Send heartbeats on quiet streams; cancel stalled ended ones."""
        while True:
            await self.clock.sleep_until(self.clock.now() + self.heartbeat / 2)
            self.beat()

    def beat(self) -> None:
        now = self.clock.now()
        quiet_since = now - self.heartbeat
        for subscriber in self.subscribers():
            if subscriber.error is not None:
                ended = subscriber.ended_at
                if ended is not None and ended <= now - self.stall and subscriber.task:
                    subscriber.task.cancel()
                continue
            if subscriber.backlog is not None or subscriber.parts:
                continue
            if subscriber.last_sent is None or subscriber.last_sent <= quiet_since:
                revision = subscriber.position
                heartbeat = self.encoder.heartbeat(revision)
                subscriber.parts.append((heartbeat, revision, 0))
                subscriber.ready.set()
