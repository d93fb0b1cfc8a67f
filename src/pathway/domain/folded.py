"""What a transition needs from the history, folded and kept on the participant's row.

Guards (consent, meetings, placements), pauses and the deadline planner all read a fold of the
participant's history. Reading the whole history for every transition made its cost grow with the
history's length (issue 10), so the fold is kept beside the projection: :class:`Folded` is moved on
by :meth:`pathway.domain.participant.Participant.apply` with every event — the same one projection
that recording, migration, the dry run and replay use — and stored on the participant row.

A ``corrected`` event changes what earlier events count for (struck, replaced), so it is not
folded on top: the fold is rebuilt from the history (:meth:`Folded.rebuild`); corrections are rare
and read the history anyway. Whatever the path, the folded state equals :meth:`Folded.rebuild` of
the whole history (tests check it for random walks with corrections).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, NamedTuple

from pathway.domain.corrections import effective
from pathway.domain.participant import Event, EventType
from pathway.domain.records import (
    RECORD_EVENT_TYPES,
    ConsentGrant,
    ConsentState,
    Intervention,
    Meeting,
    Placement,
    PlanItem,
    Records,
    RecordEvent,
    apply_record,
    step_change_seq,
)

#: events that move a participant between steps, or pause and resume its clocks (triggers)
MARK_TYPES = frozenset({EventType.ENROLLED.value, EventType.TRANSITION.value, EventType.MIGRATED.value})
#: every event type that changes the folded state (the rest — attributes, reminders … — leave it)
FOLDED_TYPES = MARK_TYPES | RECORD_EVENT_TYPES | {EventType.CORRECTED.value}


class Mark(NamedTuple):
    """An enrolment, transition or migration as the planner reads it (its data left out)."""

    seq: int
    at: datetime
    type: str
    trigger: str | None
    from_step: str | None
    to_step: str | None


@dataclass(eq=False)
class Folded:
    """The folded history: records (consent, plan, placements, meetings …), the moves between
    steps and the triggers fired (:class:`Mark`, in sequence order), when each plan item was added,
    and the sequence number of the last step change."""

    records: Records = field(default_factory=Records)
    #: the marks as stored (``[seq, at (ISO), type, trigger, from_step, to_step]``), in sequence
    #: order. Kept in that form and decoded only when asked (:attr:`marks`): every transition adds
    #: one, and decoding and re-encoding them all on each transition made its cost grow with the
    #: number of transitions behind it (200 against 10: 1.8×); the planner reads them, a note does not.
    mark_rows: list[list[Any]] = field(default_factory=list)
    #: plan item id → (effective time, seq) of the event that added it (the latest, in time order)
    plan_added: dict[str, tuple[datetime, int]] = field(default_factory=dict)
    step_change_seq: int = 0

    def __post_init__(self) -> None:
        self._marks: list[Mark] | None = None  # decoded mark_rows, until the next mark

    @property
    def marks(self) -> list[Mark]:
        """The marks, decoded (kept until the next mark is added)."""
        if self._marks is None or len(self._marks) != len(self.mark_rows):
            self._marks = [Mark(r[0], datetime.fromisoformat(r[1]), r[2], r[3], r[4], r[5]) for r in self.mark_rows]
        return self._marks

    def apply(self, event: Event) -> bool:
        """Fold one event that corrects nothing; returns whether the state changed."""
        if event.type == EventType.CORRECTED:
            raise ValueError("a correction changes what earlier events count for; rebuild the fold from the history")
        if event.type in MARK_TYPES and event.to_step is not None and (
                event.type != EventType.MIGRATED or event.from_step != event.to_step):
            self.step_change_seq = max(self.step_change_seq, event.seq)
        if event.type == RecordEvent.PLACEMENT_STARTED:  # ids ever given, struck ones included
            self.records.placements_started += 1
        elif event.type == RecordEvent.INTERVENTION_STARTED:
            self.records.interventions_started += 1
        return self._fold(event)

    def _fold(self, event: Event) -> bool:
        """Fold one event of the corrected history."""
        if event.type in MARK_TYPES:
            self.mark_rows.append([event.seq, event.effective_at.isoformat(), str(event.type), event.trigger,
                                   event.from_step, event.to_step])
            if self._marks is not None:
                self._marks.append(Mark(event.seq, event.effective_at, str(event.type), event.trigger,
                                        event.from_step, event.to_step))
            return True
        if event.type in RECORD_EVENT_TYPES:
            apply_record(self.records, event)
            if event.type in (RecordEvent.PLAN_GOAL_ADDED, RecordEvent.PLAN_SUBGOAL_ADDED):
                added = (event.effective_at, event.seq)
                item = str(event.data["id"])
                known = self.plan_added.get(item)
                if known is None or added > known:
                    self.plan_added[item] = added
            return True
        return False

    @classmethod
    def rebuild(cls, events: Iterable[Event]) -> Folded:
        """The folded state from the history alone (corrections applied)."""
        history = list(events)
        folded = cls()
        for event in effective(history):
            folded._fold(event)
        folded.step_change_seq = step_change_seq(history)
        folded.records.placements_started = sum(1 for e in history if e.type == RecordEvent.PLACEMENT_STARTED)
        folded.records.interventions_started = sum(1 for e in history if e.type == RecordEvent.INTERVENTION_STARTED)
        return folded

    def timeline(self) -> list[Mark]:
        """The marks in the order things happened (effective time, then sequence)."""
        return sorted(self.marks, key=lambda m: (m.at, m.seq))

    # -- stored as JSON on the participant row -----------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "records": _records_json(self.records),
            "marks": self.mark_rows,  # as stored: nothing to encode (a new mark is encoded when added)
            "plan_added": {k: [at.isoformat(), seq] for k, (at, seq) in self.plan_added.items()},
            "step_change_seq": self.step_change_seq,
        }

    @classmethod
    def from_json(cls, value: dict[str, Any]) -> Folded:
        return cls(
            records=_records_from(value.get("records") or {}),
            mark_rows=list(value.get("marks", [])),  # decoded only if asked for (marks)
            plan_added={k: (datetime.fromisoformat(v[0]), int(v[1])) for k, v in value.get("plan_added", {}).items()},
            step_change_seq=int(value.get("step_change_seq", 0)),
        )

    def copy(self) -> Folded:
        return Folded.from_json(self.to_json())


def _iso(value: date | datetime | None) -> str | None:
    return None if value is None else value.isoformat()


def _dt(value: str | None) -> datetime | None:
    return None if value is None else datetime.fromisoformat(value)


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _records_json(records: Records) -> dict[str, Any]:
    consent = records.consent
    return {
        "consent": {
            "grants": [{"agencies": sorted(g.agencies), "given_at": _iso(g.given_at), "scope": g.scope,
                        "until": _iso(g.until), "withdrawn": {a: _iso(t) for a, t in g.withdrawn.items()}}
                       for g in consent.grants],
            "last_confirmed_at": _iso(consent.last_confirmed_at),
        },
        "plan": [{"id": i.id, "what": i.what, "parent": i.parent, "with_whom": i.with_whom, "by": _iso(i.by),
                  "follow_up": i.follow_up, "status": i.status, "done_at": _iso(i.done_at), "notes": i.notes}
                 for i in records.plan.values()],
        "placements": [{"id": p.id, "type": p.type, "employer": p.employer, "start": _iso(p.start),
                        "started_at": _iso(p.started_at), "end": _iso(p.end), "weekdays": p.weekdays,
                        "hours_per_week": p.hours_per_week, "contact_person": p.contact_person, "goal": p.goal,
                        "follow_up_every": p.follow_up_every, "followups": [_iso(t) for t in p.followups],
                        "ended_at": _iso(p.ended_at), "outcome": p.outcome,
                        "target_hours_per_week": p.target_hours_per_week, "weeks": p.weeks, "step": p.step,
                        "hours_recorded": p.hours_recorded}
                       for p in records.placements.values()],
        "interventions": [{"id": i.id, "kind": i.kind, "started_at": _iso(i.started_at), "agency": i.agency,
                           "note": i.note, "ended_at": _iso(i.ended_at)} for i in records.interventions.values()],
        "meetings": [{"seq": m.seq, "type": m.type, "at": _iso(m.at), "attendees": m.attendees, "absent": m.absent,
                      "led_by": m.led_by, "consent_confirmed_for": m.consent_confirmed_for,
                      "decisions": m.decisions, "no_show": m.no_show, "agency": m.agency}
                     for m in records.meetings],
        "groups": [[group, _iso(joined), _iso(left)] for group, (joined, left) in records.groups.items()],
        "sessions_attended": records.sessions_attended,
        "sessions_absent": records.sessions_absent,
        "placements_started": records.placements_started,
        "interventions_started": records.interventions_started,
    }


def _records_from(value: dict[str, Any]) -> Records:
    consent = value.get("consent") or {}
    records = Records(consent=ConsentState(
        grants=[ConsentGrant(set(g["agencies"]), datetime.fromisoformat(g["given_at"]), g.get("scope"),
                             _day(g.get("until")),
                             {a: datetime.fromisoformat(t) for a, t in (g.get("withdrawn") or {}).items()})
                for g in consent.get("grants", [])],
        last_confirmed_at=_dt(consent.get("last_confirmed_at")),
    ))
    for i in value.get("plan", []):
        records.plan[i["id"]] = PlanItem(i["id"], i["what"], i.get("parent"), i.get("with_whom"), _day(i.get("by")),
                                         i.get("follow_up"), i.get("status", "open"), _dt(i.get("done_at")),
                                         list(i.get("notes") or []))
    for p in value.get("placements", []):
        records.placements[p["id"]] = Placement(
            p["id"], p["type"], p["employer"], date.fromisoformat(p["start"]),
            datetime.fromisoformat(p["started_at"]), _day(p.get("end")), list(p.get("weekdays") or []),
            p.get("hours_per_week"), p.get("contact_person"), p.get("goal"), p.get("follow_up_every"),
            [datetime.fromisoformat(t) for t in p.get("followups", [])], _dt(p.get("ended_at")), p.get("outcome"),
            p.get("target_hours_per_week"), p.get("weeks"), p.get("step"), list(p.get("hours_recorded") or []))
    for i in value.get("interventions", []):
        records.interventions[i["id"]] = Intervention(i["id"], i["kind"], datetime.fromisoformat(i["started_at"]),
                                                      i.get("agency"), i.get("note"), _dt(i.get("ended_at")))
    records.meetings = [Meeting(m["seq"], m["type"], datetime.fromisoformat(m["at"]), list(m.get("attendees") or []),
                                list(m.get("absent") or []), m.get("led_by"), list(m.get("consent_confirmed_for") or []),
                                list(m.get("decisions") or []), bool(m.get("no_show")), m.get("agency"))
                        for m in value.get("meetings", [])]
    for group, joined, left in value.get("groups", []):
        records.groups[int(group)] = (datetime.fromisoformat(joined), _dt(left))
    records.sessions_attended = int(value.get("sessions_attended", 0))
    records.sessions_absent = int(value.get("sessions_absent", 0))
    # rows folded before entries could be struck: every start is still there
    records.placements_started = int(value.get("placements_started", len(records.placements)))
    records.interventions_started = int(value.get("interventions_started", len(records.interventions)))
    return records
