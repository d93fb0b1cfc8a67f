"""The folded history kept on the participant row (issue 10) is what replaying the history gives —
after any walk of caseworker commands and corrections, on SQLite and PostgreSQL — and migration
0012 back-fills it for participants that existed before it."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, delete, event, inspect, select, text, update

from pathway.clock import FixedClock
from pathway.domain.folded import Folded
from pathway.domain.stored_records import PARTS, WRITERS
from pathway.engine.deadlines import plan_deadlines
from pathway.errors import PathwayError
from pathway.services import corrections, meetings, records
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, set_attributes
from pathway.store.migrate import SCRIPT_LOCATION, upgrade
from pathway.store import SqlUnitOfWork
from pathway.store.tables import participant_meetings, participant_records, participants

from .conftest import START, make_context


def _folded_is_replay(ctx: ServiceContext, pid: int) -> Folded:
    """The row's folded state (read back from the database) equals the fold of its whole history."""
    with ctx.uow() as uow:
        participant = uow.participants.get(pid)
        assert participant is not None
        history = uow.participants.history(pid)
        assert participant.folded.to_json() == Folded.rebuild(history).to_json()
        return participant.folded


def _step(ctx: ServiceContext, pid: int, action: str) -> None:
    """One caseworker command or correction; a refusal (wrong step, nothing to undo …) is fine."""
    commands: dict[str, Callable[[], object]] = {
        "ready": lambda: set_attributes(ctx, pid, {"ready": True}),
        "hours": lambda: set_attributes(ctx, pid, {"hours": 12}),
        "assess": lambda: fire(ctx, pid, "assess"),
        "place": lambda: fire(ctx, pid, "place", {"track": "work"}),
        "exit": lambda: fire(ctx, pid, "exit", {"reason": "work"}),
        "consent": lambda: records.give_consent(ctx, pid, ["af", "fk"]),
        "confirm": lambda: records.confirm_consent(ctx, pid),
        "withdraw": lambda: records.withdraw_consent(ctx, pid, ["fk"]),
        "goal": lambda: records.add_goal(ctx, pid, "Arbeta 10 timmar", by="2026-06-30"),
        "goal_done": lambda: records.update_plan_item(ctx, pid, "g1", status="done"),
        "placement": lambda: records.start_placement(ctx, pid, "internship", "Bageriet", "2026-03-10",
                                                     follow_up_every="2w"),
        "followup": lambda: records.followup_placement(ctx, pid, "p1", hours_per_week=8),
        "placement_end": lambda: records.end_placement(ctx, pid, "p1"),
        "undo": lambda: corrections.undo_last(ctx, pid, "fel knapp"),
        "reopen": lambda: corrections.reopen(ctx, pid, "avslutad av misstag"),
        "correct_exit": lambda: corrections.correct_exit(ctx, pid, {"reason": "studies"}, "fel orsak"),
        "void": lambda: corrections.void(ctx, pid, "felregistrering"),
        "meeting": lambda: meetings.record_meeting(ctx, pid, "individual", ["af:anna"], decisions=["Ny plan; \"|\""]),
        "no_show": lambda: meetings.record_no_show(ctx, pid, "individual", "af"),
    }
    try:
        commands[action]()
    except PathwayError:
        pass


ACTIONS = st.lists(st.sampled_from(["ready", "hours", "assess", "place", "exit", "consent", "confirm", "withdraw",
                                    "goal", "goal_done", "placement", "followup", "placement_end", "undo",
                                    "reopen", "correct_exit", "void", "meeting", "no_show"]), min_size=1, max_size=14)


@settings(max_examples=12, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(walk=ACTIONS)
def test_folded_state_on_the_row_is_the_replay_of_the_history(engine: Engine, workflows: Path,
                                                              walk: list[str]) -> None:
    """After every command of a random walk (corrections included), the folded state stored on the
    participant row equals the fold of its whole history."""
    clock = FixedClock(START)
    ctx = make_context(engine, workflows, clock)
    pid, _ = enrol(ctx, "demo", attributes={"gender": "female"})
    for action in walk:
        clock.advance(days=1)
        _step(ctx, pid, action)
        _folded_is_replay(ctx, pid)


def _config(engine: Engine) -> Config:
    config = Config()
    config.set_main_option("script_location", SCRIPT_LOCATION)
    config.attributes["engine"] = engine
    return config


def test_upgrade_to_0012_back_fills_the_folded_state_of_existing_participants(
        new_engine: Callable[[], Engine], workflows: Path) -> None:
    """A database with participants from before migration 0012 gets each one's folded history,
    exactly the fold of its events, and the services go on from there."""
    engine = new_engine()
    upgrade(engine)
    clock = FixedClock(START)
    ctx = make_context(engine, workflows, clock)
    walked, plain = enrol(ctx, "demo", attributes={"gender": "female"})[0], enrol(ctx, "demo")[0]
    for action in ["consent", "goal", "assess", "ready", "placement", "followup", "undo", "assess", "exit",
                   "correct_exit"]:
        clock.advance(days=2)
        _step(ctx, walked, action)
    expected = {pid: _folded_is_replay(ctx, pid).to_json() for pid in (walked, plain)}
    assert expected[walked]["records"]["consent"]["grants"] and expected[walked]["mark_log"].count(";") > 2

    command.downgrade(_config(engine), "0011")  # the database as it was before the column
    upgrade(engine)
    with engine.connect() as conn:
        stored = dict(conn.execute(select(participants.c.id, participants.c.folded)).all())
    assert {pid: Folded.from_text(state).to_json() for pid, state in stored.items()} == expected

    ctx = make_context(engine, workflows, clock)  # and the services carry on from the back-filled rows
    clock.advance(days=1)
    _step(ctx, walked, "reopen")
    _step(ctx, walked, "confirm")
    _folded_is_replay(ctx, walked)


def test_a_row_without_folded_state_is_folded_when_read(engine: Engine, workflows: Path) -> None:
    """A participant row whose folded state is missing (written by other means) is folded from its
    history when a use case reads it, and written back with its next event."""
    clock = FixedClock(START)
    ctx = make_context(engine, workflows, clock)
    pid, _ = enrol(ctx, "demo")
    records.give_consent(ctx, pid, ["af"])
    with engine.begin() as conn:
        conn.execute(update(participants).where(participants.c.id == pid).values(folded=None))
    clock.advance(days=1)
    fire(ctx, pid, "assess")
    _folded_is_replay(ctx, pid)


def _stored(engine: Engine) -> dict[int, str | None]:
    """Each participant's fold as its row holds it (the text, not parsed)."""
    with engine.connect() as conn:
        return {pid: None if value is None else str(value)
                for pid, value in conn.execute(text("SELECT id, CAST(folded AS TEXT) FROM participants"))}


def _meeting_rows(engine: Engine) -> dict[int, list[int]]:
    """Each participant's meeting rows: the seq of each."""
    found: dict[int, list[int]] = {}
    with engine.connect() as conn:
        for pid, seq in conn.execute(select(participant_meetings.c.participant_id, participant_meetings.c.seq)
                                     .order_by(participant_meetings.c.participant_id, participant_meetings.c.seq)):
            found.setdefault(pid, []).append(seq)
    return found


@contextmanager
def _statements(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements sent while the block runs."""
    sent: list[str] = []

    def note(*args: object) -> None:
        sent.append(str(args[2]))

    event.listen(engine, "before_cursor_execute", note)
    try:
        yield sent
    finally:
        event.remove(engine, "before_cursor_execute", note)


def _record_rows(engine: Engine) -> dict[int, str]:
    with engine.connect() as conn:
        return dict(conn.execute(select(participant_records.c.participant_id, participant_records.c.parts)).all())


def test_upgrade_to_0013_reads_each_fold_as_it_was_and_a_downgrade_leaves_none_unreadable(
        new_engine: Callable[[], Engine], workflows: Path) -> None:
    """0013 keeps a JSON document fold as text, read as before and split into a head line and the
    records' lines by the next command; a downgrade to 0012 drops the folds so split (no JSON
    document), and the repository folds those rows again from their history when they are read."""
    engine = new_engine()
    upgrade(engine)
    clock = FixedClock(START)
    ctx = make_context(engine, workflows, clock)
    walked = enrol(ctx, "demo", attributes={"gender": "female"})[0]
    for action in ["consent", "goal", "assess", "placement", "followup", "ready"]:
        clock.advance(days=2)
        _step(ctx, walked, action)
    expected = _folded_is_replay(ctx, walked).to_json()
    assert _stored(engine)[walked].startswith('{"v":2,')  # the head line, then a line per part of the
    assert len(_stored(engine)[walked].splitlines()) == 7  # records: few records stay on the row

    command.downgrade(_config(engine), "0012")
    assert _stored(engine) == {walked: None}  # and participant_records is gone
    command.downgrade(_config(engine), "0011")
    upgrade(engine)  # 0012 folds the history as a JSON document, 0013 keeps it as text
    assert _stored(engine)[walked].startswith('{"')
    assert not _stored(engine)[walked].startswith('{"v":2,')
    assert _record_rows(engine) == {}
    assert _folded_is_replay(ctx, walked).to_json() == expected

    clock.advance(days=1)
    _step(ctx, walked, "confirm")  # the next command writes it as a head and the records' lines
    assert _stored(engine)[walked].startswith('{"v":2,')
    assert len(_stored(engine)[walked].splitlines()) == 7
    _folded_is_replay(ctx, walked)


def test_records_that_outgrow_the_row_move_to_a_row_of_their_own_and_only_a_record_writes_it(
        engine: Engine, workflows: Path) -> None:
    """A participant with many records gets a participant_records row; the participant row keeps the
    head line. A transition that changes no record leaves that row alone (neither decoded nor
    written); a record rewrites it; what is read back is the fold of the whole history."""
    clock = FixedClock(START)
    ctx = make_context(engine, workflows, clock)
    pid = enrol(ctx, "demo", attributes={"gender": "female"})[0]
    records.give_consent(ctx, pid, ["af"])
    while pid not in _record_rows(engine):
        clock.advance(hours=1)
        records.add_goal(ctx, pid, "Ett mål i fritext; \"|\" som växer", with_whom="af:anna")
    assert len(_stored(engine)[pid].splitlines()) == 1 and len(_record_rows(engine)[pid].splitlines()) == 6
    _folded_is_replay(ctx, pid)

    with _statements(engine) as written:
        clock.advance(hours=1)
        fire(ctx, pid, "assess")  # a step change: no record changes
        assert not [s for s in written if "participant_records" in s and not s.lstrip().startswith("SELECT")]
        before = _record_rows(engine)[pid]
        clock.advance(hours=1)
        records.add_goal(ctx, pid, "Ett mål till")
        assert [s for s in written if s.startswith("INSERT INTO participant_records")]
    assert _record_rows(engine)[pid].startswith(before.partition("\n")[0])  # consent unchanged
    assert [i.what for i in _folded_is_replay(ctx, pid).records.plan.values()][-1] == "Ett mål till"


def test_each_meeting_is_a_row_of_its_own_and_recording_one_inserts_only_its_row(
        engine: Engine, workflows: Path) -> None:
    """Meetings are rows of participant_meetings, one each, read with the participant: recording one
    inserts its row and rewrites neither the meetings before it nor the other records, however many
    there are; a transition writes none of them, nor does a correction that folds them all again (a
    decoded meeting encodes to the line it was read from); what is read back is the fold of the
    whole history."""
    clock = FixedClock(START)
    ctx = make_context(engine, workflows, clock)
    pid = enrol(ctx, "demo", attributes={"gender": "female"})[0]
    records.give_consent(ctx, pid, ["af"])
    for _ in range(30):  # more than the records' lines could keep on the participant row
        clock.advance(hours=1)
        meetings.record_meeting(ctx, pid, "individual", ["af:anna"], decisions=["Ett beslut i fritext; \"|\"\n"])
    assert len(_meeting_rows(engine)[pid]) == 30
    assert pid not in _record_rows(engine)  # the other records still fit on the row
    _folded_is_replay(ctx, pid)

    with _statements(engine) as written:
        clock.advance(hours=1)
        fire(ctx, pid, "assess")
        assert not [s for s in written if "participant_meetings" in s]  # not even read: no anchor names one
        del written[:]
        clock.advance(hours=1)
        meetings.record_meeting(ctx, pid, "follow_up", ["af:anna"])
        changed = [s for s in written if "participant_meetings" in s]
        assert len(changed) == 1 and changed[0].startswith("INSERT INTO participant_meetings"), changed
        assert not [s for s in written if "participant_records" in s and not s.lstrip().startswith("SELECT")]
        del written[:]
        clock.advance(hours=1)
        corrections.undo_last(ctx, pid, "fel knapp")  # folds the history again: every meeting decoded
        assert not [s for s in written if "participant_meetings" in s and not s.lstrip().startswith("SELECT")]
    assert len(_meeting_rows(engine)[pid]) == 31
    assert [m.type for m in _folded_is_replay(ctx, pid).records.meetings][-1] == "follow_up"


def test_meetings_folded_into_the_records_line_are_read_with_the_rows_and_moved_when_decoded(
        engine: Engine, workflows: Path) -> None:
    """A fold written before 0014 holds its meetings in the records' meetings line: they are read
    with the rows of meetings recorded since (in the order recorded), a meeting record and a command
    that reads them leave them there, and a command that folds the history anew (a correction)
    writes them all as rows and the line empty."""
    clock = FixedClock(START)
    ctx = make_context(engine, workflows, clock)
    pid = enrol(ctx, "demo", attributes={"gender": "female"})[0]
    for kind in ("individual", "tripartite"):
        clock.advance(hours=1)
        meetings.record_meeting(ctx, pid, kind, ["af:anna"], decisions=["Beslut"])
    folded = _folded_is_replay(ctx, pid)
    with engine.begin() as conn:  # as 0013 stored it: the meetings in the records' line, no rows
        head, parts = folded.to_stored()
        lines = parts.split("\n")
        lines[PARTS.index("meetings")] = json.dumps(WRITERS["meetings"](folded.records.meetings), separators=(",", ":"))
        conn.execute(update(participants).where(participants.c.id == pid).values(folded=head + "\n" + "\n".join(lines)))
        conn.execute(delete(participant_meetings))
    _folded_is_replay(ctx, pid)

    clock.advance(hours=1)
    meetings.record_meeting(ctx, pid, "follow_up", ["af:anna"])
    assert len(_meeting_rows(engine)[pid]) == 1  # the new one; the two before stay in the line
    assert [m.type for m in _folded_is_replay(ctx, pid).records.meetings] == ["individual", "tripartite", "follow_up"]

    with SqlUnitOfWork(engine) as uow, _statements(engine) as written:  # a command that reads the meetings
        participant = uow.participants.get(pid)                          # (a guard, the planner)
        assert participant is not None
        assert len(participant.folded.records.meetings) == 3
        participant.folded_changed = True
        uow.commit()
        assert not [s for s in written if "participant_meetings" in s and not s.lstrip().startswith("SELECT")]
    assert len(_meeting_rows(engine)[pid]) == 1  # nothing read was changed: nothing written

    clock.advance(hours=1)
    fire(ctx, pid, "assess")
    clock.advance(hours=1)
    corrections.undo_last(ctx, pid, "fel knapp")  # folds the history anew: every meeting a row
    assert len(_meeting_rows(engine)[pid]) == 3
    assert _stored(engine)[pid].splitlines()[1 + PARTS.index("meetings")] == "[]"
    assert [m.type for m in _folded_is_replay(ctx, pid).records.meetings] == ["individual", "tripartite", "follow_up"]


def test_a_downgrade_from_0014_leaves_folds_with_meeting_rows_to_be_folded_again(
        new_engine: Callable[[], Engine], workflows: Path) -> None:
    """Downgrading 0014 drops the meeting rows and the folds that needed them (NULL); upgrading
    again, the repository folds such a row from its history when it reads it."""
    engine = new_engine()
    upgrade(engine)
    clock = FixedClock(START)
    ctx = make_context(engine, workflows, clock)
    met = enrol(ctx, "demo", attributes={"gender": "female"})[0]
    other = enrol(ctx, "demo", attributes={"gender": "male"})[0]
    clock.advance(hours=1)
    meetings.record_meeting(ctx, met, "individual", ["af:anna"])
    expected = _folded_is_replay(ctx, met).to_json()
    command.downgrade(_config(engine), "0013")
    stored = _stored(engine)
    assert stored[met] is None and stored[other] is not None
    upgrade(engine)
    assert _folded_is_replay(ctx, met).to_json() == expected
    clock.advance(hours=1)
    fire(ctx, met, "assess")  # the next command writes the fold again, its meeting as a row
    assert len(_meeting_rows(engine)[met]) == 1
    _folded_is_replay(ctx, met)




def test_migration_0015_fills_each_meeting_rows_type_and_time_held_from_its_line(
        new_engine: Callable[[], Engine], workflows: Path) -> None:
    """Meeting rows written before 0015 get the type and the time held (none for a no-show) that the
    repository writes itself, read from their lines; the planner reads them as it reads new rows."""
    engine = new_engine()
    upgrade(engine)
    clock = FixedClock(START)
    ctx = make_context(engine, workflows, clock)
    pid = enrol(ctx, "demo", attributes={"gender": "female"})[0]
    clock.advance(hours=1)
    meetings.record_meeting(ctx, pid, "individual", ["af:anna"])
    clock.advance(hours=1)
    meetings.record_no_show(ctx, pid, "tripartite", "af")
    clock.advance(hours=1)
    meetings.record_meeting(ctx, pid, "follow_up", ["af:anna"])

    def columns() -> list[tuple[int, str, str | None]]:
        with engine.connect() as conn:
            return [tuple(row) for row in conn.execute(  # type: ignore[misc]
                select(participant_meetings.c.seq, participant_meetings.c.kind, participant_meetings.c.held_at)
                .order_by(participant_meetings.c.seq))]

    written = columns()
    assert [(kind, held is None) for _, kind, held in written] == [
        ("individual", False), ("tripartite", True), ("follow_up", False)]
    command.downgrade(_config(engine), "0014")
    with engine.connect() as conn:
        assert "kind" not in {c["name"] for c in inspect(conn).get_columns("participant_meetings")}
    upgrade(engine)
    assert columns() == written
    assert _folded_is_replay(ctx, pid).records.meetings[1].no_show


#: a referral step and an exit, with Flen's follow-up rule: a deadline every six weeks that a
#: meeting of a type meets, so the planner reads the meetings' times on every meeting record
ANCHORED = """\
id: anchored
version: 1
title: Anchored
roles:
  - {id: coach, title: Coach}
exit_reasons:
  - {code: work, label: Arbete, category: work}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: coach, initial: true}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
deadlines:
  - {id: follow_up, title: Uppföljning, start: {entered: referral}, target: {meeting: individual},
     within: 6w, every: 6w}
"""


def test_a_repeating_rule_reads_the_meetings_times_and_never_their_lines(engine: Engine, tmp_path: Path) -> None:
    """Where a deadline waits for meetings, a meeting record reads the times meetings were held (the
    type and time columns, in their index) and no meeting's line; the rule's occurrences are planned
    as a replay plans them, meetings recorded later on the same day included."""
    folder = tmp_path / "anchored"
    folder.mkdir()
    (folder / "anchored.yaml").write_text(ANCHORED, encoding="utf-8")
    clock = FixedClock(START)
    ctx = make_context(engine, folder, clock)
    pid = enrol(ctx, "anchored")[0]
    for _ in range(12):
        clock.advance(hours=3)  # several a day: each settles the ones before it
        with _statements(engine) as written:
            meetings.record_meeting(ctx, pid, "individual", ["af:anna"])
        reads = [s for s in written if "participant_meetings" in s and s.lstrip().startswith("SELECT")]
        assert len(reads) == 1 and "held_at" in reads[0] and ".line" not in reads[0], reads
    with ctx.uow() as uow:
        participant = uow.participants.get(pid)
        assert participant is not None
        rows = {d.key: (d.status, d.met_at) for d in uow.deadlines.for_participant(pid)}
        replayed = {p.key: (p.status, p.met_at) for p in plan_deadlines(
            ctx.catalog.pinned(uow, "anchored", 1).definition, uow.participants.history(pid),
            participant.attributes, participant.enrolled_at)}
    assert rows == replayed and len(rows) == 13  # twelve met, the thirteenth open
