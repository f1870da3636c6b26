"""Bad input across both services: the right code, the right detail, no change.

One server per backend serves the whole table (``shared_server``). Every case
snapshots both services before and after its call, so a case that changed
anything fails on its own.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import grpc
import pytest
import pytest_asyncio
from google.protobuf import field_mask_pb2
from google.protobuf.message import Message
from google.rpc import error_details_pb2
from grpc_status import rpc_status

from presence_server._proto.presence.v1 import agents_pb2, common_pb2, status_types_pb2
from presence_server.api.errors import DOMAIN
from tests.helpers.server import RunningServer

st = status_types_pb2
ag = agents_pb2
Code = grpc.StatusCode
BadRequest = error_details_pb2.BadRequest
PreconditionFailure = error_details_pb2.PreconditionFailure
ResourceInfo = error_details_pb2.ResourceInfo
ErrorInfo = error_details_pb2.ErrorInfo

UNAVAILABLE = common_pb2.STATUS_KIND_UNAVAILABLE
# An etag no version ever had.
STALE = "stale-etag"


def mask(*paths: str) -> field_mask_pb2.FieldMask:
    return field_mask_pb2.FieldMask(paths=list(paths))


def coffee(**fields: Any) -> st.StatusType:
    values: dict[str, Any] = {
        "name": "Espresso",
        "color": "#6D4C41",
        "kind": UNAVAILABLE,
    }
    values.update(fields)
    return st.StatusType(**values)


def create_type(status_type: st.StatusType | None = None, type_id: str = "") -> Any:
    request = st.CreateStatusTypeRequest(status_type_id=type_id)
    if status_type is not None:
        request.status_type.CopyFrom(status_type)
    return lambda s: s.status_types.CreateStatusType(request)


def update_type(status_type: st.StatusType | None, *paths: str) -> Any:
    request = st.UpdateStatusTypeRequest(update_mask=mask(*paths))
    if status_type is not None:
        request.status_type.CopyFrom(status_type)
    return lambda s: s.status_types.UpdateStatusType(request)


def alice(**fields: Any) -> ag.Agent:
    values: dict[str, Any] = {"id": "carol", "display_name": "Carol"}
    values.update(fields)
    return ag.Agent(**values)


def create_agent(agent: ag.Agent | None) -> Any:
    request = ag.CreateAgentRequest()
    if agent is not None:
        request.agent.CopyFrom(agent)
    return lambda s: s.agents.CreateAgent(request)


def update_agent(agent: ag.Agent, *paths: str) -> Any:
    request = ag.UpdateAgentRequest(agent=agent, update_mask=mask(*paths))
    return lambda s: s.agents.UpdateAgent(request)


@dataclass(frozen=True)
class Bad:
    """One bad request and what the client must get back.

    ``expect`` is checked against the detail of type ``detail``: a field path
    of a BadRequest, the type of a PreconditionFailure violation, the name in
    a ResourceInfo, the reason of an ErrorInfo.
    """

    id: str
    call: Callable[[RunningServer], Awaitable[Any]]
    code: grpc.StatusCode
    detail: type[Message]
    expect: str


IA = Code.INVALID_ARGUMENT
CASES = [
    # --- StatusTypeService.CreateStatusType -------------------------------
    Bad("st-create-no-status-type", create_type(None), IA, BadRequest, "status_type"),
    Bad(
        "st-create-kind-unspecified",
        create_type(coffee(kind=0)),
        IA,
        BadRequest,
        "status_type.kind",
    ),
    Bad(
        "st-create-kind-unknown-number",
        create_type(coffee(kind=99)),
        IA,
        BadRequest,
        "status_type.kind",
    ),
    Bad(
        "st-create-name-empty",
        create_type(coffee(name="")),
        IA,
        BadRequest,
        "status_type.name",
    ),
    Bad(
        "st-create-name-blank",
        create_type(coffee(name="   ")),
        IA,
        BadRequest,
        "status_type.name",
    ),
    Bad(
        "st-create-name-65-chars",
        create_type(coffee(name="x" * 65)),
        IA,
        BadRequest,
        "status_type.name",
    ),
    Bad(
        "st-create-name-control-char",
        create_type(coffee(name="Bad\x07name")),
        IA,
        BadRequest,
        "status_type.name",
    ),
    Bad(
        "st-create-color-word",
        create_type(coffee(color="brown")),
        IA,
        BadRequest,
        "status_type.color",
    ),
    Bad(
        "st-create-color-five-digits",
        create_type(coffee(color="#12345")),
        IA,
        BadRequest,
        "status_type.color",
    ),
    Bad(
        "st-create-limit-1001",
        create_type(coffee(limit_per_shift=1001)),
        IA,
        BadRequest,
        "status_type.limit_per_shift",
    ),
    Bad(
        "st-create-minutes-1441",
        create_type(coffee(allowed_minutes=1441)),
        IA,
        BadRequest,
        "status_type.allowed_minutes",
    ),
    Bad(
        "st-create-system-kind",
        create_type(coffee(kind=common_pb2.STATUS_KIND_SYSTEM, selectable=False)),
        IA,
        BadRequest,
        "status_type.kind",
    ),
    Bad(
        "st-create-second-offline",
        create_type(coffee(kind=common_pb2.STATUS_KIND_OFFLINE)),
        IA,
        BadRequest,
        "status_type.kind",
    ),
    Bad(
        "st-create-bad-id",
        create_type(coffee(), type_id="Coffee_Break"),
        IA,
        BadRequest,
        "status_type_id",
    ),
    Bad(
        "st-create-name-taken-ignoring-case",
        create_type(coffee(name="  BREAK ")),
        Code.ALREADY_EXISTS,
        ErrorInfo,
        "STATUS_TYPE_NAME_TAKEN",
    ),
    Bad(
        "st-create-id-taken",
        create_type(coffee(), type_id="coffee"),
        Code.ALREADY_EXISTS,
        ResourceInfo,
        "coffee",
    ),
    Bad(
        "st-create-built-in-id",
        create_type(coffee(), type_id="offline"),
        Code.ALREADY_EXISTS,
        ResourceInfo,
        "offline",
    ),
    # --- Get / List -------------------------------------------------------
    Bad(
        "st-get-empty-id",
        lambda s: s.status_types.GetStatusType(st.GetStatusTypeRequest()),
        IA,
        BadRequest,
        "id",
    ),
    Bad(
        "st-get-unknown-id",
        lambda s: s.status_types.GetStatusType(st.GetStatusTypeRequest(id="nap")),
        Code.NOT_FOUND,
        ResourceInfo,
        "nap",
    ),
    Bad(
        "st-list-unknown-kind",
        lambda s: s.status_types.ListStatusTypes(st.ListStatusTypesRequest(kind=99)),
        IA,
        BadRequest,
        "kind",
    ),
    # --- UpdateStatusType -------------------------------------------------
    Bad(
        "st-update-no-status-type",
        update_type(None, "name"),
        IA,
        BadRequest,
        "status_type",
    ),
    Bad(
        "st-update-empty-id",
        update_type(coffee(id=""), "name"),
        IA,
        BadRequest,
        "status_type.id",
    ),
    Bad(
        "st-update-empty-mask",
        update_type(coffee(id="coffee")),
        IA,
        BadRequest,
        "update_mask",
    ),
    Bad(
        "st-update-unknown-path",
        update_type(coffee(id="coffee"), "name", "nope"),
        IA,
        BadRequest,
        "update_mask",
    ),
    Bad(
        "st-update-output-only-path",
        update_type(coffee(id="coffee"), "etag"),
        IA,
        BadRequest,
        "update_mask",
    ),
    Bad(
        "st-update-archived-path",
        update_type(coffee(id="coffee", archived=True), "archived"),
        IA,
        BadRequest,
        "update_mask",
    ),
    Bad(
        "st-update-nested-path",
        update_type(coffee(id="coffee"), "telephony.asterisk"),
        IA,
        BadRequest,
        "update_mask",
    ),
    Bad(
        "st-update-stale-etag",
        update_type(coffee(id="coffee", etag=STALE), "name"),
        Code.ABORTED,
        PreconditionFailure,
        "ETAG",
    ),
    Bad(
        "st-update-unknown-id",
        update_type(coffee(id="nap"), "name"),
        Code.NOT_FOUND,
        ResourceInfo,
        "nap",
    ),
    Bad(
        "st-update-bad-color",
        update_type(coffee(id="coffee", color="#GGGGGG"), "color"),
        IA,
        BadRequest,
        "status_type.color",
    ),
    Bad(
        "st-update-kind-unspecified",
        update_type(coffee(id="coffee", kind=0), "kind"),
        IA,
        BadRequest,
        "status_type.kind",
    ),
    Bad(
        "st-update-built-in-kind",
        update_type(coffee(id="available", kind=UNAVAILABLE), "kind"),
        Code.FAILED_PRECONDITION,
        PreconditionFailure,
        "BUILT_IN",
    ),
    Bad(
        "st-update-system-selectable",
        update_type(st.StatusType(id="call", selectable=True), "selectable"),
        IA,
        BadRequest,
        "status_type.selectable",
    ),
    Bad(
        "st-update-name-taken",
        update_type(coffee(id="coffee", name="lunch"), "name"),
        Code.ALREADY_EXISTS,
        ErrorInfo,
        "STATUS_TYPE_NAME_TAKEN",
    ),
    # --- Archive / Unarchive / Delete -------------------------------------
    Bad(
        "st-archive-built-in",
        lambda s: s.status_types.ArchiveStatusType(
            st.ArchiveStatusTypeRequest(id="available")
        ),
        Code.FAILED_PRECONDITION,
        PreconditionFailure,
        "BUILT_IN",
    ),
    Bad(
        "st-archive-unknown-id",
        lambda s: s.status_types.ArchiveStatusType(
            st.ArchiveStatusTypeRequest(id="nap")
        ),
        Code.NOT_FOUND,
        ResourceInfo,
        "nap",
    ),
    Bad(
        "st-archive-stale-etag",
        lambda s: s.status_types.ArchiveStatusType(
            st.ArchiveStatusTypeRequest(id="coffee", etag=STALE)
        ),
        Code.ABORTED,
        PreconditionFailure,
        "ETAG",
    ),
    Bad(
        "st-unarchive-empty-id",
        lambda s: s.status_types.UnarchiveStatusType(st.UnarchiveStatusTypeRequest()),
        IA,
        BadRequest,
        "id",
    ),
    Bad(
        "st-delete-built-in",
        lambda s: s.status_types.DeleteStatusType(
            st.DeleteStatusTypeRequest(id="offline")
        ),
        Code.FAILED_PRECONDITION,
        PreconditionFailure,
        "BUILT_IN",
    ),
    Bad(
        "st-delete-stale-etag",
        lambda s: s.status_types.DeleteStatusType(
            st.DeleteStatusTypeRequest(id="coffee", etag=STALE)
        ),
        Code.ABORTED,
        PreconditionFailure,
        "ETAG",
    ),
    # --- AgentService.CreateAgent -----------------------------------------
    Bad("ag-create-no-agent", create_agent(None), IA, BadRequest, "agent"),
    Bad("ag-create-empty-id", create_agent(alice(id="")), IA, BadRequest, "agent.id"),
    Bad(
        "ag-create-id-with-space",
        create_agent(alice(id="car ol")),
        IA,
        BadRequest,
        "agent.id",
    ),
    Bad(
        "ag-create-display-name-empty",
        create_agent(alice(display_name=" ")),
        IA,
        BadRequest,
        "agent.display_name",
    ),
    Bad(
        "ag-create-mobile-not-e164",
        create_agent(alice(mobile_number="054 123 4567")),
        IA,
        BadRequest,
        "agent.mobile_number",
    ),
    Bad(
        "ag-create-extension-letters",
        create_agent(alice(extension="12a")),
        IA,
        BadRequest,
        "agent.extension",
    ),
    Bad(
        "ag-create-queue-twice",
        create_agent(alice(queues=["sales", "sales"])),
        IA,
        BadRequest,
        "agent.queues",
    ),
    Bad(
        "ag-create-unknown-role",
        create_agent(alice(role=42)),
        IA,
        BadRequest,
        "agent.role",
    ),
    Bad(
        "ag-create-id-taken",
        create_agent(alice(id="alice")),
        Code.ALREADY_EXISTS,
        ResourceInfo,
        "alice",
    ),
    # --- Get / List -------------------------------------------------------
    Bad(
        "ag-get-empty-id",
        lambda s: s.agents.GetAgent(ag.GetAgentRequest()),
        IA,
        BadRequest,
        "id",
    ),
    Bad(
        "ag-get-unknown-id",
        lambda s: s.agents.GetAgent(ag.GetAgentRequest(id="zoe")),
        Code.NOT_FOUND,
        ResourceInfo,
        "zoe",
    ),
    Bad(
        "ag-list-negative-page-size",
        lambda s: s.agents.ListAgents(ag.ListAgentsRequest(page_size=-1)),
        IA,
        BadRequest,
        "page_size",
    ),
    Bad(
        "ag-list-garbage-page-token",
        lambda s: s.agents.ListAgents(ag.ListAgentsRequest(page_token="%%%")),
        IA,
        BadRequest,
        "page_token",
    ),
    # --- UpdateAgent ------------------------------------------------------
    Bad(
        "ag-update-empty-mask",
        update_agent(alice(id="alice")),
        IA,
        BadRequest,
        "update_mask",
    ),
    Bad(
        "ag-update-unknown-path",
        update_agent(alice(id="alice"), "nickname"),
        IA,
        BadRequest,
        "update_mask",
    ),
    Bad(
        "ag-update-id-path",
        update_agent(alice(id="alice"), "id"),
        IA,
        BadRequest,
        "update_mask",
    ),
    Bad(
        "ag-update-role-unspecified",
        update_agent(alice(id="alice"), "role"),
        IA,
        BadRequest,
        "agent.role",
    ),
    Bad(
        "ag-update-display-name-empty",
        update_agent(alice(id="alice", display_name=""), "display_name"),
        IA,
        BadRequest,
        "agent.display_name",
    ),
    Bad(
        "ag-update-empty-id",
        update_agent(alice(id=""), "team"),
        IA,
        BadRequest,
        "agent.id",
    ),
    Bad(
        "ag-update-stale-etag",
        update_agent(alice(id="alice", etag=STALE), "team"),
        Code.ABORTED,
        PreconditionFailure,
        "ETAG",
    ),
    Bad(
        "ag-update-unknown-id",
        update_agent(alice(id="zoe"), "team"),
        Code.NOT_FOUND,
        ResourceInfo,
        "zoe",
    ),
    # --- Archive / Delete -------------------------------------------------
    Bad(
        "ag-archive-empty-id",
        lambda s: s.agents.ArchiveAgent(ag.ArchiveAgentRequest()),
        IA,
        BadRequest,
        "id",
    ),
    Bad(
        "ag-unarchive-unknown-id",
        lambda s: s.agents.UnarchiveAgent(ag.UnarchiveAgentRequest(id="zoe")),
        Code.NOT_FOUND,
        ResourceInfo,
        "zoe",
    ),
    Bad(
        "ag-delete-stale-etag",
        lambda s: s.agents.DeleteAgent(ag.DeleteAgentRequest(id="alice", etag=STALE)),
        Code.ABORTED,
        PreconditionFailure,
        "ETAG",
    ),
]


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def prepared(shared_server: RunningServer) -> RunningServer:
    """The module's server, with a custom type and an agent to refer to."""
    await shared_server.status_types.CreateStatusType(
        st.CreateStatusTypeRequest(
            status_type=coffee(name="Coffee"), status_type_id="coffee"
        )
    )
    await shared_server.agents.CreateAgent(
        ag.CreateAgentRequest(agent=ag.Agent(id="alice", display_name="Alice"))
    )
    return shared_server


async def snapshot(server: RunningServer) -> tuple[Any, Any]:
    """Everything both services hold, archived included."""
    types = await server.status_types.ListStatusTypes(
        st.ListStatusTypesRequest(include_archived=True)
    )
    agents = await server.agents.ListAgents(
        ag.ListAgentsRequest(include_archived=True, page_size=1000)
    )
    return types, agents


def _unpacked(status: Any, kind: type[Message]) -> list[Any]:
    found = []
    for packed in status.details:
        if packed.Is(kind.DESCRIPTOR):
            detail = kind()
            packed.Unpack(detail)
            found.append(detail)
    return found


def _matches(detail: Any, expect: str) -> bool:
    if isinstance(detail, BadRequest):
        return expect in [v.field for v in detail.field_violations]
    if isinstance(detail, PreconditionFailure):
        return expect in [v.type for v in detail.violations]
    if isinstance(detail, ResourceInfo):
        return bool(detail.resource_name == expect)
    if isinstance(detail, ErrorInfo):
        return bool(detail.reason == expect)
    raise AssertionError(f"no rule for {type(detail).__name__}")


def test_the_table_has_at_least_thirty_cases_with_unique_ids() -> None:
    ids = [case.id for case in CASES]
    assert len(ids) >= 30
    assert len(set(ids)) == len(ids)


@pytest.mark.asyncio(loop_scope="module")
@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_bad_input_is_refused_with_details_and_changes_nothing(
    prepared: RunningServer, case: Bad
) -> None:
    before = await snapshot(prepared)

    with pytest.raises(grpc.aio.AioRpcError) as raised:
        await case.call(prepared)

    error = raised.value
    assert error.code() is case.code, error.details()
    assert error.details()
    status = rpc_status.from_call(error)
    assert status is not None
    [info] = _unpacked(status, ErrorInfo)
    assert info.domain == DOMAIN
    assert info.reason
    details = _unpacked(status, case.detail)
    assert details, f"no {case.detail.DESCRIPTOR.name} in {status}"
    assert any(_matches(d, case.expect) for d in details), details
    assert await snapshot(prepared) == before
