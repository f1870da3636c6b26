"""Which agents a subscriber follows: a predicate over presence views."""

from __future__ import annotations

from dataclasses import dataclass

from presence_server.domain.presence import PresenceView


@dataclass(frozen=True, slots=True)
class ViewFilter:
    """A subscription's filter; every part given must hold (empty = any).

    Hashable: subscribers with equal filters share the work of matching and
    encoding each batch of events.
    """

    agent_ids: frozenset[str] = frozenset()
    teams: frozenset[str] = frozenset()
    status_ids: frozenset[str] = frozenset()
    kinds: frozenset[str] = frozenset()
    routable_only: bool = False
    in_activity: bool | None = None

    @property
    def everything(self) -> bool:
        return self == _EVERYTHING

    def matches(self, v: PresenceView) -> bool:
        if self.agent_ids and v.agent_id not in self.agent_ids:
            return False
        if self.teams and v.team not in self.teams:
            return False
        if self.status_ids and v.effective.id not in self.status_ids:
            return False
        if self.kinds and v.effective.kind not in self.kinds:
            return False
        if self.routable_only and not v.routable:
            return False
        return self.in_activity is None or self.in_activity == bool(v.activities)

    def wants(
        self, previous: PresenceView | None, current: PresenceView | None
    ) -> bool:
        """Whether a change from ``previous`` to ``current`` concerns us.

        True when either side matches, so that a subscriber also learns of
        an agent leaving its view. A change without any presence (a status
        type change) concerns everyone.
        """
        if previous is None and current is None:
            return True
        return (previous is not None and self.matches(previous)) or (
            current is not None and self.matches(current)
        )


_EVERYTHING = ViewFilter()
