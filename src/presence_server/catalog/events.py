"""Catalog changes into the event log, in the transaction that makes them.

A status type or agent write that changes something appends one event to
the ``events`` table, so that subscribers learn of renames, recolors,
archiving and team moves on the same ordered stream as presence changes.
The event takes the next global revision: ``EventLog.begin`` takes the
revision counter first thing in the transaction (locked on PostgreSQL, as
the presence engine does), so revisions stay gapless and in commit order
and no lock is ever taken in the other order. A write that fails or
changes nothing appends nothing.

Payloads (the ``payload`` column):

- ``STATUS_TYPE_CHANGED``: ``{"status_type": <type>, "deleted": bool}``;
- ``AGENT_CHANGED``: ``{"previous": <view>, "current": <view>}``, views as
  ``storage.codec`` writes them, ``None`` where the agent is not live
  (before it exists, once archived or deleted).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from presence_server.domain.agents import Agent
from presence_server.domain.presence import EventType, PresenceView, Source
from presence_server.domain.status_types import (
    StatusKind,
    StatusType,
    TelephonyMapping,
)
from presence_server.engine import rules, store
from presence_server.engine.views import view
from presence_server.security.identity import current_actor_name
from presence_server.storage import codec

# Without authentication; with it, the identity of the caller.
ACTOR = "admin"


def change_actor() -> str:
    """Who a catalog change made now is recorded (and logged) as."""
    return current_actor_name(ACTOR)


class EventLog:
    """The revision counter of one catalog write transaction.

    Use ``await EventLog.begin(session)`` before anything else in the
    transaction, then ``status_type_changed`` / ``agent_changed`` after the
    write.
    """

    def __init__(self, session: AsyncSession, revision: int) -> None:
        self._session = session
        self._revision = revision
        self.appended = 0

    @classmethod
    async def begin(cls, session: AsyncSession) -> EventLog:
        lock = session.get_bind().dialect.name == "postgresql"
        return cls(session, await store.take_revisions(session, lock=lock))

    def changed(self) -> bool:
        """Whether the transaction has modified any row so far."""
        s = self._session
        return bool(s.new or s.dirty or s.deleted)

    async def status_type_changed(
        self, now: datetime, status_type: StatusType, *, deleted: bool = False
    ) -> None:
        payload = {"status_type": status_type_to_json(status_type), "deleted": deleted}
        reason = "deleted" if deleted else ""
        await self._append(now, EventType.STATUS_TYPE_CHANGED, "", payload, reason)

    async def agent_view(self, now: datetime, agent: Agent | None) -> Any:
        """The agent's presence view as JSON, ``None`` unless it is live."""
        if agent is None or agent.archived:
            return None
        session = self._session
        stored = await store.load_presence(session, [agent.id], lock=False)
        presence = stored.get(agent.id) or rules.new_presence(
            agent.id, agent.create_time or now
        )
        types = await store.load_types(session)
        return codec.view_to_json(view(presence, agent, types, now))

    async def agent_changed(
        self, now: datetime, agent_id: str, previous: Any, current: Any
    ) -> None:
        """Append an agent event with views from ``agent_view``."""
        if previous == current:
            return
        payload = {"previous": previous, "current": current}
        await self._append(now, EventType.AGENT_CHANGED, agent_id, payload, "")

    async def _append(
        self,
        now: datetime,
        kind: EventType,
        agent_id: str,
        payload: dict[str, Any],
        reason: str,
    ) -> None:
        self._revision += 1
        event = {
            "revision": self._revision,
            "time": now,
            "type": kind.value,
            "agent_id": agent_id,
            "source": Source.SYSTEM.value,
            "actor": change_actor(),
            "reason": reason,
            "payload": payload,
        }
        await store.save_events(self._session, [event])
        await store.save_revisions(self._session, self._revision)
        self.appended += 1


def agent_views(payload: dict[str, Any]) -> tuple[PresenceView | None, ...]:
    """The (previous, current) views of an agent or presence event payload."""
    return tuple(
        codec.view_from_json(payload[side]) if payload.get(side) else None
        for side in ("previous", "current")
    )


def status_type_to_json(st: StatusType) -> dict[str, Any]:
    return {
        "id": st.id,
        "name": st.name,
        "color": st.color,
        "kind": st.kind.value,
        "keep_on_disconnect": st.keep_on_disconnect,
        "can_end_shift": st.can_end_shift,
        "limit_per_shift": st.limit_per_shift,
        "allowed_minutes": st.allowed_minutes,
        "ring_mobile": st.ring_mobile,
        "queue_login": st.queue_login,
        "external_calls": st.external_calls,
        "telephony": {
            name: {
                "presence_profile": m.presence_profile,
                "pause_reason": m.pause_reason,
                "do_not_disturb": m.do_not_disturb,
                "options": dict(m.options),
            }
            for name, m in st.telephony.items()
        },
        "selectable": st.selectable,
        "sort_order": st.sort_order,
        "archived": st.archived,
        "built_in": st.built_in,
        "create_time": _t(st.create_time),
        "update_time": _t(st.update_time),
        "etag": st.etag,
    }


def status_type_from_json(doc: dict[str, Any]) -> StatusType:
    return StatusType(
        id=doc["id"],
        name=doc["name"],
        color=doc["color"],
        kind=StatusKind(doc["kind"]),
        keep_on_disconnect=doc["keep_on_disconnect"],
        can_end_shift=doc["can_end_shift"],
        limit_per_shift=doc["limit_per_shift"],
        allowed_minutes=doc["allowed_minutes"],
        ring_mobile=doc["ring_mobile"],
        queue_login=doc["queue_login"],
        external_calls=doc["external_calls"],
        telephony={
            name: TelephonyMapping(
                presence_profile=m["presence_profile"],
                pause_reason=m["pause_reason"],
                do_not_disturb=m["do_not_disturb"],
                options=m["options"],
            )
            for name, m in doc["telephony"].items()
        },
        selectable=doc["selectable"],
        sort_order=doc["sort_order"],
        archived=doc["archived"],
        built_in=doc["built_in"],
        create_time=_dt(doc["create_time"]),
        update_time=_dt(doc["update_time"]),
        etag=doc["etag"],
    )


def _t(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None
