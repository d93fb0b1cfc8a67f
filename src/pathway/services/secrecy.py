"""Secrecy between agencies (sekretess mellan myndigheter), driven by the participant's consent.

Every event carries the agency of the user who recorded it (``actor_agency``). A user sees what
another agency recorded only while the consent in force covers sharing with the user's own agency;
the rest is withheld, and what was withheld is said ("3 entries recorded by health care are not
shown: no consent to share with af"), never silently. Read on every request, so a withdrawal of
consent takes effect at once, for items already shared too.

Project-level items are always shown: the steps (enrolment, transitions, migrations), deadlines and
their escalations, consent itself, the action plan agreed in the joint meeting, assignments, and
whatever the project's own staff (agency ``coordination``) recorded. Agency items are attribute
changes, placements, interventions and anything else an agency records; an intervention also
belongs to the agency it is given by (``--agency health``), so health-care interventions are
visible to health care and to whom the consent covers.

Single-user mode (no registered user) withholds nothing.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from pathway.domain import Event, EventType
from pathway.domain.agency import Agency
from pathway.domain.records import RecordEvent, fold
from pathway.domain.users import User

#: shown to every member of the workflow, whoever recorded them
PROJECT_LEVEL = frozenset({
    EventType.ENROLLED, EventType.TRANSITION, EventType.MIGRATED, EventType.REMINDER,
    EventType.DEADLINE_MISSED, EventType.ESCALATED, EventType.ASSIGNED, EventType.REDACTED,
    RecordEvent.CONSENT_GIVEN, RecordEvent.CONSENT_CONFIRMED, RecordEvent.CONSENT_WITHDRAWN,
    RecordEvent.PLAN_GOAL_ADDED, RecordEvent.PLAN_SUBGOAL_ADDED, RecordEvent.PLAN_ITEM_UPDATED,
})

#: the project's own staff: what they record belongs to the joint project
PROJECT_AGENCY = "coordination"

AGENCY_NAMES: dict[str, str] = {
    Agency.SOC: "social services (soc)", Agency.AF: "the employment service (af)",
    Agency.FK: "the social insurance agency (fk)", Agency.HEALTH: "health care", Agency.LABOUR_UNIT: "the labour unit",
    PROJECT_AGENCY: "the project's coordination"}


@dataclass
class Filtered:
    """The events a user may see, and a count of the withheld ones per recording agency."""

    events: list[Event]
    withheld: Counter[str] = field(default_factory=Counter)
    viewer_agency: str | None = None

    def notes(self) -> list[str]:
        """One sentence per agency: how many entries it recorded that are not shown, and why."""
        return [f"{n} {'entry' if n == 1 else 'entries'} recorded by {AGENCY_NAMES.get(a, a)} "
                f"{'is' if n == 1 else 'are'} not shown: no consent to share with {self.viewer_agency}"
                for a, n in sorted(self.withheld.items())]


def _item_agencies(event: Event, intervention_agency: dict[str, str]) -> set[str]:
    """The agencies an item belongs to: who recorded it, and for an intervention whose it is."""
    agencies = {event.actor_agency} if event.actor_agency else set()
    if event.type in (RecordEvent.INTERVENTION_STARTED, RecordEvent.INTERVENTION_ENDED):
        given_by = (event.data or {}).get("agency") or intervention_agency.get(str((event.data or {}).get("id")))
        if given_by:
            agencies.add(given_by)
    return agencies - {PROJECT_AGENCY}


def covered(viewer: str, in_force: set[str]) -> bool:
    """Whether the consent in force lets ``viewer``'s agency see other agencies' entries."""
    if viewer == PROJECT_AGENCY:
        return bool(in_force)  # the joint project's staff: any consent to cooperation in force
    return viewer in in_force


def filter_events(user: User | None, events: Sequence[Event], on: date) -> Filtered:
    """What ``user`` may see of a participant's history on day ``on`` (consent read as of then)."""
    if user is None:
        return Filtered(list(events))
    intervention_agency = {str(e.data.get("id")): e.data["agency"] for e in events
                           if e.type == RecordEvent.INTERVENTION_STARTED and (e.data or {}).get("agency")}
    foreign = [(e, _item_agencies(e, intervention_agency) - {user.agency}) if e.type not in PROJECT_LEVEL
               else (e, set()) for e in events]
    if not any(agencies for _e, agencies in foreign):  # nothing another agency recorded: no consent to read
        return Filtered(list(events), viewer_agency=user.agency)
    if covered(user.agency, fold(events).consent.agencies_in_force(on)):
        return Filtered(list(events), viewer_agency=user.agency)
    kept: list[Event] = []
    withheld: Counter[str] = Counter()
    for event, agencies in foreign:
        if agencies:
            withheld[sorted(agencies)[0]] += 1
        else:
            kept.append(event)
    return Filtered(kept, withheld, user.agency)


def visible_attributes(attributes: dict[str, Any], all_events: Iterable[Event], shown: Iterable[Event]) -> dict[str, Any]:
    """The participant's attributes as the shown events give them: a value last set by a withheld
    entry shows the value before it (from a shown entry or the enrolment), or is left out."""
    shown_ids = {id(e) for e in shown}
    latest: dict[str, Any] = {}
    hidden: set[str] = set()
    for event in all_events:
        if event.type == EventType.ENROLLED:
            for key, value in ((event.data or {}).get("attributes") or {}).items():
                latest[key] = value
                hidden.discard(key)
        elif event.type == EventType.ATTRIBUTES_SET:
            for key, value in ((event.data or {}).get("set") or {}).items():
                if id(event) in shown_ids:
                    latest[key] = value
                    hidden.discard(key)
                elif key not in latest:
                    hidden.add(key)
    return {k: (latest[k] if k in latest else v) for k, v in attributes.items() if k not in hidden}
