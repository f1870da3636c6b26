"""``presencectl agents``: list, read and change agents.

As for status types, create and update send only the options given, and the
update mask names exactly those fields. ``--queue`` replaces the whole list
of queues; ``--clear-queues`` empties it.
"""

from __future__ import annotations

import enum
from typing import Annotated, Any

import typer
from google.protobuf import empty_pb2
from presence_client.proto import agents_pb2, common_pb2
from rich.table import Table
from rich.text import Text

from presence_server.cli.ctl_output import (
    confirm,
    print_json_list,
    print_table,
    show,
    timestamp,
    yes_no,
)
from presence_server.cli.ctl_rpc import Connection, JsonOpt, settings_of

app = typer.Typer(
    help="Agents: the people whose status the server owns.", no_args_is_help=True
)

# The largest page the server hands out; fewer round trips for big lists.
_PAGE_SIZE = 1000


class RoleChoice(enum.StrEnum):
    """An agent's role, as typed on the command line."""

    AGENT = "agent"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


def role_to_proto(role: RoleChoice) -> common_pb2.Role.ValueType:
    return common_pb2.Role.Value(f"ROLE_{role.value.upper()}")


def role_label(value: common_pb2.Role.ValueType) -> str:
    try:
        name: str = common_pb2.Role.Name(value)
    except ValueError:
        return str(value)
    return name.removeprefix("ROLE_").lower()


IdArg = Annotated[str, typer.Argument(help="The agent's id.", show_default=False)]
EtagOpt = Annotated[
    str, typer.Option(help="Act only if the stored etag is still this one.")
]
TeamOpt = Annotated[str | None, typer.Option(help="Team name ('' for none).")]
ExtensionOpt = Annotated[
    str | None, typer.Option(help="Telephony extension ('' for none).")
]
MobileOpt = Annotated[
    str | None, typer.Option(help="Mobile number, E.164 ('' for none).")
]
QueueOpt = Annotated[
    list[str] | None,
    typer.Option(
        "--queue",
        help="A call queue, repeatable; replaces the list.",
        show_default=False,
    ),
]
RoleOpt = Annotated[RoleChoice | None, typer.Option(case_sensitive=False)]


@app.command("list")
def list_agents(
    ctx: typer.Context,
    team: Annotated[str, typer.Option(help="Only this team.")] = "",
    include_archived: Annotated[
        bool,
        typer.Option("--all", "--include-archived", help="Also archived agents."),
    ] = False,
    page_size: Annotated[
        int, typer.Option(min=1, max=_PAGE_SIZE, help="Agents fetched per call.")
    ] = _PAGE_SIZE,
    json_output: JsonOpt = False,
) -> None:
    """List agents by id, every page of them."""
    settings = settings_of(ctx, json_output)
    agents: list[Any] = []
    page_token = ""
    with Connection(settings) as conn:
        while True:
            response = conn.call(
                conn.client.agents.list_page(
                    team=team,
                    include_archived=include_archived,
                    page_size=page_size,
                    page_token=page_token,
                )
            )
            agents.extend(response.agents)
            if not response.next_page_token:
                break
            if response.next_page_token == page_token:
                typer.echo("error: the server returned the same page twice", err=True)
                raise typer.Exit(1)
            page_token = response.next_page_token

    if settings.json_output:
        print_json_list(agents)
    else:
        print_table(_agent_table(agents))


@app.command("get")
def get_agent(
    ctx: typer.Context, agent_id: IdArg, json_output: JsonOpt = False
) -> None:
    """Show one agent with every field."""
    settings = settings_of(ctx, json_output)
    with Connection(settings) as conn:
        agent = conn.call(conn.client.agents.get(agent_id))
    show(
        settings.json_output,
        agent,
        title=f"agent {agent.id}",
        rows=_record_rows(agent),
    )


@app.command("create")
def create_agent(
    ctx: typer.Context,
    agent_id: IdArg,
    name: Annotated[str, typer.Option(help="Display name.")],
    team: TeamOpt = None,
    extension: ExtensionOpt = None,
    mobile: MobileOpt = None,
    queue: QueueOpt = None,
    role: RoleOpt = None,
    json_output: JsonOpt = False,
) -> None:
    """Create an agent."""
    settings = settings_of(ctx, json_output)
    changes = _changes(
        name=name,
        team=team,
        extension=extension,
        mobile=mobile,
        queues=queue or None,
        role=role,
    )
    agent = agents_pb2.Agent(id=agent_id)
    _apply(agent, changes)

    with Connection(settings) as conn:
        created = conn.call(conn.client.agents.create(agent))
    show(
        settings.json_output,
        created,
        title=f"agent {created.id}",
        rows=_record_rows(created),
        heading=f"created agent {created.id!r}",
    )


@app.command("update")
def update_agent(
    ctx: typer.Context,
    agent_id: IdArg,
    name: Annotated[str | None, typer.Option(help="Display name.")] = None,
    team: TeamOpt = None,
    extension: ExtensionOpt = None,
    mobile: MobileOpt = None,
    queue: QueueOpt = None,
    clear_queues: Annotated[
        bool, typer.Option(help="Remove the agent from every queue.")
    ] = False,
    role: RoleOpt = None,
    etag: EtagOpt = "",
    json_output: JsonOpt = False,
) -> None:
    """Change the given fields of an agent; the others stay as they are."""
    settings = settings_of(ctx, json_output)
    if queue and clear_queues:
        raise typer.BadParameter(
            "give either --queue or --clear-queues, not both",
            param_hint="--clear-queues",
        )
    changes = _changes(
        name=name,
        team=team,
        extension=extension,
        mobile=mobile,
        queues=[] if clear_queues else (queue or None),
        role=role,
    )
    if not changes:
        raise typer.BadParameter(
            "nothing to update: give at least one field option (see --help)"
        )

    agent = agents_pb2.Agent(id=agent_id, etag=etag)
    _apply(agent, changes)
    with Connection(settings) as conn:
        updated = conn.call(conn.client.agents.update(agent, changes))
    show(
        settings.json_output,
        updated,
        title=f"agent {updated.id}",
        rows=_record_rows(updated),
        heading=f"updated agent {updated.id!r}",
    )


@app.command("archive")
def archive_agent(
    ctx: typer.Context,
    agent_id: IdArg,
    etag: EtagOpt = "",
    json_output: JsonOpt = False,
) -> None:
    """Archive an agent: history kept, status can no longer change."""
    settings = settings_of(ctx, json_output)
    with Connection(settings) as conn:
        archived = conn.call(conn.client.agents.archive(agent_id, etag=etag))
    confirm(settings.json_output, archived, f"archived agent {archived.id!r}")


@app.command("unarchive")
def unarchive_agent(
    ctx: typer.Context,
    agent_id: IdArg,
    etag: EtagOpt = "",
    json_output: JsonOpt = False,
) -> None:
    """Bring an archived agent back."""
    settings = settings_of(ctx, json_output)
    with Connection(settings) as conn:
        restored = conn.call(conn.client.agents.unarchive(agent_id, etag=etag))
    confirm(settings.json_output, restored, f"unarchived agent {restored.id!r}")


@app.command("delete")
def delete_agent(
    ctx: typer.Context,
    agent_id: IdArg,
    etag: EtagOpt = "",
    json_output: JsonOpt = False,
) -> None:
    """Delete an agent with no presence history (archive it otherwise)."""
    settings = settings_of(ctx, json_output)
    with Connection(settings) as conn:
        conn.call(conn.client.agents.delete(agent_id, etag=etag))
    confirm(settings.json_output, empty_pb2.Empty(), f"deleted agent {agent_id!r}")


def _changes(
    *,
    name: str | None,
    team: str | None,
    extension: str | None,
    mobile: str | None,
    queues: list[str] | None,
    role: RoleChoice | None,
) -> dict[str, Any]:
    """Proto field name -> value, for exactly the options that were given."""
    given: dict[str, Any] = {
        "display_name": name,
        "team": team,
        "extension": extension,
        "mobile_number": mobile,
        "queues": queues,
        "role": role_to_proto(role) if role is not None else None,
    }
    return {field: value for field, value in given.items() if value is not None}


def _apply(agent: Any, changes: dict[str, Any]) -> None:
    for field, value in changes.items():
        if field == "queues":
            agent.queues[:] = value
        else:
            setattr(agent, field, value)


def _agent_table(agents: list[Any]) -> Table:
    table = Table()
    table.add_column("id", no_wrap=True)
    for header in ("name", "team", "extension", "mobile", "queues", "role"):
        table.add_column(header)
    table.add_column("archived")
    for agent in agents:
        table.add_row(
            Text(agent.id),
            Text(agent.display_name),
            Text(agent.team or "-"),
            Text(agent.extension or "-"),
            Text(agent.mobile_number or "-"),
            Text(", ".join(agent.queues) or "-"),
            Text(role_label(agent.role)),
            yes_no(agent.archived),
        )
    return table


def _record_rows(agent: Any) -> list[tuple[str, Text | str]]:
    return [
        ("id", agent.id),
        ("name", agent.display_name),
        ("team", agent.team or "-"),
        ("extension", agent.extension or "-"),
        ("mobile", agent.mobile_number or "-"),
        ("queues", ", ".join(agent.queues) or "-"),
        ("role", role_label(agent.role)),
        ("archived", yes_no(agent.archived)),
        ("created", timestamp(agent.create_time, agent.HasField("create_time"))),
        ("updated", timestamp(agent.update_time, agent.HasField("update_time"))),
        ("etag", agent.etag or "-"),
    ]
