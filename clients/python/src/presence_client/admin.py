"""Administration: status types and agents (``client.status_types``, ``client.agents``).

Reads are retried after transient failures; writes are not (see
:mod:`presence_client.retry`). Updates take the message with the new values
and the names of the fields to change: only those change. ``etag``, when
given, makes a write apply only to the version that was read; otherwise it
fails with :class:`~presence_client.errors.EtagMismatchError`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from google.protobuf import empty_pb2, field_mask_pb2

from ._proto.presence.v1 import (
    agents_pb2,
    agents_pb2_grpc,
    common_pb2,
    status_types_pb2,
    status_types_pb2_grpc,
)
from ._rpc import Rpc

# The largest page the server hands out.
MAX_PAGE_SIZE = 1000


class StatusTypes:
    """``StatusTypeService``: the statuses agents can be in."""

    def __init__(self, rpc: Rpc) -> None:
        self._rpc = rpc

    @property
    def _stub(self) -> Any:
        return self._rpc.stub(status_types_pb2_grpc.StatusTypeServiceStub)

    async def create(
        self, status_type: status_types_pb2.StatusType, *, status_type_id: str = ""
    ) -> status_types_pb2.StatusType:
        """Create a status type; its id is ``status_type_id`` or generated."""
        request = status_types_pb2.CreateStatusTypeRequest(
            status_type=status_type, status_type_id=status_type_id
        )
        return await self._rpc.unary(
            self._stub.CreateStatusType,
            request,
            status_types_pb2.StatusType,
            retry=False,
        )

    async def get(self, status_type_id: str) -> status_types_pb2.StatusType:
        """One status type, archived or not."""
        request = status_types_pb2.GetStatusTypeRequest(id=status_type_id)
        return await self._rpc.unary(
            self._stub.GetStatusType, request, status_types_pb2.StatusType, retry=True
        )

    async def list(
        self,
        *,
        include_archived: bool = False,
        kind: common_pb2.StatusKind.ValueType = common_pb2.STATUS_KIND_UNSPECIFIED,
        selectable_only: bool = False,
    ) -> list[status_types_pb2.StatusType]:
        """Status types in menu order (sort order, then name)."""
        request = status_types_pb2.ListStatusTypesRequest(
            include_archived=include_archived,
            kind=kind,
            selectable_only=selectable_only,
        )
        response = await self._rpc.unary(
            self._stub.ListStatusTypes,
            request,
            status_types_pb2.ListStatusTypesResponse,
            retry=True,
        )
        return list(response.status_types)

    async def update(
        self, status_type: status_types_pb2.StatusType, fields: Iterable[str]
    ) -> status_types_pb2.StatusType:
        """Change ``fields`` of the type ``status_type.id`` to the given values."""
        request = status_types_pb2.UpdateStatusTypeRequest(
            status_type=status_type,
            update_mask=field_mask_pb2.FieldMask(paths=list(fields)),
        )
        return await self._rpc.unary(
            self._stub.UpdateStatusType,
            request,
            status_types_pb2.StatusType,
            retry=False,
        )

    async def archive(
        self, status_type_id: str, *, etag: str = ""
    ) -> status_types_pb2.StatusType:
        """Archive a type: kept in history, no longer entered."""
        request = status_types_pb2.ArchiveStatusTypeRequest(
            id=status_type_id, etag=etag
        )
        return await self._rpc.unary(
            self._stub.ArchiveStatusType,
            request,
            status_types_pb2.StatusType,
            retry=False,
        )

    async def unarchive(
        self, status_type_id: str, *, etag: str = ""
    ) -> status_types_pb2.StatusType:
        """Bring an archived type back."""
        request = status_types_pb2.UnarchiveStatusTypeRequest(
            id=status_type_id, etag=etag
        )
        return await self._rpc.unary(
            self._stub.UnarchiveStatusType,
            request,
            status_types_pb2.StatusType,
            retry=False,
        )

    async def delete(self, status_type_id: str, *, etag: str = "") -> None:
        """Delete a type that was never used (archive it otherwise)."""
        request = status_types_pb2.DeleteStatusTypeRequest(id=status_type_id, etag=etag)
        await self._rpc.unary(
            self._stub.DeleteStatusType, request, empty_pb2.Empty, retry=False
        )


class Agents:
    """``AgentService``: the people whose status the server owns."""

    def __init__(self, rpc: Rpc) -> None:
        self._rpc = rpc

    @property
    def _stub(self) -> Any:
        return self._rpc.stub(agents_pb2_grpc.AgentServiceStub)

    async def create(self, agent: agents_pb2.Agent) -> agents_pb2.Agent:
        """Create ``agent`` (its ``id`` is required)."""
        request = agents_pb2.CreateAgentRequest(agent=agent)
        return await self._rpc.unary(
            self._stub.CreateAgent, request, agents_pb2.Agent, retry=False
        )

    async def get(self, agent_id: str) -> agents_pb2.Agent:
        """One agent, archived or not."""
        request = agents_pb2.GetAgentRequest(id=agent_id)
        return await self._rpc.unary(
            self._stub.GetAgent, request, agents_pb2.Agent, retry=True
        )

    async def list_page(
        self,
        *,
        team: str = "",
        include_archived: bool = False,
        page_size: int = MAX_PAGE_SIZE,
        page_token: str = "",
    ) -> agents_pb2.ListAgentsResponse:
        """One page of agents by id; ``next_page_token`` is empty on the last."""
        request = agents_pb2.ListAgentsRequest(
            team=team,
            include_archived=include_archived,
            page_size=page_size,
            page_token=page_token,
        )
        return await self._rpc.unary(
            self._stub.ListAgents, request, agents_pb2.ListAgentsResponse, retry=True
        )

    async def list(
        self, *, team: str = "", include_archived: bool = False
    ) -> list[agents_pb2.Agent]:
        """Every agent (of ``team``, when given), by id, all pages read."""
        agents: list[agents_pb2.Agent] = []
        token = ""
        while True:
            page = await self.list_page(
                team=team, include_archived=include_archived, page_token=token
            )
            agents.extend(page.agents)
            if not page.next_page_token or page.next_page_token == token:
                return agents
            token = page.next_page_token

    async def update(
        self, agent: agents_pb2.Agent, fields: Iterable[str]
    ) -> agents_pb2.Agent:
        """Change ``fields`` of the agent ``agent.id`` to the given values."""
        request = agents_pb2.UpdateAgentRequest(
            agent=agent, update_mask=field_mask_pb2.FieldMask(paths=list(fields))
        )
        return await self._rpc.unary(
            self._stub.UpdateAgent, request, agents_pb2.Agent, retry=False
        )

    async def archive(self, agent_id: str, *, etag: str = "") -> agents_pb2.Agent:
        """Archive an agent: history kept, status can no longer change."""
        request = agents_pb2.ArchiveAgentRequest(id=agent_id, etag=etag)
        return await self._rpc.unary(
            self._stub.ArchiveAgent, request, agents_pb2.Agent, retry=False
        )

    async def unarchive(self, agent_id: str, *, etag: str = "") -> agents_pb2.Agent:
        """Bring an archived agent back."""
        request = agents_pb2.UnarchiveAgentRequest(id=agent_id, etag=etag)
        return await self._rpc.unary(
            self._stub.UnarchiveAgent, request, agents_pb2.Agent, retry=False
        )

    async def delete(self, agent_id: str, *, etag: str = "") -> None:
        """Delete an agent with no presence history (archive it otherwise)."""
        request = agents_pb2.DeleteAgentRequest(id=agent_id, etag=etag)
        await self._rpc.unary(
            self._stub.DeleteAgent, request, empty_pb2.Empty, retry=False
        )
