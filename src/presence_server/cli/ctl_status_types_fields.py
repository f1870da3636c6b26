"""What the user typed for a status type, as protobuf.

Only options that were given become fields: ``None`` means "not given", so
create leaves server defaults alone and update names exactly these fields in
its mask.
"""

from __future__ import annotations

import enum
from typing import Any

import typer
from presence_client.proto import common_pb2, status_types_pb2


class Kind(enum.StrEnum):
    """The family of a status, as typed on the command line."""

    AVAILABLE = "available"
    UNAVAILABLE = "unavailable"
    OFFLINE = "offline"
    SYSTEM = "system"


def kind_to_proto(kind: Kind) -> common_pb2.StatusKind.ValueType:
    return common_pb2.StatusKind.Value(f"STATUS_KIND_{kind.value.upper()}")


def parse_telephony(specs: list[str]) -> dict[str, Any]:
    """``ADAPTER:KEY=VALUE`` items as one ``TelephonyMapping`` per adapter.

    ``presence_profile``, ``pause_reason`` and ``do_not_disturb`` (dashes
    allowed) set those fields; any other key is an adapter option.
    """
    mappings: dict[str, Any] = {}
    for spec in specs:
        adapter, colon, setting = spec.partition(":")
        key, equals, value = setting.partition("=")
        if not (adapter and colon and key and equals):
            raise typer.BadParameter(
                f"{spec!r} is not ADAPTER:KEY=VALUE", param_hint="--telephony"
            )
        mapping = mappings.setdefault(adapter, status_types_pb2.TelephonyMapping())
        field = key.replace("-", "_")
        if field in ("presence_profile", "pause_reason"):
            setattr(mapping, field, value)
        elif field == "do_not_disturb":
            mapping.do_not_disturb = _parse_bool(value, spec)
        else:
            mapping.options[key] = value
    return mappings


def _parse_bool(value: str, spec: str) -> bool:
    lowered = value.strip().lower()
    if lowered in ("true", "yes", "on", "1"):
        return True
    if lowered in ("false", "no", "off", "0"):
        return False
    raise typer.BadParameter(
        f"{spec!r}: do_not_disturb must be true or false", param_hint="--telephony"
    )


def field_changes(
    *,
    name: str | None,
    color: str | None,
    kind: Kind | None,
    limit: int | None,
    allowed_minutes: int | None,
    keep_on_disconnect: bool | None,
    can_end_shift: bool | None,
    ring_mobile: bool | None,
    queue_login: bool | None,
    external_calls: bool | None,
    selectable: bool | None,
    sort_order: int | None,
    telephony: dict[str, Any] | None,
) -> dict[str, Any]:
    """Proto field name -> value, for exactly the options that were given."""
    given: dict[str, Any] = {
        "name": name,
        "color": color,
        "kind": kind_to_proto(kind) if kind is not None else None,
        "limit_per_shift": limit,
        "allowed_minutes": allowed_minutes,
        "keep_on_disconnect": keep_on_disconnect,
        "can_end_shift": can_end_shift,
        "ring_mobile": ring_mobile,
        "queue_login": queue_login,
        "external_calls": external_calls,
        "selectable": selectable,
        "sort_order": sort_order,
        "telephony": telephony,
    }
    return {field: value for field, value in given.items() if value is not None}


def apply_changes(status_type: Any, changes: dict[str, Any]) -> None:
    for field, value in changes.items():
        if field == "telephony":
            for adapter, mapping in value.items():
                status_type.telephony[adapter].CopyFrom(mapping)
        else:
            # Setting an ``optional`` field, even to false, marks it present.
            setattr(status_type, field, value)
