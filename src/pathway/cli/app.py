"""The ``pathway`` command: global options, sub-commands, and one-line errors with exit codes.

Exit codes: 0 ok · 1 refused by a pathway rule · 2 bad usage or input · 3 not permitted ·
4 deadline check with failed deliveries · 70 internal error (a bug: one line with a reference, the
trace in the error log; see :mod:`pathway.cli.crash`).
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pathway import __version__
from pathway.cli import crash
from pathway.cli.entry import resume_collection
from pathway.cli.lazy import LazyCommands, LazyGroup, load
from pathway.cli.state import CliState
from pathway.errors import PathwayError, PersonnummerInText

#: Sub-commands, loaded only when used: ``pathway --version`` and ``--help`` import neither
#: SQLAlchemy nor pydantic, and each command imports what it needs. name → ("module:attribute",
#: one-line help for ``pathway --help``). The attribute is a Typer group or a command function.
#: (A sub-command added with ``app.add_typer`` / ``app.command`` below works too, loaded eagerly.)
LAZY_COMMANDS: LazyCommands = {
    "import": ("pathway.cli.importer:import_file", "Import past participants from a JSON-lines file, replayed through their workflow's rules."),
    "workflow": ("pathway.cli.workflow:app", "Validate, list and show pathway definitions (workflows/*.yaml)."),
    "participant": ("pathway.cli.participant:app", "Enrol participants, fire triggers, and look at where they are."),
    "consent": ("pathway.cli.records:consent_app", "Consent to cooperation between agencies (samtycke): give, confirm, withdraw."),
    "plan": ("pathway.cli.records:plan_app", "The action plan (handlingsplan): goals and sub-goals."),
    "placement": ("pathway.cli.records:placement_app", "Internships, work training and work trials under an agreement."),
    "intervention": ("pathway.cli.records:intervention_app", "Parallel interventions (health care, social-services support, CBT …)."),
    "group": ("pathway.cli.groups:app", "Groups in a group step: members, capacity, sessions with attendance, moving the group on."),
    "meeting": ("pathway.cli.meetings:app", "Meetings as records: attendees, leader, absences, consent confirmed, decisions; no-shows."),
    "deadlines": ("pathway.cli.deadlines:app", "Deadline checks and the coordinator's board of open deadlines."),
    "scheduler": ("pathway.cli.scheduler:app", "Run the deadline check periodically (long-running)."),
    "report": ("pathway.cli.report:app", "Tables for funders and steering groups, computed from the event history (read-only)."),
    "db": ("pathway.cli.db:app", "Create or migrate the database schema."),
    "identity": ("pathway.cli.identity:app", "The key that encrypts personal identity numbers: make one, rotate to a new one."),
    "caseload": ("pathway.cli.caseload:caseload", "My participants, by number: step, days in step, next deadline, what is overdue."),
    "today": ("pathway.cli.caseload:today", "What I must do today and this week (due, overdue, meetings, consent to confirm)."),
    "audit": ("pathway.cli.audit:app", "The access log: who read whose data, when and why (dpo and admin only)."),
    "user": ("pathway.cli.users:app", "Register users: agency, roles, workflows (admins only; every change is audited)."),
    "person": ("pathway.cli.person:app", "One person across every project: look up, register extract."),
    "export": ("pathway.cli.export:app", "Exports to other systems: the national follow-up of samordningsförbund (Uppföljning Finsam)."),
    "retention": ("pathway.cli.retention:app", "Retention (gallring): remove personal data past the limit, keeping the statistics."),
    "serve": ("pathway.cli.web:serve", "Serve the web app for caseworkers and coordinators, and the JSON API under /api/v1."),
}


class RootGroup(LazyGroup):
    """The root group: the sub-commands of :data:`LAZY_COMMANDS` load on first use."""

    lazy_commands = LAZY_COMMANDS


#: Kept for callers that load one command by name (tests, the help check).
_load = load


app = typer.Typer(
    name="pathway",
    help="Participant pathways for cross-agency rehabilitation projects.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    cls=RootGroup,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"pathway {__version__}")
        raise typer.Exit()


@app.callback()
def global_options(
    ctx: typer.Context,
    db_url: Annotated[str | None, typer.Option("--db", help="database URL [env PATHWAY_DATABASE_URL; default sqlite:///pathway.db]", show_default=False)] = None,
    workflows: Annotated[Path | None, typer.Option("--workflows", help="folder of workflow files [env PATHWAY_WORKFLOWS; default ./workflows]", show_default=False)] = None,
    now: Annotated[str | None, typer.Option("--now", help="the clock for this command, ISO date-time [env PATHWAY_NOW]", show_default=False)] = None,
    actor: Annotated[str | None, typer.Option("--actor", help="who acts, in single-user mode [env PATHWAY_ACTOR; default the OS user]; once users are registered: an admin's 'on behalf of' name", show_default=False)] = None,
    purpose: Annotated[str | None, typer.Option("--purpose", help="why you read a participant's data, written to the access log with each read [env PATHWAY_PURPOSE]", show_default=False)] = None,
    version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True, help="print the version")] = False,
) -> None:
    """Participant pathways: validate workflows, walk participants through them, keep the history."""
    resume_collection()  # the command's module is loaded: start-up is over (pathway.cli.entry)
    overrides = {"database_url": db_url, "workflows": workflows, "now": now, "actor": actor, "purpose": purpose}
    ctx.obj = CliState({k: v for k, v in overrides.items() if v is not None})


#: A service's field name → the flag that gives it, where the flag is not the name with dashes.
FLAGS_BY_FIELD = {"attributes": "--attr", "on_behalf_of": "--actor", "with_whom": "--with",
                  "attendees": "--attendee", "display_name": "--name"}


def flag(name: str) -> str:
    """How the CLI calls a field an error names: its flag (``personnummer`` → ``--personnummer``)."""
    return FLAGS_BY_FIELD.get(name) or "--" + name.replace("_", "-")


def said(err: PathwayError) -> str:
    """An error as the CLI says it: its fields as flags, plus a hint only the command line has."""
    message = err.worded(flag)
    if isinstance(err, PersonnummerInText):
        message += f"; '{flag('personnummer')} -' asks for it without showing it as you type"
    return message


def main() -> None:
    """Run the command: user errors become one line on stderr and an exit code. (The console
    script enters through :func:`pathway.cli.entry.main`, which pauses the collector for start-up.)"""
    try:
        app()
    except PathwayError as err:
        from pathway.cli.output import print_error

        print_error(said(err))
        sys.exit(err.exit_code)
    except Exception as err:  # noqa: BLE001 — two kinds told as one line; the rest is a bug
        if not _told_as_one_line(err):
            from pathway.cli.output import print_error

            line, code = crash.report(err)  # one line and a reference here, the trace in the error log
            print_error(line)
            sys.exit(code)
    except KeyboardInterrupt:
        sys.exit(130)


def _told_as_one_line(err: Exception) -> bool:
    """A database that went away or stayed locked, or a bad setting in the environment: one line and
    an exit code. Their libraries are looked up only if a command already loaded them."""
    from pathway.cli.output import print_error

    sa_exc = sys.modules.get("sqlalchemy.exc")
    if sa_exc is not None and isinstance(err, sa_exc.OperationalError):
        detail = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
        hint = "; another command is holding it — try again" if "locked" in detail else ""
        print_error(f"database error: {detail}{hint}; nothing was written")
        sys.exit(1 if "locked" in detail else 2)
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(err, pydantic.ValidationError):  # settings from the environment
        print_error(f"invalid setting: {err.errors()[0]['loc']}: {err.errors()[0]['msg']}")
        sys.exit(2)
    return False


if __name__ == "__main__":
    main()
