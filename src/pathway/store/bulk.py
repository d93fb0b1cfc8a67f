"""An import line written once, at its end: the line's use cases run on state held in memory.

``pathway import`` runs each line's use cases (enrol, fire, set, consent, meeting, the catch-up of
passed deadlines) through the real services, with every check they make. Through a
:class:`~pathway.store.uow.SharedUnitOfWork` each of them flushed on its own — its events, an
UPDATE of the participant, its deadline rows (read back and re-planned every time) — so an imported
event cost as much as an interactive transition (issue 10).

A line only ever writes its own participant, enrolled by the line itself: nothing else in the
database refers to it yet. So :class:`LineWrites` keeps that participant, its events and its
deadline rows in memory while the line's use cases run (each use case gets a
:class:`LineUnitOfWork`; the planner reconciles the rows in memory after every event, as before),
and :meth:`LineWrites.write` writes the line's outcome at the end: one UPDATE of the participant
row, one INSERT of the events, one of the deadline rows (statements compiled once per dialect,
:mod:`pathway.store.statements`; executemany). Everything
else a use case reads or writes (workflow versions, identities, groups, users …) goes through the
shared transaction's own repositories as before. The participant row itself is inserted when the
enrolment asks for its id (``flush``), as before, so ids, the identity row and the refs' unique key
behave as they did.

What the line leaves is what the flushes of the per-event path left, row for row: the events as
they stood when their use case committed (their data copied then), the deadline rows in the order
they were made (so with the same ids), and the ``version`` counters moved as each use case's write
moved them — up by one for each use case that changed the row (tests/integration/test_import_bulk.py compares every
row of both paths).
"""

from __future__ import annotations

import builtins
from collections.abc import Collection, Sequence
from datetime import datetime
from operator import attrgetter
from types import TracebackType
from typing import Any

from sqlalchemy import bindparam, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.engine import Connection

from pathway.domain import Deadline, DeadlineStatus, Event, EventType, Participant
from pathway.errors import ConcurrentChange, RefTakenConcurrently
from pathway.store.access_repository import AccessLogRepository, AssignmentRepository
from pathway.store.auth_repository import AuthRepository
from pathway.store.deadline_repository import DeadlineRepository
from pathway.store.group_repository import GroupRepository
from pathway.store.identity_repository import IdentityRepository
from pathway.store.meeting_rows import MeetingRows
from pathway.store.repository import (INSERT_EVENT, INSERT_PARTICIPANT, ParticipantRepository,
                                      WorkflowVersionRepository, participant_row, participant_state,
                                      write_beside_row)
from pathway.store.tables import deadlines as deadlines_table
from pathway.store.statements import Prepared, fetch, run, run_many
from pathway.store.tables import EVENT_COLUMNS
from pathway.store.tables import participants as participants_table
from pathway.store.uow import INSERT_STRUCK, SharedTransaction, SharedUnitOfWork
from pathway.store.user_repository import UserRepository

#: A deadline row's columns as the domain object holds them (``id`` and ``version`` apart).
_DEADLINE_FIELDS = tuple(c.key for c in deadlines_table.c if c.key not in ("id", "version"))
_deadline_columns = attrgetter(*_DEADLINE_FIELDS)
_event_columns = attrgetter(*EVENT_COLUMNS)

_RUNNING = (DeadlineStatus.OPEN, DeadlineStatus.PAUSED)

#: Compiled once per dialect and run on the transaction's DB-API connection (store/statements.py):
#: one row, or every row of the line at once (executemany). The participant's INSERT and the
#: events' are the unit of work's own (store/repository.py); the line's UPDATE of its participant
#: carries no version check (the line inserted the row itself, inside its savepoint).
_UPDATE_PARTICIPANT = Prepared(update(participants_table).where(participants_table.c.id == bindparam("b_id")),
                               column_keys=list(INSERT_PARTICIPANT.column_keys or ()))
_INSERT_DEADLINES = Prepared(insert(deadlines_table), column_keys=[*_DEADLINE_FIELDS, "version"])
_REF_TAKEN = Prepared(select(participants_table.c.id).where(participants_table.c.ref == bindparam("ref"),
                                                            participants_table.c.workflow_id == bindparam("workflow_id")))


class LineWrites:
    """What one import line has written so far, held until :meth:`write` (see the module doc).

    ``uow`` is the factory to put in the line's ServiceContext; :meth:`write` is called once, when
    every use case of the line has committed, inside the line's savepoint.
    """

    def __init__(self, tx: SharedTransaction) -> None:
        self._tx = tx
        self._shared: SharedUnitOfWork | None = None
        #: the participant the line enrolled (None until the enrolment)
        self.participant: Participant | None = None
        #: the participant row's state when it was last written (inserted, or a use case committed)
        self._written: tuple[Any, ...] | None = None
        #: the records' lines the participant's participant_records row holds (None: no row)
        self._parts: str | None = None
        #: its participant_meetings rows
        self._meetings = MeetingRows()
        #: events rows, each as it stood when its use case committed
        self._events: list[dict[str, Any]] = []
        self._struck: list[dict[str, Any]] = []
        #: every deadline row the line made, in the order made (the order of their ids)
        self.deadlines: list[Deadline] = []
        #: each deadline row's column values when its use case committed (by the row's identity)
        self._rows: dict[int, tuple[Any, ...]] = {}
        #: the (kind, number) of the identity row the enrolment added, if it added one
        self.identity: tuple[str, str | None] | None = None
        #: a use case went through the shared participant or deadline repository (see _Through)
        self.outside = False
        #: the line's deadline rows were handed to a use case since the last commit (only then
        #: can they have changed: a use case reaches them through its deadline repository alone)
        self.deadlines_out = False
        #: the repositories the line's use cases see (made once, with the shared ones)
        self._repositories: dict[str, Any] | None = None

    def uow(self) -> LineUnitOfWork:
        return LineUnitOfWork(self)

    def connection(self) -> Connection:
        """The shared transaction's connection (at the line's savepoint), for Core statements."""
        return self._tx.connection

    def shared(self) -> SharedUnitOfWork:
        """The shared transaction's repositories, made once for the line's use cases."""
        if self._shared is None:
            self._shared = self._tx.uow().__enter__()
        return self._shared

    def repositories(self) -> dict[str, Any]:
        """The repositories of the line's units of work: the line's participant and deadline rows
        and identity from memory (:class:`_LineParticipants` …), the rest the shared ones; made
        once for the line (they hold nothing of one use case)."""
        if self._repositories is None:
            shared = self.shared()
            self._repositories = {
                "participants": _LineParticipants(shared.participants, self),
                "deadlines": _LineDeadlines(shared.deadlines, self),
                "identities": _LineIdentities(shared.identities, self),
                **{name: getattr(shared, name) for name in ("workflows", "users", "access", "assignments", "auth",
                                                            "groups")}}
        return self._repositories

    # -- as the per-event path's flushes did -----------------------------------------------

    def enrolled(self, participant: Participant) -> None:
        """The line's participant, added by its enrolment (no row yet)."""
        if self.participant is not None:
            raise RuntimeError("an import line enrols one participant")
        self.participant = participant

    def insert(self) -> None:
        """Insert the enrolled participant's row now, if it has none (the enrolment needs its id
        for its identity, its deadlines and its events); a ref another writer took first is
        refused as before."""
        participant = self.participant
        if participant is None or participant.id is not None:
            return
        participant.version = 1
        try:
            row, parts = participant_row(participant, None)
            cursor = run(self.connection(), INSERT_PARTICIPANT, row)
        except IntegrityError:
            raise RefTakenConcurrently(str(participant.ref), participant.workflow_id) from None
        participant.id = int(cursor.fetchone()[0])
        cursor.close()
        self._parts = write_beside_row(self.connection(), participant.id, participant.folded, parts, None,
                                       self._meetings)
        participant.folded_changed = False  # written with the row, as the per-event path's flush did
        for event in participant.new_events:
            event.participant_id = participant.id
        self._written = participant_state(participant)

    def committed(self) -> None:
        """A use case of the line committed: take its events as they stand now, and move the
        versions of the rows it changed (as its flush would have: one UPDATE each)."""
        participant = self.participant
        if participant is None:
            return
        for event in participant.new_events:
            event.participant_id = participant.id
            row = dict(zip(EVENT_COLUMNS, _event_columns(event)))  # tables.event_row, in one C call
            row["data"] = _copied(event.data)  # a later use case must not change what this one wrote
            self._events.append(row)
            if event.type == EventType.CORRECTED:
                self._struck += [{"participant_id": participant.id, "seq": int(seq), "corrected_by_seq": event.seq}
                                 for seq in (event.data.get("corrects") or [])]
        participant.new_events.clear()
        state = participant_state(participant)
        if state != self._written or participant.folded_changed:
            participant.version += 1
            self._written = state
        participant.folded_changed = False
        if not self.deadlines_out:  # no use case was given the rows since they were last taken
            return
        self.deadlines_out = False
        for deadline in self.deadlines:
            columns = _deadline_columns(deadline)
            before = self._rows.get(id(deadline))
            if before is None:
                deadline.version = 1
            elif before != columns:
                deadline.version += 1
            self._rows[id(deadline)] = columns

    def history(self) -> builtins.list[Event]:
        """The participant's events as the database would give them back (copies)."""
        return [Event(**{**row, "data": _copied(row["data"])}) for row in self._events]

    # -- the line's end ----------------------------------------------------------------------

    def write(self) -> None:
        """Write the line's outcome: the participant row, its events, its deadline rows.

        Called when every use case of the line committed; what a use case left uncommitted (none
        does) is refused rather than written half."""
        participant = self.participant
        if participant is None:
            return
        if participant.new_events:
            raise RuntimeError("an import line ended with events no use case committed")
        connection = self.connection()
        try:
            row, parts = participant_row(participant, self._parts)
            if participant.version > 1:
                run(connection, _UPDATE_PARTICIPANT, {**row, "b_id": participant.id}).close()
            self._parts = write_beside_row(connection, participant.id or 0, participant.folded, parts, self._parts,
                                           self._meetings)
            run_many(connection, INSERT_EVENT, self._events)
            run_many(connection, INSERT_STRUCK, self._struck)
            run_many(connection, _INSERT_DEADLINES, [
                dict(zip(_DEADLINE_FIELDS, self._rows[id(d)], strict=True), version=d.version) for d in self.deadlines])
        except IntegrityError:  # a sequence number or deadline key another writer took first
            raise ConcurrentChange(participant.id or 0) from None


def _copied(value: Any) -> Any:
    """A copy of a JSON value (dicts and lists; the rest is immutable)."""
    if isinstance(value, dict):
        return {k: _copied(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_copied(v) for v in value]
    return value


class _Lined:
    """A shared repository seen from a line: what is about the line's participant is answered from
    memory, anything else by the shared repository."""

    def __init__(self, sql: Any, line: LineWrites) -> None:
        self._sql = sql
        self._line = line

    def __getattr__(self, name: str) -> Any:
        return getattr(self._sql, name)

    def _mine(self, participant_id: int | None) -> Participant | None:
        mine = self._line.participant
        return mine if mine is not None and participant_id is not None and mine.id == participant_id else None


class _Through(_Lined):
    """The participant and deadline repositories, which hold what they read and write it on the
    unit of work's commit: when a use case went through the shared one (:meth:`shared`), its commit
    writes what it holds, as the per-event path did. (Identities, groups, assignments and the access
    log write at once: there is no commit to wait for.)"""

    def __getattr__(self, name: str) -> Any:
        return getattr(self.shared(), name)

    def shared(self) -> Any:
        self._line.outside = True
        return self._sql


class _LineParticipants(_Through):
    """The participant repository of a line: its own participant from memory, the rest as before."""

    def add(self, participant: Participant) -> None:
        self._line.enrolled(participant)

    def get(self, participant_id: int) -> Participant | None:
        return self._mine(participant_id) or self.shared().get(participant_id)

    def get_by_ref(self, ref: str, workflow_id: str | None = None) -> builtins.list[Participant]:
        if workflow_id is not None:  # an enrolment's check that its ref is free: free, as a rule
            if not fetch(self._line.connection(), _REF_TAKEN, {"ref": ref, "workflow_id": workflow_id}):
                return []
        return self._swapped(self.shared().get_by_ref(ref, workflow_id))

    def list(self, *args: Any, **kwargs: Any) -> Sequence[Participant]:
        return self._swapped(self.shared().list(*args, **kwargs))

    def _swapped(self, found: Sequence[Participant]) -> builtins.list[Participant]:
        """Rows read from the database, the line's participant (written there only at its
        enrolment) replaced by its state in memory."""
        return [self._mine(p.id) or p for p in found]

    def history(self, participant_id: int) -> builtins.list[Event]:
        if self._mine(participant_id) is not None:
            return self._line.history()
        return self.shared().history(participant_id)


class _LineDeadlines(_Through):
    """The deadline repository of a line: its participant's rows (all made by the line) in memory."""

    def for_participant(self, participant_id: int) -> builtins.list[Deadline]:
        if self._mine(participant_id):
            self._line.deadlines_out = True
            return builtins.list(self._line.deadlines)
        return self.shared().for_participant(participant_id)

    def for_plan(self, participant_id: int, keys: Collection[str]) -> builtins.list[Deadline]:
        if self._mine(participant_id):
            self._line.deadlines_out = True
            wanted = set(keys)
            return [d for d in self._line.deadlines if d.status in _RUNNING or d.key in wanted]
        return self.shared().for_plan(participant_id, keys)

    def add(self, deadline: Deadline) -> None:
        if self._mine(deadline.participant_id):
            self._line.deadlines_out = True
            self._line.deadlines.append(deadline)
        else:
            self.shared().add(deadline)


class _LineIdentities(_Lined):
    """The identity repository of a line: the identity its enrolment recorded is also kept, so the
    checks of later events (anonymous, a contradicting number) do not read it back."""

    def add(self, participant_id: int, kind: str, personnummer: str | None, created_at: datetime) -> None:
        self._sql.add(participant_id, kind, personnummer, created_at)
        if self._mine(participant_id):
            self._line.identity = (kind, personnummer)

    def kind_of(self, participant_id: int) -> str | None:
        if self._mine(participant_id):  # enrolled by the line: its identity row is the one it added, or none
            return self._line.identity[0] if self._line.identity else None
        return self._sql.kind_of(participant_id)

    def number_of(self, participant_id: int) -> str | None:
        if self._mine(participant_id):
            return self._line.identity[1] if self._line.identity else None
        return self._sql.number_of(participant_id)


class LineUnitOfWork:
    """One use case of an import line: the line's participant and deadline rows in memory
    (:class:`LineWrites`), every other repository the shared transaction's own."""

    retry_safe = False

    def __init__(self, line: LineWrites) -> None:
        self._line = line

    participants: ParticipantRepository
    deadlines: DeadlineRepository
    identities: IdentityRepository
    workflows: WorkflowVersionRepository
    users: UserRepository
    access: AccessLogRepository
    assignments: AssignmentRepository
    auth: AuthRepository
    groups: GroupRepository

    def __enter__(self) -> LineUnitOfWork:
        self._shared = self._line.shared()
        vars(self).update(self._line.repositories())
        return self

    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None:
        self._shared.__exit__(exc_type, exc, tb)

    def flush(self) -> None:
        """Give a participant enrolled in this use case its row and id (and flush anything else)."""
        self._line.insert()
        if self._line.outside:
            self._shared.flush()

    def commit(self) -> None:
        self._line.insert()
        self._line.committed()
        if self._line.outside:  # what the use case wrote beyond the line's participant, as before
            self._shared.commit()
            self._line.outside = False

    def rollback(self) -> None:
        self._shared.rollback()

    def one_transaction(self) -> SharedTransaction:
        raise RuntimeError("already inside a shared transaction")

