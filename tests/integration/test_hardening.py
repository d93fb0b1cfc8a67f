"""Issue 14's reproductions on SQLite and PostgreSQL: each input that once ended in a traceback (or
was silently accepted) is now a one-line refusal that writes nothing — or a success.

Limits are pathway's own (:mod:`pathway.limits`), checked before the database, so both back ends
answer alike: PostgreSQL used to refuse a 101-character ref with a DataError printing its statement,
while SQLite stored 10 000 characters.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock, parse_time
from pathway.errors import BadInput, BeyondLimits, ConcurrentChange, InvalidValue, PathwayError
from pathway.reports import builders
from pathway.services import reporting
from pathway.services import deadlines, records
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, history, set_attributes, show

from .conftest import make_context, snapshot

BOUNDED = """\
id: bounded
version: 1
title: Bounded
roles:
  - {id: coach, title: Coach}
attributes:
  gender: {type: choice, choices: [female, male]}
  birth_date: {type: date}
  wellbeing_at_start: {type: integer, min: 1, max: 10}
  hours: {type: number}
  note: {type: string}
  story: {type: text}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: coach, initial: true, limit: {within: 14d}}
  - {id: mapping, title: Kartläggning, kind: assessment, owner: coach, limit: {within: 20wd}}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: assess, from: referral, to: mapping, data: {comment: {type: string}}}
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
exit_reasons:
  - {code: work, label: Arbete, category: work}
"""

NOW = "2026-03-02T09:00"


@pytest.fixture
def hx(engine: Engine, workflows: Path) -> ServiceContext:
    (workflows / "bounded.yaml").write_text(BOUNDED, encoding="utf-8")
    return make_context(engine, workflows, FixedClock(parse_time(NOW)))


def refused(engine: Engine, action, error: type[PathwayError] = BadInput, match: str | None = None) -> PathwayError:
    """Run ``action``; it must raise ``error`` (matching) and leave every table as it was."""
    before = snapshot(engine)
    with pytest.raises(error, match=match) as caught:
        action()
    assert snapshot(engine) == before
    return caught.value


def test_report_flow_as_of_works_on_both_databases(hx: ServiceContext) -> None:
    """`report flow --as-of DAY` counts the step each participant was in then (PostgreSQL: no GroupingError)."""
    enrol(hx, "bounded", ref="A-1", at=parse_time("2026-02-02T09:00"), reason="past")
    enrol(hx, "bounded", ref="A-2", at=parse_time("2026-02-02T09:00"), reason="past")
    fire(hx, "A-1", "assess", at=parse_time("2026-02-10T09:00"), reason="past")
    table = reporting.run(hx, "bounded", builders.flow, as_of=date(2026, 2, 5))[0]
    in_now = {r["step"]: r["in_now"] for r in table.rows}
    assert in_now == {"referral": 2, "mapping": 0}
    table = reporting.run(hx, "bounded", builders.flow, as_of=date(2026, 2, 20))[0]
    assert {r["step"]: r["in_now"] for r in table.rows} == {"referral": 1, "mapping": 1}


@pytest.mark.parametrize("at", ["0001-01-01T00:30", "9999-12-31T23:59-12:00", "1899-12-31", "2101-01-01"])
def test_times_outside_1900_to_2100_are_refused(hx: ServiceContext, engine: Engine, at: str) -> None:
    """A time outside the stated range is a one-line refusal naming the range (no OverflowError)."""
    err = refused(engine, lambda: enrol(hx, "bounded", ref="T-1", at=parse_time(at, "--at"), reason="x"),
                  InvalidValue, "1900-01-01 to 2100-12-31")
    assert "--at" in err.message


def test_over_long_ref_is_refused_before_the_database(hx: ServiceContext, engine: Engine) -> None:
    """A 101-character ref is refused by pathway on both databases, without repeating it."""
    err = refused(engine, lambda: enrol(hx, "bounded", ref="R" * 101), BeyondLimits, "at most 100")
    assert "RRRR" not in err.message
    assert enrol(hx, "bounded", ref="R" * 100)[0] >= 1


@pytest.mark.parametrize("ref", ["A\x00B", "A\x1b[31mB", "LU-\u202e41-UL", "A\nB"])
def test_control_characters_in_a_ref_are_refused(hx: ServiceContext, engine: Engine, ref: str) -> None:
    """NUL bytes, terminal escapes, right-to-left overrides and line breaks in a ref are refused."""
    refused(engine, lambda: enrol(hx, "bounded", ref=ref), BeyondLimits, "control characters")


@pytest.mark.parametrize("lookup", ["A\x00B", "x" * 10_000, "99999999999999999999", "3000000000"])
def test_participant_lookups_beyond_the_limits_are_answered_without_the_database_failing(
        hx: ServiceContext, lookup: str) -> None:
    """A NUL, a 10 000-character ref or a number beyond the integer range is a plain 'unknown' or a refusal."""
    with pytest.raises(BadInput):
        show(hx, lookup)


@pytest.mark.parametrize("value", ["A\x00B", "x" * 10_000, "\x1b[31m"])
def test_list_and_board_filters_beyond_the_limits_are_refused_before_the_database(
        hx: ServiceContext, value: str) -> None:
    """Filters come from URLs too (the API): a NUL would make PostgreSQL fail instead of answer."""
    from pathway.services.participants import list_participants

    for call in (lambda: list_participants(hx, step=value), lambda: list_participants(hx, workflow_id=value),
                 lambda: deadlines.board(hx, workflow_id=value), lambda: deadlines.board(hx, role=value)):
        with pytest.raises(BeyondLimits):
            call()


def test_personnummer_in_free_text_is_refused_with_a_pointer(hx: ServiceContext, engine: Engine) -> None:
    """A Luhn-valid personnummer in a ref, a string or text attribute, a reason or trigger data is refused."""
    for action in (
        lambda: enrol(hx, "bounded", ref="LU 19811218-9876"),
        lambda: enrol(hx, "bounded", attributes={"note": "pnr 811218-9876"}),
        lambda: enrol(hx, "bounded", attributes={"story": "född 198112189876 i Lund"}),
        lambda: enrol(hx, "bounded", at=parse_time("2026-03-01"), reason="asked 19811218-9876 by phone"),
    ):
        err = refused(engine, action, BeyondLimits, "give the number as personnummer")
        assert "9876" not in err.message and "personnummer" in err.fields
    pid, _ = enrol(hx, "bounded", ref="LU-2026-001", attributes={"note": "ring 0701234567 om 2026-03-04"})
    refused(engine, lambda: fire(hx, pid, "assess", {"comment": "19811218-9876"}), BeyondLimits, "personnummer")
    refused(engine, lambda: records.add_goal(hx, pid, "contact 19811218-9876's employer"), BeyondLimits,
            "personnummer")


def test_numbers_are_held_to_declared_min_max_and_default_bounds(hx: ServiceContext, engine: Engine) -> None:
    """`min`/`max` in the YAML are enforced; without them numbers stay within ±10^12."""
    refused(engine, lambda: enrol(hx, "bounded", attributes={"wellbeing_at_start": "-1"}), BeyondLimits,
            "from 1 to 10")
    refused(engine, lambda: enrol(hx, "bounded", attributes={"wellbeing_at_start": "11"}), BeyondLimits)
    refused(engine, lambda: enrol(hx, "bounded", attributes={"hours": "99999999999999999999999"}), BeyondLimits)
    refused(engine, lambda: enrol(hx, "bounded", attributes={"hours": "9" * 5000}), InvalidValue)
    pid, _ = enrol(hx, "bounded", attributes={"wellbeing_at_start": "10", "hours": "12,5"})
    assert show(hx, pid).attributes["wellbeing_at_start"] == 10


@pytest.mark.parametrize("born", ["2026-03-03", "1899-12-31", "0001-01-01"])
def test_birth_date_in_the_future_or_before_1900_is_refused(hx: ServiceContext, engine: Engine, born: str) -> None:
    """A birth date after the enrolment day, or before 1900, is refused at enrol and at set."""
    refused(engine, lambda: enrol(hx, "bounded", attributes={"birth_date": born}), BeyondLimits)
    pid, _ = enrol(hx, "bounded", attributes={"birth_date": "1985-04-02"})
    refused(engine, lambda: set_attributes(hx, pid, {"birth_date": born}), BeyondLimits)


def test_consent_until_before_it_is_given_is_refused(hx: ServiceContext, engine: Engine) -> None:
    """`consent give --until` a day before the consent is given is refused; the same day is accepted."""
    pid, _ = enrol(hx, "bounded")
    refused(engine, lambda: records.give_consent(hx, pid, ["soc"], until="2026-03-01"), InvalidValue,
            "before the day the consent is given")
    assert records.give_consent(hx, pid, ["soc"], until="2026-03-02")["until"] == "2026-03-02"


def test_workflow_show_version_beyond_the_limit_is_refused(hx: ServiceContext) -> None:
    """`workflow show --version 99999999999999999999` is a refusal naming the range (no DataError)."""
    with hx.uow() as uow, pytest.raises(BeyondLimits, match="1 to 1000000"):
        hx.catalog.pinned(uow, "bounded", 99999999999999999999)


# -- caseworkers never lose to a deadline check ------------------------------------------------------


def _check_before_first_commit(ctx: ServiceContext, run_first) -> ServiceContext:  # type: ignore[no-untyped-def]
    """``ctx`` whose first unit of work runs ``run_first()`` (in its own transaction) just before it
    commits: the caseworker has read the participant, and someone else writes in between."""
    pending = [run_first]
    real = ctx.uow

    def factory():  # type: ignore[no-untyped-def]
        uow = real()
        commit = uow.commit

        def commit_after_the_other_writer() -> None:
            while pending:
                pending.pop()()
            commit()

        uow.commit = commit_after_the_other_writer  # type: ignore[method-assign]
        return uow

    return replace(ctx, uow=factory)


def _overdue_participant(hx: ServiceContext) -> int:
    pid, _ = enrol(hx, "bounded", ref="LATE-1", at=parse_time("2026-02-01T09:00"), reason="entered late")
    return pid


def test_a_caseworker_command_is_retried_after_a_deadline_check_wrote_in_between(
        backend: str, hx: ServiceContext, engine: Engine, workflows: Path) -> None:
    """A check's deadline_missed event lands between the caseworker's read and commit: the command is
    run again on the fresh state and succeeds (PostgreSQL; SQLite serialises the whole command)."""
    if backend == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE holds the write lock from the command's first read: "
                    "a check cannot write in between (bench/bench_contention.py measures both)")
    pid = _overdue_participant(hx)
    checker = make_context(engine, workflows, FixedClock(parse_time(NOW)), actor="scheduler")
    caseworker = _check_before_first_commit(hx, lambda: deadlines.check(checker))
    moved = fire(caseworker, pid, "assess")
    assert moved.to_step == "mapping"
    types = [e.type for e in history(hx, pid)]
    assert types == ["enrolled", "deadline_missed", "transition"]
    assert deadlines.check(checker) == []  # exactly once: nothing left to do


def test_a_conflict_with_another_person_is_still_refused(backend: str, hx: ServiceContext, engine: Engine,
                                                         workflows: Path) -> None:
    """Another caseworker's change in between is not retried over: ConcurrentChange, nothing written."""
    if backend == "sqlite":
        pytest.skip("SQLite serialises whole commands: two caseworkers cannot interleave")
    pid = _overdue_participant(hx)
    colleague = make_context(engine, workflows, FixedClock(parse_time(NOW)), actor="colleague")
    caseworker = _check_before_first_commit(hx, lambda: set_attributes(colleague, pid, {"note": "seen"}))
    with pytest.raises(ConcurrentChange):
        fire(caseworker, pid, "assess")
    assert [e.type for e in history(hx, pid)] == ["enrolled", "attributes_set"]


def _check_before_first_write(ctx: ServiceContext, run_first) -> ServiceContext:  # type: ignore[no-untyped-def]
    """Like :func:`_check_before_first_commit`, but the other writer runs before the first unit of work's
    first flush or commit, whichever comes first (a no-show or an assignment writes its rows before the commit)."""
    pending = [run_first]
    real = ctx.uow

    def factory():  # type: ignore[no-untyped-def]
        uow = real()
        for name in ("flush", "commit"):
            def after_the_other_writer(step=getattr(uow, name)) -> None:  # type: ignore[no-untyped-def]
                while pending:
                    pending.pop()()
                step()

            setattr(uow, name, after_the_other_writer)
        return uow

    return replace(ctx, uow=factory)


def _use_cases() -> list[tuple[str, object]]:
    from pathway.services import corrections, meetings, ownership

    return [
        ("correct_attributes", lambda ctx, pid: corrections.correct_attributes(ctx, pid, {"gender": "male"}, "typo")),
        ("void", lambda ctx, pid: corrections.void(ctx, pid, "enrolled twice")),
        ("record_meeting", lambda ctx, pid: meetings.record_meeting(ctx, pid, "individual", ["soc:kim"])),
        ("record_no_show", lambda ctx, pid: meetings.record_no_show(ctx, pid, "individual", "af")),
        ("assign", lambda ctx, pid: ownership.assign(ctx, pid, "kim")),
    ]


@pytest.mark.parametrize("name", [name for name, _ in _use_cases()])
def test_corrections_meetings_and_assignments_are_retried_after_a_deadline_check(
        name: str, backend: str, hx: ServiceContext, engine: Engine, workflows: Path) -> None:
    """Like fire: a correction, a meeting record, a no-show or an assignment that loses only to a deadline
    check's write is run again on the fresh state and succeeds, the check's event kept before it."""
    from pathway.services import users

    if backend == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE holds the write lock from the command's first read")
    use_case = dict(_use_cases())[name]
    users.add_user(hx, "root", "Rut Root", "coordination", admin=True)
    users.add_user(hx, "kim", "Kim", "soc", ["coach"], ["bounded"])
    pid, _ = enrol(hx, "bounded", ref="LATE-1", attributes={"gender": "female"}, at=parse_time("2026-02-01T09:00"),
                   reason="entered late")
    checker = make_context(engine, workflows, FixedClock(parse_time(NOW)), actor="scheduler")
    caseworker = _check_before_first_write(hx, lambda: deadlines.check(checker))
    use_case(caseworker, pid)  # type: ignore[operator]
    types = [e.type for e in history(hx, pid)]
    assert types[:2] == ["enrolled", "deadline_missed"] and len(types) == 3
