"""``presence.v1.PresenceService``: live presence over gRPC.

Thin: requests become engine commands, answers become messages. The rules
and the durability live in ``presence_server.engine``.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Sequence
from datetime import timedelta
from typing import Any

from presence_server._proto.presence.v1 import presence_pb2, presence_pb2_grpc
from presence_server.domain.agents import check_id
from presence_server.domain.errors import FieldViolation, InvalidArgument
from presence_server.domain.presence import Event, PresenceView, Source
from presence_server.engine import commands as c
from presence_server.engine.service import PresenceEngine
from presence_server.streaming import Streams

from .convert import status_kind_from_proto, timestamp_to_proto
from .presence_convert import (
    acting,
    activity_kind_from_proto,
    change_to_proto,
    requested_actor,
    view_to_proto,
)
from .subscribe import SubscribeMixin

logger = logging.getLogger(__name__)

REQUEST_ID_MAX = 128
EXTERNAL_ID_MAX = 256
REASON_MAX = 512
TTL_RANGE = (5, 300)
DEFAULT_TTL = 60


def _agent_id(value: str, field: str = "agent_id") -> str:
    if not value:
        raise InvalidArgument([FieldViolation(field, "is required")])
    violations = check_id(value, field)
    if violations:
        raise InvalidArgument(violations)
    return value


def _bounded(value: str, field: str, limit: int) -> str:
    if len(value) > limit:
        raise InvalidArgument(
            [FieldViolation(field, f"must be at most {limit} characters")]
        )
    return value


# SubscribePresence writes pre-encoded bytes (see api.subscribe), not messages.
class PresenceServicer(  # type: ignore[misc]
    SubscribeMixin, presence_pb2_grpc.PresenceServiceServicer
):
    """Agents' live presence: status, activities, shifts, sessions, streams."""

    def __init__(
        self,
        engine: PresenceEngine,
        *,
        stopping: asyncio.Event,
        streams: Streams | None = None,
    ) -> None:
        self._engine = engine
        self._stopping = stopping
        self._streams = streams

    async def _change(
        self, agent_id: str, command: c.Command, request_id: str
    ) -> presence_pb2.PresenceChange:
        _bounded(request_id, "request_id", REQUEST_ID_MAX)
        view, outcome = await self._engine.execute(agent_id, command, request_id)
        return change_to_proto(view, outcome)

    async def SetStatus(
        self, request: presence_pb2.SetStatusRequest, context: Any
    ) -> presence_pb2.PresenceChange:
        agent_id = _agent_id(request.agent_id)
        if not request.status_type_id:
            raise InvalidArgument([FieldViolation("status_type_id", "is required")])
        reason = _bounded(request.reason, "reason", REASON_MAX)
        actor = requested_actor(request.source, agent_id, reason)
        expected = (
            request.expected_revision if request.HasField("expected_revision") else None
        )
        command = c.SetStatus(request.status_type_id, actor, expected)
        return await self._change(agent_id, command, request.request_id)

    async def CancelUpcomingStatus(
        self, request: presence_pb2.CancelUpcomingStatusRequest, context: Any
    ) -> presence_pb2.PresenceChange:
        agent_id = _agent_id(request.agent_id)
        command = c.CancelUpcoming(acting(Source.AGENT, agent_id))
        return await self._change(agent_id, command, request.request_id)

    async def GetPresence(
        self, request: presence_pb2.GetPresenceRequest, context: Any
    ) -> presence_pb2.AgentStatus:
        return view_to_proto(await self._engine.get(_agent_id(request.agent_id)))

    async def ListPresence(
        self, request: presence_pb2.ListPresenceRequest, context: Any
    ) -> presence_pb2.ListPresenceResponse:
        wanted = _Filter(request.filter)
        ids = list(request.filter.agent_ids) or None
        views = await self._engine.query(ids)
        return presence_pb2.ListPresenceResponse(
            presences=[view_to_proto(v) for v in views if wanted.matches(v)]
        )

    async def StartActivity(
        self, request: presence_pb2.StartActivityRequest, context: Any
    ) -> presence_pb2.PresenceChange:
        agent_id = _agent_id(request.agent_id)
        kind = activity_kind_from_proto(request.kind)
        external_id = _external_id(request.external_id)
        command = c.StartActivity(kind, external_id, acting(Source.ACTIVITY, agent_id))
        return await self._change(agent_id, command, request.request_id)

    async def EndActivity(
        self, request: presence_pb2.EndActivityRequest, context: Any
    ) -> presence_pb2.PresenceChange:
        agent_id = _agent_id(request.agent_id)
        external_id = _external_id(request.external_id)
        wrap_up = None
        if request.HasField("wrap_up_seconds"):
            if request.wrap_up_seconds > 3600:
                raise InvalidArgument(
                    [FieldViolation("wrap_up_seconds", "must be at most 3600")]
                )
            wrap_up = request.wrap_up_seconds
        command = c.EndActivity(external_id, acting(Source.ACTIVITY, agent_id), wrap_up)
        return await self._change(agent_id, command, request.request_id)

    async def StartShift(
        self, request: presence_pb2.StartShiftRequest, context: Any
    ) -> presence_pb2.PresenceChange:
        agent_id = _agent_id(request.agent_id)
        command = c.StartShift(acting(Source.AGENT, agent_id))
        return await self._change(agent_id, command, request.request_id)

    async def EndShift(
        self, request: presence_pb2.EndShiftRequest, context: Any
    ) -> presence_pb2.PresenceChange:
        agent_id = _agent_id(request.agent_id)
        reason = _bounded(request.reason, "reason", REASON_MAX)
        command = c.EndShift(acting(Source.AGENT, agent_id, reason))
        return await self._change(agent_id, command, request.request_id)

    async def Connect(
        self, request: presence_pb2.ConnectRequest, context: Any
    ) -> AsyncIterator[presence_pb2.ConnectUpdate]:
        """Hold the agent's session for as long as the stream is open.

        The stream ends when the client goes away (the session is lost, and
        the grace period starts) or when the server stops (the session is
        left for the next start to judge: a server stopping is not the
        client losing its connection).
        """
        agent_id = _agent_id(request.agent_id)
        client = _bounded(request.client_name, "client_name", 256)
        updates: asyncio.Queue[PresenceView] = asyncio.Queue(maxsize=64)

        def on_events(events: Sequence[Event]) -> None:
            mine = [e.current for e in events if e.agent_id == agent_id and e.current]
            if mine:
                if updates.full():
                    # Only the latest presence matters to the agent's client.
                    updates.get_nowait()
                updates.put_nowait(mine[-1])

        self._engine.add_listener(on_events)
        session_id, presence = await self._engine.open_stream(agent_id, client)
        logger.info(
            "agent %s connected (session %s, %s)", agent_id, session_id, client or "-"
        )
        lost = True
        try:
            yield presence_pb2.ConnectUpdate(
                session_id=session_id, presence=view_to_proto(presence)
            )
            stop = asyncio.ensure_future(self._stopping.wait())
            nxt: asyncio.Future[PresenceView] | None = None
            try:
                while True:
                    nxt = asyncio.ensure_future(updates.get())
                    done, _ = await asyncio.wait(
                        {nxt, stop}, return_when=asyncio.FIRST_COMPLETED
                    )
                    if stop in done:
                        lost = False
                        return
                    view = nxt.result()
                    if view.revision > presence.revision:
                        presence = view
                        yield presence_pb2.ConnectUpdate(
                            session_id=session_id, presence=view_to_proto(view)
                        )
            finally:
                # Both waiters: a client that goes away cancels this handler
                # inside asyncio.wait, with the next update still awaited.
                stop.cancel()
                if nxt is not None:
                    nxt.cancel()
        finally:
            self._engine.remove_listener(on_events)
            if lost and not self._stopping.is_set():
                await asyncio.shield(self._close(agent_id, session_id))

    async def _close(self, agent_id: str, session_id: str) -> None:
        try:
            await self._engine.execute(
                agent_id, c.CloseSession(session_id, self._engine.clock.now())
            )
            logger.info("agent %s disconnected (session %s)", agent_id, session_id)
        except Exception:
            logger.exception("recording the end of session %s failed", session_id)

    async def OpenSession(
        self, request: presence_pb2.OpenSessionRequest, context: Any
    ) -> presence_pb2.OpenSessionResponse:
        agent_id = _agent_id(request.agent_id)
        ttl = request.ttl_seconds or DEFAULT_TTL
        low, high = TTL_RANGE
        if not low <= ttl <= high:
            raise InvalidArgument(
                [
                    FieldViolation(
                        "ttl_seconds", f"must be {low}-{high} (or 0: {DEFAULT_TTL})"
                    )
                ]
            )
        client = _bounded(request.client_name, "client_name", 256)
        session, presence = await self._engine.open_lease(
            agent_id, client, timedelta(seconds=ttl)
        )
        return presence_pb2.OpenSessionResponse(
            session=_session_to_proto(session), presence=view_to_proto(presence)
        )

    async def KeepAlive(
        self, request: presence_pb2.KeepAliveRequest, context: Any
    ) -> presence_pb2.Session:
        if not request.session_id:
            raise InvalidArgument([FieldViolation("session_id", "is required")])
        return _session_to_proto(await self._engine.keep_alive(request.session_id))

    async def CloseSession(
        self, request: presence_pb2.CloseSessionRequest, context: Any
    ) -> presence_pb2.CloseSessionResponse:
        if not request.session_id:
            raise InvalidArgument([FieldViolation("session_id", "is required")])
        presence = await self._engine.close_session(request.session_id)
        return presence_pb2.CloseSessionResponse(presence=view_to_proto(presence))


def _external_id(value: str) -> str:
    if not value:
        raise InvalidArgument(
            [FieldViolation("external_id", "is required (the call, chat or task id)")]
        )
    return _bounded(value, "external_id", EXTERNAL_ID_MAX)


def _session_to_proto(session: Any) -> presence_pb2.Session:
    message = presence_pb2.Session(
        session_id=session.id,
        agent_id=session.id.rpartition(":")[0],
        ttl_seconds=session.ttl_seconds,
    )
    if session.expires_at is not None:
        message.expire_time.CopyFrom(timestamp_to_proto(session.expires_at))
    return message


class _Filter:
    """A ``PresenceFilter`` as a predicate over views."""

    def __init__(self, message: presence_pb2.PresenceFilter) -> None:
        self.teams = set(message.teams)
        self.status_ids = set(message.status_type_ids)
        self.kinds: set[str] = set()
        for value in message.kinds:
            kind = status_kind_from_proto(value, "filter.kinds")
            if kind is None:
                raise InvalidArgument(
                    [
                        FieldViolation(
                            "filter.kinds", "STATUS_KIND_UNSPECIFIED is no kind"
                        )
                    ]
                )
            self.kinds.add(kind.value)
        self.routable_only = message.routable_only
        self.in_activity = (
            message.in_activity if message.HasField("in_activity") else None
        )

    def matches(self, v: PresenceView) -> bool:
        if self.teams and v.team not in self.teams:
            return False
        if self.status_ids and v.effective.id not in self.status_ids:
            return False
        if self.kinds and v.effective.kind not in self.kinds:
            return False
        if self.routable_only and not v.routable:
            return False
        return self.in_activity is None or self.in_activity == bool(v.activities)
