"""Creating, reading, listing and updating status types through the catalog."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import Any

import pytest

from presence_server.catalog import Catalog
from presence_server.catalog.common import (
    INVALID_STATUS_TYPE,
    INVALID_UPDATE_MASK,
    MISSING_ID,
    STATUS_TYPE_BUILT_IN,
    STATUS_TYPE_ID_TAKEN,
    STATUS_TYPE_NAME_TAKEN,
    STATUS_TYPE_NOT_FOUND,
)
from presence_server.domain.errors import (
    Aborted,
    AlreadyExists,
    FailedPrecondition,
    InvalidArgument,
    NotFound,
    PresenceError,
)
from presence_server.domain.status_types import (
    StatusKind,
    StatusType,
    TelephonyMapping,
    check_id,
)
from presence_server.engine.clock import ManualClock

from .conftest import Refused

DRAFT = StatusType(id="", name="Coaching", color="#123abc", kind=StatusKind.UNAVAILABLE)


@dataclass(frozen=True)
class Bad:
    """A refused request: what differs from a valid one, and what must come back."""

    changes: dict[str, Any]
    error: type[PresenceError]
    reason: str
    field: str
    status_type_id: str = ""
    paths: tuple[str, ...] = field(default=())


def _field_of(error: PresenceError) -> list[str]:
    return [v.field for v in error.field_violations] or [error.metadata.get("field")]


BAD_CREATES = [
    pytest.param(
        Bad({"name": ""}, InvalidArgument, INVALID_STATUS_TYPE, "status_type.name"),
        id="name-empty",
    ),
    pytest.param(
        Bad({"name": "   "}, InvalidArgument, INVALID_STATUS_TYPE, "status_type.name"),
        id="name-blank",
    ),
    pytest.param(
        Bad(
            {"name": "x" * 65}, InvalidArgument, INVALID_STATUS_TYPE, "status_type.name"
        ),
        id="name-too-long",
    ),
    pytest.param(
        Bad(
            {"name": "Tea\x07"},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.name",
        ),
        id="name-control-char",
    ),
    pytest.param(
        Bad(
            {"name": "Tea\u200btime"},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.name",
        ),
        id="name-invisible-char",
    ),
    pytest.param(
        Bad(
            {"color": "red"}, InvalidArgument, INVALID_STATUS_TYPE, "status_type.color"
        ),
        id="color-word",
    ),
    pytest.param(
        Bad(
            {"color": "#12345"},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.color",
        ),
        id="color-short",
    ),
    pytest.param(
        Bad(
            {"color": "#GG0000"},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.color",
        ),
        id="color-not-hex",
    ),
    pytest.param(
        Bad(
            {"limit_per_shift": -1},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.limit_per_shift",
        ),
        id="limit-negative",
    ),
    pytest.param(
        Bad(
            {"limit_per_shift": 1001},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.limit_per_shift",
        ),
        id="limit-over-1000",
    ),
    pytest.param(
        Bad(
            {"allowed_minutes": -1},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.allowed_minutes",
        ),
        id="allowed-minutes-negative",
    ),
    pytest.param(
        Bad(
            {"allowed_minutes": 1441},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.allowed_minutes",
        ),
        id="allowed-minutes-over-a-day",
    ),
    pytest.param(
        Bad(
            {"sort_order": 100_001},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.sort_order",
        ),
        id="sort-order-out-of-range",
    ),
    pytest.param(
        Bad(
            {"kind": StatusKind.SYSTEM},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.kind",
        ),
        id="kind-system",
    ),
    pytest.param(
        Bad(
            {"kind": StatusKind.OFFLINE},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.kind",
        ),
        id="second-offline",
    ),
    pytest.param(
        Bad(
            {"telephony": {"": TelephonyMapping()}},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.telephony",
        ),
        id="telephony-adapter-unnamed",
    ),
    pytest.param(
        Bad(
            {"telephony": {"3cx": TelephonyMapping(presence_profile="p" * 129)}},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.telephony.3cx.presence_profile",
        ),
        id="telephony-profile-too-long",
    ),
    pytest.param(
        Bad(
            {},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type_id",
            status_type_id="Coaching",
        ),
        id="id-upper-case",
    ),
    pytest.param(
        Bad(
            {},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type_id",
            status_type_id="1-on-1",
        ),
        id="id-starts-with-digit",
    ),
    pytest.param(
        Bad(
            {},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type_id",
            status_type_id="coach_ing",
        ),
        id="id-underscore",
    ),
    pytest.param(
        Bad(
            {},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type_id",
            status_type_id="c" * 64,
        ),
        id="id-too-long",
    ),
    pytest.param(
        Bad(
            {"name": "BREAK"},
            AlreadyExists,
            STATUS_TYPE_NAME_TAKEN,
            "status_type.name",
        ),
        id="name-taken-other-case",
    ),
    pytest.param(
        Bad(
            {"name": "  lunch  "},
            AlreadyExists,
            STATUS_TYPE_NAME_TAKEN,
            "status_type.name",
        ),
        id="name-taken-with-spaces",
    ),
    pytest.param(
        Bad(
            {"name": "available"},
            AlreadyExists,
            STATUS_TYPE_NAME_TAKEN,
            "status_type.name",
        ),
        id="name-of-a-built-in",
    ),
    pytest.param(
        Bad(
            {},
            AlreadyExists,
            STATUS_TYPE_ID_TAKEN,
            "status_type_id",
            status_type_id="break",
        ),
        id="id-taken",
    ),
    pytest.param(
        Bad(
            {},
            AlreadyExists,
            STATUS_TYPE_ID_TAKEN,
            "status_type_id",
            status_type_id="offline",
        ),
        id="id-of-a-built-in",
    ),
]


@pytest.mark.parametrize("bad", BAD_CREATES)
async def test_bad_create_is_refused_and_stores_nothing(
    catalog: Catalog, refused: Refused, bad: Bad
) -> None:
    draft = replace(DRAFT, **bad.changes)

    error = await refused(
        lambda: catalog.create_status_type(draft, status_type_id=bad.status_type_id),
        bad.error,
        bad.reason,
    )

    assert bad.field in _field_of(error)


async def test_name_taken_error_names_the_type_holding_it(
    catalog: Catalog, refused: Refused
) -> None:
    error = await refused(
        lambda: catalog.create_status_type(replace(DRAFT, name="Break")),
        AlreadyExists,
        STATUS_TYPE_NAME_TAKEN,
    )

    assert error.resource == ("status_type", "break")
    assert error.metadata["existing_status_type_id"] == "break"
    assert "'break'" in error.message


async def test_id_of_a_deleted_type_is_never_given_out_again(
    catalog: Catalog, refused: Refused
) -> None:
    created = await catalog.create_status_type(DRAFT, status_type_id="coaching")
    await catalog.delete_status_type("coaching", created.etag)

    await refused(
        lambda: catalog.create_status_type(DRAFT, status_type_id="coaching"),
        AlreadyExists,
        STATUS_TYPE_ID_TAKEN,
    )
    # The name, on the other hand, is free again.
    again = await catalog.create_status_type(DRAFT)
    assert again.id != "coaching"


async def test_create_stores_normalized_values_with_times_and_etag(
    catalog: Catalog, clock: ManualClock
) -> None:
    draft = replace(
        DRAFT,
        name="  Coaching  ",
        limit_per_shift=2,
        allowed_minutes=30,
        telephony={"asterisk": TelephonyMapping(pause_reason="coach")},
        # Ignored: output only.
        archived=True,
        built_in=True,
        etag="99",
    )

    created = await catalog.create_status_type(draft, status_type_id="coaching")

    assert created == StatusType(
        id="coaching",
        name="Coaching",
        color="#123ABC",
        kind=StatusKind.UNAVAILABLE,
        limit_per_shift=2,
        allowed_minutes=30,
        telephony={"asterisk": TelephonyMapping(pause_reason="coach")},
        selectable=True,
        create_time=clock.now(),
        update_time=clock.now(),
        etag="1",
    )
    assert await catalog.get_status_type("coaching") == created


@pytest.mark.parametrize(
    ("kind", "given", "expected"),
    [
        pytest.param(
            StatusKind.AVAILABLE,
            (),
            {"queue_login": True, "external_calls": True, "selectable": True},
            id="available-defaults",
        ),
        pytest.param(
            StatusKind.UNAVAILABLE,
            (),
            {"queue_login": False, "external_calls": False, "selectable": True},
            id="unavailable-defaults",
        ),
        pytest.param(
            StatusKind.UNAVAILABLE,
            ("queue_login", "selectable"),
            {"queue_login": True, "external_calls": False, "selectable": False},
            id="given-values-win",
        ),
    ],
)
async def test_optional_fields_take_kind_defaults_unless_given(
    catalog: Catalog,
    kind: StatusKind,
    given: tuple[str, ...],
    expected: dict[str, bool],
) -> None:
    # The draft says the opposite of the defaults; only given fields count.
    draft = replace(
        DRAFT, kind=kind, queue_login=True, external_calls=True, selectable=False
    )

    created = await catalog.create_status_type(draft, given=given)

    assert {name: getattr(created, name) for name in expected} == expected


@pytest.mark.parametrize(
    "name",
    ["Coffee break", "☕ Pause", "2nd break", "Ünïcödé", "---", "x" * 64],
)
async def test_generated_id_is_valid_and_new(catalog: Catalog, name: str) -> None:
    created = await catalog.create_status_type(replace(DRAFT, name=name))

    assert check_id(created.id) == []
    assert await catalog.get_status_type(created.id) == created


async def test_get_unknown_or_empty_id_is_refused(catalog: Catalog) -> None:
    with pytest.raises(NotFound) as missing:
        await catalog.get_status_type("no-such-type")
    with pytest.raises(InvalidArgument) as empty:
        await catalog.get_status_type("")

    assert missing.value.reason == STATUS_TYPE_NOT_FOUND
    assert missing.value.resource == ("status_type", "no-such-type")
    assert empty.value.reason == MISSING_ID


async def test_list_is_in_menu_order_and_filters(catalog: Catalog) -> None:
    await catalog.create_status_type(replace(DRAFT, name="b-second", sort_order=15))
    await catalog.create_status_type(replace(DRAFT, name="A-first", sort_order=15))
    archived = await catalog.create_status_type(replace(DRAFT, name="Old"))
    await catalog.archive_status_type(archived.id, "")

    everything = await catalog.list_status_types()
    with_archived = await catalog.list_status_types(include_archived=True)
    system = await catalog.list_status_types(kind=StatusKind.SYSTEM)
    selectable = await catalog.list_status_types(selectable_only=True)

    assert [t.name for t in everything][:4] == [
        "Available",
        "Break",
        "A-first",
        "b-second",
    ]
    assert [(t.sort_order, t.name.casefold()) for t in everything] == sorted(
        (t.sort_order, t.name.casefold()) for t in everything
    )
    assert "Old" not in {t.name for t in everything}
    assert "Old" in {t.name for t in with_archived}
    assert {t.id for t in system} == {"call", "chat", "task", "interaction", "wrap-up"}
    assert all(t.selectable for t in selectable)
    assert {t.id for t in everything} - {t.id for t in selectable} == {
        t.id for t in system
    }


BAD_UPDATES = [
    pytest.param(
        Bad({}, InvalidArgument, INVALID_UPDATE_MASK, "update_mask", "break"),
        id="mask-empty",
    ),
    pytest.param(
        Bad(
            {},
            InvalidArgument,
            INVALID_UPDATE_MASK,
            "update_mask",
            "break",
            ("colour",),
        ),
        id="mask-unknown-field",
    ),
    pytest.param(
        Bad({}, InvalidArgument, INVALID_UPDATE_MASK, "update_mask", "break", ("id",)),
        id="mask-id",
    ),
    pytest.param(
        Bad(
            {}, InvalidArgument, INVALID_UPDATE_MASK, "update_mask", "break", ("etag",)
        ),
        id="mask-etag",
    ),
    pytest.param(
        Bad(
            {"archived": True},
            InvalidArgument,
            INVALID_UPDATE_MASK,
            "update_mask",
            "break",
            ("archived",),
        ),
        id="mask-archived",
    ),
    pytest.param(
        Bad(
            {},
            InvalidArgument,
            INVALID_UPDATE_MASK,
            "update_mask",
            "break",
            ("telephony.asterisk",),
        ),
        id="mask-into-map",
    ),
    pytest.param(
        Bad(
            {"color": "blue"},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.color",
            "break",
            ("color",),
        ),
        id="color-bad",
    ),
    pytest.param(
        Bad(
            {"limit_per_shift": 5000},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.limit_per_shift",
            "break",
            ("limit_per_shift",),
        ),
        id="limit-bad",
    ),
    pytest.param(
        Bad(
            {"name": ""},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.name",
            "break",
            ("name",),
        ),
        id="name-empty",
    ),
    pytest.param(
        Bad(
            {"name": "LUNCH"},
            AlreadyExists,
            STATUS_TYPE_NAME_TAKEN,
            "status_type.name",
            "break",
            ("name",),
        ),
        id="name-taken",
    ),
    pytest.param(
        Bad(
            {"kind": StatusKind.OFFLINE},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.kind",
            "break",
            ("kind",),
        ),
        id="second-offline",
    ),
    pytest.param(
        Bad(
            {"kind": StatusKind.SYSTEM, "selectable": False},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.kind",
            "break",
            ("kind", "selectable"),
        ),
        id="to-system",
    ),
    pytest.param(
        Bad(
            {"selectable": True},
            InvalidArgument,
            INVALID_STATUS_TYPE,
            "status_type.selectable",
            "call",
            ("selectable",),
        ),
        id="system-selectable",
    ),
    pytest.param(
        Bad(
            {"kind": StatusKind.UNAVAILABLE},
            FailedPrecondition,
            STATUS_TYPE_BUILT_IN,
            "",
            "available",
            ("kind",),
        ),
        id="built-in-kind",
    ),
    pytest.param(
        Bad(
            {"kind": StatusKind.AVAILABLE},
            FailedPrecondition,
            STATUS_TYPE_BUILT_IN,
            "",
            "offline",
            ("kind",),
        ),
        id="offline-kind",
    ),
    pytest.param(
        Bad(
            {"color": "#000000"},
            NotFound,
            STATUS_TYPE_NOT_FOUND,
            "",
            "no-such-type",
            ("color",),
        ),
        id="unknown-id",
    ),
]


@pytest.mark.parametrize("bad", BAD_UPDATES)
async def test_bad_update_is_refused_and_changes_nothing(
    catalog: Catalog, refused: Refused, bad: Bad
) -> None:
    current = await _get_or_blank(catalog, bad.status_type_id)
    changes = replace(current, **bad.changes)

    error = await refused(
        lambda: catalog.update_status_type(
            bad.status_type_id, changes, bad.paths, current.etag
        ),
        bad.error,
        bad.reason,
    )

    if bad.field:
        assert bad.field in _field_of(error)


async def test_mask_errors_name_each_bad_path(catalog: Catalog) -> None:
    paths = ["color", "colour", "create_time", "archived", "telephony.3cx"]

    with pytest.raises(InvalidArgument) as caught:
        await catalog.update_status_type("break", DRAFT, paths, "")

    texts = [v.description for v in caught.value.field_violations]
    assert len(texts) == 4
    assert "'colour' is not a field of StatusType" in texts[0]
    assert "'create_time' is output only" in texts[1]
    assert "ArchiveStatusType" in texts[2]
    assert "use 'telephony'" in texts[3]


async def test_built_in_error_carries_a_built_in_precondition(
    catalog: Catalog, refused: Refused
) -> None:
    available = await catalog.get_status_type("available")

    error = await refused(
        lambda: catalog.update_status_type(
            "available", replace(available, kind=StatusKind.UNAVAILABLE), ["kind"], ""
        ),
        FailedPrecondition,
        STATUS_TYPE_BUILT_IN,
    )

    [violation] = error.precondition_violations
    assert (violation.type, violation.subject) == ("BUILT_IN", "status_type/available")


async def test_stale_etag_is_refused(catalog: Catalog, refused: Refused) -> None:
    first = await catalog.get_status_type("break")
    await catalog.update_status_type(
        "break", replace(first, color="#000001"), ["color"], first.etag
    )

    error = await refused(
        lambda: catalog.update_status_type(
            "break", replace(first, color="#000002"), ["color"], first.etag
        ),
        Aborted,
        "ETAG_MISMATCH",
    )

    assert error.metadata["current_etag"] == "2"


async def test_update_changes_only_masked_fields_and_moves_etag_and_time(
    catalog: Catalog, clock: ManualClock
) -> None:
    before = await catalog.get_status_type("break")
    await clock.advance(timedelta(minutes=5))
    changes = replace(before, name="Short break", color="#abcdef", limit_per_shift=9)

    updated = await catalog.update_status_type(
        "break", changes, ["name", "color"], before.etag
    )

    assert updated == replace(
        before,
        name="Short break",
        color="#ABCDEF",
        update_time=clock.now(),
        etag="2",
    )
    assert await catalog.get_status_type("break") == updated


async def test_update_that_changes_nothing_keeps_the_etag(
    catalog: Catalog, clock: ManualClock
) -> None:
    before = await catalog.get_status_type("break")
    await clock.advance(timedelta(minutes=5))

    same = await catalog.update_status_type(
        "break", replace(before, color=before.color.lower()), ["color", "name"], ""
    )

    assert same == before


async def test_renaming_to_another_case_of_its_own_name_is_allowed(
    catalog: Catalog,
) -> None:
    before = await catalog.get_status_type("break")

    updated = await catalog.update_status_type(
        "break", replace(before, name="BREAK"), ["name"], before.etag
    )

    assert updated.name == "BREAK"


async def test_built_in_fields_other_than_kind_can_change(catalog: Catalog) -> None:
    available = await catalog.get_status_type("available")
    changes = replace(available, name="Ready", color="#00ff00", kind=available.kind)

    updated = await catalog.update_status_type(
        "available", changes, ["name", "color", "kind"], available.etag
    )

    assert (updated.name, updated.color, updated.kind) == (
        "Ready",
        "#00FF00",
        StatusKind.AVAILABLE,
    )


async def test_kind_of_a_created_type_can_change_between_working_kinds(
    catalog: Catalog,
) -> None:
    created = await catalog.create_status_type(DRAFT)

    updated = await catalog.update_status_type(
        created.id, replace(created, kind=StatusKind.AVAILABLE), ["kind"], ""
    )

    assert updated.kind is StatusKind.AVAILABLE


async def _get_or_blank(catalog: Catalog, status_type_id: str) -> StatusType:
    try:
        return await catalog.get_status_type(status_type_id)
    except NotFound:
        return replace(DRAFT, id=status_type_id, etag="")
