"""``presence-server``: run the server, or only migrate its database.

::

    presence-server                      # start (same as `presence-server serve`)
    presence-server --listen-address 0.0.0.0:50051 --log-format json
    presence-server migrate              # upgrade the schema, print the revision

Every setting comes from a ``PRESENCE_*`` environment variable or the flag of
the same name (see ``presence_server.settings``); a flag wins. The flags are
made from the ``Settings`` model itself, so a new setting has its flag at
once. Flags may go before or after the subcommand.

Exit codes: 0 after a clean stop (SIGTERM or SIGINT), 1 when the server
cannot start (address taken, database unreachable), 2 for a usage error or
an invalid setting, said in one line: authentication on with nothing to
verify callers with, a short JWT secret, a missing or invalid API keys or
public key file, unusable TLS files.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import Any, TypeVar

import click
from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from presence_server.app import StartupError, serve
from presence_server.observability.logs import configure_logging
from presence_server.security.authenticator import settings_problem
from presence_server.settings import ENV_PREFIX, Settings, describe_error
from presence_server.storage.db import Database
from presence_server.storage.migrate import current_revision, migrate

logger = logging.getLogger(__name__)

USAGE_ERROR = 2
START_FAILED = 1
INTERRUPTED = 130

_F = TypeVar("_F", bound=Callable[..., Any])


def settings_options(command: _F) -> _F:
    """Add one ``--flag`` per ``Settings`` field to a click command."""
    for name, field in reversed(Settings.model_fields.items()):
        variable = ENV_PREFIX + name.upper()
        default = "" if field.default is None else str(field.default)
        text = f"{field.description or ''} [env: {variable}; default: {default!r}]"
        command = click.option(
            "--" + name.replace("_", "-"),
            name,
            default=None,
            metavar="VALUE",
            help=text,
        )(command)
    return command


def _remember(ctx: click.Context, given: dict[str, Any]) -> dict[str, Any]:
    """Flags given so far (group, then subcommand): later ones win."""
    flags: dict[str, Any] = dict(ctx.obj or {})
    flags.update({name: value for name, value in given.items() if value is not None})
    ctx.obj = flags
    return flags


def _settings(flags: dict[str, Any]) -> Settings:
    try:
        return Settings(**flags)
    except ValidationError as error:
        click.echo(f"presence-server: {describe_error(error)}", err=True)
        raise SystemExit(USAGE_ERROR) from None


def _check_auth(settings: Settings) -> None:
    # Settings that cannot authenticate anyone (nothing configured, a key
    # file missing or invalid) are a usage error, like a bad value: the
    # operator must fix the configuration, not retry.
    problem = settings_problem(settings)
    if problem:
        click.echo(f"presence-server: {problem}", err=True)
        raise SystemExit(USAGE_ERROR)


@click.group(
    name="presence-server",
    invoke_without_command=True,
    context_settings={"help_option_names": ["-h", "--help"]},
)
@settings_options
@click.pass_context
def main_command(ctx: click.Context, /, **given: Any) -> None:
    """The presence server: agent status over gRPC.

    Runs the server (the default), or migrates its database.
    """
    flags = _remember(ctx, given)
    if ctx.invoked_subcommand is None:
        _serve(flags)


@main_command.command("serve")
@settings_options
@click.pass_context
def serve_command(ctx: click.Context, /, **given: Any) -> None:
    """Run the server until SIGTERM or SIGINT."""
    _serve(_remember(ctx, given))


@main_command.command("migrate")
@settings_options
@click.pass_context
def migrate_command(ctx: click.Context, /, **given: Any) -> None:
    """Upgrade the database schema to the latest revision, print it, and exit."""
    settings = _settings(_remember(ctx, given))
    configure_logging(settings.log_level, settings.log_format)

    where, revision = _run_or_exit(_migrate(settings), "cannot migrate")

    click.echo(f"database {where} is at schema revision {revision}")


def _serve(flags: dict[str, Any]) -> None:
    settings = _settings(flags)
    _check_auth(settings)
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
        raise SystemExit(START_FAILED) from None
    except KeyboardInterrupt:
        # Ctrl-C before the server installed its own handler (still starting).
        raise SystemExit(INTERRUPTED) from None


def main() -> None:
    """Entry point of the ``presence-server`` console script."""
    main_command(prog_name="presence-server")
