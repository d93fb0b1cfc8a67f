"""``pathway serve`` (the web app and HTTP API) and the sign-in commands under ``pathway user``."""

from __future__ import annotations

import os
import sys
from typing import Annotated

import typer

from pathway.cli.output import console, print_json, print_note, print_rows
from pathway.cli.output import FormatOption, OutputFormat
from pathway.cli.state import state
from pathway.errors import BadInput


def serve(
    ctx: typer.Context,
    host: Annotated[str, typer.Option(help="address to listen on; the default is this machine only")] = "127.0.0.1",
    port: Annotated[int, typer.Option(min=1, max=65535, help="port to listen on")] = 8000,
    workers: Annotated[int, typer.Option(min=1, help="worker processes (they share everything through the database)")] = 1,
    proxy_headers: Annotated[bool, typer.Option("--proxy-headers/--no-proxy-headers", help="trust X-Forwarded-* from the reverse proxy at 127.0.0.1")] = True,
) -> None:
    """Serve the web app for caseworkers and coordinators, and the JSON API under /api/v1.

    On the same database and workflows folder as every other command. Put a reverse proxy with TLS
    in front of it in production (see docs/deployment.md).

    Example: pathway serve --port 8000 --workers 4
    """
    try:
        import uvicorn
    except ImportError:
        raise BadInput("the web app needs its extra packages: pip install 'pathway[web]'") from None
    cli_state = state(ctx)
    settings = cli_state.settings
    cli_state.services()  # the database is reachable and at the current schema, or a clear error now
    from pathway.web.sso import SsoSettings

    sso = SsoSettings.from_settings(settings)  # an incomplete or unsafe single sign-on set: refused now
    # the workers read their settings from the environment, as the command did
    os.environ["PATHWAY_DATABASE_URL"] = settings.database_url
    os.environ["PATHWAY_WORKFLOWS"] = str(settings.workflows.resolve())
    if settings.now:
        os.environ["PATHWAY_NOW"] = settings.now
    if host not in ("127.0.0.1", "localhost", "::1"):
        print_note(f"listening on {host}: put a reverse proxy with TLS in front (docs/deployment.md)")
    if not settings.web_secure_cookies:
        print_note("session cookies are sent over plain HTTP (PATHWAY_WEB_SECURE_COOKIES=false): for localhost only")
    if sso is not None:
        print_note(f"single sign-on with {sso.issuer} (claim {sso.claim})")
    console.print(f"pathway serving on http://{host}:{port} ({workers} worker{'s' if workers != 1 else ''})",
                  markup=False)
    uvicorn.run("pathway.web.app:app_from_environment", factory=True, host=host, port=port,
                workers=workers, proxy_headers=proxy_headers, log_level="warning", server_header=False)


Login = Annotated[str, typer.Argument(metavar="LOGIN", help="the user's login name")]


def set_password(
    ctx: typer.Context,
    login: Login,
    password_stdin: Annotated[bool, typer.Option("--password-stdin", help="read the password from standard input (for scripts)")] = False,
) -> None:
    """Set a user's password for the web app (Argon2 hash); ends their open web sessions.

    Example: pathway user set-password anna
    """
    from pathway.services import accounts

    services = state(ctx).services()
    accounts.check_password_target(services, login)
    if password_stdin:
        password = sys.stdin.readline().rstrip("\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    accounts.set_password(services, login, password)
    console.print(f"password set for {login}", markup=False)


def end_sessions(ctx: typer.Context, login: Login) -> None:
    """End every open web session of a user at once (all workers).

    Example: pathway user end-sessions anna
    """
    from pathway.services import accounts

    ended = accounts.end_sessions(state(ctx).services(), login)
    console.print(f"{ended} session{'s' if ended != 1 else ''} of {login} ended", markup=False)


def sso(
    ctx: typer.Context,
    login: Login,
    subject: Annotated[str | None, typer.Argument(
        metavar="SUBJECT", help="the value of the identity provider's claim (oidc_claim) for this person")] = None,
    clear: Annotated[bool, typer.Option("--clear", help="unlink: the user signs in through SSO by login only")] = False,
) -> None:
    """Link a user to the value single sign-on names them by (e.g. their e-mail address), when it is
    not their login; the change is audited.

    Example: pathway user sso anna anna.berg@kommun.se
    """
    from pathway.errors import BadInput
    from pathway.services import accounts

    if (subject is None) == (not clear):
        raise BadInput("give SUBJECT (the claim's value) or --clear, not both and not neither: "
                       "e.g. 'pathway user sso anna anna.berg@kommun.se'")
    previous = accounts.set_sso_subject(state(ctx).services(), login, None if clear else subject)
    if clear:
        console.print(f"{login} no longer linked to {previous or 'any sso subject'}", markup=False)
    else:
        console.print(f"{login} signs in through single sign-on as {subject}", markup=False)


token_app = typer.Typer(help="API tokens for integrations (kept only as a digest; revocable).", no_args_is_help=True)


@token_app.command("create")
def token_create(
    ctx: typer.Context,
    login: Login,
    name: Annotated[str, typer.Option("--name", help="what the token is for, e.g. 'statistics export'")],
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Create an API token for a user; it is printed once and cannot be shown again.

    Example: pathway user token create anna --name "statistics export"
    """
    from pathway.services import accounts

    token_id, token = accounts.create_token(state(ctx).services(), login, name)
    if fmt == OutputFormat.JSON:
        print_json({"id": token_id, "token": token})
    else:
        console.print(token, markup=False)
        print_note(f"token {token_id} for {login}: send it as 'Authorization: Bearer …'; it is not shown again")


@token_app.command("list")
def token_list(ctx: typer.Context, login: Login, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """A user's API tokens (never the tokens themselves).

    Example: pathway user token list anna
    """
    from pathway.clock import format_local
    from pathway.services import accounts

    found = accounts.tokens(state(ctx).services(), login)
    rows = [{"id": t.id, "name": t.name, "created": format_local(t.created_at),
             "last used": format_local(t.last_used_at), "revoked": format_local(t.revoked_at)} for t in found]
    print_rows(rows, ["id", "name", "created", "last used", "revoked"], fmt, title=f"API tokens of {login}")


@token_app.command("revoke")
def token_revoke(ctx: typer.Context, token_id: Annotated[int, typer.Argument(metavar="ID")]) -> None:
    """Revoke an API token at once.

    Example: pathway user token revoke 3
    """
    from pathway.services import accounts

    accounts.revoke_token(state(ctx).services(), token_id)
    console.print(f"token {token_id} revoked", markup=False)


def register_user_commands(user_app: typer.Typer) -> None:
    """Add the sign-in commands to ``pathway user`` (set-password, end-sessions, sso, token)."""
    user_app.command("set-password")(set_password)
    user_app.command("end-sessions")(end_sessions)
    user_app.command("sso")(sso)
    user_app.add_typer(token_app, name="token")
