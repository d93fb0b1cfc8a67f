"""Dimensions from what is recorded between enrolment and exit, on SQLite and PostgreSQL.

Interventions and placements (kinds, started/ended in the period, weekly hours against the goal),
the number of obstacles chosen, and a deadline rule met / missed / open. Every participant's story
is told below and each count is worked out by hand from it.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock, parse_time
from pathway.errors import InvalidValue
from pathway.reports import builders
from pathway.services import reporting
from pathway.services import records
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, set_attributes

from .conftest import make_context
from .test_reports import REPORTING_WORKFLOW

WORKFLOW = REPORTING_WORKFLOW.replace("""  obstacles: {type: multi_choice, choices: [health, language]}
""", """  obstacles: {type: multi_choice, choices: [health, language]}
  application_date: {type: date}
""").replace("""  - {id: training, title: Praktik, kind: placement, owner: coach}
""", """  - {id: training, title: Praktik, kind: placement, owner: coach, config: {target_hours_per_week: 10}}
""") + """interventions: [health_care, cbt]
deadlines:
  - id: first_meeting
    title: Första mötet inom 14 dagar från ansökan
    start: {attribute: application_date}
    target: {entered: mapping}
    within: 14d
"""

NOW = "2026-11-23T12:00"
YEAR_2010 = {"period_from": date(2010, 1, 1), "period_to": date(2010, 12, 31)}


@pytest.fixture
def rec(engine: Engine, workflows: Path) -> ServiceContext:
    (workflows / "rep.yaml").write_text(WORKFLOW, encoding="utf-8")
    return make_context(engine, workflows, FixedClock(parse_time(NOW)))


def person(ctx: ServiceContext, ref: str, at: str, **attributes: Any) -> None:
    values = {"gender": "female", "birth_date": "1980-06-15", **attributes}
    enrol(ctx, "rep", ref=ref, attributes=values, at=parse_time(at), reason="test history")


def at(when: str) -> dict[str, Any]:
    return {"at": parse_time(when), "reason": "test history"}


def counts(ctx: ServiceContext, build: builders.Builder, **scope: Any) -> dict[Any, int]:
    table = reporting.run(ctx, "rep", build, **scope)[0]
    return {r[table.dimensions[0]]: r["count"] for r in table.rows} | {"total": table.total}


def test_interventions_running_started_and_ended_in_the_period(rec: ServiceContext) -> None:
    """A participant counts once per kind of intervention, and the period decides which kinds."""
    person(rec, "A", "2009-06-01")
    person(rec, "B", "2010-02-01")
    person(rec, "C", "2010-03-01")
    person(rec, "D", "2009-01-01")
    records.start_intervention(rec, "A", "health_care", **at("2009-07-01"))      # i1: ends in 2010
    records.end_intervention(rec, "A", "i1", **at("2010-03-01"))
    records.start_intervention(rec, "A", "cbt", **at("2010-05-01"))              # i2: starts in 2010
    records.start_intervention(rec, "B", "health_care", **at("2010-02-10"))
    records.start_intervention(rec, "D", "health_care", **at("2009-02-01"))      # over before 2010
    records.end_intervention(rec, "D", "i1", **at("2009-12-01"))
    running = counts(rec, builders.participants(["intervention"], active=True), **YEAR_2010)
    assert running == {"health_care": 2, "cbt": 1, None: 2, "total": 4}
    started = counts(rec, builders.participants(["intervention_started"], active=True), **YEAR_2010)
    assert started == {"health_care": 1, "cbt": 1, None: 2, "total": 4}
    ended = counts(rec, builders.participants(["intervention_ended"], active=True), **YEAR_2010)
    assert ended == {"health_care": 1, "cbt": 0, None: 3, "total": 4}
    # read as of the end of April 2010: A's CBT had not started
    then = counts(rec, builders.participants(["intervention"], active=True), as_of=date(2010, 4, 30), **YEAR_2010)
    assert then == {"health_care": 2, "cbt": 0, None: 2, "total": 4}
    # without a period: everything recorded by the as-of day
    assert counts(rec, builders.participants(["intervention"]))["health_care"] == 3


def test_interventions_by_gender_and_exits_by_intervention(rec: ServiceContext) -> None:
    """An intervention dimension crosses with an attribute and works in the exits report too."""
    person(rec, "A", "2010-01-05")
    person(rec, "B", "2010-01-06", gender="male")
    records.start_intervention(rec, "A", "cbt", **at("2010-01-10"))
    records.start_intervention(rec, "B", "cbt", **at("2010-01-10"))
    records.start_intervention(rec, "B", "health_care", **at("2010-01-11"))
    fire(rec, "B", "exit", {"reason": "work"}, **at("2010-06-01"))
    table = reporting.run(rec, "rep", builders.participants(["intervention", "gender"]))[0]
    cells = {(r["intervention"], r["gender"]): r["count"] for r in table.rows}
    assert cells[("cbt", "female")] == 1 and cells[("cbt", "male")] == 1 and cells[("health_care", "male")] == 1
    assert table.total == 2
    exits = reporting.run(rec, "rep", builders.exits(["intervention"]))[0]
    assert {r["intervention"]: r["count"] for r in exits.rows} == {"health_care": 1, "cbt": 1}
    assert exits.total == 1


def test_placements_by_type_and_hours_reached_against_the_goal(rec: ServiceContext) -> None:
    """Weekly hours are the most recorded at the start or a follow-up, against the step's 10 h goal."""
    for ref in ("A", "B", "C", "D"):
        person(rec, ref, "2010-01-04")
    records.start_placement(rec, "A", "work_training", "Bageriet", "2010-04-01", hours_per_week=4, **at("2010-04-01"))
    records.followup_placement(rec, "A", "p1", hours_per_week=8, **at("2010-06-01"))
    records.followup_placement(rec, "A", "p1", hours_per_week=12, **at("2010-09-01"))
    records.start_placement(rec, "B", "internship", "Kommunen", "2010-03-01", **at("2010-03-01"))
    records.followup_placement(rec, "B", "p1", hours_per_week=6, **at("2010-08-01"))
    records.start_placement(rec, "C", "work_trial", "Lagret", "2010-05-01", **at("2010-05-01"))
    records.end_placement(rec, "C", "p1", **at("2010-06-30"))
    hours = counts(rec, builders.participants(["placement_hours"]))
    assert hours == {"reached": 1, "below": 1, "no_hours_recorded": 1, "no_placement": 1, "total": 4}
    then = counts(rec, builders.participants(["placement_hours"]), as_of=date(2010, 7, 1))
    assert then == {"reached": 0, "below": 1, "no_hours_recorded": 2, "no_placement": 1, "total": 4}
    lower = counts(rec, builders.participants(["placement_hours:5"]))
    assert (lower["reached"], lower["below"]) == (2, 0)
    types = counts(rec, builders.participants(["placement"]))
    assert types == {"internship": 1, "work_training": 1, "work_trial": 1, "supported_employment": 0,
                     None: 1, "total": 4}
    second_half = {"period_from": date(2010, 7, 1), "period_to": date(2010, 12, 31)}
    running = counts(rec, builders.participants(["placement"], active=True), **second_half)
    assert running == {"internship": 1, "work_training": 1, "work_trial": 0, "supported_employment": 0,
                       None: 2, "total": 4}
    ended = counts(rec, builders.participants(["placement_ended"], active=True), **YEAR_2010)
    assert ended["work_trial"] == 1 and ended[None] == 3
    label = reporting.run(rec, "rep", builders.participants(["placement_hours"]))[0].label("placement_hours", "reached")
    assert label == "Nått målet (10 h/v eller mer)"


def test_the_number_of_obstacles_chosen(rec: ServiceContext) -> None:
    """count:obstacles is how many codes were chosen (0 to all of them), as it stood on the as-of day."""
    person(rec, "A", "2010-01-04", obstacles=["health", "language"])
    person(rec, "B", "2010-01-05", obstacles=["health"])
    person(rec, "C", "2010-01-06")
    set_attributes(rec, "B", {"obstacles": ["health", "language"]}, **at("2011-02-01"))
    assert counts(rec, builders.participants(["count:obstacles"])) == {0: 0, 1: 0, 2: 2, None: 1, "total": 3}
    then = counts(rec, builders.participants(["count:obstacles"]), as_of=date(2010, 12, 31))
    assert then == {0: 0, 1: 1, 2: 1, None: 1, "total": 3}


def test_deadline_rule_met_missed_open_cancelled(rec: ServiceContext) -> None:
    """Flen's headline: whose 14-day rule was met in time; a late meeting is a miss."""
    person(rec, "A", "2009-06-01", application_date="2009-06-01")
    fire(rec, "A", "assess", {}, **at("2009-06-10"))                   # met on day 9
    person(rec, "B", "2010-02-01", application_date="2010-02-01")
    fire(rec, "B", "assess", {}, **at("2010-02-20"))                   # due 15 Feb: met late, a miss
    person(rec, "C", "2010-03-01", application_date="2010-03-01")      # never met: due 15 March
    person(rec, "D", "2010-03-02")                                     # no application date: not started
    person(rec, "E", "2010-05-01", application_date="2010-05-01")
    fire(rec, "E", "exit", {"reason": "moved"}, **at("2010-05-05"))    # left before it fell due
    now = counts(rec, builders.participants(["deadline"]))
    assert now == {"met": 1, "missed": 2, "open": 0, "cancelled": 1, "not_started": 1, "total": 5}
    then = counts(rec, builders.participants(["deadline:first_meeting"]), as_of=date(2010, 3, 10))
    assert then == {"met": 1, "missed": 1, "open": 1, "cancelled": 0, "not_started": 1, "total": 4}
    table = reporting.run(rec, "rep", builders.participants(["deadline", "gender"]))[0]
    assert table.label("deadline", "met") == "Uppfylld i tid"


@pytest.mark.parametrize(("by", "expected"), [
    (["deadline:nope"], "deadline:first_meeting"),
    (["count:gender"], "count:obstacles"),
    (["placement_hours:lots"], "between 0 and 60"),
    (["intervention:x"], "takes no argument"),
])
def test_bad_recorded_dimensions_name_the_way_out(rec: ServiceContext, by: list[str], expected: str) -> None:
    """A misspelt rule, a non-list attribute or a bad hours goal is refused with what is accepted."""
    with pytest.raises(InvalidValue, match=expected):
        reporting.run(rec, "rep", builders.participants(by))


def test_flow_split_by_a_dimension(rec: ServiceContext) -> None:
    """Flow per step and gender, and per intervention kind, where a participant with two kinds counts
    under each without its visits being taken for re-entries."""
    person(rec, "A", "2010-01-04")
    person(rec, "B", "2010-01-04", gender="male")
    person(rec, "C", "2010-01-04")
    records.start_intervention(rec, "A", "cbt", **at("2010-01-05"))
    records.start_intervention(rec, "A", "health_care", **at("2010-01-05"))
    fire(rec, "A", "assess", {}, **at("2010-01-08"))                    # 4 days in referral
    fire(rec, "B", "assess", {}, **at("2010-01-06"))                    # 2 days
    table = reporting.run(rec, "rep", builders.flow_by("gender"))[0]
    assert table.dimensions == ["step", "gender"]
    row = {(r["step"], r["gender"]): r for r in table.rows}
    assert (row[("referral", "female")]["participants"], row[("referral", "female")]["in_now"]) == (2, 1)
    assert row[("referral", "female")]["median_days"] == 4.0 and row[("referral", "male")]["median_days"] == 2.0
    assert row[("mapping", "male")]["in_now"] == 1 and row[("training", "female")]["entered"] == 0
    kinds = reporting.run(rec, "rep", builders.flow_by("intervention"))[0]
    by_kind = {(r["step"], r["intervention"]): r for r in kinds.rows}
    assert by_kind[("referral", "cbt")]["participants"] == 1 and by_kind[("referral", "cbt")]["re_entered"] == 0
    assert by_kind[("referral", "health_care")]["entered"] == 1
    assert by_kind[("referral", None)]["participants"] == 2 and by_kind[("mapping", None)]["in_now"] == 1
    assert kinds.total == 3


def test_report_all_adds_each_deadline_rule_and_the_interventions(rec: ServiceContext) -> None:
    """The funder's workbook carries Flen's headline (the rule met/missed) and the interventions."""
    person(rec, "A", "2010-01-04", application_date="2010-01-04")
    tables = reporting.run(rec, "rep", builders.everything, period_from=date(2010, 1, 1), period_to=date(2010, 12, 31))
    dimensions = [t.dimensions for t in tables if t.name == "participants"]
    assert ["deadline:first_meeting", "gender"] in dimensions and ["intervention", "gender"] in dimensions
    rule = next(t for t in tables if t.dimensions[0] == "deadline:first_meeting")
    assert rule.dimension_titles["deadline:first_meeting"] == "Frist: Första mötet inom 14 dagar från ansökan"


def test_flow_by_records_keeps_the_period_off_the_index_on_sqlite(rec: ServiceContext, engine: Engine) -> None:
    """flow --by intervention outer-joins the records: on SQLite the period's date filter is written
    '+enrolled_on' (reports.scope.unindexed), which kept the plan from scanning the records once per
    participant (14.2 s → 6.6 s at 20 000 in bench/bench_reports.py); a split by an attribute keeps
    the index, and PostgreSQL is never told."""
    from sqlalchemy import event

    person(rec, "A", "2010-01-04")
    records.start_intervention(rec, "A", "cbt", **at("2010-01-05"))
    seen: list[str] = []

    def capture(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", capture)
    try:
        by_kind = reporting.run(rec, "rep", builders.flow_by("intervention"), **YEAR_2010)[0]
        joined = [s for s in seen if "enrolled_on" in s]
        seen.clear()
        reporting.run(rec, "rep", builders.flow_by("gender"), **YEAR_2010)
        plain = [s for s in seen if "enrolled_on" in s]
    finally:
        event.remove(engine, "before_cursor_execute", capture)
    assert {(r["step"], r["intervention"]): r["participants"] for r in by_kind.rows}[("referral", "cbt")] == 1
    hinted = engine.dialect.name == "sqlite"
    assert joined and all(("+participants.enrolled_on" in s) == hinted for s in joined)
    assert plain and not any("+participants.enrolled_on" in s for s in plain)
