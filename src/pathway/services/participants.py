"""Use cases for caseworkers: enrol, fire a trigger, record attributes, show, history, list.

Each use case is a plain function over a :class:`ServiceContext`; it runs in one unit of work and
commits once, so a refusal anywhere leaves the database exactly as it was.
"""

from __future__ import annotations

from dataclasses import dataclass

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from pathway import limits
from pathway.clock import format_local, to_local
from pathway.domain import Event, EventType, Participant, ParticipantStatus
from pathway.domain.corrections import amended, struck
from pathway.domain.records import RecordEvent, fold, step_change_seq
from pathway.errors import (
    BadInput,
    ConcurrentChange,
    DuplicateRef,
    GuardFailed,
    InvalidValue,
    ParticipantExited,
    ParticipantVoided,
    UnknownParticipant,
    field,
)
from pathway import deferred
from pathway.services import policy
from pathway.services.context import ServiceContext
from pathway.services.retry import caseworker_command
from pathway.services.views import EventView, FireResult, ParticipantSummary, ParticipantView, TriggerView
from pathway.store.access_repository import RESPONSIBLE
from pathway.store.uow import UnitOfWork

if TYPE_CHECKING:
    from pathway.engine.deadlines import pause_refusal
    from pathway.engine.step_settings import placement_events_for_firing
    from pathway.engine.values import coerce_fields, missing_required, to_json
    from pathway.services import identity, secrecy
    from pathway.services import person as person_service
    from pathway.services.deadlines import for_participant as open_deadlines
    from pathway.services.deadlines import reconcile
    from pathway.steps.guards import GuardContext
    from pathway.store.group_repository import GroupRepository  # an annotation only
else:  # imported on first use: listing participants plans no deadline, checks no guard, reads no
    # personnummer (the planner, the guards, the workflow models and the identity register are a
    # good part of `participant list`'s start-up; see pathway.deferred)
    pause_refusal = deferred.function("pathway.engine.deadlines", "pause_refusal")
    placement_events_for_firing = deferred.function("pathway.engine.step_settings", "placement_events_for_firing")
    coerce_fields = deferred.function("pathway.engine.values", "coerce_fields")
    missing_required = deferred.function("pathway.engine.values", "missing_required")
    to_json = deferred.function("pathway.engine.values", "to_json")
    identity = deferred.module("pathway.services.identity")
    secrecy = deferred.module("pathway.services.secrecy")
    person_service = deferred.module("pathway.services.person")
    open_deadlines = deferred.function("pathway.services.deadlines", "for_participant")
    reconcile = deferred.function("pathway.services.deadlines", "reconcile")
    GuardContext = deferred.function("pathway.steps.guards", "GuardContext")

#: Ids fit the database's integer; a longer number can only be a (mistyped) ref.
MAX_ID = limits.MAX_ID

#: How far in the future ``--at`` may be (clock skew between machines), before it is refused.
FUTURE_TOLERANCE = timedelta(minutes=5)


def effective_time(ctx: ServiceContext, at: datetime | None, reason: str | None,
                    not_before: datetime | None, not_before_what: str) -> tuple[datetime, str | None]:
    now = ctx.clock.now()
    if reason is not None:
        limits.check_text(field("reason"), reason)
    if at is None:
        return now, reason
    if at > now + FUTURE_TOLERANCE:
        raise InvalidValue(field("at"), format_local(at), f"it is after now ({format_local(now)}); record things when they have happened")
    if at < now - FUTURE_TOLERANCE and not (reason and reason.strip()):
        raise BadInput(
            f"{field('at')} {format_local(at)} records something that happened earlier; say why with {field('reason')} TEXT"
        )
    if not_before is not None and at < not_before:
        raise InvalidValue(
            field("at"), format_local(at),
            f"it is before {not_before_what} ({format_local(not_before)}); a history cannot go backwards",
        )
    return at, reason


def resolve(uow: UnitOfWork, participant: str | int) -> Participant:
    """Find a participant by id (digits) or by ref."""
    text = limits.check_lookup(str(participant).strip())
    if text.isdecimal() and text.isascii() and len(text) <= 10 and 0 < int(text) <= MAX_ID:
        found = uow.participants.get(int(text))
        if found is not None:
            return found
    matches = uow.participants.get_by_ref(text)
    if len(matches) == 1:
        return matches[0]
    if len(matches) > 1:
        ids = ", ".join(f"{p.id} ({p.workflow_id})" for p in matches)
        raise BadInput(f"ref '{text}' is used in several workflows: {ids}; give the id instead")
    raise UnknownParticipant(text)


def unchanged_since_seen(ctx: ServiceContext, participant: Participant) -> None:
    """Refuse a write made on a stale page: someone else changed the participant after it was read."""
    if ctx.expected_seq is not None and participant.last_seq != ctx.expected_seq:
        stale = ConcurrentChange(participant.id or 0)
        stale.seen_seq = ctx.expected_seq  # services.retry: a page made stale by a deadline check only
        raise stale


def enrol(
    ctx: ServiceContext,
    workflow_id: str,
    ref: str | None = None,
    attributes: Mapping[str, Any] | None = None,
    at: datetime | None = None,
    reason: str | None = None,
    personnummer: str | None = None,
    anonymous: bool = False,
) -> tuple[int, str | None]:
    """Start a participant on the current version of a workflow; returns (id, note for the user).

    ``personnummer`` goes to the identity table only (birth date and gender taken from it);
    ``anonymous`` enrols with nothing but gender and the start year (see :mod:`pathway.services.identity`).
    """
    identity.check_options(personnummer, anonymous, attributes or {})
    if ref is not None:
        limits.check_ref(ref.strip())
    with ctx.uow() as uow:
        policy.require(ctx, "participant.enrol", workflow=workflow_id)
        registered = ctx.catalog.register_current(uow, workflow_id)
        definition = registered.loaded.definition
        values = coerce_fields(definition.attributes, attributes or {}, definition, "attribute",
                               f"in workflow '{workflow_id}'")
        effective_at, reason = effective_time(ctx, at, reason, None, "")
        _plausible_birth_date(values, effective_at)
        person = identity.identify(uow, definition, values, effective_at,
                                   personnummer=personnummer, anonymous=anonymous, ref=ref)
        values = {**values, **person.derived}
        missing = missing_required(definition.attributes, values)
        if missing:
            raise BadInput(f"attribute '{missing[0]}' is required to enrol in '{workflow_id}'; give it with {field('attributes')} {missing[0]}=VALUE")
        if ref is not None:
            ref = ref.strip()
            if not ref:
                raise InvalidValue(field("ref"), ref, "give a non-empty case reference")
            if ref.isdigit():
                raise InvalidValue(field("ref"), ref, "a ref of only digits could be taken for a participant id; "
                                   "add a prefix, e.g. LU-" + ref)
            existing = uow.participants.get_by_ref(ref, workflow_id)
            if existing:
                raise DuplicateRef(ref, workflow_id, existing[0].id or 0)
        # rundgång: the same person open in another project, or out of one recently
        circulation = (person_service.circulation_note(ctx, uow, person.number.number, workflow_id, effective_at)
                       if person.number is not None else None)
        stored = {k: to_json(v) for k, v in values.items()}
        initial = definition.initial_step.id
        participant = Participant(
            workflow_id=workflow_id, workflow_version=registered.version, step=initial,
            enrolled_at=effective_at, ref=ref, attributes=stored, last_step_change_at=effective_at,
        )
        # the enrolling caseworker becomes the responsible one (huvudansvarig handläggare)
        responsible = ctx.user if ctx.user is not None and not ctx.granted and policy.is_staff(ctx.user) else None
        enrolled = {"ref": ref, "attributes": stored}
        if responsible is not None:
            enrolled["responsible"] = responsible.login
        participant.record(_event(ctx, participant, EventType.ENROLLED, effective_at, reason,
                                  to_step=initial, data=enrolled))
        uow.participants.add(participant)
        uow.flush()  # the participant's id, for its deadlines and identity
        if responsible is not None:
            uow.assignments.set(participant.id or 0, RESPONSIBLE, responsible.id or 0, ctx.clock.now())
        identity.record(uow, participant.id or 0, person, ctx.clock.now())
        reconcile(uow, participant, definition, values)
        uow.commit()
        notes = [n for n in (registered.note, circulation) if n]
        return participant.id or 0, "\n".join(notes) or None


def refuse_voided(participant: Participant) -> None:
    """Nothing more is recorded on an enrolment voided as a mistake."""
    if participant.status == ParticipantStatus.VOIDED:
        raise ParticipantVoided(participant.id or 0)


def close_at_exit(ctx: ServiceContext, participant: Participant, exit_event: Event,
                  groups: GroupRepository | None = None) -> None:
    """An exit ends what is still open — placements, interventions, plan goals, group memberships — at
    the exit's time.

    Each is an event of its own naming the exit (``closed_by_exit``), so reopening the exit opens
    them again; a group membership also ends in ``groups`` (the members now), so an exited
    participant never holds a group back (``group move``).
    """
    records = participant.folded.records
    closing: list[tuple[RecordEvent, dict[str, Any]]] = []
    closing += [(RecordEvent.PLACEMENT_ENDED, {"id": p.id, "outcome": None})
                for p in records.placements.values() if p.ended_at is None]
    closing += [(RecordEvent.INTERVENTION_ENDED, {"id": i.id, "note": None})
                for i in records.interventions.values() if i.ended_at is None]
    closing += [(RecordEvent.PLAN_ITEM_UPDATED, {"id": i.id, "status": "closed"})
                for i in records.plan.values() if i.status == "open"]
    member_of = groups.groups_of(participant.id or 0) if groups is not None else []
    for group_id in member_of:
        group = groups.get(group_id) if groups is not None else None
        closing.append((RecordEvent.GROUP_LEFT, {"group": group_id, "name": group.name if group else None}))
    for kind, data in closing:
        participant.record(Event(
            seq=0, type=kind.value, effective_at=exit_event.effective_at, recorded_at=ctx.clock.now(),
            actor=ctx.actor, actor_id=ctx.actor_id, actor_agency=ctx.actor_agency,
            workflow_id=participant.workflow_id, workflow_version=participant.workflow_version,
            from_step=participant.step, to_step=participant.step,
            data={**data, "closed_by_exit": exit_event.seq}, reason="closed at exit",
        ))
    for group_id in member_of:
        assert groups is not None
        groups.leave(group_id, participant.id or 0, exit_event.effective_at)


def _plausible_birth_date(values: Mapping[str, Any], effective_at: datetime) -> None:
    """A ``birth_date`` (as a date) from 1900 up to the day it is recorded for (limits.check_birth_date)."""
    born = values.get("birth_date")
    if isinstance(born, date):
        limits.check_birth_date(born, to_local(effective_at).date())


def _event(ctx: ServiceContext, participant: Participant, type_: EventType | RecordEvent, effective_at: datetime,
           reason: str | None, **fields: Any) -> Event:
    return Event(
        seq=0, type=type_.value, effective_at=effective_at, recorded_at=ctx.clock.now(),
        actor=ctx.actor, actor_id=ctx.actor_id, actor_agency=ctx.actor_agency, workflow_id=participant.workflow_id,
        workflow_version=participant.workflow_version, reason=reason, **fields,
    )


def typed_attributes(ctx: ServiceContext, uow: UnitOfWork, participant: Participant) -> dict[str, Any]:
    """The stored attributes as typed values (dates as dates) for guards.

    Kept with the participant object while its attributes and workflow definition stay the same
    objects holding the same values (an event that sets attributes gives the participant a new
    dict; an import line's use cases share one participant object, and most of its events set no
    attribute); a new dict each time, as coercing made one."""
    definition = ctx.catalog.pinned(uow, participant.workflow_id, participant.workflow_version).definition
    kept = _TYPED.get(participant)
    if kept is not None and kept[0] is definition and kept[1] is participant.attributes \
            and kept[2] == participant.attributes:
        return dict(kept[3])
    known = {k: v for k, v in participant.attributes.items() if k in definition.attributes}
    typed = coerce_fields(definition.attributes, known, definition, "attribute", "(stored)", checked=False)
    _TYPED[participant] = (definition, participant.attributes, dict(participant.attributes), typed)
    return dict(typed)


#: typed_attributes by participant object: (definition, its attributes dict, a copy of it, typed)
_TYPED: WeakKeyDictionary[Participant, tuple[Any, dict[str, Any], dict[str, Any], dict[str, Any]]] = \
    WeakKeyDictionary()


@caseworker_command
def fire(
    ctx: ServiceContext,
    participant_ref: str | int,
    trigger: str,
    data: Mapping[str, Any] | None = None,
    at: datetime | None = None,
    reason: str | None = None,
) -> FireResult:
    """Fire ``trigger`` for a participant: check it, append the event, move the projection."""
    with ctx.uow() as uow:
        participant = resolve(uow, participant_ref)
        policy.require(ctx, "participant.fire", participant, uow=uow)
        unchanged_since_seen(ctx, participant)
        refuse_voided(participant)
        if not participant.is_open:
            raise ParticipantExited(participant.id or 0, participant.step)
        loaded = ctx.catalog.pinned(uow, participant.workflow_id, participant.workflow_version)
        machine = ctx.catalog.machine(loaded, participant.workflow_version)
        effective_at, reason = effective_time(
            ctx, at, reason, participant.last_step_change_at, "the participant's last step change"
        )
        attributes = typed_attributes(ctx, uow, participant)
        folded = participant.folded  # what the guards, pauses and planner read: kept on the row, no history read
        firing = machine.fire(participant.step, trigger, data or {}, attributes, effective_at,
                              participant.enrolled_at, folded.records, participant.last_step_change_at,
                              folded.step_change_seq)
        paused = pause_refusal(loaded.definition, trigger, folded)
        if paused:
            raise GuardFailed(trigger, participant.step, [paused])
        stored_data = {k: to_json(v) for k, v in firing.data.items()}
        event = participant.record(_event(
            ctx, participant, EventType.TRANSITION, effective_at, reason, trigger=trigger,
            from_step=firing.from_step, to_step=firing.to_step, data=stored_data,
        ), machine.terminal_steps)
        if firing.terminal:
            close_at_exit(ctx, participant, event, uow.groups)
        else:  # a trigger into a placement step starts its placement record; one out of it with an outcome ends it
            for kind, record in placement_events_for_firing(loaded.definition, firing.from_step, firing.to_step,
                                                            stored_data, folded.records, effective_at):
                participant.record(_event(ctx, participant, kind, effective_at, reason, from_step=firing.step_after,
                                          to_step=firing.step_after, data=record))
        reconcile(uow, participant, loaded.definition, attributes)
        uow.commit()
        return FireResult(participant.id or 0, trigger, firing.from_step, firing.step_after,
                          participant.status, event.seq, moved=firing.to_step is not None,
                          to_step_kind=loaded.definition.step(firing.step_after).kind,
                          workflow_id=participant.workflow_id, workflow_version=participant.workflow_version)


@caseworker_command
def set_attributes(
    ctx: ServiceContext,
    participant_ref: str | int,
    values: Mapping[str, Any],
    at: datetime | None = None,
    reason: str | None = None,
) -> dict[str, Any]:
    """Record or correct participant attributes (each change an event); returns what changed."""
    if not values:
        raise BadInput("nothing to set; give KEY=VALUE, e.g. stable_housing=true")
    with ctx.uow() as uow:
        participant = resolve(uow, participant_ref)
        policy.require(ctx, "participant.set", participant, uow=uow)
        unchanged_since_seen(ctx, participant)
        refuse_voided(participant)
        definition = ctx.catalog.pinned(uow, participant.workflow_id, participant.workflow_version).definition
        typed = coerce_fields(definition.attributes, values, definition, "attribute",
                              f"in workflow '{participant.workflow_id}'")
        identity.refuse_for_anonymous(uow, participant.id or 0, typed)
        identity.refuse_contradicting_number(uow, definition, participant.id or 0, typed,
                                             to_local(ctx.clock.now()).date())
        effective_at, reason = effective_time(ctx, at, reason, participant.enrolled_at, "the enrolment")
        _plausible_birth_date(typed, effective_at)
        stored = {k: to_json(v) for k, v in typed.items()}
        previous = {k: participant.attributes.get(k) for k in stored}
        changed = {k: v for k, v in stored.items() if previous[k] != v}
        if changed:
            participant.record(_event(
                ctx, participant, EventType.ATTRIBUTES_SET, effective_at, reason,
                from_step=participant.step, to_step=participant.step,
                data={"set": changed, "previous": {k: previous[k] for k in changed}},
            ))
            reconcile(uow, participant, definition, typed_attributes(ctx, uow, participant))
            uow.commit()
        return changed


def show(ctx: ServiceContext, participant_ref: str | int) -> ParticipantView:
    with ctx.uow() as uow:
        participant = resolve(uow, participant_ref)
        policy.require(ctx, "participant.read", participant, uow=uow)
        loaded = ctx.catalog.pinned(uow, participant.workflow_id, participant.workflow_version)
        definition = loaded.definition
        machine = ctx.catalog.machine(loaded, participant.workflow_version)
        step = definition.step(participant.step)
        options: list[TriggerView] = []
        events = uow.participants.history(participant.id or 0)
        records = fold(events)
        # secrecy between agencies: what this user sees (guards below still read the whole record)
        shown = secrecy.filter_events(ctx.user, events, to_local(ctx.clock.now()).date())
        if participant.is_open:
            context = GuardContext(typed_attributes(ctx, uow, participant), {}, participant.step,
                                   ctx.clock.now(), participant.enrolled_at, records,
                                   participant.last_step_change_at, step_change_seq(events))
            options = [TriggerView.of(option) for option in machine.options(participant.step, context)]
            options = [TriggerView(o.trigger, o.blocked_by + [r for r in [pause_refusal(definition, o.trigger,
                                                                                        participant.folded)] if r],
                                   o.data) for o in options]
        view = ParticipantView(
            id=participant.id or 0, ref=participant.ref, workflow=participant.workflow_id,
            workflow_version=participant.workflow_version, workflow_title=definition.title,
            step=participant.step, step_title=step.title, owner=step.owner,
            status=participant.status, enrolled_at=participant.enrolled_at,
            last_step_change_at=participant.last_step_change_at, exited_at=participant.exited_at,
            exit_reason=participant.exit_reason,
            attributes=secrecy.visible_attributes(dict(participant.attributes), events, shown.events)
            if shown.withheld else dict(participant.attributes),
            triggers=options, deadlines=open_deadlines(uow, participant, ctx.clock.now()),
            records=fold(shown.events) if shown.withheld else records, seq=participant.last_seq,
            today=to_local(ctx.clock.now()).date(), withheld=shown.notes(),
        )
        _logged(ctx, uow, participant, "show")
        return view


def history(ctx: ServiceContext, participant_ref: str | int) -> list[EventView]:
    """The history as the acting user may see it (see :func:`history_view` for what was withheld)."""
    return history_view(ctx, participant_ref)[0]


def history_view(ctx: ServiceContext, participant_ref: str | int) -> tuple[list[EventView], list[str]]:
    """The history the acting user may see, and one sentence per agency on what was withheld."""
    with ctx.uow() as uow:
        participant = resolve(uow, participant_ref)
        policy.require(ctx, "participant.read", participant, uow=uow)
        events = uow.participants.history(participant.id or 0)
        gone, changed = struck(events), amended(events)  # read from the whole history
        shown = secrecy.filter_events(ctx.user, events, to_local(ctx.clock.now()).date())
        views = [EventView.of(e, gone.get(e.seq) or changed.get(e.seq), e.seq in gone) for e in shown.events]
        _logged(ctx, uow, participant, "history")
        return views, shown.notes()


@dataclass(frozen=True)
class PathTaken:
    """What a diagram of one participant needs: the version it is pinned to, where it is, how it got there."""

    id: int
    ref: str | None
    workflow: str
    workflow_version: int
    step: str
    moves: tuple[tuple[str, str], ...]  # (from step, to step) of each step change, oldest first


def path_taken(ctx: ServiceContext, participant_ref: str | int) -> PathTaken:
    """The participant's step changes, for ``workflow diagram --participant`` and the web's diagram.

    One read, one access-log row ("diagram"): a step change is no agency's secret, so nothing is
    withheld, and nothing beyond the steps leaves this function.
    """
    with ctx.uow() as uow:
        participant = resolve(uow, participant_ref)
        policy.require(ctx, "participant.read", participant, uow=uow)
        gone = struck(events := uow.participants.history(participant.id or 0))
        moves = tuple((e.from_step, e.to_step) for e in events
                      if e.type == "transition" and e.from_step and e.to_step and e.seq not in gone)
        _logged(ctx, uow, participant, "diagram")
        return PathTaken(participant.id or 0, participant.ref, participant.workflow_id,
                         participant.workflow_version, participant.step, moves)


def _logged(ctx: ServiceContext, uow: UnitOfWork, participant: Participant, what: str) -> None:
    """Write the access-log row of a read and commit it (nothing else was changed)."""
    if ctx.user is not None and not ctx.granted:
        policy.log_read(ctx, uow, participant, what)
        uow.commit()


def list_participants(
    ctx: ServiceContext,
    workflow_id: str | None = None,
    step: str | None = None,
    status: str | None = None,
) -> list[ParticipantSummary]:
    if status is not None and status not in {s.value for s in ParticipantStatus}:
        raise InvalidValue(field("status"), status, "use open, exited or voided")
    for what, value in (("workflow", workflow_id), ("step", step)):
        if value is not None:  # a filter from a URL may hold anything; PostgreSQL refuses a NUL byte
            limits.check_lookup(value, what)
    with ctx.uow() as uow:
        policy.require(ctx, "participant.list")
        if workflow_id is not None and workflow_id not in ctx.catalog.file_ids():
            known = {w.workflow_id for w in uow.workflows.all()}
            if workflow_id not in known:
                raise BadInput(f"unknown workflow '{workflow_id}'; known workflows: {', '.join(sorted(known | set(ctx.catalog.file_ids())))}")
        visible = policy.visible_workflows(ctx)
        found = [ParticipantSummary.of(p) for p in uow.participants.list(workflow_id, step, status)
                 if (visible is None or p.workflow_id in visible)
                 # voided enrolments (mistakes) only when asked for: --status voided
                 and (status is not None or p.status != ParticipantStatus.VOIDED)]
        if ctx.user is not None:
            policy.log_read(ctx, uow, None, "participant list", workflow_id)
            uow.commit()
        return found
