"""Live presence that survives broken streams: :class:`Subscription`.

``SubscribePresence`` sends a snapshot (or, when resuming, the missed
events), then every change in revision order. Every message says up to
which revision the stream has delivered; that is where to resume. When the
stream breaks (the server restarts, the network drops, the server ends a
stream that reads too slowly) the subscription reconnects with backoff and
asks for everything after the last revision it handed out, so its reader
sees each event exactly once. If the server no longer keeps events that old,
the reader gets a fresh :class:`Snapshot` flagged ``resync`` and should
replace everything it knew.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from types import TracebackType

import grpc

from ._proto.presence.v1 import presence_pb2, presence_pb2_grpc
from ._rpc import Rpc
from .errors import from_rpc_error
from .retry import Backoff, OnConnect, OnRetry

logger = logging.getLogger(__name__)

# Failures that resubscribing cannot cure: the subscription raises them.
_PERMANENT = frozenset(
    {
        grpc.StatusCode.INVALID_ARGUMENT,
        grpc.StatusCode.NOT_FOUND,
        grpc.StatusCode.FAILED_PRECONDITION,
        grpc.StatusCode.PERMISSION_DENIED,
        grpc.StatusCode.UNAUTHENTICATED,
        grpc.StatusCode.UNIMPLEMENTED,
    }
)


@dataclass(frozen=True, slots=True)
class Snapshot:
    """Every matching agent's presence as of ``revision``.

    ``resync`` is true when the snapshot replaces a resume that was no
    longer possible: forget what you knew and start from this.
    """

    presences: tuple[presence_pb2.AgentStatus, ...]
    revision: int
    resync: bool


SubscriptionItem = Snapshot | presence_pb2.PresenceEvent


class Subscription:
    """An async iterator of :class:`Snapshot` and ``PresenceEvent`` items.

    Made by :meth:`PresenceClient.subscribe`. Iterating opens the stream;
    a broken stream is reopened (with ``Backoff``) from :attr:`revision`,
    forever, until the iteration is left or :meth:`aclose` is called. A
    refusal that reconnecting cannot cure (a bad filter) is raised.

    Events come one by one in revision order, each once. :attr:`revision`
    is the revision everything handed out so far reaches; keep it to
    resume in another process with ``from_revision``.

    While the server is down the next item simply takes longer: each failed
    (re)connect is logged (WARNING, with the error and the next delay) and
    given to ``on_retry``, and ``on_connect`` is called once a stream is up
    again; :attr:`connected` says whether one is up now. Bound the wait with
    ``asyncio.timeout`` where that matters. Iterate from one task; to stop
    from another, cancel the iterating task.
    """

    def __init__(
        self,
        rpc: Rpc,
        request: presence_pb2.SubscribePresenceRequest,
        *,
        backoff: Backoff | None = None,
        on_retry: OnRetry | None = None,
        on_connect: OnConnect | None = None,
    ) -> None:
        self._rpc = rpc
        self._request = request
        self._backoff = backoff or Backoff()
        self._on_retry = on_retry
        self._on_connect = on_connect
        self._failures = 0
        self._items: AsyncGenerator[SubscriptionItem, None] | None = None
        self.revision: int | None = (
            request.from_revision if request.HasField("from_revision") else None
        )
        self.connected = False
        self.reconnects = 0

    def __aiter__(self) -> AsyncIterator[SubscriptionItem]:
        return self

    async def __anext__(self) -> SubscriptionItem:
        if self._items is None:
            self._items = self._run()
        return await self._items.__anext__()

    async def aclose(self) -> None:
        """Close the stream; iterating ends."""
        if self._items is not None:
            await self._items.aclose()

    async def __aenter__(self) -> Subscription:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.aclose()

    def _next_request(self) -> presence_pb2.SubscribePresenceRequest:
        request = presence_pb2.SubscribePresenceRequest()
        request.CopyFrom(self._request)
        if self.revision is not None:
            request.from_revision = self.revision
        return request

    async def _run(self) -> AsyncGenerator[SubscriptionItem, None]:
        stub = self._rpc.stub(presence_pb2_grpc.PresenceServiceStub)
        while True:
            call = stub.SubscribePresence(
                self._next_request(),
                # Not wait_for_ready: while the server is down each try fails
                # at once, so that the failure is seen, logged and retried.
                metadata=self._rpc.metadata or None,
            )
            pages: list[presence_pb2.AgentStatus] = []
            try:
                async for message in call:
                    if not self.connected:
                        self._up()
                    for item in self._items_of(message, pages):
                        # Advance before handing out: a reader that stops
                        # here has seen this item.
                        self.revision = item.revision
                        yield item
                    if message.revision > (self.revision or 0):
                        self.revision = message.revision
                logger.info("presence stream ended by the server; resubscribing")
                delay = self._backoff.delay()
            except grpc.RpcError as error:
                failure = from_rpc_error(error)
                if failure.code in _PERMANENT:
                    raise failure from None
                delay = self._backoff.delay()
                self._failures += 1
                logger.warning(
                    "presence stream %s (%s: %s); retrying in %.2f s, "
                    "resuming after revision %s",
                    "lost" if self.connected else "could not connect",
                    failure.code.name,
                    failure.message,
                    delay,
                    self.revision,
                )
                if self._on_retry is not None:
                    self._on_retry(failure, self._failures, delay)
            finally:
                call.cancel()
                self.connected = False
            self.reconnects += 1
            await asyncio.sleep(delay)

    def _up(self) -> None:
        self.connected = True
        self._backoff.reset()
        self._failures = 0
        if self._on_connect is not None:
            self._on_connect()

    def _items_of(
        self,
        message: presence_pb2.SubscribePresenceResponse,
        pages: list[presence_pb2.AgentStatus],
    ) -> list[SubscriptionItem]:
        """What one message hands out; snapshot pages wait for their end."""
        items: list[SubscriptionItem] = []
        if message.snapshot or message.snapshot_end:
            pages.extend(message.snapshot)
            if not message.snapshot_end:
                return items
            items.append(Snapshot(tuple(pages), message.revision, message.resync))
            pages.clear()
        after = items[-1].revision if items else self.revision
        for event in message.events:
            # A resumed stream starts after our revision; this guard only
            # matters if a server ever sent an event twice.
            if after is not None and event.revision <= after:
                continue
            items.append(event)
            after = event.revision
        return items
