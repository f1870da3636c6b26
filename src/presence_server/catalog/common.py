"""What status types and agents share: error reasons, masks, etags, the lock."""

from __future__ import annotations

from collections.abc import Collection, Mapping

from presence_server.domain.errors import (
    FailedPrecondition,
    FieldViolation,
    InvalidArgument,
    PreconditionViolation,
    stale_etag,
)

# Stable reason ids (``google.rpc.ErrorInfo.reason``) raised by the catalog.
# ETAG_MISMATCH comes from ``domain.errors.stale_etag``.
INVALID_STATUS_TYPE = "INVALID_STATUS_TYPE"
INVALID_AGENT = "INVALID_AGENT"
INVALID_UPDATE_MASK = "INVALID_UPDATE_MASK"
INVALID_PAGE_SIZE = "INVALID_PAGE_SIZE"
INVALID_PAGE_TOKEN = "INVALID_PAGE_TOKEN"
MISSING_ID = "MISSING_ID"
STATUS_TYPE_NOT_FOUND = "STATUS_TYPE_NOT_FOUND"
STATUS_TYPE_ID_TAKEN = "STATUS_TYPE_ID_TAKEN"
STATUS_TYPE_NAME_TAKEN = "STATUS_TYPE_NAME_TAKEN"
STATUS_TYPE_BUILT_IN = "STATUS_TYPE_BUILT_IN"
STATUS_TYPE_IN_USE = "STATUS_TYPE_IN_USE"
AGENT_NOT_FOUND = "AGENT_NOT_FOUND"
AGENT_ID_TAKEN = "AGENT_ID_TAKEN"
EXTENSION_TAKEN = "EXTENSION_TAKEN"
AGENT_IN_USE = "AGENT_IN_USE"

# Every catalog write takes this lock, so that a check (name free, etag
# current) and the write depending on it never interleave with another
# instance's on PostgreSQL. Catalog writes are rare; serializing them is cheap.
CATALOG_LOCK = "presence_server.catalog"

# Fields clients may send but never change through an update mask.
OUTPUT_ONLY = frozenset({"id", "built_in", "create_time", "update_time", "etag"})


def require_id(value: str, field: str = "id") -> None:
    """Refuse an empty id before looking anything up."""
    if not value:
        raise InvalidArgument([FieldViolation(field, "is required")], reason=MISSING_ID)


def check_update_mask(
    paths: Collection[str],
    *,
    message_name: str,
    updatable: frozenset[str],
    own_rpcs: Mapping[str, str],
) -> None:
    """Refuse an empty mask and every path that is not an updatable field.

    ``own_rpcs`` maps fields changed by a dedicated call (``archived``) to
    the words telling the caller which one.
    """
    allowed = ", ".join(sorted(updatable))
    if not paths:
        raise InvalidArgument(
            [FieldViolation("update_mask", f"name the fields to change: {allowed}")],
            reason=INVALID_UPDATE_MASK,
        )
    found: list[FieldViolation] = []
    for path in paths:
        head = path.split(".", 1)[0]
        if path in updatable:
            continue
        if path in own_rpcs:
            text = f"{path!r} cannot be set by an update; {own_rpcs[path]}"
        elif path in OUTPUT_ONLY:
            text = f"{path!r} is output only"
        elif head in updatable:
            text = f"{path!r}: only whole fields can be updated; use {head!r}"
        else:
            text = f"{path!r} is not a field of {message_name}; updatable: {allowed}"
        found.append(FieldViolation("update_mask", text))
    if found:
        raise InvalidArgument(found, reason=INVALID_UPDATE_MASK)


def check_etag(resource_type: str, name: str, given: str, current: str) -> None:
    """Refuse a stale etag; an empty one means "whatever the version"."""
    if given and given != current:
        raise stale_etag(resource_type, name, given, current)


def in_use(
    resource_type: str, name: str, *, reason: str, what: str
) -> FailedPrecondition:
    """The error for deleting something history refers to."""
    words = resource_type.replace("_", " ")
    return FailedPrecondition(
        f"{words} {name!r} cannot be deleted: {what}; archive it instead",
        reason=reason,
        precondition_violations=[
            PreconditionViolation(
                "IN_USE", f"{resource_type}/{name}", f"{what}; archive it instead"
            )
        ],
        resource=(resource_type, name),
    )
