"""Status types in the database: rows in, domain objects out.

Every function works inside a session the caller opened
(``Database.read()`` / ``Database.write()``) and never commits. Deleted rows
are invisible to all of them except ``id_ever_used``. Validation belongs to
the catalog; these functions store what they are given.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import exists, func, select, update
from sqlalchemy.engine import CursorResult
from sqlalchemy.ext.asyncio import AsyncSession

from presence_server.domain.status_types import (
    StatusKind,
    StatusType,
    TelephonyMapping,
    name_key,
)
from presence_server.storage.models import StatusTypeRow


def etag_for(revision: int) -> str:
    """The etag clients see for a row at ``revision``."""
    return str(revision)


def to_domain(row: StatusTypeRow) -> StatusType:
    return StatusType(
        id=row.id,
        name=row.name,
        color=row.color,
        kind=StatusKind(row.kind),
        keep_on_disconnect=row.keep_on_disconnect,
        can_end_shift=row.can_end_shift,
        limit_per_shift=row.limit_per_shift,
        allowed_minutes=row.allowed_minutes,
        ring_mobile=row.ring_mobile,
        queue_login=row.queue_login,
        external_calls=row.external_calls,
        telephony=_telephony_from_json(row.telephony),
        selectable=row.selectable,
        sort_order=row.sort_order,
        archived=row.archived,
        built_in=row.built_in,
        create_time=row.create_time,
        update_time=row.update_time,
        etag=etag_for(row.revision),
    )


def new_row(status_type: StatusType, now: datetime) -> StatusTypeRow:
    """A row for a new type at revision 1; ``add`` it to the session."""
    row = StatusTypeRow(
        id=status_type.id,
        archived=False,
        built_in=status_type.built_in,
        revision=1,
        create_time=now,
        update_time=now,
        first_used_at=None,
        deleted_at=None,
    )
    write_fields(row, status_type)
    return row


def write_fields(row: StatusTypeRow, status_type: StatusType) -> None:
    """Copy the configurable fields (not id, archived, built-in, times).

    Values are stored as given: the catalog normalizes them first.
    """
    row.name = status_type.name
    row.name_key = name_key(status_type.name)
    row.color = status_type.color
    row.kind = status_type.kind.value
    row.keep_on_disconnect = status_type.keep_on_disconnect
    row.can_end_shift = status_type.can_end_shift
    row.limit_per_shift = status_type.limit_per_shift
    row.allowed_minutes = status_type.allowed_minutes
    row.ring_mobile = status_type.ring_mobile
    row.queue_login = status_type.queue_login
    row.external_calls = status_type.external_calls
    row.telephony = _telephony_to_json(status_type.telephony)
    row.selectable = status_type.selectable
    row.sort_order = status_type.sort_order


async def get_status_type(
    session: AsyncSession, status_type_id: str
) -> StatusType | None:
    """The type with this id, archived or not; ``None`` if absent or deleted.

    Cheap: one primary-key lookup. For the engine's checks inside its own
    transactions.
    """
    row = await load_row(session, status_type_id)
    return None if row is None else to_domain(row)


async def load_row(
    session: AsyncSession, status_type_id: str, *, for_update: bool = False
) -> StatusTypeRow | None:
    """The row of a type that is not deleted.

    ``for_update`` locks the row until the transaction ends on PostgreSQL
    (SQLite write transactions already exclude each other).
    """
    query = select(StatusTypeRow).where(
        StatusTypeRow.id == status_type_id, StatusTypeRow.deleted_at.is_(None)
    )
    if for_update:
        query = query.with_for_update()
    result: StatusTypeRow | None = await session.scalar(query)
    return result


async def id_ever_used(session: AsyncSession, status_type_id: str) -> bool:
    """Whether a row with this id exists, deleted ones included."""
    query = select(exists().where(StatusTypeRow.id == status_type_id))
    return bool(await session.scalar(query))


async def find_live_by_name(session: AsyncSession, name: str) -> StatusTypeRow | None:
    """The non-archived, non-deleted type whose name equals ``name``, ignoring case."""
    query = select(StatusTypeRow).where(
        StatusTypeRow.name_key == name_key(name),
        StatusTypeRow.archived.is_(False),
        StatusTypeRow.deleted_at.is_(None),
    )
    result: StatusTypeRow | None = await session.scalar(query)
    return result


async def list_status_types(
    session: AsyncSession,
    *,
    include_archived: bool = False,
    kind: StatusKind | None = None,
    selectable_only: bool = False,
) -> list[StatusType]:
    """Types in menu order: sort order, then name."""
    query = select(StatusTypeRow).where(StatusTypeRow.deleted_at.is_(None))
    if not include_archived:
        query = query.where(StatusTypeRow.archived.is_(False))
    if kind is not None:
        query = query.where(StatusTypeRow.kind == kind.value)
    if selectable_only:
        query = query.where(StatusTypeRow.selectable.is_(True))
    query = query.order_by(
        StatusTypeRow.sort_order, StatusTypeRow.name_key, StatusTypeRow.id
    )
    return [to_domain(row) for row in await session.scalars(query)]


async def existing_ids(session: AsyncSession) -> set[str]:
    """Every id ever stored, deleted rows included."""
    return set(await session.scalars(select(StatusTypeRow.id)))


async def count_rows(session: AsyncSession) -> int:
    """How many rows exist, deleted ones included."""
    count = await session.scalar(select(func.count()).select_from(StatusTypeRow))
    return int(count or 0)


async def mark_status_type_used(
    session: AsyncSession, status_type_id: str, at: datetime
) -> bool:
    """Record that an agent entered the type; from then on it cannot be deleted.

    Call it in the transaction that records the use. Only the first call
    writes; callers may remember the ids already marked to skip the call.
    Returns False when the type does not exist or was deleted: on PostgreSQL
    the row lock orders this against a concurrent delete, so a True result
    means the delete will be refused and a False one that it won.
    """
    marked: CursorResult[Any] = await session.execute(  # type: ignore[assignment]
        update(StatusTypeRow)
        .where(
            StatusTypeRow.id == status_type_id,
            StatusTypeRow.deleted_at.is_(None),
            StatusTypeRow.first_used_at.is_(None),
        )
        .values(first_used_at=at)
        .execution_options(synchronize_session=False)
    )
    if marked.rowcount == 1:
        return True
    return await load_row(session, status_type_id) is not None


def _telephony_to_json(
    telephony: Mapping[str, TelephonyMapping],
) -> dict[str, Any]:
    return {
        adapter: {
            "presence_profile": mapping.presence_profile,
            "pause_reason": mapping.pause_reason,
            "do_not_disturb": mapping.do_not_disturb,
            "options": dict(sorted(mapping.options.items())),
        }
        for adapter, mapping in sorted(telephony.items())
    }


def _telephony_from_json(data: Mapping[str, Any]) -> dict[str, TelephonyMapping]:
    return {
        adapter: TelephonyMapping(
            presence_profile=str(values.get("presence_profile", "")),
            pause_reason=str(values.get("pause_reason", "")),
            do_not_disturb=bool(values.get("do_not_disturb", False)),
            options={str(k): str(v) for k, v in values.get("options", {}).items()},
        )
        for adapter, values in data.items()
    }
