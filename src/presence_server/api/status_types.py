"""``presence.v1.StatusTypeService``: status type administration over gRPC."""

from __future__ import annotations

import logging
from typing import Any

from google.protobuf import empty_pb2

from presence_server._proto.presence.v1 import status_types_pb2, status_types_pb2_grpc
from presence_server.catalog import Catalog
from presence_server.catalog.events import change_actor
from presence_server.domain.errors import FieldViolation, InvalidArgument

from .convert import (
    given_optional_fields,
    mask_paths,
    status_kind_from_proto,
    status_type_from_proto,
    status_type_to_proto,
)

logger = logging.getLogger(__name__)


def _require_status_type(
    request: status_types_pb2.CreateStatusTypeRequest
    | status_types_pb2.UpdateStatusTypeRequest,
) -> status_types_pb2.StatusType:
    if not request.HasField("status_type"):
        raise InvalidArgument([FieldViolation("status_type", "is required")])
    return request.status_type


class StatusTypeServicer(status_types_pb2_grpc.StatusTypeServiceServicer):
    """Translates requests into catalog calls; the catalog decides the rules.

    Errors are raised as domain exceptions and translated by
    ``presence_server.api.errors.ErrorInterceptor``.
    """

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    async def CreateStatusType(
        self, request: status_types_pb2.CreateStatusTypeRequest, context: Any
    ) -> status_types_pb2.StatusType:
        message = _require_status_type(request)
        draft = status_type_from_proto(message, kind_required=True)

        created = await self._catalog.create_status_type(
            draft,
            status_type_id=request.status_type_id,
            given=given_optional_fields(message),
        )

        logger.info(
            "status type %s created", created.id, extra={"actor": change_actor()}
        )
        return status_type_to_proto(created)

    async def GetStatusType(
        self, request: status_types_pb2.GetStatusTypeRequest, context: Any
    ) -> status_types_pb2.StatusType:
        found = await self._catalog.get_status_type(request.id)
        return status_type_to_proto(found)

    async def ListStatusTypes(
        self, request: status_types_pb2.ListStatusTypesRequest, context: Any
    ) -> status_types_pb2.ListStatusTypesResponse:
        kind = status_kind_from_proto(request.kind, "kind")

        found = await self._catalog.list_status_types(
            include_archived=request.include_archived,
            kind=kind,
            selectable_only=request.selectable_only,
        )

        return status_types_pb2.ListStatusTypesResponse(
            status_types=[status_type_to_proto(t) for t in found]
        )

    async def UpdateStatusType(
        self, request: status_types_pb2.UpdateStatusTypeRequest, context: Any
    ) -> status_types_pb2.StatusType:
        message = _require_status_type(request)
        paths = mask_paths(request.update_mask)
        changes = status_type_from_proto(message, kind_required="kind" in paths)

        updated = await self._catalog.update_status_type(
            message.id, changes, paths, message.etag
        )

        logger.info(
            "status type %s updated: %s",
            updated.id,
            ", ".join(paths),
            extra={"actor": change_actor()},
        )
        return status_type_to_proto(updated)

    async def ArchiveStatusType(
        self, request: status_types_pb2.ArchiveStatusTypeRequest, context: Any
    ) -> status_types_pb2.StatusType:
        archived = await self._catalog.archive_status_type(request.id, request.etag)
        logger.info(
            "status type %s archived", request.id, extra={"actor": change_actor()}
        )
        return status_type_to_proto(archived)

    async def UnarchiveStatusType(
        self, request: status_types_pb2.UnarchiveStatusTypeRequest, context: Any
    ) -> status_types_pb2.StatusType:
        restored = await self._catalog.unarchive_status_type(request.id, request.etag)
        logger.info(
            "status type %s unarchived", request.id, extra={"actor": change_actor()}
        )
        return status_type_to_proto(restored)

    async def DeleteStatusType(
        self, request: status_types_pb2.DeleteStatusTypeRequest, context: Any
    ) -> empty_pb2.Empty:
        await self._catalog.delete_status_type(request.id, request.etag)
        logger.info(
            "status type %s deleted", request.id, extra={"actor": change_actor()}
        )
        return empty_pb2.Empty()
