"""Result goals beyond exit shares, on SQLite and PostgreSQL: counts per period, placement hours,
wellbeing before/after, and participants never included left out of a goal.

Each test tells its participants' stories; the expected numbers are worked out from them by hand.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock, parse_time
from pathway.definitions import validate_text
from pathway.reports import builders
from pathway.services import reporting
from pathway.services import records
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, set_attributes

from .conftest import make_context

WORKFLOW = """\
id: goals
version: 1
title: Goal test pathway
roles:
  - {id: coach, title: Coach}
attributes:
  gender: {type: choice, choices: [female, male]}
  wellbeing_start: {type: integer}
  wellbeing_end: {type: integer}
exit_reasons:
  - {code: work, label: Arbete, category: work}
  - {code: not_included, label: Ej inkluderad, category: referred}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: coach, initial: true}
  - {id: mapping, title: Kartläggning, kind: assessment, owner: coach}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: assess, from: referral, to: mapping}
  - {trigger: send_back, from: mapping, to: referral}
  - trigger: exit
    from: "*"
    to: exited
    data:
      reason: {type: exit_reason, required: true}
result_goals:
  - id: two_mapped_a_year
    title: Minst 2 kartlagda per år
    target_count: 2
    per: year
    counts: {reached_step: mapping}
  - id: one_mapped_a_quarter
    title: Minst 1 kartlagd per kvartal
    target_count: 1
    per: quarter
    counts: {reached_step: mapping}
  - id: ten_hours_within_year
    title: Minst 50 % når 10 timmar i veckan inom ett år
    target_share: 0.5
    within: 12m
    excluded_exit_reasons: [not_included]
    counts: {placement_hours_at_least: 10}
  - id: wellbeing_improved
    title: Välbefinnandet är högre vid avslut
    excluded_exit_reasons: [not_included]
    counts:
      improved: {before: wellbeing_start, after: wellbeing_end}
  - id: work_counting_everyone
    title: Arbete, alla räknas
    target_share: 0.5
    counts: {exit_reasons: [work]}
"""

NOW = "2026-11-23T12:00"


@pytest.fixture
def ctx(engine: Engine, workflows: Path) -> ServiceContext:
    (workflows / "goals.yaml").write_text(WORKFLOW, encoding="utf-8")
    return make_context(engine, workflows, FixedClock(parse_time(NOW)))


def at(when: str) -> dict[str, Any]:
    return {"at": parse_time(when), "reason": "test history"}


def person(ctx: ServiceContext, ref: str, when: str, **attributes: Any) -> None:
    enrol(ctx, "goals", ref=ref, attributes={"gender": "female", **attributes}, **at(when))


def goal_rows(ctx: ServiceContext, goal: str, **scope: Any) -> list[dict[str, Any]]:
    table = reporting.run(ctx, "goals", builders.goals, **scope)[0]
    return [r for r in table.rows if r["goal"] == goal]


def test_a_count_goal_counts_participants_in_the_period_they_reached_the_step(ctx: ServiceContext) -> None:
    """Ljusnarsberg's 'map at least 30 a year': each participant once, in the year first mapped."""
    person(ctx, "A", "2009-11-01")
    fire(ctx, "A", "assess", {}, **at("2010-01-15"))
    person(ctx, "B", "2010-02-01")
    fire(ctx, "B", "assess", {}, **at("2010-03-01"))
    fire(ctx, "B", "send_back", {}, **at("2010-04-01"))
    fire(ctx, "B", "assess", {}, **at("2010-05-01"))          # mapped again: still counted once, in 2010
    person(ctx, "C", "2010-06-01")
    fire(ctx, "C", "assess", {}, **at("2011-02-01"))
    person(ctx, "D", "2011-03-01")                             # never mapped
    years = goal_rows(ctx, "two_mapped_a_year", period_to=date(2011, 12, 31))
    assert [(r["period"], r["numerator"], r["met"]) for r in years] == [
        ("2009", 0, False), ("2010", 2, True), ("2011", 1, False)]
    assert all(r["target_count"] == 2 and r["denominator"] is None for r in years)
    running = goal_rows(ctx, "two_mapped_a_year", period_from=date(2010, 1, 1), as_of=date(2011, 6, 30))
    assert [(r["period"], r["numerator"], r["met"]) for r in running] == [("2010", 2, True), ("2011", 1, None)]
    quarters = goal_rows(ctx, "one_mapped_a_quarter", period_from=date(2010, 1, 1), period_to=date(2010, 12, 31))
    assert [(r["period"], r["numerator"]) for r in quarters] == [
        ("2010-Q1", 2), ("2010-Q2", 0), ("2010-Q3", 0), ("2010-Q4", 0)]


def test_a_placement_hours_goal_reads_the_hours_recorded_and_leaves_out_those_never_included(
        ctx: ServiceContext) -> None:
    """Kraft: 10 h/week within a year from the hours at follow-ups; not_included is left out."""
    for ref in ("P", "Q", "R", "S"):
        person(ctx, ref, "2010-01-04")
    records.start_placement(ctx, "P", "work_training", "Bageriet", "2010-02-01", hours_per_week=4, **at("2010-02-01"))
    records.followup_placement(ctx, "P", "p1", hours_per_week=12, **at("2010-06-01"))
    records.start_placement(ctx, "Q", "work_training", "Lagret", "2010-02-01", hours_per_week=8, **at("2010-02-01"))
    records.followup_placement(ctx, "Q", "p1", hours_per_week=12, **at("2011-03-01"))   # after the year
    fire(ctx, "R", "exit", {"reason": "not_included"}, **at("2010-01-20"))
    [row] = goal_rows(ctx, "ten_hours_within_year")
    assert (row["numerator"], row["denominator"], row["excluded"], row["share"], row["met"]) == (1, 3, 1, 0.3333, False)
    # R still counts in a goal that excludes nobody
    [everyone] = goal_rows(ctx, "work_counting_everyone")
    assert (everyone["denominator"], everyone["excluded"]) == (1, 0)
    [then] = goal_rows(ctx, "ten_hours_within_year", as_of=date(2010, 5, 31))
    assert (then["denominator"], then["inside_window"], then["inside_window_met"]) == (0, 3, 0)


def test_a_placement_hours_goal_reads_the_hours_as_corrected(ctx: ServiceContext) -> None:
    """12 h recorded at P's follow-up was a typo for 8, and Q's placement was recorded by mistake:
    once both are corrected, neither meets the 10-hour goal (corrections are retroactive in reports)."""
    from pathway.services import corrections
    from pathway.services.participants import history

    for ref in ("P", "Q"):
        person(ctx, ref, "2010-01-04")
        records.start_placement(ctx, ref, "work_training", "Bageriet", "2010-02-01", hours_per_week=4,
                                **at("2010-02-01"))
        records.followup_placement(ctx, ref, "p1", hours_per_week=12, **at("2010-06-01"))
    [row] = goal_rows(ctx, "ten_hours_within_year")
    assert (row["numerator"], row["denominator"]) == (2, 2)
    followup = [e.seq for e in history(ctx, "P") if e.type == "placement_followup"][0]
    corrections.correct_record(ctx, "P", followup, {"hours_per_week": "8"}, "8 h, not 12")
    started = [e.seq for e in history(ctx, "Q") if e.type == "placement_started"][0]
    corrections.strike_record(ctx, "Q", started, "no placement was agreed")
    [corrected] = goal_rows(ctx, "ten_hours_within_year")
    assert (corrected["numerator"], corrected["denominator"]) == (0, 2)


def test_a_wellbeing_goal_compares_the_two_ratings(ctx: ServiceContext) -> None:
    """Improved when the later rating is higher; a goal without a target share gets no verdict."""
    person(ctx, "W1", "2010-01-04", wellbeing_start=4)
    set_attributes(ctx, "W1", {"wellbeing_end": 7}, **at("2010-06-01"))
    person(ctx, "W2", "2010-01-04", wellbeing_start=6)
    set_attributes(ctx, "W2", {"wellbeing_end": 5}, **at("2010-06-01"))
    person(ctx, "W3", "2010-01-04", wellbeing_start=5)
    person(ctx, "W4", "2010-01-04", wellbeing_start=3)
    set_attributes(ctx, "W4", {"wellbeing_end": 3}, **at("2010-08-01"))
    fire(ctx, "W4", "exit", {"reason": "work"}, **at("2010-09-01"))
    [row] = goal_rows(ctx, "wellbeing_improved")
    # decided: W1 (improved) and W4 (exited, not improved); W2 and W3 are still open and not improved
    assert (row["numerator"], row["denominator"], row["share"], row["met"], row["inside_window"]) == (1, 2, 0.5, None, 2)
    [before] = goal_rows(ctx, "wellbeing_improved", as_of=date(2010, 5, 31))
    assert (before["numerator"], before["denominator"]) == (0, 0)


@pytest.mark.parametrize(("goal", "message"), [
    ("{id: g, title: G, target_share: 0.5, target_count: 3, counts: {reached_step: start}}", "not both"),
    ("{id: g, title: G, target_share: 0.5, per: year, counts: {reached_step: start}}", "'per' is the period"),
    ("{id: g, title: G, target_count: 3, within: 12m, counts: {reached_step: start}}", "'within' applies"),
    ("{id: g, title: G, target_share: 0.5, counts: {}}", "name what counts"),
    ("{id: g, title: G, target_share: 0.5, excluded_exit_reasons: [nope], counts: {reached_step: start}}",
     "unknown exit reason 'nope'"),
    ("{id: g, title: G, counts: {improved: {before: name, after: name}}}", "'improved' compares integer or number"),
    ("{id: g, title: G, counts: {placement_hours_at_least: 0}}", "greater than 0"),
])
def test_goal_settings_that_cannot_work_are_refused(goal: str, message: str) -> None:
    """Each goal setting is enforced or refused with a located error."""
    text = f"""\
id: tiny
version: 1
title: Liten
roles: [{{id: coach, title: Coach}}]
attributes: {{name: {{type: string}}}}
steps:
  - {{id: start, title: Start, kind: referral, owner: coach, initial: true}}
  - {{id: done, title: Klar, kind: exit, owner: coach, terminal: true}}
transitions:
  - {{trigger: finish, from: start, to: done, data: {{reason: {{type: exit_reason, required: true}}}}}}
exit_reasons: [{{code: work, label: Arbete, category: work}}]
result_goals: [{goal}]
"""
    report = validate_text(text, "tiny.yaml")
    assert any(message in line and "tiny.yaml:12:" in line for line in report.problems), report.problems
