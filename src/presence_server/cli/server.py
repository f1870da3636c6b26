"""``presence-server``: run the server, or only migrate its database.

::

    presence-server                      # start (same as `presence-server serve`)
    presence-server --listen-address 0.0.0.0:50051 --log-format json
    presence-server migrate              # upgrade the schema, print the revision

Every setting comes from a ``PRESENCE_*`` environment variable or the flag of
the same name (see ``presence_server.settings``); a flag wins. Flags may go
before or after the subcommand.

Exit codes: 0 after a clean stop (SIGTERM or SIGINT), 1 when the server
cannot start (address taken, database unreachable), 2 for a usage error or
an invalid setting.
"""

from __future__ import annotations

import asyncio
import logging
from typing import Annotated, Any

import typer
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from presence_server.app import StartupError, serve
from presence_server.observability.logs import configure_logging
from presence_server.settings import Settings, describe_error
from presence_server.storage.db import Database
from presence_server.storage.migrate import current_revision, migrate

logger = logging.getLogger(__name__)

USAGE_ERROR = 2
START_FAILED = 1
INTERRUPTED = 130

app = typer.Typer(
    name="presence-server",
    help="The presence server: agent status over gRPC.",
    add_completion=False,
    # Expected failures are one line; anything else is a bug and gets a
    # plain traceback.
    pretty_exceptions_enable=False,
)

_PANEL = "Settings (flag or PRESENCE_* variable)"


def _setting(name: str, text: str, default: str) -> Any:
    # Rich would read "[...]" as markup; the backslash keeps it literal.
    variable = "PRESENCE_" + name.upper()
    return typer.Option(
        help=f"{text} \\[env: {variable}; default: {default}]",
        rich_help_panel=_PANEL,
        show_default=False,
    )


ListenAddress = Annotated[
    str | None,
    _setting(
        "listen_address",
        "gRPC HOST:PORT; port 0 picks a free one.",
        "127.0.0.1:50051",
    ),
]
DataDir = Annotated[
    str | None,
    _setting("data_dir", "Data directory, created if missing.", "./data"),
]
DatabaseUrl = Annotated[
    str | None,
    _setting(
        "database_url",
        "sqlite:///path or postgresql://user@host/db.",
        "presence.db in the data directory",
    ),
]
LogLevel = Annotated[
    str | None,
    _setting("log_level", "DEBUG, INFO, WARNING or ERROR.", "INFO"),
]
LogFormat = Annotated[
    str | None,
    _setting("log_format", "text, or json for one object per line.", "text"),
]
MetricsAddress = Annotated[
    str | None,
    _setting(
        "metrics_address",
        "Prometheus endpoint HOST:PORT; empty disables it.",
        "127.0.0.1:9464",
    ),
]
GraceSeconds = Annotated[
    str | None,
    _setting(
        "grace_seconds", "Seconds in-flight calls get to finish at shutdown.", "5"
    ),
]


def _remember(ctx: typer.Context, given: dict[str, Any]) -> dict[str, Any]:
    """Flags given so far (group, then subcommand): later ones win."""
    flags: dict[str, Any] = dict(ctx.obj or {})
    flags.update({name: value for name, value in given.items() if value is not None})
    ctx.obj = flags
    return flags


def _settings(flags: dict[str, Any]) -> Settings:
    try:
        return Settings(**flags)
    except ValidationError as error:
        typer.echo(f"presence-server: {describe_error(error)}", err=True)
        raise typer.Exit(USAGE_ERROR) from None


@app.callback(invoke_without_command=True)
def main_command(
    ctx: typer.Context,
    listen_address: ListenAddress = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    log_level: LogLevel = None,
    log_format: LogFormat = None,
    metrics_address: MetricsAddress = None,
    grace_seconds: GraceSeconds = None,
) -> None:
    """Run the presence server (the default), or migrate its database."""
    flags = _remember(ctx, {k: v for k, v in locals().items() if k != "ctx"})
    if ctx.invoked_subcommand is None:
        _serve(flags)


@app.command("serve")
def serve_command(
    ctx: typer.Context,
    listen_address: ListenAddress = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    log_level: LogLevel = None,
    log_format: LogFormat = None,
    metrics_address: MetricsAddress = None,
    grace_seconds: GraceSeconds = None,
) -> None:
    """Run the server until SIGTERM or SIGINT."""
    _serve(_remember(ctx, {k: v for k, v in locals().items() if k != "ctx"}))


@app.command("migrate")
def migrate_command(
    ctx: typer.Context,
    listen_address: ListenAddress = None,
    data_dir: DataDir = None,
    database_url: DatabaseUrl = None,
    log_level: LogLevel = None,
    log_format: LogFormat = None,
    metrics_address: MetricsAddress = None,
    grace_seconds: GraceSeconds = None,
) -> None:
    """Upgrade the database schema to the latest revision, print it, and exit."""
    flags = _remember(ctx, {k: v for k, v in locals().items() if k != "ctx"})
    settings = _settings(flags)
    configure_logging(settings.log_level, settings.log_format)

    where, revision = _run_or_exit(_migrate(settings), "cannot migrate")

    typer.echo(f"database {where} is at schema revision {revision}")


def _serve(flags: dict[str, Any]) -> None:
    settings = _settings(flags)
    configure_logging(settings.log_level, settings.log_format)
    _run_or_exit(serve(settings), "cannot start")


async def _migrate(settings: Settings) -> tuple[str, str]:
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    database = Database(settings.database_url)
    try:
        await migrate(database)
        revision = await current_revision(database)
    finally:
        await database.dispose()
    return database.display_url, str(revision)


def _run_or_exit(work: Any, failure: str) -> Any:
    try:
        return asyncio.run(work)
    except (StartupError, SQLAlchemyError, OSError) as error:
        # What an operator must fix, in one line; no traceback.
        message = str(error).splitlines()[0] if str(error) else type(error).__name__
        logger.error("%s: %s", failure, message)
        raise typer.Exit(START_FAILED) from None
    except KeyboardInterrupt:
        # Ctrl-C before the server installed its own handler (still starting).
        raise typer.Exit(INTERRUPTED) from None


def main() -> None:
    """Entry point of the ``presence-server`` console script."""
    app(prog_name="presence-server")
