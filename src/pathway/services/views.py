"""What use cases return: plain, JSON-ready read models (the CLI's JSON is a stable contract)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pathway.clock import iso as iso
from pathway.domain import Event, Participant
from pathway.domain.records import Records

if TYPE_CHECKING:  # an annotation only: listing participants does not load the state machines
    from pathway.engine import TriggerOption


@dataclass(frozen=True)
class TriggerView:
    trigger: str
    blocked_by: list[str]
    data: dict[str, dict[str, Any]]

    @classmethod
    def of(cls, option: TriggerOption) -> TriggerView:
        data = {
            name: {k: v for k, v in {"type": spec.type.value, "required": spec.required,
                                     "choices": spec.choices}.items() if v is not None}
            for name, spec in option.data.items()
        }
        return cls(option.trigger, option.blocked_by, data)


@dataclass(frozen=True)
class ParticipantView:
    id: int
    ref: str | None
    workflow: str
    workflow_version: int
    workflow_title: str
    step: str
    step_title: str
    owner: str
    status: str
    enrolled_at: datetime
    last_step_change_at: datetime | None
    exited_at: datetime | None
    exit_reason: str | None
    attributes: dict[str, Any]
    #: the clock's Swedish day when the view was made: consent in force is read on it
    today: date
    triggers: list[TriggerView] = field(default_factory=list)
    deadlines: list[Any] = field(default_factory=list)  # services.deadlines.BoardRow
    records: Records = field(default_factory=Records)
    #: the newest event's number: a form posts it back so a write on a stale page is refused
    seq: int = 0
    #: what secrecy between agencies withheld from this user, one sentence per agency (empty: nothing)
    withheld: list[str] = field(default_factory=list)

    @property
    def allowed_triggers(self) -> list[str]:
        return [t.trigger for t in self.triggers if not t.blocked_by]

    @property
    def blocked_triggers(self) -> dict[str, list[str]]:
        return {t.trigger: t.blocked_by for t in self.triggers if t.blocked_by}

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "ref": self.ref, "workflow": self.workflow,
            "workflow_version": self.workflow_version, "workflow_title": self.workflow_title,
            "step": self.step, "step_title": self.step_title, "owner": self.owner,
            "status": self.status, "enrolled_at": iso(self.enrolled_at),
            "last_step_change_at": iso(self.last_step_change_at), "exited_at": iso(self.exited_at),
            "exit_reason": self.exit_reason, "attributes": self.attributes,
            "allowed_triggers": self.allowed_triggers, "blocked_triggers": self.blocked_triggers,
            "trigger_data": {t.trigger: t.data for t in self.triggers},
            "deadlines": [
                {k: v for k, v in d.to_json().items() if k in
                 ("rule", "title", "status", "due_date", "due_at", "days_overdue", "level", "owner")}
                for d in self.deadlines
            ],
            **records_json(self.records, self.today),
            **({"withheld": self.withheld} if self.withheld else {}),
        }


@dataclass(frozen=True)
class EventView:
    seq: int
    type: str
    trigger: str | None
    from_step: str | None
    to_step: str | None
    effective_at: datetime
    recorded_at: datetime
    actor: str
    data: dict[str, Any]
    reason: str | None
    workflow_version: int
    #: the correction that corrected this event (struck: undone, or replaced by corrected data)
    corrected_by: int | None = None
    #: True when the correction struck the event (shown struck through); False when it only
    #: corrected some of its values (an attribute)
    struck: bool = False

    @classmethod
    def of(cls, event: Event, corrected_by: int | None = None, struck: bool = False) -> EventView:
        return cls(event.seq, event.type, event.trigger, event.from_step, event.to_step,
                   event.effective_at, event.recorded_at, event.actor, dict(event.data),
                   event.reason, event.workflow_version, corrected_by, struck)

    def to_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq, "type": self.type, "trigger": self.trigger,
            "from_step": self.from_step, "to_step": self.to_step,
            "effective_at": iso(self.effective_at), "recorded_at": iso(self.recorded_at),
            "actor": self.actor, "data": self.data, "reason": self.reason,
            "workflow_version": self.workflow_version, "corrected_by": self.corrected_by, "struck": self.struck,
        }


@dataclass(frozen=True)
class ParticipantSummary:
    id: int
    ref: str | None
    workflow: str
    workflow_version: int
    step: str
    status: str
    enrolled_at: datetime
    last_step_change_at: datetime | None
    exit_reason: str | None

    @classmethod
    def of(cls, p: Participant) -> ParticipantSummary:
        return cls(p.id or 0, p.ref, p.workflow_id, p.workflow_version, p.step, p.status,
                   p.enrolled_at, p.last_step_change_at, p.exit_reason)

    def to_json(self) -> dict[str, Any]:
        return {
            "id": self.id, "ref": self.ref, "workflow": self.workflow,
            "workflow_version": self.workflow_version, "step": self.step, "status": self.status,
            "enrolled_at": iso(self.enrolled_at), "last_step_change_at": iso(self.last_step_change_at),
            "exit_reason": self.exit_reason,
        }


@dataclass(frozen=True)
class FireResult:
    participant_id: int
    trigger: str
    from_step: str
    to_step: str
    status: str
    seq: int
    #: False for a trigger that records something without moving (``to`` left out)
    moved: bool = True
    #: the step kind entered (a ``handover`` step calls for the journey summary)
    to_step_kind: str | None = None
    #: the workflow version the participant runs on (for callers that show its titles; not in the JSON)
    workflow_id: str = ""
    workflow_version: int = 0

    def to_json(self) -> dict[str, Any]:
        return {k: v for k, v in self.__dict__.items() if k not in ("workflow_id", "workflow_version")}


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def records_json(records: Records, today: date) -> dict[str, Any]:
    """Consent, plan, placements and interventions as JSON (the ``participant show`` contract).

    ``today`` is the Swedish day of the injected clock (consent in force is read on it), never
    the wall clock's: ``--now`` in the past shows the consent as it stood then.
    """
    return {
        "consent": {
            "agencies_in_force": sorted(records.consent.agencies_in_force(today)),
            "last_confirmed_at": iso(records.consent.last_confirmed_at),
            "grants": [{"agencies": sorted(g.agencies), "given_at": iso(g.given_at), "scope": g.scope,
                        "until": _day(g.until), "withdrawn": {a: iso(t) for a, t in sorted(g.withdrawn.items())}}
                       for g in records.consent.grants],
        },
        "plan": [{"id": i.id, "parent": i.parent, "what": i.what, "with_whom": i.with_whom, "by": _day(i.by),
                  "follow_up": i.follow_up, "status": i.status, "done_at": iso(i.done_at), "notes": i.notes}
                 for i in records.plan.values()],
        "placements": [{"id": p.id, "type": p.type, "employer": p.employer, "start": _day(p.start),
                        "end": _day(p.end), "weekdays": p.weekdays, "hours_per_week": p.hours_per_week,
                        "contact_person": p.contact_person, "goal": p.goal, "follow_up_every": p.follow_up_every,
                        "followups": [iso(t) for t in p.followups], "ended_at": iso(p.ended_at),
                        "outcome": p.outcome, "target_hours_per_week": p.target_hours_per_week, "weeks": p.weeks,
                        "hours_recorded": p.hours_recorded} for p in records.placements.values()],
        "interventions": [{"id": i.id, "kind": i.kind, "agency": i.agency, "note": i.note,
                           "started_at": iso(i.started_at), "ended_at": iso(i.ended_at)}
                          for i in records.interventions.values()],
    }
