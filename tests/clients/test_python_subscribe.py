"""``PresenceClient.subscribe`` against a real server: snapshot, events, resume."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from presence_client import (
    InvalidArgumentError,
    PresenceClient,
    RetryPolicy,
    Snapshot,
    Subscription,
    SubscriptionItem,
)
from presence_client.messages import EventType, PresenceEvent

from tests.clients.conftest import create_agent
from tests.helpers.server import DEFAULT_TIMEOUT, ServerProcess

PATIENT = RetryPolicy(attempts=200, initial_backoff=0.02, max_backoff=0.1)


async def take(
    items: AsyncIterator[SubscriptionItem], count: int
) -> list[SubscriptionItem]:
    """The next ``count`` items, failing after the default timeout."""
    async with asyncio.timeout(DEFAULT_TIMEOUT):
        return [await anext(items) for _ in range(count)]


async def events_until(
    subscription: Subscription, revision: int
) -> list[SubscriptionItem]:
    """Every item up to the one at ``revision``, failing after the timeout."""
    items: list[SubscriptionItem] = []
    async with asyncio.timeout(DEFAULT_TIMEOUT):
        async for item in subscription:
            items.append(item)
            if item.revision >= revision:
                return items
    raise AssertionError("the subscription ended")


async def test_subscription_starts_with_a_snapshot_then_yields_each_event(
    client: PresenceClient,
) -> None:
    agent = await create_agent(client, team="violet")
    await create_agent(client, team="elsewhere")

    async with client.subscribe(teams=["violet"]) as subscription:
        [snapshot] = await take(subscription, 1)
        change = await client.set_status(agent, "available")
        items = await events_until(subscription, change.presence.revision)

    assert isinstance(snapshot, Snapshot)
    assert [p.agent_id for p in snapshot.presences] == [agent]
    assert not snapshot.resync
    assert all(isinstance(item, PresenceEvent) for item in items)
    events = [item for item in items if isinstance(item, PresenceEvent)]
    assert {e.agent_id for e in events} == {agent}
    assert EventType.EVENT_TYPE_STATUS_CHANGED in [e.type for e in events]
    assert events[-1].current.status.id == "available"
    assert subscription.revision == change.presence.revision


async def test_resuming_from_a_revision_the_server_lacks_starts_with_a_resync(
    client: PresenceClient, agent: str
) -> None:
    async with client.subscribe(from_revision=1_000_000) as subscription:
        [snapshot] = await take(subscription, 1)

    assert isinstance(snapshot, Snapshot)
    assert snapshot.resync
    assert agent in [p.agent_id for p in snapshot.presences]


async def test_a_bad_filter_is_raised_not_retried(client: PresenceClient) -> None:
    with pytest.raises(InvalidArgumentError):
        async with client.subscribe(from_revision=-1) as subscription:
            await take(subscription, 1)


async def test_subscription_survives_a_restart_without_losing_or_repeating_events(
    tmp_path: Path, free_address: str
) -> None:
    data = tmp_path / "data"
    first = ServerProcess(data, listen_address=free_address).start()
    await asyncio.to_thread(first.wait_until_listening)
    second: ServerProcess | None = None
    try:
        async with PresenceClient(free_address, retry=PATIENT) as client:
            agent = await create_agent(client)
            subscription = client.subscribe()
            [snapshot] = await take(subscription, 1)
            await client.set_status(agent, "available")
            before = await client.set_status(agent, "break")
            seen = await events_until(subscription, before.presence.revision)

            # Down and back; changes made right away may land before the
            # subscription is back: it must fetch them when it resumes.
            assert await asyncio.to_thread(first.stop) == 0
            second = ServerProcess(data, listen_address=free_address).start()
            await asyncio.to_thread(second.wait_until_listening)
            await client.set_status(agent, "lunch")
            after = await client.set_status(agent, "available")
            seen += await events_until(subscription, after.presence.revision)
            await subscription.aclose()
    finally:
        for process in (first, second):
            if process is not None:
                await asyncio.to_thread(process.stop)
                if process.process.stdout is not None:
                    process.process.stdout.close()

    assert isinstance(snapshot, Snapshot)
    # Every revision once, in order, and no snapshot after the first.
    revisions = [item.revision for item in seen]
    assert revisions == list(range(snapshot.revision + 1, after.presence.revision + 1))
    assert all(isinstance(item, PresenceEvent) for item in seen)
    assert subscription.reconnects >= 1
    statuses = [
        item.current.status.id
        for item in seen
        if isinstance(item, PresenceEvent)
        and item.type == EventType.EVENT_TYPE_STATUS_CHANGED
    ]
    assert statuses == ["available", "break", "lunch", "available"]
