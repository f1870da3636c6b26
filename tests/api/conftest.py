"""In-process presence servers for the API tests.

- ``server``: a fresh server per test, once per backend.
- ``shared_server``: one server per backend for a whole module (a fresh
  PostgreSQL database costs about a second). Tests using it must use ids
  and names of their own and never count what other tests made. Its clock
  is a ``ManualClock`` starting at ``START``. Tests in such a module need
  ``pytest.mark.asyncio(loop_scope="module")``.
- ``sqlite_server``: a fresh server on SQLite only, where storage is not
  the point (surface, metrics).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio

from presence_server.engine.clock import ManualClock
from tests.conftest import START
from tests.helpers.server import RunningServer, backend_url, running_server


@pytest.fixture
async def server(
    database_url: str, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[RunningServer]:
    """A started server on a free loopback port, with aio stubs to it."""
    async with running_server(database_url, tmp_path / "data", clock=clock) as running:
        yield running


@pytest_asyncio.fixture(
    scope="module", loop_scope="module", params=["sqlite", "postgresql"]
)
async def shared_server(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[RunningServer]:
    """One server per backend, shared by the tests of a module."""
    data_dir = tmp_path_factory.mktemp("server")
    async with (
        backend_url(request.param, data_dir) as url,
        running_server(url, data_dir, clock=ManualClock(START)) as running,
    ):
        yield running


@pytest.fixture
async def sqlite_server(
    sqlite_url: str, tmp_path: Path, clock: ManualClock
) -> AsyncIterator[RunningServer]:
    """A started server on SQLite only, for tests where storage is not the point."""
    async with running_server(sqlite_url, tmp_path / "data", clock=clock) as running:
        yield running
