"""``presence.v1.AgentService``: agent administration over gRPC."""

from __future__ import annotations

import logging
from typing import Any

from google.protobuf import empty_pb2

from presence_server._proto.presence.v1 import agents_pb2, agents_pb2_grpc
from presence_server.catalog import Catalog
from presence_server.catalog.events import change_actor
from presence_server.domain.errors import FieldViolation, InvalidArgument

from .convert import agent_from_proto, agent_to_proto, mask_paths

logger = logging.getLogger(__name__)


def _require_agent(
    request: agents_pb2.CreateAgentRequest | agents_pb2.UpdateAgentRequest,
) -> agents_pb2.Agent:
    if not request.HasField("agent"):
        raise InvalidArgument([FieldViolation("agent", "is required")])
    return request.agent


class AgentServicer(agents_pb2_grpc.AgentServiceServicer):
    """Translates requests into catalog calls; the catalog decides the rules.

    Errors are raised as domain exceptions and translated by
    ``presence_server.api.errors.ErrorInterceptor``.
    """

    def __init__(self, catalog: Catalog) -> None:
        self._catalog = catalog

    async def CreateAgent(
        self, request: agents_pb2.CreateAgentRequest, context: Any
    ) -> agents_pb2.Agent:
        message = _require_agent(request)
        draft = agent_from_proto(message, role_required=False)

        created = await self._catalog.create_agent(draft)

        logger.info(
            "agent created", extra={"agent_id": created.id, "actor": change_actor()}
        )
        return agent_to_proto(created)

    async def GetAgent(
        self, request: agents_pb2.GetAgentRequest, context: Any
    ) -> agents_pb2.Agent:
        found = await self._catalog.get_agent(request.id)
        return agent_to_proto(found)

    async def ListAgents(
        self, request: agents_pb2.ListAgentsRequest, context: Any
    ) -> agents_pb2.ListAgentsResponse:
        page = await self._catalog.list_agents(
            team=request.team,
            include_archived=request.include_archived,
            page_size=request.page_size,
            page_token=request.page_token,
        )

        return agents_pb2.ListAgentsResponse(
            agents=[agent_to_proto(a) for a in page.agents],
            next_page_token=page.next_page_token,
        )

    async def UpdateAgent(
        self, request: agents_pb2.UpdateAgentRequest, context: Any
    ) -> agents_pb2.Agent:
        message = _require_agent(request)
        paths = mask_paths(request.update_mask)
        changes = agent_from_proto(message, role_required="role" in paths)

        updated = await self._catalog.update_agent(
            message.id, changes, paths, message.etag
        )

        logger.info(
            "agent updated: %s",
            ", ".join(paths),
            extra={"agent_id": updated.id, "actor": change_actor()},
        )
        return agent_to_proto(updated)

    async def ArchiveAgent(
        self, request: agents_pb2.ArchiveAgentRequest, context: Any
    ) -> agents_pb2.Agent:
        archived = await self._catalog.archive_agent(request.id, request.etag)
        logger.info(
            "agent archived", extra={"agent_id": request.id, "actor": change_actor()}
        )
        return agent_to_proto(archived)

    async def UnarchiveAgent(
        self, request: agents_pb2.UnarchiveAgentRequest, context: Any
    ) -> agents_pb2.Agent:
        restored = await self._catalog.unarchive_agent(request.id, request.etag)
        logger.info(
            "agent unarchived", extra={"agent_id": request.id, "actor": change_actor()}
        )
        return agent_to_proto(restored)

    async def DeleteAgent(
        self, request: agents_pb2.DeleteAgentRequest, context: Any
    ) -> empty_pb2.Empty:
        await self._catalog.delete_agent(request.id, request.etag)
        logger.info(
            "agent deleted", extra={"agent_id": request.id, "actor": change_actor()}
        )
        return empty_pb2.Empty()
