"""Every step setting of the shipped workflows has its effect, and meetings are records: both back ends."""

from __future__ import annotations

import json
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock
from pathway.errors import GuardFailed, InvalidValue, RuleRefused
from pathway.services import meetings, records
from pathway.services.context import ServiceContext
from pathway.services.notify import Notifier, OutboxFileSink
from pathway.services.participants import enrol, fire, show

from .conftest import make_context, snapshot

REPO = Path(__file__).resolve().parents[2]
SWEDEN = ZoneInfo("Europe/Stockholm")
FLEN_PARTIES = ["caseworker:kim", "employment_officer:anna", "labour_market_consultant:ali"]


def local(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=SWEDEN)  # type: ignore[misc]


@pytest.fixture
def shipped(engine: Engine, clock: FixedClock) -> ServiceContext:
    return make_context(engine, REPO / "workflows", clock)


def _flen(ctx: ServiceContext, clock: FixedClock, application_date: str | None = "2026-03-02") -> int:
    clock.set(local(2026, 3, 2, 9))
    pid, _ = enrol(ctx, "flen_tripartite", attributes={"application_date": application_date} if application_date else {})
    records.give_consent(ctx, pid, ["soc", "af", "labour_unit"])
    clock.set(local(2026, 3, 5, 10))
    return pid


# -- meeting steps: parties, confirm_consent, preparation_minutes, feedback_minutes -----------------

def test_a_meeting_step_needs_a_record_naming_every_party(shipped: ServiceContext, clock: FixedClock,
                                                          engine: Engine) -> None:
    """Flen's first meeting: no record, then a record without AUC, are refused (writing nothing); a full one passes."""
    pid = _flen(shipped, clock)
    before = snapshot(engine)
    with pytest.raises(GuardFailed, match="step 'first_meeting' needs a meeting record since 2026-03-02 09:00"):
        fire(shipped, pid, "hold_first_meeting")
    assert snapshot(engine) == before
    meetings.record_meeting(shipped, pid, "first_meeting", FLEN_PARTIES[:2], consent_confirmed=True)
    with pytest.raises(GuardFailed, match="does not name labour_market_consultant among the attendees"):
        fire(shipped, pid, "hold_first_meeting")
    assert show(shipped, pid).blocked_triggers["hold_first_meeting"] == [
        "the meeting record of 2026-03-05 10:00 does not name labour_market_consultant among the attendees"]
    # a party may be named by its role or by its role's agency
    meetings.record_meeting(shipped, pid, "first_meeting", ["soc:kim", "af:anna", "labour_unit:ali"],
                            led_by="kim", consent_confirmed=True, decisions=["Handlingsplan skrivs"],
                            signed_by_participant=True)
    assert fire(shipped, pid, "hold_first_meeting").to_step == "first_meeting"


def test_confirm_consent_needs_consent_confirmed_at_the_meeting_for_the_agencies_present(
        shipped: ServiceContext, clock: FixedClock, engine: Engine) -> None:
    """A record without --consent-confirmed does not open the step; confirming for an agency without consent is refused."""
    pid = _flen(shipped, clock)
    meetings.record_meeting(shipped, pid, "first_meeting", FLEN_PARTIES)
    with pytest.raises(GuardFailed, match="consent was not confirmed at the meeting of 2026-03-05 10:00"):
        fire(shipped, pid, "hold_first_meeting")
    records.withdraw_consent(shipped, pid, ["af"])
    before = snapshot(engine)
    with pytest.raises(RuleRefused, match="the consent for af was withdrawn on 2026-03-05"):
        meetings.record_meeting(shipped, pid, "first_meeting", FLEN_PARTIES, consent_confirmed=True)
    assert snapshot(engine) == before
    data = meetings.record_meeting(shipped, pid, "first_meeting", FLEN_PARTIES[::2], consent_confirmed=True,
                                   absent=["af:samtycket återkallat"])
    assert data["consent_confirmed_for"] == ["labour_unit", "soc"]
    assert data["absent"] == [{"role": None, "agency": "af", "reason": "samtycket återkallat"}]


def test_a_record_meets_only_the_next_trigger_into_the_step(shipped: ServiceContext, clock: FixedClock) -> None:
    """Flen's follow-up loop: each new follow-up meeting needs a record of its own, held after the last step change."""
    pid = _flen(shipped, clock)
    meetings.record_meeting(shipped, pid, "first_meeting", FLEN_PARTIES, consent_confirmed=True)
    fire(shipped, pid, "hold_first_meeting")
    fire(shipped, pid, "write_plan")
    clock.set(local(2026, 4, 2, 10))
    meetings.record_meeting(shipped, pid, "follow_up", FLEN_PARTIES, consent_confirmed=True)
    fire(shipped, pid, "follow_up", {"plan_signed": True})
    clock.set(local(2026, 4, 30, 10))
    records.confirm_consent(shipped, pid)
    with pytest.raises(GuardFailed, match="needs a meeting record since 2026-04-02 10:00"):
        fire(shipped, pid, "follow_up")
    meetings.record_meeting(shipped, pid, "follow_up", FLEN_PARTIES, consent_confirmed=True)
    assert fire(shipped, pid, "follow_up").to_step == "follow_up"


def test_preparation_and_feedback_minutes_default_from_the_step(shipped: ServiceContext, clock: FixedClock,
                                                                tmp_path: Path) -> None:
    """Flen's 15 + 15 minutes go onto the record unless given; notes come from the file; other types get none."""
    pid = _flen(shipped, clock)
    notes = tmp_path / "anteckningar.txt"
    notes.write_text("Klienten vill prova lager.\n", encoding="utf-8")
    data = meetings.record_meeting(shipped, pid, "first_meeting", FLEN_PARTIES, minutes=45, notes_file=notes)
    assert (data["preparation_minutes"], data["minutes"], data["feedback_minutes"]) == (15, 45, 15)
    assert data["notes"] == "Klienten vill prova lager."
    own = meetings.record_meeting(shipped, pid, "individual", ["soc:kim"], preparation_minutes=5)
    assert (own["preparation_minutes"], own["feedback_minutes"]) == (5, None)
    with pytest.raises(InvalidValue, match="start with an agency"):
        meetings.record_meeting(shipped, pid, "individual", ["nobody:kim"])
    with pytest.raises(InvalidValue, match="name who took part after the colon"):
        meetings.record_meeting(shipped, pid, "individual", ["af"])


def test_a_rule_starting_at_an_attribute_makes_it_required_before_the_target(shipped: ServiceContext,
                                                                            clock: FixedClock) -> None:
    """Without the application date the 14-day rule never starts, so the first meeting is refused until it is given."""
    pid = _flen(shipped, clock, application_date=None)
    meetings.record_meeting(shipped, pid, "first_meeting", FLEN_PARTIES, consent_confirmed=True)
    with pytest.raises(GuardFailed, match="application_date"):
        fire(shipped, pid, "hold_first_meeting")
    assert fire(shipped, pid, "exit", {"reason": "work"}).to_step == "exited"  # leaving is never held up


# -- no-shows ---------------------------------------------------------------------------------------

def test_a_no_show_is_recorded_and_notified_to_the_other_agencies_the_consent_covers(
        engine: Engine, clock: FixedClock, tmp_path: Path) -> None:
    """Flen: AF's no-show reaches social services and AUC through the outbox; after AUC withdraws, not AUC."""
    outbox = tmp_path / "outbox.jsonl"
    ctx = make_context(engine, REPO / "workflows", clock)
    ctx.notifier = Notifier([OutboxFileSink(outbox)])
    pid = _flen(ctx, clock)
    result = meetings.record_no_show(ctx, pid, "individual", "af", note="Uteblev från inskrivningssamtalet")
    assert (result.notified, result.withheld) == (["labour_unit", "soc"], [])
    sent = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert [(s["type"], s["to_agency"], s["recorded_by_agency"], s["notification_id"]) for s in sent] == [
        ("meeting_no_show", "labour_unit", "af", f"{pid}-{result.seq}-labour_unit"),
        ("meeting_no_show", "soc", "af", f"{pid}-{result.seq}-soc")]
    records.withdraw_consent(ctx, pid, ["labour_unit"])
    later = meetings.record_no_show(ctx, pid, "individual", "af")
    assert (later.notified, later.withheld) == (["soc"], ["labour_unit"])
    listed = meetings.meetings_of(ctx, pid)[1]
    assert [(m.type, m.no_show) for m in listed] == [("individual", True), ("individual", True)]


# -- placement steps: placement_types, contact_every, target_hours_per_week, weeks ----------------------

def _ljusnarsberg_in_guidance(ctx: ServiceContext, clock: FixedClock) -> int:
    clock.set(local(2026, 1, 12, 9))
    pid, _ = enrol(ctx, "ljusnarsberg_rehab", attributes={
        "gender": "female", "birth_date": "1971-09-12", "referring_agency": "fk", "target_group": ["several_agencies"],
        "obstacles": ["physical_health"], "education": "compulsory", "household": "single_no_children",
        "income_source": "rehabilitation_benefit"})
    records.give_consent(ctx, pid, ["soc", "af", "fk", "health"])
    meetings.record_meeting(ctx, pid, "taken_up", ["doctor:eva", "soc:kim", "af:per", "fk:sara", "coordinator:lena"])
    for trigger in ("take_up", "start_mapping", "write_plan", "start_guidance"):
        fire(ctx, pid, trigger)
    return pid


def test_the_trigger_into_a_placement_step_starts_the_placement_with_the_steps_settings(
        shipped: ServiceContext, clock: FixedClock) -> None:
    """Ljusnarsberg: start_placement starts p1 (contact every 2w, 10 h a week for 12 weeks); end_placement ends it."""
    pid = _ljusnarsberg_in_guidance(shipped, clock)
    clock.set(local(2026, 3, 9, 9))
    fire(shipped, pid, "start_placement", {"placement_type": "work_trial", "employer": "Fritidsgården",
                                           "agreement_signed": True})
    view = show(shipped, pid)
    placement = view.records.placements["p1"]
    assert (placement.type, placement.employer, placement.follow_up_every) == ("work_trial", "Fritidsgården", "2w")
    assert (placement.target_hours_per_week, placement.weeks, placement.end) == (10, 12, date(2026, 6, 1))
    assert [(d.rule, d.due_date) for d in view.deadlines if d.rule.startswith("placement")] == [
        ("placement:p1", date(2026, 3, 23))]
    clock.set(local(2026, 3, 23, 9))
    records.followup_placement(shipped, pid, "p1", hours_per_week=8)
    clock.set(local(2026, 4, 6, 9))
    records.followup_placement(shipped, pid, "p1", hours_per_week=10.5)
    assert show(shipped, pid).records.placements["p1"].hours_recorded == [8, 10.5]
    shown = show(shipped, pid).to_json()["placements"][0]
    assert (shown["target_hours_per_week"], shown["weeks"], shown["hours_recorded"]) == (10, 12, [8, 10.5])
    clock.set(local(2026, 4, 10, 9))
    fire(shipped, pid, "end_placement", {"outcome": "Klarade 10 h/vecka"})
    ended = show(shipped, pid)
    assert (ended.records.placements["p1"].ended_at, ended.records.placements["p1"].outcome) == (
        local(2026, 4, 10, 9), "Klarade 10 h/vecka")
    assert not [d for d in ended.deadlines if d.rule.startswith("placement")]


def test_placement_types_limit_what_a_placement_in_the_step_may_be(shipped: ServiceContext,
                                                                  clock: FixedClock, engine: Engine) -> None:
    """Kraft's training step takes work_training and supported_employment, never an internship."""
    clock.set(local(2026, 1, 12, 9))
    pid, _ = enrol(shipped, "kraft", attributes={
        "referring_agency": "soc", "income_source": "social_assistance", "stable_social_situation": True,
        "no_ongoing_substance_abuse": True, "stable_housing": True, "swedish_without_interpreter": True})
    for trigger in ("assess", "include", "activate", "refer_to_training"):
        fire(shipped, pid, trigger)
    before = snapshot(engine)
    with pytest.raises(InvalidValue, match="placement_type"):
        fire(shipped, pid, "start_training", {"placement_type": "internship", "employer": "ICA"})
    assert snapshot(engine) == before
    fire(shipped, pid, "start_training", {"placement_type": "supported_employment", "employer": "ICA", "hours_per_week": 6})
    p1 = show(shipped, pid).records.placements["p1"]
    assert (p1.type, p1.target_hours_per_week, p1.hours_per_week) == ("supported_employment", 10, 6)
    with pytest.raises(InvalidValue, match="a placement in step 'training' is one of: work_training, supported_employment"):
        records.start_placement(shipped, pid, "internship", "Coop", "2026-09-01")
    second = records.start_placement(shipped, pid, "work_training", "Coop", "2026-09-01")
    assert (second["id"], second["target_hours_per_week"], second["step"]) == ("p2", 10, "training")


# -- repeating rules: every … until ------------------------------------------------------------------

TRIAL = """\
id: trial
version: 1
title: Arbetsprövning med kontakt varannan vecka
roles:
  - {id: coordinator, title: Samordnare}
  - {id: rehab_group, title: Rehabgruppen}
exit_reasons:
  - {code: work, label: Arbete, category: work}
steps:
  - {id: guidance, title: Vägledning, kind: guidance, owner: coordinator, initial: true}
  - {id: trial, title: Arbetsprövning, kind: placement, owner: coordinator}
  - {id: exited, title: Avslut, kind: exit, owner: coordinator, terminal: true}
transitions:
  - {trigger: start_trial, from: guidance, to: trial}
  - {trigger: end_trial, from: trial, to: guidance}
  - {trigger: contact, from: trial}
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
deadlines:
  - id: contact_every_second_week
    title: Kontakt med deltagaren varannan vecka under arbetsprövningen
    start: {trigger: start_trial}
    target: {meeting: trial_contact}
    within: 2w
    every: 2w
    until: {trigger: end_trial}
    remind_before: 2d
    escalation: [{after: 0d, to: coordinator}, {after: 1w, to: rehab_group}]
"""


@pytest.fixture
def trial(engine: Engine, clock: FixedClock, workflows: Path) -> ServiceContext:
    (workflows / "trial.yaml").write_text(TRIAL, encoding="utf-8")
    return make_context(engine, workflows, clock)


def _occurrences(ctx: ServiceContext, pid: int) -> list[tuple[str, str, date | None]]:
    with ctx.uow() as uow:
        rows = sorted(uow.deadlines.for_participant(pid), key=lambda d: int(d.key.rsplit(":", 1)[1]))
        return [(d.key, d.status, d.due_date) for d in rows if d.rule == "contact_every_second_week"]


def test_a_repeating_rule_is_met_missed_escalated_and_stopped(trial: ServiceContext, clock: FixedClock) -> None:
    """Contact every 2w: a record meets one occurrence and starts the next; a missed one escalates; end_trial stops it."""
    from pathway.services.deadlines import check

    clock.set(local(2026, 3, 2, 9))
    pid, _ = enrol(trial, "trial")
    assert _occurrences(trial, pid) == []  # not started before the trial
    fire(trial, pid, "start_trial")
    assert _occurrences(trial, pid) == [("rule:contact_every_second_week:0", "open", date(2026, 3, 16))]
    clock.set(local(2026, 3, 13, 14))
    meetings.record_meeting(trial, pid, "trial_contact", ["coordinator:lena"])
    assert _occurrences(trial, pid) == [("rule:contact_every_second_week:0", "met", date(2026, 3, 16)),
                                        ("rule:contact_every_second_week:1", "open", date(2026, 3, 27))]
    # nobody calls for the next one: the check reminds, misses and escalates it like any deadline
    clock.set(local(2026, 4, 4, 9))
    kinds = [(a.rule, a.kind, a.level, a.role) for a in check(trial)]
    assert kinds == [("contact_every_second_week", "deadline_missed", 0, "coordinator"),
                     ("contact_every_second_week", "escalated", 1, "coordinator"),
                     ("contact_every_second_week", "escalated", 2, "rehab_group")]
    # a late contact still meets it, and the next one is due two weeks after that contact
    meetings.record_meeting(trial, pid, "trial_contact", ["coordinator:lena"])
    assert _occurrences(trial, pid)[1:] == [("rule:contact_every_second_week:1", "met", date(2026, 3, 27)),
                                            ("rule:contact_every_second_week:2", "open", date(2026, 4, 18))]
    # a no-show is not a contact
    clock.set(local(2026, 4, 8, 9))
    meetings.record_no_show(trial, pid, "trial_contact", "labour_unit")
    assert _occurrences(trial, pid)[-1][1] == "open"
    clock.set(local(2026, 4, 10, 9))
    fire(trial, pid, "end_trial")
    assert _occurrences(trial, pid)[-1] == ("rule:contact_every_second_week:2", "cancelled", date(2026, 4, 18))
    clock.set(local(2026, 6, 1, 9))
    assert check(trial) == []


def test_the_deadline_dimension_of_a_repeating_rule(trial: ServiceContext, clock: FixedClock) -> None:
    """deadline:RULE over every occurrence: missed if any was, met if each one due so far was met (the next
    running), open while the first runs, cancelled when stopped before the first fell due, else not started."""
    from pathway.reports import builders
    from pathway.services import reporting

    def outcomes(as_of: date | None = None) -> dict[str, int]:
        table = reporting.run(trial, "trial", builders.participants(["deadline:contact_every_second_week"]),
                              as_of=as_of)[0]
        return {r["deadline:contact_every_second_week"]: r["count"] for r in table.rows if r["count"]}

    clock.set(local(2026, 3, 2, 9))
    for ref in ("KEPT", "LATER", "NOBODY", "STOPPED", "NEVER"):
        enrol(trial, "trial", ref=ref)
        if ref != "NEVER":
            fire(trial, ref, "start_trial")
    clock.set(local(2026, 3, 5, 9))
    fire(trial, "STOPPED", "end_trial")  # stopped before the first contact fell due
    assert outcomes() == {"open": 3, "cancelled": 1, "not_started": 1}
    clock.set(local(2026, 3, 13, 9))
    meetings.record_meeting(trial, "KEPT", "trial_contact", ["coordinator:lena"])
    meetings.record_meeting(trial, "LATER", "trial_contact", ["coordinator:lena"])
    clock.set(local(2026, 3, 20, 9))  # NOBODY's first contact (due 16 March) never came
    assert outcomes() == {"met": 2, "missed": 1, "cancelled": 1, "not_started": 1}
    clock.set(local(2026, 3, 24, 9))
    meetings.record_meeting(trial, "KEPT", "trial_contact", ["coordinator:lena"])  # the second, in time
    clock.set(local(2026, 4, 4, 9))  # LATER's second contact (due 27 March) never came; KEPT's third is due 7 April
    assert outcomes() == {"met": 1, "missed": 2, "cancelled": 1, "not_started": 1}
    # as of earlier days: read from the occurrences as they stood then
    assert outcomes(date(2026, 3, 10)) == {"open": 3, "cancelled": 1, "not_started": 1}
    assert outcomes(date(2026, 3, 20)) == {"met": 2, "missed": 1, "cancelled": 1, "not_started": 1}
    assert outcomes(date(2026, 3, 1)) == {}  # nobody enrolled yet


def test_the_shipped_flen_follow_up_meetings_repeat_until_the_exit(shipped: ServiceContext, clock: FixedClock) -> None:
    """Flen: from the action plan a follow-up meeting is due within 6w, each record starts the next; the exit ends it."""
    pid = _flen(shipped, clock)
    meetings.record_meeting(shipped, pid, "first_meeting", FLEN_PARTIES, consent_confirmed=True)
    fire(shipped, pid, "hold_first_meeting")
    fire(shipped, pid, "write_plan")
    due = [(d.rule, d.due_date) for d in show(shipped, pid).deadlines if d.rule == "follow_up_meetings"]
    assert due == [("follow_up_meetings", date(2026, 4, 16))]
    clock.set(local(2026, 4, 2, 10))
    meetings.record_meeting(shipped, pid, "follow_up", FLEN_PARTIES, consent_confirmed=True)
    fire(shipped, pid, "follow_up", {"plan_signed": True})
    due = [(d.rule, d.due_date) for d in show(shipped, pid).deadlines if d.rule == "follow_up_meetings"]
    assert due == [("follow_up_meetings", date(2026, 5, 14))]
    fire(shipped, pid, "conclude", {"reason": "work"})
    assert show(shipped, pid).deadlines == []
