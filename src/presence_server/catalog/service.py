"""The catalog: status types and agents, validated and stored.

INTERFACE DRAFT - to be implemented (storage-backed). The API servicers call
exactly these methods; every failure is a ``PresenceError`` subclass and a
failed call changes nothing.
"""

from __future__ import annotations

from collections.abc import Collection
from dataclasses import dataclass

from presence_server.domain.agents import Agent
from presence_server.domain.status_types import StatusKind, StatusType


@dataclass(frozen=True, slots=True)
class Page:
    agents: list[Agent]
    next_page_token: str


class Catalog:
    """Status types and agents. Safe to share between concurrent requests."""

    # --- status types -----------------------------------------------------

    async def create_status_type(
        self,
        draft: StatusType,
        *,
        status_type_id: str = "",
        given: Collection[str] = (),
    ) -> StatusType:
        """Validate and store a new type.

        ``draft`` carries the requested values; ``given`` names the optional
        fields (queue_login, external_calls, selectable) the caller actually
        set: the others take ``defaults_for(kind)``. ``id``, ``archived``,
        ``built_in``, times and etag of the draft are ignored.
        """
        raise NotImplementedError

    async def get_status_type(self, status_type_id: str) -> StatusType:
        raise NotImplementedError

    async def list_status_types(
        self,
        *,
        include_archived: bool = False,
        kind: StatusKind | None = None,
        selectable_only: bool = False,
    ) -> list[StatusType]:
        """In menu order: sort_order, then name."""
        raise NotImplementedError

    async def update_status_type(
        self,
        status_type_id: str,
        changes: StatusType,
        paths: Collection[str],
        etag: str,
    ) -> StatusType:
        """Copy the fields named by ``paths`` from ``changes``; check; store."""
        raise NotImplementedError

    async def archive_status_type(self, status_type_id: str, etag: str) -> StatusType:
        raise NotImplementedError

    async def unarchive_status_type(self, status_type_id: str, etag: str) -> StatusType:
        raise NotImplementedError

    async def delete_status_type(self, status_type_id: str, etag: str) -> None:
        raise NotImplementedError

    # --- agents -----------------------------------------------------------

    async def create_agent(self, draft: Agent) -> Agent:
        raise NotImplementedError

    async def get_agent(self, agent_id: str) -> Agent:
        raise NotImplementedError

    async def list_agents(
        self,
        *,
        team: str = "",
        include_archived: bool = False,
        page_size: int = 0,
        page_token: str = "",
    ) -> Page:
        raise NotImplementedError

    async def update_agent(
        self, agent_id: str, changes: Agent, paths: Collection[str], etag: str
    ) -> Agent:
        raise NotImplementedError

    async def archive_agent(self, agent_id: str, etag: str) -> Agent:
        raise NotImplementedError

    async def unarchive_agent(self, agent_id: str, etag: str) -> Agent:
        raise NotImplementedError

    async def delete_agent(self, agent_id: str, etag: str) -> None:
        raise NotImplementedError
