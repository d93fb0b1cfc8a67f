"""What is recorded around the steps: consent, the action plan, placements, parallel interventions.

Nothing here has a table of its own: each change is an event in the participant's history and the
current state is a fold of those events (:func:`fold`). Guards, ``participant show``, the deadline
planner and the handover summary all read the same fold, so they can never disagree.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from enum import StrEnum
from typing import TYPE_CHECKING, Any

from zoneinfo import ZoneInfo

if TYPE_CHECKING:  # the record types are read without events by the workflow models and guards
    from pathway.domain.participant import Event

#: dates in refusals are the Swedish calendar day
SWEDEN = ZoneInfo("Europe/Stockholm")


class RecordEvent(StrEnum):
    CONSENT_GIVEN = "consent_given"  # samtycke
    CONSENT_CONFIRMED = "consent_confirmed"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    PLAN_GOAL_ADDED = "plan_goal_added"  # handlingsplan: mål
    PLAN_SUBGOAL_ADDED = "plan_subgoal_added"  # delmål
    PLAN_ITEM_UPDATED = "plan_item_updated"
    PLACEMENT_STARTED = "placement_started"  # praktik, arbetsträning, arbetsprövning
    PLACEMENT_FOLLOWUP = "placement_followup"
    PLACEMENT_ENDED = "placement_ended"
    INTERVENTION_STARTED = "intervention_started"  # parallella insatser
    INTERVENTION_ENDED = "intervention_ended"
    MEETING_RECORDED = "meeting_recorded"  # samtal, trepartssamtal: who was there, what was decided
    MEETING_NO_SHOW = "meeting_no_show"  # uteblivet besök
    GROUP_JOINED = "group_joined"  # grupp
    GROUP_LEFT = "group_left"
    SESSION_ATTENDED = "session_attended"  # närvaro vid ett grupptillfälle
    SESSION_ABSENT = "session_absent"  # frånvaro (t.ex. vård av sjukt barn)


class PlacementType(StrEnum):
    """The kinds of placement (the agreement with an employer decides which)."""

    INTERNSHIP = "internship"  # praktik
    WORK_TRAINING = "work_training"  # arbetsträning
    WORK_TRIAL = "work_trial"  # arbetsprövning
    SUPPORTED_EMPLOYMENT = "supported_employment"  # supported employment (Kraft): individual placement and support


RECORD_EVENT_TYPES = frozenset(e.value for e in RecordEvent)


@dataclass
class ConsentGrant:
    """One consent to cooperation between named agencies (a temporary secrecy waiver)."""

    agencies: set[str]
    given_at: datetime
    scope: str | None = None
    until: date | None = None
    withdrawn: dict[str, datetime] = field(default_factory=dict)

    def covers(self, agency: str, on: date) -> bool:
        return agency in self.agencies and agency not in self.withdrawn and (self.until is None or on <= self.until)


@dataclass
class ConsentState:
    grants: list[ConsentGrant] = field(default_factory=list)
    last_confirmed_at: datetime | None = None

    def agencies_in_force(self, on: date) -> set[str]:
        return {a for g in self.grants for a in g.agencies if g.covers(a, on)}

    def why_not(self, agency: str, on: date) -> str:
        """Why there is no consent in force for ``agency`` on a day (for a guard's refusal)."""
        mentioning = [g for g in self.grants if agency in g.agencies]
        if not mentioning:
            return f"no consent has been given for {agency}"
        last = mentioning[-1]
        if agency in last.withdrawn:
            return f"the consent for {agency} was withdrawn on {last.withdrawn[agency].astimezone(SWEDEN).date()}"
        return f"the consent for {agency} expired on {last.until}"


@dataclass
class PlanItem:
    """A goal (``g1``) or sub-goal (``g1.2``) of the action plan: what, with whom, by when, follow-up."""

    id: str
    what: str
    parent: str | None = None
    with_whom: str | None = None
    by: date | None = None
    follow_up: str | None = None
    status: str = "open"
    done_at: datetime | None = None
    notes: list[str] = field(default_factory=list)


@dataclass
class Placement:
    id: str
    type: str
    employer: str
    start: date
    started_at: datetime
    end: date | None = None
    weekdays: list[str] = field(default_factory=list)
    hours_per_week: float | None = None
    contact_person: str | None = None
    goal: str | None = None
    follow_up_every: str | None = None
    followups: list[datetime] = field(default_factory=list)
    ended_at: datetime | None = None
    outcome: str | None = None
    #: the placement step's goal: hours a week, for how many weeks (arbetsutbud)
    target_hours_per_week: float | None = None
    weeks: int | None = None
    #: the step it was started in by its trigger; leaving that step ends it
    step: str | None = None
    #: hours a week recorded at each follow-up, in order
    hours_recorded: list[float] = field(default_factory=list)


@dataclass
class Intervention:
    id: str
    kind: str
    started_at: datetime
    agency: str | None = None
    note: str | None = None
    ended_at: datetime | None = None


@dataclass(frozen=True)
class Meeting:
    """A meeting held (or missed) with the participant: the record of who was there and what was decided.

    Frozen: a meeting once recorded is never changed in place (the store writes only meetings added:
    :meth:`pathway.domain.stored_records.StoredRecords.added_meetings`)."""

    seq: int
    type: str
    at: datetime
    attendees: list[dict[str, Any]] = field(default_factory=list)
    absent: list[dict[str, Any]] = field(default_factory=list)
    led_by: str | None = None
    consent_confirmed_for: list[str] = field(default_factory=list)
    decisions: list[dict[str, Any]] = field(default_factory=list)
    no_show: bool = False
    #: for a no-show: the agency whose appointment was missed
    agency: str | None = None

    def present(self) -> set[str]:
        """Roles and agencies present (an attendee may be named by either)."""
        return {v for a in self.attendees for v in (a.get("role"), a.get("agency")) if v}


@dataclass
class Records:
    consent: ConsentState = field(default_factory=ConsentState)
    plan: dict[str, PlanItem] = field(default_factory=dict)
    placements: dict[str, Placement] = field(default_factory=dict)
    interventions: dict[str, Intervention] = field(default_factory=dict)
    meetings: list[Meeting] = field(default_factory=list)
    #: group id → (joined at, left at or None)
    groups: dict[int, tuple[datetime, datetime | None]] = field(default_factory=dict)
    sessions_attended: int = 0
    sessions_absent: int = 0
    #: placements and interventions ever started, struck ones included, so an id is never given twice
    placements_started: int = 0
    interventions_started: int = 0

    def add_meeting(self, meeting: Meeting) -> None:
        """Add a meeting record (the records read from a row add it without reading the others)."""
        self.meetings.append(meeting)

    def next_goal_id(self) -> str:
        return f"g{1 + sum(1 for i in self.plan.values() if i.parent is None)}"

    def next_subgoal_id(self, goal: str) -> str:
        return f"{goal}.{1 + sum(1 for i in self.plan.values() if i.parent == goal)}"

    def next_placement_id(self) -> str:
        return f"p{max(len(self.placements), self.placements_started) + 1}"

    def next_intervention_id(self) -> str:
        return f"i{max(len(self.interventions), self.interventions_started) + 1}"


def _date(value: Any) -> date | None:
    return None if value in (None, "") else date.fromisoformat(str(value))


def fold(events: Iterable[Event]) -> Records:
    """The current consent, plan, placements and interventions, from the history alone."""
    records = Records()
    events = list(events)
    records.placements_started = sum(1 for e in events if e.type == RecordEvent.PLACEMENT_STARTED)
    records.interventions_started = sum(1 for e in events if e.type == RecordEvent.INTERVENTION_STARTED)
    from pathway.domain.corrections import effective  # what folding events needs, not the record types

    for event in effective(events):  # corrections applied: struck entries left out, replaced ones corrected
        apply_record(records, event)
    return records


def apply_record(records: Records, event: Event) -> None:
    """Move ``records`` by one (effective) event: the one place that says what a record event does.

    :func:`fold` and the folded state kept on the participant's row
    (:class:`pathway.domain.folded.Folded`) both go through here.
    """
    data, at = event.data, event.effective_at
    match event.type:
        case RecordEvent.CONSENT_GIVEN:
            records.consent.grants.append(ConsentGrant(set(data["agencies"]), at, data.get("scope"),
                                                       _date(data.get("until"))))
            records.consent.last_confirmed_at = at  # giving consent is confirming it
        case RecordEvent.CONSENT_CONFIRMED:
            records.consent.last_confirmed_at = at
        case RecordEvent.CONSENT_WITHDRAWN:
            for grant in records.consent.grants:
                for agency in set(data["agencies"]) & grant.agencies:
                    grant.withdrawn.setdefault(agency, at)
        case RecordEvent.PLAN_GOAL_ADDED | RecordEvent.PLAN_SUBGOAL_ADDED:
            records.plan[data["id"]] = PlanItem(data["id"], data["what"], data.get("parent"),
                                                data.get("with_whom"), _date(data.get("by")),
                                                data.get("follow_up"))
        case RecordEvent.PLAN_ITEM_UPDATED:
            item = records.plan[data["id"]]
            for key in ("what", "with_whom", "follow_up"):
                if data.get(key) is not None:
                    setattr(item, key, data[key])
            if "by" in data:
                item.by = _date(data["by"])
            if data.get("status"):
                item.status = data["status"]
                item.done_at = at if data["status"] == "done" else None
            if data.get("note"):
                item.notes.append(data["note"])
        case RecordEvent.PLACEMENT_STARTED:
            records.placements[data["id"]] = Placement(
                data["id"], data["type"], data["employer"], _date(data["start"]) or at.date(), at,
                _date(data.get("end")), list(data.get("weekdays") or []), data.get("hours_per_week"),
                data.get("contact_person"), data.get("goal"), data.get("follow_up_every"),
                target_hours_per_week=data.get("target_hours_per_week"), weeks=data.get("weeks"),
                step=data.get("step"))
        case RecordEvent.PLACEMENT_FOLLOWUP:
            placement = records.placements[data["id"]]
            placement.followups.append(at)
            if data.get("hours_per_week") is not None:
                placement.hours_per_week = data["hours_per_week"]
                placement.hours_recorded.append(float(data["hours_per_week"]))
        case RecordEvent.PLACEMENT_ENDED:
            placement = records.placements[data["id"]]
            placement.ended_at, placement.outcome = at, data.get("outcome")
        case RecordEvent.INTERVENTION_STARTED:
            records.interventions[data["id"]] = Intervention(data["id"], data["kind"], at, data.get("agency"),
                                                             data.get("note"))
        case RecordEvent.INTERVENTION_ENDED:
            records.interventions[data["id"]].ended_at = at
        case RecordEvent.MEETING_RECORDED | RecordEvent.MEETING_NO_SHOW:
            meeting = Meeting(event.seq, data["type"], at, list(data.get("attendees") or []),
                              list(data.get("absent") or []), data.get("led_by"),
                              list(data.get("consent_confirmed_for") or []), list(data.get("decisions") or []),
                              no_show=event.type == RecordEvent.MEETING_NO_SHOW, agency=data.get("agency"))
            records.add_meeting(meeting)
            if meeting.consent_confirmed_for:  # the meeting opened by confirming consent
                records.consent.last_confirmed_at = at
        case RecordEvent.GROUP_JOINED:
            records.groups[int(data["group"])] = (at, None)
        case RecordEvent.GROUP_LEFT:
            joined = records.groups.get(int(data["group"]))
            if joined is not None:
                records.groups[int(data["group"])] = (joined[0], at)
        case RecordEvent.SESSION_ATTENDED:
            records.sessions_attended += 1
        case RecordEvent.SESSION_ABSENT:
            records.sessions_absent += 1


def step_change_seq(events: Iterable[Event]) -> int:
    """The sequence number of the participant's last step change (enrolment or a moving trigger)."""
    return max((e.seq for e in events if e.type in ("enrolled", "transition", "migrated") and e.to_step is not None
                and (e.type != "migrated" or e.from_step != e.to_step)), default=0)
