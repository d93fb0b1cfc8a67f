"""A participant's meeting records as rows of their own (``participant_meetings``, issue 10).

Meetings are the records that grow fastest, and a meeting never changes the ones before it: each
is a row keyed by the seq of the event that recorded it, holding one JSON line
(:func:`pathway.domain.stored_records.meeting_line`). They are read with the participant row
(:data:`MEETING_ROWS`, a column of every participant query) and decoded only when a command reads
them; recording one inserts its row alone, so its cost does not grow with the meetings before it
(at 200 meetings the records row it rewrote before was ~40 KB: bench/README.md, round 6).
"""

from __future__ import annotations

from collections.abc import Mapping

from sqlalchemy import Connection, Text, bindparam, cast, delete, insert, literal_column, select, update

from pathway.domain.records import Records
from pathway.domain.stored_records import StoredRecords, meeting_line, meeting_rows
from pathway.store.statements import Prepared, run_many
from pathway.store.tables import participant_meetings, participants
from pathway.store.types import joined_lines

#: The participant's meeting rows, ``seq line`` pairs joined by line breaks (any order: the fold
#: sorts them, domain/stored_records.py's meeting_rows): a column of every participant query.
MEETING_ROWS = (select(joined_lines(
    cast(participant_meetings.c.seq, Text).op("||")(literal_column("' '")).op("||")(participant_meetings.c.line)))
    .where(participant_meetings.c.participant_id == participants.c.id)
    .scalar_subquery().label("meeting_rows"))

_INSERT_MEETING = Prepared(insert(participant_meetings), column_keys=["participant_id", "seq", "line"])
_MEETING_KEY = (participant_meetings.c.participant_id == bindparam("b_participant_id"),
                participant_meetings.c.seq == bindparam("b_seq"))
_UPDATE_MEETING = Prepared(update(participant_meetings).where(*_MEETING_KEY), column_keys=["line"])
_DELETE_MEETING = Prepared(delete(participant_meetings).where(*_MEETING_KEY))


class MeetingRows:
    """What a participant's participant_meetings rows hold: the text read with the participant row
    (parsed only when a command decoded the meetings), and the rows this transaction wrote since."""

    def __init__(self, read: str | None = None) -> None:
        self._read = read
        #: rows inserted since the read, while the rows as read were not parsed
        self._inserted: dict[int, str] = {}
        self._lines: dict[int, str] | None = None

    def lines(self) -> dict[int, str]:
        """Every row, by its meeting's seq."""
        if self._lines is None:
            self._lines = {**meeting_rows(self._read), **self._inserted}
        return self._lines

    def inserted(self, seq: int) -> bool:
        """Whether this transaction inserted the row of a meeting recorded in it."""
        return seq in self._inserted or (self._lines is not None and seq in self._lines)

    def add(self, rows: Mapping[int, str]) -> None:
        (self._inserted if self._lines is None else self._lines).update(rows)

    def replace(self, rows: dict[int, str]) -> None:
        self._lines = rows


def read_meeting_rows(connection: Connection, participant_id: int) -> MeetingRows:
    """The participant's meeting rows as :data:`COLUMNS` reads them with its row."""
    rows = connection.execute(select(MEETING_ROWS).select_from(participants)
                              .where(participants.c.id == participant_id)).scalar()
    return MeetingRows(rows)


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
        new = {m.seq: meeting_line(m) for m in records.added_meetings() if not stored.inserted(m.seq)}
        if new:
            run_many(connection, _INSERT_MEETING, [{"participant_id": participant_id, "seq": seq, "line": line}
                                                  for seq, line in new.items()])
            stored.add(new)
        return
    current = {m.seq: meeting_line(m) for m in records.meetings}
    existing = stored.lines()
    if current == existing:
        return
    keys = [{"b_participant_id": participant_id, "b_seq": seq} for seq in existing if seq not in current]
    run_many(connection, _DELETE_MEETING, keys)
    run_many(connection, _INSERT_MEETING, [{"participant_id": participant_id, "seq": seq, "line": line}
                                          for seq, line in current.items() if seq not in existing])
    run_many(connection, _UPDATE_MEETING, [{"b_participant_id": participant_id, "b_seq": seq, "line": line}
                                          for seq, line in current.items() if existing.get(seq, line) != line])
    stored.replace(current)
