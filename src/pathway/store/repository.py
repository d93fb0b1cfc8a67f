"""Repositories: how services find and add participants, events and workflow versions.

Participants are plain objects (:class:`pathway.domain.Participant`), not ORM-mapped: the
repository reads their rows with statements compiled once per dialect (:mod:`pathway.store.statements`),
remembers what each row held (:class:`Tracked`), and the unit of work writes back what changed —
new rows, and changed rows with the version checked in the UPDATE's WHERE and the row count checked.
"""

from __future__ import annotations

import builtins
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, bindparam, exists, func, insert, select, text, update
from sqlalchemy.exc import IntegrityError

from pathway.clock import to_local
from pathway.domain import Event, Participant, ParticipantHead
from pathway.domain.folded import Folded
from pathway.errors import ConcurrentChange
from pathway.store.meeting_rows import MeetingRows, write_meetings
from pathway.store.statements import Prepared, fetch, run, run_many
from pathway.store.tables import (
    EVENT_COLUMNS,
    event_from_row,
    event_row,
    deadlines,
    events,
    participant_records,
    participants,
    workflow_versions,
)


@dataclass(frozen=True)
class StoredWorkflowVersion:
    workflow_id: str
    version: int
    title: str
    sha256: str
    yaml_text: str
    source: str
    registered_at: datetime


#: The row's columns a Participant carries, in the order they are selected.
_FIELDS = ("id", "ref", "workflow_id", "workflow_version", "step", "status", "attributes", "enrolled_at",
           "last_step_change_at", "exited_at", "exit_reason", "last_seq", "version", "folded")
#: What an UPDATE writes when it changed (the folded history apart: it changes in place, and is
#: written when the participant says it changed).
_STATE = ("ref", "workflow_id", "workflow_version", "step", "status", "attributes", "enrolled_at",
          "last_step_change_at", "exited_at", "exit_reason", "last_seq")
#: Derived from two timestamps by the store, so no use case can forget them: reports group and
#: filter by these Swedish local dates in SQL.
_DERIVED_FROM = {"enrolled_at": "enrolled_on", "exited_at": "exited_on"}
_DERIVED = tuple(_DERIVED_FROM.values())

#: The records' lines kept in participant_records, with the row they belong to: a column of their
#: own, so every query of participants reads them with the row (None: they are on the row itself).
_RECORD_PARTS = (select(participant_records.c.parts)
                 .where(participant_records.c.participant_id == participants.c.id)
                 .scalar_subquery().label("record_parts"))
#: (the meetings' rows are not among them: read when a command reads them, store/meeting_rows.py)
COLUMNS = [*(participants.c[name] for name in _FIELDS), _RECORD_PARTS]
#: where a row of COLUMNS holds the participant's last seq (what its meeting rows are read up to)
_LAST_SEQ = _FIELDS.index("last_seq")
#: The partial index ix_deadlines_running's own condition, as a literal (with a bound parameter SQLite
#: cannot prove the index applies and scans every deadline instead).
RUNNING_ROWS = text("deadlines.status IN ('open', 'paused')")
#: Whether the participant has a running (open, paused) deadline row: one probe of that index, in
#: the participant's own read. A command on a participant with none reads no deadline row unless its
#: plan names one (DeadlineRepository.for_plan) — on PostgreSQL a round trip less per command.
_HAS_RUNNING = exists().where(deadlines.c.participant_id == participants.c.id, RUNNING_ROWS).label("running")
#: A participant by id: COLUMNS, then _HAS_RUNNING
_BY_ID = Prepared(select(*COLUMNS, _HAS_RUNNING).where(participants.c.id == bindparam("id")))
#: A new participant's row (an import line's enrolment inserts it too: store/bulk.py)
INSERT_PARTICIPANT = Prepared(insert(participants).returning(participants.c.id),
                              column_keys=[*_STATE, *_DERIVED, "version", "folded"])
_CHECKED = (participants.c.id == bindparam("b_id"), participants.c.version == bindparam("b_version"))
#: One compiled UPDATE per set of columns that changed (a handful in practice: a transition's, an
#: attribute change's, a record's), so a row's UPDATE sets only what changed.
_UPDATES: dict[tuple[str, ...], Prepared] = {}


def _update_of(columns: tuple[str, ...]) -> Prepared:
    """The version-checked UPDATE of these columns (and ``version``), built on first use.

    Setting only what changed is not only fewer bytes: SQLite rewrites an index whose column is in
    the SET list even when its value did not change, so an UPDATE of every column dirtied each of
    the row's indexes' pages — two more pages in every transition's commit, and on a durable
    commit the flush of each page is most of what the write costs (bench/README.md, issue 10)."""
    found = _UPDATES.get(columns)
    if found is None:
        found = _UPDATES[columns] = Prepared(update(participants).where(*_CHECKED),
                                             column_keys=[*columns, "version"])
    return found


#: The deadline check's write of a participant it appended events to: only where its history stands.
_MOVE_ON = Prepared(update(participants).where(*_CHECKED), column_keys=["last_seq", "version"])
#: Events are appended only: one INSERT of every column the event has a field for.
INSERT_EVENT = Prepared(insert(events), column_keys=list(EVENT_COLUMNS))
#: A participant's records' lines, new or changed (the same statement on SQLite and PostgreSQL)
_WRITE_PARTS = text("INSERT INTO participant_records (participant_id, parts) VALUES (:participant_id, :parts) "
                    "ON CONFLICT (participant_id) DO UPDATE SET parts = excluded.parts")


#: Records' lines up to this many characters stay on the participant row after its head line (one
#: statement a command); a participant whose records outgrow them gets a participant_records row,
#: written only when a record changes, so a command that changes none (a note, a step change) does not
#: rewrite them (SQLite rewrites a whole row, PostgreSQL a whole changed value). Some twenty-five plan
#: goals (meetings are rows of their own: store/meeting_rows.py).
INLINE_RECORDS = 4_000


def fold_columns(folded: Folded, stored: str | None) -> tuple[str, str | None]:
    """What to store of ``folded``: the participant row's ``folded`` text, and the records' lines for
    its participant_records row — None while they stay on the participant row. ``stored``: what that
    row holds (None: no row; a participant that has one keeps it)."""
    head, parts = folded.to_stored()
    if stored is None and len(parts) <= INLINE_RECORDS:
        return f"{head}\n{parts}", None  # Folded.to_text: read back by Folded.from_text
    return head, parts


def write_beside_row(connection: Connection, participant_id: int, folded: Folded, parts: str | None,
                     stored: str | None, meetings: MeetingRows) -> str | None:
    """Write what a written fold keeps beside its participant row: the records' lines
    :func:`fold_columns` gave, where they differ from ``stored`` (their participant_records row as
    read; None: no row), and its meetings' rows (:func:`write_meetings`). Returns what the records
    row holds now. Every writer of a fold calls this after writing the row's ``folded``."""
    if parts is not None and parts != stored:
        connection.execute(_WRITE_PARTS, {"participant_id": participant_id, "parts": parts})
        stored = parts
    write_meetings(connection, participant_id, folded.records, meetings)
    return stored


class StaleRow(Exception):
    """A row changed since it was read: its version check matched no row."""

    def __init__(self, table: str, row_id: int) -> None:
        super().__init__(f"{table} {row_id} changed since it was read")
        self.row_id = row_id


def meeting_rows_of(row: Sequence[Any], connection: Connection) -> MeetingRows:
    """The meeting rows of a participant read as ``row`` (:data:`COLUMNS`), as they were then: read
    on ``connection`` when its records' meetings are."""
    return MeetingRows(connection, row[0], row[_LAST_SEQ])


def participant_from_row(row: Sequence[Any], meetings: MeetingRows) -> Participant:
    """A participant from its row (columns in the order of :data:`COLUMNS`) and its meeting rows
    (:func:`meeting_rows_of`); its folded history is None only on a row no unit of work wrote (the
    repository folds it then)."""
    (pid, ref, workflow_id, workflow_version, step, status, attributes, enrolled_at, last_step_change_at,
     exited_at, exit_reason, last_seq, version, head, parts) = row
    # what fold_columns and write_meetings stored
    folded: Any = None if head is None else Folded.from_text(head, parts, meetings)
    return Participant(workflow_id=workflow_id, workflow_version=workflow_version, step=step,
                       enrolled_at=enrolled_at, ref=ref, status=status, attributes=attributes,
                       last_step_change_at=last_step_change_at, exited_at=exited_at, exit_reason=exit_reason,
                       id=pid, version=version, last_seq=last_seq, folded=folded)


def participant_state(p: Participant) -> tuple[Any, ...]:
    """What an UPDATE of the row would write, to compare with what the row held (a copy of the
    attributes: they may be changed in place)."""
    return (p.ref, p.workflow_id, p.workflow_version, p.step, p.status, dict(p.attributes), p.enrolled_at,
            p.last_step_change_at, p.exited_at, p.exit_reason, p.last_seq)


def _changed_columns(state: tuple[Any, ...], read: tuple[Any, ...] | None) -> tuple[str, ...]:
    """The state's columns (with the dates derived from them) that differ from what the row held
    when read; every column when that is not known."""
    changed: list[str] = []
    for i, name in enumerate(_STATE):
        if read is None or state[i] != read[i]:
            changed.append(name)
            if name in _DERIVED_FROM:
                changed.append(_DERIVED_FROM[name])
    return tuple(changed)


def _row_values(p: Participant, state: tuple[Any, ...]) -> dict[str, Any]:
    values = dict(zip(_STATE, state))
    values["enrolled_on"] = to_local(p.enrolled_at).date()
    values["exited_on"] = to_local(p.exited_at).date() if p.exited_at is not None else None
    return values


def participant_row(p: Participant, stored: str | None) -> tuple[dict[str, Any], str | None]:
    """Every column of the participant's row as it stands now — what :data:`INSERT_PARTICIPANT`
    writes, with the version and the folded history the object carries — and the records' lines
    for its participant_records row, if it has one (:func:`fold_columns`; ``stored``: what that
    row holds)."""
    folded, parts = fold_columns(p.folded, stored)
    return {**_row_values(p, participant_state(p)), "version": p.version, "folded": folded}, parts


@dataclass
class Tracked:
    """The participants of one transaction (an identity map: one object per row) and what each
    row held when it was last read or written — what the unit of work compares to find changes."""

    by_id: dict[int, Participant] = field(default_factory=dict)
    rows: dict[int, tuple[Any, ...]] = field(default_factory=dict)
    #: the records' lines each participant_records row held (None: no row)
    parts: dict[int, str | None] = field(default_factory=dict)
    #: each participant's meeting rows
    meetings: dict[int, MeetingRows] = field(default_factory=dict)
    #: added, not yet inserted
    new: list[Participant] = field(default_factory=list)
    #: participants read with no running deadline row and written none since (the deadline
    #: repository reads no running row of these; it forgets one as it writes a row for it)
    without_running_deadlines: set[int] = field(default_factory=set)

    def clear(self) -> None:
        self.without_running_deadlines.clear()
        self.by_id.clear()
        self.rows.clear()
        self.parts.clear()
        self.meetings.clear()
        self.new.clear()


class ParticipantRepository:
    """Participants and their history; tracks what was touched so the unit of work can write the
    new events, and the rows that changed, in the same transaction."""

    def __init__(self, connection: Connection, tracked: Tracked | None = None) -> None:
        self.connection = connection
        self.tracked = tracked if tracked is not None else Tracked()
        self.seen: list[Participant] = []
        #: ids already locked FOR UPDATE in this transaction (by :meth:`lock`, the deadline check)
        self.locked: set[int] = set()

    def add(self, participant: Participant) -> None:
        self.tracked.new.append(participant)
        self.seen.append(participant)

    def get(self, participant_id: int) -> Participant | None:
        participant = self.tracked.by_id.get(participant_id)
        if participant is None:
            rows = fetch(self.connection, _BY_ID, {"id": participant_id})
            if not rows:
                return None
            *row, running = rows[0]
            participant = self._adopt(row)
            if not running:
                self.tracked.without_running_deadlines.add(participant_id)
        self._seen([participant])
        return participant

    def _adopt(self, row: Sequence[Any], refresh: bool = False) -> Participant:
        """The one object of a row read in this transaction (the row's values replace its own
        when ``refresh``: a row read again under a lock)."""
        found = self.tracked.by_id.get(row[0])
        if found is not None and not refresh:
            return found
        meetings = meeting_rows_of(row, self.connection)
        fresh = participant_from_row(row, meetings)
        if found is not None:
            for name in _FIELDS:
                setattr(found, name, getattr(fresh, name))
            fresh = found
        self.tracked.by_id[row[0]] = fresh
        self.tracked.rows[row[0]] = participant_state(fresh)
        self.tracked.parts[row[0]] = row[-1]
        self.tracked.meetings[row[0]] = meetings
        return fresh

    def _read(self, query: Any, refresh: bool = False) -> builtins.list[Participant]:
        return [self._adopt(row, refresh) for row in self.connection.execute(query)]

    def _seen(self, found: builtins.list[Participant]) -> None:
        """Track what a use case may record events on; fold the history of a row that has no folded
        state yet (written before migration 0012 by other means)."""
        for participant in found:
            if participant.folded is None and participant.id is not None:
                participant.refold(self.history(participant.id))
        self.seen.extend(found)

    def lock(self, ids: Sequence[int]) -> dict[int, Participant]:
        """Load and lock participants a deadline check appends to (id order, so no deadlocks)."""
        query = (select(*COLUMNS).where(participants.c.id.in_(sorted(set(ids))))
                 .order_by(participants.c.id).with_for_update())
        found = self._read(query, refresh=True)
        self._seen(found)
        self.locked.update(p.id for p in found if p.id is not None)
        return {p.id: p for p in found}  # type: ignore[misc]

    # -- writing (the unit of work calls these) ---------------------------------------------

    def write_new(self, connection: Connection) -> builtins.list[int]:
        """Insert the participants added since the last write; each gets its id and version 1.
        Returns their ids."""
        inserted = []
        for participant in self.tracked.new:
            if participant.id is not None:
                continue
            state = participant_state(participant)
            folded, parts = fold_columns(participant.folded, None)
            values = {**_row_values(participant, state), "version": 1, "folded": folded}
            cursor = run(connection, INSERT_PARTICIPANT, values)
            participant.id = int(cursor.fetchone()[0])
            cursor.close()
            participant.version = 1
            participant.folded_changed = False
            self.tracked.by_id[participant.id] = participant
            self.tracked.rows[participant.id] = state
            self.tracked.meetings[participant.id] = meetings = MeetingRows()
            self.tracked.parts[participant.id] = write_beside_row(
                connection, participant.id, participant.folded, parts, None, meetings)
            inserted.append(participant.id)
        self.tracked.new.clear()
        return inserted

    def write_changed(self, connection: Connection) -> None:
        """Update every row this unit of work changed, each only if still at the version read
        (:class:`StaleRow` otherwise); the version moves on by one. In id order: the UPDATEs take
        the rows' locks, in the order the deadline check takes them."""
        unique = {p.id: p for p in self.seen if p.id is not None}
        for participant_id in sorted(unique):
            participant = unique[participant_id]
            state = participant_state(participant)
            if state == self.tracked.rows.get(participant_id) and not participant.folded_changed:
                continue
            values = {**_row_values(participant, state), "version": participant.version + 1,
                      "b_id": participant_id, "b_version": participant.version}
            changed = _changed_columns(state, self.tracked.rows.get(participant_id))
            parts = None
            if participant.folded_changed:
                values["folded"], parts = fold_columns(participant.folded, self.tracked.parts.get(participant_id))
                changed += ("folded",)
            cursor = run(connection, _update_of(changed), values)
            count = cursor.rowcount
            cursor.close()
            if count != 1:
                raise StaleRow("participant", participant_id)
            # the row's version check passed: this transaction holds the participant
            if participant.folded_changed:
                self.tracked.parts[participant_id] = write_beside_row(
                    connection, participant_id, participant.folded, parts, self.tracked.parts.get(participant_id),
                    self.tracked.meetings.setdefault(participant_id, MeetingRows()))
            participant.version += 1
            participant.folded_changed = False
            self.tracked.rows[participant_id] = state

    def lock_heads(self, ids: Sequence[int]) -> dict[int, ParticipantHead]:
        """:meth:`lock` read as plain rows (Core, no folded history): for the deadline check, which
        appends events only and writes them with :meth:`append_events`."""
        c = participants.c
        query = (select(c.id, c.ref, c.workflow_id, c.workflow_version, c.step, c.last_seq, c.version)
                 .where(c.id.in_(sorted(set(ids)))).order_by(c.id).with_for_update())
        return {row[0]: ParticipantHead(*row) for row in self.connection.execute(query).all()}

    def append_events(self, heads: Mapping[int, ParticipantHead], new: builtins.list[Event]) -> None:
        """Write events appended to participants read by :meth:`lock_heads` (one INSERT; their seq
        follow on from each head's ``last_seq``) and move those rows on (one batched UPDATE of
        last_seq with the version checked). A row changed since it was read, or a sequence number
        taken, is a :class:`~pathway.errors.ConcurrentChange`."""
        if not new:
            return
        new = sorted(new, key=lambda e: (e.participant_id or 0, e.seq))  # participant by participant, in lock order
        last: dict[int, int] = {}
        for e in new:
            last[e.participant_id or 0] = e.seq
        connection = self.connection
        try:
            run_many(connection, INSERT_EVENT, [event_row(e) for e in new])
            count = run_many(connection, _MOVE_ON, [
                {"b_id": pid, "b_version": heads[pid].version, "last_seq": seq,
                 "version": heads[pid].version + 1} for pid, seq in last.items()])
        except IntegrityError:
            raise ConcurrentChange(new[0].participant_id or 0) from None
        if count != len(last):
            raise ConcurrentChange(new[0].participant_id or 0)

    def get_by_ref(self, ref: str, workflow_id: str | None = None) -> list[Participant]:
        query = select(*COLUMNS).where(participants.c.ref == ref)
        if workflow_id is not None:
            query = query.where(participants.c.workflow_id == workflow_id)
        found = self._read(query)
        self._seen(found)
        return found

    def list(
        self,
        workflow_id: str | None = None,
        step: str | None = None,
        status: str | None = None,
        limit: int | None = None,
    ) -> Sequence[Participant]:
        query = select(*COLUMNS).order_by(participants.c.id)
        if workflow_id is not None:
            query = query.where(participants.c.workflow_id == workflow_id)
        if step is not None:
            query = query.where(participants.c.step == step)
        if status is not None:
            query = query.where(participants.c.status == status)
        if limit is not None:
            query = query.limit(limit)
        found = self._read(query)
        self._seen(found)  # a use case may record events on any of them
        return found

    def rewrite(self, event: Event) -> None:
        """Write an event's changed data and reason back (redaction only: events are never updated
        through the API otherwise)."""
        self.connection.execute(
            update(events).where(events.c.participant_id == event.participant_id, events.c.seq == event.seq)
            .values(data=event.data, reason=event.reason))

    def history(self, participant_id: int) -> builtins.list[Event]:
        query = select(events).where(events.c.participant_id == participant_id).order_by(events.c.seq)
        return [event_from_row(row) for row in self.connection.execute(query).mappings()]


_STORED = [workflow_versions.c[name] for name in StoredWorkflowVersion.__dataclass_fields__]
_VERSION = Prepared(select(*_STORED).where(workflow_versions.c.workflow_id == bindparam("workflow_id"),
                                           workflow_versions.c.version == bindparam("version")))
_BY_HASH = Prepared(select(*_STORED).where(workflow_versions.c.workflow_id == bindparam("workflow_id"),
                                           workflow_versions.c.sha256 == bindparam("sha256")))


class WorkflowVersionRepository:
    """The registered versions of each workflow; a participant is pinned to one of them."""

    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    def _one(self, statement: Prepared, values: dict[str, Any]) -> StoredWorkflowVersion | None:
        rows = fetch(self.connection, statement, values)
        return StoredWorkflowVersion(*rows[0]) if rows else None

    def get(self, workflow_id: str, version: int) -> StoredWorkflowVersion | None:
        return self._one(_VERSION, {"workflow_id": workflow_id, "version": version})

    def find_by_hash(self, workflow_id: str, sha256: str) -> StoredWorkflowVersion | None:
        """Every enrolment asks (is the file's text registered?): a compiled statement."""
        return self._one(_BY_HASH, {"workflow_id": workflow_id, "sha256": sha256})

    def latest_version_number(self, workflow_id: str) -> int:
        query = select(func.max(workflow_versions.c.version)).where(workflow_versions.c.workflow_id == workflow_id)
        return self.connection.scalar(query) or 0

    def add(self, stored: StoredWorkflowVersion) -> bool:
        """Insert a version; False if another writer registered the same id+version or hash first."""
        try:
            with self.connection.begin_nested():  # a savepoint: a lost race leaves the transaction usable
                self.connection.execute(workflow_versions.insert().values(**stored.__dict__))
        except IntegrityError:
            return False
        return True

    def all(self) -> builtins.list[StoredWorkflowVersion]:
        query = select(workflow_versions).order_by(workflow_versions.c.workflow_id, workflow_versions.c.version)
        return [_stored(row) for row in self.connection.execute(query).mappings()]


def _stored(row: object) -> StoredWorkflowVersion:
    fields = StoredWorkflowVersion.__dataclass_fields__
    return StoredWorkflowVersion(**{name: row[name] for name in fields})  # type: ignore[index]
