"""How status types look in a terminal: a table, a record, a color swatch."""

from __future__ import annotations

from typing import Any

from presence_client.proto import common_pb2
from rich.color import Color, ColorParseError
from rich.style import Style
from rich.table import Table
from rich.text import Text

from presence_server.cli.ctl_output import timestamp, yes_no


def kind_label(value: common_pb2.StatusKind.ValueType) -> str:
    """``STATUS_KIND_AVAILABLE`` as ``available`` (the number if unknown)."""
    try:
        name: str = common_pb2.StatusKind.Name(value)
    except ValueError:
        return str(value)
    return name.removeprefix("STATUS_KIND_").lower()


def swatch(color: str) -> Text:
    """A block drawn in the color, then its hex (just the hex if unparsable)."""
    try:
        parsed = Color.parse(color)
    except ColorParseError:
        return Text(color)
    return Text.assemble(("██", Style(color=parsed)), " ", color)


def _count(value: int) -> str:
    return str(value) if value else "-"


_FLAGS = (
    ("keep_on_disconnect", "keep"),
    ("can_end_shift", "end-shift"),
    ("ring_mobile", "mobile"),
    ("queue_login", "queue"),
    ("external_calls", "external"),
    ("selectable", "selectable"),
)


def _flags(status_type: Any) -> str:
    return " ".join(label for field, label in _FLAGS if getattr(status_type, field))


def status_type_table(status_types: Any) -> Table:
    """The list view: one row per status type, flags as short words."""
    table = Table(
        caption=(
            "limit, allowed min: - = unlimited.  flags: keep = keep on disconnect, "
            "end-shift = can end shift,\nmobile = ring mobile, queue = queue login, "
            "external = external calls, selectable = agents may pick it"
        ),
        caption_justify="left",
    )
    for header in ("id", "name", "color", "kind"):
        table.add_column(header, no_wrap=True)
    table.add_column("limit", justify="right")
    table.add_column("allowed min", justify="right")
    table.add_column("flags")
    table.add_column("archived")
    table.add_column("built-in")
    for st in status_types:
        table.add_row(
            Text(st.id),
            Text(st.name),
            swatch(st.color),
            Text(kind_label(st.kind)),
            Text(_count(st.limit_per_shift)),
            Text(_count(st.allowed_minutes)),
            Text(_flags(st)),
            yes_no(st.archived),
            yes_no(st.built_in),
        )
    return table


def _telephony_text(status_type: Any) -> str:
    parts = []
    for adapter in sorted(status_type.telephony):
        mapping = status_type.telephony[adapter]
        settings = [
            f"presence_profile={mapping.presence_profile}"
            if mapping.presence_profile
            else "",
            f"pause_reason={mapping.pause_reason}" if mapping.pause_reason else "",
            "do_not_disturb=true" if mapping.do_not_disturb else "",
            *(f"{k}={v}" for k, v in sorted(mapping.options.items())),
        ]
        parts.append(f"{adapter}: " + ", ".join(s for s in settings if s))
    return "\n".join(parts) or "-"


def record_rows(st: Any) -> list[tuple[str, Text | str]]:
    """The single view: every field of one status type, one per row."""
    return [
        ("id", st.id),
        ("name", st.name),
        ("color", swatch(st.color)),
        ("kind", kind_label(st.kind)),
        ("limit per shift", _count(st.limit_per_shift)),
        ("allowed minutes", _count(st.allowed_minutes)),
        ("keep on disconnect", yes_no(st.keep_on_disconnect)),
        ("can end shift", yes_no(st.can_end_shift)),
        ("ring mobile", yes_no(st.ring_mobile)),
        ("queue login", yes_no(st.queue_login)),
        ("external calls", yes_no(st.external_calls)),
        ("selectable", yes_no(st.selectable)),
        ("sort order", str(st.sort_order)),
        ("telephony", _telephony_text(st)),
        ("archived", yes_no(st.archived)),
        ("built-in", yes_no(st.built_in)),
        ("created", timestamp(st.create_time, st.HasField("create_time"))),
        ("updated", timestamp(st.update_time, st.HasField("update_time"))),
        ("etag", st.etag or "-"),
    ]
