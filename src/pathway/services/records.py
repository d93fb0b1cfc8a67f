"""Use cases for what happens around the steps: consent, the action plan, placements, interventions.

Each is one event appended to the participant's history, checked against the current fold of the
records first (no withdrawing what was never given, no follow-up of an ended placement), with the
deadlines reconciled in the same transaction.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from typing import Any

from pathway import limits
from pathway.clock import to_local
from pathway.domain import Event, Participant
from pathway.domain.agency import AGENCIES
from pathway.domain.duration import DURATION_HELP, Duration
from pathway.domain.records import PlacementType, Records, RecordEvent, fold
from pathway.engine.step_settings import apply_placement_settings
from pathway.errors import BadInput, InvalidValue, ParticipantExited, RuleRefused, field
from pathway.services import policy, secrecy
from pathway.services.context import ServiceContext
from pathway.services.deadlines import reconcile
from pathway.services.participants import (
    effective_time,
    refuse_voided,
    resolve,
    typed_attributes,
    unchanged_since_seen,
)
from pathway.services.retry import caseworker_command

PLACEMENT_TYPES = tuple(t.value for t in PlacementType)
#: ``closed``: still open when the participant exited (the exit closes it)
PLAN_STATUSES = ("open", "done", "dropped", "closed")
WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")

#: the permission each kind of record needs (see pathway.services.policy)
PERMISSION_OF: dict[RecordEvent, str] = {
    RecordEvent.CONSENT_GIVEN: "consent.record",
    RecordEvent.CONSENT_CONFIRMED: "consent.record",
    RecordEvent.CONSENT_WITHDRAWN: "consent.record",
    RecordEvent.PLAN_GOAL_ADDED: "plan.record",
    RecordEvent.PLAN_SUBGOAL_ADDED: "plan.record",
    RecordEvent.PLAN_ITEM_UPDATED: "plan.record",
    RecordEvent.PLACEMENT_STARTED: "placement.record",
    RecordEvent.PLACEMENT_FOLLOWUP: "placement.record",
    RecordEvent.PLACEMENT_ENDED: "placement.record",
    RecordEvent.INTERVENTION_STARTED: "intervention.record",
    RecordEvent.INTERVENTION_ENDED: "intervention.record",
}

#: builds the event's data from the current records, or raises
DataBuilder = Callable[[Records, Participant], dict[str, Any]]


@caseworker_command
def _append(ctx: ServiceContext, participant_ref: str | int, kind: RecordEvent, build: DataBuilder,
            at: datetime | None, reason: str | None) -> dict[str, Any]:
    with ctx.uow() as uow:
        participant = resolve(uow, participant_ref)
        policy.require(ctx, PERMISSION_OF.get(kind, "participant.set"), participant, uow=uow)
        unchanged_since_seen(ctx, participant)
        refuse_voided(participant)
        # consent can still be withdrawn after the exit (a later handover must respect it)
        if not participant.is_open and kind != RecordEvent.CONSENT_WITHDRAWN:
            raise ParticipantExited(participant.id or 0, participant.step)
        definition = ctx.catalog.pinned(uow, participant.workflow_id, participant.workflow_version).definition
        data = build(participant.folded.records, participant)  # the fold kept on the row: no history read
        _check_free_text(data)
        if kind in (RecordEvent.INTERVENTION_STARTED,) and definition.interventions \
                and data["kind"] not in definition.interventions:
            raise InvalidValue("intervention kind", data["kind"],
                               f"workflow '{definition.id}' records: {', '.join(definition.interventions)}")
        if kind == RecordEvent.PLACEMENT_STARTED:  # the step's placement_types, contact_every, hours and weeks
            data = apply_placement_settings(definition, participant.step, data)
        effective_at, reason = effective_time(ctx, at, reason, participant.enrolled_at, "the enrolment")
        participant.record(Event(
            seq=0, type=kind.value, effective_at=effective_at, recorded_at=ctx.clock.now(), actor=ctx.actor, actor_id=ctx.actor_id, actor_agency=ctx.actor_agency,
            workflow_id=participant.workflow_id, workflow_version=participant.workflow_version,
            from_step=participant.step, to_step=participant.step, data=data, reason=reason,
        ))
        reconcile(uow, participant, definition, typed_attributes(ctx, uow, participant))
        uow.commit()
        return data


def _check_free_text(data: dict[str, Any]) -> None:
    """Every text in the record within :mod:`pathway.limits` (length, characters, no personnummer)."""
    for key, value in data.items():
        for text in (value if isinstance(value, list) else [value]):
            if isinstance(text, str):
                limits.check_text(field(key), text)


def _agencies(values: list[str]) -> list[str]:
    chosen = [v.strip() for v in values if v.strip()]
    wrong = [v for v in chosen if v not in AGENCIES]
    if not chosen or wrong:
        raise InvalidValue(field("agencies"), ",".join(values), f"use one or more of: {', '.join(AGENCIES)}")
    return sorted(set(chosen))


def _date(text: str | None, option: str) -> str | None:
    if text is None:
        return None
    try:
        day = date.fromisoformat(text)
    except ValueError:
        raise InvalidValue(option, text, "use an ISO date, e.g. 2026-06-30") from None
    return limits.check_date(day, option).isoformat()


# -- consent ----------------------------------------------------------------------------------

def give_consent(ctx: ServiceContext, participant: str | int, agencies: list[str], scope: str | None = None,
                 until: str | None = None, at: datetime | None = None, reason: str | None = None) -> dict[str, Any]:
    chosen, end = _agencies(agencies), _date(until, field("until"))
    given_on = to_local(at or ctx.clock.now()).date()
    if end is not None and end < given_on.isoformat():
        raise InvalidValue(field("until"), until, f"it is before the day the consent is given ({given_on}); "
                           "give the last day the consent is valid")
    return _append(ctx, participant, RecordEvent.CONSENT_GIVEN,
                   lambda r, p: {"agencies": chosen, "scope": scope, "until": end}, at, reason)


def confirm_consent(ctx: ServiceContext, participant: str | int, at: datetime | None = None,
                    reason: str | None = None) -> dict[str, Any]:
    def build(records: Records, p: Participant) -> dict[str, Any]:
        if not records.consent.grants:
            raise RuleRefused("there is no consent to confirm; give it first with 'pathway consent give'")
        return {}
    return _append(ctx, participant, RecordEvent.CONSENT_CONFIRMED, build, at, reason)


def withdraw_consent(ctx: ServiceContext, participant: str | int, agencies: list[str],
                     at: datetime | None = None, reason: str | None = None) -> dict[str, Any]:
    chosen = _agencies(agencies)

    def build(records: Records, p: Participant) -> dict[str, Any]:
        given = {a for g in records.consent.grants for a in g.agencies if a not in g.withdrawn}
        missing = [a for a in chosen if a not in given]
        if missing:
            raise RuleRefused(f"no consent in force to withdraw for {', '.join(missing)}")
        return {"agencies": chosen}
    return _append(ctx, participant, RecordEvent.CONSENT_WITHDRAWN, build, at, reason)


# -- action plan ------------------------------------------------------------------------------

def add_goal(ctx: ServiceContext, participant: str | int, what: str, with_whom: str | None = None,
             by: str | None = None, follow_up: str | None = None, at: datetime | None = None,
             reason: str | None = None) -> dict[str, Any]:
    if not what.strip():
        raise InvalidValue(field("what"), what, "say what the goal is")
    day = _date(by, field("by"))
    return _append(ctx, participant, RecordEvent.PLAN_GOAL_ADDED,
                   lambda r, p: {"id": r.next_goal_id(), "what": what.strip(), "with_whom": with_whom,
                                 "by": day, "follow_up": follow_up}, at, reason)


def add_subgoal(ctx: ServiceContext, participant: str | int, goal: str, what: str, with_whom: str | None = None,
                by: str | None = None, follow_up: str | None = None, at: datetime | None = None,
                reason: str | None = None) -> dict[str, Any]:
    if not what.strip():
        raise InvalidValue(field("what"), what, "say what the sub-goal is")
    day = _date(by, field("by"))

    def build(records: Records, p: Participant) -> dict[str, Any]:
        goals = [i.id for i in records.plan.values() if i.parent is None]
        if goal not in goals:
            raise InvalidValue("goal", goal, f"the plan's goals are: {', '.join(goals) or 'none yet (add-goal first)'}")
        return {"id": records.next_subgoal_id(goal), "parent": goal, "what": what.strip(),
                "with_whom": with_whom, "by": day, "follow_up": follow_up}
    return _append(ctx, participant, RecordEvent.PLAN_SUBGOAL_ADDED, build, at, reason)


def update_plan_item(ctx: ServiceContext, participant: str | int, item: str, status: str | None = None,
                     by: str | None = None, what: str | None = None, note: str | None = None,
                     at: datetime | None = None, reason: str | None = None) -> dict[str, Any]:
    if status is not None and status not in PLAN_STATUSES:
        raise InvalidValue(field("status"), status, f"use one of: {', '.join(PLAN_STATUSES)}")
    if status is None and by is None and what is None and note is None:
        raise BadInput(f"nothing to update; give {field('status')}, {field('by')}, {field('what')} or {field('note')}")
    day = _date(by, field("by"))

    def build(records: Records, p: Participant) -> dict[str, Any]:
        if item not in records.plan:
            raise InvalidValue("plan item", item, f"the plan has: {', '.join(records.plan) or 'nothing yet'}")
        data: dict[str, Any] = {"id": item, "status": status, "what": what, "note": note}
        if by is not None:
            data["by"] = day
        return data
    return _append(ctx, participant, RecordEvent.PLAN_ITEM_UPDATED, build, at, reason)


# -- placements -------------------------------------------------------------------------------

def start_placement(ctx: ServiceContext, participant: str | int, type_: str, employer: str, start: str,
                    end: str | None = None, weekdays: list[str] | None = None, hours_per_week: float | None = None,
                    contact_person: str | None = None, goal: str | None = None,
                    follow_up_every: str | None = None, at: datetime | None = None,
                    reason: str | None = None) -> dict[str, Any]:
    if type_ not in PLACEMENT_TYPES:
        raise InvalidValue(field("type"), type_, f"use one of: {', '.join(PLACEMENT_TYPES)}")
    if not employer.strip():
        raise InvalidValue(field("employer"), employer, "name the employer")
    days = [d.strip().lower() for d in (weekdays or []) if d.strip()]
    if any(d not in WEEKDAYS for d in days):
        raise InvalidValue(field("weekdays"), ",".join(weekdays or []), f"use {', '.join(WEEKDAYS)}")
    if hours_per_week is not None and not 0 < hours_per_week <= 60:
        raise InvalidValue(field("hours_per_week"), hours_per_week, "use a number of hours between 0 and 60")
    if follow_up_every is not None:
        try:
            Duration.parse(follow_up_every)
        except ValueError:
            raise InvalidValue(field("follow_up_every"), follow_up_every, DURATION_HELP) from None
    first, last = _date(start, field("start")), _date(end, field("end"))
    if first and last and last < first:
        raise InvalidValue(field("end"), end, f"it is before the start {first}")
    return _append(ctx, participant, RecordEvent.PLACEMENT_STARTED,
                   lambda r, p: {"id": r.next_placement_id(), "type": type_, "employer": employer.strip(),
                                 "start": first, "end": last, "weekdays": days, "hours_per_week": hours_per_week,
                                 "contact_person": contact_person, "goal": goal,
                                 "follow_up_every": follow_up_every}, at, reason)


def _open_placement(records: Records, placement: str) -> None:
    if placement not in records.placements:
        raise InvalidValue("placement", placement, f"the participant's placements: {', '.join(records.placements) or 'none'}")
    if records.placements[placement].ended_at is not None:
        raise RuleRefused(f"placement {placement} has ended")


def followup_placement(ctx: ServiceContext, participant: str | int, placement: str, note: str | None = None,
                       hours_per_week: float | None = None, at: datetime | None = None,
                       reason: str | None = None) -> dict[str, Any]:
    def build(records: Records, p: Participant) -> dict[str, Any]:
        _open_placement(records, placement)
        return {"id": placement, "note": note, "hours_per_week": hours_per_week}
    return _append(ctx, participant, RecordEvent.PLACEMENT_FOLLOWUP, build, at, reason)


def end_placement(ctx: ServiceContext, participant: str | int, placement: str, outcome: str | None = None,
                  at: datetime | None = None, reason: str | None = None) -> dict[str, Any]:
    def build(records: Records, p: Participant) -> dict[str, Any]:
        _open_placement(records, placement)
        return {"id": placement, "outcome": outcome}
    return _append(ctx, participant, RecordEvent.PLACEMENT_ENDED, build, at, reason)


# -- parallel interventions -------------------------------------------------------------------

def start_intervention(ctx: ServiceContext, participant: str | int, kind: str, agency: str | None = None,
                       note: str | None = None, at: datetime | None = None, reason: str | None = None) -> dict[str, Any]:
    if agency is not None and agency not in AGENCIES:
        raise InvalidValue(field("agency"), agency, f"use one of: {', '.join(AGENCIES)}")
    if not kind.strip():
        raise InvalidValue("intervention kind", kind, "name the kind, e.g. health_care")
    return _append(ctx, participant, RecordEvent.INTERVENTION_STARTED,
                   lambda r, p: {"id": r.next_intervention_id(), "kind": kind.strip(), "agency": agency,
                                 "note": note}, at, reason)


def end_intervention(ctx: ServiceContext, participant: str | int, intervention: str, note: str | None = None,
                     at: datetime | None = None, reason: str | None = None) -> dict[str, Any]:
    def build(records: Records, p: Participant) -> dict[str, Any]:
        found = records.interventions.get(intervention)
        if found is None:
            raise InvalidValue("intervention", intervention,
                               f"the participant's interventions: {', '.join(records.interventions) or 'none'}")
        if found.ended_at is not None:
            raise RuleRefused(f"intervention {intervention} has already ended")
        return {"id": intervention, "note": note}
    return _append(ctx, participant, RecordEvent.INTERVENTION_ENDED, build, at, reason)


def records_of(ctx: ServiceContext, participant_ref: str | int, what: str = "records") -> tuple[Participant, Records]:
    """The participant and the fold of their records (``plan show``): a read, logged as ``what``."""
    with ctx.uow() as uow:
        participant = resolve(uow, participant_ref)
        policy.require(ctx, "participant.read", participant, uow=uow)
        shown = secrecy.filter_events(ctx.user, uow.participants.history(participant.id or 0),
                                      to_local(ctx.clock.now()).date())
        records = fold(shown.events)
        if ctx.user is not None and not ctx.granted:
            policy.log_read(ctx, uow, participant, what)
            uow.commit()
        return participant, records
