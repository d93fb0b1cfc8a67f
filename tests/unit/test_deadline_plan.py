"""plan_deadlines: which deadlines a history implies, as a pure function of definition, events and attributes."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone
from typing import Any

import pytest

from pathway.clock import STOCKHOLM
from pathway.definitions import load_text
from pathway.definitions.models import Workflow
from pathway.domain import (
    ActionKind,
    Deadline,
    DeadlineAction,
    DeadlineProgress,
    DeadlineStatus,
    DueDeadline,
    Event,
    EventType,
)
from pathway.engine.deadlines import PlannedDeadline, plan_deadlines
from pathway.services.deadlines import actions_to_take

UTC = timezone.utc

WORKFLOW = """\
id: mini
version: 1
title: Mini
roles:
  - {id: caseworker, title: Handläggare}
  - {id: coordinator, title: Samordnare}
  - {id: steering_group, title: Styrgrupp}
attributes:
  application_date: {type: date}
  case_type: {type: choice, choices: [new, known]}
exit_reasons:
  - {code: work, label: Arbete, category: work}
steps:
  - {id: application, title: Ansökan, kind: referral, owner: caseworker, initial: true}
  - id: first_meeting
    title: Första mötet
    kind: meeting
    owner: coordinator
    limit:
      within: 1w
      remind_before: 2wd
      escalation:
        - {after: 0d, to: owner}
        - {after: 3wd, to: steering_group}
  - {id: plan, title: Plan, kind: plan, owner: caseworker}
  - {id: exited, title: Avslut, kind: exit, owner: coordinator, terminal: true}
transitions:
  - {trigger: meet, from: application, to: first_meeting}
  - {trigger: meet_again, from: first_meeting, to: first_meeting}
  - {trigger: write_plan, from: first_meeting, to: plan}
  - {trigger: sick_leave, from: "*"}
  - {trigger: back_to_work, from: "*"}
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
pauses: {pause: [sick_leave], resume: [back_to_work]}
deadlines:
  - id: first_meeting_within_14_days
    title: Första mötet inom 14 dagar
    start: {attribute: application_date}
    target: {entered: first_meeting}
    within: 14d
    remind_before: 3wd
    escalation:
      - {after: 0d, to: owner}
      - {after: 2wd, to: coordinator}
      - {after: 5wd, to: steering_group}
  - id: new_cases_planned_in_a_month
    title: Nya ärenden har en plan inom en månad
    start: {enrolled: true}
    target: {trigger: write_plan}
    within: 1m
    owner: coordinator
    applies_if:
      - {name: attribute_in, args: {attribute: case_type, values: [new]}}
"""

RULE = "first_meeting_within_14_days"
MONTH_RULE = "new_cases_planned_in_a_month"
ENROLLED_AT = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)  # Mon 2 Mar 2026, 09:30 in Stockholm
APPLIED = {"application_date": date(2026, 3, 2)}


@pytest.fixture(scope="module")
def definition() -> Workflow:
    return load_text(WORKFLOW, "mini.yaml").definition


def local(y: int, m: int, d: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=STOCKHOLM)


class History:
    """Builds a hand-made event list: enrolled, then transitions, in recording order."""

    def __init__(self, at: datetime = ENROLLED_AT) -> None:
        self.events: list[Event] = []
        self.step = "application"
        self._add(EventType.ENROLLED, at, None, None, "application")

    def _add(self, type_: EventType, at: datetime, recorded: datetime | None, trigger: str | None,
             to_step: str | None, data: dict[str, Any] | None = None) -> History:
        self.events.append(Event(
            seq=len(self.events) + 1, type=type_.value, effective_at=at, recorded_at=recorded or at,
            actor="test", workflow_id="mini", workflow_version=1, trigger=trigger,
            from_step=None if type_ == EventType.ENROLLED else self.step, to_step=to_step, data=data or {},
        ))
        if to_step is not None:
            self.step = to_step
        return self

    def fire(self, trigger: str, to_step: str | None, at: datetime, recorded: datetime | None = None) -> History:
        return self._add(EventType.TRANSITION, at, recorded, trigger, to_step)

    def attributes_set(self, at: datetime) -> History:
        return self._add(EventType.ATTRIBUTES_SET, at, None, None, self.step, {"set": {}})

    def pause(self, at: datetime) -> History:
        return self.fire("sick_leave", None, at)

    def resume(self, at: datetime) -> History:
        return self.fire("back_to_work", None, at)


def plan(definition: Workflow, history: History, attributes: dict[str, Any] | None = None) -> dict[str, PlannedDeadline]:
    planned = plan_deadlines(definition, history.events, APPLIED if attributes is None else attributes, ENROLLED_AT)
    keys = [p.key for p in planned]
    assert len(keys) == len(set(keys)), "keys are unique"
    return {p.key: p for p in planned}


def timeline(planned: PlannedDeadline) -> list[tuple[int, str, int, datetime, str]]:
    return [(a.index, a.kind, a.level, a.at, a.role) for a in planned.actions]


def test_fourteen_day_rule_open_with_its_whole_timeline(definition: Workflow) -> None:
    """Open 14-day rule: reminder 3wd before, miss at the start of the day after, ladder with roles and `to: owner`."""
    rule = plan(definition, History())[f"rule:{RULE}"]
    assert rule.status == DeadlineStatus.OPEN
    assert (rule.rule, rule.step, rule.owner) == (RULE, None, "caseworker")  # owner of the current step
    assert rule.started_at == local(2026, 3, 2)  # the application date, local midnight
    assert rule.due_date == date(2026, 3, 16)
    assert rule.due_at == local(2026, 3, 17) and rule.met_at is None
    assert timeline(rule) == [
        (0, ActionKind.REMINDER, 0, local(2026, 3, 11), "caseworker"),  # Mon 16 − 3wd = Wed 11
        (1, ActionKind.MISSED, 0, local(2026, 3, 17), "caseworker"),  # start of the day after the due date
        (2, ActionKind.ESCALATED, 1, local(2026, 3, 17), "caseworker"),  # after 0d, to: owner
        (3, ActionKind.ESCALATED, 2, local(2026, 3, 19), "coordinator"),  # +2wd: end of Wed 18
        (4, ActionKind.ESCALATED, 3, local(2026, 3, 26), "steering_group"),  # +5wd more: end of Wed 25
    ]


def test_timeline_over_easter_skips_the_holidays(definition: Workflow) -> None:
    """Due on Maundy Thursday 2 Apr 2026: the working-day ladder skips Good Friday, the weekend and Easter Monday."""
    rule = plan(definition, History(), {"application_date": date(2026, 3, 19)})[f"rule:{RULE}"]
    assert rule.due_date == date(2026, 4, 2)
    assert [(a.kind, a.level, a.at) for a in rule.actions] == [
        (ActionKind.REMINDER, 0, local(2026, 3, 30)),  # Thu 2 Apr − 3wd = Mon 30 Mar
        (ActionKind.MISSED, 0, local(2026, 4, 3)),  # the miss itself is at the end of the due date, holiday or not
        (ActionKind.ESCALATED, 1, local(2026, 4, 3)),
        (ActionKind.ESCALATED, 2, local(2026, 4, 9)),  # + 2wd = Wed 8 Apr
        (ActionKind.ESCALATED, 3, local(2026, 4, 16)),  # + 5wd = Wed 15 Apr
    ]
    assert rule.actions[2].at.utcoffset() == timedelta(hours=2)  # summer time by then


def test_miss_is_at_local_midnight_in_utc(definition: Workflow) -> None:
    """The miss happens at 00:00 Stockholm time, i.e. 23:00 UTC the evening of the due date in winter."""
    rule = plan(definition, History())[f"rule:{RULE}"]
    assert rule.actions[1].at.astimezone(UTC) == datetime(2026, 3, 16, 23, 0, tzinfo=UTC)


def test_reminder_left_out_when_it_would_fall_on_or_before_the_start(definition: Workflow) -> None:
    """A reminder date not after the start of the window is not planned (only the miss and the ladder)."""
    late = {"application_date": date(2026, 3, 12)}  # due 26 Mar; 3wd before is 23 Mar, after the start → kept
    assert plan(definition, History(), late)[f"rule:{RULE}"].actions[0].kind == ActionKind.REMINDER
    text = WORKFLOW.replace("remind_before: 3wd", "remind_before: 3w")  # 3w before 16 Mar is 23 Feb
    short = load_text(text, "mini.yaml").definition
    kinds = [a.kind for a in plan(short, History())[f"rule:{RULE}"].actions]
    assert kinds == [ActionKind.MISSED, ActionKind.ESCALATED, ActionKind.ESCALATED, ActionKind.ESCALATED]


def test_rule_without_its_start_attribute_is_not_planned(definition: Workflow) -> None:
    """No application date recorded: the 14-day rule has not started and yields no row."""
    assert f"rule:{RULE}" not in plan(definition, History(), {})


def test_rule_met_when_the_target_step_is_entered_before_the_due_date(definition: Workflow) -> None:
    """Entering first_meeting before the due date meets the rule: status met, met_at, no actions."""
    history = History().fire("meet", "first_meeting", local(2026, 3, 10, 14))
    rule = plan(definition, history)[f"rule:{RULE}"]
    assert rule.status == DeadlineStatus.MET
    assert rule.met_at == local(2026, 3, 10, 14) and rule.due_date == date(2026, 3, 16)
    assert rule.actions == []


def test_rule_met_by_effective_time_recorded_later(definition: Workflow) -> None:
    """A meeting recorded on 20 Mar but effective 13 Mar meets the rule at 13 Mar, as if recorded on time."""
    history = History().attributes_set(local(2026, 3, 14, 10))
    history.fire("meet", "first_meeting", local(2026, 3, 13, 9), recorded=local(2026, 3, 20, 9))
    planned = plan(definition, history)
    rule = planned[f"rule:{RULE}"]
    assert rule.status == DeadlineStatus.MET and rule.met_at == local(2026, 3, 13, 9)
    limit = planned["limit:first_meeting:3"]  # the stall limit counts from the effective time too
    assert limit.started_at == local(2026, 3, 13, 9) and limit.due_date == date(2026, 3, 20)


def test_step_limit_is_planned_per_entry_and_a_re_entry_gets_a_new_key(definition: Workflow) -> None:
    """Each entry into a step with a limit is its own deadline, keyed by the entering event's seq."""
    history = (History().fire("meet", "first_meeting", local(2026, 3, 10, 10))
               .fire("meet_again", "first_meeting", local(2026, 3, 12, 10)))
    planned = plan(definition, history)
    assert {k for k in planned if k.startswith("limit:")} == {"limit:first_meeting:2", "limit:first_meeting:3"}
    first, second = planned["limit:first_meeting:2"], planned["limit:first_meeting:3"]
    assert first.rule == second.rule == "limit:first_meeting" and first.step == "first_meeting"
    assert first.status == DeadlineStatus.MET and first.met_at == local(2026, 3, 12, 10)
    assert first.due_date == date(2026, 3, 17) and first.actions == []
    assert second.status == DeadlineStatus.OPEN and second.owner == "coordinator"
    assert second.due_date == date(2026, 3, 19)  # Thu 12 + 1w
    assert timeline(second) == [
        (0, ActionKind.REMINDER, 0, local(2026, 3, 17), "coordinator"),  # Thu 19 − 2wd
        (1, ActionKind.MISSED, 0, local(2026, 3, 20), "coordinator"),
        (2, ActionKind.ESCALATED, 1, local(2026, 3, 20), "coordinator"),  # to: owner → the step's owner
        (3, ActionKind.ESCALATED, 2, local(2026, 3, 25), "steering_group"),  # +3wd: end of Tue 24
    ]


def test_steps_without_a_limit_and_terminal_steps_get_no_limit(definition: Workflow) -> None:
    """Only steps with a `limit:` get stall deadlines; plan and exited have none."""
    history = (History().fire("meet", "first_meeting", local(2026, 3, 10)).fire("write_plan", "plan", local(2026, 3, 11))
               .fire("exit", "exited", local(2026, 3, 12)))
    assert [k for k in plan(definition, history) if k.startswith("limit:")] == ["limit:first_meeting:2"]


def test_open_pause_pauses_open_rules_and_limits(definition: Workflow) -> None:
    """While a pause is open, open rules and the current step's limit are paused: no due date, no actions."""
    history = History().fire("meet", "first_meeting", local(2026, 3, 10)).pause(local(2026, 3, 12))
    planned = plan(definition, history)
    limit = planned["limit:first_meeting:2"]
    assert limit.status == DeadlineStatus.PAUSED and limit.due_date is None and limit.due_at is None
    assert limit.actions == []
    assert planned[f"rule:{RULE}"].status == DeadlineStatus.MET  # already met: a pause does not reopen it

    rule_only = plan(definition, History().pause(local(2026, 3, 5)))[f"rule:{RULE}"]
    assert rule_only.status == DeadlineStatus.PAUSED and rule_only.due_date is None and rule_only.actions == []


def test_closed_pause_extends_the_due_date_and_the_whole_timeline(definition: Workflow) -> None:
    """Paused 5–7 Mar (resumed on the 8th): due 19 Mar instead of 16 Mar, and every action follows."""
    history = History().pause(local(2026, 3, 5, 10)).resume(local(2026, 3, 8, 10))
    rule = plan(definition, history)[f"rule:{RULE}"]
    assert rule.status == DeadlineStatus.OPEN and rule.due_date == date(2026, 3, 19)
    assert [(a.kind, a.at) for a in rule.actions] == [
        (ActionKind.REMINDER, local(2026, 3, 16)),  # Thu 19 − 3wd
        (ActionKind.MISSED, local(2026, 3, 20)),
        (ActionKind.ESCALATED, local(2026, 3, 20)),
        (ActionKind.ESCALATED, local(2026, 3, 24)),  # Thu 19 + 2wd = Mon 23
        (ActionKind.ESCALATED, local(2026, 3, 31)),  # Mon 23 + 5wd = Mon 30
    ]


def test_pause_during_a_step_limit_moves_it_by_the_paused_days(definition: Workflow) -> None:
    """A sick leave 13–16 Mar inside the first meeting's week moves the limit from 17 to 20 Mar."""
    history = (History().fire("meet", "first_meeting", local(2026, 3, 10, 10))
               .pause(local(2026, 3, 13, 8)).resume(local(2026, 3, 16, 8)))
    limit = plan(definition, history)["limit:first_meeting:2"]
    assert limit.status == DeadlineStatus.OPEN and limit.due_date == date(2026, 3, 20)


def test_a_second_pause_while_paused_is_ignored_until_resumed(definition: Workflow) -> None:
    """Pause, pause again, resume: one interval from the first pause to the resume."""
    history = (History().pause(local(2026, 3, 5)).pause(local(2026, 3, 6)).resume(local(2026, 3, 8)))
    assert plan(definition, history)[f"rule:{RULE}"].due_date == date(2026, 3, 19)


def test_exit_cancels_open_rules(definition: Workflow) -> None:
    """Exiting before the target was reached cancels the rule (closed_at = exit time), with no actions."""
    history = History().fire("exit", "exited", local(2026, 3, 20, 11))
    rule = plan(definition, history)[f"rule:{RULE}"]
    assert rule.status == DeadlineStatus.CANCELLED and rule.closed_at == local(2026, 3, 20, 11)
    assert rule.actions == [] and rule.met_at is None


def test_exit_while_paused_cancels_and_does_not_count_forever(definition: Workflow) -> None:
    """A participant who exits during an open pause: the rule is cancelled, the plan terminates."""
    history = History().pause(local(2026, 3, 5)).fire("exit", "exited", local(2026, 3, 20))
    rule = plan(definition, history)[f"rule:{RULE}"]
    assert rule.status == DeadlineStatus.CANCELLED and rule.due_date == date(2026, 3, 31)  # paused 5–19 Mar


def test_exit_closes_the_limit_of_the_step_left(definition: Workflow) -> None:
    """Exiting from a step with a limit closes that limit (it is no longer open or paused)."""
    history = History().fire("meet", "first_meeting", local(2026, 3, 10)).fire("exit", "exited", local(2026, 3, 30))
    limit = plan(definition, history)["limit:first_meeting:2"]
    assert limit.status not in (DeadlineStatus.OPEN, DeadlineStatus.PAUSED) and limit.actions == []


def test_applies_if_decides_whether_a_rule_exists(definition: Workflow) -> None:
    """A rule with applies_if is planned only while its guards pass (case_type new), else not at all."""
    assert f"rule:{MONTH_RULE}" not in plan(definition, History())
    assert f"rule:{MONTH_RULE}" not in plan(definition, History(), {**APPLIED, "case_type": "known"})
    rule = plan(definition, History(), {**APPLIED, "case_type": "new"})[f"rule:{MONTH_RULE}"]
    assert rule.status == DeadlineStatus.OPEN and rule.owner == "coordinator"  # the rule's own owner
    assert rule.started_at == ENROLLED_AT and rule.due_date == date(2026, 4, 2)
    assert [a.kind for a in rule.actions] == [ActionKind.MISSED]  # no reminder, no ladder


def test_trigger_target_meets_a_rule(definition: Workflow) -> None:
    """A rule whose target is a trigger is met by the first firing of that trigger."""
    history = (History().fire("meet", "first_meeting", local(2026, 3, 4))
               .fire("write_plan", "plan", local(2026, 3, 20, 15)))
    rule = plan(definition, history, {**APPLIED, "case_type": "new"})[f"rule:{MONTH_RULE}"]
    assert rule.status == DeadlineStatus.MET and rule.met_at == local(2026, 3, 20, 15)


def test_plan_is_deterministic_and_ignores_deadline_events(definition: Workflow) -> None:
    """Rerunning gives the same keys and timelines; reminder/missed/escalated events change nothing."""
    history = History()
    before = plan(definition, history)
    history._add(EventType.DEADLINE_MISSED, local(2026, 3, 17), None, None, "application", {"rule": RULE})
    history._add(EventType.ESCALATED, local(2026, 3, 17), None, None, "application", {"rule": RULE, "level": 1})
    after = plan(definition, history)
    assert before == after


def test_no_events_no_deadlines(definition: Workflow) -> None:
    """An empty history plans nothing."""
    assert plan_deadlines(definition, [], APPLIED, ENROLLED_AT) == []


def test_deadline_row_progress_and_responsible_role(definition: Workflow) -> None:
    """A row performs actions in order, never twice, and the holder is the role of the highest level reached."""
    planned = plan(definition, History())[f"rule:{RULE}"]
    row = Deadline(participant_id=1, key=planned.key, rule=planned.rule, title=planned.title, owner=planned.owner,
                   started_at=planned.started_at, status=planned.status.value, due_date=planned.due_date,
                   actions=[a.to_json() for a in planned.actions])
    row.reschedule()
    assert row.next_action_at == local(2026, 3, 11)
    due = row.due_actions(local(2026, 3, 19, 9))
    assert [(a.index, a.kind, a.level) for a in due] == [(0, "reminder", 0), (1, "deadline_missed", 0),
                                                         (2, "escalated", 1), (3, "escalated", 2)]
    for action in due:
        row.mark_done(action)
    row.reschedule()
    assert (row.progress, row.level, row.next_action_at) == (4, 2, local(2026, 3, 26))
    assert row.responsible_role() == "coordinator"
    assert row.due_actions(local(2026, 3, 19, 9)) == []
    assert row.days_overdue(date(2026, 3, 19)) == 3 and row.days_overdue(date(2026, 3, 16)) == 0
    assert DeadlineAction.from_json(planned.actions[4].to_json()) == planned.actions[4]
    row.status = DeadlineStatus.MET.value
    row.reschedule()
    assert row.next_action_at is None and row.due_actions(local(2027, 1, 1)) == []
    assert row.days_overdue(date(2026, 3, 19)) == 0


@pytest.mark.parametrize("progress", [0, 1, 2, 5])
@pytest.mark.parametrize("at", [(2026, 3, 10), (2026, 3, 11, 9), (2026, 3, 17, 1), (2026, 3, 19, 9), (2027, 1, 1)])
def test_claimed_row_advances_as_the_row_does(definition: Workflow, progress: int, at: tuple[int, ...]) -> None:
    """The check's plain claimed row does what due_actions, mark_done and reschedule do to an open row."""
    planned = plan(definition, History())[f"rule:{RULE}"]
    now = local(*at)
    row = Deadline(participant_id=1, key=planned.key, rule=planned.rule, title=planned.title, owner=planned.owner,
                   started_at=planned.started_at, status=planned.status.value, due_date=planned.due_date,
                   actions=[a.to_json() for a in planned.actions], progress=progress, id=7, version=3)
    claimed = DueDeadline(7, 1, row.rule, row.title, row.due_date, row.due_at, row.actions, progress, 0, 3)
    steps, moved = claimed.advance(now)
    expected = actions_to_take(row, now)
    for action, _perform in expected:
        row.mark_done(action)
    row.reschedule()
    assert steps == expected
    assert moved == DeadlineProgress(7, 1, 3, row.progress, row.level, row.next_action_at)


def test_shipped_flen_rule_has_the_documented_timeline() -> None:
    """Flen's first_meeting_within_14_days: application 2 Mar → due 16 Mar, ladder caseworker/coordinator/steering group."""
    from pathlib import Path

    from pathway.definitions import load_file

    flen = load_file(Path(__file__).resolve().parents[2] / "workflows" / "flen_tripartite.yaml").definition
    events = [Event(seq=1, type="enrolled", effective_at=ENROLLED_AT, recorded_at=ENROLLED_AT, actor="t",
                    workflow_id="flen_tripartite", workflow_version=1, to_step="application")]
    (rule,) = [p for p in plan_deadlines(flen, events, APPLIED, ENROLLED_AT) if p.key == f"rule:{RULE}"]
    assert rule.due_date == date(2026, 3, 16)
    assert [(a.kind, a.level, a.role) for a in rule.actions] == [
        ("reminder", 0, "caseworker"), ("deadline_missed", 0, "caseworker"), ("escalated", 1, "caseworker"),
        ("escalated", 2, "coordinator"), ("escalated", 3, "steering_group"),
    ]
    assert timedelta(0) < rule.actions[1].at - start_of_stockholm_day(date(2026, 3, 16)) <= timedelta(days=1)


def start_of_stockholm_day(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=STOCKHOLM)
