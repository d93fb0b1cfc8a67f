"""The folded state keeps its marks as one stored string and decodes them only when asked: a
transition that plans nothing neither decodes nor re-encodes the marks of every transition before it
(a history of 200 transitions made each next one 1.8× a 10-transition one; bench_history.py --grow
transitions). A fold stored before that format (six-value lists) is read as it was."""

from __future__ import annotations

import json

import pytest
from datetime import datetime, timedelta, timezone

from pathway.domain.folded import Folded, Mark, decode_marks, encode_mark
from pathway.domain.participant import Event, EventType

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _event(seq: int, kind: str, trigger: str | None = None, from_step: str | None = None,
           to_step: str | None = None) -> Event:
    return Event(seq=seq, type=kind, effective_at=START + timedelta(days=seq), recorded_at=START, actor="anna",
                 workflow_id="w", workflow_version=1, trigger=trigger, from_step=from_step, to_step=to_step)


def _history(transitions: int) -> list[Event]:
    events = [_event(1, EventType.ENROLLED, to_step="referral")]
    events += [_event(n, EventType.TRANSITION, "note", "referral") for n in range(2, transitions + 2)]
    return events


def test_the_stored_marks_go_back_unchanged_and_are_decoded_only_when_asked() -> None:
    stored = json.loads(json.dumps(Folded.rebuild(_history(50)).to_json()))  # as a row gives it back
    folded = Folded.from_json(stored)
    assert folded._decoded == 0  # nothing decoded by reading the row
    folded.apply(_event(52, EventType.TRANSITION, "go", "referral", "activity"))
    assert folded._decoded == 0  # nor by a transition that plans nothing
    assert folded.to_json()["mark_log"].startswith(stored["mark_log"])  # the stored marks, as they were
    assert folded.to_json() == Folded.rebuild([*_history(50), _event(52, EventType.TRANSITION, "go", "referral",
                                                                     "activity")]).to_json()


def test_decoded_marks_follow_the_marks_added_after_them() -> None:
    folded = Folded.from_json(Folded.rebuild(_history(3)).to_json())
    assert [m.seq for m in folded.marks] == [1, 2, 3, 4]
    folded.apply(_event(5, EventType.TRANSITION, "go", "referral", "activity"))
    assert folded.marks[-1] == Mark(5, START + timedelta(days=5), "transition", "go", "referral", "activity")
    assert folded.marks == Folded.from_json(folded.to_json()).marks  # the same, decoded afresh
    assert [m.seq for m in folded.timeline()] == [1, 2, 3, 4, 5]


def test_a_mark_is_stored_in_a_few_bytes_and_read_back_as_it_was() -> None:
    at = datetime(2026, 3, 2, 9, 0, 0, 123456, tzinfo=timezone.utc)
    text = encode_mark(7, at, "transition", "leave_starts", "activity", None)
    assert text == "7|2026-03-02T09:00:00.123456+00:00|t|leave_starts|activity|;"
    assert decode_marks(text + encode_mark(8, at, "enrolled", None, None, "referral")) == [
        Mark(7, at, "transition", "leave_starts", "activity", None), Mark(8, at, "enrolled", None, None, "referral")]


def test_a_separator_in_a_step_or_trigger_is_refused_not_stored_ambiguously() -> None:
    with pytest.raises(ValueError, match="cannot be a mark"):
        encode_mark(2, START, "transition", "a|b", "referral", None)


def test_a_fold_stored_as_six_value_lists_reads_as_the_same_marks() -> None:
    history = _history(3)
    new = Folded.rebuild(history).to_json()
    old = {**{k: v for k, v in new.items() if k != "mark_log"},
           "marks": [[e.seq, e.effective_at.isoformat(), str(e.type), e.trigger, e.from_step, e.to_step]
                     for e in history]}
    assert Folded.from_json(old).to_json() == new
    assert Folded.from_json(old).marks == Folded.rebuild(history).marks


#: a record that cannot be decoded: a method that decoded it would fail
UNREADABLE = "not|a|mark;"


def _moves(*steps: str) -> list[Event]:
    """An enrolment into the first step, then a note and a step change a day for each next step."""
    events, seq = [_event(1, EventType.ENROLLED, to_step=steps[0])], 1
    for before, after in zip(steps, steps[1:]):
        events += [_event(seq + 1, EventType.TRANSITION, "note", before),
                   _event(seq + 2, EventType.TRANSITION, f"to_{after}", before, after)]
        seq += 2
    return events


def test_the_step_entries_of_a_lean_plan_are_found_from_the_end_decoding_nothing_before() -> None:
    folded = Folded.rebuild(_moves("a", "b", "c", "d"))  # entered a, b, c, d on days 1, 3, 5, 7
    folded.mark_log = UNREADABLE + folded.mark_log
    entries = folded.entries_back_to(START + timedelta(days=5, hours=1))  # the last entry before: c
    assert [(m.seq, m.to_step) for m in entries] == [(5, "c"), (7, "d")]
    assert [m.to_step for m in folded.entries_back_to(START + timedelta(days=7))] == ["c", "d"]


def test_all_step_entries_when_none_is_before_the_day() -> None:
    folded = Folded.rebuild(_moves("a", "b"))
    assert [m.to_step for m in folded.entries_back_to(START)] == ["a", "b"]
    assert Folded().entries_back_to(START) == []


def test_marks_are_found_by_trigger_and_by_step_entered_without_decoding_the_others() -> None:
    history = [*_moves("a", "b", "a"), _event(6, EventType.MIGRATED, None, "a", "a"),
               _event(7, EventType.TRANSITION, "t", "note", None)]  # trigger "t" from a step named "note"
    folded = Folded.rebuild(history)
    folded.mark_log = UNREADABLE + folded.mark_log
    assert [m.seq for m in folded.marks_fired(["to_a"])] == [5]
    assert [m.seq for m in folded.marks_fired(["note", "to_b"])] == [2, 3, 4]  # not 7: "note" is its step there
    assert [m.seq for m in folded.entries_into(["a"])] == [1, 5]  # not the migration that kept the step
    assert folded.marks_fired([]) == folded.entries_into(["z"]) == []
