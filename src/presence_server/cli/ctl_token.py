"""``presencectl token``: credentials for local setups, made without a server.

A JWT is signed with the same HS256 secret the server verifies with, read
from the same variables (``PRESENCE_AUTH_JWT_SECRET`` or
``PRESENCE_AUTH_JWT_SECRET_FILE``), so a shell that starts the server can
mint tokens for it::

    presencectl token --role agent --subject ann
    presencectl token --role supervisor --subject sam --team north --hours 12
    export PRESENCE_TOKEN=$(presencectl token --role admin --subject ops)
    presencectl agents list

``--api-key NAME`` makes a random API key instead: the key goes to stdout
(give it to the integration) and the entry for ``PRESENCE_AUTH_API_KEYS_FILE``
(only its SHA-256, never the key) to stderr.

Known limitation: only HS256 tokens can be minted here; a server verifying
RS256 or ES256 tokens trusts an identity provider holding the private key,
which is where such tokens come from.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Annotated, Any

import jwt
import typer

from presence_server.security.api_keys import hash_key, new_key
from presence_server.security.authenticator import AuthConfigError, jwt_secret
from presence_server.security.identity import Role

RoleOpt = Annotated[
    Role,
    typer.Option(
        "--role",
        case_sensitive=False,
        help="What the holder may do.",
        show_default=False,
    ),
]


def token(
    role: RoleOpt,
    subject: Annotated[
        str,
        typer.Option(
            "--subject",
            help="Who holds it (the 'sub' claim); an agent's id for --role agent.",
            show_default=False,
        ),
    ] = "",
    agent_id: Annotated[
        str | None,
        typer.Option(
            "--agent-id",
            help="With --role agent: the agent, when it is not --subject.",
            show_default=False,
        ),
    ] = None,
    teams: Annotated[
        list[str] | None,
        typer.Option(
            "--team", help="With --role supervisor: a team (repeat for several)."
        ),
    ] = None,
    hours: Annotated[
        float,
        typer.Option(min=0.001, max=24 * 366, help="How long the token is valid."),
    ] = 8.0,
    audience: Annotated[
        str,
        typer.Option(envvar="PRESENCE_AUTH_JWT_AUDIENCE", help="The 'aud' claim."),
    ] = "presence-server",
    issuer: Annotated[
        str,
        typer.Option(
            envvar="PRESENCE_AUTH_JWT_ISSUER",
            help="The 'iss' claim; empty leaves it out.",
        ),
    ] = "",
    secret: Annotated[
        str,
        typer.Option(
            envvar="PRESENCE_AUTH_JWT_SECRET",
            help="HS256 secret, as the server's; prefer the variable or a file.",
            show_default=False,
        ),
    ] = "",
    secret_file: Annotated[
        Path | None,
        typer.Option(
            envvar="PRESENCE_AUTH_JWT_SECRET_FILE",
            help="File holding the HS256 secret.",
            exists=True,
            dir_okay=False,
            readable=True,
        ),
    ] = None,
    api_key: Annotated[
        str | None,
        typer.Option(
            "--api-key",
            help="Make an API key with this name instead of a JWT.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Mint a JWT (or, with --api-key, an API key) for a local setup."""
    if api_key is not None:
        _print_api_key(api_key, role, agent_id, teams or [])
        return
    if not subject.strip():
        raise typer.BadParameter(
            "who holds the token, like ann", param_hint="--subject"
        )
    claims: dict[str, Any] = {"sub": subject.strip(), "role": role.value}
    claims |= _scope(role, agent_id, teams or [])
    now = int(time.time())
    claims |= {"iat": now, "nbf": now, "exp": now + round(hours * 3600)}
    if audience:
        claims["aud"] = audience
    if issuer:
        claims["iss"] = issuer
    typer.echo(jwt.encode(claims, _secret(secret, secret_file), algorithm="HS256"))


def _scope(role: Role, agent_id: str | None, teams: list[str]) -> dict[str, Any]:
    # Claims that mean something only for one role are refused for others,
    # so that nobody mints a token believing it is narrower than it is.
    if agent_id is not None and role is not Role.AGENT:
        raise typer.BadParameter("only for --role agent", param_hint="--agent-id")
    if teams and role is not Role.SUPERVISOR:
        raise typer.BadParameter("only for --role supervisor", param_hint="--team")
    if role is Role.SUPERVISOR and not teams:
        raise typer.BadParameter(
            "a supervisor needs at least one team", param_hint="--team"
        )
    scope: dict[str, Any] = {}
    if agent_id:
        scope["agent_id"] = agent_id
    if teams:
        scope["teams"] = teams
    return scope


def _secret(secret: str, secret_file: Path | None) -> bytes:
    # The server's own reading of the secret, so what it would refuse is
    # never signed with.
    try:
        value = jwt_secret(secret.encode(), secret_file)
    except AuthConfigError as error:
        raise typer.BadParameter(str(error), param_hint="--secret") from None
    if not value:
        raise typer.BadParameter(
            "the server's HS256 secret is needed: set PRESENCE_AUTH_JWT_SECRET or "
            "PRESENCE_AUTH_JWT_SECRET_FILE (as for the server), or pass --secret-file",
            param_hint="--secret",
        )
    return value


def _print_api_key(
    name: str, role: Role, agent_id: str | None, teams: list[str]
) -> None:
    if not name.strip():
        raise typer.BadParameter("must not be empty", param_hint="--api-key")
    key = new_key()
    entry: dict[str, Any] = {"name": name.strip(), "role": role.value}
    entry |= _scope(role, agent_id, teams)
    entry["sha256"] = hash_key(key)
    typer.echo(key)
    typer.echo(
        "add to PRESENCE_AUTH_API_KEYS_FILE (a JSON list): " + json.dumps(entry),
        err=True,
    )
