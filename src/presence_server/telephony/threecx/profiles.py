"""A user's forwarding profiles, and which one a configured name means.

A status mapping (``presence_profile``) or a ``PROFILE_*`` setting names a
profile as an administrator knows it: its ``Name``, its ``CustomName`` (the
custom profiles can be renamed) or its type (``ProfileType``: ``Available``,
``Away``, ``OutOfOffice``, ``Available2``, ``OutOfOffice2``, ``Default``).
``resolve`` finds it among the user's profiles, case-insensitively, in that
order; the adapter then sends that profile's ``Name`` as
``CurrentProfileName``, the one string a PATCH of the user is sure to take.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# 3CX v20's profile types and the Name a profile of each type has out of the
# box (Default has none of its own).
# Known limitation: the published description gives a forwarding profile no
# type field, so a profile's type is recognised by its Name only: the type
# token itself ("OutOfOffice", spaces and case ignored) or 3CX's stock
# English name below. A profile whose Name was changed (a localized PBX) is
# found by its Name or CustomName, not by its type.
PROFILE_TYPES: Mapping[str, str] = {
    "available": "available",
    "away": "away",
    "outofoffice": "out of office",
    "available2": "custom 1",
    "outofoffice2": "custom 2",
    "default": "",
}


@dataclass(frozen=True, slots=True)
class Profile:
    """One forwarding profile of a user, as far as the adapter uses it."""

    id: int
    name: str
    custom_name: str = ""
    ring_my_mobile: bool = False

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> Profile:
        return cls(
            id=int(data["Id"]),
            name=str(data.get("Name") or ""),
            custom_name=str(data.get("CustomName") or ""),
            ring_my_mobile=bool(data.get("RingMyMobile")),
        )

    @property
    def label(self) -> str:
        """How a log line names it: ``Custom 1 (Lunch break)``."""
        if self.custom_name and self.custom_name != self.name:
            return f"{self.name} ({self.custom_name})"
        return self.name


def profiles_from_json(items: Iterable[Mapping[str, Any]]) -> tuple[Profile, ...]:
    return tuple(Profile.from_json(item) for item in items)


def resolve(wanted: str, profiles: Sequence[Profile]) -> Profile | None:
    """The profile ``wanted`` names: by Name, else CustomName, else type."""
    key = _fold(wanted)
    if not key:
        return None
    for found in (
        next((p for p in profiles if _fold(p.name) == key), None),
        next(
            (p for p in profiles if p.custom_name and _fold(p.custom_name) == key), None
        ),
        _of_type(key.replace(" ", ""), profiles),
    ):
        if found is not None:
            return found
    return None


def same(name: str, profile: Profile) -> bool:
    """Whether a ``CurrentProfileName`` read from the PBX is ``profile``."""
    return _fold(name) == _fold(profile.name)


def labels(profiles: Sequence[Profile]) -> str:
    """The profiles a user has, for a log line or an error."""
    return ", ".join(p.label for p in profiles) or "none"


def _of_type(token: str, profiles: Sequence[Profile]) -> Profile | None:
    if token not in PROFILE_TYPES:
        return None
    stock = PROFILE_TYPES[token]
    for profile in profiles:
        name = _fold(profile.name)
        if name.replace(" ", "") == token or (stock and name == stock):
            return profile
    return None


def _fold(value: str) -> str:
    return " ".join(value.split()).casefold()
