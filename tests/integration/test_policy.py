"""The access policy, on SQLite and PostgreSQL: per role an allowed and a refused use case; a refusal
writes nothing and says which permission is missing and who can grant it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock
from pathway.errors import NotPermitted
from pathway.reports import builders
from pathway.services import reporting
from pathway.services import deadlines, migrate, records, users
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, history, list_participants, set_attributes, show

from .conftest import Team, make_team, snapshot



@pytest.fixture
def team(engine: Engine, workflows: Path, clock: FixedClock, ctx: ServiceContext) -> Team:
    """A project team on the demo workflow; ``team(login)`` is that user's context."""
    return make_team(engine, workflows, clock, ctx, [
        ("anna", "Anna Berg", "soc", ["coach"], ["demo"]),
        ("nils", "Nils Ek", "af", ["coach"], []),  # a caseworker, but not in demo
        ("sara", "Sara Styr", "coordination", ["steering_group"], ["demo"]),
        ("dan", "Dan Designer", "coordination", ["designer"], ["demo"]),
        ("dora", "Dora Dpo", "coordination", ["dpo"], []),
        ("sched", "Schemaläggaren", "coordination", ["service"], []),
        ("cora", "Cora Samordnare", "coordination", ["coordinator"], ["demo"]),
    ])


def refused(engine: Engine, permission: str, action: Callable[[], object]) -> NotPermitted:
    """Run ``action``, expect NotPermitted naming ``permission`` and the admin, and no write."""
    before = snapshot(engine)
    with pytest.raises(NotPermitted) as err:
        action()
    assert snapshot(engine) == before
    assert err.value.exit_code == 3 and err.value.permission == permission
    assert f"permission {permission}" in err.value.message and "admin (root)" in err.value.message
    return err.value


def test_caseworker_works_in_their_workflow_and_nowhere_else(engine: Engine, team: Team) -> None:
    """A member caseworker enrols, fires, sets and reads; a caseworker outside the workflow is refused."""
    anna, nils = team("anna"), team("nils")
    pid, _ = enrol(anna, "demo", attributes={"gender": "female"})
    fire(anna, pid, "assess")
    set_attributes(anna, pid, {"ready": "true"})
    assert show(anna, pid).step == "mapping"
    err = refused(engine, "participant.fire", lambda: fire(nils, pid, "exit", {"reason": "work"}))
    assert "not a member of that workflow" in err.message and "--add-workflow demo" in err.message
    refused(engine, "participant.read", lambda: history(nils, pid))
    refused(engine, "participant.enrol", lambda: enrol(nils, "demo", attributes={"gender": "male"}))
    refused(engine, "consent.record", lambda: records.give_consent(nils, pid, ["soc"]))
    assert list_participants(nils) == []  # lists only their workflows' participants


def test_steering_group_sees_aggregates_never_a_record(engine: Engine, team: Team) -> None:
    """The steering group runs a report of its workflow; reading a participant is refused."""
    pid, _ = enrol(team("anna"), "demo", attributes={"gender": "female"})
    sara = team("sara")
    assert reporting.run(sara, "demo", builders.participants(["gender"]))[0].total == 1
    err = refused(engine, "participant.read", lambda: show(sara, pid))
    assert "needs the role a workflow role" in err.message


def test_designer_migrates_but_does_not_enrol(engine: Engine, team: Team) -> None:
    """Migration is the designer's (a caseworker is refused); a designer may not enrol."""
    anna = team("anna")
    enrol(anna, "demo", attributes={"gender": "female"})
    refused(engine, "workflow.migrate", lambda: migrate.migrate(anna, "demo", "1", {}, dry_run=True))
    assert migrate.migrate(team("dan"), "demo", "1", {}, dry_run=True) is not None
    refused(engine, "participant.enrol", lambda: enrol(team("dan"), "demo", attributes={"gender": "male"}))


def test_admin_manages_users_but_reads_no_record(engine: Engine, team: Team) -> None:
    """An admin lists users; without a workflow role an admin may not read a participant."""
    pid, _ = enrol(team("anna"), "demo", attributes={"gender": "female"})
    root = team("root")
    assert {u.login for u in users.list_users(root)} >= {"anna", "root"}
    refused(engine, "participant.read", lambda: show(root, pid))


def test_service_account_runs_the_deadline_check_and_nothing_else(engine: Engine, team: Team) -> None:
    """The scheduler's account runs the check; enrolling is refused; a caseworker may not run the check."""
    sched = team("sched")
    assert deadlines.check(sched) == []
    refused(engine, "participant.enrol", lambda: enrol(sched, "demo", attributes={"gender": "male"}))
    refused(engine, "deadlines.check", lambda: deadlines.check(team("anna")))


def test_dpo_may_not_manage_users(engine: Engine, team: Team) -> None:
    """The data-protection officer is refused user administration (the access log is theirs)."""
    refused(engine, "user.manage", lambda: users.add_user(team("dora"), "x", "X", "soc"))


def test_coordinator_works_with_every_participant_of_the_project(engine: Engine, team: Team) -> None:
    """A coordinator reads and moves any participant of their workflow; the board is theirs too."""
    pid, _ = enrol(team("anna"), "demo", attributes={"gender": "female"})
    cora = team("cora")
    assert fire(cora, pid, "assess").to_step == "mapping"
    assert deadlines.board(cora) is not None
    refused(engine, "user.manage", lambda: users.list_users(cora))


def test_case_access_agency_narrows_the_workflow_to_the_responsible_agency(
        engine: Engine, team: Team, workflows: Path) -> None:
    """case_access: agency — a soc colleague of the responsible caseworker may act, an af member may
    not (nothing written) until named as the af contact; a coordinator always may."""
    from pathway.services import ownership

    (workflows / "demo.yaml").write_text(
        (workflows / "demo.yaml").read_text(encoding="utf-8").replace("version: 1\n", "version: 1\ncase_access: agency\n"),
        encoding="utf-8")
    admin = team("root")
    users.add_user(admin, "sven", "Sven Soc", "soc", ["coach"], ["demo"])
    users.update_user(admin, "nils", add_workflows=["demo"])
    anna = team("anna")
    pid, _ = enrol(anna, "demo", attributes={"gender": "female"})
    assert show(team("sven"), pid).step == "referral"
    before = snapshot(engine)
    with pytest.raises(NotPermitted, match="permission participant.fire") as err:
        fire(team("nils"), pid, "assess")
    assert snapshot(engine) == before
    assert "case_access: agency" in err.value.message and "responsible: anna (soc)" in err.value.message
    assert "a coordinator (cora) can assign you" in err.value.message
    ownership.assign(anna, pid, "nils", agency="af")
    assert fire(team("nils"), pid, "assess").to_step == "mapping"
    assert show(team("cora"), pid).step == "mapping"
