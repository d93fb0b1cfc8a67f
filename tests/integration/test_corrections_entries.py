"""Corrections of placement and intervention entries on SQLite and PostgreSQL: a wrong type, employer or
hours corrected, an end date moved, an entry made by mistake struck — each a ``corrected`` event with the
reason and the previous value, the originals kept (struck), and the reports reading the corrected entries."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock
from pathway.errors import BadInput, InvalidValue, RuleRefused
from pathway.reports.crosstab import participants_table
from pathway.services.reporting import run
from pathway.services import corrections, records
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, history, set_attributes, show

from .conftest import START, snapshot


def counts(ctx: ServiceContext, dimension: str, **scope: Any) -> dict[Any, int]:
    (result,) = run(ctx, "demo", lambda s, sc: [participants_table(s, sc, [dimension])], **scope)
    return {r[dimension]: r["count"] for r in result.rows if r["count"] and r[dimension] is not None}


def in_training(ctx: ServiceContext, clock: FixedClock) -> int:
    pid, _ = enrol(ctx, "demo", ref="P-1")
    fire(ctx, pid, "assess")
    set_attributes(ctx, pid, {"ready": True})
    fire(ctx, pid, "place", {"track": "work"})
    clock.advance(days=1)
    return pid


def seq_of(ctx: ServiceContext, pid: int, kind: str) -> int:
    return [e.seq for e in history(ctx, pid) if e.type == kind][-1]


def test_a_placement_corrected_type_employer_and_hours_is_what_reports_read(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    """Work trial at the wrong employer, 8 h at the follow-up that were 12: corrected; the originals stay, struck."""
    pid = in_training(ctx, clock)
    records.start_placement(ctx, pid, "work_trial", "Fel AB", "2026-03-03", hours_per_week=6)
    started = seq_of(ctx, pid, "placement_started")
    clock.advance(days=7)
    records.followup_placement(ctx, pid, "p1", hours_per_week=8)
    followup = seq_of(ctx, pid, "placement_followup")
    assert counts(ctx, "placement") == {"work_trial": 1}
    assert counts(ctx, "placement_hours:10") == {"below": 1}
    clock.advance(days=1)

    fixed = corrections.correct_record(ctx, pid, started, {"type": "internship", "employer": "Rätt AB"},
                                       "the agreement is an internship at Rätt AB")
    assert (fixed.kind, fixed.corrects) == ("record", [started])
    assert fixed.previous == {"type": "work_trial", "employer": "Fel AB"}
    assert fixed.changed == {"type": "internship", "employer": "Rätt AB"}
    hours = corrections.correct_record(ctx, pid, followup, {"hours_per_week": "12"}, "12 h, not 8")
    assert hours.previous == {"hours_per_week": 8} and hours.changed == {"hours_per_week": 12.0}

    placement = show(ctx, pid).records.placements["p1"]
    assert (placement.type, placement.employer, placement.hours_recorded) == ("internship", "Rätt AB", [12.0])
    assert placement.started_at == START + timedelta(days=1)  # its own time, not the correction's
    assert counts(ctx, "placement") == {"internship": 1}
    assert counts(ctx, "placement_started") == {"internship": 1}
    assert counts(ctx, "placement_hours:10") == {"reached": 1}
    # corrections are retroactive in reports: as of a day before they were made too
    assert counts(ctx, "placement_hours:10", as_of=(START + timedelta(days=8)).date()) == {"reached": 1}
    events = history(ctx, pid)
    assert events[started - 1].struck and events[followup - 1].struck  # kept in the history
    assert [e.data["kind"] for e in events if e.type == "corrected"] == ["record", "record"]

    again = corrections.correct_record(ctx, pid, started, {"hours_per_week": "10"}, "agreed 10 h at start")
    assert again.previous == {"hours_per_week": 6} and again.corrects == [fixed.seqs[0]]
    assert show(ctx, pid).records.placements["p1"].type == "internship"  # the earlier correction stands


def test_an_end_date_corrected_moves_the_end(ctx: ServiceContext, clock: FixedClock) -> None:
    """A placement ended on the 20th recorded as ended on the 30th: corrected with at=; placement_ended moves period."""
    pid = in_training(ctx, clock)
    records.start_placement(ctx, pid, "internship", "Parken", "2026-03-03")
    clock.advance(days=40)  # 12 April
    records.end_placement(ctx, pid, "p1", outcome="completed")
    ended = seq_of(ctx, pid, "placement_ended")
    march = {"period_from": date(2026, 3, 1), "period_to": date(2026, 3, 31)}
    assert counts(ctx, "placement_ended", **march) == {}
    result = corrections.correct_record(ctx, pid, ended, {"at": "2026-03-20T16:00"}, "the last day was 20 March")
    assert result.previous == {"at": (START + timedelta(days=41)).isoformat()}
    assert result.changed["at"].startswith("2026-03-20T15:00")  # stored in UTC
    assert show(ctx, pid).records.placements["p1"].ended_at.date() == date(2026, 3, 20)
    assert counts(ctx, "placement_ended", **march) == {"internship": 1}
    assert counts(ctx, "placement", period_from=date(2026, 4, 1)) == {}  # no longer running in April


def test_an_intervention_started_by_mistake_is_struck_with_its_end(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    """Struck: the start and its end leave every report; the next intervention is i2, never a second i1."""
    pid = in_training(ctx, clock)
    records.start_intervention(ctx, pid, "health_care", agency="health")
    started = seq_of(ctx, pid, "intervention_started")
    clock.advance(days=2)
    records.end_intervention(ctx, pid, "i1")
    ended = seq_of(ctx, pid, "intervention_ended")
    assert counts(ctx, "intervention") == {"health_care": 1}
    result = corrections.strike_record(ctx, pid, started, "recorded on the wrong participant")
    assert (result.kind, result.corrects, result.previous) == (
        "strike", [started, ended], {"id": "i1", "kind": "health_care", "agency": "health"})
    assert show(ctx, pid).records.interventions == {}
    assert counts(ctx, "intervention") == {} and counts(ctx, "intervention_ended") == {}
    assert [e.seq for e in history(ctx, pid) if e.struck] == [started, ended]
    records.start_intervention(ctx, pid, "cbt")
    assert list(show(ctx, pid).records.interventions) == ["i2"]


def test_refusals_name_the_way_out_and_write_nothing(ctx: ServiceContext, clock: FixedClock, engine: Engine) -> None:
    """Unknown field, bad hours, an end before the start, a type the step does not take, striking a consent or a
    struck entry, no reason: each refused with the accepted values, nothing written."""
    pid = in_training(ctx, clock)
    records.give_consent(ctx, pid, ["soc"])
    consent = seq_of(ctx, pid, "consent_given")
    records.start_placement(ctx, pid, "internship", "Parken", "2026-03-03")
    started = seq_of(ctx, pid, "placement_started")
    clock.advance(days=3)
    records.end_placement(ctx, pid, "p1")
    ended = seq_of(ctx, pid, "placement_ended")
    records.start_intervention(ctx, pid, "cbt")
    corrections.strike_record(ctx, pid, seq_of(ctx, pid, "intervention_started"), "mistake")
    struck = seq_of(ctx, pid, "intervention_started")
    before = snapshot(engine)
    for call, error, message in [
        (lambda: corrections.correct_record(ctx, pid, started, {"colour": "red"}, "x"), InvalidValue,
         "a placement_started entry has: type, employer, start, end, hours_per_week"),
        (lambda: corrections.correct_record(ctx, pid, started, {"hours_per_week": "90"}, "x"), InvalidValue,
         "between 0 and 60"),
        (lambda: corrections.correct_record(ctx, pid, started, {"type": "apprenticeship"}, "x"), InvalidValue,
         "is one of: internship, work_training, work_trial, supported_employment"),
        (lambda: corrections.correct_record(ctx, pid, ended, {"at": "2026-03-01"}, "x"), InvalidValue,
         "between the enrolment"),
        (lambda: corrections.correct_record(ctx, pid, ended, {"at": "2026-03-02T12:00"}, "x"), InvalidValue,
         "p1 started"),
        (lambda: corrections.correct_record(ctx, pid, started, {"end": "2026-03-01"}, "x"), InvalidValue,
         "before the start 2026-03-03"),
        (lambda: corrections.correct_record(ctx, pid, started, {"employer": "Parken"}, "x"), BadInput,
         "nothing changes"),
        (lambda: corrections.strike_record(ctx, pid, consent, "x"), RuleRefused, "only placement and intervention"),
        (lambda: corrections.strike_record(ctx, pid, struck, "x"), RuleRefused, "was struck by correction"),
        (lambda: corrections.strike_record(ctx, pid, 999, "x"), InvalidValue, "consent, plan, placement or"),
        (lambda: corrections.strike_record(ctx, pid, started, " "), BadInput, "needs reason TEXT"),
    ]:
        with pytest.raises(error, match=message):
            call()
    assert snapshot(engine) == before
