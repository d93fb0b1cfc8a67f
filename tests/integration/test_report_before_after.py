"""``report before-after`` from everything recorded, on SQLite and PostgreSQL: the value at start
within a window after enrolment, the latest before exit, named follow-up waves, and several income
sources at once. Counts are worked out by hand from the stories below.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock, parse_time
from pathway.errors import BadInput, InvalidValue
from pathway.reports import builders
from pathway.services import reporting
from pathway.reports.before_after import Wave, parse_wave, parse_window
from pathway.reports.corrections import corrections_table
from pathway.reports.crosstab import participants_table
from pathway.services import corrections
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, set_attributes

from .conftest import make_context

CODES = "[af_11, af_22, af_33, af_70]"
WORKFLOW = f"""\
id: ba
version: 1
title: Before-after test pathway
roles:
  - {{id: coach, title: Coach}}
attributes:
  af_code: {{type: choice, choices: {CODES}, labels: {{af_11: 11 Arbetssökande 100 %, af_33: 33 Nystartsjobb}}}}
  af_code_at_follow_up: {{type: choice, choices: {CODES}}}
  income_sources: {{type: multi_choice, choices: [salary, social_assistance]}}
exit_reasons:
  - {{code: work, label: Arbete, category: work}}
steps:
  - {{id: referral, title: Remiss, kind: referral, owner: coach, initial: true}}
  - {{id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}}
transitions:
  - trigger: exit
    from: referral
    to: exited
    data:
      reason: {{type: exit_reason, required: true}}
      af_code_at_exit: {{type: choice, choices: {CODES}}}
      income_sources_at_exit: {{type: multi_choice, choices: [salary, social_assistance]}}
"""
NOW = "2026-11-23T12:00"


@pytest.fixture
def ctx(engine: Engine, workflows: Path) -> ServiceContext:
    (workflows / "ba.yaml").write_text(WORKFLOW, encoding="utf-8")
    context = make_context(engine, workflows, FixedClock(parse_time(NOW)))
    story(context)
    return context


def at(when: str) -> dict[str, Any]:
    return {"at": parse_time(when), "reason": "test history"}


def story(ctx: ServiceContext) -> None:
    enrol(ctx, "ba", ref="A", attributes={"af_code": "af_11", "income_sources": ["social_assistance"]},
          **at("2009-03-01"))
    set_attributes(ctx, "A", {"af_code": "af_70"}, **at("2009-03-10"))
    fire(ctx, "A", "exit", {"reason": "work", "af_code_at_exit": "af_33",
                            "income_sources_at_exit": ["salary", "social_assistance"]}, **at("2010-01-01"))
    enrol(ctx, "ba", ref="B", attributes={"income_sources": ["social_assistance"]}, **at("2009-03-02"))
    set_attributes(ctx, "B", {"af_code": "af_11"}, **at("2009-03-20"))         # 18 days after enrolment
    set_attributes(ctx, "B", {"af_code": "af_22"}, **at("2009-09-01"))
    fire(ctx, "B", "exit", {"reason": "work"}, **at("2010-01-02"))             # the exit records no code
    set_attributes(ctx, "B", {"af_code_at_follow_up": "af_33"}, **at("2011-01-15"))  # followed up after exit
    enrol(ctx, "ba", ref="C", attributes={"af_code": "af_70"}, **at("2009-03-03"))    # still open: not counted


def cells(ctx: ServiceContext, field: str, as_of: date | None = None, **options: Any) -> dict[Any, tuple[int, ...]]:
    table = reporting.run(ctx, "ba", builders.before_after_of([field], **options), as_of=as_of)[0]
    return {r["value"]: tuple(r[m] for m in table.measures) for r in table.rows}


def test_value_at_start_is_the_first_recorded_within_the_window(ctx: ServiceContext) -> None:
    """Default: the enrolment record; a window lets a value recorded soon after count as the start."""
    assert cells(ctx, "af_code") == {"af_11": (1, 0), "af_22": (0, 1), "af_33": (0, 1), "af_70": (0, 0), None: (1, 0)}
    within_two_weeks = cells(ctx, "af_code", start_within_days=14)
    assert (within_two_weeks["af_11"][0], within_two_weeks[None][0]) == (1, 1)   # B's code came on day 18
    within_three_weeks = cells(ctx, "af_code", start_within_days=21)
    assert within_three_weeks["af_11"][0] == 2 and None not in within_three_weeks


def test_value_after_is_the_exit_record_else_the_latest_before_exit(ctx: ServiceContext) -> None:
    """A's exit recorded af_33; B's exit recorded nothing, so B's latest code (af_22) is the one after."""
    after = {value: counts[1] for value, counts in cells(ctx, "af_code").items()}
    assert after == {"af_11": 0, "af_22": 1, "af_33": 1, "af_70": 0, None: 0}


def test_named_follow_up_waves(ctx: ServiceContext) -> None:
    """January 2011: B's follow-up after exit (af_33), A's exit code; a wave before the exits reads the
    latest code by then."""
    table = reporting.run(ctx, "ba", builders.before_after_of(
        ["af_code"], waves=[Wave("jan-2011", date(2011, 1, 31)), Wave("end-2009", date(2009, 12, 31))]))[0]
    assert table.measures == ["at_enrolment", "at_exit", "jan-2011", "end-2009"]
    by_value = {r["value"]: r for r in table.rows}
    assert by_value["af_33"]["jan-2011"] == 2
    assert (by_value["af_70"]["end-2009"], by_value["af_22"]["end-2009"]) == (1, 1)
    assert table.label("value", "af_33") == "33 Nystartsjobb"
    before_follow_up = reporting.run(ctx, "ba", builders.before_after_of(
        ["af_code"], waves=[Wave("dec-2010", date(2010, 12, 31))]))[0]
    assert {r["value"]: r["dec-2010"] for r in before_follow_up.rows}["af_22"] == 1   # B's follow-up came later


def test_several_income_sources_at_once(ctx: ServiceContext) -> None:
    """Salary topped up with social assistance counts under both; the total stays two people."""
    table = reporting.run(ctx, "ba", builders.before_after_of(["income_sources"]))[0]
    assert {r["value"]: (r["at_enrolment"], r["at_exit"]) for r in table.rows} == {
        "salary": (0, 1), "social_assistance": (2, 2)}
    assert table.total == 2 and "several may apply" in table.notes[0]


@pytest.mark.parametrize(("call", "message"), [
    (lambda: parse_wave("jan-2011"), "NAME=YYYY-MM-DD"),
    (lambda: parse_window("2m"), "days or weeks"),
])
def test_bad_options_name_the_way_out(call: Any, message: str) -> None:
    """A wave without a date or a window in months is refused with the accepted form."""
    with pytest.raises(InvalidValue, match=message):
        call()


def test_a_wave_after_the_as_of_day_and_an_unknown_field_are_refused(ctx: ServiceContext) -> None:
    """A wave cannot read what had not happened yet; --field names attributes."""
    with pytest.raises(InvalidValue, match="after --as-of"):
        reporting.run(ctx, "ba", builders.before_after_of(["af_code"], waves=[Wave("w", date(2011, 1, 31))]),
                    as_of=date(2010, 12, 31))
    with pytest.raises(InvalidValue, match="name an attribute"):
        reporting.run(ctx, "ba", builders.before_after_of(["shoe_size"]))


def test_corrected_attributes_are_what_the_report_reads_at_every_as_of_day(ctx: ServiceContext) -> None:
    """A's code at enrolment and B's code set in September were wrong: after the corrections the start and
    the value after read the corrected codes — as of any day, as the other reports read a correction
    (retroactive from the original's time); ``report corrections --since`` lists what changed."""
    before = cells(ctx, "af_code")
    assert (before["af_11"], before["af_22"], before["af_33"]) == ((1, 0), (0, 1), (0, 1))
    wave = [Wave("end-2009", date(2009, 12, 31))]
    assert {v: c[2] for v, c in cells(ctx, "af_code", waves=wave).items() if c[2]} == {"af_70": 1, "af_22": 1}
    # A's af_70 of 10 March and B's af_22 of 1 September were wrong
    corrections.correct_attributes(ctx, "A", {"af_code": "af_22"}, "the March code was mistyped")
    corrections.correct_attributes(ctx, "B", {"af_code": "af_33"}, "September's code was another person's")
    with pytest.raises(BadInput, match="nothing changes"):
        corrections.correct_attributes(ctx, "B", {"af_code": "af_33"}, "again")
    after = cells(ctx, "af_code")
    # A's start (the enrolment's af_11) and A's exit record stand; B's value after is the corrected af_33
    assert after["af_11"] == (1, 0) and after["af_22"] == (0, 0) and after["af_33"] == (0, 2)
    assert {v: c[2] for v, c in cells(ctx, "af_code", waves=wave).items() if c[2]} == {"af_22": 1, "af_33": 1}
    # a day before the corrections were recorded: the corrected values too, like report participants
    earlier = cells(ctx, "af_code", as_of=date(2026, 11, 22))
    assert earlier == after
    crosstab = reporting.run(ctx, "ba", lambda s, sc: [participants_table(s, sc, ["af_code"])],
                           as_of=date(2026, 11, 22))[0]
    assert {r["af_code"]: r["count"] for r in crosstab.rows if r["count"]}["af_33"] == 1  # B, corrected
    listed = reporting.run(ctx, "ba", lambda s, sc: [corrections_table(s, sc, since=date(2026, 11, 23))])[0]
    assert [(r["ref"], r["previous"], r["corrected"]) for r in listed.rows] == [
        ("A", "af_code=af_70", "af_code=af_22"), ("B", "af_code=af_22", "af_code=af_33")]


def test_a_corrected_enrolment_value_is_the_start(ctx: ServiceContext) -> None:
    """C's enrolment code corrected, C exits: the start reads the corrected code, with and without a window."""
    corrections.correct_attributes(ctx, "C", {"af_code": "af_22"}, "wrong code at enrolment")
    fire(ctx, "C", "exit", {"reason": "work"}, **at("2010-02-01"))
    assert cells(ctx, "af_code")["af_22"] == (1, 2)
    assert cells(ctx, "af_code", start_within_days=14)["af_22"] == (1, 2)
    assert cells(ctx, "af_code")["af_70"] == (0, 0)
