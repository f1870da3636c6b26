"""What exists on first start: built-in status types and seeded defaults."""

from __future__ import annotations

import logging
from dataclasses import replace
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from presence_server.catalog.common import CATALOG_LOCK
from presence_server.domain.status_types import (
    BUILT_IN_TYPES,
    SEEDED_TYPES,
    StatusType,
)
from presence_server.storage import status_types as repo
from presence_server.storage.db import take_lock

logger = logging.getLogger(__name__)


async def seed(session: AsyncSession, now: datetime) -> list[str]:
    """Store what is missing; return the ids added.

    On an empty table: every built-in and every seeded default. Later: only
    built-ins whose id was never stored (a new version may bring new ones),
    so a default an administrator deleted, archived or renamed stays so.
    """
    await take_lock(session, CATALOG_LOCK)
    if await repo.count_rows(session) == 0:
        added = [*BUILT_IN_TYPES, *SEEDED_TYPES]
        session.add_all(repo.new_row(status_type, now) for status_type in added)
        logger.info(
            "created %d built-in and %d default status types",
            len(BUILT_IN_TYPES),
            len(SEEDED_TYPES),
        )
        return [status_type.id for status_type in added]

    known = await repo.existing_ids(session)
    added_ids: list[str] = []
    for built_in in BUILT_IN_TYPES:
        if built_in.id in known:
            continue
        name = await _free_name(session, built_in)
        session.add(repo.new_row(replace(built_in, name=name), now))
        added_ids.append(built_in.id)
        logger.info(
            "added the missing built-in status type %r as %r", built_in.id, name
        )
    return added_ids


async def _free_name(session: AsyncSession, built_in: StatusType) -> str:
    # An administrator's type may hold the name meanwhile; the built-in must
    # exist all the same, under a name that says what it is.
    candidates = [built_in.name, f"{built_in.name} (built-in)"]
    candidates += [f"{built_in.name} (built-in {n})" for n in range(2, 100)]
    for name in candidates:
        if await repo.find_live_by_name(session, name) is None:
            return name
    raise RuntimeError(f"no free name for the built-in status type {built_in.id!r}")
