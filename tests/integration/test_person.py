"""The person across projects: look-up by number, the circulation warning at enrolment, the circulation report."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from pathway.clock import FixedClock
from pathway.domain.identity import luhn_check_digit
from pathway.reports import circulation
from pathway.services import reporting
from pathway.services import person
from pathway.services.context import ServiceContext
from pathway.services.identity import InvalidPersonnummer
from pathway.services.participants import enrol, fire
from pathway.services.records import give_consent

TWO_WORKFLOW = """\
id: two
version: 1
title: Andra projektet
roles:
  - {id: coach, title: Coach, agency: af}
attributes:
  gender: {type: choice, choices: [female, male, other]}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: coach, initial: true}
  - {id: handover, title: Överlämning, kind: handover, owner: coach}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: hand_over, from: referral, to: handover}
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
exit_reasons:
  - {code: work, label: Arbete, category: work}
  - {code: to_other_project, label: Till annat projekt, category: referred}
"""


def number(birth: str, serial: str) -> str:
    return birth + serial + str(luhn_check_digit(birth + serial))


ANNA = number("850402", "384")
BO = number("790615", "237")
CARL = number("901010", "123")


@pytest.fixture(autouse=True)
def second_workflow(workflows: Path) -> None:
    (workflows / "two.yaml").write_text(TWO_WORKFLOW, encoding="utf-8")


def test_find_lists_every_enrolment_of_the_person_across_workflows(ctx: ServiceContext, clock: FixedClock) -> None:
    """Single-user mode without --agency: both enrolments, oldest first, nothing withheld; others not shown."""
    first, _ = enrol(ctx, "demo", ref="D-1", personnummer=ANNA)
    enrol(ctx, "demo", ref="D-2", personnummer=BO)
    fire(ctx, first, "exit", {"reason": "work"})
    second, _ = enrol(ctx, "two", ref="T-1", personnummer=f"19{ANNA[:6]}-{ANNA[6:]}")
    found = person.find(ctx, ANNA)
    assert [(e.participant_id, e.workflow, e.status, e.ref, e.exit_reason) for e in found] == [
        (first, "demo", "exited", "D-1", "work"), (second, "two", "open", "T-1", None)]
    assert all(e.covered for e in found)
    assert ANNA not in str([e.to_json() for e in found])


def test_find_withholds_what_the_consent_does_not_cover(ctx: ServiceContext) -> None:
    """Asked by af: the enrolment with consent for af shows its details; the other only that it exists, and why."""
    covered, _ = enrol(ctx, "demo", ref="D-1", personnummer=ANNA)
    give_consent(ctx, covered, ["soc", "af"])
    hidden, _ = enrol(ctx, "two", ref="T-1", personnummer=ANNA)
    give_consent(ctx, hidden, ["soc"])
    found = {e.participant_id: e.to_json() for e in person.find(ctx, ANNA, agency="af")}
    assert found[covered]["ref"] == "D-1" and found[covered]["covered"] is True
    assert found[hidden] == {"participant_id": hidden, "workflow": "two", "status": "open", "covered": False,
                             "withheld": "consent does not cover af: no consent has been given for af"}


def test_find_refuses_a_bad_number_and_an_unknown_agency(ctx: ServiceContext) -> None:
    """A malformed number or agency is bad input, naming what is accepted; an unknown person is an empty list."""
    with pytest.raises(InvalidPersonnummer, match="check digit"):
        person.find(ctx, ANNA[:9] + str((int(ANNA[9]) + 1) % 10))
    with pytest.raises(Exception, match="use one of: soc, af"):
        person.find(ctx, ANNA, agency="police")
    assert person.find(ctx, CARL) == []


def test_enrolment_warns_when_the_person_is_open_elsewhere(ctx: ServiceContext) -> None:
    """Open in another project: the enrolment goes through with a note naming it (rundgång)."""
    first, note = enrol(ctx, "demo", personnummer=ANNA)
    assert note is None
    _, note = enrol(ctx, "two", personnummer=ANNA)
    assert note is not None and f"open in 'demo' as participant {first} since 2026-03-02" in note
    assert "rundgång" in note and ANNA not in note


def test_enrolment_warns_about_a_recent_exit_only(ctx: ServiceContext, clock: FixedClock) -> None:
    """Left a project 10 days ago: warned (also when it is the same workflow); left 200 days ago: no note."""
    first, _ = enrol(ctx, "demo", personnummer=ANNA)
    fire(ctx, first, "exit", {"reason": "work"})
    clock.advance(days=10)
    _, note = enrol(ctx, "demo", personnummer=ANNA)
    assert note is not None and "left 'demo'" in note and "reason work" in note
    other, _ = enrol(ctx, "demo", personnummer=BO)
    fire(ctx, other, "exit", {"reason": "work"})
    clock.advance(days=200)
    _, note = enrol(ctx, "two", personnummer=BO)
    assert note is None


def _rows(ctx: ServiceContext, **kwargs: object) -> dict[str, dict[str, object]]:
    (table,) = reporting.circulation(ctx, **kwargs)  # type: ignore[arg-type]
    return {r["period"]: r for r in table.rows}


def test_circulation_counts_people_per_period(ctx: ServiceContext, clock: FixedClock) -> None:
    """Hand-built: Anna in two projects (circulating, handed over), Bo re-enrolled, Carl once, one anonymous."""
    anna_demo, _ = enrol(ctx, "demo", personnummer=ANNA)                     # 2026-03-02
    bo_first, _ = enrol(ctx, "demo", personnummer=BO)
    enrol(ctx, "demo", anonymous=True)
    fire(ctx, bo_first, "exit", {"reason": "work"})
    clock.advance(days=30)                                        # 2026-04-01
    anna_two, _ = enrol(ctx, "two", personnummer=ANNA)
    fire(ctx, anna_two, "hand_over")
    enrol(ctx, "demo", personnummer=BO)
    clock.advance(days=100)                                       # 2026-07-10
    carl, _ = enrol(ctx, "two", personnummer=CARL)
    fire(ctx, carl, "exit", {"reason": "to_other_project"})
    rows = _rows(ctx, period_from=date(2026, 1, 1), period_to=date(2026, 12, 31), per=circulation.Period.QUARTER)
    measures = ["people", "in_several_projects", "circulating", "re_enrolled", "handed_over"]
    assert {k: [r[m] for m in measures] for k, r in rows.items()} == {
        "2026-Q1": [2, 0, 0, 0, 0],   # Anna and Bo; Anna's second project starts in Q2
        "2026-Q2": [2, 1, 2, 1, 1],   # Anna in 'two' (open in demo), Bo again in demo (left 30 days before)
        "2026-Q3": [1, 0, 0, 0, 1],   # Carl, exited as referred
        "2026-Q4": [0, 0, 0, 0, 0],
    }
    (table,) = reporting.circulation(ctx, period_from=date(2026, 1, 1), period_to=date(2026, 12, 31))
    assert table.rows == [{"period": "2026", "people": 3, "in_several_projects": 1, "circulating": 2,
                           "re_enrolled": 1, "handed_over": 2}]
    assert any("1 enrolment(s) without a personal identity number" in n for n in table.notes)
    assert table.suppressible == measures


def test_registered_users_see_by_their_own_agency_and_a_funder_is_refused(
        ctx: ServiceContext, engine, workflows: Path, clock: FixedClock) -> None:  # type: ignore[no-untyped-def]
    """With users: an af caseworker sees what consent covers for af (not --agency); a funder may not look up."""
    from pathway.errors import NotPermitted
    from pathway.services import users
    from pathway.services.identity import rotate_key

    from .conftest import make_context

    covered, _ = enrol(ctx, "demo", ref="D-1", personnummer=ANNA)
    give_consent(ctx, covered, ["af"])
    hidden, _ = enrol(ctx, "two", ref="T-1", personnummer=ANNA)
    users.add_user(ctx, "root", "Rut Root", "coordination", admin=True)
    admin = make_context(engine, workflows, clock, actor="root")
    users.resolve(admin, "root", None)
    users.add_user(admin, "nils", "Nils Ek", "af", ["coach"], ["demo"])
    users.add_user(admin, "fia", "Fia Funder", "coordination", ["funder"], ["demo"])
    nils = make_context(engine, workflows, clock, actor="nils")
    users.resolve(nils, "nils", None)
    found = {e.participant_id: e.covered for e in person.find(nils, ANNA, agency="soc")}
    assert found == {covered: True, hidden: False}
    fia = make_context(engine, workflows, clock, actor="fia")
    users.resolve(fia, "fia", None)
    with pytest.raises(NotPermitted, match="person.lookup"):
        person.find(fia, ANNA)
    with pytest.raises(NotPermitted, match="identity.rotate"):
        rotate_key(nils)
    assert rotate_key(admin) == 2


def test_lookups_are_written_to_the_access_log(ctx: ServiceContext, engine, workflows: Path,  # type: ignore[no-untyped-def]
                                               clock: FixedClock) -> None:
    """With users, a person look-up writes one access-log row per enrolment it revealed (no number)."""
    from sqlalchemy import select

    from pathway.services import users
    from pathway.store.tables import access_log

    from .conftest import make_context

    first, _ = enrol(ctx, "demo", personnummer=ANNA)
    second, _ = enrol(ctx, "two", personnummer=ANNA)
    users.add_user(ctx, "root", "Rut Root", "coordination", admin=True)
    admin = make_context(engine, workflows, clock, actor="root")
    users.resolve(admin, "root", None)
    users.add_user(admin, "nils", "Nils Ek", "af", ["coach"], ["demo"])
    nils = make_context(engine, workflows, clock, actor="nils")
    users.resolve(nils, "nils", None)
    person.find(nils, ANNA)
    with engine.connect() as conn:
        rows = conn.execute(select(access_log.c.login, access_log.c.participant_id, access_log.c.what)
                            .where(access_log.c.what == "person lookup").order_by(access_log.c.id)).all()
    assert [tuple(r) for r in rows] == [("nils", first, "person lookup"), ("nils", second, "person lookup")]
