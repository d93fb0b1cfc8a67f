"""Case ownership on SQLite and PostgreSQL: enrolment assigns, assign/reassign (atomic, one event
each), caseloads, 'today', and deadline notifications addressed to named people."""

from __future__ import annotations

from collections.abc import Callable

from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text

from pathway.clock import FixedClock
from pathway.errors import InvalidValue, NotPermitted, RuleRefused
from pathway.services import deadlines, ownership, users
from pathway.services.context import ServiceContext
from pathway.services.notify import Notifier
from pathway.services.participants import enrol, history
from pathway.store.tables import assignments, participants

from .conftest import Team, START, make_team, snapshot

#: a step limit held by the caseworker, escalated to the coordinator
OWNED_WORKFLOW = """\
id: owned
version: 1
title: Ägda ärenden
roles:
  - {id: caseworker, title: Handläggare}
  - {id: coordinator, title: Samordnare}
attributes:
  gender: {type: choice, choices: [female, male, other]}
exit_reasons:
  - {code: work, label: Arbete, category: work}
steps:
  - id: referral
    title: Remiss
    kind: referral
    owner: caseworker
    initial: true
    limit:
      within: 3d
      escalation: [{after: 1d, to: coordinator}]
  - {id: exited, title: Avslut, kind: exit, owner: coordinator, terminal: true}
transitions:
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
"""



@pytest.fixture
def team(engine: Engine, workflows: Path, clock: FixedClock, ctx: ServiceContext) -> Team:
    """anna and nils (caseworkers in 'owned'), cora (coordinator), eve (caseworker elsewhere)."""
    (workflows / "owned.yaml").write_text(OWNED_WORKFLOW, encoding="utf-8")
    return make_team(engine, workflows, clock, ctx, [
        ("anna", "Anna Berg", "soc", ["caseworker"], ["owned"]),
        ("nils", "Nils Ek", "af", ["caseworker"], ["owned"]),
        ("cora", "Cora Samordnare", "coordination", ["coordinator"], ["owned"]),
        ("eve", "Eve Annan", "soc", ["caseworker"], ["demo"]),
        ("sched", "Schemaläggaren", "coordination", ["service"], []),
    ])


def test_enrolment_assigns_the_enrolling_caseworker(team: Team) -> None:
    """anna enrols: she is responsible, the enrolment event says so, and her caseload lists it."""
    anna = team("anna")
    pid, _ = enrol(anna, "owned", attributes={"gender": "female"})
    assert history(anna, pid)[0].data["responsible"] == "anna"
    rows = ownership.caseload(anna)
    assert [(r.participant_id, r.responsible, r.next_deadline is not None) for r in rows] == [(pid, "anna", True)]
    assert ownership.caseload(team("nils")) == []


def test_assign_names_another_caseworker_with_an_event(engine: Engine, team: Team) -> None:
    """Assign to nils: one 'assigned' event (previous: anna); a non-member assignee is refused, nothing written."""
    anna = team("anna")
    pid, _ = enrol(anna, "owned", attributes={"gender": "female"})
    done = ownership.assign(anna, pid, "nils", reason="nils tar över")
    assert (done["login"], done["previous"]) == ("nils", "anna")
    last = history(anna, pid)[-1]
    assert (last.type, last.data["login"], last.data["previous_login"]) == ("assigned", "nils", "anna")
    before = snapshot(engine)
    with pytest.raises(RuleRefused, match="eve .*not a member of workflow 'owned'"):
        ownership.assign(anna, pid, "eve")
    with pytest.raises(InvalidValue, match="user 'ghost'.*anna"):
        ownership.assign(anna, pid, "ghost")
    with pytest.raises(RuleRefused, match="works at soc, so cannot be the named contact at af"):
        ownership.assign(anna, pid, "anna", agency="af")
    with pytest.raises(InvalidValue, match="invalid agency 'police'"):
        ownership.assign(anna, pid, "nils", agency="police")
    assert snapshot(engine) == before
    assert ownership.assign(anna, pid, "nils", agency="af")["slot"] == "af"


def _bulk_enrol(engine: Engine, n: int, holder_id: int) -> list[int]:
    """n open 'owned' participants held by holder_id, written straight into the tables (fast)."""
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO workflow_versions (workflow_id, version, title, sha256, yaml_text, source, "
                          "registered_at) VALUES ('owned', 1, 't', 'x', :y, 's', :at)"),
                     {"y": OWNED_WORKFLOW, "at": START.replace(tzinfo=None) if engine.dialect.name == "sqlite" else START})
        conn.execute(insert(participants), [
            {"ref": f"R-{i}", "workflow_id": "owned", "workflow_version": 1, "step": "referral", "status": "open",
             "attributes": {}, "enrolled_at": START, "last_step_change_at": START, "enrolled_on": START.date(),
             "last_seq": 1, "version": 1} for i in range(n)])
        ids = list(conn.scalars(select(participants.c.id).order_by(participants.c.id)))
        conn.execute(insert(assignments), [{"participant_id": i, "slot": "responsible", "user_id": holder_id,
                                            "assigned_at": START} for i in ids])
    return ids


def _holders(engine: Engine) -> dict[int, int]:
    with engine.connect() as conn:
        rows = conn.execute(select(assignments.c.user_id, text("count(*)")).group_by(assignments.c.user_id))
        return {r[0]: r[1] for r in rows}


def test_reassigning_a_caseload_of_1000_is_all_or_nothing(
        engine: Engine, team: Team, monkeypatch: pytest.MonkeyPatch) -> None:
    """A crash after 500 of 1 000 leaves every case with anna; the real run moves all, one event each."""
    cora = team("cora")
    anna = users.show_user(team("root"), "anna").user
    nils = users.show_user(team("root"), "nils").user
    ids = _bulk_enrol(engine, 1000, anna.id or 0)
    real = ownership._record
    calls = {"n": 0}

    def crash_midway(*args: object, **kwargs: object) -> object:
        calls["n"] += 1
        if calls["n"] == 500:
            raise KeyboardInterrupt("killed midway")
        return real(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(ownership, "_record", crash_midway)
    before = snapshot(engine)
    with pytest.raises(KeyboardInterrupt):
        ownership.reassign(cora, "anna", "nils", reason="Anna slutar")
    assert snapshot(engine) == before
    monkeypatch.setattr(ownership, "_record", real)
    dry = ownership.reassign(cora, "anna", "nils", reason="Anna slutar", dry_run=True)
    assert dry.participants == ids and snapshot(engine) == before
    done = ownership.reassign(cora, "anna", "nils", reason="Anna slutar")
    assert len(done.participants) == 1000
    assert _holders(engine) == {nils.id: 1000}
    with engine.connect() as conn:
        events = conn.execute(text("SELECT count(*), count(DISTINCT participant_id) FROM events "
                                   "WHERE type = 'assigned'")).one()
    assert tuple(events) == (1000, 1000)


def test_reassign_refusals_are_one_line_and_write_nothing(engine: Engine, team: Team) -> None:
    """No caseload, non-member target, a caseworker trying it: refused, naming the value; nothing written."""
    anna, cora = team("anna"), team("cora")
    enrol(anna, "owned", attributes={"gender": "female"})
    before = snapshot(engine)
    with pytest.raises(InvalidValue, match="invalid from 'nils'.*no open participant"):
        ownership.reassign(cora, "nils", "anna", reason="x")
    with pytest.raises(RuleRefused, match="eve .*not a member of workflow 'owned'"):
        ownership.reassign(cora, "anna", "eve", reason="x")
    with pytest.raises(NotPermitted, match="permission participant.reassign"):
        ownership.reassign(anna, "anna", "nils", reason="x")
    with pytest.raises(InvalidValue, match="user 'ghost'"):
        ownership.caseload(cora, "ghost")
    assert snapshot(engine) == before


def test_coordinator_sees_every_caseload_and_the_unassigned(team: Team, engine: Engine) -> None:
    """cora's caseload holds anna's case and an unassigned one; a caseworker may not look at another's."""
    anna = team("anna")
    pid, _ = enrol(anna, "owned", attributes={"gender": "female"})
    other, _ = enrol(team("cora"), "owned", attributes={"gender": "male"})  # cora enrols: coordinators hold cases too
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM assignments WHERE participant_id = :p"), {"p": other})
    rows = {r.participant_id: r.responsible for r in ownership.caseload(team("cora"))}
    assert rows == {pid: "anna", other: None}
    assert [r.participant_id for r in ownership.caseload(team("cora"), "anna")] == [pid]
    with pytest.raises(NotPermitted, match="caseload.others"):
        ownership.caseload(team("nils"), "anna")


def test_deadlines_go_to_the_assigned_person_and_escalate_to_the_named_coordinator(
        engine: Engine, team: Team, clock: FixedClock) -> None:
    """The 3-day limit's miss goes to anna by id and name, its escalation to cora; after a
    reassignment the next miss goes to nils. No participant data beyond id and ref."""
    anna = team("anna")
    pid, _ = enrol(anna, "owned", attributes={"gender": "female"})
    # enrolled on Monday 2 March: the 3-day limit is due on Thursday, this week
    assert [(r.when, r.participant_id, r.due.isoformat()) for r in ownership.today(anna)] == [
        ("this week", pid, "2026-03-05")]
    clock.advance(days=5)
    sched = team("sched")
    sched.notifier = Notifier([])
    actions = deadlines.check(sched)
    by_kind = {a.kind: a for a in actions}
    assert [x["login"] for x in by_kind["deadline_missed"].addressees] == ["anna"]
    assert by_kind["deadline_missed"].addressees[0]["display_name"] == "Anna Berg"
    assert [x["login"] for x in by_kind["escalated"].addressees] == ["cora"]
    assert set(by_kind["escalated"].to_json()) >= {"participant_id", "ref", "addressees"}
    assert [r.when for r in ownership.today(anna)] == ["overdue"]
    ownership.assign(team("cora"), pid, "nils", reason="anna sjuk")
    assert [r.participant_id for r in ownership.today(team("nils"))] == [pid]



def test_caseload_reads_a_page_in_a_fixed_number_of_queries(engine: Engine, team: Team, clock: FixedClock) -> None:
    """A caseload page costs the same few statements for 3 participants as for 30 (no query per
    participant); pages follow participant order, 'total' counts them all, the CLI list reads every
    page; bad paging values are refused naming the value."""
    from sqlalchemy import event

    anna, cora = team("anna"), team("cora")
    for _ in range(3):
        enrol(anna, "owned", attributes={"gender": "female"})

    def statements(call: Callable[[], object]) -> int:
        seen: list[str] = []

        def count(conn: object, cursor: object, statement: str, *args: object) -> None:
            seen.append(statement)
        event.listen(engine, "before_cursor_execute", count)
        try:
            call()
        finally:
            event.remove(engine, "before_cursor_execute", count)
        return len(seen)

    small = statements(lambda: (ownership.caseload_page(cora, limit=50), ownership.today(cora), ownership.workload(cora)))
    for _ in range(27):
        enrol(anna, "owned", attributes={"gender": "male"})
    clock.advance(days=5)  # every limit overdue
    large = statements(lambda: (ownership.caseload_page(cora, limit=50), ownership.today(cora), ownership.workload(cora)))
    assert large == small
    page = ownership.caseload_page(anna, limit=7, offset=14)
    everyone = ownership.caseload(anna)
    assert page.total == 30 and [r.participant_id for r in page.rows] == [r.participant_id for r in everyone[14:21]]
    assert all(r.overdue == 1 for r in everyone) and len(ownership.today(anna)) == 30
    assert ownership.caseload(anna, limit=5, offset=28) == everyone[28:]
    load, unassigned = ownership.workload(cora)
    assert [(r.login, r.count, r.overdue) for r in load] == [("anna", 30, 30)] and unassigned == 0
    with pytest.raises(InvalidValue, match="invalid limit 0: give 1 to 500"):
        ownership.caseload_page(anna, limit=0)
    with pytest.raises(InvalidValue, match="invalid offset -1"):
        ownership.caseload(anna, offset=-1)
