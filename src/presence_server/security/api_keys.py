"""Static API keys for integrations, stored as SHA-256 hashes.

The file (``PRESENCE_AUTH_API_KEYS_FILE``) is a JSON list::

    [{"name": "crm", "role": "integration", "sha256": "<hex of the key>"},
     {"name": "wall", "role": "supervisor", "sha256": "...", "teams": ["north"]}]

A presented key is hashed and compared with every entry by
``hmac.compare_digest``, so the time taken does not tell which entry, or
how much of one, matched.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .identity import Identity, Role

_HEX = frozenset("0123456789abcdef")


def hash_key(key: str) -> str:
    """The hex SHA-256 of a key, as the file stores it."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_key() -> str:
    """A fresh random key, long enough to be unguessable."""
    return "pk_" + secrets.token_urlsafe(32)


@dataclass(frozen=True, slots=True)
class _Entry:
    digest: bytes
    identity: Identity


def _entry(doc: Any, index: int) -> _Entry:
    where = f"entry {index}"
    if not isinstance(doc, dict):
        raise ValueError(f"{where} is not an object")
    unknown = set(doc) - {"name", "role", "sha256", "teams", "agent_id"}
    if unknown:
        raise ValueError(f"{where} has unknown fields {sorted(unknown)}")
    name, role, digest = doc.get("name"), doc.get("role"), doc.get("sha256")
    if not isinstance(name, str) or not name:
        raise ValueError(f"{where} needs a 'name'")
    try:
        parsed = Role(role)
    except ValueError:
        raise ValueError(f"{where} ({name}): 'role' {role!r} is no role") from None
    if not (isinstance(digest, str) and len(digest) == 64 and set(digest) <= _HEX):
        raise ValueError(f"{where} ({name}): 'sha256' must be 64 lower-case hex")
    teams = doc.get("teams", [])
    agent_id = doc.get("agent_id", "")
    if not isinstance(teams, list) or not all(isinstance(t, str) for t in teams):
        raise ValueError(f"{where} ({name}): 'teams' must be a list of strings")
    if not isinstance(agent_id, str):
        raise ValueError(f"{where} ({name}): 'agent_id' must be a string")
    identity = Identity(name, parsed, "apikey", agent_id, frozenset(teams))
    return _Entry(bytes.fromhex(digest), identity)


class ApiKeys:
    """The configured keys; ``find`` tells whose a presented key is."""

    def __init__(self, entries: list[_Entry]) -> None:
        # A repeated hash would let the later entry (an admin, say) win the
        # key silently; a repeated name would make two callers one actor.
        names: dict[str, int] = {}
        digests: dict[bytes, int] = {}
        for index, entry in enumerate(entries):
            name = entry.identity.name
            if name in names:
                raise ValueError(
                    f"entries {names[name]} and {index} have the same name {name!r}"
                )
            if entry.digest in digests:
                first = digests[entry.digest]
                raise ValueError(
                    f"entries {first} ({entries[first].identity.name}) and {index} "
                    f"({name}) have the same 'sha256': one key, two identities"
                )
            names[name] = index
            digests[entry.digest] = index
        self._entries = entries

    @classmethod
    def load(cls, path: Path) -> ApiKeys:
        """Read the file; ``ValueError`` naming what is wrong with it."""
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except OSError as error:
            raise ValueError(f"cannot read {path}: {error.strerror}") from None
        except json.JSONDecodeError as error:
            raise ValueError(f"{path} is not JSON: {error}") from None
        if not isinstance(doc, list):
            raise ValueError(f"{path} must hold a JSON list")
        return cls([_entry(item, i) for i, item in enumerate(doc)])

    def find(self, key: str) -> Identity | None:
        """The identity of ``key``, or ``None``; compares with every entry."""
        digest = hashlib.sha256(key.encode()).digest()
        found = None
        for entry in self._entries:
            if hmac.compare_digest(digest, entry.digest):
                found = entry.identity
        return found
