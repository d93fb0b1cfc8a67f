"""Meetings as records: who was there, who led, who was absent, consent confirmed, decisions, notes.

``record_meeting`` appends one ``meeting_recorded`` event; triggers into a meeting step whose
settings name ``parties`` or ``confirm_consent`` need such a record (see
:mod:`pathway.steps.requirements`). ``record_no_show`` appends a ``meeting_no_show`` event and
queues a notification to each other agency the participant's consent in force covers, through the
same notifications outbox as reminders and escalations (Flen: the employment service's no-shows
never reached social services). Both reconcile the deadlines in the same transaction, so a meeting
record meets a repeating follow-up rule (``target: {meeting: TYPE}``).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from pathway.clock import to_local
from pathway.domain import Event, Participant
from pathway.domain.records import Meeting, RecordEvent, Records, fold
from pathway.domain.agency import AGENCIES
from pathway.engine.step_settings import meeting_data
from pathway.errors import InvalidValue, ParticipantExited, field
from pathway.services import policy, secrecy
from pathway.services.context import ServiceContext
from pathway.services.deadlines import reconcile
from pathway.services.notify import notification_id
from pathway.services.participants import effective_time, resolve, typed_attributes
from pathway.services.views import iso
from pathway.services.retry import caseworker_command

#: the longest notes file a meeting record takes (notes are for decisions and agreements, not documents)
MAX_NOTES = 20_000


@dataclass(frozen=True)
class NoShowResult:
    participant_id: int
    seq: int
    notified: list[str]
    withheld: list[str]

    def to_json(self) -> dict[str, Any]:
        return {"participant_id": self.participant_id, "seq": self.seq, "notified": self.notified,
                "withheld": self.withheld}


def _read_notes(notes_file: Path | None) -> str | None:
    if notes_file is None:
        return None
    try:
        text = notes_file.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as err:
        raise InvalidValue(field("notes_file"), str(notes_file), f"cannot read it as UTF-8 text ({err.__class__.__name__})") from None
    if len(text) > MAX_NOTES:
        raise InvalidValue(field("notes_file"), str(notes_file), f"notes are at most {MAX_NOTES} characters; it has {len(text)}")
    return text.strip() or None


def _append(ctx: ServiceContext, participant: Participant, kind: RecordEvent, data: dict[str, Any],
            effective_at: datetime, reason: str | None, uow: Any, definition: Any) -> Event:
    event = participant.record(Event(
        seq=0, type=kind.value, effective_at=effective_at, recorded_at=ctx.clock.now(), actor=ctx.actor,
        actor_id=ctx.actor_id, actor_agency=ctx.actor_agency, workflow_id=participant.workflow_id, workflow_version=participant.workflow_version,
        from_step=participant.step, to_step=participant.step, data=data, reason=reason,
    ), definition.terminal_step_ids)
    reconcile(uow, participant, definition, typed_attributes(ctx, uow, participant))
    return event


@caseworker_command
def record_meeting(ctx: ServiceContext, participant_ref: str | int, type_: str, attendees: list[str],
                   led_by: str | None = None, absent: list[str] | None = None, consent_confirmed: bool = False,
                   decisions: list[str] | None = None, signed_by_participant: bool = False,
                   notes_file: Path | None = None, minutes: int | None = None,
                   preparation_minutes: int | None = None, feedback_minutes: int | None = None,
                   at: datetime | None = None, reason: str | None = None) -> dict[str, Any]:
    """Record a meeting held with the participant; returns the event's data with its ``seq``."""
    notes = _read_notes(notes_file)
    with ctx.uow() as uow:
        participant = resolve(uow, participant_ref)
        policy.require(ctx, "meeting.record", participant)
        if not participant.is_open:
            raise ParticipantExited(participant.id or 0, participant.step)
        definition = ctx.catalog.pinned(uow, participant.workflow_id, participant.workflow_version).definition
        effective_at, reason = effective_time(ctx, at, reason, participant.enrolled_at, "the enrolment")
        on = to_local(effective_at).date()
        records = participant.folded.records  # the fold kept on the row: no history read
        data = meeting_data(definition, records, on, type_, attendees, led_by, absent or [], consent_confirmed,
                            decisions or [], signed_by_participant, notes, minutes, preparation_minutes,
                            feedback_minutes)
        event = _append(ctx, participant, RecordEvent.MEETING_RECORDED, data, effective_at, reason, uow, definition)
        uow.commit()
        return {**data, "seq": event.seq, "participant_id": participant.id}


@caseworker_command
def record_no_show(ctx: ServiceContext, participant_ref: str | int, type_: str, agency: str,
                   note: str | None = None, at: datetime | None = None, reason: str | None = None) -> NoShowResult:
    """Record a missed appointment and notify the participant's other agencies the consent covers."""
    if agency not in AGENCIES:
        raise InvalidValue(field("agency"), agency, f"the agency whose appointment was missed: one of {', '.join(AGENCIES)}")
    with ctx.uow() as uow:
        participant = resolve(uow, participant_ref)
        policy.require(ctx, "meeting.record", participant)
        if not participant.is_open:
            raise ParticipantExited(participant.id or 0, participant.step)
        definition = ctx.catalog.pinned(uow, participant.workflow_id, participant.workflow_version).definition
        effective_at, reason = effective_time(ctx, at, reason, participant.enrolled_at, "the enrolment")
        if not type_ or not type_.replace("_", "").isalnum() or type_ != type_.lower():
            raise InvalidValue(field("type"), type_, "use a snake_case meeting type, e.g. individual or first_meeting")
        records = participant.folded.records  # the fold kept on the row: no history read
        on = to_local(effective_at).date()
        involved = sorted({r.agency.value for r in definition.roles if r.agency is not None} - {agency})
        in_force = records.consent.agencies_in_force(on)
        notified = [a for a in involved if a in in_force and agency in in_force]
        withheld = [a for a in involved if a not in notified]
        data = {"type": type_, "agency": agency, "note": note, "notified": notified, "withheld": withheld}
        event = _append(ctx, participant, RecordEvent.MEETING_NO_SHOW, data, effective_at, reason, uow, definition)
        uow.flush()
        now = ctx.clock.now()
        rows = [
            {"participant_id": participant.id, "event_seq": event.seq, "sink": sink.name,
             "payload": {"type": "meeting_no_show", "participant_id": participant.id, "ref": participant.ref,
                         "workflow": participant.workflow_id, "meeting_type": type_, "missed_at": iso(effective_at),
                         "recorded_by_agency": agency, "to_agency": to_agency, "event_seq": event.seq,
                         "notification_id": f"{notification_id(participant.id or 0, event.seq)}-{to_agency}"},
             "status": "pending", "attempts": 0, "last_error": None, "created_at": now, "next_attempt_at": now,
             "delivered_at": None}
            for to_agency in notified for sink in ctx.notifier.sinks
        ]
        uow.deadlines.add_notifications(rows)
        uow.commit()
        result = NoShowResult(participant.id or 0, event.seq, notified, withheld)
    if rows:
        ctx.notifier.deliver(ctx, ctx.clock.now())  # after the commit: no lock held while a sink is slow
    return result


def meetings_of(ctx: ServiceContext, participant_ref: str | int) -> tuple[Participant, list[Meeting], Records]:
    """The participant's meetings and no-shows as the acting user may see them (secrecy between
    agencies applies as to the history); the read is written to the access log."""
    with ctx.uow() as uow:
        participant = resolve(uow, participant_ref)
        policy.require(ctx, "participant.read", participant)
        shown = secrecy.filter_events(ctx.user, uow.participants.history(participant.id or 0),
                                      to_local(ctx.clock.now()).date())
        records = fold(shown.events)
        if ctx.user is not None and not ctx.granted:
            policy.log_read(ctx, uow, participant, "meetings")
            uow.commit()
        return participant, records.meetings, records
