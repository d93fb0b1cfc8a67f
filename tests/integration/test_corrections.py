"""Corrections on SQLite and PostgreSQL: undo, reopen, void, and each kind of correction, with reports
before and after; the history stays append-only and its replay gives the projection."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine, select

from pathway.clock import FixedClock
from pathway.domain.folded import Folded
from pathway.domain.replay import replay
from pathway.errors import BadInput, ParticipantVoided, RuleRefused
from pathway.reports.crosstab import exits_table, participants_table
from pathway.reports.flow import flow_table
from pathway.services.handover import journey
from pathway.services.reporting import run
from pathway.services import corrections, records
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, history, list_participants, set_attributes, show
from pathway.store.tables import deadlines, struck_events

from .conftest import START, snapshot


@pytest.fixture
def workflows(workflows: Path) -> Path:
    """The demo workflow with a 14-day limit on mapping and 4 weeks on training (deadlines to restore)."""
    path = workflows / "demo.yaml"
    text = path.read_text()
    text = text.replace("kind: assessment, owner: coach}", "kind: assessment, owner: coach, limit: {within: 14d}}")
    text = text.replace("kind: placement, owner: coach}", "kind: placement, owner: coach, limit: {within: 4w}}")
    path.write_text(text)
    return workflows


def rows(engine: Engine, pid: int) -> dict[str, tuple[str, Any]]:
    with engine.connect() as conn:
        return {r.rule: (r.status, r.due_date) for r in conn.execute(
            select(deadlines).where(deadlines.c.participant_id == pid).order_by(deadlines.c.id))}


def projection_is_replay(ctx: ServiceContext, pid: int) -> None:
    with ctx.uow() as uow:
        participant = uow.participants.get(pid)
        events = uow.participants.history(pid)
        state = replay(events, {"exited"})
        assert {k: getattr(participant, k) for k in state} == state
        assert participant.folded.to_json() == Folded.rebuild(events).to_json()  # the fold on the row too


def counts(ctx: ServiceContext, table: Any, dimension: str, as_of: date | None = None) -> dict[Any, int]:
    (result,) = run(ctx, "demo", lambda s, sc: [table(s, sc, [dimension])], as_of=as_of)
    return {r[dimension]: r["count"] for r in result.rows if r["count"]}


def walk_to_training(ctx: ServiceContext, clock: FixedClock) -> int:
    pid, _ = enrol(ctx, "demo", ref="C-1", attributes={"gender": "female"})
    clock.advance(days=1)
    fire(ctx, pid, "assess")
    set_attributes(ctx, pid, {"ready": True})
    clock.advance(days=2)
    fire(ctx, pid, "place", {"track": "work"})
    return pid


def test_undo_last_returns_to_the_step_before_with_its_deadlines(
    ctx: ServiceContext, clock: FixedClock, engine: Engine
) -> None:
    """--undo-last: back to mapping, its 14-day limit open again with the same due date, the undone event struck."""
    pid = walk_to_training(ctx, clock)
    before = rows(engine, pid)
    assert before["limit:mapping"][0] == "met" and before["limit:training"][0] == "open"
    flow = {r["step"]: r["entered"] for r in run(ctx, "demo", lambda s, sc: [flow_table(s, sc)])[0].rows}
    assert flow["training"] == 1
    clock.advance(hours=1)

    result = corrections.undo_last(ctx, pid, "wrong trigger: the placement was not decided")
    assert (result.kind, result.step, result.corrects) == ("undo", "mapping", [4])
    view = show(ctx, pid)
    assert view.step == "mapping" and view.last_step_change_at == START + timedelta(days=1)
    after = rows(engine, pid)
    assert after["limit:mapping"] == ("open", before["limit:mapping"][1])  # as it was
    assert after["limit:training"][0] == "cancelled"
    events = history(ctx, pid)
    assert [e.type for e in events] == ["enrolled", "transition", "attributes_set", "transition", "corrected"]
    undone = events[3]
    assert undone.struck and undone.corrected_by == 5 and undone.to_step == "training"  # kept, struck through
    assert events[4].reason == "wrong trigger: the placement was not decided"
    assert events[4].data["previous"]["step"] == "training"
    flow = {r["step"]: r["entered"] for r in run(ctx, "demo", lambda s, sc: [flow_table(s, sc)])[0].rows}
    assert flow["training"] == 0 and flow["mapping"] == 1
    projection_is_replay(ctx, pid)
    with engine.connect() as conn:
        assert [tuple(r) for r in conn.execute(select(struck_events))] == [(pid, 4, 5)]

    fire(ctx, pid, "place", {"track": "study"})  # the right trigger, afterwards
    assert show(ctx, pid).step == "studies"


def test_undo_needs_a_reason_and_a_transition_and_refusals_write_nothing(
    ctx: ServiceContext, engine: Engine
) -> None:
    """No reason, or nothing to undo (only the enrolment): refused, nothing written."""
    pid, _ = enrol(ctx, "demo")
    before = snapshot(engine)
    with pytest.raises(BadInput, match="needs reason TEXT"):
        corrections.undo_last(ctx, pid, "  ")
    with pytest.raises(RuleRefused, match="no transition to undo.*participant void"):
        corrections.undo_last(ctx, pid, "oops")
    with pytest.raises(RuleRefused, match="has not exited"):
        corrections.reopen(ctx, pid, "oops")
    assert snapshot(engine) == before


def test_exit_closes_what_is_open_and_reopen_opens_it_again(
    ctx: ServiceContext, clock: FixedClock, engine: Engine
) -> None:
    """The exit ends the running placement, intervention and open goal at its time; reopen undoes exit and closings."""
    pid = walk_to_training(ctx, clock)
    records.start_placement(ctx, pid, "work_trial", "Parkförvaltningen", "2026-03-05")
    records.start_intervention(ctx, pid, "health_care", agency="health")
    records.add_goal(ctx, pid, "Arbete 10 h/vecka")
    records.add_goal(ctx, pid, "Körkort")
    records.update_plan_item(ctx, pid, "g2", status="done")
    clock.advance(days=3)
    exit_at = clock.now()
    fire(ctx, pid, "exit", {"reason": "work"})
    view = show(ctx, pid)
    assert view.records.placements["p1"].ended_at == exit_at
    assert view.records.interventions["i1"].ended_at == exit_at
    assert (view.records.plan["g1"].status, view.records.plan["g2"].status) == ("closed", "done")
    closing = [e for e in history(ctx, pid) if e.data.get("closed_by_exit")]
    assert [e.type for e in closing] == ["placement_ended", "intervention_ended", "plan_item_updated"]
    assert counts(ctx, exits_table, "reason") == {"work": 1}

    clock.advance(days=1)
    result = corrections.reopen(ctx, pid, "exit recorded on the wrong participant")
    assert (result.step, result.status) == ("training", "open")
    view = show(ctx, pid)
    assert view.exit_reason is None and view.exited_at is None
    assert view.records.placements["p1"].ended_at is None and view.records.plan["g1"].status == "open"
    assert counts(ctx, exits_table, "reason") == {}
    assert rows(ctx_engine := engine, pid)["limit:training"][0] == "open" and ctx_engine
    struck = [e.seq for e in history(ctx, pid) if e.struck]
    assert struck == [e.seq for e in history(ctx, pid) if e.type == "transition" and e.trigger == "exit"] \
        + [e.seq for e in closing]
    projection_is_replay(ctx, pid)


def test_undo_last_after_an_exit_reopens(ctx: ServiceContext, clock: FixedClock) -> None:
    """On an exited participant the last transition is the exit: --undo-last reopens."""
    pid = walk_to_training(ctx, clock)
    fire(ctx, pid, "exit", {"reason": "ended"})
    assert corrections.undo_last(ctx, pid, "not an exit").kind == "reopen"
    assert show(ctx, pid).status == "open"


def test_correcting_the_exit_reason_twice_and_reports_read_the_corrected_value(
    ctx: ServiceContext, clock: FixedClock, engine: Engine
) -> None:
    """The exit reason corrected (work → studies → ended): reports and --as-of read the newest; previous values kept."""
    pid = walk_to_training(ctx, clock)
    fire(ctx, pid, "exit", {"reason": "work"})
    exit_day = show(ctx, pid).exited_at
    clock.advance(days=20)
    first = corrections.correct_exit(ctx, pid, {"reason": "studies"}, "he started studies, not work")
    assert first.previous == {"reason": "work"} and first.changed == {"reason": "studies"}
    assert show(ctx, pid).exit_reason == "studies"
    assert counts(ctx, exits_table, "reason") == {"studies": 1}
    second = corrections.correct_exit(ctx, pid, {"reason": "ended"}, "the studies never began")
    assert second.previous == {"reason": "studies"}
    assert counts(ctx, exits_table, "reason") == {"ended": 1}
    assert show(ctx, pid).exited_at == exit_day  # the exit's time is not what was corrected
    assert counts(ctx, exits_table, "reason", as_of=(START + timedelta(days=4)).date()) == {"ended": 1}
    with pytest.raises(BadInput, match="nothing changes"):
        corrections.correct_exit(ctx, pid, {"reason": "ended"}, "again")
    with pytest.raises(BadInput, match="use one of the exit reasons"):
        corrections.correct_exit(ctx, pid, {"reason": "moved"}, "x")
    flow = {r["step"]: r for r in run(ctx, "demo", lambda s, sc: [flow_table(s, sc)])[0].rows}
    assert (flow["training"]["entered"], flow["training"]["in_now"]) == (1, 0)  # left by the (corrected) exit
    assert [e.struck for e in history(ctx, pid)][-3:] == [True, True, False]
    projection_is_replay(ctx, pid)
    corrections.reopen(ctx, pid, "not exited at all")
    assert show(ctx, pid).status == "open" and counts(ctx, exits_table, "reason") == {}
    projection_is_replay(ctx, pid)


def test_correcting_an_attribute_keeps_the_previous_value_and_reports_read_the_correction(
    ctx: ServiceContext, clock: FixedClock
) -> None:
    """gender recorded wrongly at enrolment: corrected as of the enrolment, so --as-of days before the correction read it too."""
    pid, _ = enrol(ctx, "demo", attributes={"gender": "female"})
    enrol(ctx, "demo", attributes={"gender": "female"})
    assert counts(ctx, participants_table, "gender") == {"female": 2}
    clock.advance(days=10)
    result = corrections.correct_attributes(ctx, pid, {"gender": "male"}, "mistyped at enrolment")
    assert result.previous == {"gender": "female"} and result.changed == {"gender": "male"}
    assert counts(ctx, participants_table, "gender") == {"female": 1, "male": 1}
    assert counts(ctx, participants_table, "gender", as_of=(START + timedelta(days=2)).date()) == {"female": 1, "male": 1}
    events = history(ctx, pid)
    assert events[0].corrected_by == events[-1].seq and not events[0].struck  # amended, not struck
    assert events[-1].effective_at == events[0].effective_at and events[-1].data["amends"] == 1
    with pytest.raises(BadInput, match="'hours' was never recorded"):
        corrections.correct_attributes(ctx, pid, {"hours": 3}, "x")
    projection_is_replay(ctx, pid)


def test_correcting_a_consent_entry(ctx: ServiceContext, clock: FixedClock) -> None:
    """A consent recorded for soc only corrected to soc and af: in force for both, as of when it was given."""
    pid, _ = enrol(ctx, "demo")
    records.give_consent(ctx, pid, ["soc"], until="2026-12-31")
    seq = history(ctx, pid)[-1].seq
    clock.advance(days=2)
    result = corrections.correct_record(ctx, pid, seq, {"agencies": "soc,af"}, "af was on the signed form")
    assert result.previous == {"agencies": ["soc"]}
    view = show(ctx, pid)
    assert sorted(view.records.consent.agencies_in_force(date(2026, 3, 10))) == ["af", "soc"]
    assert view.records.consent.grants[0].given_at == START
    assert history(ctx, pid)[seq - 1].struck
    records.add_goal(ctx, pid, "Arbete", by="2026-05-01")
    goal = history(ctx, pid)[-1].seq
    corrections.correct_record(ctx, pid, goal, {"by": "2026-06-01", "what": "Arbete 20 h"}, "date agreed later")
    item = show(ctx, pid).records.plan["g1"]
    assert (item.what, item.by) == ("Arbete 20 h", date(2026, 6, 1))
    with pytest.raises(BadInput, match="a consent_given entry has: agencies, scope, until") as refused:
        corrections.correct_record(ctx, pid, seq, {"colour": "x"}, "x")
    assert refused.value.fields == ("set",)  # the CLI words it --set, another entry point its own way
    assert refused.value.message.startswith("invalid set 'colour'")
    projection_is_replay(ctx, pid)


def test_a_voided_enrolment_leaves_every_report(ctx: ServiceContext, clock: FixedClock, engine: Engine) -> None:
    """void: out of participants/exits/flow reports and the list, its deadlines cancelled, nothing more recorded on it."""
    kept = walk_to_training(ctx, clock)
    mistake, _ = enrol(ctx, "demo", ref="C-2", attributes={"gender": "male"})
    fire(ctx, mistake, "assess")
    assert counts(ctx, participants_table, "gender") == {"female": 1, "male": 1}
    clock.advance(days=1)
    result = corrections.void(ctx, mistake, "felregistrering: not a participant")
    assert result.changed == {"status": "voided"}
    assert counts(ctx, participants_table, "gender") == {"female": 1}
    assert counts(ctx, participants_table, "gender", as_of=START.date()) == {"female": 1}
    flow = {r["step"]: r["entered"] for r in run(ctx, "demo", lambda s, sc: [flow_table(s, sc)])[0].rows}
    assert flow["mapping"] == 1
    assert [p.id for p in list_participants(ctx)] == [kept]
    assert [p.id for p in list_participants(ctx, status="voided")] == [mistake]
    assert {s for s, _ in rows(engine, mistake).values()} == {"cancelled"}
    before = snapshot(engine)
    with pytest.raises(ParticipantVoided):
        fire(ctx, mistake, "exit", {"reason": "ended"})
    with pytest.raises(ParticipantVoided):
        corrections.void(ctx, mistake, "again")
    assert snapshot(engine) == before
    assert history(ctx, mistake)[-1].data["previous"] == {"status": "open", "step": "mapping"}
    projection_is_replay(ctx, mistake)


def test_consent_withdrawn_after_exit_is_respected_by_a_later_handover(ctx: ServiceContext, clock: FixedClock) -> None:
    """Consent can be withdrawn after the exit, and the handover made after that withholds the journey."""
    pid = walk_to_training(ctx, clock)
    records.give_consent(ctx, pid, ["soc", "af"])
    fire(ctx, pid, "exit", {"reason": "work"})
    assert journey(ctx, pid, "af")["consent_covers_receiver"] is True
    clock.advance(days=2)
    records.withdraw_consent(ctx, pid, ["af"])
    summary = journey(ctx, pid, "af")
    assert summary["consent_covers_receiver"] is False and "steps" not in summary
    assert "withdrawn" in summary["withheld"]
    with pytest.raises(RuleRefused, match="has exited"):
        records.give_consent(ctx, pid, ["af"])


def test_staff_correct_their_own_entries_within_the_window_and_coordinators_any(
    ctx: ServiceContext, clock: FixedClock, engine: Engine, workflows: Path
) -> None:
    """Anna may undo her own transition within 7 days, not Bob's nor an old one (exit 3, nothing written); a coordinator may."""
    from pathway.errors import NotPermitted
    from pathway.services import users

    from .test_users import as_user

    users.add_user(ctx, "root", "Root", "coordination", admin=True)
    admin = as_user(engine, workflows, clock, "root")
    users.add_user(admin, "anna", "Anna Berg", "soc", ["coach"], ["demo"])
    users.add_user(admin, "bob", "Bob Ek", "af", ["coach"], ["demo"])
    users.add_user(admin, "cia", "Cia Samordnare", "soc", ["coordinator"], ["demo"])
    anna, bob, cia = (as_user(engine, workflows, clock, who) for who in ("anna", "bob", "cia"))
    pid, _ = enrol(anna, "demo")
    fire(anna, pid, "assess")
    before = snapshot(engine)
    with pytest.raises(NotPermitted, match="own entries within 7 days.*#2 was recorded by someone else") as caught:
        corrections.undo_last(bob, pid, "not mine")
    assert caught.value.exit_code == 3 and snapshot(engine) == before
    clock.advance(days=8)
    with pytest.raises(NotPermitted, match="recorded more than 7 days ago"):
        corrections.undo_last(anna, pid, "too late")
    assert snapshot(engine) == before
    assert corrections.undo_last(cia, pid, "the coordinator may").step == "referral"
    clock.advance(days=1)
    fire(anna, pid, "assess")
    assert corrections.undo_last(anna, pid, "her own, the same day").step == "referral"
