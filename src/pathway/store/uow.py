"""The unit of work: one transaction per use case, rolled back unless committed.

Services do all their reads and writes through a unit of work and call :meth:`commit` once;
events recorded on participants during the unit are written in that same commit, together with
the projection (DESIGN invariants 1 and 3).

Participants and deadlines are plain objects: their repositories remember what each row held when
read, and :meth:`SqlUnitOfWork.commit` writes what changed with statements compiled once per dialect
(:mod:`pathway.store.statements`) on the unit of work's connection — new participants, the events (one
batched INSERT), each changed participant row with its version checked in the UPDATE's WHERE and
the row count checked, new and changed deadline rows the same way — then commits.

An import runs many use cases as one transaction: :meth:`SqlUnitOfWork.one_transaction` opens a
:class:`SharedTransaction`, whose units of work (:class:`SharedUnitOfWork`) only write on
``commit()``; its owner marks a savepoint per piece of work and commits (or rolls back) the whole.

No ORM class is mapped, so a unit of work holds a Core :class:`~sqlalchemy.Connection`, not a
``Session``: checking one out of the pool, beginning, committing and returning it costs less than
half of a Session's life cycle around the same transaction (about 75 µs against 165 µs on SQLite
with the engine's pragmas, where the whole write of a transition costs about 170 µs at the DB-API
floor). The transaction begins with the first statement (Core's autobegin, or
:func:`pathway.store.statements` for the compiled ones), so a read-only reader can still set its
execution options first (:func:`pathway.store.database.read_only_options`).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from types import TracebackType
from typing import TYPE_CHECKING, Protocol

from sqlalchemy import Connection, Engine, bindparam, insert, select
from sqlalchemy.exc import IntegrityError

from pathway.errors import ConcurrentChange, RefTakenConcurrently
from pathway.store.deadline_repository import OPEN_ROWS, DeadlineRepository
from pathway.store.identity_crypto import IdentityKeys
from pathway.store.identity_repository import IdentityRepository
from pathway.store.repository import INSERT_EVENT, ParticipantRepository, StaleRow, Tracked, WorkflowVersionRepository
from pathway.store.statements import Prepared, run, run_many, run_plain
from pathway.store.tables import event_row, struck_events
from pathway.store.access_repository import AccessLogRepository, AssignmentRepository
from pathway.store.tables import deadlines as deadlines_table
from pathway.store.user_repository import UserRepository

if TYPE_CHECKING:  # imported when first used (see SqlUnitOfWork.auth and .groups)
    from pathway.store.auth_repository import AuthRepository
    from pathway.store.group_repository import GroupRepository

#: the projection of what corrections struck (an import line writes its own with it too: store/bulk.py)
INSERT_STRUCK = Prepared(insert(struck_events), column_keys=["participant_id", "seq", "corrected_by_seq"])
#: the rows a deadline check could have claimed: open ones (a closed row never is; locking all of
#: them made a participant's every past step limit a locked row in each write: 200 step changes
#: behind it cost 1.8× the lock of 10 on PostgreSQL)
_LOCK_DEADLINES = Prepared(select(deadlines_table.c.id)
                           .where(deadlines_table.c.participant_id == bindparam("participant_id"), OPEN_ROWS)
                           .order_by(deadlines_table.c.id).with_for_update())


class UnitOfWork(Protocol):
    """What services need from storage; the SQL one below and the fake in tests both fit."""

    participants: ParticipantRepository
    workflows: WorkflowVersionRepository
    deadlines: DeadlineRepository
    identities: IdentityRepository
    users: UserRepository
    access: AccessLogRepository
    assignments: AssignmentRepository

    @property
    def auth(self) -> AuthRepository: ...
    @property
    def groups(self) -> GroupRepository: ...

    def __enter__(self) -> UnitOfWork: ...
    def flush(self) -> None: ...
    def __exit__(self, exc_type: type[BaseException] | None, exc: BaseException | None,
                 tb: TracebackType | None) -> None: ...
    def commit(self) -> None: ...
    def rollback(self) -> None: ...
    def one_transaction(self) -> SharedTransaction: ...


class SqlUnitOfWork:
    """``identity_keys`` encrypt and find personal identity numbers; without them the identity
    repository refuses to store or look one up (nothing else needs them)."""

    def __init__(self, engine: Engine, identity_keys: IdentityKeys | None = None) -> None:
        self._engine = engine
        self._identity_keys = identity_keys

    def __enter__(self) -> SqlUnitOfWork:
        #: the unit of work's connection; its transaction begins with the first statement
        self.connection = self._engine.connect()
        self._repositories(ParticipantRepository(self.connection))
        return self

    def _repositories(self, participants: ParticipantRepository) -> None:
        self.participants = participants
        self.workflows = WorkflowVersionRepository(self.connection)
        self.deadlines = DeadlineRepository(self.connection, participants.tracked.without_running_deadlines)
        self.identities = IdentityRepository(self.connection, self._identity_keys)
        self.users = UserRepository(self.connection)
        self.access = AccessLogRepository(self.connection)
        self.assignments = AssignmentRepository(self.connection)
        self._auth: AuthRepository | None = None
        self._groups: GroupRepository | None = None

    # Two repositories few use cases need are made (and their modules imported) when first asked
    # for, not by every command (issue 10's start-up); each holds nothing but the connection.

    @property
    def auth(self) -> AuthRepository:
        """Passwords, web sessions, login failures and API tokens: only the web app signs in."""
        if self._auth is None:
            from pathway.store.auth_repository import AuthRepository

            self._auth = AuthRepository(self.connection)
        return self._auth

    @property
    def groups(self) -> GroupRepository:
        """Groups, their members and sessions: group steps, exits and the group commands."""
        if self._groups is None:
            from pathway.store.group_repository import GroupRepository

            self._groups = GroupRepository(self.connection)
        return self._groups

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.connection.close()  # rolls back what was not committed

    def commit(self) -> None:
        try:
            with self._refusing_conflicts():
                self._lock_written(self.connection)
                self._write(self.connection, with_events=True)
                self._finish()
        finally:
            for participant in self.participants.seen:
                participant.new_events.clear()
                participant.folded_changed = False

    def _write(self, connection: Connection, with_events: bool) -> None:
        """New participants (their ids first: events and deadlines name them), changed participant
        rows (version-checked), then the events and what corrections struck, then deadline rows."""
        self.deadlines.created.update(self.participants.write_new(connection))
        self.participants.write_changed(connection)
        if with_events:
            rows, written, struck = [], set(), []
            for participant in self.participants.seen:
                if id(participant) in written:  # seen twice (found by id, then in a list)
                    continue
                written.add(id(participant))
                for event in participant.new_events:
                    event.participant_id = participant.id
                    rows.append(event_row(event))
                    struck += [{"participant_id": participant.id, "seq": int(seq), "corrected_by_seq": event.seq}
                               for seq in (event.data.get("corrects") or []) if event.type == "corrected"]
            if len(rows) == 1:  # a (participant, seq) another writer took first refuses
                run(connection, INSERT_EVENT, rows[0]).close()
            elif rows:  # one batched INSERT
                run_many(connection, INSERT_EVENT, rows)
            if struck:  # the projection of what corrections struck, in the same transaction
                run_many(connection, INSERT_STRUCK, struck)
        self.deadlines.write(connection)

    def _lock_written(self, connection: Connection) -> None:
        """Lock what a write touches in the deadline check's order — deadline rows, then the
        participant — before writing anything.

        The check claims due deadline rows, then locks their participants, then writes. A
        caseworker's write that held the participant and then waited for a claimed deadline row
        (or wrote deadline rows and then waited for the participant) deadlocked on PostgreSQL. In
        the check's order the caseworker simply waits for the check (or the check skips the rows
        the caseworker holds: SKIP LOCKED), and its version check then says the participant
        changed, so services.retry runs the command again on the fresh state.

        The participant rows are locked by their version-checked UPDATEs, which :meth:`_write`
        sends first, in id order, so only the deadline rows are locked here (one SELECT ... FOR
        UPDATE of the open rows: the only ones a check claims), and only where the check could
        have claimed one: a participant whose running rows this unit of work read (``for_plan``)
        held no open row, or one it enrolled, has none the check can hold (a row opens only
        through a write of its participant, which the version check would catch). Taking them
        while the use case reads (in ``for_plan``) would save that statement but hold them
        through the whole use case: a
        deadline check running meanwhile would skip them rather than write first and make this
        command run again on its events. SQLite ignores FOR UPDATE: its BEGIN IMMEDIATE already
        serialises whole transactions, so nothing is sent there. Participants the check itself
        locked (``participants.lock``) are left alone: two checks hold different claimed rows of
        one participant, and must not wait for each other's.
        """
        if connection.dialect.name == "sqlite":
            return
        ids = sorted({p.id for p in self.participants.seen
                      if p.id is not None and p.new_events and p.id not in self.participants.locked
                      and self.deadlines.open_read.get(p.id, True)})
        if len(ids) == 1:  # a caseworker's command: the compiled statement
            run(connection, _LOCK_DEADLINES, {"participant_id": ids[0]}).close()
        elif ids:  # a group session's: all of them, in the rows' id order
            connection.execute(select(deadlines_table.c.id).where(deadlines_table.c.participant_id.in_(ids), OPEN_ROWS)
                               .order_by(deadlines_table.c.id).with_for_update())

    def _finish(self) -> None:
        self.connection.commit()

    def rollback(self) -> None:
        self.connection.rollback()

    def one_transaction(self) -> SharedTransaction:
        """A transaction that many use cases share, committed once by its owner (an import)."""
        return SharedTransaction(self._engine, self._identity_keys)

    def flush(self) -> None:
        """Write new and changed participant and deadline rows without committing (gives a new
        participant its id); the events are written by :meth:`commit`."""
        with self._refusing_conflicts():
            self._write(self.connection, with_events=False)

    @contextmanager
    def _refusing_conflicts(self) -> Iterator[None]:
        """Another writer got there first: roll back and say so as a typed refusal."""
        seen = self._seen_seq()  # before the flush: a failed flush leaves the objects unreadable
        try:
            yield
        except StaleRow:
            self.rollback()
            raise self._conflict(seen) from None
        except IntegrityError as err:
            self.rollback()
            translated = self._translate(err)
            if isinstance(translated, ConcurrentChange):
                translated.seen_seq = seen
            raise translated from None

    #: whether a use case that lost a race may simply run again (services.retry); not inside an
    #: import's shared transaction, whose owner rolls back to its savepoint instead
    retry_safe = True

    def _seen_seq(self) -> int | None:
        """The newest event seq the participant being written had when it was read; None when
        unknown or when a retry would not be safe."""
        touched = next((p for p in self.participants.seen if p.id is not None), None)
        if touched is None or not self.retry_safe:
            return None
        return touched.last_seq - len(touched.new_events)

    def _conflict(self, seen: int | None) -> ConcurrentChange:
        err = ConcurrentChange(self._touched_id())
        err.seen_seq = seen
        return err

    def _translate(self, err: IntegrityError) -> Exception:
        """A unique key another writer took first is a concurrent change, told as such."""
        detail = str(err.orig)
        if "seq" in detail:
            return ConcurrentChange(self._touched_id())
        if "ref" in detail:
            new = next((p for p in self.participants.seen if p.ref is not None), None)
            ref, workflow = (new.ref, new.workflow_id) if new else ("?", "?")
            return RefTakenConcurrently(str(ref), workflow)
        return err

    def _touched_id(self) -> int:
        return next((p.id for p in self.participants.seen if p.id is not None), 0)


class SharedUnitOfWork(SqlUnitOfWork):
    """A unit of work inside a :class:`SharedTransaction`: the same repositories and checks, but
    ``commit()`` only flushes and a failure leaves the rolling back to the transaction's owner."""

    def __init__(self, connection: Connection, identity_keys: IdentityKeys | None = None,
                 tracked: Tracked | None = None) -> None:
        self._shared = connection
        self._identity_keys = identity_keys
        self._tracked = tracked

    def __enter__(self) -> SharedUnitOfWork:
        self.connection = self._shared
        # the participants the transaction's earlier use cases read or wrote: an import line's next
        # event finds its participant there instead of reading the row again
        self._repositories(ParticipantRepository(self.connection, self._tracked))
        return self

    def __exit__(self, *args: object) -> None:
        pass  # the owner rolls back to its savepoint, or all of it

    retry_safe = False

    def _finish(self) -> None:
        pass  # written; the owner commits

    def rollback(self) -> None:
        pass  # a rollback here would end the owner's whole transaction, not just this part

    def one_transaction(self) -> SharedTransaction:
        raise RuntimeError("already inside a shared transaction")


class SharedTransaction:
    """One transaction for many use cases (an import): all of them are committed, or none.

    ``uow`` is the factory to put in a ServiceContext; wrap each piece of work that may fail on
    its own in ``with tx.savepoint():`` (an exception rolls back to the savepoint and the
    transaction goes on). Nothing is written unless :meth:`commit` is called before the ``with``
    block ends; leaving it rolls back.
    """

    def __init__(self, engine: Engine, identity_keys: IdentityKeys | None = None) -> None:
        self._engine = engine
        self._identity_keys = identity_keys

    def __enter__(self) -> SharedTransaction:
        self.connection = self._engine.connect()
        #: the participants the current piece of work read or wrote, as written so far
        self._tracked = Tracked()
        self._depth = 0  # savepoints open
        return self

    def __exit__(self, *args: object) -> None:
        self.connection.close()  # rolls back what was not committed

    def uow(self) -> SharedUnitOfWork:
        return SharedUnitOfWork(self.connection, self._identity_keys, self._tracked)

    @contextmanager
    def savepoint(self) -> Iterator[None]:
        """``with tx.savepoint():`` — released on success, rolled back to on an exception. The
        participants the previous piece of work wrote are let go (memory stays flat in the lines, and
        nothing a rolled-back piece of work left in memory is taken for the database's state).

        ``SAVEPOINT`` / ``RELEASE`` / ``ROLLBACK TO`` go to the DB-API connection as plain statements
        (:func:`pathway.store.statements.run_plain`: listeners are still told), inside the
        transaction begun first as Core would: ``Connection.begin_nested`` builds and compiles its
        clause every time, about 80 µs a savepoint on SQLite against 2 µs (an import takes one per
        line; bench/README.md, issue 10). A Core savepoint taken inside one (the workflow registry's
        ``begin_nested`` when a line registers a version) nests within it as any savepoint does."""
        self._tracked.clear()
        connection = self.connection
        if not connection.in_transaction():
            connection.begin()
        name = f"pathway_{self._depth}"
        self._depth += 1
        run_plain(connection, f"SAVEPOINT {name}")
        try:
            yield
        except BaseException:
            run_plain(connection, f"ROLLBACK TO SAVEPOINT {name}")
            run_plain(connection, f"RELEASE SAVEPOINT {name}")
            raise
        else:
            run_plain(connection, f"RELEASE SAVEPOINT {name}")
        finally:
            self._depth -= 1

    def commit(self) -> None:
        self.connection.commit()
