"""The engine's driver-level SQL: what it costs as history grows."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, event

from presence_server.engine.store import load_seen_requests
from presence_server.storage.models import Base


def test_request_id_lookup_walks_the_primary_key_not_every_stored_key(
    tmp_path: Path,
) -> None:
    # Every write batch looks its request ids up: a scan of the whole table
    # would make each change slower than the last, for as long as keys live.
    engine = create_engine(f"sqlite:///{tmp_path / 'keys.db'}")
    Base.metadata.create_all(engine)
    issued: list[tuple[str, Any]] = []

    @event.listens_for(engine, "before_cursor_execute")
    def record(_conn: Any, _cursor: Any, sql: str, params: Any, *_: Any) -> None:
        issued.append((sql, params))

    with engine.connect() as connection:
        found = load_seen_requests(connection, [("ann", "r1"), ("bob", "r2")])
        (sql, params), *_ = issued
        plan = connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}", params).all()
    engine.dispose()

    steps = [row[-1] for row in plan]
    assert found == {}
    assert not [step for step in steps if step.startswith("SCAN idempotency_keys")]
    assert any(
        "idempotency_keys USING" in step and "request_id=?" in step for step in steps
    ), steps
