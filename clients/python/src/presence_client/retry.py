"""When and how often the client tries again: :class:`RetryPolicy` and backoff.

Retrying is safe only where a repeat cannot do anything twice. The client
retries:

- the presence calls that carry a ``request_id`` (``set_status``,
  ``start_activity``...), always with the same id, so the server answers a
  repeat with the first result and never counts it twice;
- reads (``get_presence``, ``list_presence``, the admin ``get``/``list``).

It never retries the admin writes (create, update, archive, delete): the
server does not deduplicate them, and a lost answer to a create would come
back as ``ALREADY_EXISTS``.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable
from dataclasses import dataclass

from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception,
    stop_after_attempt,
    stop_after_delay,
    wait_exponential,
    wait_random,
)
from tenacity.stop import stop_base

from .errors import PresenceError, is_transient

logger = logging.getLogger(__name__)

#: Told of each failed (re)connect of a stream: the error, the number of
#: failures in a row (1 for the first), and the seconds until the next try.
OnRetry = Callable[[PresenceError, int, float], None]

#: Told each time a stream is up again after it was down or never up.
OnConnect = Callable[[], None]


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How a retried call is retried after UNAVAILABLE or DEADLINE_EXCEEDED.

    Attributes:
        attempts: tries in all, the first included; 1 turns retrying off.
        initial_backoff: seconds before the second try; doubles each time,
            with up to as much again of random jitter.
        max_backoff: the longest wait between two tries.
        total_seconds: no new try starts after this many seconds since the
            first; ``None`` for no bound but ``attempts``.
    """

    attempts: int = 6
    initial_backoff: float = 0.1
    max_backoff: float = 2.0
    total_seconds: float | None = 20.0

    @classmethod
    def never(cls) -> RetryPolicy:
        """One try only: every failure reaches the caller at once."""
        return cls(attempts=1)

    def retrying(self, what: str) -> AsyncRetrying:
        """A tenacity controller for one call named ``what`` (for the log)."""
        stop: stop_base = stop_after_attempt(max(1, self.attempts))
        if self.total_seconds is not None:
            stop = stop | stop_after_delay(self.total_seconds)

        def log_retry(state: RetryCallState) -> None:
            failure = state.outcome.exception() if state.outcome else None
            logger.warning(
                "%s failed (%s), try %d of %d; retrying",
                what,
                failure,
                state.attempt_number,
                self.attempts,
            )

        return AsyncRetrying(
            stop=stop,
            wait=wait_exponential(multiplier=self.initial_backoff, max=self.max_backoff)
            + wait_random(0, self.initial_backoff),
            retry=retry_if_exception(is_transient),
            before_sleep=log_retry,
            reraise=True,
        )


@dataclass(slots=True)
class Backoff:
    """Delays between reconnects of a long-lived stream, reset on success.

    Starts at ``initial`` seconds, doubles up to ``maximum``, each delay
    drawn between half and all of its value so that many clients cut off
    together do not come back in step.
    """

    initial: float = 0.05
    maximum: float = 1.0
    _next: float = 0.0

    def delay(self) -> float:
        """The wait before the next reconnect; grows for the one after."""
        current = self._next or self.initial
        self._next = min(current * 2, self.maximum)
        return random.uniform(current / 2, current)

    def reset(self) -> None:
        """A stream worked again: the next failure starts from ``initial``."""
        self._next = 0.0
