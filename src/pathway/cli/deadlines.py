"""``pathway deadlines …``: the one-shot check (for cron or a systemd timer) and the coordinator's board."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated

import typer

from pathway.clock import format_local, to_local
from pathway.cli.output import FormatOption, OutputFormat, print_note, print_rows
from pathway.cli.state import optional_time, state
from pathway.domain.duration import DURATION_HELP, LIMIT_HELP, Duration
from pathway.engine.calendar import add_duration, start_of_day
from pathway.errors import DELIVERIES_FAILED_EXIT, InvalidValue
from pathway.services import deadlines as service

app = typer.Typer(help="Deadline checks and the coordinator's board of open deadlines.", no_args_is_help=True)


@app.command()
def check(
    ctx: typer.Context,
    now: Annotated[str | None, typer.Option("--now", help="check as of this time (default: the global clock)")] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Perform every due reminder, missed deadline and escalation — each exactly once.

    Safe to run from several processes at once and to run again: nothing is done twice.
    Notifications are delivered after the check's writes have committed, at least once (each
    carries a stable notification_id). Exit code 4 when any delivery failed (they are retried by
    the next check), so cron mail or systemd's OnFailure= can alert someone.

    Example: pathway deadlines check --format json
    """
    services = state(ctx).services()
    actions = service.check(services, optional_time(now, "--now"))
    rows = [{"participant": a.participant_id, "ref": a.ref, "rule": a.rule, "kind": a.kind, "level": a.level or "",
             "role": a.role, "due": a.due_date.isoformat() if a.due_date else "", "at": format_local(a.action_at)}
            for a in actions]
    print_rows(rows, ["participant", "ref", "rule", "kind", "level", "role", "due", "at"], fmt,
               title=f"Deadline actions ({len(rows)})", json_rows=[a.to_json() for a in actions])
    report = services.notifier.last_report
    if report.failed:
        waiting = f" ({report.deferred} more for the same sink(s) not tried in this run)" if report.deferred else ""
        print_note(f"{report.failed} delivery(ies) failed{waiting}; they stay in the outbox and the next check "
                   "retries them: " + "; ".join(sorted(set(report.errors))))
        raise typer.Exit(DELIVERIES_FAILED_EXIT)


@app.command("list")
def list_deadlines(
    ctx: typer.Context,
    overdue: Annotated[bool, typer.Option("--overdue", help="only deadlines already missed")] = False,
    due_within: Annotated[str | None, typer.Option("--due-within", help="only those due within this long, e.g. 7d or 5wd")] = None,
    role: Annotated[str | None, typer.Option(help="only those a role holds now (owner or escalation level)")] = None,
    workflow: Annotated[str | None, typer.Option(help="only this workflow")] = None,
    unwatched: Annotated[bool, typer.Option("--unwatched", help="only the participants no deadline watches although "
                                            "a rule should: its start attribute was never recorded")] = False,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """The coordinator's board: every open deadline, soonest first, with days overdue and level.

    Below it, "Unwatched": open participants with no running deadline of a rule that should watch them,
    because the date attribute the rule starts at was never recorded (--unwatched: only that list).

    Example: pathway deadlines list --overdue --role coordinator
    Example: pathway deadlines list --unwatched --workflow flen_tripartite
    """
    services = state(ctx).services()
    if unwatched:
        if overdue or due_within is not None or role is not None:
            raise InvalidValue("--unwatched", "with --overdue/--due-within/--role",
                               "an unwatched participant has no deadline to filter by; give --unwatched alone "
                               "or with --workflow")
        _print_unwatched(service.unwatched(services, workflow), fmt)
        return
    due_before = None
    if due_within is not None:
        try:
            duration = Duration.parse(due_within)
        except ValueError:
            raise InvalidValue("--due-within", due_within, f"{DURATION_HELP}; {LIMIT_HELP}") from None
        today = to_local(services.clock.now()).date()
        due_before = start_of_day(add_duration(today, duration) + timedelta(days=1))
    board = service.board(services, overdue, due_before, role, workflow)
    rows = [{"participant": r.participant_id, "ref": r.ref, "workflow": r.workflow, "step": r.step,
             "rule": r.rule, "due": r.due_date.isoformat() if r.due_date else r.status,
             "days overdue": r.days_overdue or "", "level": r.level or "", "owner": r.owner} for r in board]
    print_rows(rows, ["participant", "ref", "workflow", "step", "rule", "due", "days overdue", "level", "owner"],
               fmt, title=f"Open deadlines ({len(rows)})", json_rows=[r.to_json() for r in board])
    if fmt == OutputFormat.TABLE and not (overdue or due_within is not None or role is not None):
        missing = service.unwatched(services, workflow)
        if missing:
            _print_unwatched(missing, fmt)


def _print_unwatched(found: list[service.UnwatchedRow], fmt: OutputFormat) -> None:
    rows = [{"participant": r.participant_id, "ref": r.ref, "workflow": r.workflow, "step": r.step, "rule": r.rule,
             "missing": r.attribute} for r in found]
    print_rows(rows, ["participant", "ref", "workflow", "step", "rule", "missing"], fmt,
               title=f"Unwatched: no running deadline although a rule should watch them ({len(rows)}); "
                     "record the missing attribute to start its clock",
               json_rows=[r.to_json() for r in found])
