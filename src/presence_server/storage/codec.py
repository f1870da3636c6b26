"""Presence state and views as JSON documents, for the presence row and events.

Instants are ISO 8601 strings in UTC; enums by value. ``from_json`` accepts
exactly what ``to_json`` writes.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from presence_server.domain.presence import (
    Activity,
    ActivityKind,
    Actor,
    ConnectionState,
    Presence,
    PresenceView,
    Session,
    SessionKind,
    Source,
    StatusRef,
    Upcoming,
)

Json = dict[str, Any]


def _t(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def _dt(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value is not None else None


def _req(value: str) -> datetime:
    return datetime.fromisoformat(value)


def actor_to_json(actor: Actor) -> Json:
    return {"source": actor.source.value, "name": actor.name, "reason": actor.reason}


def actor_from_json(doc: Json) -> Actor:
    return Actor(Source(doc["source"]), doc["name"], doc["reason"])


def _activity(a: Activity) -> Json:
    return {"kind": a.kind.value, "external_id": a.external_id, "start": _t(a.start)}


def _activity_from(doc: Json) -> Activity:
    return Activity(ActivityKind(doc["kind"]), doc["external_id"], _req(doc["start"]))


def _session(x: Session) -> Json:
    return {
        "id": x.id,
        "kind": x.kind.value,
        "opened_at": _t(x.opened_at),
        "instance": x.instance,
        "expires_at": _t(x.expires_at),
        "ttl_seconds": x.ttl_seconds,
        "client": x.client,
    }


def _session_from(doc: Json) -> Session:
    return Session(
        id=doc["id"],
        kind=SessionKind(doc["kind"]),
        opened_at=_req(doc["opened_at"]),
        instance=doc["instance"],
        expires_at=_dt(doc["expires_at"]),
        ttl_seconds=doc["ttl_seconds"],
        client=doc["client"],
    )


def presence_to_json(p: Presence) -> Json:
    upcoming = None
    if p.upcoming is not None:
        upcoming = {
            "status_id": p.upcoming.status_id,
            "actor": actor_to_json(p.upcoming.actor),
            "chosen_at": _t(p.upcoming.chosen_at),
        }
    return {
        "status_id": p.status_id,
        "status_since": _t(p.status_since),
        "use_spent": p.use_spent,
        "segment_since": _t(p.segment_since),
        "overage_since": _t(p.overage_since),
        "effective_id": p.effective_id,
        "effective_since": _t(p.effective_since),
        "period_actor": actor_to_json(p.period_actor),
        "period_new_use": p.period_new_use,
        "upcoming": upcoming,
        "activities": [_activity(a) for a in p.activities],
        "wrap_up_until": _t(p.wrap_up_until),
        "shift_id": p.shift_id,
        "shift_start": _t(p.shift_start),
        "uses": dict(p.uses),
        "sessions": [_session(x) for x in p.sessions],
        "connection": p.connection.value,
        "lost_at": _t(p.lost_at),
        "grace_until": _t(p.grace_until),
    }


def presence_from_json(agent_id: str, revision: int, doc: Json) -> Presence:
    up = doc["upcoming"]
    upcoming = None
    if up is not None:
        upcoming = Upcoming(
            up["status_id"], actor_from_json(up["actor"]), _req(up["chosen_at"])
        )
    return Presence(
        agent_id=agent_id,
        status_id=doc["status_id"],
        status_since=_req(doc["status_since"]),
        use_spent=doc["use_spent"],
        segment_since=_dt(doc["segment_since"]),
        overage_since=_dt(doc["overage_since"]),
        effective_id=doc["effective_id"],
        effective_since=_req(doc["effective_since"]),
        period_actor=actor_from_json(doc["period_actor"]),
        period_new_use=doc["period_new_use"],
        upcoming=upcoming,
        activities=tuple(_activity_from(a) for a in doc["activities"]),
        wrap_up_until=_dt(doc["wrap_up_until"]),
        shift_id=doc["shift_id"],
        shift_start=_dt(doc["shift_start"]),
        uses=doc["uses"],
        sessions=tuple(_session_from(x) for x in doc["sessions"]),
        connection=ConnectionState(doc["connection"]),
        lost_at=_dt(doc["lost_at"]),
        grace_until=_dt(doc["grace_until"]),
        revision=revision,
    )


def _ref(r: StatusRef) -> Json:
    return {"id": r.id, "name": r.name, "color": r.color, "kind": r.kind}


def _ref_from(doc: Json) -> StatusRef:
    return StatusRef(doc["id"], doc["name"], doc["color"], doc["kind"])


def view_to_json(v: PresenceView) -> Json:
    return {
        "agent_id": v.agent_id,
        "display_name": v.display_name,
        "team": v.team,
        "status": _ref(v.status),
        "effective": _ref(v.effective),
        "upcoming": _ref(v.upcoming) if v.upcoming else None,
        "activities": [_activity(a) for a in v.activities],
        "since": _t(v.since),
        "status_since": _t(v.status_since),
        "allowed_seconds": v.allowed_seconds,
        "used_seconds": v.used_seconds,
        "overage_since": _t(v.overage_since),
        "uses_this_shift": v.uses_this_shift,
        "limit_per_shift": v.limit_per_shift,
        "connection": v.connection.value,
        "shift_id": v.shift_id,
        "shift_start": _t(v.shift_start),
        "wrap_up_until": _t(v.wrap_up_until),
        "routable": v.routable,
        "revision": v.revision,
        "as_of": _t(v.as_of),
    }


def view_from_json(doc: Json) -> PresenceView:
    return PresenceView(
        agent_id=doc["agent_id"],
        display_name=doc["display_name"],
        team=doc["team"],
        status=_ref_from(doc["status"]),
        effective=_ref_from(doc["effective"]),
        upcoming=_ref_from(doc["upcoming"]) if doc["upcoming"] else None,
        activities=tuple(_activity_from(a) for a in doc["activities"]),
        since=_req(doc["since"]),
        status_since=_req(doc["status_since"]),
        allowed_seconds=doc["allowed_seconds"],
        used_seconds=doc["used_seconds"],
        overage_since=_dt(doc["overage_since"]),
        uses_this_shift=doc["uses_this_shift"],
        limit_per_shift=doc["limit_per_shift"],
        connection=ConnectionState(doc["connection"]),
        shift_id=doc["shift_id"],
        shift_start=_dt(doc["shift_start"]),
        wrap_up_until=_dt(doc["wrap_up_until"]),
        routable=doc["routable"],
        revision=doc["revision"],
        as_of=_req(doc["as_of"]),
    )
