"""The dry run: the real engine and deadline timeline on in-memory objects, no database at all."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

from pathway.clock import parse_time
from pathway.definitions import load_file
from pathway.services.simulate import SimulatedAction, simulate

#: Flen's meetings open by confirming the consent of all three agencies
CONSENT = ("soc", "af", "labour_unit")
FLEN = load_file(Path(__file__).resolve().parents[2] / "workflows" / "flen_tripartite.yaml").definition


#: the first meeting's record: all three parties, consent confirmed (the step's settings require it)
MEETING = {"type": "first_meeting", "attendees": ["soc:kim", "af:anna", "labour_unit:ali"], "consent_confirmed": True}


def _held(at: str | None = None) -> list[SimulatedAction]:
    """Consent given, the first meeting recorded, and the trigger into the meeting step, at one moment."""
    moment = parse_time(at) if at else None
    return [SimulatedAction(record=("consent", {"give": list(CONSENT)}), at=moment),
            SimulatedAction(record=("meeting", MEETING), at=moment),
            SimulatedAction(trigger="hold_first_meeting", at=moment)]


def _kinds(result) -> list[tuple[str, str]]:  # type: ignore[no-untyped-def]
    return [(line.at.isoformat()[:10], line.kind) for line in result.lines]


def test_late_first_meeting_shows_reminder_miss_and_escalations_in_time_order() -> None:
    """Flen's 14-day rule: reminder 3 working days ahead, the miss, then the ladder, before the meeting."""
    result = simulate(FLEN, {"application_date": "2026-03-02"},
                      _held("2026-03-24T09:00"),
                      parse_time("2026-03-03T09:00"), timedelta(weeks=1), timedelta(0))
    assert _kinds(result)[:6] == [
        ("2026-03-03", "enrolled"), ("2026-03-11", "reminder"), ("2026-03-17", "deadline_missed"),
        ("2026-03-17", "escalated"), ("2026-03-19", "escalated"), ("2026-03-24", "consent_given"),
    ]
    assert _kinds(result)[6:] == [("2026-03-24", "meeting_recorded"), ("2026-03-24", "transition")]
    assert result.lines[0].deadlines == ["first_meeting_within_14_days due 2026-03-16"]
    assert result.completed and result.step == "first_meeting"


def test_meeting_in_time_meets_the_rule_and_nothing_fires() -> None:
    """A first meeting within 14 days: no reminder, no miss for the rule."""
    result = simulate(FLEN, {"application_date": "2026-03-02"},
                      _held("2026-03-05T10:00"),
                      parse_time("2026-03-03T09:00"), timedelta(weeks=1), timedelta(0))
    assert _kinds(result) == [("2026-03-03", "enrolled"), ("2026-03-05", "consent_given"),
                              ("2026-03-05", "meeting_recorded"), ("2026-03-05", "transition")]


def test_a_meeting_step_refuses_its_trigger_without_a_record_naming_every_party() -> None:
    """Flen's first meeting: no record, or a record without the employment service, refuses the trigger."""
    none = simulate(FLEN, {"application_date": "2026-03-02"},
                    [SimulatedAction(trigger="hold_first_meeting", consent_first=CONSENT)],
                    parse_time("2026-03-03T09:00"), timedelta(days=1), timedelta(0))
    assert none.lines[-1].kind == "refused" and "needs a meeting record" in none.lines[-1].detail
    partial = simulate(FLEN, {"application_date": "2026-03-02"},
                       [SimulatedAction(record=("consent", {"give": list(CONSENT)})),
                        SimulatedAction(record=("meeting", {**MEETING, "attendees": ["soc:kim", "labour_unit:ali"]})),
                        SimulatedAction(trigger="hold_first_meeting")],
                       parse_time("2026-03-03T09:00"), timedelta(hours=1), timedelta(0))
    assert partial.lines[-1].kind == "refused"
    assert "does not name employment_officer" in partial.lines[-1].detail


def test_refusals_are_lines_and_mark_the_walk_incomplete_unless_expected() -> None:
    """A refused trigger is shown with its reason; expected refusals keep the walk complete."""
    walk = [SimulatedAction(trigger="write_plan")]
    failed = simulate(FLEN, {}, walk, parse_time("2026-03-03"), timedelta(days=1), timedelta(0))
    assert failed.lines[-1].kind == "refused" and "not allowed from step 'application'" in failed.lines[-1].detail
    assert not failed.completed
    expected = simulate(FLEN, {}, [SimulatedAction(trigger="write_plan", expect_refusal=True)],
                        parse_time("2026-03-03"), timedelta(days=1), timedelta(0))
    assert expected.completed


def test_walk_times_follow_the_swedish_wall_clock_across_summer_time() -> None:
    """Actions spaced a week apart keep their local time of day across the change to summer time."""
    result = simulate(FLEN, {"application_date": "2026-03-20"}, _held(),
                      parse_time("2026-03-10T09:00"), timedelta(weeks=1), timedelta(0))
    assert result.lines[-1].to_json()["at"] == "2026-03-31T09:00:00+02:00"


def test_simulate_refuses_what_the_services_refuse() -> None:
    """The dry run runs the real use cases: a plan date that is no date and consent for an agency the
    workflow does not know are refused with the services' own messages, and the walk is incomplete."""
    start = parse_time("2026-03-03T09:00")
    bad_date = simulate(FLEN, {"application_date": "2026-03-02"},
                        [SimulatedAction(record=("plan", {"add_goal": {"what": "Jobb", "by": "snart"}}))],
                        start, timedelta(days=1), timedelta(0))
    assert bad_date.lines[-1].kind == "refused" and "use an ISO date" in bad_date.lines[-1].detail
    assert not bad_date.completed
    unknown_agency = simulate(FLEN, {"application_date": "2026-03-02"},
                              [SimulatedAction(trigger="hold_first_meeting", consent_first=("nasa",))],
                              start, timedelta(days=1), timedelta(0))
    refused = [line for line in unknown_agency.lines if line.kind == "refused"]
    assert refused and "nasa" in refused[0].detail and not unknown_agency.completed


def test_a_dry_run_exit_leaves_the_participant_exited() -> None:
    """Exiting in a dry run leaves the participant exited, like the real fire (no projection of its own)."""
    result = simulate(FLEN, {"application_date": "2026-03-02"},
                      [SimulatedAction(trigger="exit", data={"reason": "work"})],
                      parse_time("2026-03-03T09:00"), timedelta(days=1), timedelta(0))
    assert (result.status, result.lines[-1].kind) == ("exited", "transition"), result.lines[-1]
