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

The identity is then in ``security.current_identity`` for the handler, which
records it as the actor of what it changes. Without this interceptor
(``PRESENCE_AUTH_DISABLED=true``) there is no identity and no limit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from typing import Any

import grpc

from presence_server.catalog import Catalog
from presence_server.domain.errors import NotFound
from presence_server.security import RateLimiter, StreamCap, current_identity
from presence_server.security.authenticator import Authenticator

from ._wrapping import wrap_request_handler
from .policy import POLICIES, authorize
from .telemetry import split_method

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
    """Checks every call but health and reflection (see module doc)."""

    def __init__(
        self,
        authenticator: Authenticator,
        teams: CatalogTeams | Any,
        limiter: RateLimiter,
        streams: StreamCap,
    ) -> None:
        self._authenticator = authenticator
        self._teams = teams
        self._limiter = limiter
        self._streams = streams

    async def intercept_service(
        self,
        continuation: Callable[[Any], Awaitable[Any]],
        handler_call_details: Any,
    ) -> Any:
        handler = await continuation(handler_call_details)
        method = handler_call_details.method
        if split_method(method)[0] in OPEN_SERVICES:
            return handler
        return wrap_request_handler(handler, method, self._guard)

    @asynccontextmanager
    async def _guard(
        self, request: Any, context: Any, method: str, streaming: bool
    ) -> AsyncIterator[None]:
        identity = self._authenticator.authenticate(context.invocation_metadata() or ())
        policy = await authorize(identity, method, request, self._teams, POLICIES)
        if policy.mutating:
            self._limiter.take(identity.key)
        current_identity.set(identity)
        if not streaming:
            yield
            return
        self._streams.acquire(identity.key)
        try:
            yield
        finally:
            self._streams.release(identity.key)
