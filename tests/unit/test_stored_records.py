"""The fold as the participant row stores it: a head line and a line per part of the records, each
part decoded when first read and written back as read when it never was (issue 10: a note on a
participant with 200 meetings cost 3.7× one with 10 while every command parsed and wrote them all);
meetings in rows of their own (participant_meetings), read with the row."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Any

from pathway.domain.folded import Folded
from pathway.domain.participant import Event, EventType
from pathway.domain.records import Records, RecordEvent
from pathway.domain.stored_records import (
    PARTS,
    WRITERS,
    StoredRecords,
    held_meeting_times,
    meeting_row,
)

START = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def _event(seq: int, kind: str, data: dict[str, Any] | None = None, trigger: str | None = None,
           to_step: str | None = None) -> Event:
    return Event(seq=seq, type=kind, effective_at=START + timedelta(days=seq), recorded_at=START, actor="anna",
                 workflow_id="w", workflow_version=1, trigger=trigger, from_step="referral", to_step=to_step,
                 data=data or {})


def _history() -> list[Event]:
    """An enrolment and one of every kind of record, decisions in free text included."""
    return [
        _event(1, EventType.ENROLLED, to_step="referral"),
        _event(2, RecordEvent.CONSENT_GIVEN, {"agencies": ["af", "fk"]}),
        _event(3, RecordEvent.PLAN_GOAL_ADDED, {"id": "g1", "what": "Arbeta 10 timmar", "by": "2026-06-30"}),
        _event(4, RecordEvent.PLACEMENT_STARTED, {"id": "p1", "type": "internship", "employer": "Bageriet",
                                                  "start": "2026-03-10", "follow_up_every": "2w"}),
        _event(5, RecordEvent.INTERVENTION_STARTED, {"id": "i1", "kind": "health"}),
        _event(6, RecordEvent.MEETING_RECORDED, {"type": "individual", "attendees": [{"role": "coach"}],
                                                 "decisions": [{"text": "Ny plan\nrad två: \"citat\" ; |"}]}),
        _event(7, RecordEvent.GROUP_JOINED, {"group": 3}),
        _event(8, RecordEvent.SESSION_ATTENDED, {"group": 3}),
    ]


class _Rows:
    """The meeting rows of a history as the store reads them (pathway.store.meeting_rows.MeetingRows:
    as they were when the records were read), in no particular order; counts the reads."""

    def __init__(self, events: list[Event]) -> None:
        self.meetings = list(reversed(Folded.rebuild(events).records.meetings))
        self.reads: list[str] = []

    def lines(self) -> dict[int, str]:
        self.reads.append("lines")
        return {m.seq: meeting_row(m)[2] for m in self.meetings}

    def held(self) -> dict[str, list[str]]:
        self.reads.append("held")
        found: dict[str, list[str]] = {}
        for kind, held_at, _line in map(meeting_row, self.meetings):
            if held_at is not None:
                found.setdefault(kind, []).append(held_at)
        return found


def _rows(events: list[Event]) -> _Rows:
    return _Rows(events)


def _stored() -> tuple[str, Folded]:
    text = Folded.rebuild(_history()).to_text()
    return text, Folded.from_text(text, meetings=_rows(_history()))


def test_the_stored_text_reads_back_as_the_same_fold() -> None:
    text, folded = _stored()
    assert len(text.split("\n")) == 1 + len(PARTS)  # a line break in free text stays inside its JSON string
    assert text.split("\n")[1 + PARTS.index("meetings")] == "[]"  # meetings are rows of their own
    assert folded.to_json() == Folded.rebuild(_history()).to_json()
    assert folded.records == Folded.rebuild(_history()).records  # either way round
    assert Folded.rebuild(_history()).records == folded.records
    assert folded.to_text() == text


def test_a_part_never_read_is_not_decoded_and_goes_back_as_it_was_read() -> None:
    text, folded = _stored()
    folded.apply(_event(9, EventType.TRANSITION, trigger="note"))  # a mark: the head changes, no part
    assert isinstance(folded.records, StoredRecords)
    assert not set(PARTS) & set(vars(folded.records))  # nothing decoded
    assert folded.records.sessions_attended == 1  # the counters come with the head
    assert folded.to_text().split("\n")[1:] == text.split("\n")[1:]


def test_a_part_read_and_changed_is_written_anew_and_the_others_as_they_were() -> None:
    text, folded = _stored()
    goal = _event(9, RecordEvent.PLAN_GOAL_ADDED, {"id": "g2", "what": "Körkort"})
    folded.apply(goal)
    assert set(PARTS) & set(vars(folded.records)) == {"plan"}
    lines, before = folded.to_text().split("\n"), text.split("\n")
    plan = 1 + PARTS.index("plan")
    assert [item["id"] for item in json.loads(lines[plan])] == ["g1", "g2"]
    assert [line for n, line in enumerate(lines) if n not in (0, plan)] == \
        [line for n, line in enumerate(before) if n not in (0, plan)]
    assert Folded.from_text(folded.to_text(), meetings=_rows(_history())).to_json() == \
        Folded.rebuild([*_history(), goal]).to_json()


def test_a_fold_stored_as_one_json_document_reads_as_before() -> None:
    """Rows written before 0013 hold the fold as one document (to_json); they read the same."""
    document = json.dumps(Folded.rebuild(_history()).to_json())
    folded = Folded.from_text(document)
    assert folded.to_json() == Folded.rebuild(_history()).to_json()
    assert isinstance(folded.records, Records) and not isinstance(folded.records, StoredRecords)
    assert folded.to_text() == Folded.rebuild(_history()).to_text()


def test_a_meeting_is_added_without_decoding_those_before_it() -> None:
    """A meeting record reads no other meeting: the fold says which meetings were added (the store
    inserts their rows) and writes the records' lines as they were read; reading the meetings
    afterwards gives all, in the order recorded."""
    text, folded = _stored()
    added = [_event(9, RecordEvent.MEETING_RECORDED, {"type": "follow_up", "decisions": [{"text": "Ja, ]"}]}),
             _event(10, RecordEvent.MEETING_NO_SHOW, {"type": "individual", "agency": "af"})]
    for event in added:
        folded.apply(event)
    assert isinstance(folded.records, StoredRecords)
    assert "meetings" not in vars(folded.records)
    assert [m.seq for m in folded.records.added_meetings()] == [9, 10]
    assert folded.to_text().split("\n")[1:] == text.split("\n")[1:]
    assert folded.to_text() == Folded.rebuild([*_history(), *added]).to_text()
    assert [m.seq for m in folded.records.meetings] == [6, 9, 10]  # decoded now, the added ones after
    assert [m.seq for m in folded.records.added_meetings()] == [9, 10]  # decoded or not: the rows to insert
    folded.apply(_event(11, RecordEvent.MEETING_RECORDED, {"type": "individual"}))
    assert [m.seq for m in folded.records.added_meetings()] == [9, 10, 11]
    assert folded.to_text().split("\n")[1:] == text.split("\n")[1:]


def test_a_meeting_once_recorded_cannot_be_changed_in_place() -> None:
    """The store writes only the meetings added to records read from a row, so a meeting is frozen."""
    _, folded = _stored()
    meeting = folded.records.meetings[0]
    try:
        meeting.type = "other"  # type: ignore[misc]
    except AttributeError:
        pass
    else:
        raise AssertionError("a Meeting's fields can be assigned")


def test_meetings_folded_into_the_line_before_they_had_rows_are_read_before_the_rows() -> None:
    """A fold written before migration 0014 holds its meetings in the records' line: read with the
    rows of those recorded since, in the order recorded, and written back as read; records folded
    anew write it empty (the store writes every meeting as a row then)."""
    history = _history()
    later = _event(9, RecordEvent.MEETING_RECORDED, {"type": "follow_up"})
    head, _, parts = Folded.rebuild(history).to_text().partition("\n")
    lines = parts.split("\n")
    lines[PARTS.index("meetings")] = json.dumps(WRITERS["meetings"](Folded.rebuild(history).records.meetings))
    folded = Folded.from_text(head + "\n" + "\n".join(lines), meetings=_rows([later]))
    assert folded.to_text().split("\n")[1:] == lines  # the line goes back as read
    assert [m.seq for m in folded.records.meetings] == [6, 9]
    assert folded.records == Folded.rebuild([*history, later]).records
    assert folded.to_text().split("\n")[1:] == lines  # decoded too: nothing in it changed
    rebuilt = Folded.rebuild([*history, later]).to_text().split("\n")
    assert rebuilt[1 + PARTS.index("meetings")] == "[]"  # folded anew: every meeting a row, the line empty


def test_a_meeting_added_to_none_stored_makes_the_line_a_fold_would_write() -> None:
    history = _history()[:2]  # no meeting yet
    folded = Folded.from_text(Folded.rebuild(history).to_text())
    event = _event(3, RecordEvent.MEETING_RECORDED, {"type": "individual"})
    folded.apply(event)
    assert folded.to_text() == Folded.rebuild([*history, event]).to_text()


def test_the_meetings_anchors_read_are_found_without_decoding_the_meetings() -> None:
    """Deadline anchors read the times of the meetings held of some types: found from the line and the
    rows as stored (meetings added since included, missed ones left out), the same as from the
    meetings decoded, and the meetings are not decoded for it."""
    history = _history()
    head, _, parts = Folded.rebuild(history).to_text().partition("\n")
    lines = parts.split("\n")
    lines[PARTS.index("meetings")] = json.dumps(WRITERS["meetings"](Folded.rebuild(history).records.meetings))
    later = [_event(9, RecordEvent.MEETING_RECORDED, {"type": "individual"}),
             _event(10, RecordEvent.MEETING_NO_SHOW, {"type": "individual"}),
             _event(11, RecordEvent.MEETING_RECORDED, {"type": "follow_up"})]
    rows = _rows(later[:2])
    folded = Folded.from_text(head + "\n" + "\n".join(lines), meetings=rows)
    folded.apply(later[2])
    found = held_meeting_times(folded.records, {"individual", "follow_up"})
    assert "meetings" not in vars(folded.records) and rows.reads == ["held"]  # no meeting's line read
    at = {e.seq: e.effective_at for e in [*history, *later]}
    assert found == {"individual": [at[6], at[9]], "follow_up": [at[11]]}
    assert found == held_meeting_times(Folded.rebuild([*history, *later]).records, {"individual", "follow_up"})
    assert held_meeting_times(folded.records, {"tripartite"}) == {}


def test_meeting_times_are_kept_in_utc_so_one_moment_is_one_anchor_time() -> None:
    """A row's time held is UTC whatever offset the meeting was recorded with, so equal moments are
    equal texts: two meetings at one moment (one recorded in Swedish time) are one anchor time, on
    records decoded and read from rows alike; a no-show has none."""
    from zoneinfo import ZoneInfo

    local = START.astimezone(ZoneInfo("Europe/Stockholm")) + timedelta(days=3)
    history = [_event(1, EventType.ENROLLED, to_step="referral"),
               _event(2, RecordEvent.MEETING_RECORDED, {"type": "individual"}),
               _event(3, RecordEvent.MEETING_NO_SHOW, {"type": "individual"})]
    history[1] = replace(history[1], effective_at=local)
    same_moment = replace(_event(4, RecordEvent.MEETING_RECORDED, {"type": "individual"}),
                          effective_at=local.astimezone(timezone.utc))
    rebuilt = Folded.rebuild([*history, same_moment]).records
    kind, held_at, _line = meeting_row(rebuilt.meetings[0])
    assert (kind, held_at) == ("individual", local.astimezone(timezone.utc).isoformat())
    assert meeting_row(rebuilt.meetings[1])[1] is None  # the no-show
    expected = {"individual": [local]}
    assert held_meeting_times(rebuilt, {"individual"}) == expected
    rows = _rows([*history, same_moment])
    stored = Folded.from_text(Folded.rebuild([*history, same_moment]).to_text(), meetings=rows)
    assert held_meeting_times(stored.records, {"individual"}) == expected and rows.reads == ["held"]
