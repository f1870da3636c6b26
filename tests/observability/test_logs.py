"""Log formats: text and JSON lines, with the facts passed as ``extra``."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from presence_server.observability.logs import configure_logging, request_id


@pytest.fixture
def stream() -> Iterator[io.StringIO]:
    """Logging configured into a buffer; restored to pytest's afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    buffer = io.StringIO()
    yield buffer
    for handler in list(root.handlers):
        root.removeHandler(handler)
    for handler in handlers:
        root.addHandler(handler)
    root.setLevel(level)


def test_text_line_has_time_level_logger_message_and_facts(
    stream: io.StringIO,
) -> None:
    configure_logging("INFO", "text", stream)

    logging.getLogger("presence_server.test").info(
        "status set to %s", "break", extra={"agent_id": "alice"}
    )

    line = stream.getvalue().rstrip("\n")
    time, level, logger, *rest = line.split(" ")
    assert time.endswith("Z")
    assert (level, logger) == ("INFO", "presence_server.test")
    assert " ".join(rest) == "status set to break agent_id=alice"


def test_json_is_one_object_per_line_with_facts_and_request_id(
    stream: io.StringIO,
) -> None:
    configure_logging("DEBUG", "json", stream)
    token = request_id.set("req-7")

    try:
        logging.getLogger("presence_server.test").debug(
            "two\nlines", extra={"agent_id": "bob"}
        )
        try:
            raise ValueError("boom")
        except ValueError:
            logging.getLogger("presence_server.test").exception("failed")
    finally:
        request_id.reset(token)

    lines = stream.getvalue().splitlines()
    first, second = (json.loads(line) for line in lines)
    assert len(lines) == 2
    assert first["message"] == "two\nlines"
    assert (first["level"], first["logger"]) == ("DEBUG", "presence_server.test")
    assert (first["agent_id"], first["request_id"]) == ("bob", "req-7")
    assert "ValueError: boom" in second["exception"]


def test_level_filters_lower_records(stream: io.StringIO) -> None:
    configure_logging("WARNING", "text", stream)

    logging.getLogger("presence_server.test").info("not shown")

    assert stream.getvalue() == ""


def test_configuring_twice_does_not_duplicate_lines(stream: io.StringIO) -> None:
    configure_logging("INFO", "text", stream)
    configure_logging("INFO", "text", stream)

    logging.getLogger("presence_server.test").info("once")

    assert stream.getvalue().count("once") == 1
