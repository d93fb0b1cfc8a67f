"""Deadlines as rows, on SQLite and PostgreSQL: reconciled with every event, checked exactly once.

The last test runs the check from three real processes at once against the same database.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from dataclasses import fields
from datetime import date, datetime
from pathlib import Path
from types import SimpleNamespace

import pytest
from sqlalchemy import Engine, select, text

from pathway.clock import STOCKHOLM, FixedClock
from pathway.domain import Deadline
from pathway.services.context import ServiceContext
from pathway.domain.replay import replay
from pathway.engine.deadlines import plan_deadlines
from pathway.services.deadlines import board, check
from pathway.services import meetings, records
from pathway.services.participants import enrol, history, set_attributes, show
from pathway.services.participants import fire as fire_trigger
from pathway.store.tables import events as events_table

from .conftest import DEMO_WORKFLOW, snapshot

#: Flen's meetings open by confirming consent (guards consent_confirmed_today / consent_in_force).
FLEN_MEETINGS = {"hold_first_meeting", "follow_up", "conclude"}


#: Flen's triggers into a meeting step need that meeting's record (all three parties, consent confirmed)
FLEN_MEETING_STEPS = {"hold_first_meeting": "first_meeting", "follow_up": "follow_up"}


def fire(ctx: ServiceContext, pid: int, trigger: str, data=None, at=None, reason=None):  # type: ignore[no-untyped-def]
    """Fire a trigger; before a Flen meeting, the consent is given (which confirms it) and the meeting is
    recorded, at the meeting's time."""
    if trigger in FLEN_MEETINGS and show(ctx, pid).workflow == "flen_tripartite":
        records.give_consent(ctx, pid, ["soc", "af", "labour_unit"], at=at, reason=reason)
        if trigger in FLEN_MEETING_STEPS:
            meetings.record_meeting(ctx, pid, FLEN_MEETING_STEPS[trigger], ["soc:kim", "af:anna", "labour_unit:ali"],
                                    consent_confirmed=True, at=at, reason=reason)
    return fire_trigger(ctx, pid, trigger, data, at=at, reason=reason)

REPO = Path(__file__).resolve().parents[2]
FLEN = "flen_tripartite"
RULE = "first_meeting_within_14_days"

#: A step limit in working days with an escalation, and sick leave that stops the clocks.
LEAVE_WORKFLOW = """\
id: leave
version: 1
title: Sjukskrivning under arbetsträning
roles:
  - {id: caseworker, title: Handläggare}
  - {id: coordinator, title: Samordnare}
attributes:
  gender: {type: choice, choices: [female, male, other]}
exit_reasons:
  - {code: work, label: Arbete, category: work}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: caseworker, initial: true}
  - id: training
    title: Arbetsträning
    kind: placement
    owner: caseworker
    limit:
      within: 10wd
      escalation:
        - {after: 0d, to: coordinator}
  - {id: exited, title: Avslut, kind: exit, owner: coordinator, terminal: true}
transitions:
  - {trigger: start_training, from: referral, to: training}
  - {trigger: sick_leave, from: "*"}
  - {trigger: back_to_work, from: "*"}
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
pauses: {pause: [sick_leave], resume: [back_to_work]}
"""

#: Three deadline rows per participant (two rules and a stall limit), all long past due in June.
CROWD_WORKFLOW = """\
id: crowd
version: 1
title: Många deltagare
roles:
  - {id: caseworker, title: Handläggare}
  - {id: coordinator, title: Samordnare}
  - {id: steering_group, title: Styrgrupp}
attributes:
  application_date: {type: date}
exit_reasons:
  - {code: work, label: Arbete, category: work}
steps:
  - id: application
    title: Ansökan
    kind: referral
    owner: caseworker
    initial: true
    limit:
      within: 10d
      escalation: [{after: 0d, to: coordinator}]
  - {id: first_meeting, title: Första mötet, kind: meeting, owner: caseworker}
  - {id: exited, title: Avslut, kind: exit, owner: coordinator, terminal: true}
transitions:
  - {trigger: meet, from: application, to: first_meeting}
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
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
  - id: met_within_a_month
    title: Möte inom en månad
    start: {enrolled: true}
    target: {entered: first_meeting}
    within: 1m
    escalation: [{after: 0d, to: coordinator}]
"""


#: A rule that applies only to new cases (applies_if), so an attribute change can switch it off.
REVIEW_WORKFLOW = """\
id: review
version: 1
title: Nya ärenden
roles:
  - {id: caseworker, title: Handläggare}
attributes:
  case_type: {type: choice, choices: [new, known]}
exit_reasons:
  - {code: work, label: Arbete, category: work}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: caseworker, initial: true}
  - {id: mapping, title: Kartläggning, kind: assessment, owner: caseworker}
  - {id: exited, title: Avslut, kind: exit, owner: caseworker, terminal: true}
transitions:
  - {trigger: assess, from: referral, to: mapping}
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
deadlines:
  - id: new_cases_mapped_in_two_weeks
    title: Nya ärenden kartläggs inom två veckor
    start: {enrolled: true}
    target: {entered: mapping}
    within: 14d
    applies_if:
      - {name: attribute_in, args: {attribute: case_type, values: [new]}}
"""


@pytest.fixture
def workflows(tmp_path: Path) -> Path:
    """The demo workflow, the shipped Flen workflow, and the inline ones of this module."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "demo.yaml").write_text(DEMO_WORKFLOW, encoding="utf-8")
    shutil.copy(REPO / "workflows" / "flen_tripartite.yaml", folder / "flen_tripartite.yaml")
    (folder / "leave.yaml").write_text(LEAVE_WORKFLOW, encoding="utf-8")
    (folder / "crowd.yaml").write_text(CROWD_WORKFLOW, encoding="utf-8")
    (folder / "review.yaml").write_text(REVIEW_WORKFLOW, encoding="utf-8")
    return folder


def local(y: int, m: int, d: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(y, m, d, hour, minute, tzinfo=STOCKHOLM)


def rows(ctx: ServiceContext, pid: int) -> dict[str, SimpleNamespace]:
    """The participant's deadline rows as plain values, read in one unit of work."""
    with ctx.uow() as uow:
        return {d.key: SimpleNamespace(**{f.name: getattr(d, f.name) for f in fields(Deadline)})
                for d in uow.deadlines.for_participant(pid)}


def deadline_events(ctx: ServiceContext, pid: int, rule: str | None = None) -> list[tuple[str, int, str, datetime]]:
    """(type, level, role, effective_at) of the events the checks appended, in order."""
    return [(e.type, e.data["level"], e.data["role"], e.effective_at) for e in history(ctx, pid)
            if e.type in ("reminder", "deadline_missed", "escalated") and (rule is None or e.data["rule"] == rule)]


def enrol_flen(ctx: ServiceContext, application_date: str = "2026-03-02", ref: str | None = None) -> int:
    pid, _ = enrol(ctx, FLEN, ref=ref, attributes={"gender": "female", "application_date": application_date})
    return pid


# -- the 14-day rule through the services ------------------------------------------------------------


def test_enrolment_with_an_application_date_opens_the_fourteen_day_rule(ctx: ServiceContext) -> None:
    """Enrolling in Flen writes one open rule row: due 16 Mar, next action the reminder on 11 Mar."""
    pid = enrol_flen(ctx)
    row = rows(ctx, pid)[f"rule:{RULE}"]
    assert (row.status, row.rule, row.owner, row.workflow_id) == ("open", RULE, "caseworker", FLEN)
    assert row.due_date == date(2026, 3, 16) and row.due_at == local(2026, 3, 17)
    assert row.next_action_at == local(2026, 3, 11) and (row.progress, row.level) == (0, 0)
    assert [a["kind"] for a in row.actions] == ["reminder", "deadline_missed", "escalated", "escalated", "escalated"]


def test_fourteen_day_rule_met_when_the_meeting_is_held_in_time(ctx: ServiceContext, clock: FixedClock) -> None:
    """A first meeting on 10 Mar meets the rule: the row is met and later checks append nothing for it."""
    pid = enrol_flen(ctx)
    clock.set(local(2026, 3, 10, 13))
    fire(ctx, pid, "hold_first_meeting")
    row = rows(ctx, pid)[f"rule:{RULE}"]
    assert row.status == "met" and row.met_at == local(2026, 3, 10, 13) and row.next_action_at is None
    clock.set(local(2026, 4, 30, 9))
    check(ctx)
    assert deadline_events(ctx, pid, RULE) == []


def test_fourteen_day_rule_missed_appends_miss_and_level_one(ctx: ServiceContext, clock: FixedClock) -> None:
    """A check after the due date appends deadline_missed and escalated level 1, effective at the action time."""
    pid = enrol_flen(ctx, ref="FL-1")
    clock.set(local(2026, 3, 17, 0, 1))
    actions = check(ctx)
    assert [(a.participant_id, a.ref, a.rule, a.kind, a.level, a.role) for a in actions] == [
        (pid, "FL-1", RULE, "deadline_missed", 0, "caseworker"),
        (pid, "FL-1", RULE, "escalated", 1, "caseworker"),
    ]  # the reminder overtaken by the miss is skipped, not sent late
    assert all(a.action_at == local(2026, 3, 17) and a.due_date == date(2026, 3, 16) for a in actions)
    appended = [e for e in history(ctx, pid) if e.seq > 1]
    assert [(e.seq, e.type) for e in appended] == [(2, "deadline_missed"), (3, "escalated")]
    for event in appended:
        assert event.effective_at == local(2026, 3, 17) and event.recorded_at == local(2026, 3, 17, 0, 1)
        assert event.from_step == event.to_step == "application" and event.trigger is None
        assert event.data["rule"] == RULE and event.data["due_date"] == "2026-03-16"
    assert [a.event_seq for a in actions] == [2, 3]
    row = rows(ctx, pid)[f"rule:{RULE}"]
    assert (row.status, row.progress, row.level) == ("open", 3, 1)
    assert row.next_action_at == local(2026, 3, 19)
    (line,) = board(ctx)
    assert (line.participant_id, line.rule, line.days_overdue, line.level, line.owner) == (pid, RULE, 1, 1, "caseworker")


def test_meeting_recorded_afterwards_with_at_meets_the_rule(ctx: ServiceContext, clock: FixedClock) -> None:
    """A meeting held 13 Mar but recorded on 18 Mar (after the due date) with --at meets the rule: no miss."""
    pid = enrol_flen(ctx)
    clock.set(local(2026, 3, 18, 8))
    fire(ctx, pid, "hold_first_meeting", at=local(2026, 3, 13, 10), reason="registreras i efterhand")
    row = rows(ctx, pid)[f"rule:{RULE}"]
    assert row.status == "met" and row.met_at == local(2026, 3, 13, 10)
    check(ctx)
    clock.set(local(2026, 4, 30))
    check(ctx)
    assert deadline_events(ctx, pid, RULE) == []
    meeting = [e for e in history(ctx, pid) if e.trigger == "hold_first_meeting"][0]
    assert meeting.effective_at == local(2026, 3, 13, 10) and meeting.recorded_at == local(2026, 3, 18, 8)


def test_meeting_after_a_miss_stops_the_ladder(ctx: ServiceContext, clock: FixedClock) -> None:
    """Once missed, holding the meeting late meets the rule: the miss stays in history, no further levels."""
    pid = enrol_flen(ctx)
    clock.set(local(2026, 3, 17, 9))
    assert len(check(ctx)) == 2
    clock.set(local(2026, 3, 18, 9))
    fire(ctx, pid, "hold_first_meeting")
    assert rows(ctx, pid)[f"rule:{RULE}"].status == "met"
    clock.set(local(2026, 3, 30, 9))
    check(ctx)
    assert [t for t, *_ in deadline_events(ctx, pid, RULE)] == ["deadline_missed", "escalated"]


def test_full_escalation_ladder_over_time(ctx: ServiceContext, clock: FixedClock) -> None:
    """Reminder 11 Mar, miss + level 1 on 17 Mar, level 2 (coordinator) 19 Mar, level 3 (steering group) 26 Mar; then nothing."""
    pid = enrol_flen(ctx)
    steps = [
        (local(2026, 3, 10, 23, 59), [], 0, "caseworker"),
        (local(2026, 3, 11, 9), [("reminder", 0, "caseworker")], 0, "caseworker"),
        (local(2026, 3, 16, 23, 59), [], 0, "caseworker"),
        (local(2026, 3, 17, 9), [("deadline_missed", 0, "caseworker"), ("escalated", 1, "caseworker")], 1, "caseworker"),
        (local(2026, 3, 19, 9), [("escalated", 2, "coordinator")], 2, "coordinator"),
        (local(2026, 3, 25, 9), [], 2, "coordinator"),
        (local(2026, 3, 26, 9), [("escalated", 3, "steering_group")], 3, "steering_group"),
        (local(2026, 6, 1), [], 3, "steering_group"),
    ]
    for now, expected, level, holder in steps:
        clock.set(now)
        assert [(a.kind, a.level, a.role) for a in check(ctx)] == expected, now
        (line,) = board(ctx)
        assert (line.level, line.owner) == (level, holder), now
    assert deadline_events(ctx, pid) == [
        ("reminder", 0, "caseworker", local(2026, 3, 11)),
        ("deadline_missed", 0, "caseworker", local(2026, 3, 17)),
        ("escalated", 1, "caseworker", local(2026, 3, 17)),
        ("escalated", 2, "coordinator", local(2026, 3, 19)),
        ("escalated", 3, "steering_group", local(2026, 3, 26)),
    ]
    row = rows(ctx, pid)[f"rule:{RULE}"]
    assert (row.status, row.progress, row.level, row.next_action_at) == ("open", 5, 3, None)
    assert board(ctx)[0].days_overdue == (date(2026, 6, 1) - date(2026, 3, 16)).days


def test_a_second_check_at_the_same_time_does_nothing_and_writes_nothing(
    ctx: ServiceContext, clock: FixedClock, engine: Engine
) -> None:
    """Idempotence: checking again at the same time (or earlier) returns nothing and changes no row."""
    pids = [enrol_flen(ctx), enrol_flen(ctx, "2026-03-05")]
    clock.set(local(2026, 3, 20, 9))
    first = check(ctx)
    assert len(first) == 5  # one participant: miss + levels 1–2; the other: miss + level 1
    assert {a.participant_id for a in first} == set(pids)
    before = snapshot(engine)
    assert check(ctx) == []
    assert check(ctx, now=local(2026, 3, 18)) == []
    assert snapshot(engine) == before


def test_correcting_the_application_date_moves_the_due_date(ctx: ServiceContext, clock: FixedClock) -> None:
    """Setting application_date again recomputes the open rule (reconcile in the same use case)."""
    pid = enrol_flen(ctx)
    clock.set(local(2026, 3, 4, 9))
    set_attributes(ctx, pid, {"application_date": "2026-03-04"})
    row = rows(ctx, pid)[f"rule:{RULE}"]
    assert row.due_date == date(2026, 3, 18) and row.next_action_at == local(2026, 3, 13)


def test_deadline_rows_stay_one_per_key_across_many_events(ctx: ServiceContext, clock: FixedClock) -> None:
    """Reconciling after every event updates rows in place: one row per key, a new key per step entry."""
    pid = enrol_flen(ctx)
    for day, trigger in [(5, "hold_first_meeting"), (9, "write_plan"), (12, "follow_up"), (20, "follow_up")]:
        clock.set(local(2026, 3, day, 10))
        fire(ctx, pid, trigger, {"plan_signed": True} if (trigger, day) == ("follow_up", 12) else None)
    keyed = {k: v for k, v in rows(ctx, pid).items() if not k.startswith("rule:follow_up_meetings:")}
    # keys carry the seq of the entering event (each meeting is preceded by its consent and record events)
    assert sorted(keyed) == sorted([f"rule:{RULE}", "limit:first_meeting:4", "limit:action_plan:5",
                                    "limit:follow_up:8", "limit:follow_up:11"])
    assert [keyed[k].status for k in sorted(keyed)] == ["met", "met", "open", "met", "met"]
    assert keyed["limit:follow_up:11"].due_date == date(2026, 5, 1)  # 20 Mar + 6w


# -- pauses ---------------------------------------------------------------------------------------------


def test_sick_leave_during_a_step_limit_pauses_it_then_moves_the_due_date(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    """A sick leave Thu 5 – Tue 10 Mar stops a 10wd limit (no actions meanwhile) and moves it 16 → 19 Mar."""
    pid, _ = enrol(ctx, "leave", attributes={"gender": "male"})
    clock.set(local(2026, 3, 2, 10))
    fire(ctx, pid, "start_training")
    key = "limit:training:2"
    assert rows(ctx, pid)[key].due_date == date(2026, 3, 16)

    clock.set(local(2026, 3, 5, 9))
    fire(ctx, pid, "sick_leave")
    row = rows(ctx, pid)[key]
    assert (row.status, row.due_date, row.due_at, row.next_action_at) == ("paused", None, None, None)
    (line,) = board(ctx)
    assert (line.status, line.due_date, line.days_overdue) == ("paused", None, 0)
    assert check(ctx, now=local(2026, 3, 9, 12)) == []  # past nothing while paused

    clock.set(local(2026, 3, 10, 9))
    fire(ctx, pid, "back_to_work")
    row = rows(ctx, pid)[key]
    assert (row.status, row.due_date) == ("open", date(2026, 3, 19))  # + the 3 working days 5, 6, 9 Mar
    assert row.next_action_at == local(2026, 3, 20)
    assert show(ctx, pid).step == "training"  # pausing did not move the participant

    clock.set(local(2026, 3, 19, 23, 59))
    assert check(ctx) == []
    clock.set(local(2026, 3, 20, 0, 1))
    assert [(a.kind, a.level, a.role) for a in check(ctx)] == [("deadline_missed", 0, "caseworker"),
                                                              ("escalated", 1, "coordinator")]
    assert board(ctx)[0].owner == "coordinator"


def test_paused_rule_resumes_with_its_due_date_moved(ctx: ServiceContext, clock: FixedClock) -> None:
    """Flen's leave_starts / leave_ends pause the 14-day rule; the due date moves by the calendar days on leave."""
    pid = enrol_flen(ctx)
    clock.set(local(2026, 3, 6, 9))
    fire(ctx, pid, "leave_starts", {"leave_type": "sick_leave"})
    assert rows(ctx, pid)[f"rule:{RULE}"].status == "paused"
    clock.set(local(2026, 3, 11, 9))
    fire(ctx, pid, "leave_ends")
    row = rows(ctx, pid)[f"rule:{RULE}"]
    assert (row.status, row.due_date) == ("open", date(2026, 3, 21))  # 6–10 Mar: 5 days


# -- what caseworkers see, and exits -----------------------------------------------------------------------


def test_participant_show_lists_the_open_deadlines(ctx: ServiceContext, clock: FixedClock) -> None:
    """`participant show` lists running deadlines with due date, days overdue, level and holder; met ones drop off."""
    pid = enrol_flen(ctx)
    clock.set(local(2026, 3, 19, 9))
    check(ctx)
    view = show(ctx, pid)
    assert [(d.rule, d.status, d.due_date, d.days_overdue, d.level, d.owner) for d in view.deadlines] == [
        (RULE, "open", date(2026, 3, 16), 3, 2, "coordinator")
    ]
    shown = view.to_json()["deadlines"]
    assert shown[0]["rule"] == RULE and shown[0]["due_date"] == "2026-03-16" and shown[0]["owner"] == "coordinator"
    fire(ctx, pid, "hold_first_meeting")
    assert [(d.rule, d.due_date) for d in show(ctx, pid).deadlines] == [("limit:first_meeting", date(2026, 3, 26))]


def test_exit_cancels_the_open_rule_and_nothing_fires_afterwards(ctx: ServiceContext, clock: FixedClock) -> None:
    """Exiting before the first meeting cancels the rule row (closed_at = exit time); later checks append nothing."""
    pid = enrol_flen(ctx)
    clock.set(local(2026, 3, 9, 14))
    fire(ctx, pid, "exit", {"reason": "work"})
    row = rows(ctx, pid)[f"rule:{RULE}"]
    assert (row.status, row.closed_at, row.next_action_at) == ("cancelled", local(2026, 3, 9, 14), None)
    assert show(ctx, pid).deadlines == [] and board(ctx) == []
    clock.set(local(2026, 6, 1))
    assert check(ctx) == []
    assert deadline_events(ctx, pid) == []


def test_exit_closes_a_running_step_limit(ctx: ServiceContext, clock: FixedClock) -> None:
    """Exiting from a step with a running limit closes it: no open or paused rows, no actions later."""
    pid, _ = enrol(ctx, "leave", attributes={"gender": "other"})
    clock.set(local(2026, 3, 3, 9))
    fire(ctx, pid, "start_training")
    clock.set(local(2026, 3, 5, 9))
    fire(ctx, pid, "sick_leave")
    clock.set(local(2026, 3, 6, 9))
    fire(ctx, pid, "exit", {"reason": "work"})
    assert all(r.status not in ("open", "paused") and r.next_action_at is None for r in rows(ctx, pid).values())
    assert board(ctx) == [] and check(ctx, now=local(2026, 6, 1)) == []


# -- rows stay a projection of the history --------------------------------------------------------------


def test_rows_and_projection_agree_with_the_history_after_checks_and_pauses(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    """After checks, a leave and late records, replay gives the participant row and plan_deadlines gives the rows."""
    pid = enrol_flen(ctx)
    clock.set(local(2026, 3, 17, 9))
    check(ctx)
    fire(ctx, pid, "hold_first_meeting", at=local(2026, 3, 16, 15), reason="glömt att registrera")
    clock.set(local(2026, 3, 20, 9))
    fire(ctx, pid, "leave_starts", {"leave_type": "parental_leave"})
    clock.set(local(2026, 3, 25, 9))
    fire(ctx, pid, "leave_ends")
    clock.set(local(2026, 4, 10, 9))
    check(ctx)
    with ctx.uow() as uow:
        participant = uow.participants.get(pid)
        assert participant is not None
        events = uow.participants.history(pid)
        state = replay(events, {"exited"})
        assert {key: getattr(participant, key) for key in state} == state
        loaded = ctx.catalog.pinned(uow, FLEN, participant.workflow_version)
        planned = {p.key: p for p in plan_deadlines(loaded.definition, events, {"application_date": date(2026, 3, 2)},
                                                    participant.enrolled_at)}
        stored = {d.key: (d.status, d.due_date, d.met_at) for d in uow.deadlines.for_participant(pid)}
    assert stored == {k: (p.status.value, p.due_date, p.met_at) for k, p in planned.items()}
    assert stored["limit:first_meeting:6"] == ("open", date(2026, 3, 28), None)  # 16 Mar + 1w + 5 days on leave


def test_applies_if_is_re_evaluated_when_attributes_change(ctx: ServiceContext, clock: FixedClock) -> None:
    """A rule for new cases disappears (cancelled) when the case turns out to be known, and comes back."""
    pid, _ = enrol(ctx, "review", attributes={"case_type": "new"})
    key = "rule:new_cases_mapped_in_two_weeks"
    assert rows(ctx, pid)[key].status == "open"
    clock.set(local(2026, 3, 10, 9))
    set_attributes(ctx, pid, {"case_type": "known"})
    row = rows(ctx, pid)[key]
    assert (row.status, row.next_action_at) == ("cancelled", None)
    assert check(ctx, now=local(2026, 4, 1)) == []
    clock.set(local(2026, 3, 11, 9))
    set_attributes(ctx, pid, {"case_type": "new"})
    row = rows(ctx, pid)[key]
    assert (row.status, row.due_date, row.closed_at) == ("open", date(2026, 3, 16), None)


def test_rule_cancelled_by_an_attribute_change_is_closed_at_that_change(ctx: ServiceContext, clock: FixedClock) -> None:
    """closed_at of a rule switched off by applies_if is the effective time of the change that switched it off."""
    pid, _ = enrol(ctx, "review", attributes={"case_type": "new"})
    clock.set(local(2026, 3, 10, 9))
    set_attributes(ctx, pid, {"case_type": "known"})
    assert rows(ctx, pid)["rule:new_cases_mapped_in_two_weeks"].closed_at == local(2026, 3, 10, 9)


# -- three real processes checking at once ----------------------------------------------------------------


def _cli_url(engine: Engine) -> str:
    """A --db URL reaching this test's database (for PostgreSQL: its schema, through search_path)."""
    if engine.dialect.name == "sqlite":
        return engine.url.render_as_string(hide_password=False)
    with engine.connect() as conn:
        schema = conn.execute(text("SELECT current_schema()")).scalar_one()
    assert schema.startswith("pathway_test_")
    url = engine.url.update_query_dict({"options": f"-csearch_path={schema}"})
    return url.render_as_string(hide_password=False)


@pytest.mark.parametrize("backend", [pytest.param("postgresql", marks=pytest.mark.postgres)])
def test_postgres_url_with_search_path_reaches_the_test_schema(engine: Engine) -> None:
    """The --db URL built for subprocesses points psycopg 3 (through make_engine) at the test's own schema."""
    from pathway.store import make_engine

    other = make_engine(_cli_url(engine))
    try:
        with other.connect() as conn, engine.connect() as mine:
            assert conn.execute(text("SELECT current_schema()")).scalar_one() == \
                mine.execute(text("SELECT current_schema()")).scalar_one()
    finally:
        other.dispose()


PARTICIPANTS = 200
PER_PARTICIPANT = {  # (rule, kind, level) each participant must get exactly once
    (RULE, "deadline_missed", 0), (RULE, "escalated", 1), (RULE, "escalated", 2), (RULE, "escalated", 3),
    ("met_within_a_month", "deadline_missed", 0), ("met_within_a_month", "escalated", 1),
    ("limit:application", "deadline_missed", 0), ("limit:application", "escalated", 1),
}


def test_three_processes_checking_at_once_escalate_each_deadline_exactly_once(
    ctx: ServiceContext, engine: Engine, workflows: Path, tmp_path: Path
) -> None:
    """Three `deadlines check` processes on one database: every action is one event, reported by one process."""
    pids = [enrol(ctx, "crowd", attributes={"application_date": "2026-03-02"})[0] for _ in range(PARTICIPANTS)]
    env = {k: v for k, v in os.environ.items() if not k.startswith("PATHWAY_")}
    env["PATHWAY_ACTOR"] = "checker"
    command = [sys.executable, "-m", "pathway", "--db", _cli_url(engine), "--workflows", str(workflows),
               "--now", "2026-06-01T09:00", "deadlines", "check", "--format", "json"]
    procs = [subprocess.Popen(command, cwd=tmp_path, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                              text=True) for _ in range(3)]
    outputs = []
    for proc in procs:
        out, err = proc.communicate(timeout=180)
        assert proc.returncode == 0, err
        assert "Traceback" not in err, err
        outputs.append(json.loads(out))

    expected = {(pid, *action) for pid in pids for action in PER_PARTICIPANT}
    reported = [(a["participant_id"], a["rule"], a["kind"], a["level"]) for out in outputs for a in out]
    assert len(reported) == len(set(reported)), "an action was reported by two processes"
    assert set(reported) == expected
    for out in outputs:
        for action in out:
            assert {"participant_id", "rule", "kind", "level", "due_at", "event_seq"} <= set(action)

    with engine.connect() as conn:
        stored = [(r.participant_id, r.data["rule"], r.type, r.data["level"]) for r in conn.execute(
            select(events_table.c.participant_id, events_table.c.type, events_table.c.data)
            .where(events_table.c.type.in_(["reminder", "deadline_missed", "escalated"])))]
        seqs = conn.execute(text("SELECT participant_id, seq FROM events")).all()
    assert len(stored) == len(set(stored)) == len(expected)
    assert set(stored) == expected
    assert len(seqs) == len(set(seqs)) == PARTICIPANTS * (1 + len(PER_PARTICIPANT))

    again = subprocess.run(command, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
    assert again.returncode == 0 and json.loads(again.stdout) == []

