"""``presencectl status-types``: list, read and change status types.

Create and update send only what the user typed: an option left out is not
sent at all (for create, the server's default applies - for ``queue_login``,
``external_calls`` and ``selectable`` that default depends on the kind), and
the update mask names exactly the options given, so nothing else changes.
"""

from __future__ import annotations

from typing import Annotated

import typer
from google.protobuf import empty_pb2
from presence_client.proto import common_pb2, status_types_pb2

from presence_server.cli.ctl_output import confirm, print_json_list, print_table, show
from presence_server.cli.ctl_rpc import Connection, JsonOpt, settings_of
from presence_server.cli.ctl_status_types_fields import (
    Kind,
    apply_changes,
    field_changes,
    kind_to_proto,
    parse_telephony,
)
from presence_server.cli.ctl_status_types_view import record_rows, status_type_table

app = typer.Typer(
    help="Status types: what an agent's status can be.", no_args_is_help=True
)

_UINT32_MAX = 2**32 - 1
_INT32_MIN, _INT32_MAX = -(2**31), 2**31 - 1


# Options shared by create and update. ``None`` means "not given".
IdArg = Annotated[str, typer.Argument(help="The status type's id.", show_default=False)]
EtagOpt = Annotated[
    str, typer.Option(help="Act only if the stored etag is still this one.")
]
NameOpt = Annotated[
    str | None, typer.Option(help="Shown in clients and reports; unique.")
]
ColorOpt = Annotated[str | None, typer.Option(help="Display color, #RRGGBB.")]
KindOpt = Annotated[Kind | None, typer.Option(case_sensitive=False)]
LimitOpt = Annotated[
    int | None,
    typer.Option(
        "--limit",
        min=0,
        max=_UINT32_MAX,
        metavar="N",
        help="Uses per shift, 0 = unlimited.",
    ),
]
AllowedMinutesOpt = Annotated[
    int | None,
    typer.Option(
        min=0, max=_UINT32_MAX, metavar="N", help="Minutes per use, 0 = unlimited."
    ),
]
KeepOpt = Annotated[
    bool | None,
    typer.Option(
        "--keep-on-disconnect/--no-keep-on-disconnect",
        help="Keep the status when the agent's connections are lost.",
        show_default=False,
    ),
]
EndShiftOpt = Annotated[
    bool | None,
    typer.Option(
        "--can-end-shift/--cannot-end-shift",
        help="The agent may end the shift in this status.",
        show_default=False,
    ),
]
RingMobileOpt = Annotated[
    bool | None,
    typer.Option(
        "--ring-mobile/--no-ring-mobile",
        help="Telephony: ring the agent's mobile.",
        show_default=False,
    ),
]
QueueLoginOpt = Annotated[
    bool | None,
    typer.Option(
        "--queue-login/--no-queue-login",
        help="Telephony: logged into call queues.",
        show_default=False,
    ),
]
ExternalCallsOpt = Annotated[
    bool | None,
    typer.Option(
        "--external-calls/--no-external-calls",
        help="Telephony: external calls allowed.",
        show_default=False,
    ),
]
SelectableOpt = Annotated[
    bool | None,
    typer.Option(
        "--selectable/--not-selectable",
        help="Agents may pick it.",
        show_default=False,
    ),
]
SortOrderOpt = Annotated[
    int | None,
    typer.Option(
        min=_INT32_MIN, max=_INT32_MAX, metavar="N", help="Position in menus."
    ),
]
TelephonyOpt = Annotated[
    list[str] | None,
    typer.Option(
        metavar="ADAPTER:KEY=VALUE",
        help=(
            "Telephony mapping, repeatable. KEY is presence_profile, "
            "pause_reason, do_not_disturb (true/false) or any adapter option."
        ),
        show_default=False,
    ),
]


@app.command("list")
def list_status_types(
    ctx: typer.Context,
    include_archived: Annotated[
        bool,
        typer.Option("--all", "--include-archived", help="Also archived types."),
    ] = False,
    kind: Annotated[
        Kind | None, typer.Option(case_sensitive=False, help="Only this kind.")
    ] = None,
    selectable_only: Annotated[
        bool, typer.Option(help="Only types agents may pick.")
    ] = False,
    json_output: JsonOpt = False,
) -> None:
    """List status types in menu order."""
    settings = settings_of(ctx, json_output)
    with Connection(settings) as conn:
        status_types = conn.call(
            conn.client.status_types.list(
                include_archived=include_archived,
                kind=(
                    kind_to_proto(kind)
                    if kind is not None
                    else common_pb2.STATUS_KIND_UNSPECIFIED
                ),
                selectable_only=selectable_only,
            )
        )

    if settings.json_output:
        print_json_list(status_types)
    else:
        print_table(status_type_table(status_types))


@app.command("get")
def get_status_type(
    ctx: typer.Context, status_type_id: IdArg, json_output: JsonOpt = False
) -> None:
    """Show one status type with every field."""
    settings = settings_of(ctx, json_output)
    with Connection(settings) as conn:
        status_type = conn.call(conn.client.status_types.get(status_type_id))
    show(
        settings.json_output,
        status_type,
        title=f"status type {status_type.id}",
        rows=record_rows(status_type),
    )


@app.command("create")
def create_status_type(
    ctx: typer.Context,
    name: Annotated[str, typer.Option(help="Shown in clients and reports; unique.")],
    color: Annotated[str, typer.Option(help="Display color, #RRGGBB.")],
    kind: Annotated[Kind, typer.Option(case_sensitive=False)],
    limit: LimitOpt = None,
    allowed_minutes: AllowedMinutesOpt = None,
    keep_on_disconnect: KeepOpt = None,
    can_end_shift: EndShiftOpt = None,
    ring_mobile: RingMobileOpt = None,
    queue_login: QueueLoginOpt = None,
    external_calls: ExternalCallsOpt = None,
    selectable: SelectableOpt = None,
    sort_order: SortOrderOpt = None,
    telephony: TelephonyOpt = None,
    status_type_id: Annotated[
        str,
        typer.Option(
            "--id", help="Id to use (a-z, 0-9, '-'); generated when left out."
        ),
    ] = "",
    json_output: JsonOpt = False,
) -> None:
    """Create a status type."""
    settings = settings_of(ctx, json_output)
    changes = field_changes(
        name=name,
        color=color,
        kind=kind,
        limit=limit,
        allowed_minutes=allowed_minutes,
        keep_on_disconnect=keep_on_disconnect,
        can_end_shift=can_end_shift,
        ring_mobile=ring_mobile,
        queue_login=queue_login,
        external_calls=external_calls,
        selectable=selectable,
        sort_order=sort_order,
        telephony=parse_telephony(telephony) if telephony else None,
    )
    status_type = status_types_pb2.StatusType()
    apply_changes(status_type, changes)

    with Connection(settings) as conn:
        created = conn.call(
            conn.client.status_types.create(status_type, status_type_id=status_type_id)
        )
    show(
        settings.json_output,
        created,
        title=f"status type {created.id}",
        rows=record_rows(created),
        heading=f"created status type {created.id!r}",
    )


@app.command("update")
def update_status_type(
    ctx: typer.Context,
    status_type_id: IdArg,
    name: NameOpt = None,
    color: ColorOpt = None,
    kind: KindOpt = None,
    limit: LimitOpt = None,
    allowed_minutes: AllowedMinutesOpt = None,
    keep_on_disconnect: KeepOpt = None,
    can_end_shift: EndShiftOpt = None,
    ring_mobile: RingMobileOpt = None,
    queue_login: QueueLoginOpt = None,
    external_calls: ExternalCallsOpt = None,
    selectable: SelectableOpt = None,
    sort_order: SortOrderOpt = None,
    telephony: TelephonyOpt = None,
    clear_telephony: Annotated[
        bool, typer.Option(help="Remove every telephony mapping.")
    ] = False,
    etag: EtagOpt = "",
    json_output: JsonOpt = False,
) -> None:
    """Change the given fields of a status type; the others stay as they are.

    --telephony replaces the whole telephony mapping.
    """
    settings = settings_of(ctx, json_output)
    if telephony and clear_telephony:
        raise typer.BadParameter(
            "give either --telephony or --clear-telephony, not both",
            param_hint="--clear-telephony",
        )
    changes = field_changes(
        name=name,
        color=color,
        kind=kind,
        limit=limit,
        allowed_minutes=allowed_minutes,
        keep_on_disconnect=keep_on_disconnect,
        can_end_shift=can_end_shift,
        ring_mobile=ring_mobile,
        queue_login=queue_login,
        external_calls=external_calls,
        selectable=selectable,
        sort_order=sort_order,
        # Known limitation: --telephony replaces the whole map, since the mask
        # names top-level fields only; to change one adapter, give them all.
        telephony=(
            {}
            if clear_telephony
            else (parse_telephony(telephony) if telephony else None)
        ),
    )
    if not changes:
        raise typer.BadParameter(
            "nothing to update: give at least one field option (see --help)"
        )

    status_type = status_types_pb2.StatusType(id=status_type_id, etag=etag)
    apply_changes(status_type, changes)
    with Connection(settings) as conn:
        updated = conn.call(conn.client.status_types.update(status_type, changes))
    show(
        settings.json_output,
        updated,
        title=f"status type {updated.id}",
        rows=record_rows(updated),
        heading=f"updated status type {updated.id!r}",
    )


@app.command("archive")
def archive_status_type(
    ctx: typer.Context,
    status_type_id: IdArg,
    etag: EtagOpt = "",
    json_output: JsonOpt = False,
) -> None:
    """Archive a status type: kept in history, no longer enterable."""
    settings = settings_of(ctx, json_output)
    with Connection(settings) as conn:
        archived = conn.call(
            conn.client.status_types.archive(status_type_id, etag=etag)
        )
    confirm(settings.json_output, archived, f"archived status type {archived.id!r}")


@app.command("unarchive")
def unarchive_status_type(
    ctx: typer.Context,
    status_type_id: IdArg,
    etag: EtagOpt = "",
    json_output: JsonOpt = False,
) -> None:
    """Bring an archived status type back into use."""
    settings = settings_of(ctx, json_output)
    with Connection(settings) as conn:
        restored = conn.call(
            conn.client.status_types.unarchive(status_type_id, etag=etag)
        )
    confirm(settings.json_output, restored, f"unarchived status type {restored.id!r}")


@app.command("delete")
def delete_status_type(
    ctx: typer.Context,
    status_type_id: IdArg,
    etag: EtagOpt = "",
    json_output: JsonOpt = False,
) -> None:
    """Delete a status type that was never used (archive it otherwise)."""
    settings = settings_of(ctx, json_output)
    with Connection(settings) as conn:
        conn.call(conn.client.status_types.delete(status_type_id, etag=etag))
    confirm(
        settings.json_output,
        empty_pb2.Empty(),
        f"deleted status type {status_type_id!r}",
    )
