"""The folded state keeps its marks as stored and decodes them only when asked: a transition that
plans nothing neither decodes nor re-encodes the marks of every transition before it (a history
of 200 transitions made each next one 1.8× a 10-transition one; bench_history.py --grow transitions)."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone

from pathway.domain.folded import Folded, Mark
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
    assert folded._marks is None  # nothing decoded by reading the row
    folded.apply(_event(52, EventType.TRANSITION, "go", "referral", "activity"))
    assert folded._marks is None  # nor by a transition that plans nothing
    assert folded.to_json()["marks"][:51] == stored["marks"]  # the stored rows, as they were
    assert folded.to_json() == Folded.rebuild([*_history(50), _event(52, EventType.TRANSITION, "go", "referral",
                                                                     "activity")]).to_json()


def test_decoded_marks_follow_the_marks_added_after_them() -> None:
    folded = Folded.from_json(Folded.rebuild(_history(3)).to_json())
    assert [m.seq for m in folded.marks] == [1, 2, 3, 4]
    folded.apply(_event(5, EventType.TRANSITION, "go", "referral", "activity"))
    assert folded.marks[-1] == Mark(5, START + timedelta(days=5), "transition", "go", "referral", "activity")
    assert folded.marks == Folded.from_json(folded.to_json()).marks  # the same, decoded afresh
    assert [m.seq for m in folded.timeline()] == [1, 2, 3, 4, 5]
