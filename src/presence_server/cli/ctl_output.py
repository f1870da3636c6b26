"""What ``presencectl`` prints: rich tables for people, JSON for scripts.

JSON is protobuf's canonical mapping (``json_format``, lowerCamelCase field
names, enums by name, the same as ``grpcurl`` shows) with every field
present, so scripts can rely on the keys; list commands print one JSON array.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable
from typing import Any

import typer
from google.protobuf import json_format
from rich.console import Console
from rich.table import Table
from rich.text import Text

# A table written to a pipe or a file should not be squeezed to 80 columns.
_PIPE_WIDTH = 160


def message_to_dict(message: Any) -> dict[str, Any]:
    """The canonical JSON form of one message, with fields at default values."""
    data = json_format.MessageToDict(message, always_print_fields_with_no_presence=True)
    # json_format puts fields left at their defaults last; keep proto order.
    names = [field.json_name for field in message.DESCRIPTOR.fields]
    return {name: data[name] for name in names if name in data}


def print_json(message: Any) -> None:
    """Print one message as a JSON object."""
    _dump(message_to_dict(message))


def print_json_list(messages: Iterable[Any]) -> None:
    """Print messages as one JSON array (``[]`` when there are none)."""
    _dump([message_to_dict(m) for m in messages])


def _dump(data: Any) -> None:
    typer.echo(json.dumps(data, indent=2, ensure_ascii=False))


def console() -> Console:
    """A console on the current stdout (looked up late so tests can capture it)."""
    out = Console(soft_wrap=False, highlight=False)
    if not out.is_terminal and "COLUMNS" not in os.environ:
        out.width = _PIPE_WIDTH
    return out


def print_table(table: Table) -> None:
    console().print(table)


def print_record(title: str, rows: Iterable[tuple[str, Text | str]]) -> None:
    """One resource as a two-column field/value table under a title."""
    table = Table(title=title, show_header=False, title_justify="left", box=None)
    table.add_column("field", style="bold")
    table.add_column("value")
    for name, value in rows:
        table.add_row(Text(name), value if isinstance(value, Text) else Text(value))
    console().print(table)


def show(
    json_output: bool,
    message: Any,
    *,
    title: str,
    rows: Iterable[tuple[str, Text | str]],
    heading: str | None = None,
) -> None:
    """One resource: its JSON, or an optional heading line and its record."""
    if json_output:
        print_json(message)
        return
    if heading:
        typer.echo(heading)
    print_record(title, rows)


def confirm(json_output: bool, message: Any, text: str) -> None:
    """The answer to an action: its JSON, or one line saying what was done."""
    if json_output:
        print_json(message)
    else:
        typer.echo(text)


def yes_no(value: bool) -> Text:
    return Text("yes" if value else "no")


def timestamp(value: Any, present: bool) -> str:
    """A ``google.protobuf.Timestamp`` as ISO 8601 UTC, or ``-`` when unset."""
    if not present:
        return "-"
    text: str = value.ToJsonString()
    return text
