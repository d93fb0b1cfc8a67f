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

from collections.abc import Mapping
from typing import Any

from sqlalchemy import Connection, Text, bindparam, cast, delete, insert, literal_column, select, update

from pathway.domain.records import Meeting, Records
from pathway.domain.stored_records import StoredRecords, meeting_row
from pathway.store.statements import Prepared, fetch, run_many
from pathway.store.tables import participant_meetings
from pathway.store.types import joined_lines

_TAB = literal_column("'\t'", Text)
#: The rows as they were when the participant was read: the meetings added since are its records' own
_AS_READ = (participant_meetings.c.participant_id == bindparam("participant_id"),
            participant_meetings.c.seq <= bindparam("read_seq"))
#: A participant's rows' lines, ``seq line`` tab-separated, joined by line breaks (JSON never holds
#: a raw tab or line break): one value, not a row each. Read only when a command decodes the meetings.
_LINES = Prepared(select(joined_lines(
    cast(participant_meetings.c.seq, Text).op("||")(_TAB).op("||")(participant_meetings.c.line)))
    .where(*_AS_READ))
#: Type → the times meetings of it were held, joined by line breaks: what deadline anchors read,
#: from the index on (participant, type, time held, seq) alone — no line, no per-row concatenation.
_HELD = Prepared(select(participant_meetings.c.kind, joined_lines(participant_meetings.c.held_at))
                 .where(*_AS_READ, participant_meetings.c.held_at.is_not(None))
                 .group_by(participant_meetings.c.kind))

#: ``read_seq`` of every row (seq is a 32-bit integer)
_EVERY = 2**31 - 1
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

    def __init__(self, connection: Connection | None = None, participant_id: int = 0,
                 read_seq: int | None = None) -> None:
        """``read_seq``: the participant's last seq when its row was read (its rows up to it are
        the ones read; None: every row); ``connection`` None: a participant inserted in this
        transaction (no rows before it)."""
        self._connection = connection
        self._as_read = {"participant_id": participant_id, "read_seq": _EVERY if read_seq is None else read_seq}
        #: rows inserted since the read, while the rows were not read
        self._inserted: dict[int, str] = {}
        self._current: dict[int, str] | None = None if connection is not None else {}
        self._read: dict[int, str] | None = None if connection is not None else {}

    def lines(self) -> dict[int, str]:
        """The rows as they were when the participant was read, by their meeting's seq."""
        if self._read is None:
            joined = fetch(self._open(), _LINES, self._as_read)[0][0]
            self._read = dict(_seq_line(row) for row in joined.split("\n")) if joined else {}
        return self._read

    def current(self) -> dict[int, str]:
        """Every row now, by its meeting's seq: as read, and those this transaction wrote since."""
        if self._current is None:
            self._current = {**self.lines(), **self._inserted}
        return self._current

    def held(self) -> dict[str, list[str]]:
        """Type → the times the meetings of it were held, as read (one query of the index, no line)."""
        if self._connection is None:
            return {}
        return {kind: joined.split("\n") for kind, joined in fetch(self._open(), _HELD, self._as_read)}

    def _open(self) -> Connection:
        """The transaction the participant was read in, still open: its rows are read as they were
        then, so reading them after it ended (a view decoding a participant's meetings after its
        unit of work) is a mistake in the caller, said as such rather than as a closed connection."""
        if self._connection is None or self._connection.closed:
            raise RuntimeError("a participant's meetings are read inside the unit of work that read the "
                               "participant: decode its records before the unit of work ends")
        return self._connection

    def inserted(self, seq: int) -> bool:
        """Whether this transaction inserted the row of a meeting recorded in it."""
        return seq in self._inserted or (self._current is not None and seq in self._current)

    def add(self, rows: Mapping[int, str]) -> None:
        (self._inserted if self._current is None else self._current).update(rows)

    def replace(self, rows: dict[int, str]) -> None:
        self._current = rows


def _seq_line(row: str) -> tuple[int, str]:
    seq, line = row.split("\t", 1)
    return int(seq), line


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
    existing = stored.current()
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
