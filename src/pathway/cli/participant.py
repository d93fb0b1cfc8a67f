"""``pathway participant …``: the caseworker's commands."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from pathway.clock import format_local
from pathway.cli.output import FormatOption, OutputFormat, console, print_json, print_note, print_rows, write_text
from pathway.cli.state import optional_time, state
from pathway.domain.agency import AGENCIES
from pathway.engine.values import parse_assignments
from pathway.errors import InvalidValue
from pathway.services import participants as service
from pathway.services.views import EventView, ParticipantView, records_json

app = typer.Typer(help="Enrol participants, fire triggers, and look at where they are.", no_args_is_help=True)

Id = Annotated[str, typer.Argument(metavar="ID", help="participant id (or ref)")]
At = Annotated[str | None, typer.Option("--at", help="when it happened, if earlier (ISO date or date-time, Swedish time)")]
Reason = Annotated[str | None, typer.Option("--reason", help="why it is recorded afterwards (needed with a past --at)")]


@app.command()
def enrol(
    ctx: typer.Context,
    workflow: Annotated[str, typer.Argument(help="workflow id, e.g. kraft")],
    ref: Annotated[str | None, typer.Option(help="your case reference, unique within the workflow")] = None,
    attr: Annotated[list[str] | None, typer.Option("--attr", help="KEY=VALUE attribute (repeatable)")] = None,
    at: At = None,
    reason: Reason = None,
    personnummer: Annotated[str | None, typer.Option(
        "--personnummer", metavar="NUMBER",
        help="personnummer or samordningsnummer, 10 or 12 digits (YYMMDD-NNNN); kept apart, never in the "
             "history; birth_date and gender are taken from it. '-' reads it from standard input, or asks "
             "for it without echoing on a terminal, so it stays out of ps and the shell history")] = None,
    anonymous: Annotated[bool, typer.Option(
        "--anonymous", help="no consent to registration, or protected identity: no number, only gender "
                            "and the start year are recorded")] = False,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Enrol a participant on the current version of a workflow and print the new id.

    Example: pathway participant enrol kraft --ref LU-2026-014 --personnummer 19121212-1212 --attr referring_agency=soc
    """
    if personnummer == "-":
        personnummer = _read_personnummer()
    services = state(ctx).services()
    participant_id, note = service.enrol(
        services, workflow, ref=ref, attributes=parse_assignments(attr or [], "--attr"),
        at=optional_time(at, "--at"), reason=reason, personnummer=personnummer, anonymous=anonymous,
    )
    if note:
        print_note(note)
    if fmt == OutputFormat.JSON:
        print_json({"id": participant_id})
    else:
        typer.echo(participant_id)


@app.command()
def fire(
    ctx: typer.Context,
    participant: Id,
    trigger: Annotated[str, typer.Argument(help="trigger name; 'participant show' lists those allowed now")],
    data: Annotated[list[str] | None, typer.Option("--data", help="KEY=VALUE the trigger carries (repeatable)")] = None,
    at: At = None,
    reason: Reason = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Fire a trigger: move the participant on if the pathway allows it, and record it.

    Example: pathway participant fire 1 exit --data reason=work --at 2026-03-02 --reason "reported late"
    """
    services = state(ctx).services()
    result = service.fire(services, participant, trigger,
                          data=parse_assignments(data or [], "--data"),
                          at=optional_time(at, "--at"), reason=reason)
    if fmt == OutputFormat.JSON:
        print_json(result.to_json())
    else:
        exited = " (exited)" if result.status == "exited" else ""
        if result.moved:
            console.print(f"{result.participant_id}: {result.from_step} → {result.to_step}{exited}", markup=False)
            if result.to_step_kind == "handover":
                print_note(f"a handover: give the receiving agency the journey summary with "
                           f"'pathway participant handover {result.participant_id} --to AGENCY'")
        else:
            console.print(f"{result.participant_id}: {trigger} recorded, stays in {result.to_step}", markup=False)


@app.command("set")
def set_attributes(
    ctx: typer.Context,
    participant: Id,
    values: Annotated[list[str], typer.Argument(metavar="KEY=VALUE...", help="attributes to record")],
    at: At = None,
    reason: Reason = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Record or correct participant attributes; each change is an event.

    Example: pathway participant set 1 stable_housing=true swedish_without_interpreter=true
    """
    services = state(ctx).services()
    changed = service.set_attributes(services, participant, parse_assignments(values, "KEY=VALUE"),
                                     at=optional_time(at, "--at"), reason=reason)
    if fmt == OutputFormat.JSON:
        print_json({"changed": changed})
    elif changed:
        for key, value in changed.items():
            console.print(f"{key} = {_shown(value)}", markup=False)
    else:
        console.print("nothing changed", markup=False)


@app.command()
def show(ctx: typer.Context, participant: Id, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Show where a participant is, which triggers are allowed now, and why others are blocked.

    Example: pathway participant show 1 --format json
    """
    view = service.show(state(ctx).services(), participant)
    if fmt == OutputFormat.JSON:
        print_json(view.to_json())
        return
    if fmt == OutputFormat.CSV:
        row = view.to_json()
        row["allowed_triggers"] = ";".join(view.allowed_triggers)
        row["blocked_triggers"] = ";".join(view.blocked_triggers)
        row.pop("trigger_data")
        print_rows([row], list(row), fmt)
        return
    ref = f" (ref {escape(view.ref)})" if view.ref else ""  # a ref may hold '[': shown, never markup
    console.print(f"[bold]Participant {view.id}{ref}[/bold] — {escape(view.workflow_title)} "
                  f"({view.workflow} v{view.workflow_version})")
    console.print(f"Step:     {view.step} — {view.step_title}  (owner: {view.owner})", markup=False)
    status = view.status if view.exit_reason is None else f"{view.status} ({view.exit_reason})"
    console.print(f"Status:   {status}", markup=False)
    console.print(f"Enrolled: {format_local(view.enrolled_at)}   in step since: "
                  f"{format_local(view.last_step_change_at)}", markup=False)
    if view.attributes:
        print_rows([{"attribute": k, "value": _shown(v)} for k, v in sorted(view.attributes.items())],
                   ["attribute", "value"], fmt, title="Attributes")
    for note in view.withheld:
        console.print(f"Withheld: {note}", markup=False)
    _print_records(view, fmt)
    if view.deadlines:
        print_rows([{"rule": d.rule, "title": d.title, "due": d.due_date.isoformat() if d.due_date else "",
                     "status": d.status, "days overdue": d.days_overdue or "", "level": d.level or "",
                     "held by": d.owner} for d in view.deadlines],
                   ["rule", "title", "due", "status", "days overdue", "level", "held by"], fmt, title="Open deadlines")
    if view.triggers:
        rows = []
        for t in view.triggers:
            needs = ", ".join(f"{n}{'*' if s['required'] else ''}" for n, s in t.data.items())
            rows.append({"trigger": t.trigger, "now": "blocked" if t.blocked_by else "allowed",
                         "why blocked": "\n".join(t.blocked_by), "data (* required)": needs})
        print_rows(rows, ["trigger", "now", "why blocked", "data (* required)"], fmt, title="Triggers")


@app.command()
def history(ctx: typer.Context, participant: Id, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Show a participant's whole history, oldest first.

    Example: pathway participant history 1 --format csv
    """
    events, withheld = service.history_view(state(ctx).services(), participant)
    for note in withheld:  # secrecy between agencies: said, never silent (stderr: JSON stays a list)
        print_note(note)
    if fmt == OutputFormat.JSON:
        print_json([e.to_json() for e in events])
        return
    rows = []
    for e in events:
        effective, recorded = format_local(e.effective_at), format_local(e.recorded_at)
        rows.append({
            "seq": e.seq, "effective": effective,
            # in the table, the recording time is shown only when it differs (backdated entries)
            "recorded": recorded if fmt == OutputFormat.CSV or recorded != effective else "",
            "type": _type_shown(e) if fmt == OutputFormat.TABLE else e.type, "trigger": e.trigger,
            "step": f"{e.from_step} → {e.to_step}" if e.from_step and e.from_step != e.to_step else e.to_step,
            "actor": e.actor, "data": _describe(e.type, e.data) if fmt == OutputFormat.TABLE else e.data or None,
            "reason": e.reason,
        })
    print_rows(rows, ["seq", "effective", "recorded", "type", "trigger", "step", "actor", "data", "reason"],
               fmt, title="History", styles=["strike" if e.struck else None for e in events])


def _type_shown(event: EventView) -> str:
    """The event's type; a corrected one says so (and is struck through on a terminal)."""
    if event.struck:
        return f"{event.type} ✗ struck by #{event.corrected_by}"
    if event.corrected_by:
        return f"{event.type} (corrected by #{event.corrected_by})"
    if event.type == "corrected":
        return f"corrected: {event.data.get('kind')}"
    return event.type


def _read_personnummer() -> str:
    """``--personnummer -``: a prompt without echo on a terminal, else the first line of stdin."""
    if sys.stdin is not None and sys.stdin.isatty():
        return str(typer.prompt("personnummer", hide_input=True))
    line = sys.stdin.readline(100) if sys.stdin is not None else ""
    if not line.strip():
        raise InvalidValue("--personnummer -", "empty standard input", "give the number on standard input, "
                           "e.g. from a file: --personnummer - < number.txt")
    return line.strip()


def _shown(value: object) -> str:
    """A stored value as the CLI takes it: true/false, comma-separated lists, – for nothing."""
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    return "–" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def _describe(event_type: str, data: dict[str, Any]) -> str:
    """Event data as a caseworker reads it: ``key=value``, and ``key: old → new`` for changes."""
    shown = _shown

    if event_type == "attributes_set":
        previous = data.get("previous", {})
        return "\n".join(f"{k}: {shown(previous.get(k))} → {shown(v)}"
                         for k, v in data.get("set", {}).items())
    if event_type in ("reminder", "deadline_missed", "escalated"):
        level = f", level {data['level']}" if data.get("level") else ""
        return f"{data.get('rule')}: due {data.get('due_date')} → {data.get('role')}{level}"
    if event_type == "corrected":
        lines = [f"corrects #{', #'.join(str(n) for n in data.get('corrects', []))}"] if data.get("corrects") else []
        if data.get("amends"):
            lines.append(f"amends #{data['amends']}")
        previous = data.get("previous", {}) or {}
        new = data.get("set") or {**{k: v for k, v in data.items() if k in previous},
                                  **(data.get("restored") or {})}
        lines += [f"{k}: {shown(previous.get(k))} → {shown(new.get(k))}"
                  for k in previous if k in new and k != "last_step_change_at"]
        return "\n".join(lines)
    if event_type == "enrolled":
        attributes = data.get("attributes", {})
        return "\n".join(f"{k}={shown(v)}" for k, v in attributes.items())
    return "\n".join(f"{k}={shown(v)}" for k, v in data.items())


Why = Annotated[str | None, typer.Option("--reason", help="what was wrong (required; kept in the history)")]


@app.command()
def correct(
    ctx: typer.Context,
    participant: Id,
    undo_last: Annotated[bool, typer.Option("--undo-last", help="undo the last transition: back to the step before it")] = False,
    exit_data: Annotated[list[str] | None, typer.Option("--exit-data", help="KEY=VALUE of the exit to correct, e.g. reason=work (repeatable)")] = None,
    attr: Annotated[list[str] | None, typer.Option("--attr", help="KEY=VALUE attribute recorded wrongly (repeatable)")] = None,
    event: Annotated[int | None, typer.Option("--event", metavar="SEQ", help="a consent, plan, placement or intervention entry (its seq in the history) to correct with --set or --strike")] = None,
    set_: Annotated[list[str] | None, typer.Option("--set", help="KEY=VALUE of the entry named by --event (repeatable); at=TIME moves the entry's time (an end date)")] = None,
    strike: Annotated[bool, typer.Option("--strike", help="the placement or intervention entry named by --event was a mistake: strike it (a placement with its follow-ups and end)")] = False,
    reason: Why = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Correct a mistake with a `corrected` event; the original stays in the history, struck through.

    One of: --undo-last (the step before the last transition, its deadlines as they were),
    --exit-data (exit reason, situation at exit), --attr (a recorded attribute), --event SEQ --set
    (a consent, plan, placement or intervention entry; at=TIME moves its time), --event SEQ --strike
    (a placement or intervention entry made by mistake). Reports and --as-of read the corrected values.

    Example: pathway participant correct LU-2026-014 --undo-last --reason "fired by mistake"
    Example: pathway participant correct LU-2026-014 --event 9 --set hours_per_week=12 --reason "12 h, not 21"
    """
    from pathway.errors import BadInput
    from pathway.services import corrections

    chosen = [name for name, given in (("--undo-last", undo_last), ("--exit-data", exit_data),
                                       ("--attr", attr), ("--event", event is not None)) if given]
    if (set_ or strike) and event is None:
        raise BadInput(f"{'--set' if set_ else '--strike'} needs --event SEQ: the entry to correct")
    if len(chosen) != 1:
        raise BadInput("give exactly one of --undo-last, --exit-data KEY=VALUE, --attr KEY=VALUE, "
                       f"--event SEQ --set KEY=VALUE or --event SEQ --strike (got {', '.join(chosen) or 'none'})")
    if event is not None and bool(set_) == strike:
        raise BadInput("--event SEQ needs one of --set KEY=VALUE (correct the entry) or --strike (it was a mistake)")
    services = state(ctx).services()
    if undo_last:
        result = corrections.undo_last(services, participant, reason)
    elif exit_data:
        result = corrections.correct_exit(services, participant, parse_assignments(exit_data, "--exit-data"), reason)
    elif attr:
        result = corrections.correct_attributes(services, participant, parse_assignments(attr, "--attr"), reason)
    elif strike:
        result = corrections.strike_record(services, participant, event or 0, reason)
    else:
        result = corrections.correct_record(services, participant, event or 0,
                                            parse_assignments(set_ or [], "--set"), reason)
    _print_correction(result, fmt)


@app.command()
def reopen(ctx: typer.Context, participant: Id, reason: Why = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Undo an exit made by mistake: open again in the step before it; what the exit closed is open again.

    Example: pathway participant reopen LU-2026-014 --reason "exit recorded on the wrong participant"
    """
    from pathway.services import corrections

    _print_correction(corrections.reopen(state(ctx).services(), participant, reason), fmt)


@app.command()
def void(ctx: typer.Context, participant: Id, reason: Why = None, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """Void an enrolment made by mistake (felregistrering): it stays in the history and leaves every report.

    Example: pathway participant void 17 --reason "enrolled twice"
    """
    from pathway.services import corrections

    _print_correction(corrections.void(state(ctx).services(), participant, reason), fmt)


def _print_correction(result: object, fmt: OutputFormat) -> None:
    data = result.to_json()  # type: ignore[attr-defined]
    if fmt == OutputFormat.JSON:
        print_json(data)
        return
    struck = f" (struck: #{', #'.join(str(n) for n in data['corrects'])})" if data["corrects"] else ""
    seqs = ", ".join(f"#{n}" for n in data["seqs"])
    typer.echo(f"{data['participant_id']}: {data['kind']} recorded as {seqs}{struck} — step {data['step']}, "
               f"{data['status']}")
    for key, value in data["changed"].items():
        if key in data["previous"]:
            typer.echo(f"  {key}: {_shown(data['previous'][key])} → {_shown(value)}")


@app.command()
def handover(
    ctx: typer.Context,
    participant: Id,
    to: Annotated[str, typer.Option("--to", help=f"receiving agency: {', '.join(AGENCIES[:-1])} or {AGENCIES[-1]}")],
    fmt: Annotated[str, typer.Option("--format", "-f", help="markdown or json")] = "markdown",
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file")] = None,
) -> None:
    """The journey summary for the receiving agency: steps and dates, plan, placements, interventions.

    Only what the consent in force covers is included.

    Example: pathway participant handover 1 --to af --output overlamning.md
    """
    from pathway.reports.handover import to_markdown
    from pathway.services.handover import journey

    if fmt not in ("markdown", "json"):
        raise InvalidValue("--format", fmt, "use markdown or json")
    summary = journey(state(ctx).services(), participant, to)
    text = to_markdown(summary) if fmt == "markdown" else json.dumps(summary, ensure_ascii=False, indent=2) + "\n"
    write_text(text, output)


@app.command("list")
def list_participants(
    ctx: typer.Context,
    workflow: Annotated[str | None, typer.Option(help="only this workflow")] = None,
    step: Annotated[str | None, typer.Option(help="only participants in this step")] = None,
    status: Annotated[str | None, typer.Option(help="open, exited or voided (voided enrolments are listed only when asked for)")] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """List participants, optionally by workflow, step and status.

    Example: pathway participant list --workflow kraft --status open
    """
    found = service.list_participants(state(ctx).services(), workflow, step, status)
    rows = [{"id": p.id, "ref": p.ref, "workflow": f"{p.workflow} v{p.workflow_version}", "step": p.step,
             "status": p.status, "enrolled": format_local(p.enrolled_at),
             "in step since": format_local(p.last_step_change_at), "exit reason": p.exit_reason}
            for p in found]
    print_rows(rows, ["id", "ref", "workflow", "step", "status", "enrolled", "in step since", "exit reason"],
               fmt, title=f"Participants ({len(rows)})", json_rows=[p.to_json() for p in found])


def _print_records(view: ParticipantView, fmt: OutputFormat) -> None:
    """Consent, plan, placements and interventions in the ``show`` table view."""
    records = records_json(view.records, view.today)
    consent = records["consent"]
    if consent["grants"]:
        confirmed = format_local(view.records.consent.last_confirmed_at) or "never"
        console.print(f"Consent:  in force for {', '.join(consent['agencies_in_force']) or 'no agency'}"
                      f"   last confirmed: {confirmed}", markup=False)
    if records["plan"]:
        print_rows([{"id": i["id"], "what": i["what"], "with": i["with_whom"], "by": i["by"], "status": i["status"]}
                    for i in records["plan"]], ["id", "what", "with", "by", "status"], fmt, title="Action plan")
    if records["placements"]:
        print_rows([{"id": p["id"], "type": p["type"], "employer": p["employer"], "period": f"{p['start']} – {p['end'] or ''}",
                     "h/week": p["hours_per_week"], "contacts": len(p["followups"]),
                     "status": "ended" if p["ended_at"] else "running"} for p in records["placements"]],
                   ["id", "type", "employer", "period", "h/week", "contacts", "status"], fmt, title="Placements")
    if records["interventions"]:
        print_rows([{"id": i["id"], "kind": i["kind"], "agency": i["agency"], "since": (i["started_at"] or "")[:10],
                     "status": "ended" if i["ended_at"] else "running"} for i in records["interventions"]],
                   ["id", "kind", "agency", "since", "status"], fmt, title="Parallel interventions")


@app.command()
def redact(
    ctx: typer.Context,
    participant: Annotated[str, typer.Argument(help="participant id or ref")],
    event: Annotated[int, typer.Option("--event", help="the history's seq of the entry")],
    field: Annotated[str, typer.Option("--field", help="which free text: reason, or a text field of the event, e.g. notes, decisions.0.text, absence_reason (the error lists them)")],
    reason: Annotated[str, typer.Option("--reason", help="why it is removed (recorded; never repeat the text)")],
) -> None:
    """Replace one free-text entry of the history with '(raderad)'; a 'redacted' event records who,
    when and why, never the text.

    Example: pathway participant redact LU-2026-014 --event 5 --field reason --reason "uppgift om tredje person"
    """
    from pathway.services import extract

    done = extract.redact(state(ctx).services(), participant, event, field, reason)
    console.print(f"redacted {done['field']} of event {done['event_seq']} of participant {done['participant_id']}",
                  markup=False)


@app.command()
def assign(
    ctx: typer.Context,
    participant: Id,
    user: Annotated[str, typer.Option("--user", help="login of the caseworker who takes the case")],
    agency: Annotated[str | None, typer.Option("--agency", help="name the contact at this agency instead of "
                                               f"the responsible caseworker: {', '.join(AGENCIES)}, coordination")] = None,
    reason: Annotated[str | None, typer.Option("--reason", help="why (recorded on the event)")] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Make a user the participant's responsible caseworker (or, with --agency, the contact there).

    Example: pathway participant assign LU-2026-014 --user anna
    """
    from pathway.services import ownership

    done = ownership.assign(state(ctx).services(), participant, user, agency, reason)
    if fmt == OutputFormat.JSON:
        print_json(done)
        return
    before = f" (was {done['previous']})" if done["previous"] else ""
    console.print(f"{done['participant_id']}: {done['slot']} → {done['login']}{before}", markup=False)


@app.command()
def reassign(
    ctx: typer.Context,
    from_user: Annotated[str, typer.Option("--from", help="login whose caseload moves")],
    to_user: Annotated[str, typer.Option("--to", help="login who takes it over")],
    reason: Annotated[str, typer.Option("--reason", help="why, e.g. 'Anna på föräldraledighet' (required)")],
    workflow: Annotated[str | None, typer.Option("--workflow", help="only participants of this workflow")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="list what would move; change nothing")] = False,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Move a whole caseload at a staff change: all participants or none, one event each (coordinators).

    Example: pathway participant reassign --from anna --to nils --reason "Anna slutar" --dry-run
    """
    from pathway.services import ownership

    result = ownership.reassign(state(ctx).services(), from_user, to_user, reason, workflow, dry_run)
    if fmt == OutputFormat.JSON:
        print_json({"from": result.from_login, "to": result.to_login, "participants": result.participants,
                    "dry_run": result.dry_run})
        return
    verb = "would move" if result.dry_run else "moved"
    console.print(f"{verb} {len(result.participants)} participant(s) from {result.from_login} to "
                  f"{result.to_login}: {', '.join(map(str, result.participants))}", markup=False)
