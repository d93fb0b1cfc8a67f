"""Domain: durations, participants recording events, and replaying events into the projection."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pathway.domain import Duration, Event, EventType, Participant, ParticipantStatus
from pathway.domain.replay import replay
from pathway.domain.duration import MAX_AMOUNT

T0 = datetime(2026, 1, 12, 8, 0, tzinfo=timezone.utc)


# -- durations --------------------------------------------------------------------------------


@given(st.data(), st.sampled_from(["d", "wd", "w", "m"]))
def test_duration_parse_round_trips(data: st.DataObject, unit: str) -> None:
    """str(Duration) parses back to an equal Duration for every amount within the limit and unit."""
    amount = data.draw(st.integers(min_value=0, max_value=MAX_AMOUNT[unit]))
    duration = Duration(amount, unit)  # type: ignore[arg-type]
    assert Duration.parse(str(duration)) == duration
    assert Duration.parse(f"  {duration} ") == duration


@given(st.data(), st.sampled_from(["d", "wd", "w", "m"]))
def test_duration_over_twenty_years_is_refused(data: st.DataObject, unit: str) -> None:
    """A duration longer than the calendar counts (20 years of its unit) is a ValueError naming the limit."""
    amount = data.draw(st.integers(min_value=MAX_AMOUNT[unit] + 1, max_value=10**30))
    with pytest.raises(ValueError, match="20 years|invalid duration"):
        Duration.parse(f"{amount}{unit}")


@given(st.text(max_size=6))
def test_duration_parse_accepts_only_the_documented_forms(text: str) -> None:
    """Text that is not digits followed by d/wd/w/m is refused with the accepted forms."""
    stripped = text.strip()
    body = stripped.rstrip("dwm")
    valid = (stripped[len(body):] in {"d", "wd", "w", "m"} and body.isascii() and body.isdigit())
    if valid:
        assert str(Duration.parse(text)) == f"{int(body)}{stripped[len(body):]}"
    else:
        with pytest.raises(ValueError, match="a whole number followed by d"):
            Duration.parse(text)


@pytest.mark.parametrize("text", ["14x", "14", "d", "-3d", "1.5w", "3 w", "10dw"])
def test_invalid_durations_are_refused(text: str) -> None:
    """Typical mistakes ('14x', a missing unit, a sign, a fraction) are refused."""
    with pytest.raises(ValueError, match=f"invalid duration {text!r}"):
        Duration.parse(text)


def test_duration_describes_itself() -> None:
    """A duration reads in words for messages."""
    assert Duration.parse("10wd").describe() == "10 working days"
    assert Duration.parse("3w") < Duration.parse("3wd")  # ordered by (amount, unit)


# -- participants and replay ------------------------------------------------------------------


def _event(type_: EventType, days: int, **fields) -> Event:
    return Event(seq=0, type=type_.value, effective_at=T0 + timedelta(days=days),
                 recorded_at=T0 + timedelta(days=days, hours=1), actor="anna",
                 workflow_id="demo", workflow_version=1, **fields)


def test_record_numbers_events_in_order() -> None:
    """Participant.record gives consecutive sequence numbers and keeps them pending until written."""
    p = Participant(workflow_id="demo", workflow_version=1, step="start", enrolled_at=T0, id=7)
    first = p.record(_event(EventType.ENROLLED, 0, to_step="start"))
    second = p.record(_event(EventType.TRANSITION, 1, trigger="go", from_step="start", to_step="mid"))
    assert (first.seq, second.seq, p.last_seq) == (1, 2, 2)
    assert first.participant_id == 7
    assert p.new_events == [first, second]


def test_replay_gives_the_projection() -> None:
    """Replaying enrol, attribute and transition events rebuilds step, attributes, exit and times."""
    events = [
        _event(EventType.ENROLLED, 0, to_step="start", data={"ref": "A-1", "attributes": {"gender": "female"}}),
        _event(EventType.ATTRIBUTES_SET, 1, from_step="start", to_step="start",
               data={"set": {"ready": True}, "previous": {"ready": None}}),
        _event(EventType.TRANSITION, 2, trigger="go", from_step="start", to_step="mid"),
        _event(EventType.ATTRIBUTES_SET, 3, data={"set": {"ready": False, "hours": 4}}),
        _event(EventType.TRANSITION, 5, trigger="finish", from_step="mid", to_step="done", data={"reason": "work"}),
    ]
    for seq, event in enumerate(events, start=1):
        event.seq = seq
    state = replay(list(reversed(events)), {"done"})  # order comes from seq, not from the list
    assert state == {
        "step": "done", "status": ParticipantStatus.EXITED.value, "ref": "A-1",
        "attributes": {"gender": "female", "ready": False, "hours": 4},
        "enrolled_at": T0, "last_step_change_at": T0 + timedelta(days=5),
        "exited_at": T0 + timedelta(days=5), "exit_reason": "work",
        "last_seq": 5, "workflow_version": 1,
    }


def test_replay_of_an_open_participant() -> None:
    """Without a transition into a terminal step the participant stays open with no exit data."""
    events = [
        _event(EventType.ENROLLED, 0, to_step="start", data={"ref": None, "attributes": {}}),
        _event(EventType.TRANSITION, 2, trigger="go", from_step="start", to_step="mid"),
    ]
    events[0].seq, events[1].seq = 1, 2
    state = replay(events, {"done"})
    assert state["status"] == "open" and state["step"] == "mid"
    assert state["exited_at"] is None and state["exit_reason"] is None
    assert state["last_step_change_at"] == T0 + timedelta(days=2)


def test_attribute_event_does_not_move_the_step_change_time() -> None:
    """An attributes_set event changes attributes only, not the step or its change time."""
    events = [
        _event(EventType.ENROLLED, 0, to_step="start", data={"attributes": {"a": 1}}),
        _event(EventType.ATTRIBUTES_SET, 4, data={"set": {"b": 2}}),
    ]
    events[0].seq, events[1].seq = 1, 2
    state = replay(events, set())
    assert state["last_step_change_at"] == T0 and state["step"] == "start"
    assert state["attributes"] == {"a": 1, "b": 2}


def test_record_applies_the_event_to_the_projection() -> None:
    """Participant.record moves the projection through apply: a transition into a terminal step exits
    with the event's reason, and the row equals a replay of the same events."""
    p = Participant(workflow_id="demo", workflow_version=1, step="start", enrolled_at=T0, id=3)
    p.record(_event(EventType.ENROLLED, 0, to_step="start", data={"ref": "R-1", "attributes": {"a": 1}}))
    p.record(_event(EventType.ATTRIBUTES_SET, 1, data={"set": {"b": 2}}))
    p.record(_event(EventType.TRANSITION, 2, trigger="end", from_step="start", to_step="done",
                    data={"reason": "work"}), {"done"})
    assert (p.step, p.status, p.exit_reason, p.exited_at) == ("done", "exited", "work", T0 + timedelta(days=2))
    again = Participant.replay(p.new_events, {"done"})
    fields = ("step", "status", "attributes", "ref", "enrolled_at", "last_step_change_at", "exited_at",
              "exit_reason", "last_seq", "workflow_version")
    assert {f: getattr(again, f) for f in fields} == {f: getattr(p, f) for f in fields}


def test_migration_event_moves_version_and_only_a_renamed_step() -> None:
    """A migrated event pins the new version; the step change time moves only when the step does."""
    p = Participant(workflow_id="demo", workflow_version=1, step="start", enrolled_at=T0)
    p.record(_event(EventType.ENROLLED, 0, to_step="start", data={"attributes": {}}))
    same = _event(EventType.MIGRATED, 3, from_step="start", to_step="start")
    same.workflow_version = 2
    p.record(same)
    assert (p.workflow_version, p.step, p.last_step_change_at) == (2, "start", T0)
    renamed = _event(EventType.MIGRATED, 5, from_step="start", to_step="begin")
    renamed.workflow_version = 3
    p.record(renamed)
    assert (p.workflow_version, p.step, p.last_step_change_at) == (3, "begin", T0 + timedelta(days=5))
