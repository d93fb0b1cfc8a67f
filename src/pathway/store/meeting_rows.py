"""A participant's meeting records as rows of their own (``participant_meetings``, issue 10).

Meetings are the records that grow fastest, and a meeting never changes the ones before it: each
is a row keyed by the seq of the event that recorded it, holding one JSON line
(:func:`pathway.domain.stored_records.meeting_line`) and, beside it, the meeting's type and the time
it was held: what deadline anchors read of every meeting. They are read only when a command reads
them (:class:`MeetingRows`), in its transaction, never with the participant row; recording one
inserts its row alone, so its cost does not grow with the meetings before it (at 200 meetings the
records row it rewrote before was ~40 KB: bench/README.md, round 6).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Text, bindparam, cast, delete, insert, literal_column, select, update

from pathway.domain.records import Meeting, Records
from pathway.domain.stored_records import StoredRecords, meeting_row
from pathway.store.statements import Prepared, fetch, run_many
from pathway.store.tables import participant_meetings
from pathway.store.types import joined_lines

_TAB = literal_column("'\t'", Text)
_OF_PARTICIPANT = participant_meetings.c.participant_id == bindparam("participant_id")
#: A participant's rows' lines, ``seq line`` tab-separated, joined by line breaks (JSON never holds
#: a raw tab or line break): one value, not a row each. Read only when a command decodes the meetings.
_LINES = Prepared(select(joined_lines(
    cast(participant_meetings.c.seq, Text).op("||")(_TAB).op("||")(participant_meetings.c.line)))
    .where(_OF_PARTICIPANT))
#: The meetings held (``seq type time``, as above): what deadline anchors read, no line among them.
_HELD = Prepared(select(joined_lines(
    cast(participant_meetings.c.seq, Text).op("||")(_TAB).op("||")(participant_meetings.c.kind).op("||")(_TAB)
    .op("||")(participant_meetings.c.held_at)))
    .where(_OF_PARTICIPANT, participant_meetings.c.held_at.is_not(None)))

_ROW = ["kind", "held_at", "line"]
_INSERT_MEETING = Prepared(insert(participant_meetings), column_keys=["participant_id", "seq", *_ROW])
_MEETING_KEY = (participant_meetings.c.participant_id == bindparam("b_participant_id"),
                participant_meetings.c.seq == bindparam("b_seq"))
_UPDATE_MEETING = Prepared(update(participant_meetings).where(*_MEETING_KEY), column_keys=_ROW)
_DELETE_MEETING = Prepared(delete(participant_meetings).where(*_MEETING_KEY))


class MeetingRows:
    """A participant's participant_meetings rows, read in the transaction that read the participant
    when a command first needs them (the :class:`~pathway.domain.stored_records.MeetingSource` of
    its records), and the rows this transaction wrote since.

    A participant read without its meetings costs the same whatever their number: reading them
    with every participant row made a meeting record behind 200 meetings cost 1.4× one behind 10,
    and every caseload list carry them all (bench_history.py --grow meetings, bench/README.md)."""

    def __init__(self, connection: Connection | None = None, participant_id: int | None = None) -> None:
        """``connection`` None: a participant inserted in this transaction (no rows before it)."""
        self._connection = connection
        self._participant_id = participant_id
        #: rows inserted since the read, while the rows were not read
        self._inserted: dict[int, str] = {}
        self._lines: dict[int, str] | None = None if connection is not None else {}

    def _read(self, statement: Prepared) -> list[list[str]]:
        assert self._connection is not None
        joined = fetch(self._connection, statement, {"participant_id": self._participant_id})[0][0]
        return [row.split("\t") for row in joined.split("\n")] if joined else []

    def lines(self) -> dict[int, str]:
        """Every row, by its meeting's seq."""
        if self._lines is None:
            self._lines = {int(seq): line for seq, line in self._read(_LINES)}
            self._lines.update(self._inserted)
        return self._lines

    def held(self) -> list[tuple[int, str, str]]:
        """(seq, type, time held) of the meetings held: one query of three short columns, no line."""
        if self._connection is None:  # inserted in this transaction: the rows it wrote
            meetings = {seq: json.loads(line) for seq, line in self.lines().items()}
            return [(seq, m["type"], m["at"]) for seq, m in meetings.items() if not m["no_show"]]
        return [(int(seq), kind, held_at) for seq, kind, held_at in self._read(_HELD)]

    def inserted(self, seq: int) -> bool:
        """Whether this transaction inserted the row of a meeting recorded in it."""
        return seq in self._inserted or (self._lines is not None and seq in self._lines)

    def add(self, rows: Mapping[int, str]) -> None:
        (self._inserted if self._lines is None else self._lines).update(rows)

    def replace(self, rows: dict[int, str]) -> None:
        self._lines = rows


def write_meetings(connection: Connection, participant_id: int, records: Records, stored: MeetingRows) -> None:
    """Write the participant's meetings as rows (:func:`pathway.domain.stored_records.meeting_line`).

    Records read from a row only ever have meetings added (decoded by a guard or the planner or
    not: :meth:`~pathway.domain.stored_records.StoredRecords.added_meetings`): their rows are
    inserted, one statement, none for the meetings before them. Records folded anew from the
    history (a correction, the retention purge, a row without a fold) may differ anywhere: each row
    is compared with the meeting it holds, and only the rows that differ are deleted, inserted or
    updated — which also moves meetings folded into the records' line before these rows existed to
    rows of their own (that line is written empty then: :func:`~pathway.domain.stored_records.part_text`)."""
    if isinstance(records, StoredRecords):
        new = [_values(participant_id, m) for m in records.added_meetings() if not stored.inserted(m.seq)]
        if new:
            run_many(connection, _INSERT_MEETING, new)
            stored.add({values["seq"]: values["line"] for values in new})
        return
    current = {m.seq: _values(participant_id, m) for m in records.meetings}
    existing = stored.lines()
    if {seq: values["line"] for seq, values in current.items()} == existing:
        return
    keys = [{"b_participant_id": participant_id, "b_seq": seq} for seq in existing if seq not in current]
    run_many(connection, _DELETE_MEETING, keys)
    run_many(connection, _INSERT_MEETING, [values for seq, values in current.items() if seq not in existing])
    run_many(connection, _UPDATE_MEETING, [{**values, "b_participant_id": participant_id, "b_seq": seq}
                                          for seq, values in current.items()
                                          if existing.get(seq, values["line"]) != values["line"]])
    stored.replace({seq: values["line"] for seq, values in current.items()})


def _values(participant_id: int, meeting: Meeting) -> dict[str, Any]:
    """A meeting's row (:func:`~pathway.domain.stored_records.meeting_row`) as statement values."""
    return {"participant_id": participant_id, "seq": meeting.seq, **dict(zip(_ROW, meeting_row(meeting)))}
