"""The deadline rows a use case leaves are a full reconcile's, also when it skipped the plan (issue 10).

``services.deadlines.reconcile`` neither plans nor reads the rows after a use case whose events all
leave the plan (``engine.deadlines.leaves_plan``): that holds only if the rows are the plan's
already. After every command of random walks — triggers that move and that do not, pauses, rules
started and met by triggers and meetings, attributes, records, corrections and deadline checks
in between — the stored rows are checked to be what a full plan and reconcile leave: no row to
add, none to change.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import astuple
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from pathway.clock import FixedClock
from pathway.errors import PathwayError
from pathway.services import corrections, deadlines, records
from pathway.services.context import ServiceContext
from pathway.services.deadlines import apply_plan
from pathway.services.meetings import record_meeting
from pathway.services.participants import enrol, fire, set_attributes, typed_attributes
from pathway.engine.deadlines import plan

from .conftest import START, make_context

WORKFLOW = """\
id: planned
version: 1
title: Planned
roles:
  - {id: coach, title: Coach}
  - {id: lead, title: Lead}
attributes:
  application_date: {type: date}
  case_type: {type: choice, choices: [new, known]}
  hours: {type: number}
exit_reasons:
  - {code: work, label: Arbete, category: work}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: coach, initial: true, limit: {within: 2w, remind_before: 2d}}
  - {id: meeting, title: Möte, kind: assessment, owner: lead, limit: {within: 1w, escalation: [{after: 2wd, to: lead}]}}
  - {id: work, title: Arbete, kind: guidance, owner: coach, limit: {within: 6w}}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: meet, from: referral, to: meeting}
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
  placement_contact: {internship: 2w}
deadlines:
  - id: first_meeting
    title: Första mötet
    start: {attribute: application_date}
    target: {entered: meeting}
    within: 14d
    remind_before: 3wd
  - id: new_cases_work
    title: Nya ärenden
    start: {enrolled: true}
    target: {trigger: checkpoint}
    within: 1m
    applies_if:
      - {name: attribute_in, args: {attribute: case_type, values: [new]}}
  - id: calls
    title: Samtal
    start: {entered: meeting}
    target: {trigger: call}
    within: 1w
    every: 2w
    until: {trigger: stop_calls}
  - id: follow_ups
    title: Uppföljning
    start: {trigger: checkpoint}
    target: {meeting: follow_up}
    within: 3w
    every: 6w
"""


@pytest.fixture(autouse=True)
def planned(workflows: Path) -> None:
    (workflows / "planned.yaml").write_text(WORKFLOW, encoding="utf-8")


def _rows_are_a_full_reconciles(ctx: ServiceContext, pid: int) -> None:
    """A full plan and reconcile on the stored rows would add no row and change none."""
    with ctx.uow() as uow:
        participant = uow.participants.get(pid)
        assert participant is not None
        definition = ctx.catalog.pinned(uow, participant.workflow_id, participant.workflow_version).definition
        planned = [] if participant.status == "voided" else plan(
            definition, participant.folded, typed_attributes(ctx, uow, participant), participant.enrolled_at)
        stored = uow.deadlines.for_participant(pid)
        before = {row.key: astuple(row) for row in stored}
        added = apply_plan({row.key: row for row in stored}, planned, participant)
        assert added == []
        assert {row.key: astuple(row) for row in stored} == before


def _command(ctx: ServiceContext, clock: FixedClock, pid: int, action: str) -> None:
    """One command, correction or deadline check; a refusal (wrong step, nothing to undo …) is fine."""
    commands: dict[str, Callable[[], object]] = {
        **{trigger: (lambda t=trigger: fire(ctx, pid, t)) for trigger in (
            "meet", "start_work", "back", "call", "note", "checkpoint", "stop_calls", "sick_leave", "back_to_work")},
        "exit": lambda: fire(ctx, pid, "exit", {"reason": "work"}),
        "new": lambda: set_attributes(ctx, pid, {"case_type": "new"}),
        "known": lambda: set_attributes(ctx, pid, {"case_type": "known"}),
        "hours": lambda: set_attributes(ctx, pid, {"hours": 12}),
        "applied": lambda: set_attributes(ctx, pid, {"application_date": "2026-03-01"}),
        "follow_up": lambda: record_meeting(ctx, pid, "follow_up", ["coach:anna"]),
        "other_meeting": lambda: record_meeting(ctx, pid, "other", ["coach:anna"]),
        "consent": lambda: records.give_consent(ctx, pid, ["af", "fk"]),
        "goal": lambda: records.add_goal(ctx, pid, "Arbeta 10 timmar", by="2026-06-30"),
        "placement": lambda: records.start_placement(ctx, pid, "internship", "Bageriet", "2026-03-10"),
        "followup": lambda: records.followup_placement(ctx, pid, "p1", hours_per_week=8),
        "undo": lambda: corrections.undo_last(ctx, pid, "fel knapp"),
        "reopen": lambda: corrections.reopen(ctx, pid, "avslutad av misstag"),
        "check": lambda: deadlines.check(ctx, clock.now()),
    }
    try:
        commands[action]()
    except PathwayError:
        pass


ACTIONS = ["meet", "start_work", "back", "call", "note", "note", "checkpoint", "stop_calls", "sick_leave",
           "back_to_work", "exit", "new", "known", "hours", "applied", "follow_up", "other_meeting", "consent",
           "goal", "placement", "followup", "undo", "reopen", "check", "check"]


@settings(max_examples=10, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(walk=st.lists(st.tuples(st.sampled_from(ACTIONS), st.integers(min_value=0, max_value=12)),
                     min_size=3, max_size=16))
def test_the_rows_after_every_command_are_a_full_reconciles(engine: Engine, workflows: Path,
                                                           walk: list[tuple[str, int]]) -> None:
    clock = FixedClock(START)
    ctx = make_context(engine, workflows, clock)
    pid, _ = enrol(ctx, "planned", attributes={"application_date": "2026-03-02", "case_type": "new"})
    for action, days in walk:
        clock.advance(days=days)
        _command(ctx, clock, pid, action)
        _rows_are_a_full_reconciles(ctx, pid)


def test_a_trigger_nothing_reads_writes_no_deadline_row(engine: Engine, workflows: Path) -> None:
    """A trigger that moves nothing and that no pause or rule names leaves every deadline row as it
    was (version included) — after a deadline check has moved some of them on."""
    clock = FixedClock(START)
    ctx = make_context(engine, workflows, clock)
    pid, _ = enrol(ctx, "planned", attributes={"application_date": "2026-03-02", "case_type": "new"})
    fire(ctx, pid, "meet")
    clock.advance(days=20)
    assert deadlines.check(ctx, clock.now())
    with ctx.uow() as uow:
        before = [astuple(d) for d in uow.deadlines.for_participant(pid)]
    clock.advance(hours=1)
    fire(ctx, pid, "note")
    with ctx.uow() as uow:
        assert [astuple(d) for d in uow.deadlines.for_participant(pid)] == before
    _rows_are_a_full_reconciles(ctx, pid)
