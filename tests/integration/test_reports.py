"""Reports from the history, on SQLite and PostgreSQL: cross-tabs, --as-of, goals, flow, outcomes.

Participants are enrolled and moved through the real services with a fixed clock, so every count
below is worked out by hand from the story each test tells.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock, parse_time
from pathway.errors import InvalidValue, UnknownWorkflow
from pathway.reports import builders
from pathway.services import reporting
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, set_attributes

from .conftest import make_context, snapshot

REPORTING_WORKFLOW = """\
id: rep
version: 1
title: Report test pathway
roles:
  - {id: coach, title: Coach}
attributes:
  gender: {type: choice, choices: [female, male]}
  birth_date: {type: date}
  income_source: {type: choice, choices: [social_assistance, salary, none]}
  af_code: {type: string}
  born_abroad: {type: boolean}
  obstacles: {type: multi_choice, choices: [health, language]}
exit_reasons:
  - {code: work, label: Arbete, category: work}
  - {code: studies, label: Studier, category: studies}
  - {code: moved, label: Flyttat, category: moved}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: coach, initial: true}
  - {id: mapping, title: Kartläggning, kind: assessment, owner: coach}
  - {id: training, title: Praktik, kind: placement, owner: coach}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: assess, from: referral, to: mapping}
  - {trigger: send_back, from: mapping, to: referral}
  - {trigger: place, from: mapping, to: training}
  - trigger: exit
    from: "*"
    to: exited
    data:
      reason: {type: exit_reason, required: true}
      outcomes: {type: exit_reasons}
      income_source_at_exit: {type: choice, choices: [social_assistance, salary, none]}
      af_code_at_exit: {type: string}
result_goals:
  - id: work_within_year
    title: Minst 50 % till arbete eller studier inom 12 månader
    target_share: 0.5
    within: 12m
    counts: {exit_categories: [work, studies]}
  - id: reached_training
    title: Alla når praktik
    target_share: 1.0
    counts: {reached_step: training}
"""

NOW = "2026-11-23T12:00"


@pytest.fixture
def rep(engine: Engine, workflows: Path) -> ServiceContext:
    (workflows / "rep.yaml").write_text(REPORTING_WORKFLOW, encoding="utf-8")
    return make_context(engine, workflows, FixedClock(parse_time(NOW)))


def person(ctx: ServiceContext, ref: str, at: str, gender: str = "female", born: str = "1980-06-15",
           **attributes: Any) -> int:
    values = {"gender": gender, "birth_date": born, "income_source": "social_assistance", "af_code": "11",
              **attributes}
    participant_id, _note = enrol(ctx, "rep", ref=ref, attributes=values, at=parse_time(at), reason="test history")
    return participant_id


def move(ctx: ServiceContext, ref: str, trigger: str, at: str, **data: Any) -> None:
    fire(ctx, ref, trigger, data, at=parse_time(at), reason="test history")


def rows(table: Any, **match: Any) -> int:
    """The count of the one row matching every given dimension value."""
    found = [r for r in table.rows if all(r[k] == v for k, v in match.items())]
    assert len(found) == 1, (match, table.rows)
    return found[0]["count"]


def report(ctx: ServiceContext, build: builders.Builder, **scope: Any) -> Any:
    return reporting.run(ctx, "rep", build, **scope)[0]


def test_participants_by_age_band_and_gender_counts_age_at_enrolment(rep: ServiceContext) -> None:
    person(rep, "A", "2009-06-14", born="1984-06-15")            # 24 the day before the birthday
    person(rep, "B", "2009-06-15", born="1984-06-15")            # 25 on it
    person(rep, "C", "2010-01-10", gender="male", born="1950-01-01")  # 60
    table = report(rep, builders.participants(["age_band", "gender"]))
    assert table.dimensions == ["age_band", "gender"]
    assert rows(table, age_band="18-24", gender="female") == 1
    assert rows(table, age_band="25-29", gender="female") == 1
    assert rows(table, age_band="60-", gender="male") == 1
    assert rows(table, age_band="30-39", gender="male") == 0     # declared cells are there with 0
    assert len(table.rows) == 6 * 2
    assert table.total == 3
    custom = report(rep, builders.participants(["age_band"]), age_bands=(20, 25))
    assert [r["age_band"] for r in custom.rows] == ["20-24", "25-"]
    assert [r["count"] for r in custom.rows] == [1, 2]


def test_period_uses_the_swedish_day_of_enrolment(rep: ServiceContext) -> None:
    person(rep, "LATE", "2010-12-31T23:30")                       # 22:30 UTC: still 2010 in Sweden
    person(rep, "NEWYEAR", "2011-01-01T00:30")                    # 23:30 UTC on 31 Dec: 2011 in Sweden
    table = report(rep, builders.participants(["year"]), period_from=date(2010, 1, 1), period_to=date(2010, 12, 31))
    assert table.rows == [{"year": "2010", "count": 1}] and table.total == 1
    both = report(rep, builders.participants(["year"]))
    assert {r["year"]: r["count"] for r in both.rows} == {"2010": 1, "2011": 1}


def test_boolean_and_string_attributes_and_missing_values(rep: ServiceContext) -> None:
    person(rep, "A", "2010-01-10", born_abroad=True, af_code="11")
    person(rep, "B", "2010-01-11", born_abroad=False, af_code="70")
    person(rep, "C", "2010-01-12", af_code="11")
    table = report(rep, builders.participants(["born_abroad", "af_code"]))
    assert rows(table, born_abroad=True, af_code="11") == 1
    assert rows(table, born_abroad=False, af_code="70") == 1
    assert rows(table, born_abroad=None, af_code="11") == 1       # not recorded is a row of its own
    assert table.total == 3


def test_multi_choice_counts_each_participant_once_per_code(rep: ServiceContext) -> None:
    person(rep, "A", "2010-01-10", obstacles=["health", "language"])
    person(rep, "B", "2010-01-11", gender="male", obstacles=["health"])
    person(rep, "C", "2010-01-12")
    set_attributes(rep, "B", {"obstacles": ["language"]}, at=parse_time("2011-05-01"), reason="re-assessed")
    table = report(rep, builders.participants(["obstacles", "gender"]))
    assert rows(table, obstacles="health", gender="female") == 1
    assert rows(table, obstacles="language", gender="female") == 1
    assert rows(table, obstacles="language", gender="male") == 1
    assert rows(table, obstacles=None, gender="female") == 1        # C recorded none
    assert table.total == 3 and "several may apply" in table.notes[0]
    then = report(rep, builders.participants(["obstacles"]), as_of=date(2010, 12, 31))
    assert {r["obstacles"]: r["count"] for r in then.rows} == {"health": 2, "language": 1, None: 1}


def test_exits_by_reason_with_the_open_row_at_period_end(rep: ServiceContext) -> None:
    person(rep, "A", "2007-04-02")
    person(rep, "B", "2007-05-02", gender="male")
    person(rep, "C", "2007-06-02", gender="male")
    person(rep, "D", "2008-02-02")                                 # enrolled after the period
    move(rep, "A", "exit", "2007-10-01", reason="work")
    move(rep, "B", "exit", "2008-03-01", reason="studies")         # open at the end of 2007
    table = report(rep, builders.exits(["reason", "gender"], with_open=True),
                   period_from=date(2007, 1, 1), period_to=date(2007, 12, 31))
    assert rows(table, reason="work", gender="female") == 1
    assert rows(table, reason="studies", gender="male") == 0
    assert rows(table, reason="open_at_period_end", gender="male") == 2
    assert table.total == 3
    plain = report(rep, builders.exits(["reason"]), period_from=date(2007, 1, 1), period_to=date(2007, 12, 31))
    assert plain.total == 1 and "open_at_period_end" not in {r["reason"] for r in plain.rows}
    by_year = report(rep, builders.exits(["exit_year"]))
    assert {r["exit_year"]: r["count"] for r in by_year.rows} == {"2007": 1, "2008": 1}


def test_as_of_reads_the_history_as_it_stood_then(rep: ServiceContext) -> None:
    person(rep, "A", "2010-01-10", gender="female")
    person(rep, "B", "2010-02-10", gender="male")
    person(rep, "LATER", "2011-03-01")
    move(rep, "A", "assess", "2010-03-01")
    move(rep, "A", "exit", "2011-02-01", reason="work")
    set_attributes(rep, "B", {"gender": "female"}, at=parse_time("2011-01-15"), reason="mistyped at enrolment")
    then = date(2010, 12, 31)
    status = report(rep, builders.participants(["status", "gender"]), as_of=then)
    assert rows(status, status="open", gender="female") == 1       # A had not exited yet
    assert rows(status, status="open", gender="male") == 1         # B was recorded as male then
    assert status.total == 2                                       # LATER was not enrolled yet
    steps = report(rep, builders.participants(["step"]), as_of=then)
    assert rows(steps, step="mapping") == 1 and rows(steps, step="referral") == 1
    exits = report(rep, builders.exits(["reason"]), as_of=then)
    assert exits.total == 0
    today = report(rep, builders.participants(["status", "gender"]))
    assert rows(today, status="exited", gender="female") == 1
    assert rows(today, status="open", gender="female") == 2


def test_goals_count_only_closed_windows_and_report_those_inside(rep: ServiceContext) -> None:
    for ref in ("IN_TIME", "TOO_LATE", "NEVER", "MOVED"):
        person(rep, ref, "2020-02-03")
    person(rep, "RECENT", "2026-06-01")
    person(rep, "RECENT_MET", "2026-05-01")
    move(rep, "IN_TIME", "exit", "2021-02-03", reason="studies")  # the last day of the window
    move(rep, "TOO_LATE", "exit", "2021-02-04", reason="work")
    move(rep, "MOVED", "exit", "2020-05-04", reason="moved")
    move(rep, "RECENT_MET", "exit", "2026-09-01", reason="work")
    move(rep, "RECENT", "assess", "2026-07-01")
    move(rep, "RECENT", "place", "2026-08-01")
    table = report(rep, builders.goals)
    work = next(r for r in table.rows if r["goal"] == "work_within_year")
    assert work == {"goal": "work_within_year", "period": None, "target_share": 0.5, "target_count": None,
                    "numerator": 1, "denominator": 4, "share": 0.25, "met": False, "inside_window": 2,
                    "inside_window_met": 1, "excluded": 0}
    training = next(r for r in table.rows if r["goal"] == "reached_training")
    # decided: the four who exited, plus RECENT who reached training while still in the project
    assert (training["numerator"], training["denominator"], training["inside_window"]) == (1, 5, 1)
    assert table.total == 6
    earlier = report(rep, builders.goals, as_of=date(2021, 2, 3))
    work_then = next(r for r in earlier.rows if r["goal"] == "work_within_year")
    assert (work_then["numerator"], work_then["denominator"], work_then["inside_window"]) == (0, 0, 4)
    assert work_then["inside_window_met"] == 1 and work_then["met"] is None


def test_flow_counts_entries_re_entries_and_days_per_step(rep: ServiceContext) -> None:
    for ref, days in (("A", 2), ("B", 4), ("C", 10)):
        person(rep, ref, "2026-01-05T09:00")
        move(rep, ref, "assess", f"2026-01-{5 + days:02d}T09:00")
    move(rep, "A", "send_back", "2026-02-02T09:00")                # circulation: back to referral
    move(rep, "A", "assess", "2026-02-03T09:00")
    move(rep, "B", "exit", "2026-03-02T09:00", reason="work")
    table = report(rep, builders.flow)
    referral = next(r for r in table.rows if r["step"] == "referral")
    assert referral["entered"] == 4 and referral["participants"] == 3 and referral["re_entered"] == 1
    # completed visits to referral: 2, 4, 10 and 1 days → nearest-rank median 2nd = 2, p90 4th = 10
    assert (referral["median_days"], referral["p90_days"]) == (2.0, 10.0)
    mapping = next(r for r in table.rows if r["step"] == "mapping")
    assert mapping["entered"] == 4 and mapping["in_now"] == 2 and mapping["re_entered"] == 1
    assert [r["step"] for r in table.rows] == ["referral", "mapping", "training"]
    assert any("1 participant(s) re-entered" in note for note in table.notes)


def test_outcomes_are_the_reason_plus_the_exit_outcome_list(rep: ServiceContext) -> None:
    person(rep, "AA", "2012-01-10")
    person(rep, "BB", "2012-01-11")
    person(rep, "CC", "2012-01-12")
    move(rep, "AA", "exit", "2012-06-01", reason="work", outcomes=["studies"])
    move(rep, "BB", "exit", "2012-06-02", reason="moved")
    table = report(rep, builders.exited_outcomes)
    assert table.dimensions == ["outcome"]
    assert {r["outcome"]: r["count"] for r in table.rows if r["count"]} == {"work": 1, "studies": 1, "moved": 1}
    assert table.total == 2  # participants; the counts add up to 3 (AA has two outcomes), and the note says so
    assert any("several outcomes may apply" in note for note in table.notes)
    assert all(set(r) == {"outcome", "count"} for r in table.rows)  # aggregate: no ref, no id


def test_outcomes_mark_participants_still_in_the_project_as_ongoing(rep: ServiceContext) -> None:
    """Kraft's table lists those still in the project too; an exit after the as-of day is still ongoing."""
    person(rep, "AA", "2012-01-10")
    person(rep, "BB", "2012-01-11")
    person(rep, "CC", "2012-01-12")
    move(rep, "AA", "exit", "2012-06-01", reason="work", outcomes=["studies"])
    move(rep, "BB", "exit", "2013-02-01", reason="moved")
    table = report(rep, builders.outcomes)
    counts = {r["outcome"]: r["count"] for r in table.rows}
    assert {k: v for k, v in counts.items() if v} == {"work": 1, "studies": 1, "moved": 1, "ongoing": 1}
    assert [r["outcome"] for r in table.rows][-1] == "ongoing"  # every code of the list, zeros too, ongoing last
    assert table.total == 3 and table.label("outcome", "ongoing") == "Pågående i projektet"
    then = report(rep, builders.outcomes, as_of=date(2012, 12, 31))
    assert {r["outcome"]: r["count"] for r in then.rows if r["count"]} == {"work": 1, "studies": 1, "ongoing": 2}
    assert then.notes[0] == "2 participant(s) still in the project at the end of the period are counted as ongoing"
    year = report(rep, builders.outcomes, period_from=date(2012, 1, 1), period_to=date(2012, 12, 31))
    assert {r["outcome"]: r["count"] for r in year.rows}["ongoing"] == 2
    assert all("ref" not in r for t in (table, then, year) for r in t.rows)


def test_before_after_compares_enrolment_with_exit(rep: ServiceContext) -> None:
    person(rep, "A", "2009-03-01", af_code="11")
    person(rep, "B", "2009-03-02", af_code="11", income_source="none")
    person(rep, "C", "2009-03-03", af_code="70")                   # still open: not counted
    move(rep, "A", "exit", "2010-01-01", reason="work", income_source_at_exit="salary", af_code_at_exit="33")
    move(rep, "B", "exit", "2010-01-02", reason="moved")
    table = report(rep, builders.before_after)
    cells = {(r["field"], r["value"]): (r["at_enrolment"], r["at_exit"]) for r in table.rows}
    assert cells[("af_code", "11")] == (2, 1)                       # B's exit recorded none: its latest code
    assert cells[("af_code", "33")] == (0, 1)
    assert ("af_code", None) not in cells
    assert cells[("income_source", "none")] == (1, 1)
    assert cells[("income_source", "social_assistance")] == (1, 0)
    assert cells[("income_source", "salary")] == (0, 1)
    assert ("af_code", "70") not in cells
    assert table.total == 2


def test_reports_write_nothing(rep: ServiceContext, engine: Engine) -> None:
    person(rep, "A", "2010-01-10")
    move(rep, "A", "exit", "2010-05-01", reason="work")
    before = snapshot(engine)
    reporting.run(rep, "rep", builders.everything, period_to=date(2010, 12, 31))
    assert snapshot(engine) == before


@pytest.mark.parametrize(("build", "expected"), [
    (builders.participants(["colour"]), "use an attribute of the workflow or one of"),
    (builders.participants(["gender", "gender"]), "name each dimension once"),
    (builders.participants([]), "name at least one dimension"),
    (builders.participants(["reason"]), "use an attribute"),     # reason is for exits
])
def test_bad_dimensions_are_refused_with_the_way_out(rep: ServiceContext, build: builders.Builder,
                                                     expected: str) -> None:
    with pytest.raises(InvalidValue, match=expected):
        reporting.run(rep, "rep", build)


def test_bad_scope_is_refused(rep: ServiceContext) -> None:
    with pytest.raises(UnknownWorkflow, match="known workflows: .*rep"):
        reporting.run(rep, "nope", builders.goals)
    with pytest.raises(InvalidValue, match="after --to"):
        reporting.run(rep, "rep", builders.goals, period_from=date(2011, 1, 1), period_to=date(2010, 1, 1))
    with pytest.raises(InvalidValue, match="after today"):
        reporting.run(rep, "rep", builders.goals, as_of=date(2027, 1, 1))




def test_a_report_reads_a_snapshot_without_holding_writers_up(rep: ServiceContext, engine: Engine,
                                                              backend: str) -> None:
    from sqlalchemy import update

    from pathway.store.tables import participants

    person(rep, "A", "2010-01-10")
    seen: dict[str, Any] = {}

    def build(session: Any, scope: Any) -> list[Any]:
        before = builders.participants(["gender"])(session, scope)[0].total
        person(rep, "B", "2010-01-11")                             # another connection writes meanwhile
        seen["in_report"] = (before, builders.participants(["gender"])(session, scope)[0].total)
        if backend == "postgresql":                                # the server refuses writes in it
            with pytest.raises(Exception, match="read-only transaction"):
                session.execute(update(participants).values(step="x"))
        return []

    reporting.run(rep, "rep", build)
    assert seen["in_report"] == (1, 1)                             # one snapshot for the whole report
    assert report(rep, builders.participants(["gender"])).total == 2


def test_goal_windows_end_on_the_same_day_as_the_deadline_calendar(rep: ServiceContext) -> None:
    """A leap day plus 12 months ends on 28 February, late in the evening Swedish time included."""
    for ref in ("LAST_EVENING", "NEXT_MORNING"):
        person(rep, ref, "2020-02-29T10:00")
    move(rep, "LAST_EVENING", "exit", "2021-02-28T23:30", reason="work")
    move(rep, "NEXT_MORNING", "exit", "2021-03-01T00:15", reason="work")
    work = next(r for r in report(rep, builders.goals).rows if r["goal"] == "work_within_year")
    assert (work["numerator"], work["denominator"]) == (1, 2)


def test_tables_print_the_choice_labels_of_the_workflow(engine: Engine, workflows: Path) -> None:
    from pathway.reports import render

    text = REPORTING_WORKFLOW.replace("gender: {type: choice, choices: [female, male]}",
                                      "gender: {type: choice, choices: [female, male], labels: {female: Kvinna, male: Man}}")
    (workflows / "rep.yaml").write_text(text, encoding="utf-8")
    ctx = make_context(engine, workflows, FixedClock(parse_time(NOW)))
    person(ctx, "A", "2010-01-10")
    table = report(ctx, builders.participants(["age_band", "gender"]))
    header, _rows = render.grid(table)
    assert header[1:3] == ["Kvinna", "Man"]
    assert {"age_band": "30-39", "gender": "female", "count": 0} in table.to_json()["rows"]   # JSON keeps codes


def test_reports_ask_the_access_policy_first(rep: ServiceContext) -> None:
    """A funder of another workflow is refused (exit 3); a member of this one gets the report."""
    from dataclasses import replace

    from pathway.domain.users import User
    from pathway.errors import NotPermitted

    person(rep, "A", "2010-01-10")
    outsider = replace(rep, user=User("eva", "Eva", "funder", roles=frozenset({"funder"}),
                                      workflows=frozenset({"kraft"})))
    with pytest.raises(NotPermitted, match="not a member of that workflow"):
        reporting.run(outsider, "rep", builders.participants(["gender"]))
    member = replace(rep, user=User("eva", "Eva", "funder", roles=frozenset({"funder"}), workflows=frozenset({"rep"})))
    assert reporting.run(member, "rep", builders.participants(["gender"]))[0].total == 1
