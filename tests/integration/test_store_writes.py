"""The write path without the ORM (issue 10): participants and deadlines read as plain objects,
written back by the unit of work with compiled statements, each UPDATE version-checked by row count."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import threading
from datetime import timedelta

import pytest
from sqlalchemy import Engine, event, insert, select, text
from sqlalchemy.exc import IntegrityError

from pathway.domain import Deadline
from pathway.errors import ConcurrentChange, PathwayError
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, history
from pathway.store import SqlUnitOfWork
from pathway.store.statements import run
from pathway.store.tables import deadlines, events, workflow_versions

from .conftest import START, snapshot
from .test_uow import _move


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    seen: list[str] = []

    def note(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        seen.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _deadline(participant_id: int, key: str = "first_meeting") -> Deadline:
    due = START + timedelta(days=14)
    return Deadline(participant_id=participant_id, key=key, rule=key, title="Första mötet", owner="coach",
                    started_at=START, status="open", step="referral", due_date=due.date(), due_at=due,
                    actions=[{"index": 1, "kind": "deadline_missed", "level": 0, "at": due.isoformat(),
                              "role": "coach"}], next_action_at=due, workflow_id="demo")


def test_one_object_per_row_in_a_unit_of_work(ctx: ServiceContext, engine: Engine) -> None:
    """Reading a participant twice (by id, by ref, in a list) gives the same object, as the ORM's identity map did."""
    pid, _ = enrol(ctx, "demo", ref="ID-1")
    with SqlUnitOfWork(engine) as uow:
        first = uow.participants.get(pid)
        assert first is not None
        assert uow.participants.get(pid) is first
        assert uow.participants.get_by_ref("ID-1") == [first]
        assert [p for p in uow.participants.list() if p.id == pid] == [first]


def test_an_unchanged_participant_is_not_written(ctx: ServiceContext, engine: Engine) -> None:
    """A unit of work that only read a participant sends no UPDATE and leaves its version as it was."""
    pid, _ = enrol(ctx, "demo")
    with SqlUnitOfWork(engine) as uow, _statements(engine) as sent:
        participant = uow.participants.get(pid)
        assert participant is not None
        uow.commit()
    assert not [s for s in sent if s.startswith("UPDATE")]
    assert participant.version == 1


def test_each_write_moves_the_version_on_by_one_with_the_check_in_the_where(ctx: ServiceContext,
                                                                             engine: Engine) -> None:
    """A transition updates the participant row once, WHERE id and version, and the version goes 1 → 2."""
    pid, _ = enrol(ctx, "demo")
    with _statements(engine) as sent:
        fire(ctx, pid, "assess")
    updates = [s for s in sent if s.startswith("UPDATE participants")]
    assert len(updates) == 1 and "participants.version =" in updates[0].split("WHERE")[1], updates
    with engine.connect() as conn:
        assert conn.execute(text("SELECT version, step FROM participants WHERE id = :id"), {"id": pid}).one() == (
            2, "mapping")


def test_an_update_sets_only_the_columns_that_changed(ctx: ServiceContext, engine: Engine) -> None:
    """A transition's UPDATE sets its step, history position, version and fold — not the reference,
    workflow or attributes it left as they were (SQLite rewrites every index whose column is in the SET
    list, changed or not); an attribute change sets the attributes and not the step."""
    pid, _ = enrol(ctx, "demo")
    with _statements(engine) as sent:
        fire(ctx, pid, "assess")
    (update,) = [s for s in sent if s.startswith("UPDATE participants")]
    assigned = update.split(" WHERE ")[0]
    for column in ("step", "last_seq", "version", "folded"):
        assert f"{column}=" in assigned, update
    for column in ("ref", "workflow_id", "attributes", "enrolled_at", "enrolled_on", "exited_on"):
        assert f" {column}=" not in assigned, update
    with SqlUnitOfWork(engine) as uow, _statements(engine) as sent:
        participant = uow.participants.get(pid)
        assert participant is not None
        participant.attributes["municipality"] = "0480"
        uow.commit()
    (update,) = [s for s in sent if s.startswith("UPDATE participants")]
    assigned = update.split(" WHERE ")[0]
    assert " attributes=" in assigned and " step=" not in assigned, update
    with engine.connect() as conn:
        row = conn.execute(text("SELECT step, attributes, version FROM participants WHERE id = :id"), {"id": pid}).one()
    assert row[0] == "mapping" and row[2] == 3


def test_a_deadline_row_changed_behind_the_units_back_is_refused(ctx: ServiceContext, engine: Engine) -> None:
    """A deadline row whose version moved since it was read matches no row in the UPDATE: ConcurrentChange,
    and nothing of the unit of work is written."""
    pid, _ = enrol(ctx, "demo")
    with SqlUnitOfWork(engine) as uow:
        uow.deadlines.add(_deadline(pid))
        uow.commit()
    before = snapshot(engine)
    with SqlUnitOfWork(engine) as uow:
        participant = uow.participants.get(pid)
        assert participant is not None
        (row,) = uow.deadlines.for_participant(pid)
        assert row.version == 1
        uow.connection.execute(text("UPDATE deadlines SET version = version + 1 WHERE id = :id"), {"id": row.id})
        _move(participant, "mapping")
        row.status, row.met_at = "met", START
        with pytest.raises(ConcurrentChange):
            uow.commit()
    assert snapshot(engine) == before


def test_deadline_rows_are_inserted_and_updated_with_their_versions(ctx: ServiceContext, engine: Engine) -> None:
    """A new row gets its id and version 1; a changed one is written at version 2; values survive the round
    trip exactly (UTC times with microseconds, dates, JSON)."""
    pid, _ = enrol(ctx, "demo")
    added = _deadline(pid)
    with SqlUnitOfWork(engine) as uow:
        uow.deadlines.add(added)
        uow.commit()
    assert added.id is not None and added.version == 1
    with SqlUnitOfWork(engine) as uow:
        (row,) = uow.deadlines.for_plan(pid, [])
        assert (row.due_at, row.due_date, row.actions, row.started_at) == (
            added.due_at, added.due_date, added.actions, START)
        row.status, row.met_at, row.next_action_at = "met", START + timedelta(days=1), None
        uow.commit()
    with engine.connect() as conn:
        stored = conn.execute(select(deadlines.c.status, deadlines.c.met_at, deadlines.c.version)
                              .where(deadlines.c.id == added.id)).one()
    assert tuple(stored) == ("met", START + timedelta(days=1), 2)


def test_a_sequence_number_taken_meanwhile_is_a_concurrent_change(ctx: ServiceContext, engine: Engine) -> None:
    """The driver's unique violation on (participant, seq) comes back as SQLAlchemy's IntegrityError from a
    compiled statement, and as ConcurrentChange from the unit of work, with nothing written."""
    pid, _ = enrol(ctx, "demo")
    taken = {"participant_id": pid, "seq": 2, "type": "transition", "data": {}, "actor": "other",
             "effective_at": START, "recorded_at": START, "workflow_id": "demo", "workflow_version": 1}
    with SqlUnitOfWork(engine) as uow:
        participant = uow.participants.get(pid)
        assert participant is not None
        uow.connection.execute(insert(events), [taken])  # another writer's event, its row not moved on
        _move(participant, "mapping")
        with pytest.raises(ConcurrentChange) as caught:
            uow.commit()
    assert caught.value.participant_id == pid
    assert [e.type for e in history(ctx, pid)] == ["enrolled"]
    with SqlUnitOfWork(engine) as uow:
        uow.connection.execute(insert(events), [taken])
        from pathway.store.repository import INSERT_EVENT  # the unit of work's own compiled INSERT

        with pytest.raises(IntegrityError):
            run(uow.connection, INSERT_EVENT, {**taken, "trigger": None, "from_step": None,
                                                          "to_step": None, "reason": None, "actor_id": None,
                                                          "actor_agency": None})


def test_an_import_lines_use_cases_share_the_participant_without_reading_it_again(
        ctx: ServiceContext, engine: Engine) -> None:
    """Inside a shared transaction the second use case of a piece of work finds the participant the first
    wrote (no SELECT of its row); a new savepoint lets it go."""
    from dataclasses import replace

    pid, _ = enrol(ctx, "demo")
    with SqlUnitOfWork(engine).one_transaction() as tx:
        shared = replace(ctx, uow=tx.uow)
        with tx.savepoint():
            fire(shared, pid, "assess")
            with _statements(engine) as sent:
                fire(shared, pid, "exit", {"reason": "work"})
            assert not [s for s in sent if s.startswith("SELECT participants.id, participants.ref")]
        with tx.savepoint(), _statements(engine) as sent:
            assert [e.type for e in history(shared, pid)][-1] == "transition"
        assert [s for s in sent if s.startswith("SELECT participants.id, participants.ref")]
        tx.commit()
    assert [e.to_step for e in history(ctx, pid)][1:] == ["mapping", "exited"]


def test_postgresql_locks_deadline_rows_only_where_a_check_could_hold_one(
        backend: str, ctx: ServiceContext, engine: Engine) -> None:
    """Before writing, a transition locks its participant's deadline rows (the deadline check's lock order)
    when it read an open one; with none open there is nothing a check can claim, and nothing is locked."""
    if backend == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE serialises whole transactions: no row locks are sent")
    without, _ = enrol(ctx, "demo")
    with_open, _ = enrol(ctx, "demo")
    with SqlUnitOfWork(engine) as uow:
        uow.deadlines.add(_deadline(with_open))
        uow.commit()
    for pid, locked in ((without, False), (with_open, True)):
        with _statements(engine) as sent:
            fire(ctx, pid, "assess")
        locks = [s for s in sent if s.startswith("SELECT deadlines.id FROM deadlines") and "FOR UPDATE" in s]
        assert bool(locks) is locked, sent


def test_postgresql_locks_only_the_open_deadline_rows_a_check_could_claim(
        backend: str, ctx: ServiceContext, engine: Engine) -> None:
    """The lock covers open rows only: a closed row (a met step limit) is never claimed by a check, and
    locking every past limit made a long history's transitions slower (bench_history.py --grow steps).
    Another transaction holding a closed row does not hold the transition up."""
    if backend == "sqlite":
        pytest.skip("SQLite's BEGIN IMMEDIATE serialises whole transactions: no row locks are sent")
    pid, _ = enrol(ctx, "demo")
    with SqlUnitOfWork(engine) as uow:
        uow.deadlines.add(_deadline(pid))
        met = _deadline(pid, "met_long_ago")
        met.status, met.met_at, met.next_action_at = "met", START + timedelta(days=3), None
        uow.deadlines.add(met)
        uow.commit()
    with engine.connect() as other:
        other.execute(text("SELECT id FROM deadlines WHERE key = 'met_long_ago' FOR UPDATE"))
        done = threading.Event()
        worker = threading.Thread(target=lambda: (fire(ctx, pid, "assess"), done.set()), daemon=True)
        worker.start()
        finished = done.wait(10)
        other.rollback()  # whatever happened, let the transition go on
        worker.join(10)
    assert finished, "the transition waited for a closed deadline row another transaction held"


def test_a_registered_workflow_version_is_looked_up_once_and_a_rolled_back_one_not_remembered(
        ctx: ServiceContext, engine: Engine) -> None:
    """The version an enrolment registers in a unit of work that is rolled back is gone, so it is not
    remembered: the next enrolment registers it again. Once found registered, later enrolments of the
    same file text do not ask the database again (a registered version never changes)."""
    with pytest.raises(PathwayError):  # refused after the version was registered in its unit of work
        enrol(ctx, "demo", attributes={"no_such_attribute": "x"})
    with engine.connect() as conn:
        assert conn.execute(select(workflow_versions.c.version)).all() == []
    with _statements(engine) as sent:
        enrol(ctx, "demo")  # registers it (not remembered: written, not found)
        enrol(ctx, "demo")  # finds it registered (remembered)
        enrol(ctx, "demo")
    lookups = [s for s in sent if "FROM workflow_versions" in s and s.startswith("SELECT")]
    inserts = [s for s in sent if s.startswith("INSERT INTO workflow_versions")]
    assert len(inserts) == 1
    assert len(lookups) == 3, lookups  # the first: by hash, then the newest number; the second: by hash
    with engine.connect() as conn:
        assert conn.execute(select(workflow_versions.c.version)).all() == [(1,)]


def test_a_plan_reads_the_running_deadline_rows_and_the_planned_keys_through_their_indexes(
        ctx: ServiceContext, engine: Engine) -> None:
    """The rows a plan reconciles (running ones, and those of the keys it planned) are found through
    the partial index of running rows and the (participant, key) index: never by visiting each of the
    participant's rows, which grow by one a met occurrence or step limit. On PostgreSQL the planner
    chooses by statistics, so SQLite's plan is the one pinned."""
    if engine.dialect.name != "sqlite":
        pytest.skip("PostgreSQL chooses its plan by table statistics")
    from pathway.store.deadline_repository import _for_plan

    statement = _for_plan(3).compiled(engine.dialect)
    values = statement.parameters({"participant_id": 1, "key_0": "a", "key_1": "b", "key_2": "c"})
    with engine.connect() as connection:
        plan = [row[-1] for row in connection.exec_driver_sql(f"EXPLAIN QUERY PLAN {statement.sql}",
                                                               tuple(values)).all()]
    searches = [step for step in plan if step.startswith("SEARCH")]
    assert searches == ["SEARCH deadlines USING INDEX ix_deadlines_running (participant_id=?)",
                        "SEARCH deadlines USING INDEX sqlite_autoindex_deadlines_1 (participant_id=? AND key=?)"]


def test_a_participant_read_with_no_running_deadline_reads_no_deadline_row_where_nothing_is_planned(
        ctx: ServiceContext, engine: Engine) -> None:
    """The participant's read says whether it has a running deadline row (one probe of the partial index).
    With none, and a plan that names none, a transition reads no deadline row: as many statements as the
    raw floor's SELECT, INSERT and UPDATE (bench_write_floor.py). A participant with a running row still
    has it read, and closed when the plan no longer names it."""
    quiet, _ = enrol(ctx, "demo")
    watched, _ = enrol(ctx, "demo")
    with SqlUnitOfWork(engine) as uow:
        uow.deadlines.add(_deadline(watched))
        uow.commit()
    with _statements(engine) as sent:
        fire(ctx, quiet, "assess")
    assert not [s for s in sent if "FROM deadlines" in s and not s.startswith("SELECT participants.")], sent
    assert [s.split()[0] for s in sent] == ["SELECT", "UPDATE", "INSERT"], sent
    with _statements(engine) as sent:
        fire(ctx, watched, "assess")
    assert [s for s in sent if s.startswith("SELECT deadlines.id, deadlines.participant_id")], sent
    with engine.connect() as conn:
        assert conn.execute(select(deadlines.c.status).where(deadlines.c.participant_id == watched)).scalar() == "cancelled"


def test_a_deadline_row_written_in_a_shared_transaction_is_read_by_its_next_use_case(
        ctx: ServiceContext, engine: Engine) -> None:
    """Inside an import's shared transaction a participant read with no running deadline row keeps being
    found without reading it again; once a use case writes a deadline row for it, the next one reads its
    running rows again (here: closes the row, as the demo workflow plans none)."""
    from dataclasses import replace

    pid, _ = enrol(ctx, "demo")
    with SqlUnitOfWork(engine).one_transaction() as tx:
        shared = replace(ctx, uow=tx.uow)
        with tx.savepoint():
            fire(shared, pid, "assess")  # read: no running row
            with tx.uow() as uow:
                uow.deadlines.add(_deadline(pid))
                uow.commit()
            with _statements(engine) as sent:
                fire(shared, pid, "exit", {"reason": "work"})
            assert not [s for s in sent if s.startswith("SELECT participants.id, participants.ref")]
            assert [s for s in sent if s.startswith("SELECT deadlines.id, deadlines.participant_id")], sent
        tx.commit()
    with engine.connect() as conn:
        assert conn.execute(select(deadlines.c.status).where(deadlines.c.participant_id == pid)).scalar() == "cancelled"
