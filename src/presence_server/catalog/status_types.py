"""The rules of status type administration, inside a write transaction.

Each function checks what it can without the database first, then takes the
catalog lock and checks against the stored state. It raises a
``PresenceError`` before writing anything, so the caller's rollback leaves
the database as it was.
"""

from __future__ import annotations

import re
import secrets
import unicodedata
from collections.abc import Collection
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from presence_server.catalog.common import (
    CATALOG_LOCK,
    INVALID_STATUS_TYPE,
    STATUS_TYPE_BUILT_IN,
    STATUS_TYPE_ID_TAKEN,
    STATUS_TYPE_IN_USE,
    STATUS_TYPE_NAME_TAKEN,
    STATUS_TYPE_NOT_FOUND,
    check_etag,
    check_update_mask,
    in_use,
)
from presence_server.domain.errors import (
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PreconditionViolation,
)
from presence_server.domain.status_types import (
    BUILT_IN_IDS,
    UPDATABLE_FIELDS,
    StatusType,
    check_fields,
    check_id,
    defaults_for,
    normalize_name,
)
from presence_server.storage import status_types as repo
from presence_server.storage.db import take_lock
from presence_server.storage.models import StatusTypeRow

RESOURCE = "status_type"

_ARCHIVE_RPCS = {"archived": "use ArchiveStatusType or UnarchiveStatusType"}
_NOT_SLUG = re.compile(r"[^a-z0-9]+")


def normalized(status_type: StatusType) -> StatusType:
    """The values as stored: trimmed NFC name, upper-case color."""
    return replace(
        status_type,
        name=normalize_name(status_type.name),
        color=status_type.color.upper(),
        telephony=dict(status_type.telephony),
    )


async def create(
    session: AsyncSession,
    now: datetime,
    draft: StatusType,
    *,
    status_type_id: str,
    given: Collection[str],
) -> StatusType:
    # Optional fields the caller left out take the defaults of the kind.
    optional: dict[str, Any] = {
        field: getattr(draft, field) if field in given else default
        for field, default in defaults_for(draft.kind).items()
    }
    candidate = normalized(
        replace(
            draft,
            id=status_type_id,
            archived=False,
            built_in=False,
            create_time=None,
            update_time=None,
            etag="",
            **optional,
        )
    )
    violations = check_id(status_type_id) if status_type_id else []
    violations += check_fields(candidate)
    if violations:
        raise InvalidArgument(violations, reason=INVALID_STATUS_TYPE)

    await take_lock(session, CATALOG_LOCK)
    if status_type_id:
        if status_type_id in BUILT_IN_IDS or await repo.id_ever_used(
            session, status_type_id
        ):
            raise _id_taken(status_type_id)
    else:
        candidate = replace(candidate, id=await _new_id(session, candidate.name))
    await _check_name_free(session, candidate)

    row = repo.new_row(candidate, now)
    session.add(row)
    return repo.to_domain(row)


async def get(session: AsyncSession, status_type_id: str) -> StatusType:
    row = await repo.load_row(session, status_type_id)
    if row is None:
        raise NotFound(RESOURCE, status_type_id, reason=STATUS_TYPE_NOT_FOUND)
    return repo.to_domain(row)


async def update(
    session: AsyncSession,
    now: datetime,
    status_type_id: str,
    changes: StatusType,
    paths: Collection[str],
    etag: str,
) -> StatusType:
    check_update_mask(
        paths,
        message_name="StatusType",
        updatable=UPDATABLE_FIELDS,
        own_rpcs=_ARCHIVE_RPCS,
    )

    row = await _load_for_write(session, status_type_id, etag)
    current = repo.to_domain(row)
    if current.built_in and "kind" in paths and changes.kind is not current.kind:
        raise _built_in(status_type_id, "its kind cannot change")
    wanted = normalized(replace(current, **{p: getattr(changes, p) for p in paths}))
    violations = check_fields(wanted)
    if violations:
        raise InvalidArgument(violations, reason=INVALID_STATUS_TYPE)
    if wanted == current:
        return current
    if not current.archived:
        await _check_name_free(session, wanted)

    repo.write_fields(row, wanted)
    _touch(row, now)
    return repo.to_domain(row)


async def archive(
    session: AsyncSession, now: datetime, status_type_id: str, etag: str
) -> StatusType:
    row = await _load_for_write(session, status_type_id, etag)
    if row.built_in:
        raise _built_in(status_type_id, "it cannot be archived")
    if not row.archived:
        row.archived = True
        _touch(row, now)
    return repo.to_domain(row)


async def unarchive(
    session: AsyncSession, now: datetime, status_type_id: str, etag: str
) -> StatusType:
    row = await _load_for_write(session, status_type_id, etag)
    if row.archived:
        await _check_name_free(session, repo.to_domain(row), unarchiving=True)
        row.archived = False
        _touch(row, now)
    return repo.to_domain(row)


async def delete(
    session: AsyncSession, now: datetime, status_type_id: str, etag: str
) -> None:
    row = await _load_for_write(session, status_type_id, etag)
    if row.built_in:
        raise _built_in(status_type_id, "it cannot be deleted")
    if row.first_used_at is not None:
        raise in_use(
            RESOURCE,
            status_type_id,
            reason=STATUS_TYPE_IN_USE,
            what="agents have been in this status, and history refers to it",
        )
    row.deleted_at = now
    _touch(row, now)


async def _load_for_write(
    session: AsyncSession, status_type_id: str, etag: str
) -> StatusTypeRow:
    await take_lock(session, CATALOG_LOCK)
    row = await repo.load_row(session, status_type_id, for_update=True)
    if row is None:
        raise NotFound(RESOURCE, status_type_id, reason=STATUS_TYPE_NOT_FOUND)
    check_etag(RESOURCE, status_type_id, etag, repo.etag_for(row.revision))
    return row


def _touch(row: StatusTypeRow, now: datetime) -> None:
    row.revision += 1
    row.update_time = now


async def _check_name_free(
    session: AsyncSession, status_type: StatusType, *, unarchiving: bool = False
) -> None:
    holder = await repo.find_live_by_name(session, status_type.name)
    if holder is None or holder.id == status_type.id:
        return
    action = "unarchive it" if unarchiving else "use it"
    raise AlreadyExists(
        f"the name {status_type.name!r} is already used by status type "
        f"{holder.id!r} (names are compared ignoring case); to {action}, "
        "choose another name or rename or archive that type first",
        reason=STATUS_TYPE_NAME_TAKEN,
        metadata={
            "field": "status_type.name",
            "name": status_type.name,
            "existing_status_type_id": holder.id,
        },
        resource=(RESOURCE, holder.id),
    )


def _id_taken(status_type_id: str) -> AlreadyExists:
    return AlreadyExists(
        f"status type id {status_type_id!r} is already taken (ids are never "
        "reused, even after a delete); choose another or leave it empty to have "
        "one generated",
        reason=STATUS_TYPE_ID_TAKEN,
        metadata={"field": "status_type_id", "status_type_id": status_type_id},
        resource=(RESOURCE, status_type_id),
    )


def _built_in(status_type_id: str, what: str) -> FailedPrecondition:
    return FailedPrecondition(
        f"status type {status_type_id!r} is built in: {what}",
        reason=STATUS_TYPE_BUILT_IN,
        precondition_violations=[
            PreconditionViolation(
                "BUILT_IN",
                f"{RESOURCE}/{status_type_id}",
                "built-in status types cannot be deleted, archived or change kind",
            )
        ],
        resource=(RESOURCE, status_type_id),
    )


async def _new_id(session: AsyncSession, name: str) -> str:
    """A fresh id: the name as a slug plus a random suffix, ``coffee-break-3fa9c1``."""
    ascii_name = unicodedata.normalize("NFKD", name).encode("ascii", "ignore")
    slug = _NOT_SLUG.sub("-", ascii_name.decode().lower()).strip("-")[:40]
    slug = slug.rstrip("-")
    if not slug[:1].isalpha():
        slug = f"st-{slug}".rstrip("-")
    while True:
        candidate = f"{slug}-{secrets.token_hex(3)}"
        if not await repo.id_ever_used(session, candidate):
            return candidate
