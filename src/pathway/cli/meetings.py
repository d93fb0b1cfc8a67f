"""``pathway meeting record|no-show|list``: meetings as records (who was there, what was decided)."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer

from pathway.cli.output import FormatOption, OutputFormat, console, print_json, print_rows
from pathway.cli.state import optional_time, state
from pathway.clock import format_local
from pathway.services import meetings as service
from pathway.services.views import iso

Id = Annotated[str, typer.Argument(metavar="ID", help="participant id (or ref)")]
At = Annotated[str | None, typer.Option("--at", help="when it happened, if earlier (ISO date or date-time)")]
Reason = Annotated[str | None, typer.Option("--reason", help="why it is recorded afterwards (needed with a past --at)")]
Type = Annotated[str, typer.Option("--type", help="a meeting step's id (its triggers need this record) or your own type, e.g. individual")]

app = typer.Typer(help="Meetings as records: attendees, leader, absences, consent confirmed, decisions; no-shows.",
                  no_args_is_help=True)


def _who(party: dict[str, Any]) -> str:
    name = party.get("role") or party.get("agency") or "?"
    return f"{name}:{party['user']}" if party.get("user") else name


@app.command("record")
def record(
    ctx: typer.Context, participant: Id, type_: Type,
    attendee: Annotated[list[str], typer.Option("--attendee", help="AGENCY:USER or ROLE:USER, once per attendee, e.g. af:anna")],
    led_by: Annotated[str | None, typer.Option("--led-by", help="who led: an attendee's user, role or agency")] = None,
    absent: Annotated[list[str] | None, typer.Option("--absent", help="AGENCY[:reason] or ROLE[:reason] invited but absent")] = None,
    consent_confirmed: Annotated[bool, typer.Option("--consent-confirmed", help="the meeting opened by confirming consent, for the agencies present")] = False,
    decision: Annotated[list[str] | None, typer.Option("--decision", help="a decision taken (repeat for several)")] = None,
    signed: Annotated[bool, typer.Option("--signed-by-participant", help="the participant signed the decisions")] = False,
    notes_file: Annotated[Path | None, typer.Option("--notes-file", help="a UTF-8 text file of notes")] = None,
    minutes: Annotated[int | None, typer.Option("--minutes", help="how long the meeting took")] = None,
    preparation: Annotated[int | None, typer.Option("--preparation-minutes", help="preparation time (default: the step's preparation_minutes)")] = None,
    feedback: Annotated[int | None, typer.Option("--feedback-minutes", help="feedback time afterwards (default: the step's feedback_minutes)")] = None,
    at: At = None, reason: Reason = None, fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Record a meeting held with the participant: one event with everything said about it.

    Example: pathway meeting record 1 --type first_meeting --attendee soc:kim --attendee af:anna --attendee labour_unit:ali --led-by kim --consent-confirmed --decision "Praktik på AUC" --signed-by-participant
    """
    data = service.record_meeting(state(ctx).services(), participant, type_, attendee, led_by, absent or [],
                                  consent_confirmed, decision or [], signed, notes_file, minutes, preparation, feedback,
                                  optional_time(at, "--at"), reason)
    if fmt == OutputFormat.JSON:
        print_json(data)
        return
    text = f"meeting {data['type']} recorded (event {data['seq']}): " + ", ".join(_who(a) for a in data["attendees"])
    if data["consent_confirmed_for"]:
        text += f"; consent confirmed for {', '.join(data['consent_confirmed_for'])}"
    if data["decisions"]:
        text += f"; {len(data['decisions'])} decision(s)" + (" signed by the participant" if signed else "")
    console.print(text, markup=False)


@app.command("no-show")
def no_show(
    ctx: typer.Context, participant: Id, type_: Type,
    agency: Annotated[str, typer.Option("--agency", help="the agency whose appointment was missed")],
    note: Annotated[str | None, typer.Option("--note")] = None,
    at: At = None, reason: Reason = None, fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Record a missed appointment; the participant's other agencies are told where the consent allows.

    Example: pathway meeting no-show 1 --type individual --agency af
    """
    result = service.record_no_show(state(ctx).services(), participant, type_, agency, note,
                                    optional_time(at, "--at"), reason)
    if fmt == OutputFormat.JSON:
        print_json(result.to_json())
        return
    text = "no-show recorded"
    text += f"; notifying {', '.join(result.notified)}" if result.notified else "; no other agency notified"
    if result.withheld:
        text += f" (not {', '.join(result.withheld)}: the consent in force does not cover it)"
    console.print(text, markup=False)


@app.command("list")
def list_meetings(ctx: typer.Context, participant: Id, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """The participant's meetings and no-shows, oldest first.

    Example: pathway meeting list 1
    """
    _p, meetings, _records = service.meetings_of(state(ctx).services(), participant)
    json_rows = [{"seq": m.seq, "type": m.type, "at": iso(m.at), "no_show": m.no_show, "attendees": m.attendees,
                  "led_by": m.led_by, "absent": m.absent, "agency": m.agency, "consent_confirmed_for": m.consent_confirmed_for,
                  "decisions": m.decisions} for m in meetings]
    rows = [{"at": format_local(m.at), "type": m.type + (" (no-show)" if m.no_show else ""),
             "attendees": f"missed: appointment with {m.agency}" if m.no_show else ", ".join(_who(a) for a in m.attendees),
             "led by": m.led_by or "",
             "absent": ", ".join(_who(a) + (f" ({a['reason']})" if a.get("reason") else "") for a in m.absent),
             "consent": ", ".join(m.consent_confirmed_for),
             "decisions": "; ".join(d["text"] + (" ✔" if d.get("signed_by_participant") else "") for d in m.decisions)}
            for m in meetings]
    print_rows(rows, ["at", "type", "attendees", "led by", "absent", "consent", "decisions"], fmt, title="Meetings",
               json_rows=json_rows)
