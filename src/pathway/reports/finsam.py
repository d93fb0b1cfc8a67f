"""The national follow-up export (Uppföljning Finsam): one row per participant of an intervention.

A workflow is one individual-oriented intervention (individinriktad insats). Each participant
whose enrolment overlaps the period is one row: start and end (the days of registering in and
out), the situation (försörjning) at start and at exit, and the exit reason — each in the
workflow's own code and in the national code its ``national_followup:`` mapping gives. The row
carries the participant's id and ref to match, never the personal identity number (DESIGN
invariant 7): in Uppföljning Finsam the number is entered by the participant's responsible
officer. Anonymous participants (no consent to registration, protected identity) are rows marked
``anonymous`` with gender and start year only, to be counted as anonymous participants there.
Reads only; the use case (access policy, access log) is :func:`pathway.services.reporting.finsam`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import and_, or_, select

from pathway.definitions.models import Workflow
from pathway.definitions.national import EXIT_CODES, SITUATION_CODES
from pathway.domain.identity import IdentityKind
from pathway.errors import BadInput
from pathway.store.tables import events, identities, participants

COLUMNS = ["intervention", "workflow", "participant_id", "ref", "anonymous", "gender", "birth_year",
           "start", "end", "status", "situation_at_start", "situation_at_exit", "exit_reason",
           "exit_reason_label", "own_exit_reason", "own_situation_at_start", "own_situation_at_exit"]


@dataclass(frozen=True)
class FinsamExport:
    intervention: str
    workflow: str
    period_from: date | None
    period_to: date | None
    rows: list[dict[str, Any]]

    def to_json(self) -> dict[str, Any]:
        return {"intervention": self.intervention, "workflow": self.workflow,
                "from": self.period_from.isoformat() if self.period_from else None,
                "to": self.period_to.isoformat() if self.period_to else None,
                "columns": COLUMNS, "rows": self.rows,
                "codes": {"exit_reason": EXIT_CODES, "situation": SITUATION_CODES}}


def build_export(session: Any, wf: Workflow, period_from: date | None, period_to: date | None) -> FinsamExport:
    national = wf.national_followup
    if national is None:
        raise BadInput(f"workflow '{wf.id}' has no national_followup mapping; add one to its YAML "
                       "(see docs/national-followup.md) to export it to Uppföljning Finsam")
    p = participants
    overlap = [p.c.workflow_id == wf.id]
    if period_to is not None:
        overlap.append(p.c.enrolled_on <= period_to)
    if period_from is not None:
        overlap.append(or_(p.c.exited_on.is_(None), p.c.exited_on >= period_from))
    found = session.execute(
        select(p.c.id, p.c.ref, p.c.attributes, p.c.enrolled_on, p.c.exited_on, p.c.status, p.c.exit_reason,
               identities.c.kind)
        .outerjoin(identities, identities.c.participant_id == p.c.id)
        .where(and_(*overlap)).order_by(p.c.id)).all()
    ids = [r.id for r in found]
    enrolled: dict[int, dict[str, Any]] = {}
    exits: dict[int, dict[str, Any]] = {}
    if ids:
        for pid, type_, data in session.execute(
                select(events.c.participant_id, events.c.type, events.c.data)
                .where(events.c.participant_id.in_(ids),
                       or_(events.c.type == "enrolled",
                           and_(events.c.type == "transition", events.c.to_step.in_(wf.terminal_step_ids))))
                .order_by(events.c.participant_id, events.c.seq)):
            if type_ == "enrolled":
                enrolled[pid] = dict((data or {}).get("attributes") or {})
            else:
                exits[pid] = dict(data or {})  # the last exit wins (an exit undone and done again)
    situation = national.situation
    rows = []
    for r in found:
        attributes = dict(r.attributes or {})
        anonymous = r.kind == IdentityKind.ANONYMOUS.value
        own_start = own_exit = None
        if situation is not None:
            own_start = enrolled.get(r.id, {}).get(situation.at_start, attributes.get(situation.at_start))
            if r.exited_on is not None:
                own_exit = exits.get(r.id, {}).get(situation.at_exit, attributes.get(situation.at_exit))
        birth = attributes.get("birth_date")
        start, end = _day(r.enrolled_on), _day(r.exited_on)
        national_exit = national.exit_reasons.get(r.exit_reason) if r.exit_reason else None
        rows.append({
            "intervention": national.intervention or wf.title, "workflow": wf.id, "participant_id": r.id,
            "ref": None if anonymous else r.ref, "anonymous": anonymous, "gender": attributes.get("gender"),
            "birth_year": None if anonymous or not isinstance(birth, str) else int(birth[:4]),
            "start": start, "end": end, "status": r.status,
            "situation_at_start": None if anonymous or situation is None or own_start is None else situation.codes.get(own_start),
            "situation_at_exit": None if anonymous or situation is None or own_exit is None else situation.codes.get(own_exit),
            "exit_reason": national_exit, "exit_reason_label": EXIT_CODES.get(national_exit or "", None),
            "own_exit_reason": r.exit_reason,
            "own_situation_at_start": None if anonymous else own_start,
            "own_situation_at_exit": None if anonymous else own_exit,
        })
    return FinsamExport(national.intervention or wf.title, wf.id, period_from, period_to, rows)


def _day(value: Any) -> str | None:
    if value is None:
        return None
    return value.isoformat() if isinstance(value, date) else str(value)
