"""``pathway user …``: register the people who use pathway (admins only; each change audited)."""

from __future__ import annotations

from typing import Annotated

import typer

from pathway.clock import format_local
from pathway.cli.output import FormatOption, OutputFormat, console, print_json, print_note, print_rows
from pathway.cli.state import state
from pathway.domain.users import AGENCIES, User
from pathway.services import users as service

app = typer.Typer(help="Register users: agency, roles, workflows (admins only; every change is audited).",
                  no_args_is_help=True)

Login = Annotated[str, typer.Argument(metavar="LOGIN", help="the login name (the OS user, or PATHWAY_USER)")]
Roles = Annotated[list[str] | None, typer.Option(
    "--role", help="a workflow role (caseworker, coordinator …) or designer, dpo, steering_group, funder, service; "
                   "repeatable or comma-separated")]
Workflows = Annotated[list[str] | None, typer.Option(
    "--workflow", help="a workflow (project) the user works in; repeatable or comma-separated")]


def _split(values: list[str] | None) -> list[str]:
    return [part.strip() for value in values or [] for part in value.split(",") if part.strip()]


def _row(user: User) -> dict[str, object]:
    return {"login": user.login, "name": user.display_name, "agency": user.agency,
            "roles": ", ".join(sorted(user.roles)), "workflows": ", ".join(sorted(user.workflows)),
            "active": "yes" if user.active else "disabled"}


def _json(user: User) -> dict[str, object]:
    return {"id": user.id, "login": user.login, "display_name": user.display_name, "agency": user.agency,
            "roles": sorted(user.roles), "workflows": sorted(user.workflows), "active": user.active}


@app.command()
def add(
    ctx: typer.Context,
    login: Login,
    name: Annotated[str, typer.Option("--name", help="display name, e.g. 'Anna Berg'")],
    agency: Annotated[str, typer.Option("--agency", help=f"one of: {', '.join(AGENCIES)}")],
    role: Roles = None,
    workflow: Workflows = None,
    admin: Annotated[bool, typer.Option("--admin", help="may manage users; the first user must be one")] = False,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Register a user. The first user must be --admin: it ends single-user mode.

    Example: pathway user add anna --name "Anna Berg" --agency soc --role caseworker --workflow kraft
    """
    services = state(ctx).services()
    was_single = services.user is None
    user = service.add_user(services, login, name, agency, _split(role), _split(workflow), admin=admin)
    if fmt == OutputFormat.JSON:
        print_json(_json(user))
        return
    console.print(f"added {user.label()}", markup=False)
    if was_single:
        print_note(f"single-user mode has ended: from now on only registered users may use this database "
                   f"(you are '{user.login}' if that is your login; else set PATHWAY_USER)")


@app.command("list")
def list_users(ctx: typer.Context, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """List the registered users.

    Example: pathway user list --format json
    """
    services = state(ctx).services()
    found = service.list_users(services)
    if not found:
        print_note(service.SINGLE_USER_NOTE)
    print_rows([_row(u) for u in found], ["login", "name", "agency", "roles", "workflows", "active"], fmt,
               title=f"Users ({len(found)})", json_rows=[_json(u) for u in found])


@app.command()
def show(ctx: typer.Context, login: Login, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Show a user and every change made to them (who, when, what).

    Example: pathway user show anna
    """
    detail = service.show_user(state(ctx).services(), login)
    changes = [{"at": format_local(c["at"]), "change": c["change"], "by": c["actor"], "data": c["data"]}
               for c in detail.changes]
    if fmt == OutputFormat.JSON:
        print_json({**_json(detail.user), "changes": changes})
        return
    print_rows([_row(detail.user)], ["login", "name", "agency", "roles", "workflows", "active"], fmt, title="User")
    print_rows(changes, ["at", "change", "by", "data"], fmt, title="Changes")


@app.command()
def update(
    ctx: typer.Context,
    login: Login,
    name: Annotated[str | None, typer.Option("--name", help="new display name")] = None,
    agency: Annotated[str | None, typer.Option("--agency", help=f"new agency: {', '.join(AGENCIES)}")] = None,
    add_role: Annotated[list[str] | None, typer.Option("--add-role", help="give a role (repeatable)")] = None,
    remove_role: Annotated[list[str] | None, typer.Option("--remove-role", help="take a role away")] = None,
    add_workflow: Annotated[list[str] | None, typer.Option("--add-workflow", help="make a member of a workflow")] = None,
    remove_workflow: Annotated[list[str] | None, typer.Option("--remove-workflow", help="end a membership")] = None,
    enable: Annotated[bool, typer.Option("--enable", help="enable a disabled user")] = False,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Change a user's name, agency, roles or workflows, or enable them again.

    Example: pathway user update anna --add-role coordinator --add-workflow flen_tripartite
    """
    user = service.update_user(
        state(ctx).services(), login, display_name=name, agency=agency, add_roles=_split(add_role),
        remove_roles=_split(remove_role), add_workflows=_split(add_workflow),
        remove_workflows=_split(remove_workflow), active=True if enable else None)
    if fmt == OutputFormat.JSON:
        print_json(_json(user))
    else:
        console.print(f"updated {user.label()}: roles {', '.join(sorted(user.roles)) or '–'}; "
                      f"workflows {', '.join(sorted(user.workflows)) or '–'}", markup=False)


@app.command()
def disable(ctx: typer.Context, login: Login, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Disable a user: they may do nothing more; their history stays.

    Example: pathway user disable anna
    """
    user = service.disable_user(state(ctx).services(), login)
    if fmt == OutputFormat.JSON:
        print_json(_json(user))
    else:
        console.print(f"disabled {user.label()}", markup=False)


# the web app's sign-in commands: set-password, end-sessions, token create|list|revoke
from pathway.cli.web import register_user_commands  # noqa: E402

register_user_commands(app)
