"""engine.deadlines.leaves_plan: an event it calls plan-neutral leaves the full plan exactly as it was.

``services.deadlines.reconcile`` neither plans nor reads the deadline rows after a use case whose
events all leave the plan (issue 10), so the claim is checked here against the full plan
(:func:`engine.deadlines.plan`, still what every other event runs) after every event of random
walks — every shipped workflow, and a test workflow with what the planner reads in every way:
repeating rules with an ``until``, pauses, rules started and met by triggers, meetings, attributes
and step entries, an ``applies_if`` guard, step limits, plan items and placement contacts.
"""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from pathway.definitions import load_file, load_text
from pathway.definitions.models import FieldType, Workflow
from pathway.domain import Event, EventType, Participant
from pathway.domain.records import RecordEvent
from pathway.engine.deadlines import PlannedDeadline, leaves_plan, plan, plan_reads, settled_since
from pathway.engine.values import coerce_fields, to_json

SHIPPED = sorted((Path(__file__).resolve().parents[2] / "src" / "pathway" / "shipped" / "workflows").glob("*.yaml"))
START = datetime(2026, 3, 2, 8, 30, tzinfo=timezone.utc)

PLANNER_WORKFLOW = """\
id: planner
version: 1
title: Planner
roles:
  - {id: coach, title: Coach}
  - {id: lead, title: Lead}
attributes:
  application_date: {type: date}
  case_type: {type: choice, choices: [new, known]}
  hours: {type: number}
  note: {type: text}
exit_reasons:
  - {code: work, label: Arbete, category: work}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: coach, initial: true, limit: {within: 2w, remind_before: 2d}}
  - id: meeting
    title: Möte
    kind: meeting
    owner: lead
    limit:
      within: 1w
      escalation: [{after: 2wd, to: lead}]
  - {id: work, title: Arbete, kind: plan, owner: coach, limit: {within: 6w}}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: meet, from: referral, to: meeting}
  - {trigger: meet_again, from: meeting, to: meeting}
  - {trigger: start_work, from: [meeting, referral], to: work}
  - {trigger: back, from: work, to: referral}
  - {trigger: call, from: "*"}
  - {trigger: note, from: "*"}
  - {trigger: checkpoint, from: "*"}
  - {trigger: stop_calls, from: "*"}
  - {trigger: sick_leave, from: "*"}
  - {trigger: back_to_work, from: "*"}
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
pauses: {pause: [sick_leave], resume: [back_to_work]}
follow_up:
  remind_before: 2d
  placement_contact: {internship: 2w}
deadlines:
  - id: first_meeting
    title: Första mötet
    start: {attribute: application_date}
    target: {entered: meeting}
    within: 14d
    remind_before: 3wd
    escalation: [{after: 0d, to: owner}, {after: 2wd, to: lead}]
  - id: new_cases_work
    title: Nya ärenden i arbete inom en månad
    start: {enrolled: true}
    target: {trigger: checkpoint}
    within: 1m
    owner: lead
    applies_if:
      - {name: attribute_in, args: {attribute: case_type, values: [new]}}
  - id: calls
    title: Samtal varannan vecka
    start: {entered: meeting}
    target: {trigger: call}
    within: 1w
    every: 2w
    until: {trigger: stop_calls}
  - id: follow_ups
    title: Uppföljning var sjätte vecka
    start: {trigger: checkpoint}
    target: {meeting: follow_up}
    within: 3w
    every: 6w
    until: {entered: work}
"""


def _definitions() -> list[Workflow]:
    return [load_text(PLANNER_WORKFLOW, "planner.yaml").definition, *(load_file(p).definition for p in SHIPPED)]


DEFINITIONS = _definitions()

#: What a walk's step may do (besides firing one of the definition's triggers).
RECORDS = ["consent", "confirm", "withdraw", "meeting", "no_show", "goal", "goal_done", "goal_dropped", "goal_by",
           "placement", "followup", "placement_end", "intervention", "intervention_end", "group", "group_left",
           "session", "assigned", "reminder"]


class Walk:
    """A participant moved by hand-made events, with its full plan after each (see the module doc)."""

    def __init__(self, definition: Workflow, attributes: dict[str, Any]) -> None:
        self.definition = definition
        self.now = START
        self.participant = Participant(workflow_id=definition.id, workflow_version=1,
                                       step=definition.initial_step.id, enrolled_at=START)
        self.goals = self.placements = self.interventions = 0
        self.record(EventType.ENROLLED.value, to_step=definition.initial_step.id,
                    data={"ref": None, "attributes": {k: to_json(v) for k, v in attributes.items()}})

    @classmethod
    def with_attributes(cls, definition: Workflow, initial: int) -> Walk:
        """A walk enrolled with the attributes the bits of ``initial`` pick."""
        attributes = {name: value for n, name in enumerate(definition.attributes)
                      if (initial >> n) % 2 and (value := _attribute_value(definition, name, initial + n)) is not None}
        return cls(definition, attributes)

    def step(self, action: str, pick: int, days: int, back: int) -> Event | None:
        """One step of a walk (see STEP): ``days`` pass, then a trigger, an attribute or a record,
        recorded ``back`` days afterwards; None when the action has nothing to act on."""
        self.now += timedelta(days=days, hours=pick % 7)
        if action == "fire":
            return self.fire(pick, timedelta(days=back))
        if action == "set":
            names = sorted(self.definition.attributes)
            name = names[pick % len(names)]
            value = _attribute_value(self.definition, name, pick)
            return None if value is None else self.set(name, value, timedelta(days=back))
        return self.note(action, pick, timedelta(days=back))

    def plan(self, settled_from: datetime | None = None) -> list[PlannedDeadline]:
        definition, participant = self.definition, self.participant
        known = {k: v for k, v in participant.attributes.items() if k in definition.attributes}
        typed = coerce_fields(definition.attributes, known, definition, "attribute", "(stored)", checked=False)
        return plan(definition, participant.folded, typed, participant.enrolled_at, settled_from)

    def record(self, kind: str, *, back: timedelta = timedelta(0), trigger: str | None = None,
               to_step: str | None = None, data: dict[str, Any] | None = None) -> Event:
        participant = self.participant
        # recorded afterwards with --at: never before the last step change (as the services require)
        floor = participant.last_step_change_at or START
        at = max(self.now - back, floor)
        event = Event(seq=0, type=kind, effective_at=at, recorded_at=self.now, actor="t",
                      workflow_id=self.definition.id, workflow_version=1, trigger=trigger,
                      from_step=participant.step, to_step=to_step, data=data or {})
        return participant.record(event, self.definition.terminal_step_ids)

    def triggers(self) -> list[tuple[str, str | None]]:
        step = self.participant.step
        return [(t.trigger, t.to) for t in self.definition.transitions if step in self.definition.sources_of(t)]

    def fire(self, index: int, back: timedelta) -> Event:
        """Fire one of the triggers from the current step; one that exits only now and then, so
        that walks go on long enough to meet what they started."""
        terminal = self.definition.terminal_step_ids
        staying = [(t, to) for t, to in self.triggers() if to not in terminal]
        options = self.triggers() if index % 12 == 0 or not staying else staying
        trigger, to = options[index % len(options)]
        data = {"reason": self.definition.exit_reasons[0].code} if self.definition.exit_reasons else {}
        return self.record(EventType.TRANSITION.value, back=back, trigger=trigger, to_step=to, data=data)

    def set(self, name: str, value: Any, back: timedelta) -> Event:
        stored = to_json(value)
        previous = self.participant.attributes.get(name)
        return self.record(EventType.ATTRIBUTES_SET.value, back=back, to_step=self.participant.step,
                           data={"set": {name: stored}, "previous": {name: previous}})

    def note(self, what: str, pick: int, back: timedelta) -> Event | None:
        """One record event of kind ``what`` (None when there is nothing for it to act on)."""
        records = self.participant.folded.records
        step = self.participant.step
        read = sorted(plan_reads(self.definition).meetings)  # half the meetings of a type an anchor names
        meeting_types = read if read and pick % 2 == 0 else sorted({*self.definition.step_ids, "other"})
        open_goals = [i.id for i in records.plan.values() if i.status == "open"]
        open_placements = [p.id for p in records.placements.values() if p.ended_at is None]
        open_interventions = [i.id for i in records.interventions.values() if i.ended_at is None]
        day = (self.now + timedelta(days=7 + pick % 60)).date().isoformat()
        simple: dict[str, tuple[str, dict[str, Any]]] = {
            "consent": (RecordEvent.CONSENT_GIVEN, {"agencies": ["af", "fk"]}),
            "confirm": (RecordEvent.CONSENT_CONFIRMED, {}),
            "withdraw": (RecordEvent.CONSENT_WITHDRAWN, {"agencies": ["fk"]}),
            "meeting": (RecordEvent.MEETING_RECORDED, {"type": meeting_types[pick % len(meeting_types)]}),
            "no_show": (RecordEvent.MEETING_NO_SHOW, {"type": meeting_types[pick % len(meeting_types)]}),
            "group": (RecordEvent.GROUP_JOINED, {"group": 1 + pick % 2}),
            "group_left": (RecordEvent.GROUP_LEFT, {"group": 1 + pick % 2}),
            "session": (RecordEvent.SESSION_ATTENDED, {"group": 1}),
            "assigned": (EventType.ASSIGNED, {"role": "responsible", "user": "anna"}),
            "reminder": (EventType.REMINDER, {"rule": "x", "level": 0}),
        }
        if what in simple:
            kind, data = simple[what]
        elif what == "goal":
            self.goals += 1
            kind, data = RecordEvent.PLAN_GOAL_ADDED, {"id": f"g{self.goals}", "what": "Arbeta",
                                                       "by": day if pick % 3 else None}
        elif what in ("goal_done", "goal_dropped", "goal_by") and open_goals:
            change = {"goal_done": {"status": "done"}, "goal_dropped": {"status": "dropped"}, "goal_by": {"by": day}}
            kind, data = RecordEvent.PLAN_ITEM_UPDATED, {"id": open_goals[pick % len(open_goals)], **change[what]}
        elif what == "placement":
            self.placements += 1
            kind, data = RecordEvent.PLACEMENT_STARTED, {
                "id": f"p{self.placements}", "type": "internship", "employer": "Bageriet",
                "start": self.now.date().isoformat(), "follow_up_every": "2w" if pick % 2 else None}
        elif what == "followup" and open_placements:
            kind, data = RecordEvent.PLACEMENT_FOLLOWUP, {"id": open_placements[pick % len(open_placements)],
                                                         "hours_per_week": 8}
        elif what == "placement_end" and open_placements:
            kind, data = RecordEvent.PLACEMENT_ENDED, {"id": open_placements[pick % len(open_placements)]}
        elif what == "intervention":
            self.interventions += 1
            kind, data = RecordEvent.INTERVENTION_STARTED, {"id": f"i{self.interventions}", "kind": "health"}
        elif what == "intervention_end" and open_interventions:
            kind, data = RecordEvent.INTERVENTION_ENDED, {"id": open_interventions[pick % len(open_interventions)]}
        else:
            return None
        return self.record(kind.value, back=back, to_step=step, data=data)


def _attribute_value(definition: Workflow, name: str, pick: int) -> Any:
    """A valid value of attribute ``name`` (varied by ``pick``), or None when the test makes none."""
    spec = definition.attributes[name]
    if spec.type in (FieldType.DATE, FieldType.DATETIME):
        day = date(2026, 1, 1) + timedelta(days=pick % 120)
        return day if spec.type == FieldType.DATE else datetime(day.year, day.month, day.day, 9, tzinfo=timezone.utc)
    if spec.type == FieldType.CHOICE and spec.choices:
        return spec.choices[pick % len(spec.choices)]
    if spec.type in (FieldType.INTEGER, FieldType.NUMBER):
        return pick % 40
    if spec.type == FieldType.BOOLEAN:
        return bool(pick % 2)
    if spec.type in (FieldType.STRING, FieldType.TEXT):
        return f"text {pick}"
    return None


STEP = st.tuples(
    st.sampled_from(["fire", "fire", "fire", "fire", "set", "set", "meeting", "meeting", *RECORDS]),
    st.integers(min_value=0, max_value=1000),  # which trigger / attribute / record, and its value
    st.integers(min_value=0, max_value=20),  # days passed
    st.integers(min_value=0, max_value=30),  # days recorded afterwards (--at)
)


@pytest.mark.parametrize("definition", DEFINITIONS, ids=[d.id for d in DEFINITIONS])
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(initial=st.integers(min_value=0, max_value=1000), walk=st.lists(STEP, min_size=3, max_size=40))
def test_an_event_that_leaves_the_plan_leaves_the_full_plan_as_it_was(
        definition: Workflow, initial: int, walk: list[tuple[str, int, int, int]]) -> None:
    """After every event of a random walk: where leaves_plan says the event changes nothing the plan
    reads, the full plan after it equals the full plan before it (the plan reconcile skips)."""
    walk_ = Walk.with_attributes(definition, initial)
    before = walk_.plan()
    for action, pick, days, back in walk:
        if not walk_.participant.is_open:
            break
        event = walk_.step(action, pick, days, back)
        if event is None:
            continue
        try:
            after = walk_.plan()
        except ValueError:  # a placement contact counted in a pause that never ends: planned by no one
            break
        if leaves_plan(definition, event):
            assert after == before, (event.type, event.trigger, event.data)
        before = after


@pytest.fixture(scope="module")
def planner() -> Workflow:
    return DEFINITIONS[0]


def _event(kind: str, trigger: str | None = None, to_step: str | None = None,
           data: dict[str, Any] | None = None) -> Event:
    return Event(seq=2, type=kind, effective_at=START, recorded_at=START, actor="t", workflow_id="planner",
                 workflow_version=1, trigger=trigger, to_step=to_step, data=data or {})


def test_what_the_planner_reads_is_never_called_plan_neutral(planner: Workflow) -> None:
    """Pause and resume triggers, triggers a rule starts, meets or stops on, any step change, an
    attribute an anchor or an applies_if guard reads, a meeting type an anchor names, plan items,
    placements, corrections: each may change the plan. A trigger nothing names, consent, groups and
    the check's own events may not."""
    transition = EventType.TRANSITION.value
    for trigger in ("sick_leave", "back_to_work", "checkpoint", "call", "stop_calls"):
        assert not leaves_plan(planner, _event(transition, trigger))
    assert not leaves_plan(planner, _event(transition, "note", to_step="referral"))  # a step entered again
    assert not leaves_plan(planner, _event(EventType.ATTRIBUTES_SET.value, data={"set": {"hours": 3}}))  # applies_if
    assert not leaves_plan(planner, _event(RecordEvent.MEETING_RECORDED.value, data={"type": "follow_up"}))
    for kind in (RecordEvent.PLAN_GOAL_ADDED, RecordEvent.PLAN_ITEM_UPDATED, RecordEvent.PLACEMENT_STARTED,
                 RecordEvent.PLACEMENT_FOLLOWUP, RecordEvent.PLACEMENT_ENDED, EventType.CORRECTED,
                 EventType.MIGRATED, EventType.ENROLLED, EventType.REDACTED):
        assert not leaves_plan(planner, _event(kind.value))
    assert leaves_plan(planner, _event(transition, "note"))
    assert leaves_plan(planner, _event(RecordEvent.MEETING_RECORDED.value, data={"type": "other"}))
    for kind in (RecordEvent.CONSENT_GIVEN, RecordEvent.GROUP_JOINED, RecordEvent.SESSION_ABSENT,
                 RecordEvent.MEETING_NO_SHOW, EventType.REMINDER, EventType.ASSIGNED):
        assert leaves_plan(planner, _event(kind.value))


def test_a_meeting_of_the_type_a_repeating_rule_waits_for_changes_the_plan(planner: Workflow) -> None:
    """The walk above in one example: after the rule's start, a follow-up meeting meets it."""
    walk = Walk(planner, {})
    walk.now += timedelta(days=1)
    walk.fire(next(n for n, (t, _) in enumerate(walk.triggers()) if t == "checkpoint"), timedelta(0))
    before = walk.plan()
    walk.now += timedelta(days=2)
    event = walk.note("meeting", 0, timedelta(0))  # of the type the rule names
    assert event is not None and event.data["type"] == "follow_up"
    assert not leaves_plan(planner, event) and walk.plan() != before


def test_an_attribute_no_rule_reads_is_plan_neutral_without_applies_if() -> None:
    """Without applies_if guards, only the attributes anchors name are read."""
    bench = load_text(PLANNER_WORKFLOW.replace("    applies_if:\n      - {name: attribute_in, args: "
                                               "{attribute: case_type, values: [new]}}\n", ""),
                      "planner.yaml").definition
    assert plan_reads(bench).attributes == {"application_date"}
    assert leaves_plan(bench, _event(EventType.ATTRIBUTES_SET.value, data={"set": {"hours": 3}}))
    assert not leaves_plan(bench, _event(EventType.ATTRIBUTES_SET.value, data={"set": {"application_date": "2026-03-01"}}))


def test_a_placement_started_in_an_open_pause_has_paused_contacts(planner: Workflow) -> None:
    """A placement contact counted in a pause that is still open has no due date (it was a
    ValueError: the days never run out); one met in it is counted with the pause closed at the
    meeting, as a met step limit is; the next runs again from the resume."""
    walk = Walk(planner, {})
    triggers = [t for t, _ in walk.triggers()]
    walk.now += timedelta(days=1)
    walk.fire(triggers.index("sick_leave"), timedelta(0))
    walk.now += timedelta(days=1)
    walk.note("placement", 0, timedelta(0))  # contacts every 2w (the policy's, for an internship)
    contacts = {p.key: p for p in walk.plan() if p.key.startswith("placement:")}
    assert [(p.key, p.status.value, p.due_date) for p in contacts.values()] == [("placement:p1:0", "paused", None)]
    walk.now += timedelta(days=3)
    walk.note("followup", 0, timedelta(0))
    contacts = {p.key: p for p in walk.plan() if p.key.startswith("placement:")}
    assert contacts["placement:p1:0"].status.value == "met" and contacts["placement:p1:0"].due_date is not None
    assert contacts["placement:p1:1"].status.value == "paused"
    walk.now += timedelta(days=10)
    walk.fire(triggers.index("back_to_work"), timedelta(0))
    running = {p.key: p for p in walk.plan()}["placement:p1:1"]
    # the resume day counts: the two weeks are it and the thirteen days after it
    assert running.status.value == "open" and running.due_date == walk.now.date() + timedelta(days=13)


@pytest.mark.parametrize("definition", DEFINITIONS, ids=[d.id for d in DEFINITIONS])
@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow,
                                                                 HealthCheck.function_scoped_fixture])
@given(initial=st.integers(min_value=0, max_value=1000), walk=st.lists(STEP, min_size=3, max_size=60))
def test_the_step_limits_an_event_leaves_settled_are_planned_as_before_it(
        definition: Workflow, initial: int, walk: list[tuple[str, int, int, int]]) -> None:
    """After every event of a random walk (backdated ones included), the plan that leaves out the
    step limits settled before the event's day and the repeating rules' occurrences met before the
    event (what reconcile plans
    since issue 10) is the full plan without those, and each one it leaves out is planned exactly as
    it was before the event — so the rows, which hold the plan before the event, need not be read or
    written."""
    walk_ = Walk.with_attributes(definition, initial)
    before = {p.key: p for p in walk_.plan()}
    for action, pick, days, back in walk:
        if not walk_.participant.is_open:
            break
        event = walk_.step(action, pick, days, back)
        if event is None:
            continue
        cutoff = settled_since([event])
        assert cutoff == event.effective_at
        try:
            full = walk_.plan()
        except ValueError:  # a placement contact counted in a pause that never ends: planned by no one
            break
        lean = walk_.plan(cutoff)
        left_out = [p for p in full if p.key not in {q.key for q in lean}]
        assert lean == [p for p in full if p.key not in {q.key for q in left_out}]
        for limit in left_out:  # step limits, and occurrences of repeating rules, met before the day
            assert limit.key.startswith(("limit:", "rule:")) and limit.status == "met", limit
            assert before.get(limit.key) == limit, limit.key  # settled: as it was planned before the event
        before = {p.key: p for p in full}


def test_a_lean_plan_decodes_no_mark_before_the_entries_it_plans_from(planner: Workflow) -> None:
    """A step change on a long history reads the step entries from the end and finds the marks that
    pauses and anchors name by searching the stored marks; nothing before is decoded (a record no
    decoder can read, put first, is never touched), so its cost does not grow with the history."""
    walk = Walk(planner, {})
    moves = ["meet", "start_work", "back"] * 20
    for trigger in moves:
        walk.now += timedelta(days=1)
        walk.fire(next(n for n, (t, _) in enumerate(walk.triggers()) if t == trigger), timedelta(0))
    cutoff = walk.now
    expected = walk.plan(cutoff)
    walk.participant.folded.mark_log = "not|a|mark;" + walk.participant.folded.mark_log
    assert walk.plan(cutoff) == expected
    assert len(expected) < len(moves)  # the settled limits of the steps left long ago are not planned


def test_enrolment_migration_correction_and_redaction_replan_every_limit() -> None:
    """After these, every step limit is planned again (a migration's new limits reach steps left long ago)."""
    for kind in (EventType.ENROLLED, EventType.MIGRATED, EventType.CORRECTED, EventType.REDACTED):
        assert settled_since([_event(EventType.TRANSITION, "go", "b"), _event(kind)]) is None
    assert settled_since([]) is None


def test_a_repeating_rule_without_an_owner_is_planned_whole_when_the_step_changes(planner: Workflow) -> None:
    """Occurrences of a repeating rule met before an event are settled — unless the rule has
    no owner of its own and the event moved the participant to another step: its occurrences belong
    to the current step's owner, so every one of them is planned again (with the new owner)."""
    walk = Walk(planner, {})

    def fire(trigger: str) -> None:
        walk.now += timedelta(days=3)
        walk.fire(next(n for n, (t, _) in enumerate(walk.triggers()) if t == trigger), timedelta(0))

    fire("meet")  # the calls start, owned by the meeting step's owner
    for _ in range(4):
        fire("call")
    calls = [p for p in walk.plan() if p.rule == "calls"]
    assert [p.status.value for p in calls] == ["met"] * 4 + ["open"] and {p.owner for p in calls} == {"lead"}
    fire("call")  # a call: the occurrences met before its day are settled
    lean = [p for p in walk.plan(walk.now) if p.rule == "calls"]
    assert [p.key for p in lean] == ["rule:calls:4", "rule:calls:5"]  # the one it met, the one it starts
    fire("start_work")  # a step change: the owner of every occurrence moves to the new step's
    lean = [p for p in walk.plan(walk.now) if p.rule == "calls"]
    full = [p for p in walk.plan() if p.rule == "calls"]
    assert lean == full and {p.owner for p in full} == {"coach"} and len(full) == 6
