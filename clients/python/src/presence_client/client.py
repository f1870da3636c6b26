"""The asyncio client: :class:`PresenceClient`.

One client holds one channel to one server and is shared by every task of
the program. Calls take plain arguments and return the API's messages
(:mod:`presence_client.messages`); a failed call raises a typed
:class:`~presence_client.errors.PresenceError`.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Sequence
from types import TracebackType
from typing import Any

import grpc

from ._proto.presence.v1 import common_pb2, presence_pb2, presence_pb2_grpc
from ._rpc import Rpc
from .admin import Agents, StatusTypes
from .reports import Reports, SimulatedClock
from .retry import Backoff, OnConnect, OnRetry, RetryPolicy
from .session import AgentSession
from .subscribe import Subscription

DEFAULT_ADDRESS = "127.0.0.1:50051"


def new_request_id() -> str:
    """A fresh id for one state-changing request (a random UUID)."""
    return str(uuid.uuid4())


def _bearer(token: str | None) -> tuple[tuple[str, str], ...]:
    if token is None:
        return ()
    token = token.strip()
    if not token:
        raise ValueError("token is empty; leave it out for a server without auth")
    return (("authorization", f"Bearer {token}"),)


class PresenceClient:
    """A client of one presence-server.

    Args:
        address: ``host:port`` of the server.
        credentials: channel credentials for TLS; plaintext when ``None``.
        timeout: seconds each call (each try of a retried call) may take;
            ``None`` for no deadline.
        retry: how calls that are safe to repeat are retried after
            UNAVAILABLE or DEADLINE_EXCEEDED (see :mod:`presence_client.retry`);
            ``RetryPolicy.never()`` turns it off.
        token: a bearer token (a JWT, or an API key) sent as
            ``authorization: Bearer <token>`` with every call, streams too.
        metadata: sent with every call, after the token.
        options: extra gRPC channel options, after the client's own.
        interceptors: ``grpc.aio`` client interceptors.

    The channel opens on first use, inside the running event loop. Close the
    client with ``await client.close()`` or use it as an async context
    manager.

    Every state-changing presence call carries a ``request_id``: pass one to
    make a call idempotent across your own retries, or let the client make
    one. Its own retries always resend the same id, so the server applies
    the change once and answers every copy with the first result.
    """

    def __init__(
        self,
        address: str = DEFAULT_ADDRESS,
        *,
        credentials: grpc.ChannelCredentials | None = None,
        token: str | None = None,
        timeout: float | None = 10.0,
        retry: RetryPolicy | None = None,
        metadata: Sequence[tuple[str, str]] = (),
        options: Sequence[tuple[str, Any]] = (),
        interceptors: Sequence[Any] = (),
    ) -> None:
        self._rpc = Rpc(
            address,
            credentials=credentials,
            timeout=timeout,
            metadata=(*_bearer(token), *metadata),
            retry=retry or RetryPolicy(),
            options=options,
            interceptors=interceptors,
        )
        self.status_types = StatusTypes(self._rpc)
        """Status type administration."""
        self.agents = Agents(self._rpc)
        """Agent administration."""
        self.reports = Reports(self._rpc)
        """Reports over history."""
        self.clock = SimulatedClock(self._rpc)
        """The clock of a server started on a simulated clock."""

    @property
    def address(self) -> str:
        return self._rpc.address

    async def close(self) -> None:
        """Close the channel; calls in flight are cancelled."""
        await self._rpc.close()

    async def __aenter__(self) -> PresenceClient:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    @property
    def _presence(self) -> Any:
        return self._rpc.stub(presence_pb2_grpc.PresenceServiceStub)

    async def _change(self, method: Any, request: Any) -> presence_pb2.PresenceChange:
        return await self._rpc.unary(
            method,
            request,
            presence_pb2.PresenceChange,
            retry=True,
            request_id=request.request_id,
        )

    # --- changing presence -----------------------------------------------------

    async def set_status(
        self,
        agent_id: str,
        status_type_id: str,
        *,
        reason: str = "",
        expected_revision: int | None = None,
        source: presence_pb2.Source.ValueType = presence_pb2.SOURCE_UNSPECIFIED,
        request_id: str | None = None,
    ) -> presence_pb2.PresenceChange:
        """Put the agent in a status, now or, during an activity, as upcoming.

        ``outcome`` in the answer says which: ``OUTCOME_APPLIED``,
        ``OUTCOME_UPCOMING``, ``OUTCOME_UPCOMING_CLEARED`` (the agent chose
        the status it would return to anyway) or ``OUTCOME_UNCHANGED``.
        With ``expected_revision`` the change applies only if the agent's
        revision is still that one, else :class:`StaleRevisionError`. Over a
        per-shift limit: :class:`QuotaExceededError`. ``source`` is
        ``SOURCE_AGENT`` by default, or ``SOURCE_SUPERVISOR``.

        Retried after transient failures with the same request id.
        """
        request = presence_pb2.SetStatusRequest(
            agent_id=agent_id,
            status_type_id=status_type_id,
            request_id=request_id or new_request_id(),
            reason=reason,
            source=source,
        )
        if expected_revision is not None:
            request.expected_revision = expected_revision
        return await self._change(self._presence.SetStatus, request)

    async def cancel_upcoming_status(
        self, agent_id: str, *, request_id: str | None = None
    ) -> presence_pb2.PresenceChange:
        """Drop the status waiting for the agent's activity to end, if any."""
        request = presence_pb2.CancelUpcomingStatusRequest(
            agent_id=agent_id, request_id=request_id or new_request_id()
        )
        return await self._change(self._presence.CancelUpcomingStatus, request)

    async def start_activity(
        self,
        agent_id: str,
        kind: common_pb2.ActivityKind.ValueType,
        external_id: str,
        *,
        request_id: str | None = None,
    ) -> presence_pb2.PresenceChange:
        """The agent began a call, chat or task; ``external_id`` names it.

        Starting a running activity again changes nothing.
        """
        request = presence_pb2.StartActivityRequest(
            agent_id=agent_id,
            kind=kind,
            external_id=external_id,
            request_id=request_id or new_request_id(),
        )
        return await self._change(self._presence.StartActivity, request)

    async def end_activity(
        self,
        agent_id: str,
        external_id: str,
        *,
        wrap_up_seconds: int | None = None,
        request_id: str | None = None,
    ) -> presence_pb2.PresenceChange:
        """The activity ended; with the last one the upcoming status applies.

        ``wrap_up_seconds`` overrides the wrap-up configured for its kind.
        Ending an unknown or ended activity changes nothing.
        """
        request = presence_pb2.EndActivityRequest(
            agent_id=agent_id,
            external_id=external_id,
            request_id=request_id or new_request_id(),
        )
        if wrap_up_seconds is not None:
            request.wrap_up_seconds = wrap_up_seconds
        return await self._change(self._presence.EndActivity, request)

    async def start_shift(
        self, agent_id: str, *, request_id: str | None = None
    ) -> presence_pb2.PresenceChange:
        """Open a shift (leaving Offline opens one by itself too)."""
        request = presence_pb2.StartShiftRequest(
            agent_id=agent_id, request_id=request_id or new_request_id()
        )
        return await self._change(self._presence.StartShift, request)

    async def end_shift(
        self, agent_id: str, *, reason: str = "", request_id: str | None = None
    ) -> presence_pb2.PresenceChange:
        """End the shift and go Offline.

        Refused with :class:`PreconditionFailedError` during an activity or
        from a status that cannot end a shift.
        """
        request = presence_pb2.EndShiftRequest(
            agent_id=agent_id, reason=reason, request_id=request_id or new_request_id()
        )
        return await self._change(self._presence.EndShift, request)

    # --- reading presence ---------------------------------------------------------

    async def get_presence(self, agent_id: str) -> presence_pb2.AgentStatus:
        """One agent's live presence."""
        return await self._rpc.unary(
            self._presence.GetPresence,
            presence_pb2.GetPresenceRequest(agent_id=agent_id),
            presence_pb2.AgentStatus,
            retry=True,
        )

    async def list_presence(
        self,
        *,
        agent_ids: Iterable[str] = (),
        teams: Iterable[str] = (),
        status_type_ids: Iterable[str] = (),
        kinds: Iterable[common_pb2.StatusKind.ValueType] = (),
        routable_only: bool = False,
        in_activity: bool | None = None,
    ) -> list[presence_pb2.AgentStatus]:
        """Live presence of the agents matching every given filter, by id."""
        request = presence_pb2.ListPresenceRequest(
            filter=presence_filter(
                agent_ids=agent_ids,
                teams=teams,
                status_type_ids=status_type_ids,
                kinds=kinds,
                routable_only=routable_only,
                in_activity=in_activity,
            )
        )
        response = await self._rpc.unary(
            self._presence.ListPresence,
            request,
            presence_pb2.ListPresenceResponse,
            retry=True,
        )
        return list(response.presences)

    # --- streaming --------------------------------------------------------------

    def subscribe(
        self,
        *,
        agent_ids: Iterable[str] = (),
        teams: Iterable[str] = (),
        status_type_ids: Iterable[str] = (),
        kinds: Iterable[common_pb2.StatusKind.ValueType] = (),
        routable_only: bool = False,
        in_activity: bool | None = None,
        include_snapshot: bool = True,
        from_revision: int | None = None,
        backoff: Backoff | None = None,
        on_retry: OnRetry | None = None,
        on_connect: OnConnect | None = None,
    ) -> Subscription:
        """Live presence of the matching agents (see :class:`Subscription`).

        Yields a :class:`Snapshot` first (unless ``include_snapshot`` is
        false), then each ``PresenceEvent``; reconnects and resumes by
        itself. ``from_revision`` resumes where an earlier subscription's
        ``revision`` stopped. ``on_retry(error, attempt, delay)`` hears of
        each failed (re)connect, ``on_connect()`` of each stream that is up::

            async for item in client.subscribe(teams=["blue"]):
                if isinstance(item, Snapshot):
                    board = {p.agent_id: p for p in item.presences}
                else:
                    board[item.agent_id] = item.current
        """
        request = presence_pb2.SubscribePresenceRequest(
            filter=presence_filter(
                agent_ids=agent_ids,
                teams=teams,
                status_type_ids=status_type_ids,
                kinds=kinds,
                routable_only=routable_only,
                in_activity=in_activity,
            ),
            include_snapshot=include_snapshot,
        )
        if from_revision is not None:
            request.from_revision = from_revision
        return Subscription(
            self._rpc,
            request,
            backoff=backoff,
            on_retry=on_retry,
            on_connect=on_connect,
        )

    # --- sessions -------------------------------------------------------------------

    def session(
        self,
        agent_id: str,
        *,
        client: presence_pb2.ClientKind.ValueType = presence_pb2.CLIENT_KIND_DESKTOP,
        client_name: str = "",
        backoff: Backoff | None = None,
        on_retry: OnRetry | None = None,
        on_connect: OnConnect | None = None,
    ) -> AgentSession:
        """A session that keeps the agent connected (see :class:`AgentSession`).

        ``async with client.session("alice") as session: ...``;
        ``on_retry(error, attempt, delay)`` hears of each failed (re)connect,
        ``on_connect()`` of each stream that is up.
        """
        request = presence_pb2.ConnectRequest(
            agent_id=agent_id, client=client, client_name=client_name
        )
        return AgentSession(
            self._rpc,
            request,
            backoff=backoff,
            on_retry=on_retry,
            on_connect=on_connect,
        )

    async def open_session(
        self,
        agent_id: str,
        *,
        client: presence_pb2.ClientKind.ValueType = presence_pb2.CLIENT_KIND_WEB,
        client_name: str = "",
        ttl_seconds: int = 0,
    ) -> presence_pb2.OpenSessionResponse:
        """A lease session for backends that cannot hold a stream.

        Keep it with :meth:`keep_alive` more often than ``ttl_seconds``
        (the server's default when 0); close it with :meth:`close_session`.
        """
        request = presence_pb2.OpenSessionRequest(
            agent_id=agent_id,
            client=client,
            client_name=client_name,
            ttl_seconds=ttl_seconds,
        )
        return await self._rpc.unary(
            self._presence.OpenSession,
            request,
            presence_pb2.OpenSessionResponse,
            retry=False,
        )

    async def keep_alive(self, session_id: str) -> presence_pb2.Session:
        """Extend a lease session; it expires ``ttl_seconds`` after this."""
        return await self._rpc.unary(
            self._presence.KeepAlive,
            presence_pb2.KeepAliveRequest(session_id=session_id),
            presence_pb2.Session,
            retry=True,
        )

    async def close_session(self, session_id: str) -> presence_pb2.AgentStatus:
        """End a lease session now; the agent's presence after it."""
        response = await self._rpc.unary(
            self._presence.CloseSession,
            presence_pb2.CloseSessionRequest(session_id=session_id),
            presence_pb2.CloseSessionResponse,
            retry=False,
        )
        return response.presence


def presence_filter(
    *,
    agent_ids: Iterable[str] = (),
    teams: Iterable[str] = (),
    status_type_ids: Iterable[str] = (),
    kinds: Iterable[common_pb2.StatusKind.ValueType] = (),
    routable_only: bool = False,
    in_activity: bool | None = None,
) -> presence_pb2.PresenceFilter:
    """A ``PresenceFilter``: every given criterion must hold."""
    message = presence_pb2.PresenceFilter(
        agent_ids=list(agent_ids),
        teams=list(teams),
        status_type_ids=list(status_type_ids),
        kinds=list(kinds),
        routable_only=routable_only,
    )
    if in_activity is not None:
        message.in_activity = in_activity
    return message
