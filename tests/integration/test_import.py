"""Importing past participants (services.importer), on SQLite and PostgreSQL: all lines or none.

Fixture files are in ``tests/data/import/`` (the ``demo`` workflow of conftest); the shipped
workflows are exercised by turning their walk scripts into import lines.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from sqlalchemy import Engine, text
from sqlalchemy.exc import IntegrityError

from pathway import limits
from pathway.clock import FixedClock, parse_time
from pathway.domain.replay import replay
from pathway.errors import BadInput
from pathway.services import participants
from pathway.services.context import ServiceContext
from pathway.services.importer import import_file, parse_line
from pathway.store import SqlUnitOfWork
from tests.keys import TEST_KEYS

from .conftest import DEMO_WORKFLOW, START, counts, make_context, snapshot

DATA = Path(__file__).resolve().parents[1] / "data" / "import"
REPO = Path(__file__).resolve().parents[2]
WALKS = REPO / "tests" / "workflows" / "walks"

#: What each line of demo_bad.jsonl does wrong: (a piece of the message, exit code).
BAD_LINES = {
    2: ("trigger 'place' is not allowed from step 'referral'", 1),
    3: ("guard 'attributes_true': attribute 'ready' must be true", 1),
    4: ("exit: invalid data 'reason' 'moved': use one of the exit reasons: work, studies, ended", 2),
    5: ("malformed JSON", 2),
    6: ("missing key 'enrolled_at'; unknown key 'attrs'", 2),
    7: ("unknown workflow 'nope'", 2),
    8: ("invalid enrolled_at '2026-02-30'", 2),
    9: ("ref 'D-1' is also on line 1 of this file", 1),
    10: ("events[0] (trigger 'exit') already ended the participant; leave out 'exit'", 1),
    12: ("events[1] (trigger 'exit'): invalid at", 2),  # the line's own key, never the CLI's --at
    13: ("unknown attribute 'shoe_size'", 2),
}


def _write(tmp_path: Path, *lines: dict[str, Any] | str, name: str = "past.jsonl") -> Path:
    path = tmp_path / name
    path.write_text("".join((line if isinstance(line, str) else json.dumps(line)) + "\n" for line in lines),
                    encoding="utf-8")
    return path


def _projection_matches_replay(ctx: ServiceContext, pid: int, terminal: set[str]) -> None:
    with ctx.uow() as uow:
        participant = uow.participants.get(pid)
        events = uow.participants.history(pid)
        state = replay(events, terminal)
        assert participant is not None
        assert (state["step"], state["status"], state["exit_reason"], state["attributes"], state["last_seq"],
                state["enrolled_at"], state["exited_at"], state["last_step_change_at"]) == (
            participant.step, participant.status, participant.exit_reason, participant.attributes,
            participant.last_seq, participant.enrolled_at, participant.exited_at, participant.last_step_change_at)


def test_imports_participants_through_to_their_exit(ctx: ServiceContext) -> None:
    """Each line is enrolled and fired at its effective times, with the import as the reason."""
    result = import_file(ctx, DATA / "demo_ok.jsonl")
    assert (result.ok, result.committed, result.lines, result.participants, result.events) == (True, True, 3, 3, 11)

    one, two, three = (participants.show(ctx, ref) for ref in ("D-1", "D-2", "D-3"))
    assert (one.step, one.status, one.exit_reason) == ("exited", "exited", "work")
    assert (two.step, two.status, two.exit_reason) == ("exited", "exited", "studies")
    assert (three.step, three.status) == ("mapping", "open")
    assert one.enrolled_at == parse_time("2026-01-05") and one.exited_at == parse_time("2026-02-20")
    assert two.attributes == {"gender": "male", "ready": True, "hours": 20}  # gender from the personnummer

    events = participants.history(ctx, "D-2")
    assert [(e.type, e.trigger) for e in events] == [
        ("enrolled", None), ("transition", "assess"), ("attributes_set", None), ("transition", "place"),
        ("transition", "exit")]
    assert [e.effective_at for e in events] == [parse_time(t) for t in (
        "2026-01-08T09:30", "2026-01-09", "2026-01-10", "2026-01-15", "2026-02-27")]
    assert {e.reason for e in events} == {"imported from demo_ok.jsonl line 2"}
    assert {e.recorded_at for e in events} == {START}
    assert participants.history(ctx, "D-3")[0].reason == "imported from demo_ok.jsonl line 4"  # blank line 3


def test_the_personnummer_goes_to_the_identity_table_only(ctx: ServiceContext, engine: Engine) -> None:
    """The number is kept apart, as with 'participant enrol --personnummer', never in an event."""
    import_file(ctx, DATA / "demo_ok.jsonl")
    with engine.connect() as conn:
        stored = [TEST_KEYS.decrypt(t) for t in conn.execute(text(
            "SELECT personnummer_enc FROM identities WHERE personnummer_enc IS NOT NULL")).scalars()]
        payloads = " ".join(str(d) for d in conn.execute(text("SELECT data FROM events")).scalars())
    assert stored == ["191212121212"]
    assert "1212" not in payloads


def test_projection_equals_replay_of_the_imported_events(ctx: ServiceContext) -> None:
    """Every imported participant's row is what replaying its events gives (invariant 1)."""
    import_file(ctx, DATA / "demo_ok.jsonl")
    for ref in ("D-1", "D-2", "D-3"):
        _projection_matches_replay(ctx, participants.show(ctx, ref).id, {"exited"})


def test_a_bad_line_in_the_middle_imports_nothing(ctx: ServiceContext, engine: Engine, tmp_path: Path) -> None:
    """One failing line among good ones: it is reported, and the database is exactly as before."""
    participants.enrol(ctx, "demo", ref="EARLIER", attributes={"gender": "female"})
    before, rows = counts(engine), snapshot(engine)
    good = json.loads((DATA / "demo_ok.jsonl").read_text(encoding="utf-8").splitlines()[0])
    path = _write(tmp_path, good, {**good, "ref": "X-2", "events": [{"trigger": "fly", "at": "2026-01-07"}]},
                  {**good, "ref": "X-3"})
    result = import_file(ctx, path)
    assert [(e.line, e.exit_code) for e in result.errors] == [(2, 1)]
    assert "trigger 'fly' is not allowed from step 'referral'" in result.errors[0].message
    assert (result.lines, result.participants, result.committed, result.exit_code) == (3, 2, False, 1)
    assert counts(engine) == before and snapshot(engine) == rows



def test_a_lines_guards_read_the_attributes_its_earlier_events_set(ctx: ServiceContext, tmp_path: Path) -> None:
    """A line's use cases share its participant in memory (and its typed attributes while they stay
    as they are): a guard reads what the line's latest 'set' left, including one changed back, and a
    refused line in the middle changes nothing for the lines after it."""
    base = {"workflow": "demo", "enrolled_at": "2026-01-05", "attributes": {"gender": "female"}}
    place = {"trigger": "place", "data": {"track": "work"}, "at": "2026-01-09"}
    lines = [
        {**base, "ref": "G-1", "events": [{"trigger": "assess", "at": "2026-01-06"}, place]},
        {**base, "ref": "G-2", "events": [{"trigger": "assess", "at": "2026-01-06"},
                                          {"set": {"ready": True}, "at": "2026-01-07"}, place]},
        {**base, "ref": "G-3", "events": [{"set": {"ready": True}, "at": "2026-01-06"},
                                          {"trigger": "assess", "at": "2026-01-07"},
                                          {"set": {"ready": False}, "at": "2026-01-08"}, place]},
        {**base, "ref": "G-4", "attributes": {"gender": "female", "ready": True},
         "events": [{"trigger": "assess", "at": "2026-01-06"}, place]},
    ]
    result = import_file(ctx, _write(tmp_path, *lines))
    assert [e.line for e in result.errors] == [1, 3]
    assert all("guard 'attributes_true': attribute 'ready' must be true" in e.message for e in result.errors)
    without_the_refused = [line for n, line in enumerate(lines, start=1) if n not in (1, 3)]
    assert import_file(ctx, _write(tmp_path, *without_the_refused, name="good.jsonl")).committed
    assert {ref: participants.show(ctx, ref).step for ref in ("G-2", "G-4")} == {"G-2": "training",
                                                                               "G-4": "training"}

def test_every_bad_line_is_reported_with_its_number(ctx: ServiceContext, engine: Engine) -> None:
    """All lines are tried: each failing one is reported, the good ones around them are not, nothing is written."""
    rows = snapshot(engine)
    result = import_file(ctx, DATA / "demo_bad.jsonl")
    assert {e.line for e in result.errors} == set(BAD_LINES)
    for error in result.errors:
        piece, code = BAD_LINES[error.line]
        assert piece in error.message, error
        assert error.exit_code == code, error
    assert (result.lines, result.participants, result.exit_code, result.committed) == (13, 2, 2, False)
    assert snapshot(engine) == rows


def test_duplicate_refs_in_the_file_are_refused(ctx: ServiceContext, engine: Engine, workflows: Path,
                                                tmp_path: Path) -> None:
    """A ref twice in one workflow is refused on its second line; the same ref in another workflow is not a duplicate."""
    (workflows / "other.yaml").write_text(DEMO_WORKFLOW.replace("id: demo", "id: other"), encoding="utf-8")
    line = {"ref": "R-1", "workflow": "demo", "enrolled_at": "2026-01-05", "attributes": {"gender": "male"}}
    path = _write(tmp_path, line, {**line, "workflow": "other"}, {**line, "ref": " R-1 "})
    result = import_file(ctx, path)
    assert [(e.line, e.exit_code) for e in result.errors] == [(3, 1)]
    assert "ref ' R-1 ' is also on line 1 of this file" in result.errors[0].message
    assert counts(engine)["participants"] == 0
    assert import_file(ctx, _write(tmp_path, line, {**line, "workflow": "other"})).committed


def test_importing_the_same_file_twice_is_refused(ctx: ServiceContext, engine: Engine) -> None:
    """The second import refuses every line (the refs are taken) and writes nothing (exit 1: a rule)."""
    assert import_file(ctx, DATA / "demo_ok.jsonl").committed
    rows = snapshot(engine)
    again = import_file(ctx, DATA / "demo_ok.jsonl")
    assert [e.line for e in again.errors] == [1, 2, 4]
    assert all("already used in workflow 'demo'" in e.message and "imported already" in e.message
               for e in again.errors)
    assert again.exit_code == 1 and snapshot(engine) == rows


def test_the_same_person_twice_is_refused(ctx: ServiceContext, tmp_path: Path) -> None:
    """Two open enrolments of one personnummer in a workflow are refused within one file too."""
    line = {"ref": "P-1", "workflow": "demo", "enrolled_at": "2026-01-05", "personnummer": "19121212-1212"}
    result = import_file(ctx, _write(tmp_path, line, {**line, "ref": "P-2"}))
    assert [e.line for e in result.errors] == [2]
    assert "already" in result.errors[0].message


def test_dry_run_checks_everything_and_writes_nothing(ctx: ServiceContext, engine: Engine) -> None:
    """--dry-run gives the same counts and errors as the real import, and the database stays as it was."""
    rows = snapshot(engine)
    dry = import_file(ctx, DATA / "demo_ok.jsonl", dry_run=True)
    assert (dry.ok, dry.committed, dry.participants, dry.events) == (True, False, 3, 11)
    assert snapshot(engine) == rows
    dry_bad = import_file(ctx, DATA / "demo_bad.jsonl", dry_run=True)
    assert {e.line for e in dry_bad.errors} == set(BAD_LINES)
    assert snapshot(engine) == rows
    assert import_file(ctx, DATA / "demo_ok.jsonl").committed  # and then for real


def test_writes_after_an_import_commit_as_usual(ctx: ServiceContext, engine: Engine) -> None:
    """A refused import leaves the services' own one-transaction-per-command behaviour untouched."""
    import_file(ctx, DATA / "demo_bad.jsonl")
    pid, _ = participants.enrol(ctx, "demo", ref="AFTER", attributes={"gender": "male"})
    assert counts(engine)["participants"] == 1 and participants.show(ctx, pid).ref == "AFTER"


def test_a_file_that_cannot_be_read_or_is_empty_is_bad_input(ctx: ServiceContext, tmp_path: Path) -> None:
    """No such file, or only blank lines: one error, exit 2."""
    with pytest.raises(BadInput, match="cannot read"):
        import_file(ctx, tmp_path / "missing.jsonl")
    with pytest.raises(BadInput, match="no participants to import"):
        import_file(ctx, _write(tmp_path, "", "   "))


def test_line_errors_name_the_key_and_what_is_allowed() -> None:
    """The line model refuses unknown keys and mixed-up events with the accepted shapes."""
    base = '"ref": "A", "workflow": "demo", "enrolled_at": "2026-01-05"'
    cases = {
        '[1, 2]': "a line must be one JSON object",
        '{' + base + ', "events": [{"trigger": "a", "set": {}, "at": "2026-01-06"}]}': "events[0]: give exactly one of trigger, set, consent or meeting",
        '{' + base + ', "events": [{"trigger": "a"}]}': "missing key 'events[0].at'",
        '{' + base + ', "events": [{"trigger": "a", "at": "2026-01-06", "when": 1}]}': "unknown key 'events[0].when'; an event is",
        '{' + base + ', "events": [{"set": {}, "data": {}, "at": "2026-01-06"}]}': "'data' goes with a 'trigger'",
        '{' + base + ', "events": [{"consent": {"give": ["soc"], "confirm": true}, "at": "2026-01-06"}]}': "give exactly one of give, confirm or withdraw",
        '{' + base + ', "exit": {"at": "2026-01-06"}}': "missing key 'exit.reason'",
        '{"ref": 7, "workflow": "demo", "enrolled_at": "2026-01-05"}': "ref: Input should be a valid string",
    }
    for line, piece in cases.items():
        with pytest.raises(BadInput) as refused:
            parse_line(line)
        assert piece in refused.value.message, (line, refused.value.message)


def test_progress_is_told_the_bytes_read(ctx: ServiceContext) -> None:
    """The progress callback ends at the file's size (the CLI draws its bar from it)."""
    seen: list[int] = []
    import_file(ctx, DATA / "demo_ok.jsonl", dry_run=True, progress=seen.append)
    assert seen == sorted(seen) and seen[-1] == (DATA / "demo_ok.jsonl").stat().st_size


# -- the shared transaction itself --------------------------------------------------------------

def test_shared_transaction_commits_all_or_nothing(engine: Engine, workflows: Path, clock: FixedClock) -> None:
    """Units of work of a SharedTransaction only flush; a failed savepoint undoes its part; no commit, no rows."""
    ctx = make_context(engine, workflows, clock)
    with SqlUnitOfWork(engine, TEST_KEYS).one_transaction() as tx:
        inner = make_context(engine, workflows, clock)
        inner.uow = tx.uow
        with tx.savepoint():
            participants.enrol(inner, "demo", ref="T-1", attributes={"gender": "male"})
        with pytest.raises(BadInput), tx.savepoint():
            participants.enrol(inner, "demo", ref="T-2", attributes={"gender": "male"})
            participants.fire(inner, "T-2", "assess", at=clock.now().replace(year=2099))
        assert [p.ref for p in participants.list_participants(inner)] == ["T-1"]
    assert counts(engine)["participants"] == 0  # left without commit

    with SqlUnitOfWork(engine, TEST_KEYS).one_transaction() as tx:
        inner.uow = tx.uow
        participants.enrol(inner, "demo", ref="T-3", attributes={"gender": "male"})
        tx.commit()
    assert [p.ref for p in participants.list_participants(ctx)] == ["T-3"]



def test_a_database_error_rolls_back_to_its_savepoint_only(engine: Engine, workflows: Path, clock: FixedClock,
                                                           backend: str) -> None:
    """A statement the database refuses inside a savepoint (on PostgreSQL it aborts the whole
    transaction until rolled back) undoes that savepoint's part only: what came before it stays, the
    transaction goes on, and nested savepoints unwind in order."""
    with SqlUnitOfWork(engine, TEST_KEYS).one_transaction() as tx:
        inner = make_context(engine, workflows, clock)
        inner.uow = tx.uow
        with tx.savepoint():
            participants.enrol(inner, "demo", ref="S-1", attributes={"gender": "male"})
        with pytest.raises(IntegrityError), tx.savepoint():
            participants.enrol(inner, "demo", ref="S-2", attributes={"gender": "male"})
            with tx.savepoint():
                participants.enrol(inner, "demo", ref="S-3", attributes={"gender": "male"})
            tx.connection.execute(text("INSERT INTO participants (id) VALUES (NULL)"))  # NOT NULL columns
        with tx.savepoint():
            participants.enrol(inner, "demo", ref="S-4", attributes={"gender": "male"})
        tx.commit()
    assert sorted(p.ref or "" for p in participants.list_participants(make_context(engine, workflows, clock))) \
        == ["S-1", "S-4"], backend

# -- the shipped workflows, from their walk scripts ---------------------------------------------

def _walk_as_line(workflow: str, walk: dict[str, Any], number: int) -> dict[str, Any]:
    """A walk script as an import line: its triggers, sets, consent and meetings (plan and placement records
    are not part of the import format; refused steps are left out)."""
    at = walk.get("enrol_at", "2026-01-05")
    events: list[dict[str, Any]] = []
    for step in walk["steps"]:
        at = step.get("at", at)
        if "trigger" in step:
            events.append({"trigger": step["trigger"], "at": at, **({"data": step["data"]} if "data" in step else {})})
        elif "set" in step:
            events.append({"set": step["set"], "at": at})
        elif "consent" in step:
            events.append({"consent": step["consent"], "at": at})
        elif "meeting" in step:
            events.append({"meeting": step["meeting"], "at": at})
    line: dict[str, Any] = {"ref": f"{workflow}-{number}", "workflow": workflow,
                            "enrolled_at": walk.get("enrol_at", "2026-01-05"),
                            "attributes": walk.get("attributes", {}), "events": events}
    if events[-1].get("trigger") == "exit" and number % 2:  # every other walk ends through the 'exit' key
        last = events.pop()
        line["exit"] = {"at": last["at"], **last["data"]}
    return line


def test_the_shipped_walks_import_to_their_exits(engine: Engine, tmp_path: Path) -> None:
    """Every walk of every shipped workflow, as one file, imports to the walk's exit reason; replay agrees."""
    lines, expected = [], {}
    for script_path in sorted(WALKS.glob("*.yaml")):
        script = yaml.safe_load(script_path.read_text(encoding="utf-8"))
        for number, walk in enumerate(script["walks"], start=1):
            line = _walk_as_line(script["workflow"], walk, number)
            lines.append(line)
            expected[line["ref"]] = walk["expect_exit"]
    assert any("exit" in line for line in lines) and any(
        "consent" in e for line in lines for e in line["events"])
    ctx = make_context(engine, REPO / "workflows", FixedClock(datetime(2028, 1, 1, tzinfo=timezone.utc)))
    result = import_file(ctx, _write(tmp_path, *lines, name="walks.jsonl"))
    assert result.errors == [] and result.committed and result.participants == len(lines)
    for ref, reason in expected.items():
        shown = participants.show(ctx, ref)
        assert (shown.status, shown.exit_reason) == ("exited", reason), ref
        with ctx.uow() as uow:
            definition = ctx.catalog.pinned(uow, shown.workflow, shown.workflow_version).definition
        _projection_matches_replay(ctx, shown.id, {s.id for s in definition.steps if s.terminal})


def test_passed_deadlines_of_open_participants_are_recorded_not_notified(engine: Engine, tmp_path: Path) -> None:
    """An open Flen client from 2025 who never had the first meeting: the 14-day rule was missed then.

    The import records the miss and the escalations with their own (2025) times, queues no
    notification, and leaves nothing for the next deadline check to announce about the past.
    """
    from pathway.services.deadlines import board, check

    now = datetime(2026, 11, 23, 9, 0, tzinfo=timezone.utc)
    ctx = make_context(engine, REPO / "workflows", FixedClock(now))
    line = {"ref": "FL-2025-007", "workflow": "flen_tripartite", "enrolled_at": "2025-03-03",
            "attributes": {"gender": "female", "birth_date": "1979-02-11", "education": "compulsory",
                           "household": "single_with_children", "income_source": "social_assistance",
                           "referring_agency": "soc", "born_abroad": False, "application_date": "2025-03-03",
                           "target_group": ["long_term_unemployed"], "case_type": "new"}}
    result = import_file(ctx, _write(tmp_path, line))
    assert result.committed and result.deadline_events > 0
    history = participants.history(ctx, "FL-2025-007")
    passed = [e for e in history if e.type in ("reminder", "deadline_missed", "escalated")]
    assert len(passed) == result.deadline_events
    assert {e.type for e in passed} >= {"deadline_missed", "escalated"}
    assert all(e.effective_at < datetime(2025, 12, 31, tzinfo=timezone.utc) for e in passed)
    assert counts(engine)["notifications"] == 0
    assert check(ctx, now) == []                                   # nothing from the past is announced
    overdue = [row for row in board(ctx, True, None, None, "flen_tripartite") if row.ref == "FL-2025-007"]
    assert overdue and overdue[0].days_overdue > 500              # the coordinator's board still shows it


def test_the_texts_an_import_checked_are_kept_for_its_run_only(ctx: ServiceContext,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """While a file is imported, limits.check_text remembers what it accepted (every event of a line
    has the same reason); when the import ends, nothing of what the file held stays in memory."""
    memos: list[object] = []
    check_text = limits.check_text

    def watched(*args: Any, **kwargs: Any) -> str:
        memos.append(limits._accepted.get())
        return check_text(*args, **kwargs)

    monkeypatch.setattr(limits, "check_text", watched)
    assert import_file(ctx, DATA / "demo_ok.jsonl").committed
    assert memos and all(isinstance(memo, set) for memo in memos)
    assert all(not memo for memo in memos)  # the run's memo is emptied when it ends
    assert limits._accepted.get() is None
    memos.clear()
    participants.enrol(ctx, "demo", ref="AFTER", attributes={"gender": "female"})
    assert memos and all(memo is None for memo in memos)


def test_an_import_reads_each_workflow_file_once(ctx: ServiceContext, engine: Engine, workflows: Path) -> None:
    """The lines of one import are enrolled on the version the file held when the import first
    needed it: an edit made while it runs is not taken half-way (nor is the file looked up again
    for each line); the next import registers the edited file."""
    from pathway.services.importer import OneTransactionCatalog

    catalog = OneTransactionCatalog(ctx.catalog)
    with SqlUnitOfWork(engine) as uow:
        first = catalog.register_current(uow, "demo")
        path = workflows / "demo.yaml"
        path.write_text(path.read_text(encoding="utf-8").replace("version: 1", "version: 2  # edited"), encoding="utf-8")
        again = catalog.register_current(uow, "demo")
        uow.commit()
    assert (again.version, again.loaded) == (first.version, first.loaded)
    with SqlUnitOfWork(engine) as uow:
        edited = OneTransactionCatalog(ctx.catalog).register_current(uow, "demo")
        uow.commit()
    assert edited.version == 2 and edited.loaded.sha256 != first.loaded.sha256
