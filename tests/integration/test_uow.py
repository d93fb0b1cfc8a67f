"""The unit of work: one transaction per use case, rolled back unless committed (cosmicpython style),
and optimistic concurrency on participants (invariant 3)."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from pathway.clock import FixedClock
from pathway.domain import Event, EventType, Participant
from pathway.errors import ConcurrentChange, RuleRefused, TriggerNotAllowed
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, history, show
from pathway.store import SqlUnitOfWork

from .conftest import START, counts, make_context, snapshot


def _new_participant(ref: str = "U-1") -> Participant:
    participant = Participant(workflow_id="demo", workflow_version=1, step="referral", enrolled_at=START,
                              ref=ref, attributes={}, last_step_change_at=START)
    participant.record(Event(seq=0, type=EventType.ENROLLED.value, effective_at=START, recorded_at=START,
                             actor="anna", workflow_id="demo", workflow_version=1, to_step="referral",
                             data={"ref": ref, "attributes": {}}))
    return participant


def _move(participant: Participant, to_step: str, trigger: str = "assess") -> None:
    """What the fire service does to a loaded participant, without the engine."""
    participant.record(Event(seq=0, type=EventType.TRANSITION.value, effective_at=START, recorded_at=START,
                             actor="anna", workflow_id="demo", workflow_version=1, trigger=trigger,
                             from_step=participant.step, to_step=to_step))
    participant.step = to_step


def test_uow_commit_writes_the_participant_and_its_events(engine: Engine) -> None:
    """Committed work is there afterwards: the projection row and its pending events, with ids assigned."""
    uow = SqlUnitOfWork(engine)
    with uow:
        participant = _new_participant()
        uow.participants.add(participant)
        uow.commit()
        assert participant.id is not None and participant.new_events == []
    with SqlUnitOfWork(engine) as uow:
        loaded = uow.participants.get(participant.id)
        assert loaded is not None and (loaded.ref, loaded.step, loaded.version, loaded.last_seq) == ("U-1", "referral", 1, 1)
        assert [(e.seq, e.type, e.participant_id) for e in uow.participants.history(participant.id)] == [
            (1, "enrolled", participant.id)
        ]


def test_uow_rolls_back_uncommitted_work_by_default(engine: Engine) -> None:
    """Leaving the unit of work without commit() writes nothing, not even the flushed rows."""
    uow = SqlUnitOfWork(engine)
    with uow:
        uow.participants.add(_new_participant())
        uow.flush()
        assert uow.connection.execute(text("SELECT count(*) FROM participants")).scalar_one() == 1
    assert set(counts(engine).values()) == {0}


def test_uow_rolls_back_on_error(engine: Engine) -> None:
    """An exception inside the unit of work rolls everything back."""
    uow = SqlUnitOfWork(engine)

    class Boom(Exception):
        pass

    with pytest.raises(Boom):
        with uow:
            uow.participants.add(_new_participant())
            uow.flush()
            raise Boom
    assert set(counts(engine).values()) == {0}


def test_uow_changes_to_a_loaded_participant_need_commit(ctx: ServiceContext, engine: Engine) -> None:
    """Moving a loaded participant without commit() leaves its row and history as they were."""
    pid, _ = enrol(ctx, "demo")
    before = snapshot(engine)
    with ctx.uow() as uow:
        participant = uow.participants.get(pid)
        assert participant is not None
        _move(participant, "mapping")
        uow.flush()
    assert snapshot(engine) == before
    assert show(ctx, pid).step == "referral"


def test_stale_version_is_refused_and_nothing_is_written(ctx: ServiceContext, engine: Engine) -> None:
    """If the participant's version moved since it was loaded, commit raises ConcurrentChange and writes nothing."""
    pid, _ = enrol(ctx, "demo")
    before = snapshot(engine)
    with ctx.uow() as uow:
        participant = uow.participants.get(pid)
        assert participant is not None
        # Another writer committed in between (simulated inside this transaction, behind the ORM's back,
        # because SQLite lets no second writer in while this one is open).
        uow.connection.execute(text("UPDATE participants SET version = version + 1 WHERE id = :id"), {"id": pid})
        _move(participant, "mapping")
        with pytest.raises(ConcurrentChange) as caught:
            uow.commit()
    assert caught.value.participant_id == pid
    assert "was changed by someone else at the same time; nothing was written" in str(caught.value)
    assert caught.value.exit_code == 1
    assert snapshot(engine) == before


def _noop() -> None:
    pass


class GatedUnitOfWork(SqlUnitOfWork):
    """A real unit of work with hooks, to interleave two writers deterministically.

    ``gate`` names a repository read ("participants.get", "workflows.find_by_hash" …); ``on_gate`` runs
    right after its first call returns. ``before_commit`` runs before commit; ``on_exit`` when the unit ends.
    """

    def __init__(self, engine, gate: str | None = None, on_gate: Callable[[], object] = _noop,  # type: ignore[no-untyped-def]
                 before_commit: Callable[[], object] = _noop, on_exit: Callable[[], object] = _noop) -> None:
        super().__init__(engine)
        self._gate, self._on_gate = gate, on_gate
        self._before_commit, self._on_exit = before_commit, on_exit

    def __enter__(self) -> GatedUnitOfWork:
        super().__enter__()
        if self._gate is not None:
            repository_name, method_name = self._gate.split(".")
            repository = getattr(self, repository_name)
            read = getattr(repository, method_name)
            passed: list[bool] = []

            def gated(*args, **kwargs):  # type: ignore[no-untyped-def]
                result = read(*args, **kwargs)
                if not passed:
                    passed.append(True)
                    self._on_gate()
                return result

            setattr(repository, method_name, gated)
        return self

    def commit(self) -> None:
        self._before_commit()
        super().commit()

    def __exit__(self, *exc: object) -> None:
        try:
            super().__exit__(*exc)  # type: ignore[arg-type]
        finally:
            self._on_exit()


def _gated(engine: Engine, ctx: ServiceContext, actor: str, **hooks: object) -> ServiceContext:
    return ServiceContext(uow=lambda: GatedUnitOfWork(engine, **hooks), catalog=ctx.catalog,  # type: ignore[arg-type]
                          clock=ctx.clock, actor=actor)


def _race(engine: Engine, ctx: ServiceContext, gate: str, first: Callable[[ServiceContext], object],
          second: Callable[[ServiceContext], object]):  # type: ignore[no-untyped-def]
    """Both writers pass ``gate`` (read the same state); the first then finishes; only then the second goes on.

    Returns the first's result and the second's future."""
    both_read = threading.Barrier(2, timeout=10)
    first_done = threading.Event()
    winner = _gated(engine, ctx, "first", gate=gate, on_gate=both_read.wait, on_exit=first_done.set)
    loser = _gated(engine, ctx, "second", gate=gate, on_gate=lambda: (both_read.wait(), first_done.wait(10)))
    pool = ThreadPoolExecutor(max_workers=2)
    try:
        won = pool.submit(first, winner)
        lost = pool.submit(second, loser)
        result = won.result(timeout=20)
        lost.exception(timeout=20)
        return result, lost
    finally:
        pool.shutdown()


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_concurrent_fires_second_commit_conflicts(ctx: ServiceContext, engine: Engine) -> None:
    """Two writers load the same participant and both fire; the second gets ConcurrentChange and writes nothing."""
    pid, _ = enrol(ctx, "demo")
    won, lost = _race(engine, ctx, "participants.get",
                      lambda c: fire(c, pid, "assess"),
                      lambda c: fire(c, pid, "exit", {"reason": "ended"}))
    assert won.to_step == "mapping"
    with pytest.raises(ConcurrentChange) as caught:
        lost.result()
    assert caught.value.participant_id == pid

    events = history(ctx, pid)
    assert [(e.seq, e.actor, e.to_step) for e in events] == [(1, "anna", "referral"), (2, "first", "mapping")]
    view = show(ctx, pid)
    assert (view.step, view.status, view.exit_reason) == ("mapping", "open", None)


@pytest.mark.parametrize("backend", ["sqlite"], indirect=True)
def test_sqlite_writers_queue_and_the_second_sees_the_first(ctx: ServiceContext, engine: Engine) -> None:
    """On SQLite a second writer waits for the first (BEGIN IMMEDIATE), then fires on the new state; no lost update."""
    pid, _ = enrol(ctx, "demo")
    first_fired = threading.Event()
    may_commit = threading.Event()
    first = _gated(engine, ctx, "first", before_commit=lambda: (first_fired.set(), may_commit.wait(10)))
    with ThreadPoolExecutor(max_workers=2) as pool:
        won = pool.submit(fire, first, pid, "assess")
        assert first_fired.wait(10)
        lost = pool.submit(fire, ctx, pid, "assess")
        with pytest.raises(TimeoutError):
            lost.result(timeout=0.3)  # blocked on the write lock the first writer holds
        may_commit.set()
        assert won.result(timeout=20).to_step == "mapping"
        with pytest.raises(TriggerNotAllowed, match="not allowed from step 'mapping'"):
            lost.result(timeout=20)
    assert [(e.seq, e.actor) for e in history(ctx, pid)] == [(1, "anna"), (2, "first")]


def test_sequential_writers_do_not_conflict(ctx: ServiceContext, engine: Engine, workflows: Path,
                                            clock: FixedClock) -> None:
    """Two contexts (two processes) firing one after the other both succeed, each on the latest state."""
    pid, _ = enrol(ctx, "demo")
    other = make_context(engine, workflows, clock, actor="bertil")
    fire(ctx, pid, "assess")
    clock.advance(minutes=10)
    fire(other, pid, "exit", {"reason": "work"})
    events = history(ctx, pid)
    assert [(e.seq, e.actor) for e in events] == [(1, "anna"), (2, "anna"), (3, "bertil")]
    assert events[2].recorded_at == START + timedelta(minutes=10)


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_concurrent_enrolments_with_one_ref_lose_with_a_clear_error(ctx: ServiceContext, engine: Engine) -> None:
    """Two caseworkers enrol the same ref at once: one wins, the other gets a typed refusal naming the ref; nothing of it is written."""
    enrol(ctx, "demo")  # the workflow version is registered already
    before = snapshot(engine)
    _, lost = _race(engine, ctx, "participants.get_by_ref",
                    lambda c: enrol(c, "demo", "K-1"), lambda c: enrol(c, "demo", "K-1"))
    with pytest.raises(RuleRefused, match="ref 'K-1' was taken in workflow 'demo' by another enrolment") as caught:
        lost.result()
    assert caught.value.exit_code == 1
    after = snapshot(engine)
    assert len(after["participants"]) == len(before["participants"]) + 1


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_concurrent_first_enrolments_on_a_new_version(ctx: ServiceContext, engine: Engine) -> None:
    """Two enrolments racing to register the same new workflow version both succeed, on one version 1."""
    (won, _), lost = _race(engine, ctx, "workflows.find_by_hash", lambda c: enrol(c, "demo"), lambda c: enrol(c, "demo"))
    other, note = lost.result()
    assert note is None
    assert show(ctx, won).workflow_version == show(ctx, other).workflow_version == 1
    with ctx.uow() as uow:
        assert [v.version for v in uow.workflows.all()] == [1]
