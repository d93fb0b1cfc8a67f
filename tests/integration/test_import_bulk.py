"""An import line written in bulk leaves exactly what the per-event path left, on SQLite and PostgreSQL.

Since issue 10 a line's use cases run on its participant held in memory and the line is written
once at its end (pathway.store.bulk). Before, every use case flushed on its own in the import's
shared transaction. Both are run here on two fresh databases with the same clock and files, and
every row of every table is compared — participants (version counters and folded state included),
events, deadlines (closed rows, progress, versions), struck events, assignments, identities (the
number decrypted: its token is salted) — for every shipped workflow's walks and for generated lines
whose deadlines start, pause, resume, are met, cancelled, or missed within the line and caught up.
"""

from __future__ import annotations

import itertools
import json
import shutil
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine, create_engine, event, inspect, text

from pathway.clock import FixedClock
from pathway.errors import PathwayError
from pathway.services import deadlines
from pathway.services.context import ServiceContext
from pathway.services.importer import IMPORT_GRANTS, import_file, line_key, parse_line, replay_line
from pathway.store import make_engine
from tests.keys import TEST_KEYS

from .conftest import make_context
from .test_import import WALKS, _walk_as_line

REPO = Path(__file__).resolve().parents[2]

#: Deadlines of every kind: a step limit with reminder and escalation (working days), a shorter
#: one, a rule from a date attribute met by a trigger, a rule that applies only while an attribute
#: holds, a repeating rule; pauses stop them all.
CLOCKS = """\
id: clocks
version: 1
title: Clocks
roles:
  - {id: coach, title: Coach}
  - {id: lead, title: Lead}
attributes:
  gender: {type: choice, choices: [female, male, other]}
  application_date: {type: date}
  urgent: {type: boolean}
exit_reasons:
  - {code: work, label: Arbete, category: work}
  - {code: ended, label: Avbrott, category: other}
steps:
  - id: intake
    title: Intag
    kind: referral
    owner: coach
    initial: true
    limit:
      within: 5wd
      remind_before: 2wd
      escalation: [{after: 0d, to: owner}, {after: 1w, to: lead}]
  - id: work
    title: Arbete
    kind: guidance
    owner: coach
    limit: {within: 2w, remind_before: 3d, escalation: [{after: 0d, to: owner}]}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: start, from: intake, to: work}
  - {trigger: back, from: work, to: intake}
  - {trigger: note, from: [intake, work]}
  - {trigger: contact, from: [intake, work]}
  - {trigger: leave_starts, from: [intake, work]}
  - {trigger: leave_ends, from: [intake, work]}
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
pauses:
  pause: [leave_starts]
  resume: [leave_ends]
deadlines:
  - id: first_contact
    title: First contact within 14 days of the application
    start: {attribute: application_date}
    target: {trigger: contact}
    within: 14d
    remind_before: 3wd
    escalation: [{after: 0d, to: owner}, {after: 5wd, to: lead}]
  - id: urgent_start
    title: Urgent cases start work within 3 working days
    start: {enrolled: true}
    target: {entered: work}
    within: 3wd
    applies_if: [{name: attributes_true, args: {attributes: [urgent]}}]
  - id: contacts
    title: A contact every second week at work
    start: {entered: work}
    target: {trigger: contact}
    within: 2w
    every: 2w
"""

#: Late enough that every generated line's deadlines have passed: an open participant's are caught up.
NOW = datetime(2026, 6, 1, 9, 0, tzinfo=timezone.utc)

Pair = Callable[[], AbstractContextManager[tuple[Engine, Engine]]]


@pytest.fixture
def fresh_pair(backend: str, request: pytest.FixtureRequest, tmp_path: Path) -> Pair:
    """Two fresh migrated databases, made anew each time it is entered (hypothesis runs many
    examples in one test): copies of the migrated SQLite file, or two PostgreSQL schemas of the pool."""
    made = itertools.count()

    @contextmanager
    def sqlite_pair() -> Iterator[tuple[Engine, Engine]]:
        template = request.getfixturevalue("sqlite_template")
        engines = []
        for _ in range(2):
            path = tmp_path / f"pair{next(made)}.db"
            shutil.copyfile(template, path)
            engines.append(make_engine(f"sqlite:///{path}"))
        try:
            yield engines[0], engines[1]
        finally:
            for engine in engines:
                engine.dispose()

    @contextmanager
    def postgres_pair() -> Iterator[tuple[Engine, Engine]]:
        url, pool = request.getfixturevalue("postgres_url"), request.getfixturevalue("postgres_pool")
        schemas = [pool.take(), pool.take()]
        engines = [create_engine(url, connect_args={"options": f"-csearch_path={s}"}) for s in schemas]
        try:
            yield engines[0], engines[1]
        finally:
            for engine, schema in zip(engines, schemas, strict=True):
                engine.dispose()
                pool.give_back(schema)

    return sqlite_pair if backend == "sqlite" else postgres_pair


def per_event_import(ctx: ServiceContext, path: Path) -> list[tuple[int, str, int]]:
    """The import as it ran before the bulk writes: each use case of a line flushed on its own in
    the import's shared transaction, a savepoint per line, committed only if every line passed."""
    errors = []
    with ctx.uow().one_transaction() as tx:
        shared = replace(ctx, uow=tx.uow, granted=IMPORT_GRANTS)
        for number, text in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
            try:
                line = parse_line(text)
                with tx.savepoint():
                    pid, _ = replay_line(shared, line, f"imported from {path.name} line {number}")
                    deadlines.catch_up(shared, pid, ctx.clock.now())
            except PathwayError as err:
                errors.append((number, err.worded(line_key), err.exit_code))
        if not errors:
            tx.commit()
    return errors


def rows(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table (by column name, in primary-key order); an identity's number
    decrypted (its token differs at every encryption)."""
    every = {}
    with engine.connect() as conn:
        for table in sorted(set(inspect(engine).get_table_names()) - {"alembic_version"}):
            every[table] = [dict(row) for row in conn.execute(text(f"SELECT * FROM {table} ORDER BY 1, 2"))
                            .mappings()]
    for identity in every["identities"]:
        token = identity.pop("personnummer_enc")
        identity["personnummer"] = None if token is None else TEST_KEYS.decrypt(token)
    return every


def both_paths(pair: Pair, folder: Path, now: datetime, lines: list[dict[str, Any]],
               tmp_path: Path, refused: set[int] | None = None) -> dict[str, list[dict[str, Any]]]:
    """Import ``lines`` per event into one database and in bulk into the other; assert the same
    outcome (the same errors, every row the same), and return the rows. Every line must import,
    unless the line numbers ``refused`` are given: then exactly those are refused."""
    path = tmp_path / "lines.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    with pair() as (old, new):
        errors = per_event_import(make_context(old, folder, FixedClock(now)), path)
        result = import_file(make_context(new, folder, FixedClock(now)), path)
        assert [(e.line, e.message, e.exit_code) for e in result.errors] == errors
        assert {number for number, _, _ in errors} == (refused or set()), errors
        before, after = rows(old), rows(new)
    assert before.keys() == after.keys()
    for table in before:
        assert after[table] == before[table], table
    return after


def test_the_shipped_walks_leave_the_same_rows(fresh_pair: Pair, tmp_path: Path) -> None:
    """Every walk of every shipped workflow (consent, meetings, attributes, exits, passed deadlines)."""
    lines = []
    for script_path in sorted(WALKS.glob("*.yaml")):
        script = yaml.safe_load(script_path.read_text(encoding="utf-8"))
        lines += [_walk_as_line(script["workflow"], walk, n) for n, walk in enumerate(script["walks"], start=1)]
    kraft = next(line for line in lines if line["workflow"] == "kraft")
    taken = {k: v for k, v in kraft["attributes"].items() if k not in ("gender", "birth_date")}  # from the number
    lines.append({**kraft, "ref": "kraft-with-number", "personnummer": "19121212-1212", "attributes": taken})
    found = both_paths(fresh_pair, REPO / "workflows", datetime(2028, 1, 1, tzinfo=timezone.utc), lines, tmp_path)
    assert len(found["participants"]) == len(lines) and found["identities"]
    assert {row["status"] for row in found["deadlines"]} >= {"met", "cancelled"}  # rows closed within lines


def test_a_line_of_many_meetings_leaves_the_same_rows(fresh_pair: Pair, tmp_path: Path) -> None:
    """Thirty meetings on one line: a participant_meetings row each, on both paths alike."""
    script = yaml.safe_load((WALKS / "kraft.yaml").read_text(encoding="utf-8"))
    kraft = _walk_as_line(script["workflow"], script["walks"][0], 1)
    day = date.fromisoformat(kraft["enrolled_at"][:10])
    meetings = [{"meeting": {"type": "individual", "attendees": ["af:per", "soc:kim"],
                             "decisions": [f"Beslut {n}: nästa steg"]},
                 "at": datetime.combine(day, time(9, n)).isoformat(timespec="minutes")} for n in range(30)]
    line = {"ref": "many-meetings", "workflow": kraft["workflow"], "enrolled_at": kraft["enrolled_at"],
            "attributes": kraft["attributes"], "events": meetings}
    found = both_paths(fresh_pair, REPO / "workflows", datetime(2028, 1, 1, tzinfo=timezone.utc), [line], tmp_path)
    assert len(found["participant_meetings"]) == 30 and "Beslut 29" in found["participant_meetings"][-1]["line"]
    assert not found["participant_records"]  # the other records stay on the row


def test_a_line_whose_records_outgrow_the_row_leaves_the_same_rows(fresh_pair: Pair, tmp_path: Path) -> None:
    """Sixty consents on one line: its records move to a participant_records row, on both paths alike."""
    script = yaml.safe_load((WALKS / "kraft.yaml").read_text(encoding="utf-8"))
    kraft = _walk_as_line(script["workflow"], script["walks"][0], 1)
    day = date.fromisoformat(kraft["enrolled_at"][:10])
    consents = [{"consent": {"give": ["soc", "af"], "scope": f"Samtycke {n} till samverkan"},
                 "at": datetime.combine(day, time(9, n)).isoformat(timespec="minutes")} for n in range(60)]
    line = {"ref": "many-consents", "workflow": kraft["workflow"], "enrolled_at": kraft["enrolled_at"],
            "attributes": kraft["attributes"], "events": consents}
    found = both_paths(fresh_pair, REPO / "workflows", datetime(2028, 1, 1, tzinfo=timezone.utc), [line], tmp_path)
    assert len(found["participant_records"]) == 1 and "Samtycke 59" in found["participant_records"][0]["parts"]
    assert "\n" not in found["participants"][0]["folded"]  # the row keeps the head line


# -- generated lines on the clocks workflow ------------------------------------------------------

ACTIONS = st.sampled_from(["start", "back", "note", "contact", "leave", "application", "urgent", "exit"])


@st.composite
def clock_lines(draw: st.DrawFn, ref: str) -> dict[str, Any]:
    """One participant's line, valid by construction: triggers from the steps that allow them,
    leave starting and ending in turn, the application date recorded before any trigger (it
    starts a rule), times moving forward by 0–20 days and 0–3 hours."""
    day = date(2025, 1, 6) + timedelta(days=draw(st.integers(0, 60)))
    line: dict[str, Any] = {"ref": ref, "workflow": "clocks", "enrolled_at": day.isoformat(),
                            "attributes": {"gender": "female"}}
    if draw(st.booleans()):
        line["attributes"]["application_date"] = (day - timedelta(days=draw(st.integers(0, 10)))).isoformat()
    if draw(st.booleans()):
        line["attributes"]["urgent"] = True
    step, paused, events = "intake", False, []
    moment = datetime.combine(day, time(8))
    dated = "application_date" in line["attributes"]
    for action in draw(st.lists(ACTIONS, max_size=12)):
        moment += timedelta(days=draw(st.integers(0, 20)), hours=draw(st.integers(0, 3)))
        at, day = moment.isoformat(timespec="minutes"), moment.date()
        if not dated and action not in ("exit", "urgent"):  # the rule's start is required before its target
            action, dated = "application", True
        if action == "exit":
            reason = draw(st.sampled_from(["work", "ended"]))
            if draw(st.booleans()):
                line["exit"] = {"at": at, "reason": reason}
            else:
                events.append({"trigger": "exit", "at": at, "data": {"reason": reason}})
            break
        if action == "application":
            events.append({"set": {"application_date": day.isoformat()}, "at": at})
        elif action == "urgent":
            events.append({"set": {"urgent": draw(st.booleans())}, "at": at})
        elif action == "leave":
            events.append({"trigger": "leave_ends" if paused else "leave_starts", "at": at})
            paused = not paused
        elif action in ("start", "back"):
            if (action == "start") == (step == "intake"):
                step = "work" if action == "start" else "intake"
                events.append({"trigger": action, "at": at})
        else:
            events.append({"trigger": action, "at": at})
    line["events"] = events
    return line


@settings(max_examples=15, deadline=None, phases=[Phase.explicit, Phase.reuse, Phase.generate],  # no shrinking:
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.integers(), min_size=1, max_size=4).flatmap(
    lambda refs: st.tuples(*(clock_lines(f"C-{n}") for n in range(len(refs))))))
def test_generated_deadline_lines_leave_the_same_rows(fresh_pair: Pair, tmp_path: Path,
                                                      lines: tuple[dict[str, Any], ...]) -> None:
    """Deadlines started, paused, resumed, met, cancelled and missed within a line: the same rows."""
    folder = tmp_path / "workflows"
    folder.mkdir(exist_ok=True)
    (folder / "clocks.yaml").write_text(CLOCKS, encoding="utf-8")
    both_paths(fresh_pair, folder, NOW, list(lines), tmp_path)


def test_the_clocks_cover_what_the_generated_lines_are_for(fresh_pair: Pair, tmp_path: Path) -> None:
    """One fixed line through the clocks workflow: a rule cancelled while paused (it stopped
    applying), rows met by a trigger and by leaving a step, a step entered twice, the open ones
    missed and caught up — what the generated lines are made to exercise."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "clocks.yaml").write_text(CLOCKS, encoding="utf-8")
    line = {"ref": "C-fixed", "workflow": "clocks", "enrolled_at": "2025-01-06",
            "attributes": {"gender": "male", "application_date": "2025-01-02", "urgent": True},
            "events": [{"trigger": "leave_starts", "at": "2025-01-07"}, {"set": {"urgent": False}, "at": "2025-01-08"},
                       {"trigger": "leave_ends", "at": "2025-01-20"}, {"trigger": "start", "at": "2025-01-21"},
                       {"trigger": "contact", "at": "2025-01-22"}, {"trigger": "back", "at": "2025-02-20"},
                       {"trigger": "start", "at": "2025-03-03"}]}
    found = both_paths(fresh_pair, folder, NOW, [line], tmp_path)
    statuses = {row["status"] for row in found["deadlines"]}
    assert {"met", "cancelled", "open"} <= statuses, statuses
    assert {row["type"] for row in found["events"]} >= {"deadline_missed", "escalated"}  # caught up
    assert max(row["version"] for row in found["deadlines"]) > 1  # a row changed by later events of its line
    assert found["participants"][0]["version"] > 2


def test_refused_lines_are_reported_alike(fresh_pair: Pair, tmp_path: Path) -> None:
    """Lines refused half-way (a number the attributes contradict, a pause twice, a trigger the
    step does not allow, time going backwards) are reported as before, and nothing is written."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "clocks.yaml").write_text(CLOCKS, encoding="utf-8")
    shutil.copyfile(REPO / "workflows" / "kraft.yaml", folder / "kraft.yaml")
    kraft = next(_walk_as_line("kraft", walk, 1)
                 for walk in yaml.safe_load((WALKS / "kraft.yaml").read_text(encoding="utf-8"))["walks"])
    numbered = {k: v for k, v in kraft["attributes"].items() if k not in ("gender", "birth_date")}
    good = {"ref": "C-ok", "workflow": "clocks", "enrolled_at": "2025-01-06",
            "attributes": {"gender": "male", "application_date": "2025-01-02"},
            "events": [{"trigger": "note", "at": "2025-01-07"}]}
    lines = [
        good,
        {**kraft, "ref": "K-number", "personnummer": "19121212-1212", "attributes": numbered,
         "events": [{"set": {"birth_date": "1985-04-02"}, "at": "2025-01-07"}]},
        {**good, "ref": "C-twice", "events": [{"trigger": "leave_starts", "at": "2025-01-07"},
                                              {"trigger": "leave_starts", "at": "2025-01-08"}]},
        {**good, "ref": "C-back", "events": [{"trigger": "back", "at": "2025-01-07"}]},
        {**good, "ref": "C-late", "events": [{"trigger": "start", "at": "2025-01-09"},
                                             {"trigger": "back", "at": "2025-01-08"}]},
        {**good, "ref": "C-ok-2"},
    ]
    found = both_paths(fresh_pair, folder, NOW, lines, tmp_path, refused={2, 3, 4, 5})
    assert found["participants"] == [] and found["events"] == []


def test_a_line_costs_the_same_statements_however_many_events(engine: Engine, tmp_path: Path) -> None:
    """Bulk writes: a line's statements do not grow with its events (triggers, attributes, pauses)."""
    folder = tmp_path / "workflows"
    folder.mkdir()
    (folder / "clocks.yaml").write_text(CLOCKS, encoding="utf-8")
    ctx = make_context(engine, folder, FixedClock(NOW))
    cycle = [{"trigger": "note"}, {"set": {"urgent": True}}, {"trigger": "leave_starts"}, {"set": {"urgent": False}},
             {"trigger": "leave_ends"}, {"trigger": "contact"}]
    statements: list[str] = []

    def counted(events: int, batch: str) -> int:
        lines = [{"ref": f"{batch}-{n}", "workflow": "clocks", "enrolled_at": "2025-01-06",
                  "attributes": {"gender": "male", "application_date": "2025-01-02"},
                  "events": [{**cycle[k % len(cycle)], "at": f"2025-02-{k + 1:02d}"} for k in range(events)]}
                 for n in range(3)]
        path = tmp_path / f"{batch}.jsonl"
        path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
        statements.clear()
        assert import_file(ctx, path).committed
        return len(statements)

    def count(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    counted(1, "warm")  # registers the workflow version
    event.listen(engine, "before_cursor_execute", count)
    try:
        few, many = counted(2, "few"), counted(24, "many")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert few == many, (few, many)
