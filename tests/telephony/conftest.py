"""Fixtures for the telephony tests: a catalog with telephony-minded statuses,
and an engine with telephony sync that a test can stop and start again on
the same database (a server restart).

The catalog has two agents with extensions and queues (ann on 1001 in
support and sales, bob on 1002 in support) and the seeded statuses as they
are, telephony included (Break and Lunch pause in the queues, Meeting logs
out). Only the limits per shift are lifted: these tests change statuses far
more often than a shift allows, and the limits are not what they check.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from datetime import timedelta

import pytest
from tenacity import wait_fixed

from presence_server.catalog import Catalog
from presence_server.domain.agents import Agent
from presence_server.domain.presence import Actor, Source
from presence_server.domain.status_types import StatusType, TelephonyMapping
from presence_server.engine import commands as c
from presence_server.engine.clock import ManualClock
from presence_server.engine.rules import EngineConfig
from presence_server.engine.service import PresenceEngine
from presence_server.storage import Database
from presence_server.telephony import SyncOptions, TelephonyAdapter, TelephonySync

AGENT = Actor(Source.AGENT, "ann")

# Retries wait one second of the test's ManualClock: they happen when a
# test moves the clock, or at once when a newer desired state arrives.
OPTIONS = SyncOptions(call_timeout=10, wait=wait_fixed(1), poll=timedelta(hours=1))


@pytest.fixture
async def catalog(database: Database, clock: ManualClock) -> Catalog:
    catalog = Catalog(database, clock)
    await catalog.ensure_seeded()
    await catalog.create_agent(
        Agent(
            id="ann",
            display_name="Ann",
            extension="1001",
            queues=("support", "sales"),
            mobile_number="+15550001001",
        )
    )
    await catalog.create_agent(
        Agent(id="bob", display_name="Bob", extension="1002", queues=("support",))
    )
    for status_id in ("break", "lunch"):
        await set_fields(catalog, status_id, limit_per_shift=0)
    return catalog


async def set_fields(catalog: Catalog, status_id: str, **fields: object) -> StatusType:
    """Change fields of a status type, as an administrator would."""
    current = await catalog.get_status_type(status_id)
    changed = dataclasses.replace(current, **fields)  # type: ignore[arg-type]
    return await catalog.update_status_type(status_id, changed, list(fields), "")


async def map_status(
    catalog: Catalog, status_id: str, adapter: str, mapping: TelephonyMapping
) -> StatusType:
    current = await catalog.get_status_type(status_id)
    telephony = {**current.telephony, adapter: mapping}
    return await set_fields(catalog, status_id, telephony=telephony)


@dataclasses.dataclass
class Stack:
    """An engine with telephony sync, as a server runs them."""

    engine: PresenceEngine
    sync: TelephonySync

    async def say(self, status_id: str, agent_id: str = "ann") -> tuple[object, object]:
        return await self.engine.execute(agent_id, c.SetStatus(status_id, AGENT))

    async def status(self, agent_id: str = "ann") -> str:
        return (await self.engine.get(agent_id)).status.id

    async def activities(self, agent_id: str = "ann") -> list[str]:
        view = await self.engine.get(agent_id)
        return [a.external_id for a in view.activities]


@asynccontextmanager
async def running(
    database: Database,
    clock: ManualClock,
    adapters: Sequence[TelephonyAdapter],
    options: SyncOptions = OPTIONS,
) -> AsyncIterator[Stack]:
    """Start an engine and telephony sync; stop both on exit."""
    engine = PresenceEngine(database, clock, EngineConfig())
    sync = TelephonySync(engine, adapters, options=options, refresh=timedelta(0))
    await engine.start()
    try:
        await sync.start()
        try:
            yield Stack(engine, sync)
        finally:
            await sync.stop()
    finally:
        await engine.stop()
