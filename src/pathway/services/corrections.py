"""Use cases that put mistakes right (rättelser), keeping the history append-only.

Each writes one ``corrected`` event (see :mod:`pathway.domain.corrections`) with the caseworker's
reason and the previous value, moves the projection through :meth:`Participant.apply`, and
reconciles the deadlines from the corrected history in the same transaction: undoing a transition
restores the deadlines of the step returned to as they were; voiding cancels them all.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any

from pathway import limits
from pathway.clock import format_local, parse_time, to_local
from pathway.domain import Event, EventType, Participant, ParticipantStatus
from pathway.domain.corrections import CorrectionKind, current_exit, effective, replacement_data, struck
from pathway.domain.duration import DURATION_HELP, Duration
from pathway.domain.records import PlacementType, RecordEvent, fold
from pathway.engine.step_settings import placement_config
from pathway.engine.values import coerce_fields, to_json
from pathway.domain.users import COORDINATOR
from pathway import errors
from pathway.errors import BadInput, InvalidValue, NotPermitted, RuleRefused
from pathway.services import identity, policy
from pathway.services.context import ServiceContext
from pathway.services.deadlines import reconcile
from pathway.services.participants import refuse_voided, resolve, typed_attributes
from pathway.domain.agency import AGENCIES
from pathway.services.records import PLAN_STATUSES, WEEKDAYS
from pathway.services.retry import caseworker_command
from pathway.store.uow import UnitOfWork

#: how long staff may correct their own entries; coordinators may correct any entry at any time
CORRECTION_WINDOW = timedelta(days=7)

#: what a ``--event SEQ --set`` correction may change, per kind of record entry
RECORD_FIELDS: dict[str, tuple[str, ...]] = {
    RecordEvent.CONSENT_GIVEN.value: ("agencies", "scope", "until"),
    RecordEvent.PLAN_GOAL_ADDED.value: ("what", "with_whom", "by", "follow_up"),
    RecordEvent.PLAN_SUBGOAL_ADDED.value: ("what", "with_whom", "by", "follow_up"),
    RecordEvent.PLAN_ITEM_UPDATED.value: ("status", "by", "what", "note"),
    RecordEvent.PLACEMENT_STARTED.value: ("type", "employer", "start", "end", "hours_per_week", "weekdays",
                                          "contact_person", "goal", "follow_up_every", "at"),
    RecordEvent.PLACEMENT_FOLLOWUP.value: ("hours_per_week", "note", "at"),
    RecordEvent.PLACEMENT_ENDED.value: ("outcome", "at"),
    RecordEvent.INTERVENTION_STARTED.value: ("kind", "agency", "note", "at"),
    RecordEvent.INTERVENTION_ENDED.value: ("note", "at"),
}

#: entries whose corrected data is nested under ``entry`` (see pathway.domain.corrections)
NESTED = frozenset({RecordEvent.PLACEMENT_STARTED.value, RecordEvent.PLACEMENT_FOLLOWUP.value,
                    RecordEvent.PLACEMENT_ENDED.value, RecordEvent.INTERVENTION_STARTED.value,
                    RecordEvent.INTERVENTION_ENDED.value})
#: what striking an entry takes along: the later entries about the same placement or intervention
DEPENDENTS = {RecordEvent.PLACEMENT_STARTED.value: (RecordEvent.PLACEMENT_FOLLOWUP.value,
                                                    RecordEvent.PLACEMENT_ENDED.value),
              RecordEvent.INTERVENTION_STARTED.value: (RecordEvent.INTERVENTION_ENDED.value,)}


@dataclass(frozen=True)
class CorrectionResult:
    """What a correction did (``participant correct|reopen|void --format json``)."""

    participant_id: int
    kind: str
    seqs: list[int]
    corrects: list[int]
    step: str
    status: str
    previous: dict[str, Any] = field(default_factory=dict)
    changed: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def _reason(reason: str | None) -> str:
    if reason is None or not reason.strip():
        raise BadInput(f"a correction needs {errors.field('reason')} TEXT: say what was wrong (it is kept in the history)")
    return reason.strip()


def _iso(moment: datetime | None) -> str | None:
    return None if moment is None else moment.isoformat()


def _correction(ctx: ServiceContext, participant: Participant, kind: CorrectionKind, reason: str,
                data: dict[str, Any], *, from_step: str | None = None, to_step: str | None = None,
                trigger: str | None = None, effective_at: datetime | None = None) -> Event:
    now = ctx.clock.now()
    return Event(seq=0, type=EventType.CORRECTED.value, effective_at=effective_at or now, recorded_at=now,
                 actor=ctx.actor, actor_id=ctx.actor_id, actor_agency=ctx.actor_agency,
                 workflow_id=participant.workflow_id, workflow_version=participant.workflow_version,
                 trigger=trigger, from_step=from_step if from_step is not None else participant.step,
                 to_step=to_step if to_step is not None else participant.step,
                 data={"kind": kind.value, **data}, reason=reason)


class _Unit:
    """One participant loaded for a correction: the unit of work, its definition and history."""

    def __init__(self, ctx: ServiceContext, uow: UnitOfWork, participant_ref: str | int) -> None:
        self.ctx, self.uow = ctx, uow
        self.participant = resolve(uow, participant_ref)
        policy.require(ctx, "participant.correct", self.participant)
        refuse_voided(self.participant)
        self.loaded = ctx.catalog.pinned(uow, self.participant.workflow_id, self.participant.workflow_version)
        self.definition = self.loaded.definition
        self.terminal = self.definition.terminal_step_ids
        self.events = uow.participants.history(self.participant.id or 0)

    @property
    def id(self) -> int:
        return self.participant.id or 0

    def record(self, event: Event) -> Event:
        return self.participant.record(event, self.terminal, self.events)

    def finish(self, kind: CorrectionKind, recorded: list[Event], corrects: list[int],
               previous: dict[str, Any] | None = None, changed: dict[str, Any] | None = None) -> CorrectionResult:
        reconcile(self.uow, self.participant, self.definition, typed_attributes(self.ctx, self.uow, self.participant))
        self.uow.commit()
        return CorrectionResult(self.id, kind.value, [e.seq for e in recorded], corrects, self.participant.step,
                                self.participant.status, previous or {}, changed or {})

    def may_correct(self, targets: list[Event]) -> None:
        """Who may correct: coordinators any entry; other staff their own entries, within
        :data:`CORRECTION_WINDOW` of recording them (single-user mode: anyone)."""
        user = self.ctx.user
        if user is None or COORDINATOR in user.roles:
            return
        now = self.ctx.clock.now()
        for event in targets:
            own = event.actor_id == user.id if event.actor_id is not None else event.actor == user.login
            if not own or now - event.recorded_at > CORRECTION_WINDOW:
                whose = "recorded by someone else" if not own else f"recorded more than {CORRECTION_WINDOW.days} days ago"
                raise NotPermitted(
                    f"{user.label()} may correct only their own entries within {CORRECTION_WINDOW.days} days of "
                    f"recording them; event #{event.seq} was {whose} ({event.actor}, "
                    f"{format_local(event.recorded_at)}) — a coordinator can correct it", "participant.correct")

    def before(self, seq: int) -> Participant:
        """The projection as it stood just before event ``seq``."""
        return Participant.replay([e for e in self.events if e.seq < seq], self.terminal)


# -- undo the last transition, reopen an exit ---------------------------------------------------

@caseworker_command
def undo_last(ctx: ServiceContext, participant_ref: str | int, reason: str | None) -> CorrectionResult:
    """The last transition was a mistake: back to the step before it, its deadlines as they were.

    On an exited participant the last transition is the exit, so this is :func:`reopen`.
    """
    why = _reason(reason)
    with ctx.uow() as uow:
        unit = _Unit(ctx, uow, participant_ref)
        if not unit.participant.is_open:
            return _reopen(unit, why)
        gone = struck(unit.events)
        transitions = [e for e in unit.events if e.type == EventType.TRANSITION and e.seq not in gone]
        if not transitions:
            raise RuleRefused(f"participant {unit.id} has no transition to undo (only its enrolment); an enrolment "
                              "made by mistake is voided with 'pathway participant void'")
        last = transitions[-1]
        unit.may_correct([last])
        before = unit.before(last.seq)
        previous = {"step": unit.participant.step, "last_step_change_at": _iso(unit.participant.last_step_change_at),
                    "trigger": last.trigger}
        event = unit.record(_correction(
            ctx, unit.participant, CorrectionKind.UNDO, why,
            {"corrects": [last.seq], "previous": previous,
             "restored": {"step": before.step, "last_step_change_at": _iso(before.last_step_change_at)}},
            from_step=unit.participant.step, to_step=before.step, trigger=last.trigger))
        return unit.finish(CorrectionKind.UNDO, [event], [last.seq], previous, {"step": before.step})


@caseworker_command
def reopen(ctx: ServiceContext, participant_ref: str | int, reason: str | None) -> CorrectionResult:
    """The exit was a mistake: open again in the step before it; what the exit closed is open again."""
    why = _reason(reason)
    with ctx.uow() as uow:
        unit = _Unit(ctx, uow, participant_ref)
        if unit.participant.is_open:
            raise RuleRefused(f"participant {unit.id} has not exited (step '{unit.participant.step}'); "
                              "nothing to reopen — 'pathway participant correct ID --undo-last' undoes a transition")
        return _reopen(unit, why)


def _reopen(unit: _Unit, why: str) -> CorrectionResult:
    standing = current_exit(unit.events, unit.terminal)
    if standing is None:  # exited by a migration or an older history: nothing to strike
        raise RuleRefused(f"participant {unit.id} has no exit event to undo")
    root = int(standing.data.get("replaces") or standing.seq)
    unit.may_correct([standing])
    gone = struck(unit.events)
    before = unit.before(root)
    closed, rejoining = [], []
    for e in unit.events:
        if e.data.get("closed_by_exit") != root or e.seq in gone:
            continue
        if e.type == RecordEvent.GROUP_LEFT:  # back in the group only if it still works in that step, with room
            group = unit.uow.groups.get(int(e.data["group"]), lock=True)
            if group is None or group.closed_at is not None or group.step != before.step or (
                    group.capacity is not None and unit.uow.groups.count_members(group.id) >= group.capacity):
                continue  # the membership stays ended
            rejoining.append(group.id)
        closed.append(e.seq)
    participant = unit.participant
    previous = {"step": participant.step, "exit_reason": participant.exit_reason,
                "exited_at": _iso(participant.exited_at)}
    event = unit.record(_correction(
        unit.ctx, participant, CorrectionKind.REOPEN, why,
        {"corrects": [standing.seq, *closed], "previous": previous,
         "restored": {"step": before.step, "last_step_change_at": _iso(before.last_step_change_at)}},
        from_step=participant.step, to_step=before.step, trigger=standing.trigger))
    joined = fold(unit.events).groups
    for group_id in rejoining:
        unit.uow.groups.join(group_id, unit.id, joined[group_id][0] if group_id in joined else event.effective_at)
    return unit.finish(CorrectionKind.REOPEN, [event], [standing.seq, *closed], previous,
                       {"step": before.step, "status": ParticipantStatus.OPEN.value})


# -- correct the exit's data (reason, situation at exit) --------------------------------------

@caseworker_command
def correct_exit(ctx: ServiceContext, participant_ref: str | int, values: Mapping[str, Any],
                 reason: str | None) -> CorrectionResult:
    """Correct the exit reason or the situation recorded at exit; reports read the corrected values."""
    why = _reason(reason)
    if not values:
        raise BadInput(f"nothing to correct; give {errors.field('exit_data')} KEY=VALUE, e.g. reason=work")
    with ctx.uow() as uow:
        unit = _Unit(ctx, uow, participant_ref)
        standing = current_exit(unit.events, unit.terminal) if not unit.participant.is_open else None
        if standing is None:
            raise RuleRefused(f"participant {unit.id} has not exited; only an exit's data can be corrected this way")
        unit.may_correct([standing])
        specs = next((t.data for t in unit.definition.transitions
                      if t.trigger == standing.trigger and t.to == standing.to_step), {})
        typed = coerce_fields(specs, values, unit.definition, "exit data",
                              f"of trigger '{standing.trigger}' in workflow '{unit.definition.id}'")
        old = replacement_data(standing) if standing.type == EventType.CORRECTED else dict(standing.data)
        changed = {k: to_json(v) for k, v in typed.items() if old.get(k) != to_json(v)}
        if not changed:
            raise BadInput("nothing changes: the exit already records " +
                           ", ".join(f"{k}={old.get(k)}" for k in typed))
        root = int(standing.data.get("replaces") or standing.seq)
        previous = {k: old.get(k) for k in changed}
        event = unit.record(_correction(
            ctx, unit.participant, CorrectionKind.EXIT, why,
            {**old, **changed, "corrects": [standing.seq], "replaces": root, "previous": previous},
            from_step=standing.from_step, to_step=standing.to_step, trigger=standing.trigger,
            effective_at=standing.effective_at))
        return unit.finish(CorrectionKind.EXIT, [event], [standing.seq], previous, changed)


# -- correct a recorded attribute ----------------------------------------------------------------

@caseworker_command
def correct_attributes(ctx: ServiceContext, participant_ref: str | int, values: Mapping[str, Any],
                       reason: str | None) -> CorrectionResult:
    """Correct attributes recorded wrongly: one correction per event that recorded them, as of its time."""
    why = _reason(reason)
    if not values:
        raise BadInput(f"nothing to correct; give {errors.field('attributes')} KEY=VALUE")
    with ctx.uow() as uow:
        unit = _Unit(ctx, uow, participant_ref)
        definition = unit.definition
        typed = coerce_fields(definition.attributes, values, definition, "attribute",
                              f"in workflow '{definition.id}'")
        identity.refuse_for_anonymous(uow, unit.id, typed)
        identity.refuse_contradicting_number(uow, definition, unit.id, typed,
                                             to_local(ctx.clock.now()).date())
        stored = {k: to_json(v) for k, v in typed.items()}
        current = unit.participant.attributes
        changed = {k: v for k, v in stored.items() if current.get(k) != v}
        if not changed:
            raise BadInput("nothing changes: " + ", ".join(f"{k} is already {current.get(k)}" for k in stored))
        sources = _attribute_sources(unit.events)
        never = [k for k in changed if k not in sources]
        if never:
            raise BadInput(f"attribute '{never[0]}' was never recorded, so there is nothing to correct; "
                           f"record it with 'pathway participant set ID {never[0]}=VALUE'")
        unit.may_correct([sources[k] for k in changed])
        by_source: dict[int, dict[str, Any]] = {}
        for key, value in changed.items():
            by_source.setdefault(sources[key].seq, {})[key] = value
        recorded = []
        for seq, corrected in sorted(by_source.items()):
            source = sources[next(iter(corrected))]
            previous = {k: current.get(k) for k in corrected}
            recorded.append(unit.record(_correction(
                ctx, unit.participant, CorrectionKind.ATTRIBUTE, why,
                {"set": corrected, "previous": previous, "amends": seq}, effective_at=source.effective_at)))
        return unit.finish(CorrectionKind.ATTRIBUTE, recorded, [], {k: current.get(k) for k in changed}, changed)


def _attribute_sources(events: list[Event]) -> dict[str, Event]:
    """For each attribute, the event that recorded its current value."""
    sources: dict[str, Event] = {}
    for event in effective(events):
        if event.type == EventType.ENROLLED:
            for key in event.data.get("attributes", {}):
                sources[key] = event
        elif event.type == EventType.ATTRIBUTES_SET:
            for key in event.data.get("set", {}):
                sources[key] = event
        elif event.type == EventType.CORRECTED and event.data.get("kind") == CorrectionKind.ATTRIBUTE:
            for key in event.data.get("set", {}):  # corrected again: amend the same original
                original = next((e for e in events if e.seq == event.data.get("amends")), event)
                sources[key] = original
    return sources


# -- correct a consent, plan, placement or intervention entry ------------------------------------

def _entry(unit: _Unit, seq: int, option: str = errors.field("event")) -> Event:
    target = next((e for e in unit.events if e.seq == seq), None)
    if target is None or target.type not in RECORD_FIELDS:
        entries = [f"#{e.seq} {e.type}" for e in unit.events if e.type in RECORD_FIELDS]
        raise InvalidValue(option, seq, "give the seq of a consent, plan, placement or intervention entry in the "
                           "history: " + (", ".join(entries) or "this participant has none"))
    gone = struck(unit.events)
    if seq in gone and not any(e.data.get("replaces") == seq and e.seq not in gone for e in unit.events):
        raise RuleRefused(f"event #{seq} was struck by correction #{gone[seq]}; there is nothing left to correct")
    return target


def _standing(unit: _Unit, target: Event) -> Event:
    """The event that stands for the entry now: its newest correction, or the entry itself."""
    gone = struck(unit.events)
    return next((e for e in reversed(unit.events) if e.data.get("replaces") == target.seq and e.seq not in gone),
                target)


@caseworker_command
def correct_record(ctx: ServiceContext, participant_ref: str | int, seq: int, values: Mapping[str, str],
                   reason: str | None) -> CorrectionResult:
    """Correct a consent given, a plan entry, or a placement or intervention entry (event ``seq``): the
    entry reads as corrected from its own time; ``at`` moves that time (an end date recorded wrongly)."""
    why = _reason(reason)
    if not values:
        raise BadInput(f"nothing to correct; give {errors.field('set')} KEY=VALUE")
    with ctx.uow() as uow:
        unit = _Unit(ctx, uow, participant_ref)
        target = _entry(unit, seq)
        unit.may_correct([target])
        allowed = RECORD_FIELDS[target.type]
        unknown = sorted(set(values) - set(allowed))
        if unknown:
            raise InvalidValue(errors.field("set"), unknown[0], f"a {target.type} entry has: {', '.join(allowed)}")
        standing = _standing(unit, target)
        old = replacement_data(standing) if standing is not target else dict(target.data)
        old_at = standing.effective_at
        parsed = {k: _record_value(unit, target, k, v) for k, v in values.items()}
        moved_to = parsed.pop("at", None)
        changed = {k: v for k, v in parsed.items() if old.get(k) != v}
        previous = {k: old.get(k) for k in changed}
        if moved_to is not None and moved_to != old_at:
            previous["at"], changed["at"] = old_at.isoformat(), moved_to.isoformat()
        if not changed:
            shown = {**{k: old.get(k) for k in parsed}, **({"at": old_at.isoformat()} if moved_to else {})}
            raise BadInput("nothing changes: the entry already records " + ", ".join(f"{k}={v}" for k, v in shown.items()))
        corrected = {**old, **{k: v for k, v in changed.items() if k != "at"}}
        _still_consistent(unit, target, corrected, moved_to or old_at)
        body = {"entry": corrected} if target.type in NESTED else corrected
        event = unit.record(_correction(
            ctx, unit.participant, CorrectionKind.RECORD, why,
            {**body, "record_type": target.type, "corrects": [standing.seq], "replaces": seq,
             "previous": previous, **({"at": changed["at"]} if "at" in changed else {})},
            effective_at=moved_to or old_at))
        return unit.finish(CorrectionKind.RECORD, [event], [standing.seq], previous, changed)


@caseworker_command
def strike_record(ctx: ServiceContext, participant_ref: str | int, seq: int, reason: str | None) -> CorrectionResult:
    """A placement or intervention entry made by mistake (started, followed up or ended): struck, with
    what hangs on it (a placement's follow-ups and end), and left out of every report."""
    why = _reason(reason)
    with ctx.uow() as uow:
        unit = _Unit(ctx, uow, participant_ref)
        target = _entry(unit, seq)
        if target.type not in NESTED:
            raise RuleRefused(f"event #{seq} is a {target.type} entry; only placement and intervention entries are "
                              f"struck — correct a consent or plan entry with {errors.field('set')} KEY=VALUE (a goal dropped: "
                              f"{errors.field('set')} status=dropped)")
        gone = struck(unit.events)
        standing = _standing(unit, target)
        data = replacement_data(standing) if standing is not target else dict(target.data)
        originals = [target] + [e for e in unit.events if e.type in DEPENDENTS.get(target.type, ())
                                and e.data.get("id") == data.get("id") and e.seq > target.seq]
        hits = [e for o in originals for e in unit.events
                if (e.seq == o.seq or e.data.get("replaces") == o.seq) and e.seq not in gone]
        unit.may_correct([target])
        if target.type == RecordEvent.PLACEMENT_ENDED and target.data.get("closed_by_exit") is not None:
            raise RuleRefused(f"event #{seq} was written by the exit (#{target.data['closed_by_exit']}); "
                              "'pathway participant reopen' undoes the exit and what it closed")
        corrects = sorted(e.seq for e in hits)
        previous: dict[str, Any] = {k: data.get(k) for k in ("id", "type", "employer", "kind", "agency", "outcome")
                                    if k in data}
        event = unit.record(_correction(
            ctx, unit.participant, CorrectionKind.STRIKE, why,
            {"record_type": target.type, "corrects": corrects, "previous": previous},
            effective_at=target.effective_at))
        return unit.finish(CorrectionKind.STRIKE, [event], corrects, previous, {"struck": corrects})


def _still_consistent(unit: _Unit, target: Event, corrected: dict[str, Any], at: datetime) -> None:
    """A corrected placement or intervention entry still makes sense: its time after the enrolment and not
    ahead of the clock, an end after the start, a planned end after the planned start."""
    if target.type not in NESTED:
        return
    if at < unit.participant.enrolled_at or at > unit.ctx.clock.now():
        raise InvalidValue("at", format_local(at), f"give a time between the enrolment "
                           f"({format_local(unit.participant.enrolled_at)}) and now")
    if corrected.get("start") and corrected.get("end") and corrected["end"] < corrected["start"]:
        raise InvalidValue("end", corrected["end"], f"it is before the start {corrected['start']}")
    if target.type in (RecordEvent.PLACEMENT_ENDED, RecordEvent.PLACEMENT_FOLLOWUP, RecordEvent.INTERVENTION_ENDED):
        started_type = (RecordEvent.INTERVENTION_STARTED if target.type == RecordEvent.INTERVENTION_ENDED
                        else RecordEvent.PLACEMENT_STARTED)
        began = next((e.effective_at for e in effective(unit.events)
                      if e.type == started_type and e.data.get("id") == corrected.get("id")), None)
        if began is not None and at < began:
            raise InvalidValue("at", format_local(at), f"{corrected.get('id')} started {format_local(began)}; "
                               "an entry about it comes after that")


def _record_value(unit: _Unit, target: Event, key: str, value: str) -> Any:
    text = value.strip()
    none = text in ("", "-", "none")
    if key == "agencies":
        chosen = sorted({a.strip() for a in text.split(",") if a.strip()})
        if not chosen or any(a not in AGENCIES for a in chosen):
            raise InvalidValue("agencies", value, f"use one or more of: {', '.join(AGENCIES)}")
        return chosen
    if key in ("until", "by", "start", "end"):
        if none and key != "start":
            return None
        try:
            return date.fromisoformat(text).isoformat()
        except ValueError:
            raise InvalidValue(key, value, "use an ISO date, e.g. 2026-06-30" + ("" if key == "start" else ", or 'none'"))\
                from None
    if key == "at":
        return parse_time(text, "at")
    if key == "status" and text not in PLAN_STATUSES:
        raise InvalidValue("status", value, f"use one of: {', '.join(PLAN_STATUSES)}")
    if key == "type":
        step = target.data.get("step") or target.from_step
        allowed = _placement_types(unit, step)
        if text not in allowed:
            raise InvalidValue("type", value, f"a placement in step '{step}' is one of: {', '.join(allowed)}")
        return text
    if key == "hours_per_week":
        if none:
            return None
        try:
            hours = float(text)
        except ValueError:
            hours = -1.0
        if not 0 < hours <= 60:
            raise InvalidValue("hours_per_week", value, "use a number of hours between 0 and 60, or 'none'")
        return hours
    if key == "weekdays":
        days = [d.strip().lower() for d in text.split(",") if d.strip()]
        if any(d not in WEEKDAYS for d in days):
            raise InvalidValue("weekdays", value, f"use {', '.join(WEEKDAYS)}, separated by commas")
        return days
    if key == "follow_up_every" and not none:
        try:
            Duration.parse(text)
        except ValueError:
            raise InvalidValue("follow_up_every", value, DURATION_HELP) from None
    if key == "kind":
        kinds = unit.definition.interventions
        if not text or (kinds and text not in kinds):
            raise InvalidValue("kind", value, f"workflow '{unit.definition.id}' records: "
                               f"{', '.join(kinds) or 'any named kind, e.g. health_care'}")
    if key == "agency" and not none and text not in AGENCIES:
        raise InvalidValue("agency", value, f"use one of: {', '.join(AGENCIES)}, or 'none'")
    if key == "employer" and none:
        raise InvalidValue("employer", value, "name the employer")
    if none:
        return None
    limits.check_text(key, text)
    return text


def _placement_types(unit: _Unit, step: str | None) -> list[str]:
    config = placement_config(unit.definition, step) if step else None
    if config is not None and config.placement_types:
        return [t.value for t in config.placement_types]
    return [t.value for t in PlacementType]


# -- void an enrolment made by mistake --------------------------------------------------------

@caseworker_command
def void(ctx: ServiceContext, participant_ref: str | int, reason: str | None) -> CorrectionResult:
    """An enrolment made by mistake (felregistrering): kept in the history, left out of every report."""
    why = _reason(reason)
    with ctx.uow() as uow:
        unit = _Unit(ctx, uow, participant_ref)
        unit.may_correct([unit.events[0]])  # the enrolment
        previous = {"status": unit.participant.status, "step": unit.participant.step}
        event = unit.record(_correction(ctx, unit.participant, CorrectionKind.VOID, why, {"previous": previous}))
        return unit.finish(CorrectionKind.VOID, [event], [], previous, {"status": ParticipantStatus.VOIDED.value})
