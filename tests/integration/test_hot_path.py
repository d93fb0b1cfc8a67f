"""The write path's cost does not grow with a participant's history (issue 10)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Engine, event

from pathway.clock import FixedClock
from pathway.services import meetings
from pathway.services import participants as service
from pathway.services.context import ServiceContext


@contextmanager
def _counting(engine: Engine) -> Iterator[list[str]]:
    statements: list[str] = []

    def count(_conn: object, _cursor: object, statement: str, *_args: object) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", count)


def _participant_with_history(ctx: ServiceContext, clock: FixedClock, events: int) -> int:
    pid, _note = service.enrol(ctx, "demo", attributes={"gender": "female"})
    for hours in range(1, events):  # the enrolment is the first event
        clock.advance(minutes=1)
        service.set_attributes(ctx, pid, {"hours": hours})
    return pid


def test_a_transitions_statement_count_does_not_grow_with_history(
        ctx: ServiceContext, engine: Engine, clock: FixedClock) -> None:
    """Firing a trigger runs the same number of SQL statements after 10 events as after 200 (no
    statement per past event or per past deadline), on SQLite and PostgreSQL."""
    short = _participant_with_history(ctx, clock, 10)
    long = _participant_with_history(ctx, clock, 200)
    clock.advance(minutes=1)
    assert len(service.history(ctx, long)) == 200
    with _counting(engine) as on_short:
        service.fire(ctx, short, "assess")
    with _counting(engine) as on_long:
        service.fire(ctx, long, "assess")
    assert len(on_long) == len(on_short), (on_short, on_long)


def test_recording_a_meeting_or_a_no_show_reads_no_event(ctx: ServiceContext, engine: Engine,
                                                          clock: FixedClock) -> None:
    """A meeting record and a no-show check what they need (consent in force, the step's parties)
    against the records folded on the participant's row, so neither reads the history: their
    cost does not grow with it (each read and folded the whole history before)."""
    pid = _participant_with_history(ctx, clock, 30)
    clock.advance(minutes=1)
    with _counting(engine) as sent:
        meetings.record_meeting(ctx, pid, "individual", ["coach:anna", "af:eva"])
        meetings.record_no_show(ctx, pid, "individual", "af")
    assert not [s for s in sent if "FROM events" in s], sent
    held = meetings.meetings_of(ctx, pid)[1]
    assert [(m.type, m.no_show) for m in held] == [("individual", False), ("individual", True)]


def test_meetings_decoded_after_their_unit_of_work_ended_are_refused_with_a_clear_error(
        ctx: ServiceContext, engine: Engine, clock: FixedClock) -> None:
    """A participant's meeting rows are read lazily, in the transaction that read the participant: a
    caller that decodes them after its unit of work ended is told so, not handed a closed-connection
    error; decoded inside it, they are there."""
    import pytest

    from pathway.store import SqlUnitOfWork

    pid = _participant_with_history(ctx, clock, 2)
    clock.advance(minutes=1)
    meetings.record_meeting(ctx, pid, "individual", ["coach:anna", "af:eva"])
    with SqlUnitOfWork(engine) as uow:
        inside = uow.participants.get(pid)
        assert inside is not None
        assert [m.type for m in inside.folded.records.meetings] == ["individual"]
    with SqlUnitOfWork(engine) as uow:
        after = uow.participants.get(pid)
    assert after is not None
    with pytest.raises(RuntimeError, match="inside the unit of work that read the participant"):
        after.folded.records.meetings  # noqa: B018  (reading is the point)
