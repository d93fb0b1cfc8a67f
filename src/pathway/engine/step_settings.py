"""What the settings of placement and meeting steps do to what is recorded (pure; no database).

Placement steps (``placement_types``, ``contact_every``, ``target_hours_per_week``, ``weeks``):

- a placement started while the participant is in a placement step must be of one of the step's
  types, and takes the step's contact interval, weekly hours goal and length (its planned end) as
  defaults;
- a trigger into a placement step that carries data ``employer`` starts the placement record itself
  (type from data ``placement_type``, or the step's one type), so its follow-up contacts become
  deadlines at once; a trigger out of that step that takes data ``outcome`` (Ljusnarsberg's
  ``end_placement``) ends it with that outcome. Other triggers out leave it running (Örebro's
  internship goes on while a subsidised employment is decided).

Meeting steps (``parties``, ``confirm_consent``, ``preparation_minutes``, ``feedback_minutes``):
:func:`meeting_data` builds the event of a meeting record, checking the attendees against the
workflow's roles and agencies and the consent confirmed against the consent in force.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from pathway.definitions.models import Workflow
from pathway.domain.agency import AGENCIES
from pathway.domain.records import PlacementType, RecordEvent, Records
from pathway.engine.calendar import local_date
from pathway.errors import InvalidValue, RuleRefused, field
from pathway.steps.kinds import GroupActivityConfig, MeetingConfig, PlacementConfig, step_config


def placement_config(definition: Workflow, step_id: str) -> PlacementConfig | None:
    """The settings of ``step_id`` when it is a placement step, else None."""
    if step_id not in definition.step_ids:
        return None
    step = definition.step(step_id)
    return step_config(step.kind, step.config) if step.kind == "placement" else None


def meeting_config(definition: Workflow, step_id: str) -> MeetingConfig | None:
    if step_id not in definition.step_ids:
        return None
    step = definition.step(step_id)
    return step_config(step.kind, step.config) if step.kind == "meeting" else None


def group_config(definition: Workflow, step_id: str) -> GroupActivityConfig | None:
    if step_id not in definition.step_ids:
        return None
    step = definition.step(step_id)
    return step_config(step.kind, step.config) if step.kind == "group_activity" else None


def apply_placement_settings(definition: Workflow, step_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """Check a new placement against the step it starts in and fill in the step's defaults.

    Order for the contact interval: given explicitly, else the step's ``contact_every``, else the
    workflow's ``follow_up.placement_contact`` for the type.
    """
    config = placement_config(definition, step_id)
    allowed = [t.value for t in config.placement_types] if config and config.placement_types \
        else [t.value for t in PlacementType]
    if data["type"] not in allowed:
        where = f"in step '{step_id}'" if config and config.placement_types else "here"
        raise InvalidValue("placement type", data["type"], f"a placement {where} is one of: {', '.join(allowed)}")
    data = dict(data)
    if config is not None:
        data["step"] = step_id  # leaving the step ends the placement
        if data.get("follow_up_every") is None and config.contact_every:
            data["follow_up_every"] = config.contact_every
        if data.get("target_hours_per_week") is None:
            data["target_hours_per_week"] = config.target_hours_per_week
        if data.get("weeks") is None:
            data["weeks"] = config.weeks
        if data.get("end") is None and config.weeks and data.get("start"):
            data["end"] = (date.fromisoformat(data["start"]) + timedelta(weeks=config.weeks)).isoformat()
    if data.get("follow_up_every") is None:
        data["follow_up_every"] = definition.follow_up.placement_contact.get(data["type"])
    return data


def placement_events_for_firing(definition: Workflow, from_step: str, to_step: str | None, data: Mapping[str, Any],
                                records: Records, at: datetime) -> list[tuple[RecordEvent, dict[str, Any]]]:
    """The placement records a trigger ends (leaving its step with an ``outcome``) and starts (entering a
    placement step with an ``employer``)."""
    if to_step is None or to_step == from_step:
        return []
    events: list[tuple[RecordEvent, dict[str, Any]]] = []
    ends = definition.step(from_step).kind == "placement" and any(
        "outcome" in t.data for t in definition.transitions
        if t.to == to_step and from_step in definition.sources_of(t))
    for placement in records.placements.values() if ends else ():  # read only when a placement can end
        if placement.step == from_step and placement.ended_at is None:
            events.append((RecordEvent.PLACEMENT_ENDED, {"id": placement.id, "outcome": data.get("outcome"),
                                                         "by_trigger": True}))
    config = placement_config(definition, to_step)
    if config is None or not data.get("employer"):
        return events
    kind = data.get("placement_type")
    if kind is None and len(config.placement_types) == 1:
        kind = config.placement_types[0].value
    if kind is None and not config.placement_types:
        # the step names no placement types, so nothing says what kind this is: the trigger's data stays
        # data, and 'placement start' records the placement (the validator asks nothing more of it)
        return events
    if kind is None:
        raise RuleRefused(f"step '{to_step}' allows several placement types "
                          f"({', '.join(t.value for t in config.placement_types)}); give {field('data')} placement_type=TYPE")
    start: dict[str, Any] = {"id": records.next_placement_id(), "type": str(kind), "employer": str(data["employer"]).strip(),
             "start": local_date(at).isoformat(), "end": None, "weekdays": [],
             "hours_per_week": data.get("hours_per_week"), "contact_person": None, "goal": None,
             "follow_up_every": None}
    events.append((RecordEvent.PLACEMENT_STARTED, apply_placement_settings(definition, to_step, start)))
    return events


# -- meetings --------------------------------------------------------------------------------------

def parse_party(definition: Workflow, text: str, option: str, user_required: bool) -> dict[str, Any]:
    """``ROLE:USER`` or ``AGENCY:USER`` (``--absent`` takes ``ROLE|AGENCY[:reason]``)."""
    who, _, rest = text.partition(":")
    who, rest = who.strip(), rest.strip()
    roles = {r.id: r for r in definition.roles}
    if who in roles:
        role = roles[who]
        party: dict[str, Any] = {"role": who, "agency": role.agency.value if role.agency else None}
    elif who in AGENCIES:
        party = {"role": None, "agency": who}
    else:
        raise InvalidValue(option, text, f"start with an agency ({', '.join(AGENCIES)}) or a role of workflow "
                                         f"'{definition.id}' ({', '.join(roles)}), e.g. af:anna")
    if user_required and not rest:
        raise InvalidValue(option, text, "name who took part after the colon, e.g. af:anna")
    return party


def meeting_data(definition: Workflow, records: Records, on: date, type_: str, attendees: list[str],
                 led_by: str | None, absent: list[str], consent_confirmed: bool, decisions: list[str],
                 signed_by_participant: bool, notes: str | None, minutes: int | None,
                 preparation_minutes: int | None, feedback_minutes: int | None) -> dict[str, Any]:
    """The data of a ``meeting_recorded`` event, or a refusal naming what is wrong."""
    if not type_ or not type_.replace("_", "").isalnum() or not type_[0].isalpha() or type_ != type_.lower():
        raise InvalidValue(field("type"), type_, "use a snake_case meeting type: a meeting step's id "
                                            f"({', '.join(s.id for s in definition.steps if s.kind == 'meeting') or 'none'}) "
                                            "or your own, e.g. individual")
    if not attendees:
        raise InvalidValue(field("attendees"), "", "name at least one attendee as AGENCY:USER or ROLE:USER, e.g. af:anna")
    present = []
    for text in attendees:
        party = parse_party(definition, text, field("attendees"), user_required=True)
        party["user"] = text.partition(":")[2].strip()
        present.append(party)
    away = []
    for text in absent:
        party = parse_party(definition, text, field("absent"), user_required=False)
        party["reason"] = text.partition(":")[2].strip() or None
        away.append(party)
    if led_by is not None and led_by not in {p["user"] for p in present} | {p["role"] for p in present if p["role"]} \
            | {p["agency"] for p in present if p["agency"]}:
        raise InvalidValue(field("led_by"), led_by, "name one of the attendees (user, role or agency)")
    agencies_present = sorted({p["agency"] for p in present if p["agency"]})
    if consent_confirmed:
        in_force = records.consent.agencies_in_force(on)
        lacking = [a for a in agencies_present if a not in in_force]
        if lacking:
            raise RuleRefused("consent cannot be confirmed for the agencies present: "
                              + "; ".join(records.consent.why_not(a, on) for a in lacking)
                              + "; give it first with 'pathway consent give'")
    for option, value in ((field("minutes"), minutes), (field("preparation_minutes"), preparation_minutes),
                          (field("feedback_minutes"), feedback_minutes)):
        if value is not None and not 0 <= value <= 24 * 60:
            raise InvalidValue(option, value, "give whole minutes between 0 and 1440")
    config = meeting_config(definition, type_)
    if config is not None:
        preparation_minutes = config.preparation_minutes if preparation_minutes is None else preparation_minutes
        feedback_minutes = config.feedback_minutes if feedback_minutes is None else feedback_minutes
    cleaned = [d.strip() for d in decisions if d.strip()]
    return {"type": type_, "attendees": present, "led_by": led_by, "absent": away,
            "consent_confirmed_for": agencies_present if consent_confirmed else [],
            "decisions": [{"text": d, "signed_by_participant": signed_by_participant} for d in cleaned],
            "notes": notes, "minutes": minutes, "preparation_minutes": preparation_minutes,
            "feedback_minutes": feedback_minutes}
