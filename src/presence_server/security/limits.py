"""Per-identity limits: a token bucket for mutating calls, a stream cap.

Both count by ``Identity.key`` and take time from an injected monotonic
function (seconds), so tests step time instead of sleeping. The rate uses
real elapsed time, not the server's (possibly simulated) clock: a replay's
clock standing still must not freeze the buckets.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass

from presence_server.domain.errors import QuotaExceeded, QuotaViolation


@dataclass(slots=True)
class _Bucket:
    tokens: float
    at: float


class RateLimiter:
    """``rate`` calls per second per identity, ``burst`` at once.

    Known limitation: buckets live in this process. Several server instances
    behind a balancer each grant the full rate. Once there are many buckets,
    those idle long enough to be full again are dropped, so memory follows
    the number of recently active identities. The sweep runs at most once per
    refill period, not on every call: a busy server does not pay for it.
    """

    def __init__(
        self,
        rate: float,
        burst: int,
        monotonic: Callable[[], float] = time.monotonic,
    ) -> None:
        self._rate = rate
        self._burst = float(burst)
        self._monotonic = monotonic
        self._buckets: dict[str, _Bucket] = {}
        self._swept = monotonic()

    def take(self, key: str) -> None:
        """Spend one call of ``key``; ``QuotaExceeded`` with a wait if none left."""
        now = self._monotonic()
        bucket = self._buckets.get(key)
        if bucket is None:
            bucket = self._buckets[key] = _Bucket(self._burst, now)
        bucket.tokens = min(self._burst, bucket.tokens + (now - bucket.at) * self._rate)
        bucket.at = now
        if bucket.tokens >= 1.0:
            bucket.tokens -= 1.0
            self._forget_full(now)
            return
        wait = (1.0 - bucket.tokens) / self._rate
        retry_ms = max(1, math.ceil(wait * 1000))
        raise QuotaExceeded(
            f"too many changes from {key}: at most {self._rate:g} per second "
            f"(bursts of {self._burst:g}); retry in {retry_ms} ms",
            reason="RATE_LIMITED",
            metadata={"identity": key, "retry_after_ms": str(retry_ms)},
            quota_violations=[
                QuotaViolation(
                    f"identity/{key}",
                    f"{self._rate:g} mutating calls per second, burst {self._burst:g}",
                )
            ],
            retry_after=wait,
        )

    @property
    def tracked(self) -> int:
        """How many identities hold a bucket now."""
        return len(self._buckets)

    def _forget_full(self, now: float) -> None:
        full = self._burst / self._rate
        if len(self._buckets) < 1024 or now - self._swept < full:
            return
        self._swept = now
        for key, bucket in list(self._buckets.items()):
            if now - bucket.at >= full:
                del self._buckets[key]


class StreamCap:
    """At most ``limit`` open streams per identity; ``release`` in a finally."""

    def __init__(self, limit: int) -> None:
        self._limit = limit
        self._open: dict[str, int] = {}

    def acquire(self, key: str) -> None:
        """Count one more stream of ``key``; ``QuotaExceeded`` if at the cap."""
        count = self._open.get(key, 0)
        if count >= self._limit:
            raise QuotaExceeded(
                f"{key} already has {count} streams open (Connect and "
                f"SubscribePresence together), the most allowed; close one first",
                reason="TOO_MANY_STREAMS",
                metadata={"identity": key, "limit": str(self._limit)},
                quota_violations=[
                    QuotaViolation(
                        f"identity/{key}", f"at most {self._limit} open streams"
                    )
                ],
            )
        self._open[key] = count + 1

    def release(self, key: str) -> None:
        """Count one stream of ``key`` less."""
        count = self._open.get(key, 0) - 1
        if count > 0:
            self._open[key] = count
        else:
            self._open.pop(key, None)

    def open_streams(self, key: str) -> int:
        """How many streams ``key`` has open now."""
        return self._open.get(key, 0)
