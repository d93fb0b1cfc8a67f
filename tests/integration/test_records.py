"""Consent, action plan, placements, interventions and the handover summary, on both back ends."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock, parse_time
from pathway.errors import GuardFailed, InvalidValue, RuleRefused
from pathway.reports.handover import to_markdown
from pathway.services.handover import journey
from pathway.services import records
from pathway.services.context import ServiceContext
from pathway.services.deadlines import board, check
from pathway.services.participants import enrol, fire, history, show

from .conftest import snapshot

#: The demo workflow with consent guards on 'assess', a follow-up policy and intervention kinds.
CONSENTING = [
    ("  - {trigger: assess, from: referral, to: mapping}\n",
     "  - trigger: assess\n    from: referral\n    to: mapping\n    guards:\n"
     "      - {name: consent_in_force, args: {agencies: [soc, af]}}\n"
     "      - {name: consent_confirmed_today}\n"),
    ("exit_reasons:", "follow_up:\n  remind_before: 2d\n  escalation: [{after: 0d, to: owner}]\n"
     "  placement_contact: {work_trial: 2w}\ninterventions: [health_care, cbt]\nexit_reasons:"),
]


@pytest.fixture
def consenting(workflows: Path) -> None:
    path = workflows / "demo.yaml"
    text = path.read_text()
    for old, new in CONSENTING:
        assert old in text
        text = text.replace(old, new)
    path.write_text(text)


def test_consent_guards_name_what_is_missing_and_withdrawal_blocks(
    ctx: ServiceContext, clock: FixedClock, engine: Engine, consenting: None
) -> None:
    """No consent, consent not confirmed today, and withdrawn consent each block with the reason."""
    pid, _ = enrol(ctx, "demo")
    with pytest.raises(GuardFailed, match="no consent has been given for soc"):
        fire(ctx, pid, "assess")
    records.give_consent(ctx, pid, ["soc", "af"], scope="samverkan", until="2026-12-31")
    clock.advance(days=1)
    assert show(ctx, pid).blocked_triggers["assess"] == [
        "guard 'consent_confirmed_today': consent must be confirmed today (pathway consent confirm); "
        "it was last on 2026-03-02"]
    records.confirm_consent(ctx, pid)
    records.withdraw_consent(ctx, pid, ["af"])
    before = snapshot(engine)
    with pytest.raises(GuardFailed, match="the consent for af was withdrawn on 2026-03-03"):
        fire(ctx, pid, "assess")
    assert snapshot(engine) == before
    records.give_consent(ctx, pid, ["af"])
    assert fire(ctx, pid, "assess").to_step == "mapping"
    assert [e.type for e in history(ctx, pid)][1:5] == ["consent_given", "consent_confirmed", "consent_withdrawn",
                                                       "consent_given"]


def test_record_commands_refuse_what_makes_no_sense(ctx: ServiceContext, engine: Engine, consenting: None) -> None:
    """Unknown agencies, items, placements and kinds are refused with the valid ones, writing nothing."""
    pid, _ = enrol(ctx, "demo")
    before = snapshot(engine)
    refusals = [
        (lambda: records.give_consent(ctx, pid, ["police"]), InvalidValue, "use one or more of: soc, af"),
        (lambda: records.confirm_consent(ctx, pid), RuleRefused, "there is no consent to confirm"),
        (lambda: records.withdraw_consent(ctx, pid, ["af"]), RuleRefused, "no consent in force to withdraw for af"),
        (lambda: records.add_subgoal(ctx, pid, "g1", "x"), InvalidValue, "none yet (add-goal first)"),
        (lambda: records.add_goal(ctx, pid, "Jobb", by="31/12"), InvalidValue, "use an ISO date"),
        (lambda: records.update_plan_item(ctx, pid, "g9", status="done"), InvalidValue, "the plan has: nothing yet"),
        (lambda: records.start_placement(ctx, pid, "holiday", "ICA", "2026-03-09"), InvalidValue,
         "internship, work_training, work_trial"),
        (lambda: records.start_placement(ctx, pid, "work_trial", "ICA", "2026-03-09", end="2026-03-01"),
         InvalidValue, "it is before the start"),
        (lambda: records.followup_placement(ctx, pid, "p1"), InvalidValue, "placements: none"),
        (lambda: records.start_intervention(ctx, pid, "yoga"), InvalidValue, "records: health_care, cbt"),
        (lambda: records.end_intervention(ctx, pid, "i1"), InvalidValue, "interventions: none"),
    ]
    for call, error, message in refusals:
        with pytest.raises(error, match=re.escape(message)):
            call()
    assert snapshot(engine) == before


def test_plan_dates_and_placement_contacts_become_deadlines(
    ctx: ServiceContext, clock: FixedClock, consenting: None
) -> None:
    """A sub-goal's date is a deadline met by marking it done; a work trial's contact every 2w is watched."""
    pid, _ = enrol(ctx, "demo")
    records.add_goal(ctx, pid, "Arbete inom handel", with_whom="coach")
    assert records.add_subgoal(ctx, pid, "g1", "Truckkort", by="2026-03-20")["id"] == "g1.1"
    assert records.start_placement(ctx, pid, "work_trial", "ICA Kvantum", "2026-03-02",
                                   hours_per_week=10, goal="10 h/vecka i 12 veckor")["follow_up_every"] == "2w"
    due = {r.rule: r.due_date.isoformat() for r in board(ctx) if r.due_date}  # type: ignore[union-attr]
    assert due == {"plan:g1.1": "2026-03-20", "placement:p1": "2026-03-16"}
    clock.set(parse_time("2026-03-13T10:00"))
    records.followup_placement(ctx, pid, "p1", hours_per_week=12)
    records.update_plan_item(ctx, pid, "g1.1", status="done")
    due = {r.rule: r.due_date.isoformat() for r in board(ctx) if r.due_date}  # type: ignore[union-attr]
    assert due == {"placement:p1": "2026-03-27"}
    clock.set(parse_time("2026-03-28T08:00"))
    # the reminder (25 March) was overtaken by the miss when the check first ran: only the miss and level 1
    assert [(a.rule, a.kind) for a in check(ctx)] == [("placement:p1", "deadline_missed"),
                                                       ("placement:p1", "escalated")]
    records.end_placement(ctx, pid, "p1", outcome="anställning")
    assert [r.rule for r in board(ctx)] == []


def test_interventions_run_alongside_and_never_block(ctx: ServiceContext, clock: FixedClock, consenting: None) -> None:
    """A health-care intervention is recorded in show and history while the steps move on."""
    pid, _ = enrol(ctx, "demo", attributes={"ready": True})
    records.start_intervention(ctx, pid, "health_care", agency="health", note="vårdcentral")
    records.give_consent(ctx, pid, ["soc", "af"])
    assert fire(ctx, pid, "assess").to_step == "mapping"
    clock.advance(days=7)
    records.end_intervention(ctx, pid, "i1")
    view = show(ctx, pid).to_json()
    assert [(i["id"], i["kind"], i["ended_at"] is not None) for i in view["interventions"]] == [("i1", "health_care", True)]
    with pytest.raises(RuleRefused, match="i1 has already ended"):
        records.end_intervention(ctx, pid, "i1")


def test_handover_summary_holds_only_what_consent_covers(ctx: ServiceContext, clock: FixedClock, consenting: None) -> None:
    """The receiving agency gets the journey only with consent; health interventions only with health's consent."""
    pid, _ = enrol(ctx, "demo", ref="LU-7")
    records.give_consent(ctx, pid, ["soc", "af"])
    fire(ctx, pid, "assess")
    records.add_goal(ctx, pid, "Arbete", by="2026-09-01")
    records.start_intervention(ctx, pid, "health_care", agency="health")
    records.start_intervention(ctx, pid, "cbt")
    to_af = journey(ctx, pid, "af")
    assert to_af["consent_covers_receiver"] is True
    assert [s["step"] for s in to_af["steps"]] == ["referral", "mapping"]
    assert [i["kind"] for i in to_af["interventions"]] == ["cbt"]  # no consent for health's information
    assert to_af["plan"][0]["what"] == "Arbete"
    markdown = to_markdown(to_af)
    assert "## Handlingsplan" in markdown and "| g1 | Arbete |" in markdown and "health_care" not in markdown
    to_fk = journey(ctx, pid, "fk")
    assert to_fk["consent_covers_receiver"] is False and "plan" not in to_fk
    assert "no consent has been given for fk" in to_markdown(to_fk)
    clock.advance(days=1)
    records.withdraw_consent(ctx, pid, ["af"])
    assert journey(ctx, pid, "af")["withheld"] == "the consent for af was withdrawn on 2026-03-03"


def test_show_reads_consent_in_force_on_the_injected_clock(ctx: ServiceContext, clock: FixedClock) -> None:
    """A consent valid until 30 June is in force when the clock says 10 March, whatever the wall clock says."""
    pid, _ = enrol(ctx, "demo")
    records.give_consent(ctx, pid, ["soc", "af"], until="2026-06-30")
    clock.set(parse_time("2026-03-10T09:00", "now"))
    assert show(ctx, pid).to_json()["consent"]["agencies_in_force"] == ["af", "soc"]
    clock.set(parse_time("2026-07-01T09:00", "now"))
    assert show(ctx, pid).to_json()["consent"]["agencies_in_force"] == []
