"""``pathway caseload`` and ``pathway today``: my participants, and what I must do."""

from __future__ import annotations

from typing import Annotated

import typer

from pathway.cli.output import FormatOption, OutputFormat, print_rows
from pathway.cli.state import state

User = Annotated[str | None, typer.Option("--user", help="another user's (coordinators: in their workflows)")]


Limit = Annotated[int | None, typer.Option("--limit", help="show at most this many participants (1-500)")]
Offset = Annotated[int, typer.Option("--offset", help="skip this many participants first (with --limit: paging)")]


def caseload(ctx: typer.Context, user: User = None, fmt: FormatOption = OutputFormat.TABLE,
             limit: Limit = None, offset: Offset = 0) -> None:
    """My participants, by number: step, days in step, next deadline, what is overdue.

    A coordinator sees every open participant of their workflows, with who holds each (unassigned
    ones too); --user shows one caseworker's caseload. All of them unless --limit is given.

    Example: pathway caseload --user anna --limit 50 --offset 50
    """
    from pathway.services import ownership

    rows = ownership.caseload(state(ctx).services(), user, limit=limit, offset=offset)
    print_rows([{"id": r.participant_id, "ref": r.ref, "workflow": r.workflow, "step": r.step,
                 "days in step": r.days_in_step, "responsible": r.responsible or "(unassigned)",
                 "next deadline": r.next_deadline, "due": r.next_due.isoformat() if r.next_due else "",
                 "overdue": r.overdue or ""} for r in rows],
               ["id", "ref", "workflow", "step", "days in step", "responsible", "next deadline", "due", "overdue"],
               fmt, title=f"Caseload ({len(rows)})", json_rows=[r.to_json() for r in rows])


def today(ctx: typer.Context, user: User = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """What I must do today and this week (due, overdue, meetings, consent to confirm).

    Overdue and due deadlines of my caseload (meetings, follow-ups, consent confirmations, plan
    dates), soonest first.

    Example: pathway today
    """
    from pathway.services import ownership

    rows = ownership.today(state(ctx).services(), user)
    print_rows([{"when": r.when, "id": r.participant_id, "ref": r.ref, "workflow": r.workflow, "what": r.what,
                 "due": r.due.isoformat(), "held by": r.held_by} for r in rows],
               ["when", "id", "ref", "workflow", "what", "due", "held by"], fmt,
               title=f"To do ({len(rows)})", json_rows=[r.to_json() for r in rows])
