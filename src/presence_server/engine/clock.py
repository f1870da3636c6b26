"""The one source of time. Everything that reads the time takes a Clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from typing import Protocol


class Clock(Protocol):
    """Tells the time (always UTC, timezone-aware) and waits for instants."""

    def now(self) -> datetime: ...

    async def sleep_until(self, instant: datetime) -> None:
        """Return once ``now() >= instant``. Cancellable."""
        ...


class SystemClock:
    """Wall-clock time."""

    def now(self) -> datetime:
        return datetime.now(UTC)

    async def sleep_until(self, instant: datetime) -> None:
        delay = (instant - self.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)


class ManualClock:
    """A clock that moves only when told to; for tests and replays.

    Sleepers wake when ``advance``/``set`` moves the time past their instant.
    """

    def __init__(self, start: datetime) -> None:
        if start.tzinfo is None:
            raise ValueError("ManualClock needs a timezone-aware start")
        self._now = start.astimezone(UTC)
        self._changed = asyncio.Condition()

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, instant: datetime) -> None:
        async with self._changed:
            await self._changed.wait_for(lambda: self._now >= instant)

    async def set(self, instant: datetime) -> None:
        """Move to ``instant`` (never backwards) and wake due sleepers."""
        if instant < self._now:
            raise ValueError(f"time cannot go back from {self._now} to {instant}")
        self._now = instant.astimezone(UTC)
        async with self._changed:
            self._changed.notify_all()
        # Let woken sleepers run before the caller goes on.
        await asyncio.sleep(0)

    async def advance(self, delta: timedelta) -> None:
        await self.set(self._now + delta)
