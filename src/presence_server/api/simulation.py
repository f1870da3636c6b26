"""``presence.v1.SimulatedClockService``: moving a simulated clock over gRPC.

Registered only on a server started with ``PRESENCE_CLOCK=simulated``; on
any other server the service does not exist and every call is
UNIMPLEMENTED. Advancing goes through the engine, which fires every timer
that comes due on the way, in time order, each at its own instant.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from presence_server._proto.presence.v1 import simulation_pb2, simulation_pb2_grpc
from presence_server.domain.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    PreconditionViolation,
)
from presence_server.domain.presence import LATEST_INSTANT
from presence_server.engine.clock import ManualClock

from .convert import timestamp_to_proto

logger = logging.getLogger(__name__)

# Moves the clock to an instant not earlier than now, firing timers on the way.
Advance = Callable[[datetime], Awaitable[None]]


class SimulatedClockServicer(simulation_pb2_grpc.SimulatedClockServiceServicer):
    """Reads and advances the server's ``ManualClock``; one advance at a time."""

    def __init__(self, clock: ManualClock, advance: Advance | None = None) -> None:
        self._clock = clock
        self._advance = advance or clock.set
        self._lock = asyncio.Lock()

    async def GetClock(
        self, request: simulation_pb2.GetClockRequest, context: Any
    ) -> simulation_pb2.Clock:
        return simulation_pb2.Clock(now=timestamp_to_proto(self._clock.now()))

    async def AdvanceClock(
        self, request: simulation_pb2.AdvanceClockRequest, context: Any
    ) -> simulation_pb2.Clock:
        """Move the clock forward; moving it back is refused, staying is a no-op."""
        async with self._lock:
            now = self._clock.now()
            target = _target(request, now)
            if target > LATEST_INSTANT:
                raise InvalidArgument(
                    [
                        FieldViolation(
                            request.WhichOneof("target") or "target",
                            f"would move the clock past {_iso(LATEST_INSTANT)}, "
                            "the latest instant the server handles",
                        )
                    ]
                )
            if target < now:
                raise FailedPrecondition(
                    f"the simulated clock is at {_iso(now)} and cannot go back to "
                    f"{_iso(target)}; start a new server to replay earlier times",
                    reason="CLOCK_CANNOT_GO_BACK",
                    metadata={"now": _iso(now)},
                    precondition_violations=[
                        PreconditionViolation(
                            "CLOCK", "clock", f"now is {_iso(now)}, after the target"
                        )
                    ],
                )
            if target > now:
                await self._advance(target)
                logger.debug("simulated clock advanced to %s", _iso(target))
        return simulation_pb2.Clock(now=timestamp_to_proto(self._clock.now()))


def _target(request: simulation_pb2.AdvanceClockRequest, now: datetime) -> datetime:
    which = request.WhichOneof("target")
    try:
        if which == "to":
            return request.to.ToDatetime(tzinfo=UTC)
        if which == "by":
            step: timedelta = request.by.ToTimedelta()
            if step < timedelta(0):
                raise InvalidArgument(
                    [FieldViolation("by", "must not be negative; time only moves on")]
                )
            return now + step
    except (ValueError, OverflowError):
        raise InvalidArgument(
            [FieldViolation(which or "target", "is out of range")]
        ) from None
    raise InvalidArgument(
        [FieldViolation("target", "give `to` (an instant) or `by` (a duration)")]
    )


def _iso(instant: datetime) -> str:
    return instant.astimezone(UTC).isoformat().replace("+00:00", "Z")
