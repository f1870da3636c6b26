"""``presencectl``: the admin CLI for status types and agents.

For people without ``grpcurl``. It talks to a running presence-server over
gRPC only, like any other client::

    presencectl status-types list
    presencectl --json agents get alice
    presencectl --server 10.0.0.5:50051 status-types update break --limit 3
    presencectl --server presence:50051 --tls-ca ca.pem agents list

Over TLS, ``--tls-ca`` (``PRESENCE_TLS_CA``) names the CA the server's
certificate must chain to; for mutual TLS add ``--tls-cert`` and ``--tls-key``
(``PRESENCE_TLS_CERT``, ``PRESENCE_TLS_KEY``), the client's own.

Exit codes: 0 on success, 1 when the server refused the request or could not
be reached (one ``error:`` line on stderr, then the details), 2 for a usage
error.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from presence_server.cli import ctl_agents, ctl_reports, ctl_status_types, ctl_token
from presence_server.cli.ctl_rpc import (
    DEFAULT_SERVER,
    DEFAULT_TIMEOUT,
    CtlSettings,
    JsonOpt,
    TlsFiles,
)

app = typer.Typer(
    name="presencectl",
    help="Administer a presence-server: status types and agents.",
    no_args_is_help=True,
    # Expected failures are reported in one line; anything else is a bug and
    # should show a plain traceback, not a page of local variables.
    pretty_exceptions_enable=False,
)
app.add_typer(ctl_status_types.app, name="status-types")
app.add_typer(ctl_agents.app, name="agents")
app.add_typer(ctl_reports.app, name="report")
app.command("token")(ctl_token.token)


# TLS files must exist and be readable, or presencectl stops with exit 2.
_PEM = {"exists": True, "dir_okay": False, "readable": True}
TlsCaOpt = Annotated[
    Path | None,
    typer.Option(
        envvar="PRESENCE_TLS_CA",
        help="Speak TLS; the CA (PEM) the server's certificate must chain to.",
        **_PEM,
    ),
]
TlsCertOpt = Annotated[
    Path | None,
    typer.Option(
        envvar="PRESENCE_TLS_CERT",
        help="Client certificate (PEM) for mutual TLS; needs --tls-key.",
        **_PEM,
    ),
]
TlsKeyOpt = Annotated[
    Path | None,
    typer.Option(
        envvar="PRESENCE_TLS_KEY", help="Private key (PEM) of --tls-cert.", **_PEM
    ),
]


@app.callback()
def global_options(
    ctx: typer.Context,
    server: Annotated[
        str,
        typer.Option(
            envvar="PRESENCE_SERVER", help="Address of the server, host:port."
        ),
    ] = DEFAULT_SERVER,
    json_output: JsonOpt = False,
    timeout: Annotated[
        float,
        typer.Option(min=0.001, help="Seconds to wait for each answer."),
    ] = DEFAULT_TIMEOUT,
    tls_ca: TlsCaOpt = None,
    tls_cert: TlsCertOpt = None,
    tls_key: TlsKeyOpt = None,
    token: Annotated[
        str | None,
        typer.Option(
            envvar="PRESENCE_TOKEN",
            help="Bearer token (a JWT or an API key); prefer the environment "
            "variable, which other users cannot see in the process list.",
            show_default=False,
        ),
    ] = None,
) -> None:
    """Administer a presence-server: status types and agents."""
    if not server.strip():
        raise typer.BadParameter("must not be empty", param_hint="--server")
    if (tls_cert is None) != (tls_key is None):
        raise typer.BadParameter(
            "--tls-cert and --tls-key go together", param_hint="--tls-cert/--tls-key"
        )
    if token is not None and not token.strip():
        raise typer.BadParameter("must not be empty", param_hint="--token")
    ctx.obj = CtlSettings(
        server=server.strip(),
        token=token.strip() if token else None,
        json_output=json_output,
        timeout=timeout,
        tls=TlsFiles(ca=tls_ca, cert=tls_cert, key=tls_key)
        if tls_ca or tls_cert
        else None,
    )


def main() -> None:
    """The ``presencectl`` console entry point."""
    app()
