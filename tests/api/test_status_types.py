"""StatusTypeService through a real server and the generated stubs.

The tests share one server per backend; each works on types of its own.
"""

from __future__ import annotations

from datetime import UTC, timedelta

import grpc
import pytest
from google.protobuf import field_mask_pb2

from presence_server._proto.presence.v1 import common_pb2, status_types_pb2
from presence_server.api.convert import timestamp_from_proto
from tests.helpers.server import RunningServer

pytestmark = pytest.mark.asyncio(loop_scope="module")

pb = status_types_pb2
AVAILABLE = common_pb2.STATUS_KIND_AVAILABLE
UNAVAILABLE = common_pb2.STATUS_KIND_UNAVAILABLE
SYSTEM = common_pb2.STATUS_KIND_SYSTEM


async def _list(server: RunningServer, **filters: object) -> list[pb.StatusType]:
    reply = await server.status_types.ListStatusTypes(
        pb.ListStatusTypesRequest(**filters)
    )
    return list(reply.status_types)


async def _ids(server: RunningServer, **filters: object) -> set[str]:
    return {t.id for t in await _list(server, **filters)}


async def _create(
    server: RunningServer, type_id: str, **fields: object
) -> pb.StatusType:
    values: dict[str, object] = {
        "name": type_id.replace("-", " ").title(),
        "color": "#6d4c41",
        "kind": UNAVAILABLE,
        "limit_per_shift": 2,
        "allowed_minutes": 10,
        **fields,
    }
    return await server.status_types.CreateStatusType(
        pb.CreateStatusTypeRequest(
            status_type=pb.StatusType(**values), status_type_id=type_id
        )
    )


async def _get(server: RunningServer, type_id: str) -> pb.StatusType:
    return await server.status_types.GetStatusType(pb.GetStatusTypeRequest(id=type_id))


async def test_first_start_lists_built_ins_and_defaults_in_menu_order(
    shared_server: RunningServer,
) -> None:
    found = await _list(shared_server)

    assert {t.id for t in found} >= {
        "available",
        "offline",
        "call",
        "chat",
        "task",
        "interaction",
        "break",
        "lunch",
        "meeting",
        "idle",
        "away",
    }
    assert [(t.sort_order, t.name) for t in found] == sorted(
        (t.sort_order, t.name) for t in found
    )
    built_in = {t.id for t in found if t.built_in}
    assert {"available", "offline", "call"} <= built_in
    assert "break" not in built_in


async def test_create_returns_every_field_with_defaults_for_unset_optionals(
    shared_server: RunningServer,
) -> None:
    now = shared_server.clock.now()

    created = await _create(
        shared_server,
        "coffee",
        telephony={"asterisk": pb.TelephonyMapping(pause_reason="coffee")},
    )

    assert created.id == "coffee"
    assert created.name == "Coffee"
    assert created.color.upper() == "#6D4C41"
    assert created.kind == UNAVAILABLE
    assert (created.limit_per_shift, created.allowed_minutes) == (2, 10)
    assert created.telephony["asterisk"].pause_reason == "coffee"
    # Optional fields are always present in replies; UNAVAILABLE defaults.
    for field in ("queue_login", "external_calls", "selectable"):
        assert created.HasField(field), field
    assert (created.queue_login, created.external_calls, created.selectable) == (
        False,
        False,
        True,
    )
    assert not created.archived
    assert not created.built_in
    assert created.etag
    assert timestamp_from_proto(created.create_time) == now
    assert timestamp_from_proto(created.create_time).tzinfo is UTC


async def test_create_keeps_optionals_the_caller_set(
    shared_server: RunningServer,
) -> None:
    created = await _create(
        shared_server,
        "tea",
        queue_login=True,
        external_calls=True,
        selectable=False,
    )

    assert (created.queue_login, created.external_calls, created.selectable) == (
        True,
        True,
        False,
    )


async def test_create_without_an_id_generates_one(shared_server: RunningServer) -> None:
    created = await shared_server.status_types.CreateStatusType(
        pb.CreateStatusTypeRequest(
            status_type=pb.StatusType(name="Training", color="#123456", kind=AVAILABLE)
        )
    )

    assert created.id
    assert created.queue_login
    assert (await _get(shared_server, created.id)).name == "Training"


async def test_get_returns_what_create_returned(shared_server: RunningServer) -> None:
    created = await _create(shared_server, "water")

    assert await _get(shared_server, "water") == created


async def test_update_changes_only_the_masked_fields_and_the_etag(
    shared_server: RunningServer,
) -> None:
    created = await _create(shared_server, "nap")
    await shared_server.clock.advance(timedelta(minutes=5))

    updated = await shared_server.status_types.UpdateStatusType(
        pb.UpdateStatusTypeRequest(
            status_type=pb.StatusType(
                id="nap", name="Siesta", color="#000000", etag=created.etag
            ),
            update_mask=field_mask_pb2.FieldMask(paths=["name"]),
        )
    )

    assert updated.name == "Siesta"
    assert updated.color == created.color
    assert updated.limit_per_shift == created.limit_per_shift
    assert updated.etag != created.etag
    assert updated.create_time == created.create_time
    assert timestamp_from_proto(updated.update_time) == timestamp_from_proto(
        created.create_time
    ) + timedelta(minutes=5)
    assert await _get(shared_server, "nap") == updated


async def test_update_without_etag_applies_to_the_current_version(
    shared_server: RunningServer,
) -> None:
    await _create(shared_server, "walk")

    updated = await shared_server.status_types.UpdateStatusType(
        pb.UpdateStatusTypeRequest(
            status_type=pb.StatusType(id="walk", allowed_minutes=20, kind=AVAILABLE),
            update_mask=field_mask_pb2.FieldMask(paths=["allowed_minutes", "kind"]),
        )
    )

    assert updated.allowed_minutes == 20
    assert updated.kind == AVAILABLE


async def test_archive_hides_a_type_until_it_is_unarchived(
    shared_server: RunningServer,
) -> None:
    created = await _create(shared_server, "smoke")

    archived = await shared_server.status_types.ArchiveStatusType(
        pb.ArchiveStatusTypeRequest(id="smoke", etag=created.etag)
    )

    assert archived.archived
    assert "smoke" not in await _ids(shared_server)
    assert "smoke" in await _ids(shared_server, include_archived=True)

    restored = await shared_server.status_types.UnarchiveStatusType(
        pb.UnarchiveStatusTypeRequest(id="smoke", etag=archived.etag)
    )

    assert not restored.archived
    assert "smoke" in await _ids(shared_server)


async def test_delete_removes_a_type_never_used(shared_server: RunningServer) -> None:
    created = await _create(shared_server, "gone")

    await shared_server.status_types.DeleteStatusType(
        pb.DeleteStatusTypeRequest(id="gone", etag=created.etag)
    )

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await _get(shared_server, "gone")
    assert raised.value.code() is grpc.StatusCode.NOT_FOUND
    assert "gone" not in await _ids(shared_server, include_archived=True)


async def test_list_filters_by_kind_and_selectable(
    shared_server: RunningServer,
) -> None:
    system = await _list(shared_server, kind=SYSTEM)
    selectable = await _list(shared_server, selectable_only=True)

    assert system
    assert {t.kind for t in system} == {SYSTEM}
    assert selectable
    assert all(t.selectable for t in selectable)
    assert not {t.id for t in system} & {t.id for t in selectable}
