"""The rules of agent administration, inside a transaction.

As for status types: checks without the database first, then under the
catalog lock against the stored state, and nothing written before the last
check passed.
"""

from __future__ import annotations

import base64
import binascii
import json
import unicodedata
from collections.abc import Collection
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from presence_server.catalog.common import (
    AGENT_ID_TAKEN,
    AGENT_IN_USE,
    AGENT_NOT_FOUND,
    CATALOG_LOCK,
    EXTENSION_TAKEN,
    INVALID_AGENT,
    INVALID_PAGE_SIZE,
    INVALID_PAGE_TOKEN,
    check_etag,
    check_update_mask,
    in_use,
)
from presence_server.domain.agents import (
    UPDATABLE_FIELDS,
    Agent,
    check_fields,
    check_id,
)
from presence_server.domain.errors import (
    AlreadyExists,
    FieldViolation,
    InvalidArgument,
    NotFound,
)
from presence_server.storage import agents as repo
from presence_server.storage.db import take_lock
from presence_server.storage.models import AgentRow

RESOURCE = "agent"
PAGE_SIZE_DEFAULT = 1000
PAGE_SIZE_MAX = 1000

_ARCHIVE_RPCS = {"archived": "use ArchiveAgent or UnarchiveAgent"}


def normalized(agent: Agent) -> Agent:
    """The values as stored: trimmed NFC display name and team, queues a tuple."""
    return replace(
        agent,
        display_name=unicodedata.normalize("NFC", agent.display_name.strip()),
        team=unicodedata.normalize("NFC", agent.team.strip()),
        queues=tuple(agent.queues),
    )


async def create(session: AsyncSession, now: datetime, draft: Agent) -> Agent:
    candidate = normalized(
        replace(draft, archived=False, create_time=None, update_time=None, etag="")
    )
    violations = check_id(candidate.id) + check_fields(candidate)
    if violations:
        raise InvalidArgument(violations, reason=INVALID_AGENT)

    await take_lock(session, CATALOG_LOCK)
    if await repo.load_row(session, candidate.id) is not None:
        raise AlreadyExists(
            f"agent {candidate.id!r} already exists",
            reason=AGENT_ID_TAKEN,
            metadata={"field": "agent.id", "agent": candidate.id},
            resource=(RESOURCE, candidate.id),
        )
    await _check_extension_free(session, candidate)

    # A deleted agent never had presence history: its id may serve again.
    # Its revision goes on growing, so etags of the old agent stay stale.
    row = await repo.load_deleted_row(session, candidate.id)
    if row is None:
        row = repo.new_row(candidate, now)
        session.add(row)
    else:
        repo.write_fields(row, candidate)
        row.archived = False
        row.deleted_at = None
        row.create_time = now
        _touch(row, now)
    return repo.to_domain(row)


async def get(session: AsyncSession, agent_id: str) -> Agent:
    row = await repo.load_row(session, agent_id)
    if row is None:
        raise NotFound(RESOURCE, agent_id, reason=AGENT_NOT_FOUND)
    return repo.to_domain(row)


@dataclass(frozen=True, slots=True)
class PageRequest:
    """A checked list request: what to read after which id."""

    team: str
    include_archived: bool
    size: int
    after_id: str


def page_request(
    *, team: str, include_archived: bool, page_size: int, page_token: str
) -> PageRequest:
    """Check the paging arguments. A token only continues the query it came from."""
    if page_size < 0:
        raise InvalidArgument(
            [FieldViolation("page_size", f"must be 0-{PAGE_SIZE_MAX}, 0 = default")],
            reason=INVALID_PAGE_SIZE,
        )
    size = min(page_size or PAGE_SIZE_DEFAULT, PAGE_SIZE_MAX)
    team = team.strip()
    after_id = ""
    if page_token:
        after_id = _read_token(page_token, team=team, include_archived=include_archived)
    return PageRequest(team, include_archived, size, after_id)


async def list_page(
    session: AsyncSession, request: PageRequest
) -> tuple[list[Agent], str]:
    """One page in id order, and the token of the next ("" on the last page)."""
    agents = await repo.list_agents(
        session,
        team=request.team,
        include_archived=request.include_archived,
        after_id=request.after_id,
        limit=request.size + 1,
    )
    if len(agents) <= request.size:
        return agents, ""
    agents = agents[: request.size]
    token = _make_token(
        after_id=agents[-1].id,
        team=request.team,
        include_archived=request.include_archived,
    )
    return agents, token


async def update(
    session: AsyncSession,
    now: datetime,
    agent_id: str,
    changes: Agent,
    paths: Collection[str],
    etag: str,
) -> Agent:
    check_update_mask(
        paths, message_name="Agent", updatable=UPDATABLE_FIELDS, own_rpcs=_ARCHIVE_RPCS
    )

    row = await _load_for_write(session, agent_id, etag)
    current = repo.to_domain(row)
    wanted = normalized(replace(current, **{p: getattr(changes, p) for p in paths}))
    violations = check_fields(wanted)
    if violations:
        raise InvalidArgument(violations, reason=INVALID_AGENT)
    if wanted == current:
        return current
    if wanted.extension != current.extension:
        await _check_extension_free(session, wanted)

    repo.write_fields(row, wanted)
    _touch(row, now)
    return repo.to_domain(row)


async def archive(
    session: AsyncSession, now: datetime, agent_id: str, etag: str, *, archived: bool
) -> Agent:
    """Archive (or with ``archived=False`` unarchive); a repeat changes nothing."""
    row = await _load_for_write(session, agent_id, etag)
    if row.archived != archived:
        if not archived:
            await _check_extension_free(session, repo.to_domain(row))
        row.archived = archived
        _touch(row, now)
    return repo.to_domain(row)


async def delete(
    session: AsyncSession, now: datetime, agent_id: str, etag: str
) -> None:
    row = await _load_for_write(session, agent_id, etag)
    if row.first_used_at is not None:
        raise in_use(
            RESOURCE,
            agent_id,
            reason=AGENT_IN_USE,
            what="the agent has presence history",
        )
    row.deleted_at = now
    _touch(row, now)


async def _check_extension_free(session: AsyncSession, agent: Agent) -> None:
    # Telephony maps calls on an extension to one agent: two live agents
    # cannot share it. Archived agents keep theirs (unarchiving rechecks).
    if not agent.extension:
        return
    owner = await session.scalar(
        select(AgentRow.id).where(
            AgentRow.extension == agent.extension,
            AgentRow.id != agent.id,
            AgentRow.deleted_at.is_(None),
            AgentRow.archived.is_(False),
        )
    )
    if owner is not None:
        raise AlreadyExists(
            f"extension {agent.extension} already belongs to agent {owner!r}; "
            "give this agent another extension or change theirs first",
            reason=EXTENSION_TAKEN,
            metadata={"field": "agent.extension", "agent": owner},
            resource=(RESOURCE, owner),
        )


async def _load_for_write(session: AsyncSession, agent_id: str, etag: str) -> AgentRow:
    await take_lock(session, CATALOG_LOCK)
    row = await repo.load_row(session, agent_id, for_update=True)
    if row is None:
        raise NotFound(RESOURCE, agent_id, reason=AGENT_NOT_FOUND)
    check_etag(RESOURCE, agent_id, etag, repo.etag_for(row.revision))
    return row


def _touch(row: AgentRow, now: datetime) -> None:
    row.revision += 1
    row.update_time = now


def _make_token(*, after_id: str, team: str, include_archived: bool) -> str:
    data = {"after": after_id, "team": team, "archived": include_archived}
    raw = json.dumps(data, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _read_token(token: str, *, team: str, include_archived: bool) -> str:
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
        data = json.loads(raw)
        after_id, token_team, token_archived = (
            data["after"],
            data["team"],
            data["archived"],
        )
    except (binascii.Error, ValueError, TypeError, KeyError) as error:
        raise _bad_token("is not a token this server issued") from error
    if not isinstance(after_id, str) or not after_id:
        raise _bad_token("is not a token this server issued")
    if token_team != team or token_archived != include_archived:
        raise _bad_token(
            "belongs to a query with other filters (team, include_archived); "
            "send the same filters, or start again without a token"
        )
    return after_id


def _bad_token(text: str) -> InvalidArgument:
    return InvalidArgument(
        [FieldViolation("page_token", text)], reason=INVALID_PAGE_TOKEN
    )
