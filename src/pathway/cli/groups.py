"""``pathway group create|add|remove|session|move|show|list``: groups in a group step."""

from __future__ import annotations

from typing import Annotated

import typer

from pathway.cli.output import FormatOption, OutputFormat, console, print_json, print_note, print_rows
from pathway.cli.state import optional_time, state
from pathway.clock import format_local
from pathway.engine.values import parse_assignments
from pathway.services import groups as service
from pathway.services.views import iso

Group = Annotated[str, typer.Argument(metavar="GROUP", help="group id (or its name)")]
At = Annotated[str | None, typer.Option("--at", help="when it happened, if earlier (ISO date or date-time)")]
Reason = Annotated[str | None, typer.Option("--reason", help="why it is recorded afterwards (needed with a past --at)")]

app = typer.Typer(help="Groups in a group step: members, capacity, sessions with attendance, moving the group on.",
                  no_args_is_help=True)


@app.command("create")
def create(ctx: typer.Context,
           workflow: Annotated[str, typer.Option("--workflow", help="workflow id")],
           step: Annotated[str, typer.Option("--step", help="a group_activity step of the workflow")],
           name: Annotated[str, typer.Option("--name", help="e.g. 'Motivation vår 2026'")],
           capacity: Annotated[int | None, typer.Option("--capacity", help="places (default and most: the step's group_size)")] = None,
           fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Start a group in a group step; prints its id.

    Example: pathway group create --workflow orebro_sprak --step language_group --name "Språkgrupp 1"
    """
    group_id = service.create_group(state(ctx).services(), workflow, step, name, capacity)
    print_json({"id": group_id}) if fmt == OutputFormat.JSON else console.print(str(group_id), markup=False)


@app.command("add")
def add(ctx: typer.Context, group: Group,
        participant: Annotated[list[str], typer.Argument(metavar="ID…", help="participants (id or ref) in the group's step")],
        at: At = None, reason: Reason = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Put participants in the group, all or none; refused beyond its capacity.

    Example: pathway group add 1 LU-2026-014 LU-2026-015
    """
    added = service.add_members(state(ctx).services(), group, participant, optional_time(at, "--at"), reason)
    if fmt == OutputFormat.JSON:
        print_json({"group": group, "added": added})
    else:
        console.print(f"added to group {group}: {', '.join(map(str, added))}", markup=False)


@app.command("remove")
def remove(ctx: typer.Context, group: Group, participant: Annotated[str, typer.Argument(metavar="ID")],
           at: At = None, reason: Reason = None) -> None:
    """Take a participant out of the group.

    Example: pathway group remove 1 LU-2026-015
    """
    service.remove_member(state(ctx).services(), group, participant, optional_time(at, "--at"), reason)
    console.print(f"removed from group {group}: {participant}", markup=False)


@app.command("session")
def session(ctx: typer.Context, group: Group,
            kind: Annotated[str, typer.Option("--kind", help="session or wellness (friskvård)")] = "session",
            hours: Annotated[float | None, typer.Option("--hours", help="length (default: the step's hours_per_session / wellness_hours_per_week)")] = None,
            absent: Annotated[list[str] | None, typer.Option("--absent", help="ID[:reason] of a member who was away, e.g. 3:vab")] = None,
            at: At = None, reason: Reason = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Record a session held: every member attended unless named absent.

    Example: pathway group session 1 --absent LU-2026-015:"vård av sjukt barn"
    """
    data = service.record_session(state(ctx).services(), group, kind, hours, absent or [], optional_time(at, "--at"),
                                  reason)
    if fmt == OutputFormat.JSON:
        print_json(data)
    else:
        console.print(f"{data['kind']} {data['session']} ({data['hours']:g} h): {data['attended']} attended, "
                      f"{data['absent']} absent", markup=False)


@app.command("move")
def move(ctx: typer.Context, group: Group, trigger: Annotated[str, typer.Argument(help="the trigger every member fires")],
         data: Annotated[list[str] | None, typer.Option("--data", help="KEY=VALUE for the trigger")] = None,
         at: At = None, reason: Reason = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Move the whole group on: the trigger fires for every member in one transaction, all or nothing.

    Example: pathway group move 1 activate
    """
    results = service.move_group(state(ctx).services(), group, trigger, parse_assignments(data or [], "--data"),
                                 optional_time(at, "--at"), reason)
    if fmt == OutputFormat.JSON:
        print_json([r.to_json() for r in results])
        return
    for r in results:
        console.print(f"{r.participant_id}: {r.from_step} → {r.to_step}", markup=False)


@app.command("show")
def show(ctx: typer.Context, group: Group, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """The group: step, capacity, planned hours a week, members with their attendance, sessions.

    Example: pathway group show 1
    """
    view = service.show_group(state(ctx).services(), group)
    if fmt == OutputFormat.JSON:
        print_json(view.to_json())
        return
    planned = f"{view.planned_hours_per_week:g} h a week planned" if view.planned_hours_per_week else "no plan a week"
    places = f"{len(view.members)} of {view.capacity}" if view.capacity else str(len(view.members))
    closed = f", closed {format_local(view.closed_at)}" if view.closed_at else ""
    console.print(f"Group {view.id} — {view.name} ({view.workflow}, step {view.step}{closed}): {places} members, "
                  f"{len(view.sessions)} sessions, {planned}", markup=False)
    rows = [{"id": m.participant_id, "ref": m.ref or "", "attended": _count(m.attended), "absent": _count(m.absent),
             "hours": "withheld" if m.hours is None else f"{m.hours:g}", "absences": ", ".join(m.absences)}
            for m in view.members]
    print_rows(rows, ["id", "ref", "attended", "absent", "hours", "absences"], fmt, title="Members",
               json_rows=view.to_json()["members"])
    for member in view.members:  # what was withheld is said, never silently left out
        for note in member.withheld:
            print_note(f"participant {member.participant_id}: {note}")


def _count(value: int | None) -> str:
    return "withheld" if value is None else str(value)


@app.command("list")
def list_groups(ctx: typer.Context, workflow: Annotated[str | None, typer.Option("--workflow")] = None,
                fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Groups, with their step and places taken.

    Example: pathway group list --workflow kraft
    """
    found = service.list_groups(state(ctx).services(), workflow)
    rows = [{"id": g.id, "workflow": g.workflow_id, "step": g.step, "name": g.name,
             "members": f"{n} of {g.capacity}" if g.capacity else str(n),
             "closed": format_local(g.closed_at) if g.closed_at else ""} for g, n in found]
    json_rows = [{"id": g.id, "workflow": g.workflow_id, "step": g.step, "name": g.name, "capacity": g.capacity,
                  "members": n, "closed_at": iso(g.closed_at) if g.closed_at else None} for g, n in found]
    print_rows(rows, ["id", "workflow", "step", "name", "members", "closed"], fmt, title="Groups", json_rows=json_rows)
