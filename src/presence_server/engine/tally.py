"""How many agents are in each status, kept from the events; for metrics."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence

from presence_server.domain.presence import Event, PresenceView


class StatusTally:
    """Agents per effective status id, updated from committed events.

    ``snapshot`` may be called from any thread (the metrics endpoint's): it
    copies a dict, which the GIL keeps consistent.
    """

    def __init__(self) -> None:
        self._status: dict[str, str] = {}
        self._counts: Counter[str] = Counter()

    def reset(self, views: Sequence[PresenceView]) -> None:
        self._status = {v.agent_id: v.effective.id for v in views}
        self._counts = Counter(self._status.values())

    def on_events(self, events: Sequence[Event]) -> None:
        for event in events:
            if event.current is None:
                continue
            new = event.current.effective.id
            old = self._status.get(event.agent_id)
            if old == new:
                continue
            if old is not None:
                self._counts[old] -= 1
            self._counts[new] += 1
            self._status[event.agent_id] = new

    def snapshot(self) -> dict[str, int]:
        return {status: n for status, n in self._counts.copy().items() if n}
