"""UTCDateTime: instants go in as UTC and come out aware in UTC, whatever TZ."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Column, Integer, MetaData, Table, insert, select, text
from sqlalchemy.exc import StatementError

from presence_server.storage import Database
from presence_server.storage.types import UTCDateTime

_metadata = MetaData()
instants = Table(
    "instants",
    _metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime(), nullable=True),
)

# Just after the 2025 spring-forward in Jerusalem (Friday 28 March, 02:00).
INSTANT = datetime(2025, 3, 28, 3, 15, 30, 123456, tzinfo=ZoneInfo("Asia/Jerusalem"))


@pytest.fixture(
    params=["UTC", "Asia/Jerusalem", "America/New_York", "Pacific/Kiritimati"]
)
def process_tz(request: pytest.FixtureRequest) -> Iterator[str]:
    """Run the test with the process time zone set, as ``TZ=...`` would."""
    before = os.environ.get("TZ")
    os.environ["TZ"] = request.param
    time.tzset()
    try:
        yield request.param
    finally:
        if before is None:
            del os.environ["TZ"]
        else:
            os.environ["TZ"] = before
        time.tzset()


@pytest.fixture
async def db(database_url: str, process_tz: str) -> AsyncIterator[Database]:
    db = Database(database_url)
    async with db.engine.begin() as connection:
        await connection.run_sync(_metadata.create_all)
    try:
        yield db
    finally:
        await db.dispose()


async def test_instant_reads_back_equal_and_aware_in_utc(
    db: Database, process_tz: str
) -> None:
    # The zone really is in effect (a missing zone file would fall back to UTC).
    local_offset = datetime.now().astimezone().utcoffset()
    assert (local_offset == timedelta(0)) == (process_tz == "UTC")

    async with db.write() as session:
        await session.execute(insert(instants).values(id=1, at=INSTANT))
    async with db.read() as session:
        stored = (await session.execute(select(instants.c.at))).scalar_one()

    assert stored == INSTANT
    assert stored.tzinfo is UTC
    assert stored == datetime(2025, 3, 28, 0, 15, 30, 123456, tzinfo=UTC)


async def test_instant_is_stored_as_utc_wall_time(
    db: Database, process_tz: str
) -> None:
    async with db.write() as session:
        await session.execute(insert(instants).values(id=1, at=INSTANT))
    if db.dialect_name == "sqlite":
        query = "SELECT at FROM instants"
    else:
        query = "SELECT to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI:SS') "
        query += "FROM instants"
    async with db.read() as session:
        raw = (await session.execute(text(query))).scalar_one()

    assert str(raw).startswith("2025-03-28 00:15:30")


@pytest.mark.parametrize("database_url", ["postgresql"], indirect=True)
@pytest.mark.parametrize("process_tz", ["America/New_York"], indirect=True)
async def test_postgresql_session_time_zone_does_not_change_what_is_read(
    db: Database, process_tz: str
) -> None:
    async with db.write() as session:
        await session.execute(insert(instants).values(id=1, at=INSTANT))

    async with db.read() as session:
        await session.execute(text("SET LOCAL TIME ZONE 'Asia/Tokyo'"))
        stored = (await session.execute(select(instants.c.at))).scalar_one()

    assert stored == INSTANT
    assert stored.utcoffset() == timedelta(0)


@pytest.mark.parametrize("process_tz", ["Asia/Jerusalem"], indirect=True)
async def test_offsets_other_than_utc_are_converted_on_write(
    db: Database, process_tz: str
) -> None:
    minus_five = datetime(2025, 11, 2, 1, 30, tzinfo=timezone(timedelta(hours=-5)))

    async with db.write() as session:
        await session.execute(insert(instants).values(id=1, at=minus_five))
    async with db.read() as session:
        stored = (await session.execute(select(instants.c.at))).scalar_one()

    assert stored == datetime(2025, 11, 2, 6, 30, tzinfo=UTC)


@pytest.mark.parametrize("process_tz", ["America/New_York"], indirect=True)
async def test_naive_datetime_is_refused_and_nothing_stored(
    db: Database, process_tz: str
) -> None:
    async def store_naive() -> None:
        async with db.write() as session:
            await session.execute(
                insert(instants).values(id=1, at=datetime(2025, 3, 28, 3, 15))
            )

    with pytest.raises(StatementError, match="naive datetime"):
        await store_naive()

    async with db.read() as session:
        count = (await session.execute(text("SELECT count(*) FROM instants"))).scalar()
    assert count == 0


@pytest.mark.parametrize("process_tz", ["UTC"], indirect=True)
async def test_null_stays_null(db: Database, process_tz: str) -> None:
    async with db.write() as session:
        await session.execute(insert(instants).values(id=1, at=None))
    async with db.read() as session:
        stored = (await session.execute(select(instants.c.at))).scalar_one()

    assert stored is None
