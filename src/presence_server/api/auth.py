"""Authentication, authorization and per-identity limits of every RPC.

``AuthInterceptor`` runs inside error translation, so what it raises reaches
the client as UNAUTHENTICATED, PERMISSION_DENIED or RESOURCE_EXHAUSTED with
``google.rpc`` details. For each call, before the handler runs:

1. health and reflection pass untouched (load balancers and grpcurl need
   them without credentials; reflection can be turned off);
2. the metadata must name a caller (``security.Authenticator``);
3. the per-RPC policy must let the caller's role reach the request's
   subject (``api.policy``);
4. a mutating call spends one unit of the caller's rate;
5. a stream counts against the caller's open-stream cap until it ends.

A response stream (Connect, SubscribePresence) also ends when its JWT
does: at ``exp`` plus the leeway, on the server's clock, the handler is
cancelled (its ``finally`` blocks run: a Connect session is recorded as
lost) and the call ends UNAUTHENTICATED with reason ``TOKEN_EXPIRED``; the
client reconnects with a fresh token. API keys do not expire. This is done
here, once, by ``_until_expiry``, not by each handler.

The identity is then in ``security.current_identity`` for the handler, which
records it as the actor of what it changes. Every refusal made here
(UNAUTHENTICATED, PERMISSION_DENIED, RESOURCE_EXHAUSTED) is logged at INFO
with the actor, the method and the reason, never the credential. Without
this interceptor (``PRESENCE_AUTH_DISABLED=true``) there is no identity and
no limit.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import grpc

from presence_server.catalog import Catalog
from presence_server.domain.errors import (
    NotFound,
    PermissionDenied,
    PresenceError,
    QuotaExceeded,
    Unauthenticated,
)
from presence_server.engine.clock import Clock
from presence_server.security import (
    Identity,
    RateLimiter,
    StreamCap,
    current_identity,
)
from presence_server.security.authenticator import Authenticator

from ._wrapping import wrap_request_handler
from .policy import POLICIES, TeamLookup, authorize
from .telemetry import split_method

logger = logging.getLogger(__name__)

HEALTH_SERVICE = "grpc.health.v1.Health"
REFLECTION_SERVICES = (
    "grpc.reflection.v1alpha.ServerReflection",
    "grpc.reflection.v1.ServerReflection",
)
OPEN_SERVICES = frozenset({HEALTH_SERVICE, *REFLECTION_SERVICES})


class CatalogTeams:
    """``policy.TeamLookup`` over the catalog: the agent's team right now.

    Read on every check rather than cached, so a team change applies to the
    very next call.
    """

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    async def team_of(self, agent_id: str) -> str | None:
        try:
            agent = await self._catalog.get_agent(agent_id)
        except NotFound:
            return None
        return agent.team


class AuthInterceptor(grpc.aio.ServerInterceptor):  # type: ignore[misc]
    """Checks every call but health and reflection (see module doc).

    ``clock`` is the server's: token expiry of open streams follows it.
    """

    def __init__(
        self,
        authenticator: Authenticator,
        teams: TeamLookup,
        limiter: RateLimiter,
        streams: StreamCap,
        clock: Clock,
    ) -> None:
        self._authenticator = authenticator
        self._teams = teams
        self._limiter = limiter
        self._streams = streams
        self._clock = clock

    async def intercept_service(
        self,
        continuation: Callable[[Any], Awaitable[Any]],
        handler_call_details: Any,
    ) -> Any:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if handler is None or split_method(method)[0] in OPEN_SERVICES:
            return handler
        if handler.unary_stream is not None:
            return grpc.unary_stream_rpc_method_handler(
                self._response_stream(handler.unary_stream, method),
                request_deserializer=handler.request_deserializer,
                response_serializer=handler.response_serializer,
            )
        return wrap_request_handler(handler, method, self._guard)

    async def _admit(self, request: Any, context: Any, method: str) -> Identity:
        try:
            identity = self._authenticator.authenticate(
                context.invocation_metadata() or ()
            )
        except Unauthenticated as error:
            _audit(method, error, None)
            raise
        try:
            policy = await authorize(identity, method, request, self._teams, POLICIES)
            if policy.mutating:
                self._limiter.take(identity.key)
        except (PermissionDenied, NotFound, QuotaExceeded) as error:
            # NotFound: another agent's session, answered as no session.
            _audit(method, error, identity)
            raise
        current_identity.set(identity)
        return identity

    def _open_stream(self, identity: Identity, method: str) -> None:
        try:
            self._streams.acquire(identity.key)
        except QuotaExceeded as error:
            _audit(method, error, identity)
            raise

    @asynccontextmanager
    async def _admitted(
        self, request: Any, context: Any, method: str, streaming: bool
    ) -> AsyncIterator[Identity]:
        """The caller, admitted; a stream holds one of its slots until the end."""
        identity = await self._admit(request, context, method)
        if not streaming:
            yield identity
            return
        self._open_stream(identity, method)
        try:
            yield identity
        finally:
            self._streams.release(identity.key)

    @asynccontextmanager
    async def _guard(
        self, request: Any, context: Any, method: str, streaming: bool
    ) -> AsyncIterator[None]:
        async with self._admitted(request, context, method, streaming):
            yield

    def _response_stream(self, behavior: Any, method: str) -> Any:
        # Always a context.write() coroutine, whatever the handler's style:
        # grpc then sends nothing outside this frame, so the expiry's cancel
        # lands in the handler or in a write, never in grpc's own send loop.
        async def run(request: Any, context: Any) -> None:
            async with self._admitted(request, context, method, True) as identity:
                try:
                    responses = behavior(request, context)
                    await _until_expiry(
                        _drain(responses, context), identity.expires_at, self._clock
                    )
                except Unauthenticated as error:
                    _audit(method, error, identity)
                    raise

        return run


def _audit(method: str, error: PresenceError, identity: Identity | None) -> None:
    # The audit trail of refusals: who, what, why. The message never holds
    # the credential (the authenticator's messages do not quote it).
    actor = "-" if identity is None else identity.actor
    logger.info(
        "refused %s for %s: %s %s",
        method,
        actor,
        error.code.name,
        error.reason,
        extra={"actor": actor, "method": method, "reason": error.reason},
    )


async def _drain(responses: Any, context: Any) -> None:
    """Run a streaming handler to its end, writing what it yields."""
    if not inspect.isasyncgen(responses):
        if inspect.isawaitable(responses):
            await responses
        return
    try:
        async for response in responses:
            await context.write(response)
    finally:
        # Cancelled inside a write: the generator is suspended at its yield;
        # closing it runs its finally blocks now, in this task.
        await responses.aclose()


async def _until_expiry(
    work: Awaitable[None], expires_at: datetime | None, clock: Clock
) -> None:
    """Await ``work``; cancel it and refuse the call once ``expires_at`` passes."""
    if expires_at is None:
        await work
        return
    task = asyncio.current_task()
    assert task is not None
    expired = False

    async def expire() -> None:
        nonlocal expired
        await clock.sleep_until(expires_at)
        expired = True
        task.cancel()

    watcher = asyncio.create_task(expire())
    try:
        await work
    except asyncio.CancelledError:
        if not expired:
            raise  # the client went away, or the server is stopping
        task.uncancel()
        raise Unauthenticated(
            f"the token expired at {expires_at.isoformat()} (with the leeway); "
            "reconnect with a fresh token",
            reason="TOKEN_EXPIRED",
        ) from None
    finally:
        watcher.cancel()
