"""pathway.testing's in-memory unit of work runs the real services, and behaves as the SQL one does."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from pathway.clock import FixedClock
from pathway.domain import Event, EventType, Participant
from pathway.domain.replay import FIELDS, replay
from pathway.errors import ConcurrentChange, GuardFailed
from pathway.services import participants as service
from pathway.services.catalog import WorkflowCatalog
from pathway.services.context import ServiceContext
from pathway.testing import InMemoryStore
from tests.integration.conftest import START


def _memory_context(workflows: Path, clock: FixedClock) -> tuple[ServiceContext, InMemoryStore]:
    store = InMemoryStore()
    return ServiceContext(uow=store.uow, catalog=WorkflowCatalog(workflows, clock), clock=clock,
                          actor="anna"), store


def _script(ctx: ServiceContext, clock: FixedClock) -> int:
    pid, _note = service.enrol(ctx, "demo", ref="M-1", attributes={"gender": "female"})
    clock.advance(days=1)
    service.fire(ctx, pid, "assess")
    with pytest.raises(GuardFailed):
        service.fire(ctx, pid, "place", {"track": "work"})
    clock.advance(hours=2)
    service.set_attributes(ctx, pid, {"ready": True, "hours": 10})
    clock.advance(days=3)
    service.fire(ctx, pid, "place", {"track": "work"})
    return pid


def _facts(ctx: ServiceContext, pid: int) -> dict[str, Any]:
    shown = service.show(ctx, pid)
    return {
        "history": [(e.seq, e.type, e.trigger, e.from_step, e.to_step, e.data, e.effective_at)
                    for e in service.history(ctx, pid)],
        "step": shown.step, "status": shown.status, "attributes": shown.attributes,
        "deadlines": sorted((d.rule, d.status, d.due_date) for d in shown.deadlines),
        "triggers": [(t.trigger, t.blocked_by) for t in shown.triggers],
    }


def test_the_same_walk_gives_the_same_history_and_deadlines_as_the_database(
        ctx: ServiceContext, workflows: Path) -> None:
    """enrol, fire (one refusal), set and fire again give identical events, projection, deadlines and
    options on the in-memory store and on SQLite / PostgreSQL."""
    memory_clock = FixedClock(START)
    memory, _store = _memory_context(workflows, memory_clock)
    on_memory = _facts(memory, _script(memory, memory_clock))
    on_database = _facts(ctx, _script(ctx, ctx.clock))  # type: ignore[arg-type]
    assert on_memory == on_database


def test_projection_equals_replay_in_memory(workflows: Path) -> None:
    """The in-memory participant row equals the replay of its stored events."""
    clock = FixedClock(START)
    ctx, store = _memory_context(workflows, clock)
    pid = _script(ctx, clock)
    clock.advance(days=1)
    service.fire(ctx, pid, "exit", {"reason": "work"})
    row = store.participants[pid]
    assert replay(store.events[pid], {"exited"}) == {name: getattr(row, name) for name in FIELDS}
    assert row.exit_reason == "work" and row.version == 5  # one write per use case that changed it


def test_a_refusal_writes_nothing(workflows: Path) -> None:
    """A refused trigger leaves the store's participants, events and deadlines as they were."""
    clock = FixedClock(START)
    ctx, store = _memory_context(workflows, clock)
    pid, _note = service.enrol(ctx, "demo", attributes={"gender": "male"})
    service.fire(ctx, pid, "assess")
    before = (store.participants[pid].version, len(store.events[pid]),
              [(d.key, d.status, d.version) for d in store.deadlines[pid]])
    with pytest.raises(GuardFailed):
        service.fire(ctx, pid, "place", {"track": "study"})
    assert (store.participants[pid].version, len(store.events[pid]),
            [(d.key, d.status, d.version) for d in store.deadlines[pid]]) == before


def test_nothing_is_kept_unless_committed(workflows: Path) -> None:
    """Leaving a unit of work without commit() discards the participant and events it recorded."""
    store = InMemoryStore()
    with store.uow() as uow:
        p = Participant(workflow_id="demo", workflow_version=1, step="referral", enrolled_at=START)
        p.record(Event(seq=0, type=EventType.ENROLLED.value, effective_at=START, recorded_at=START, actor="a",
                       workflow_id="demo", workflow_version=1, to_step="referral", data={"attributes": {}}))
        uow.participants.add(p)
        uow.flush()
    assert store.participants == {} and store.events == {}


def test_a_concurrent_change_is_refused_at_commit(workflows: Path) -> None:
    """Two units of work change one participant: the second to commit gets ConcurrentChange, and
    only the first one's event is stored."""
    clock = FixedClock(START)
    ctx, store = _memory_context(workflows, clock)
    pid, _note = service.enrol(ctx, "demo", attributes={"gender": "other"})

    def note(uow: Any, what: str) -> None:
        p = uow.participants.get(pid)
        p.record(Event(seq=0, type=EventType.ATTRIBUTES_SET.value, effective_at=START, recorded_at=START,
                       actor="a", workflow_id="demo", workflow_version=1, data={"set": {"hours": what}}))

    with store.uow() as first, store.uow() as second:
        note(first, "1")
        note(second, "2")
        first.commit()
        with pytest.raises(ConcurrentChange):
            second.commit()
    assert [e.data for e in store.events[pid]][1:] == [{"set": {"hours": "1"}}]
