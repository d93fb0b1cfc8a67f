"""``pathway consent|plan|placement|intervention …``: what caseworkers record around the steps."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from pathway.clock import to_local
from pathway.domain.agency import AGENCIES
from pathway.cli.output import FormatOption, OutputFormat, console, print_json, print_rows
from pathway.cli.state import optional_time, state
from pathway.services import records as service
from pathway.services.views import records_json

Id = Annotated[str, typer.Argument(metavar="ID", help="participant id (or ref)")]
At = Annotated[str | None, typer.Option("--at", help="when it happened, if earlier (ISO date or date-time)")]
Reason = Annotated[str | None, typer.Option("--reason", help="why it is recorded afterwards (needed with a past --at)")]
Agencies = Annotated[str, typer.Option("--agencies", help=f"comma-separated: {', '.join(AGENCIES)}")]

consent_app = typer.Typer(help="Consent to cooperation between agencies (samtycke): give, confirm, withdraw.", no_args_is_help=True)
plan_app = typer.Typer(help="The action plan (handlingsplan): goals and sub-goals.", no_args_is_help=True)
placement_app = typer.Typer(help="Internships, work training and work trials under an agreement.", no_args_is_help=True)
intervention_app = typer.Typer(help="Parallel interventions (health care, social-services support, CBT …).", no_args_is_help=True)


def _done(data: dict[str, Any], fmt: OutputFormat, text: str) -> None:
    if fmt == OutputFormat.JSON:
        print_json(data)
    else:
        console.print(text, markup=False)


@consent_app.command("give")
def consent_give(ctx: typer.Context, participant: Id, agencies: Agencies,
                 scope: Annotated[str | None, typer.Option(help="what the consent covers")] = None,
                 until: Annotated[str | None, typer.Option(help="last day it is valid (ISO date)")] = None,
                 at: At = None, reason: Reason = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Record the participant's consent to cooperation between the named agencies.

    Example: pathway consent give 1 --agencies soc,af,labour_unit --until 2026-12-31
    """
    data = service.give_consent(state(ctx).services(), participant, agencies.split(","), scope, until,
                                optional_time(at, "--at"), reason)
    _done(data, fmt, f"consent given for {', '.join(data['agencies'])}" + (f" until {data['until']}" if data["until"] else ""))


@consent_app.command("confirm")
def consent_confirm(ctx: typer.Context, participant: Id, at: At = None, reason: Reason = None,
                    fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Record that the consent was confirmed (every joint meeting opens with it).

    Example: pathway consent confirm 1
    """
    data = service.confirm_consent(state(ctx).services(), participant, optional_time(at, "--at"), reason)
    _done(data, fmt, "consent confirmed")


@consent_app.command("withdraw")
def consent_withdraw(ctx: typer.Context, participant: Id, agencies: Agencies, at: At = None, reason: Reason = None,
                     fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Record that the participant withdrew consent for the named agencies.

    Example: pathway consent withdraw 1 --agencies af
    """
    data = service.withdraw_consent(state(ctx).services(), participant, agencies.split(","),
                                    optional_time(at, "--at"), reason)
    _done(data, fmt, f"consent withdrawn for {', '.join(data['agencies'])}")


What = Annotated[str, typer.Option("--what", help="what is to be achieved")]
With = Annotated[str | None, typer.Option("--with", help="with whom (role or agency)")]
By = Annotated[str | None, typer.Option("--by", help="by when (ISO date); becomes a deadline")]
FollowUp = Annotated[str | None, typer.Option("--follow-up", help="how it is followed up")]


@plan_app.command("add-goal")
def plan_add_goal(ctx: typer.Context, participant: Id, what: What, with_whom: With = None, by: By = None,
                  follow_up: FollowUp = None, at: At = None, reason: Reason = None,
                  fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Add a goal to the action plan; prints its id (g1, g2 …).

    Example: pathway plan add-goal 1 --what "Arbete inom lager" --with employment_officer --by 2026-12-31
    """
    data = service.add_goal(state(ctx).services(), participant, what, with_whom, by, follow_up,
                            optional_time(at, "--at"), reason)
    _done(data, fmt, data["id"])


@plan_app.command("add-subgoal")
def plan_add_subgoal(ctx: typer.Context, participant: Id,
                     goal: Annotated[str, typer.Argument(help="the goal it belongs to, e.g. g1")],
                     what: What, with_whom: With = None, by: By = None, follow_up: FollowUp = None,
                     at: At = None, reason: Reason = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Add a sub-goal under a goal; its date becomes a deadline. Prints its id (g1.1 …).

    Example: pathway plan add-subgoal 1 g1 --what "Truckkort" --by 2026-05-31 --follow-up "trepartssamtal"
    """
    data = service.add_subgoal(state(ctx).services(), participant, goal, what, with_whom, by, follow_up,
                               optional_time(at, "--at"), reason)
    _done(data, fmt, data["id"])


@plan_app.command("update")
def plan_update(ctx: typer.Context, participant: Id,
                item: Annotated[str, typer.Argument(help="goal or sub-goal id, e.g. g1.2")],
                status: Annotated[str | None, typer.Option(help="open, done, dropped or closed (closed: still open at the exit, which closes it)")] = None,
                by: By = None, what: Annotated[str | None, typer.Option("--what")] = None,
                note: Annotated[str | None, typer.Option(help="a follow-up note")] = None,
                at: At = None, reason: Reason = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Update a goal or sub-goal: status, date, wording, or a follow-up note.

    Example: pathway plan update 1 g1.1 --status done
    """
    data = service.update_plan_item(state(ctx).services(), participant, item, status, by, what, note,
                                    optional_time(at, "--at"), reason)
    _done(data, fmt, f"{item} updated")


@plan_app.command("show")
def plan_show(ctx: typer.Context, participant: Id, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Show the action plan.

    Example: pathway plan show 1
    """
    services = state(ctx).services()
    _p, records = service.records_of(services, participant, "plan")
    plan = records_json(records, to_local(services.clock.now()).date())["plan"]
    rows = [{"id": i["id"], "what": i["what"], "with": i["with_whom"], "by": i["by"], "follow-up": i["follow_up"],
             "status": i["status"]} for i in plan]
    print_rows(rows, ["id", "what", "with", "by", "follow-up", "status"], fmt, title="Action plan", json_rows=plan)


@placement_app.command("start")
def placement_start(
    ctx: typer.Context, participant: Id,
    type_: Annotated[str, typer.Option("--type", help="internship, work_training, work_trial or supported_employment (in a placement step: one of its placement_types)")],
    employer: Annotated[str, typer.Option(help="the employer")],
    start: Annotated[str, typer.Option(help="first day (ISO date)")],
    end: Annotated[str | None, typer.Option(help="last day (ISO date)")] = None,
    weekdays: Annotated[str | None, typer.Option(help="e.g. mon,wed,fri")] = None,
    hours_per_week: Annotated[float | None, typer.Option("--hours-per-week")] = None,
    contact_person: Annotated[str | None, typer.Option("--contact-person", help="at the employer")] = None,
    goal: Annotated[str | None, typer.Option(help="e.g. '10 h/vecka i 12 veckor'")] = None,
    follow_up_every: Annotated[str | None, typer.Option("--follow-up-every", help="contact interval, e.g. 2w")] = None,
    at: At = None, reason: Reason = None, fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Start a placement under an agreement; prints its id (p1 …).

    Example: pathway placement start 1 --type work_trial --employer "ICA Kvantum" --start 2026-05-04 --hours-per-week 10 --follow-up-every 2w
    """
    data = service.start_placement(state(ctx).services(), participant, type_, employer, start, end,
                                   weekdays.split(",") if weekdays else None, hours_per_week, contact_person, goal,
                                   follow_up_every, optional_time(at, "--at"), reason)
    _done(data, fmt, data["id"])


@placement_app.command("followup")
def placement_followup(ctx: typer.Context, participant: Id,
                       placement: Annotated[str, typer.Argument(help="placement id, e.g. p1")],
                       note: Annotated[str | None, typer.Option()] = None,
                       hours_per_week: Annotated[float | None, typer.Option("--hours-per-week")] = None,
                       at: At = None, reason: Reason = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Record a follow-up contact during a placement (meets the contact deadline, starts the next).

    Example: pathway placement followup 1 p1 --hours-per-week 12
    """
    data = service.followup_placement(state(ctx).services(), participant, placement, note, hours_per_week,
                                      optional_time(at, "--at"), reason)
    _done(data, fmt, f"follow-up of {placement} recorded")


@placement_app.command("end")
def placement_end(ctx: typer.Context, participant: Id,
                  placement: Annotated[str, typer.Argument(help="placement id, e.g. p1")],
                  outcome: Annotated[str | None, typer.Option()] = None,
                  at: At = None, reason: Reason = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """End a placement.

    Example: pathway placement end 1 p1 --outcome "anställning 50 %"
    """
    data = service.end_placement(state(ctx).services(), participant, placement, outcome,
                                 optional_time(at, "--at"), reason)
    _done(data, fmt, f"{placement} ended")


@intervention_app.command("start")
def intervention_start(ctx: typer.Context, participant: Id,
                       kind: Annotated[str, typer.Argument(help="e.g. health_care, cbt, work_ability_assessment")],
                       agency: Annotated[str | None, typer.Option(help=f"{', '.join(AGENCIES[:-1])} or {AGENCIES[-1]}")] = None,
                       note: Annotated[str | None, typer.Option()] = None,
                       at: At = None, reason: Reason = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Start a parallel intervention; it never blocks the steps. Prints its id (i1 …).

    Example: pathway intervention start 1 health_care --agency health
    """
    data = service.start_intervention(state(ctx).services(), participant, kind, agency, note,
                                      optional_time(at, "--at"), reason)
    _done(data, fmt, data["id"])


@intervention_app.command("end")
def intervention_end(ctx: typer.Context, participant: Id,
                     intervention: Annotated[str, typer.Argument(help="intervention id, e.g. i1")],
                     note: Annotated[str | None, typer.Option()] = None,
                     at: At = None, reason: Reason = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """End a parallel intervention.

    Example: pathway intervention end 1 i1
    """
    data = service.end_intervention(state(ctx).services(), participant, intervention, note,
                                    optional_time(at, "--at"), reason)
    _done(data, fmt, f"{intervention} ended")
