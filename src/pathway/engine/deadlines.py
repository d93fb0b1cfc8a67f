"""Which deadlines a participant has, computed from the history alone.

:func:`plan_deadlines` is a pure function of the workflow definition, the participant's events and
attributes; :func:`plan` is the same function of the folded history kept on the participant's row
(:mod:`pathway.domain.folded`), which the services call after every event (in the same transaction)
and reconcile with the stored deadline rows. Because it reads *effective* times, an action recorded
afterwards with ``--at`` moves or meets deadlines exactly as if it had been recorded on time.
"""

from __future__ import annotations

from bisect import bisect_left, bisect_right
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache, partial
from datetime import date, datetime, timedelta
from typing import Any

from pathway.definitions.models import OWNER_ROLE, Anchor, DeadlineRule, EscalationLevel, Workflow
from pathway.clock import format_local
from pathway.domain import ActionKind, DeadlineAction, DeadlineStatus, Duration, Event, EventType
from pathway.domain.folded import Folded, Mark, is_entry
from pathway.domain.records import RecordEvent, Records
from pathway.domain.stored_records import held_meeting_times
from pathway.engine.calendar import (
    PauseCalendar,
    add_duration,
    local_date,
    start_of_day,
    subtract_duration,
)
from pathway.steps.guards import GUARDS, GuardContext


#: A workflow's durations ("14d", "2wd" …) parsed once, not at every plan (Duration is immutable).
_duration = lru_cache(maxsize=1024)(Duration.parse)


@dataclass(frozen=True)
class PlannedDeadline:
    key: str
    rule: str
    title: str
    step: str | None
    owner: str
    started_at: datetime
    status: DeadlineStatus
    due_date: date | None = None
    met_at: datetime | None = None
    closed_at: datetime | None = None
    actions: list[DeadlineAction] = field(default_factory=list)

    @property
    def due_at(self) -> datetime | None:
        """The end of the due date: the moment the deadline counts as missed."""
        return None if self.due_date is None else start_of_day(self.due_date + timedelta(days=1))


@dataclass(frozen=True)
class _Entry:
    step: str
    at: datetime
    seq: int


def _entries(marks: Sequence[Mark]) -> list[_Entry]:
    """Each time the participant entered a step (a migration that renamed the step counts)."""
    return [_Entry(m.to_step, m.at, m.seq) for m in marks if m.to_step is not None and is_entry(m)]


def open_pause(definition: Workflow, folded: Folded) -> datetime | None:
    """When the participant's still-open pause began, or None when the clocks are running (only
    the pause and resume triggers' marks are read)."""
    pauses = definition.pauses
    began: datetime | None = None
    for mark in _in_time_order(folded.marks_fired([*pauses.pause, *pauses.resume])):
        if mark.trigger in pauses.pause and began is None:
            began = mark.at
        elif mark.trigger in pauses.resume:
            began = None
    return began


def _in_time_order(marks: list[Mark]) -> list[Mark]:
    """Marks in the order things happened (effective time, then sequence)."""
    return sorted(marks, key=lambda m: (m.at, m.seq))


def pause_refusal(definition: Workflow, trigger: str, folded: Folded) -> str | None:
    """Why a pause or resume trigger makes no sense now (already paused / not paused), or None."""
    if trigger not in definition.pauses.pause and trigger not in definition.pauses.resume:
        return None
    began = open_pause(definition, folded)
    if trigger in definition.pauses.pause and began is not None:
        return f"the clocks are already paused since {format_local(began)}; resume first"
    if trigger in definition.pauses.resume and began is None:
        return "the clocks are not paused"
    return None


def _pauses(definition: Workflow, timeline: Sequence[Mark]) -> PauseCalendar:
    intervals: list[tuple[date, date | None]] = []
    began: date | None = None
    for mark in timeline:
        if mark.type != EventType.TRANSITION:
            continue
        if mark.trigger in definition.pauses.pause and began is None:
            began = local_date(mark.at)
        elif mark.trigger in definition.pauses.resume and began is not None:
            intervals.append((began, local_date(mark.at)))
            began = None
    if began is not None:
        intervals.append((began, None))
    return PauseCalendar(intervals)


@dataclass(frozen=True)
class _History:
    """What the plan reads of the marks and meetings, in the order things happened."""

    #: every step entry — or, for a lean plan, those from the last one before its settled day on
    entries: list[_Entry]
    #: trigger → the distinct times it fired, in order, for the triggers pauses and anchors name (:class:`PlanReads`)
    fired: dict[str, list[datetime]]
    #: the transitions that fired a pause or resume trigger
    pause_marks: list[Mark]
    #: step → the distinct times it was entered, in order, for the steps anchors name
    entered: dict[str, list[datetime]]
    #: meeting type → the distinct times meetings of it were held (no-shows left out), in order, for the types anchors name
    meetings: dict[str, list[datetime]]

    @classmethod
    def of(cls, definition: Workflow, folded: Folded, settled_until: datetime | None = None) -> _History:
        """The history a plan reads; with ``settled_until``, only the step entries from the last
        one before it are read (and the marks anchors and pauses name, found without decoding the
        rest): a step change on a long history decodes what it plans from, not every mark."""
        reads = plan_reads(definition)
        if settled_until is None:
            timeline = folded.timeline()
            entries = _entries(timeline)
            fired_marks = [m for m in timeline if m.type == EventType.TRANSITION and m.trigger in reads.triggers]
            entered = [e for e in entries if e.step in reads.entered]
        else:
            entries = _entries(folded.entries_back_to(settled_until))
            fired_marks = _in_time_order(folded.marks_fired(reads.triggers))
            entered = _entries(_in_time_order(folded.entries_into(reads.entered)))
        fired: dict[str, list[datetime]] = {}
        for mark in fired_marks:
            _add_distinct(fired.setdefault(mark.trigger or "", []), mark.at)
        entered_at: dict[str, list[datetime]] = {}
        for entry in entered:
            _add_distinct(entered_at.setdefault(entry.step, []), entry.at)
        pauses = {*definition.pauses.pause, *definition.pauses.resume}
        # only the meeting types anchors name; most workflows name none, and then the meetings are
        # not read at all (and when they are, their times are read without decoding each meeting)
        meetings = held_meeting_times(folded.records, reads.meetings) if reads.meetings else {}
        return cls(entries, fired, [m for m in fired_marks if m.trigger in pauses], entered_at, meetings)


def _add_distinct(times: list[datetime], at: datetime) -> None:
    """Add a time to times in order, once (two events at the same moment are one anchor time)."""
    if not times or times[-1] != at:
        times.append(at)


def _actions(
    start: date,
    due: date,
    remind_before: str | None,
    ladder: list[EscalationLevel],
    owner: str,
    paused: PauseCalendar,
) -> list[DeadlineAction]:
    actions = []
    if remind_before:
        remind = subtract_duration(due, _duration(remind_before))
        if remind > start:
            actions.append(DeadlineAction(0, ActionKind.REMINDER, 0, start_of_day(remind), owner))
    actions.append(DeadlineAction(1, ActionKind.MISSED, 0, start_of_day(due + timedelta(days=1)), owner))
    day = due
    for level, rung in enumerate(ladder, start=1):
        day = add_duration(day, _duration(rung.after), paused)
        role = owner if rung.to == OWNER_ROLE else rung.to
        actions.append(DeadlineAction(1 + level, ActionKind.ESCALATED, level,
                                       start_of_day(day + timedelta(days=1)), role))
    return actions


def _anchor_time(anchor: Anchor, history: _History, attributes: Mapping[str, Any],
                 enrolled_at: datetime) -> datetime | None:
    """When an anchor happened first, or None if it has not (yet)."""
    if anchor.enrolled:
        return enrolled_at
    if anchor.attribute is not None:
        value = attributes.get(anchor.attribute)
        if isinstance(value, datetime):
            return value
        return start_of_day(value) if isinstance(value, date) else None
    if anchor.entered is not None:
        return next(iter(history.entered.get(anchor.entered, [])), None)
    if anchor.meeting is not None:
        return next(iter(history.meetings.get(anchor.meeting, [])), None)
    return next(iter(history.fired.get(anchor.trigger or "", [])), None)


def _anchor_times(anchor: Anchor, history: _History) -> Sequence[datetime]:
    """Every time an anchor happened (entering a step, a trigger, a meeting record), in time order."""
    if anchor.entered is not None:
        return history.entered.get(anchor.entered, ())
    if anchor.meeting is not None:
        return history.meetings.get(anchor.meeting, ())
    if anchor.trigger is not None:
        return history.fired.get(anchor.trigger, ())
    return ()


def _repeating(rule: DeadlineRule, began: datetime, owner: str, history: _History,
               paused: PauseCalendar, exited_at: datetime | None,
               settled_until: datetime | None = None) -> list[PlannedDeadline]:
    """The occurrences of a repeating rule: the first due ``within`` after its start, each next one
    ``every`` after the target last happened, until the ``until`` point or the exit.

    ``settled_until``: leave out the occurrences met before that moment (see :func:`plan`). Such an
    occurrence reads its start, its target and the pauses until the day it was met — a pause or
    resume later that day changes none of them (:meth:`PauseCalendar.closed_at`) — none of which an
    event from then on changes, and its owner, which only a step change moves (the caller passes
    None then); its row already holds it. Flen's follow-up meetings planned every occurrence again
    on each meeting record: 200 meetings behind one cost 5.7× ten (bench_history.py --grow anchored)."""
    targets = _anchor_times(rule.target, history)  # in time order; those after `began` count
    stops = _anchor_times(rule.until, history) if rule.until else []
    first_stop = bisect_right(stops, began)
    stop = min([t for t in (*stops[first_stop:first_stop + 1], exited_at) if t is not None], default=None)
    planned: list[PlannedDeadline] = []
    started, n, next_target = began, 0, bisect_right(targets, began)
    if settled_until is not None:
        # each target time after the start, before settled_until and not after the stop met one
        # occurrence (the times are distinct: _History): counted and skipped at once, not walked
        settled = bisect_left(targets, settled_until, lo=next_target)
        if stop is not None:
            settled = min(settled, bisect_right(targets, stop, lo=next_target))
        if settled > next_target:
            started, n, next_target = targets[settled - 1], settled - next_target, settled
    while stop is None or started < stop:
        while next_target < len(targets) and targets[next_target] <= started:
            next_target += 1
        met_at = targets[next_target] if next_target < len(targets) else None
        if met_at is not None and stop is not None and met_at > stop:
            met_at = None
        span = _duration(rule.within if n == 0 else rule.every or rule.within)
        start = local_date(started)
        common = partial(PlannedDeadline, key=f"rule:{rule.id}:{n}", rule=rule.id, title=rule.title, step=None,
                         owner=owner, started_at=started)
        closed = met_at or stop
        clocks = paused.closed_at(local_date(closed)) if closed else paused
        due = None if clocks.paused_now else add_duration(start, span, clocks)
        if met_at is not None:
            planned.append(common(status=DeadlineStatus.MET, due_date=due, met_at=met_at))
            started, n = met_at, n + 1
            continue
        if stop is not None:
            planned.append(common(status=DeadlineStatus.CANCELLED, due_date=due, closed_at=stop))
        elif due is None:
            planned.append(common(status=DeadlineStatus.PAUSED))
        else:
            actions = _actions(start, due, rule.remind_before, rule.escalation, owner, paused)
            planned.append(common(status=DeadlineStatus.OPEN, due_date=due, actions=actions))
        break
    return planned


def plan_deadlines(
    definition: Workflow,
    events: Sequence[Event],
    attributes: Mapping[str, Any],
    enrolled_at: datetime,
) -> list[PlannedDeadline]:
    """Every deadline the history implies, open or closed, keyed so reruns give the same keys."""
    return plan(definition, Folded.rebuild(events), attributes, enrolled_at)


def plan(
    definition: Workflow,
    folded: Folded,
    attributes: Mapping[str, Any],
    enrolled_at: datetime,
    settled_from: datetime | None = None,
) -> list[PlannedDeadline]:
    """Every deadline the folded history implies (see :func:`plan_deadlines`): what a transition
    plans from the participant's row, without reading its history.

    ``settled_from``: when the earliest new event happened (:func:`settled_since`). The step limits
    of the steps left before that (local) day are left out: such a limit is closed, and it reads
    nothing but its step's entry, its leaving and the pauses until then, none of which an event on
    or after that day changes; its row already holds it. A participant with hundreds of step changes
    behind it had all their limits planned, read and compared on each step change (200 against 10:
    8×, bench_history.py). So are the occurrences of repeating rules met before that moment
    (:func:`_repeating`): Flen's follow-up meetings, a few a day, are settled up to the last one.
    """
    if not plan_reads(definition).has_rules and not _records_plan(folded.records):
        return []  # nothing to plan: the history is not read
    settled_until = None if settled_from is None else start_of_day(local_date(settled_from))
    history = _History.of(definition, folded, settled_until)
    entries = history.entries
    if not entries:
        return []
    paused = _pauses(definition, history.pause_marks)
    terminal = {s.id for s in definition.steps if s.terminal}
    current = entries[-1]
    exited_at = current.at if current.step in terminal else None
    planned: list[PlannedDeadline] = []

    steps = {s.id: s for s in definition.steps}
    first = 0  # the first entry whose limit is not settled (left on or after settled_from's day)
    if settled_until is not None:
        first = len(entries) - 1
        while first > 0 and entries[first].at >= settled_until:  # entries[first] left entries[first - 1]
            first -= 1
    for i in range(first, len(entries)):
        entry = entries[i]
        step = steps.get(entry.step)
        if step is None:  # a step of an earlier version, before a migration
            continue
        if step.limit is None or step.terminal:
            continue
        left_at = entries[i + 1].at if i + 1 < len(entries) else None
        start = local_date(entry.at)
        common = partial(PlannedDeadline, key=f"limit:{step.id}:{entry.seq}", rule=f"limit:{step.id}",
                      title=f"{step.title}: lämna steget inom {step.limit.within}", step=step.id,
                      owner=step.owner, started_at=entry.at)
        if left_at is not None:
            due: date | None = add_duration(start, _duration(step.limit.within), paused.closed_at(local_date(left_at)))
            planned.append(common(status=DeadlineStatus.MET, due_date=due, met_at=left_at))
        elif paused.paused_now:
            planned.append(common(status=DeadlineStatus.PAUSED))
        else:
            due = add_duration(start, _duration(step.limit.within), paused)
            actions = _actions(start, due, step.limit.remind_before, step.limit.escalation, step.owner, paused)
            planned.append(common(status=DeadlineStatus.OPEN, due_date=due, actions=actions))

    current_owner = definition.step(current.step).owner
    for rule in definition.deadlines:
        began = _anchor_time(rule.start, history, attributes, enrolled_at)
        if began is None or not _applies(rule.applies_if, attributes, current.step, enrolled_at):
            continue
        owner = rule.owner or current_owner
        if rule.every is not None:
            # the owner of a rule without its own follows the current step: occurrences are settled
            # only while no new event moved the participant to another step
            settled = None
            if settled_from is not None and (rule.owner is not None or current.at < settled_from):
                settled = settled_from
            planned += _repeating(rule, began, owner, history, paused, exited_at, settled)
            continue
        met_at = _anchor_time(rule.target, history, attributes, enrolled_at)
        start = local_date(began)
        common = partial(PlannedDeadline, key=f"rule:{rule.id}", rule=rule.id, title=rule.title, step=None, owner=owner,
                      started_at=began)
        ended = met_at or exited_at
        clocks = paused.closed_at(local_date(ended)) if ended else paused
        due = None if clocks.paused_now else add_duration(start, _duration(rule.within), clocks)
        if met_at is not None:
            planned.append(common(status=DeadlineStatus.MET, due_date=due, met_at=met_at))
        elif exited_at is not None:
            planned.append(common(status=DeadlineStatus.CANCELLED, due_date=due, closed_at=exited_at))
        elif due is None:
            planned.append(common(status=DeadlineStatus.PAUSED))
        else:
            actions = _actions(start, due, rule.remind_before, rule.escalation, owner, paused)
            planned.append(common(status=DeadlineStatus.OPEN, due_date=due, actions=actions))
    planned += _record_deadlines(definition, folded, paused, current_owner, exited_at)
    return planned


def settled_since(events: Sequence[Event]) -> datetime | None:
    """When the earliest of new ``events`` happened: what they can change a planned deadline from
    (see :func:`plan`'s ``settled_from``); None when they may change any: a migration (the new
    version's limits apply to steps left long ago), a correction (earlier events count
    differently), an enrolment. Services never record an event before the participant's last step
    change, so the steps left before the earliest new event's day stay as they were planned."""
    if not events or any(e.type in _REPLANS_ALL for e in events):
        return None
    return min(e.effective_at for e in events)


#: events after which every step limit is planned again
_REPLANS_ALL = frozenset({EventType.ENROLLED.value, EventType.MIGRATED.value, EventType.CORRECTED.value,
                          EventType.REDACTED.value})


@dataclass(frozen=True)
class PlanReads:
    """What of a participant's history and attributes a workflow's plan reads, besides its step
    changes (enrolment, a transition that moves, a migration), its records of plan items and
    placements, and its enrolment time — which it always reads.

    :func:`plan` reads the marks through :func:`_entries` (step changes only), :func:`_pauses`
    (the pause and resume triggers) and the anchors (a trigger, entering a step, a meeting type, an
    attribute, the enrolment); the records through the anchors' meetings (no-shows left out) and
    :func:`_record_deadlines` (plan items, placements); the attributes through attribute anchors
    and the rules' ``applies_if`` guards (which may read any attribute, never the records).
    """

    #: triggers read by the pauses and by the rules' start, target and until anchors
    triggers: frozenset[str]
    #: steps whose entering anchors read
    entered: frozenset[str]
    #: meeting types read by anchors
    meetings: frozenset[str]
    #: attributes read by anchors; None when an ``applies_if`` guard may read any of them
    attributes: frozenset[str] | None
    #: whether the workflow has a step limit or a deadline rule: without, only the records (plan
    #: items with a date, placements followed up) can plan a deadline
    has_rules: bool = True

    @classmethod
    def of(cls, definition: Workflow) -> PlanReads:
        anchors = [a for rule in definition.deadlines for a in (rule.start, rule.target, rule.until) if a is not None]
        guarded = any(rule.applies_if for rule in definition.deadlines)
        return cls(
            has_rules=bool(definition.deadlines) or any(s.limit is not None and not s.terminal for s in definition.steps),
            triggers=frozenset([*definition.pauses.pause, *definition.pauses.resume,
                                *(a.trigger for a in anchors if a.trigger is not None)]),
            entered=frozenset(a.entered for a in anchors if a.entered is not None),
            meetings=frozenset(a.meeting for a in anchors if a.meeting is not None),
            attributes=None if guarded else frozenset(a.attribute for a in anchors if a.attribute is not None),
        )


#: Events that change nothing the plan reads, whatever the workflow: the check's own events, an
#: assignment, consent, parallel interventions, groups and their sessions, a missed meeting.
_NEVER_PLANNED = frozenset({
    EventType.REMINDER.value, EventType.DEADLINE_MISSED.value, EventType.ESCALATED.value, EventType.ASSIGNED.value,
    RecordEvent.CONSENT_GIVEN.value, RecordEvent.CONSENT_CONFIRMED.value, RecordEvent.CONSENT_WITHDRAWN.value,
    RecordEvent.INTERVENTION_STARTED.value, RecordEvent.INTERVENTION_ENDED.value,
    RecordEvent.GROUP_JOINED.value, RecordEvent.GROUP_LEFT.value,
    RecordEvent.SESSION_ATTENDED.value, RecordEvent.SESSION_ABSENT.value, RecordEvent.MEETING_NO_SHOW.value,
})

#: PlanReads by definition (the definition kept with it, so its id is not reused while cached)
_READS: dict[int, tuple[Workflow, PlanReads]] = {}
_READS_KEPT = 256


def plan_reads(definition: Workflow) -> PlanReads:
    """:class:`PlanReads` of ``definition``, worked out once per loaded definition."""
    cached = _READS.get(id(definition))
    if cached is not None and cached[0] is definition:
        return cached[1]
    if len(_READS) >= _READS_KEPT:
        _READS.clear()
    reads = PlanReads.of(definition)
    _READS[id(definition)] = (definition, reads)
    return reads


def leaves_plan(definition: Workflow, event: Event) -> bool:
    """Whether :func:`plan` gives the same deadlines after ``event`` as before it, whatever the
    history before: the event changes nothing the plan reads (see :class:`PlanReads`).

    True for a transition that moves no step with a trigger no pause or anchor names, an attribute
    no anchor or ``applies_if`` guard reads, a meeting of a type no anchor names, and the kinds in
    :data:`_NEVER_PLANNED`; False for everything else (enrolment, step changes, migration,
    corrections, redactions, plan items and placements). tests/unit/test_plan_skip.py checks it
    against the full plan after every event of random walks.
    """
    kind = event.type
    if kind in _NEVER_PLANNED:
        return True
    reads = plan_reads(definition)
    if kind == EventType.TRANSITION:
        return event.to_step is None and event.trigger not in reads.triggers
    if kind == EventType.ATTRIBUTES_SET:
        return reads.attributes is not None and reads.attributes.isdisjoint(event.data.get("set") or {})
    if kind == RecordEvent.MEETING_RECORDED:
        return event.data.get("type") not in reads.meetings
    return False


def _records_plan(records: Records) -> bool:
    """Whether the records hold what :func:`_record_deadlines` may plan from: a plan item with a
    date, or a placement (followed up if its type or the workflow says so)."""
    return bool(records.placements) or any(item.by is not None for item in records.plan.values())


def _record_deadlines(definition: Workflow, folded: Folded, paused: PauseCalendar,
                      owner: str, exited_at: datetime | None) -> list[PlannedDeadline]:
    """Deadlines from what is recorded around the steps: plan dates and placement contacts."""
    records = folded.records
    policy = definition.follow_up
    planned: list[PlannedDeadline] = []

    def add(key: str, rule: str, title: str, started: datetime, due: date | None, met_at: datetime | None,
            cancelled_at: datetime | None) -> None:
        common = partial(PlannedDeadline, key=key, rule=rule, title=title, step=None, owner=owner, started_at=started, due_date=due)
        if met_at is not None:
            planned.append(common(status=DeadlineStatus.MET, met_at=met_at))
        elif cancelled_at is not None:
            planned.append(common(status=DeadlineStatus.CANCELLED, closed_at=cancelled_at))
        elif paused.paused_now:
            planned.append(common(due_date=None, status=DeadlineStatus.PAUSED))
        else:
            assert due is not None  # only a contact still running in an open pause has none
            actions = _actions(local_date(started), due, policy.remind_before, policy.escalation, owner, paused)
            planned.append(common(status=DeadlineStatus.OPEN, actions=actions))

    added = {item: at for item, (at, _seq) in folded.plan_added.items()}
    for item in records.plan.values():
        if item.by is None:
            continue
        kind = "Delmål" if item.parent else "Mål"
        cancelled = exited_at if item.status == "open" else (item.done_at or exited_at) if item.status == "dropped" else None
        started = added.get(item.id, item.done_at or exited_at)
        if started is None:  # cannot happen: every plan item was added by an event
            continue
        add(f"plan:{item.id}", f"plan:{item.id}", f"{kind} {item.id}: {item.what}", started,
            item.by, item.done_at if item.status == "done" else None, cancelled)
    for placement in records.placements.values():
        every = placement.follow_up_every or policy.placement_contact.get(placement.type)  # type: ignore[call-overload]
        if not every:
            continue
        contacts = [placement.started_at, *placement.followups]
        closed = placement.ended_at or exited_at
        for n, contact in enumerate(contacts):
            met = contacts[n + 1] if n + 1 < len(contacts) else None
            # counted with a still-open pause closed where the contact ended, as a met step limit is;
            # a contact still running in an open pause has no due date (the days never run out)
            ended = met or closed
            clocks = paused.closed_at(local_date(ended)) if ended is not None and paused.paused_now else paused
            due = None if ended is None and paused.paused_now else add_duration(
                local_date(contact), _duration(every), clocks)
            add(f"placement:{placement.id}:{n}", f"placement:{placement.id}",
                f"Kontakt under {placement.type} hos {placement.employer} ({placement.id})", contact, due, met,
                closed if met is None else None)
    return planned


def _applies(guards: list[Any], attributes: Mapping[str, Any], step: str, enrolled_at: datetime) -> bool:
    context = GuardContext(attributes, {}, step, enrolled_at, enrolled_at)
    return all(not GUARDS[g.name].evaluate(context, g.args) for g in guards)
