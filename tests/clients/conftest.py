"""Servers and clients for the client package tests.

- ``server``: an in-process server on SQLite with a ``ManualClock`` (fast;
  time moves only when a test moves it).
- ``client``: a ``PresenceClient`` to it, closed after the test.
- ``agent``: a fresh agent id, created on that server.
- ``free_address``: a loopback address nothing listens on yet, for a
  ``ServerProcess`` that must come back on the same port after a restart.
"""

from __future__ import annotations

import itertools
import socket
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from presence_client import PresenceClient, RetryPolicy
from presence_client.messages import Agent

from presence_server.engine.clock import ManualClock
from tests.helpers.server import RunningServer, running_server

_ids = itertools.count(1)

# Retries that give up fast enough for a test to see the failure.
QUICK_RETRY = RetryPolicy(attempts=3, initial_backoff=0.01, max_backoff=0.05)


@pytest.fixture
async def server(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[RunningServer]:
    async with running_server(sqlite_url, tmp_path / "data", clock=clock) as running:
        yield running


@pytest.fixture
async def client(server: RunningServer) -> AsyncIterator[PresenceClient]:
    async with PresenceClient(server.address, retry=QUICK_RETRY) as opened:
        yield opened


async def create_agent(client: PresenceClient, team: str = "blue") -> str:
    """A new agent on the server; its id."""
    agent_id = f"agent-{next(_ids)}"
    await client.agents.create(Agent(id=agent_id, display_name=agent_id, team=team))
    return agent_id


@pytest.fixture
async def agent(client: PresenceClient) -> str:
    return await create_agent(client)


@pytest.fixture
def free_address() -> str:
    """A loopback port free a moment ago (a later bind may race; rare)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return f"127.0.0.1:{sock.getsockname()[1]}"
