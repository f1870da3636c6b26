"""An agent's connection, held open: :class:`AgentSession`.

The server counts an agent as connected while a ``Connect`` stream is open.
When the last one breaks, a grace period starts (30 s by default), after
which the agent goes Offline unless its status keeps it. The session helper
reopens the stream at once when it breaks, then with a short backoff (at
most one second apart), so that a network blip or a server restart never
costs the agent its status.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from types import TracebackType
from typing import Any

import grpc

from ._proto.presence.v1 import presence_pb2, presence_pb2_grpc
from ._rpc import Rpc
from .errors import PresenceError, from_rpc_error
from .retry import Backoff, OnConnect, OnRetry

logger = logging.getLogger(__name__)

# Failures that reconnecting cannot cure: the session gives up and says why.
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

_CLOSED = object()


class SessionClosedError(Exception):
    """The session was closed while something waited on it."""


class AgentSession:
    """Keeps one agent's ``Connect`` stream open, reconnecting when it breaks.

    Made by :meth:`PresenceClient.session`. Use it as an async context
    manager: entering opens the stream and waits for the first update;
    leaving closes it, after which the server starts the agent's grace
    period like for any lost connection.

    While it runs, :attr:`presence` is the agent's latest presence (current
    and upcoming status), :attr:`connected` says whether a stream is open
    now, and :meth:`updates` yields every presence the server pushes. A
    failure that reconnecting cannot cure (an unknown or archived agent)
    ends the session: :meth:`updates`, :meth:`wait_for` and
    :meth:`wait_connected` raise it. While the server cannot be reached,
    entering waits for it (bound it with ``asyncio.timeout`` if need be):
    each failed (re)connect is logged (WARNING, with the error and the next
    delay) and given to ``on_retry``, and ``on_connect`` is called each time
    a stream is up again.
    """

    def __init__(
        self,
        rpc: Rpc,
        request: presence_pb2.ConnectRequest,
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
        self._task: asyncio.Task[None] | None = None
        self._changed = asyncio.Event()
        self._queues: list[asyncio.Queue[Any]] = []
        self._closed = False
        self.presence: presence_pb2.AgentStatus | None = None
        self.session_id = ""
        self.connected = False
        self.failure: PresenceError | None = None
        self.reconnects = 0

    @property
    def agent_id(self) -> str:
        return self._request.agent_id

    # --- lifecycle -----------------------------------------------------------

    async def __aenter__(self) -> AgentSession:
        await self.start()
        try:
            await self.wait_connected()
        except BaseException:
            await self.close()
            raise
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def start(self) -> None:
        """Open the stream in the background; returns at once."""
        if self._task is not None:
            raise RuntimeError("the session is already started")
        self._task = asyncio.create_task(
            self._run(), name=f"presence-session-{self.agent_id}"
        )

    async def close(self) -> None:
        """Close the stream for good. Idempotent."""
        self._closed = True
        task, self._task = self._task, None
        if task is not None and not task.done():
            task.cancel()
            try:
                await task
            except asyncio.CancelledError:
                # Ours, unless the caller itself is being cancelled.
                current = asyncio.current_task()
                if current is not None and current.cancelling():
                    raise
        self.connected = False
        for queue in self._queues:
            queue.put_nowait(_CLOSED)
        self._notify()

    # --- waiting ------------------------------------------------------------

    async def wait_connected(self) -> presence_pb2.AgentStatus:
        """Wait until a stream is open; the presence it started with."""
        return await self.wait_for(lambda _: self.connected)

    async def wait_for(
        self, predicate: Callable[[presence_pb2.AgentStatus], bool]
    ) -> presence_pb2.AgentStatus:
        """Wait until the latest presence satisfies ``predicate``; that presence.

        Bound it with ``asyncio.timeout`` if it must not wait forever.
        """
        while True:
            self._raise_if_over()
            if self.presence is not None and predicate(self.presence):
                return self.presence
            await self._changed.wait()

    def updates(self) -> SessionUpdates:
        """Every presence pushed from this call on, in order, across reconnects.

        Iterate with ``async for``; the iteration ends when the session is
        closed and raises the failure that ended it, if one did. Call
        ``aclose()`` on it to stop listening earlier.
        """
        return SessionUpdates(self)

    def _raise_if_over(self, *, closed_ok: bool = False) -> None:
        if self.failure is not None:
            raise self.failure
        if self._closed and not closed_ok:
            raise SessionClosedError(f"the session of {self.agent_id} is closed")

    # --- the stream -----------------------------------------------------------

    async def _run(self) -> None:
        stub = self._rpc.stub(presence_pb2_grpc.PresenceServiceStub)
        while True:
            # Not wait_for_ready: while the server is down each try fails at
            # once, so that the failure is seen, logged and retried.
            call = stub.Connect(self._request, metadata=self._rpc.metadata or None)
            try:
                async for update in call:
                    self._receive(update)
                logger.info(
                    "session of %s ended by the server; reconnecting", self.agent_id
                )
                delay = self._backoff.delay()
            except grpc.RpcError as error:
                failure = from_rpc_error(error)
                if failure.code in _PERMANENT:
                    logger.error(
                        "session of %s refused: %s", self.agent_id, failure.message
                    )
                    self._give_up(failure)
                    return
                delay = self._backoff.delay()
                self._failures += 1
                logger.warning(
                    "session of %s %s (%s: %s); retrying in %.2f s",
                    self.agent_id,
                    "lost" if self.connected else "could not connect",
                    failure.code.name,
                    failure.message,
                    delay,
                )
                if self._on_retry is not None:
                    self._on_retry(failure, self._failures, delay)
            finally:
                call.cancel()
                if self.connected:
                    self.connected = False
                    self._notify()
            await asyncio.sleep(delay)

    def _receive(self, update: presence_pb2.ConnectUpdate) -> None:
        if update.session_id != self.session_id:
            if self.session_id:
                self.reconnects += 1
            logger.info(
                "session of %s open (%s)", self.agent_id, update.session_id or "-"
            )
            self.session_id = update.session_id
            self._backoff.reset()
        if not self.connected:
            self.connected = True
            self._failures = 0
            if self._on_connect is not None:
                self._on_connect()
        # Revisions only grow; an older view (a race across reconnects) is news
        # to no one.
        if self.presence is None or update.presence.revision >= self.presence.revision:
            self.presence = update.presence
            for queue in self._queues:
                queue.put_nowait(update.presence)
        self._notify()

    def _give_up(self, failure: PresenceError) -> None:
        self.failure = failure
        self.connected = False
        for queue in self._queues:
            queue.put_nowait(_CLOSED)
        self._notify()

    def _notify(self) -> None:
        self._changed.set()
        self._changed = asyncio.Event()


class SessionUpdates:
    """The presences a session receives from its creation on (see ``updates``)."""

    def __init__(self, session: AgentSession) -> None:
        self._session = session
        self._queue: asyncio.Queue[Any] = asyncio.Queue()
        self._listening = True
        session._queues.append(self._queue)

    def __aiter__(self) -> SessionUpdates:
        return self

    async def __anext__(self) -> presence_pb2.AgentStatus:
        if not self._listening:
            raise StopAsyncIteration
        item = await self._queue.get()
        if item is _CLOSED:
            await self.aclose()
            self._session._raise_if_over(closed_ok=True)
            raise StopAsyncIteration
        presence: presence_pb2.AgentStatus = item
        return presence

    async def aclose(self) -> None:
        """Stop listening; the iteration ends."""
        if self._listening:
            self._listening = False
            self._session._queues.remove(self._queue)
