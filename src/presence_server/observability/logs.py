"""Logging of the server process: stdlib ``logging``, text or JSON lines.

Code logs through a module logger (``logging.getLogger(__name__)``) and
passes facts as ``extra`` (``extra={"agent_id": agent.id}``). Both formats
show those facts; the id of the RPC being served, when there is one, is added
to every record as ``request_id`` (see ``request_id``).
"""

from __future__ import annotations

import contextvars
import json
import logging
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

# Set by the API layer for the duration of one RPC. Each RPC runs in its own
# asyncio task, so a value set there never leaks into another call.
request_id: contextvars.ContextVar[str] = contextvars.ContextVar(
    "request_id", default=""
)

# Attributes every LogRecord has; anything else on a record came from
# ``extra`` and is shown as a fact.
_STANDARD = frozenset(
    vars(logging.LogRecord("", logging.INFO, "", 0, "", None, None))
) | {"message", "asctime", "taskName"}

# Libraries that talk more than an operator needs: aiosqlite logs every
# query at DEBUG, alembic narrates each migration step at INFO (storage logs
# one line of its own with the outcome).
_CHATTY = {
    "aiosqlite": logging.INFO,
    "asyncio": logging.INFO,
    "alembic": logging.WARNING,
}


def _facts(record: logging.LogRecord) -> dict[str, Any]:
    return {k: v for k, v in vars(record).items() if k not in _STANDARD}


def _timestamp(record: logging.LogRecord) -> str:
    instant = datetime.fromtimestamp(record.created, UTC)
    return instant.isoformat(timespec="milliseconds").replace("+00:00", "Z")


class _RequestIdFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        current = request_id.get()
        if current and not hasattr(record, "request_id"):
            record.request_id = current
        return True


class TextFormatter(logging.Formatter):
    """``2025-01-31T09:00:00.000Z INFO presence_server.app message key=value``."""

    def format(self, record: logging.LogRecord) -> str:
        line = (
            f"{_timestamp(record)} {record.levelname} {record.name} "
            f"{record.getMessage()}"
        )
        facts = _facts(record)
        if facts:
            line += " " + " ".join(f"{k}={v}" for k, v in sorted(facts.items()))
        if record.exc_info:
            line += "\n" + self.formatException(record.exc_info)
        return line


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time, level, logger, message, then the facts.

    A traceback, when there is one, is the ``exception`` string; values that
    JSON cannot hold are written as their ``str``.
    """

    def format(self, record: logging.LogRecord) -> str:
        entry: dict[str, Any] = {
            "time": _timestamp(record),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        for key, value in _facts(record).items():
            entry.setdefault(key, value)
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return json.dumps(entry, default=str, ensure_ascii=False)


def configure_logging(level: str, fmt: str, stream: TextIO | None = None) -> None:
    """Send every log record at ``level`` and above to ``stream`` (stderr).

    ``fmt`` is ``"text"`` or ``"json"``. Replaces handlers installed earlier,
    so calling it again reconfigures rather than duplicates.
    """
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if fmt == "json" else TextFormatter())
    handler.addFilter(_RequestIdFilter())

    root = logging.getLogger()
    for old in list(root.handlers):
        root.removeHandler(old)
        old.close()
    root.addHandler(handler)
    root.setLevel(level)
    for name, floor in _CHATTY.items():
        logging.getLogger(name).setLevel(max(floor, root.level))
