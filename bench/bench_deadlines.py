#!/usr/bin/env python
"""Deadline check vs floor: ``deadlines check`` over N participants with a fraction due, on SQLite.

The issue's requirement: "A deadline check over 1 000 000 participants with 1 % due: time and peak
memory against the floor — the same indexed SELECT and UPDATE of those rows in plain SQL in the
same run. Target ≤ 3× the floor; memory must not grow with the number of participants that are
not due."

Set-up (not timed), per configuration (N, due fraction):

* A few *template* participants are enrolled through the real engine
  (``pathway.services.participants.enrol``) on a small workflow with one deadline rule — 14 days
  from enrolment, no reminder, escalation ``after: 0d`` — so each open deadline row has a miss
  (index 1) and an escalation to level 1 (index 2) at the same moment. Half of the templates are
  enrolled early enough that their actions are due at the check time, half so late that they are
  not; each group spreads over 14 enrolment days (14 distinct ``next_action_at`` values).
* A master database is migrated with ``pathway.store.migrate.upgrade(make_engine(url))``, and the
  template rows (workflow version, participant, ``enrolled`` event, deadline — byte for byte as the
  engine wrote them) are cloned N times with ``executemany`` on the raw ``sqlite3`` connection.
  Exactly ``round(due × N)`` participants, spread evenly over the id range, get a due template.
* Every pass then runs on a fresh file copy of the master (so all passes see the same rows).

Passes, each on its own copy:

* **engine** — ``pathway.services.deadlines.check(ctx, NOW)`` with a ServiceContext from
  ``pathway.bootstrap.bootstrap`` (FixedClock, a Notifier with no sinks), batches of
  ``CHECK_BATCH``. The pool is warmed with a ``SELECT 1`` first (the floor's connection is open too).
* **floor** — plain SQL on the raw ``sqlite3`` connection of an engine made by ``make_engine`` (so
  the same pragmas: WAL, synchronous=NORMAL, foreign keys, busy timeout). Per batch:
  ``BEGIN IMMEDIATE``; the indexed claim ``SELECT … FROM deadlines INDEXED BY ix_deadlines_due
  WHERE status='open' AND next_action_at <= ? ORDER BY next_action_at, id LIMIT 500`` (the index
  is named so that the floor is the designed plan whatever the planner picks: with the schema
  before commit 679406e — an index on (status, due_at) and no ANALYZE statistics — SQLite planned
  this query, and the engine's, through that index plus a sort, i.e. over every open row);
  the timeline arithmetic in plain Python (json.loads of ``actions``, which actions are due, new
  progress/level/next_action_at);
  ``UPDATE deadlines SET progress, level, next_action_at, version WHERE id AND version``
  (executemany); ``COMMIT``.
* **fair floor** — the floor plus everything else the engine writes: it reads the participants of
  the batch, INSERTs one event per performed action and UPDATEs the participants' ``last_seq`` and
  ``version`` (with the version check), in the same transaction.
* **floor as SQLite plans it** (``floor_sqlite_plan``) — the floor's SQL without ``INDEXED BY``:
  the plan SQLite picks on its own, as for the engine's claim (all three plans are printed from
  EXPLAIN QUERY PLAN). A guard: if the planner ever stops using ix_deadlines_due, this column and
  the engine's time grow with N while the floor's does not.

Checks: after the engine pass, exactly the due rows moved on (progress past the last due action,
``next_action_at`` NULL or in the future, version + 1), one event per performed action was appended
to exactly the due participants, and every other row of participants, events and deadlines is
byte-identical to the master's; no notifications. The fair floor's database must be byte-identical
to the engine's (all three tables); the plain floor's deadlines table must be.

Each copy is fsynced before its pass, so no pass pays for writing back the copy of the last one.
Time: wall (``perf_counter``) and CPU (``process_time``) of the check alone, tracemalloc off; with
``--repeat R`` the passes are interleaved R times and the best is reported (the median too).
Memory: the peak resident set during the timed pass (VmHWM reset through /proc/self/clear_refs; it
includes SQLite's page cache, which tracemalloc cannot see), and the tracemalloc peak of a separate
traced pass on a fresh copy (tracemalloc slows allocation-heavy code far more than the floor).

"Must not grow with the participants that are not due": unless ``--no-scaling``, two more
configurations run after the main one, both with a tenth of the main run's due rows: (N/10, due)
and (N, due/10). They have the same number of due rows and N/10 vs N participants, so their peaks
should match; the main run (10× the due rows) shows what grows with the *due* rows instead
(per-due-row figures are reported for every configuration).

Run:  .venv/bin/python bench/bench_deadlines.py --n 1000000 --due 0.01 [--profile] [--json-out FILE]
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import hashlib
import io
import json
import os
import pstats
import shutil
import sqlite3
import statistics
import tempfile
import time
import tracemalloc
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from memory import environment as machine, proc_status_kib, reset_rss_peak  # bench/memory.py: run as a script, this folder is on sys.path

WORKFLOW_ID = "bench_deadlines"
ACTOR = "bench"
RULE = "first_meeting_within_14_days"
#: The check time: Monday 2 February 2026, 08:00 in Stockholm.
NOW = datetime(2026, 2, 2, 7, 0, tzinfo=timezone.utc)
#: Enrolment days of the due templates (misses 16–29 Jan) and of the not-due ones (misses 4–17 Feb).
DUE_ENROLMENTS = [datetime(2026, 1, 1, 7, 0, tzinfo=timezone.utc) + timedelta(days=d) for d in range(14)]
LATER_ENROLMENTS = [datetime(2026, 1, 20, 7, 0, tzinfo=timezone.utc) + timedelta(days=d) for d in range(14)]
GENDERS = ["female", "male", "other"]
BATCH = 500  # = pathway.services.deadlines.CHECK_BATCH (asserted)

WORKFLOW_YAML = f"""\
id: {WORKFLOW_ID}
version: 1
title: Benchmark – frister
roles:
  - {{id: caseworker, title: Handläggare}}
  - {{id: coordinator, title: Samordnare}}
attributes:
  gender: {{type: choice, title: Kön, choices: [female, male, other]}}
exit_reasons:
  - {{code: work, label: Arbete, category: work}}
steps:
  - {{id: referral, title: Remiss, kind: referral, owner: caseworker, initial: true}}
  - {{id: first_meeting, title: Första mötet, kind: meeting, owner: caseworker}}
  - {{id: exited, title: Avslut, kind: exit, owner: coordinator, terminal: true}}
transitions:
  - {{trigger: meet, from: referral, to: first_meeting}}
  - trigger: exit
    from: "*"
    to: exited
    data: {{reason: {{type: exit_reason, required: true}}}}
deadlines:
  - id: {RULE}
    title: Första mötet inom 14 dagar
    start: {{enrolled: true}}
    target: {{entered: first_meeting}}
    within: 14d
    escalation: [{{after: 0d, to: coordinator}}]
"""


def db_time(moment: datetime) -> str:
    """How SQLAlchemy's SQLite DateTime stores an aware datetime through UtcDateTime."""
    return moment.astimezone(timezone.utc).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")


NOW_TEXT = db_time(NOW)


def due_count(n: int, due: float) -> int:
    return round(due * n)


def is_due(i: int, n: int, d: int) -> bool:
    """Participant i (1-based) is one of the d due ones, spread evenly over 1..n."""
    return (i * d) // n != ((i - 1) * d) // n


# -- set-up -----------------------------------------------------------------------------------

@dataclass
class Templates:
    workflow_version: tuple[Any, ...]
    columns: dict[str, list[str]]            # table -> column names (id and participant_id excluded)
    due: list[dict[str, tuple[Any, ...]]]    # per template: table -> row values (in `columns` order)
    later: list[dict[str, tuple[Any, ...]]]


def make_templates(tmp: Path, workflows: Path) -> Templates:
    """Enrol the template participants through the engine and read back the rows it wrote."""
    from pathway.bootstrap import bootstrap
    from pathway.clock import FixedClock
    from pathway.config import Settings
    from pathway.services.participants import enrol

    db = tmp / "template.db"
    clock = FixedClock(DUE_ENROLMENTS[0])
    ctx = bootstrap(Settings(database_url=f"sqlite:///{db}", workflows=workflows, actor=ACTOR), clock=clock)
    ids: list[int] = []
    for k, at in enumerate(DUE_ENROLMENTS + LATER_ENROLMENTS):
        clock.set(at)
        pid, _note = enrol(ctx, WORKFLOW_ID, attributes={"gender": GENDERS[k % 3]})
        ids.append(pid)
    with ctx.uow() as uow:
        uow.connection.engine.dispose()  # type: ignore[attr-defined]

    con = sqlite3.connect(db)
    try:
        columns: dict[str, list[str]] = {}
        for table in ("participants", "events", "deadlines"):
            names = [r[1] for r in con.execute(f"PRAGMA table_info({table})")]
            columns[table] = [c for c in names if c not in ("id", "participant_id")]
        (wv,) = con.execute("SELECT * FROM workflow_versions").fetchall()

        def rows(pid: int) -> dict[str, tuple[Any, ...]]:
            out = {}
            cols = ", ".join(f'"{c}"' for c in columns["participants"])
            (out["participants"],) = con.execute(f"SELECT {cols} FROM participants WHERE id = ?", (pid,)).fetchall()
            for table in ("events", "deadlines"):
                cols = ", ".join(f'"{c}"' for c in columns[table])
                found = con.execute(f"SELECT {cols} FROM {table} WHERE participant_id = ?", (pid,)).fetchall()
                assert len(found) == 1, (table, pid, found)
                out[table] = found[0]
            return out

        templates = [rows(pid) for pid in ids]
    finally:
        con.close()
    t = Templates(wv, columns, templates[:len(DUE_ENROLMENTS)], templates[len(DUE_ENROLMENTS):])
    nxt = t.columns["deadlines"].index("next_action_at")
    status = t.columns["deadlines"].index("status")
    for row in t.due:
        assert row["deadlines"][status] == "open" and row["deadlines"][nxt] <= NOW_TEXT, row
    for row in t.later:
        assert row["deadlines"][status] == "open" and row["deadlines"][nxt] > NOW_TEXT, row
    return t


def build_master(path: Path, t: Templates, n: int, d: int) -> float:
    """Migrate a fresh file and clone the template rows N times; returns the seconds it took."""
    from pathway.store import make_engine
    from pathway.store.migrate import upgrade

    started = time.perf_counter()
    engine = make_engine(f"sqlite:///{path}")
    upgrade(engine)
    engine.dispose()
    con = sqlite3.connect(path, isolation_level=None)
    try:
        con.execute("PRAGMA journal_mode=DELETE")  # bulk load without a WAL the size of the file
        con.execute("PRAGMA synchronous=OFF")
        con.execute("PRAGMA cache_size=-262144")   # 256 MiB: index building without thrashing
        con.execute("BEGIN")
        con.execute(f"INSERT INTO workflow_versions VALUES ({', '.join('?' * len(t.workflow_version))})",
                    t.workflow_version)
        con.execute("COMMIT")

        def template(i: int) -> dict[str, tuple[Any, ...]]:
            group = t.due if is_due(i, n, d) else t.later
            return group[i % len(group)]

        chunk = 200_000
        for table in ("participants", "events", "deadlines"):
            cols = t.columns[table]
            if table == "participants":
                names = ["id", *cols]
                def values(i: int, row: tuple[Any, ...]) -> tuple[Any, ...]:
                    return (i, *row)
            else:
                names = ["id", "participant_id", *cols]
                def values(i: int, row: tuple[Any, ...]) -> tuple[Any, ...]:
                    return (i, i, *row)
            quoted = ", ".join(f'"{c}"' for c in names)
            sql = (f"INSERT INTO {table} ({quoted}) "
                   f"VALUES ({', '.join('?' * len(names))})")
            for lo in range(1, n + 1, chunk):
                hi = min(n, lo + chunk - 1)
                con.execute("BEGIN")
                con.executemany(sql, (values(i, template(i)[table]) for i in range(lo, hi + 1)))
                con.execute("COMMIT")
        con.execute("PRAGMA journal_mode=WAL")
        counts = [con.execute(f"SELECT count(*) FROM {tb}").fetchone()[0]
                  for tb in ("participants", "events", "deadlines")]
        assert counts == [n, n, n], counts
        due_now = con.execute("SELECT count(*) FROM deadlines WHERE status = 'open' AND next_action_at <= ?",
                              (NOW_TEXT,)).fetchone()[0]
        assert due_now == d, (due_now, d)
    finally:
        con.close()
    return time.perf_counter() - started


def fresh_copy(master: Path, target: Path) -> Path:
    remove_db(target)
    shutil.copyfile(master, target)
    # write the copy back to disk now: otherwise the first checkpoint's fsync of the timed pass
    # would pay for flushing the whole freshly copied file
    with open(target, "rb+") as copy:
        os.fsync(copy.fileno())
    return target


def remove_db(path: Path) -> None:
    for p in (path, Path(f"{path}-wal"), Path(f"{path}-shm"), Path(f"{path}-journal")):
        if p.exists():
            p.unlink()


# -- measuring --------------------------------------------------------------------------------



class RssMeter:
    """Timed passes: no tracemalloc; the peak resident set over the pass (Linux)."""

    traced = False

    def start(self) -> None:
        gc.collect()
        self.reset = reset_rss_peak()
        self.rss_start = proc_status_kib("VmRSS").get("VmRSS", 0)

    def stop(self) -> dict[str, Any]:
        now = proc_status_kib("VmRSS", "VmHWM")
        peak = now.get("VmHWM") if self.reset else None
        return {"rss_start_kib": self.rss_start, "rss_end_kib": now.get("VmRSS", 0), "rss_peak_kib": peak,
                "rss_peak_rise_kib": None if peak is None else peak - self.rss_start}


class TraceMeter:
    """Memory passes: tracemalloc peak above what was held before the check, and what is held after."""

    traced = True

    def start(self) -> None:
        gc.collect()
        tracemalloc.start()
        self.base = tracemalloc.get_traced_memory()[0]

    def stop(self) -> dict[str, Any]:
        current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        return {"peak_bytes": peak - self.base, "held_after_bytes": current - self.base}


@dataclass
class Pass:
    name: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    batches: int = 0
    rows: int = 0
    actions: int = 0
    memory: dict[str, Any] = field(default_factory=dict)


# -- the engine -------------------------------------------------------------------------------

def engine_pass(db: Path, workflows: Path, meter: RssMeter | TraceMeter,
                profiler: cProfile.Profile | None = None, capture: dict[str, Any] | None = None) -> Pass:
    """The check through the service layer. ``capture`` (a dict) records the statements the
    engine sends (counted by their start) and the first claim with its parameters."""
    from sqlalchemy import event, text

    from pathway.bootstrap import bootstrap
    from pathway.clock import FixedClock
    from pathway.config import Settings
    from pathway.services import deadlines as deadline_service
    from pathway.services.notify import Notifier

    assert deadline_service.CHECK_BATCH == BATCH, deadline_service.CHECK_BATCH
    ctx = bootstrap(Settings(database_url=f"sqlite:///{db}", workflows=workflows, actor=ACTOR),
                    clock=FixedClock(NOW), notifier=Notifier([]))
    with ctx.uow() as uow:  # open the pooled connection before timing (the floor's is open too)
        uow.connection.execute(text("SELECT 1"))  # type: ignore[attr-defined]
        bind = uow.connection.engine  # type: ignore[attr-defined]

    def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, _context: Any, many: bool) -> None:
        assert capture is not None
        key = " ".join(statement.split())[:70] + (" [executemany]" if many else "")
        capture["statements"][key] = capture["statements"].get(key, 0) + 1
        if "claim" not in capture and "FROM deadlines" in statement and statement.lstrip().startswith("SELECT"):
            capture["claim"] = (statement, tuple(parameters))

    if capture is not None:
        capture.setdefault("statements", {})
        event.listen(bind, "before_cursor_execute", record)
    result = Pass("engine")
    meter.start()
    if profiler is not None:
        profiler.enable()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    done = deadline_service.check(ctx, NOW)
    wall1, cpu1 = time.perf_counter(), time.process_time()
    if profiler is not None:
        profiler.disable()
    result.memory = meter.stop()
    result.seconds, result.cpu_seconds = wall1 - wall0, cpu1 - cpu0
    result.actions = len(done)
    result.rows = len({(a.participant_id, a.rule) for a in done})
    del done
    if capture is not None:
        event.remove(bind, "before_cursor_execute", record)
    bind.dispose()
    return result


# -- the floors -------------------------------------------------------------------------------

#: The floor's claim. With ``hinted`` it names the partial index the design calls for
#: (``INDEXED BY ix_deadlines_due``); without, SQLite plans it as it plans the engine's claim.
CLAIM = (
    "SELECT id, participant_id, rule, title, due_date, actions, progress, level, version "
    "FROM deadlines{hint} WHERE status = 'open' AND next_action_at <= ? "
    "ORDER BY next_action_at, id LIMIT ?"
)
HINT = " INDEXED BY ix_deadlines_due"


def claim_sql(hinted: bool) -> str:
    return CLAIM.format(hint=HINT if hinted else "")
UPDATE_DEADLINE = (
    "UPDATE deadlines SET progress = ?, level = ?, next_action_at = ?, version = ? "
    "WHERE id = ? AND version = ?"
)
SELECT_PARTICIPANTS = (
    "SELECT id, step, workflow_id, workflow_version, last_seq, version FROM participants "
    "WHERE id IN ({}) ORDER BY id"
)
INSERT_EVENT = (
    'INSERT INTO events (participant_id, seq, type, "trigger", from_step, to_step, data, actor, '
    "effective_at, recorded_at, reason, workflow_id, workflow_version) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
UPDATE_PARTICIPANT = "UPDATE participants SET last_seq = ?, version = ? WHERE id = ? AND version = ?"


def floor_pass(db: Path, fair: bool, meter: RssMeter | TraceMeter, hinted: bool = True) -> Pass:
    from pathway.store import make_engine

    engine = make_engine(f"sqlite:///{db}")
    pooled = engine.raw_connection()  # the engine's connect hook runs: the same pragmas
    con: sqlite3.Connection = pooled.driver_connection  # type: ignore[assignment]
    assert con.isolation_level is None
    cur = con.cursor()
    result = Pass("fair_floor" if fair else "floor" if hinted else "floor_sqlite_plan")
    claim = claim_sql(hinted)
    meter.start()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    while True:
        cur.execute("BEGIN IMMEDIATE")
        rows = cur.execute(claim, (NOW_TEXT, BATCH)).fetchall()
        if not rows:
            cur.execute("COMMIT")
            break
        updates = []
        performed: dict[int, list[tuple[dict[str, Any], str, str, str | None]]] = {}
        for did, pid, rule, title, due_date, actions_text, progress, level, version in rows:
            timeline = json.loads(actions_text)
            due = sorted((a for a in timeline
                          if a["index"] >= progress and datetime.fromisoformat(a["at"]) <= NOW),
                         key=lambda a: a["index"])
            for a in due:
                progress = max(progress, a["index"] + 1)
                level = max(level, a["level"])
                if fair and not (a["kind"] == "reminder" and len(due) > 1):
                    performed.setdefault(pid, []).append((a, rule, title, due_date))
            upcoming = [datetime.fromisoformat(a["at"]) for a in timeline if a["index"] >= progress]
            next_at = db_time(min(upcoming)) if upcoming else None
            updates.append((progress, level, next_at, version + 1, did, version))
        cur.executemany(UPDATE_DEADLINE, updates)
        if cur.rowcount != len(updates):
            raise AssertionError(f"floor: deadline version check failed ({cur.rowcount} of {len(updates)})")
        if fair and performed:
            ids = sorted(performed)
            people = cur.execute(SELECT_PARTICIPANTS.format(", ".join("?" * len(ids))), ids).fetchall()
            events, moved = [], []
            for pid, step, workflow_id, workflow_version, last_seq, version in people:
                seq = last_seq
                for a, rule, title, due_date in performed[pid]:
                    seq += 1
                    data = {"rule": rule, "title": title, "level": a["level"], "role": a["role"],
                            "due_date": due_date}
                    events.append((pid, seq, a["kind"], None, step, step, json.dumps(data), ACTOR,
                                   db_time(datetime.fromisoformat(a["at"])), NOW_TEXT, None,
                                   workflow_id, workflow_version))
                moved.append((seq, version + 1, pid, version))
            cur.executemany(INSERT_EVENT, events)
            cur.executemany(UPDATE_PARTICIPANT, moved)
            if cur.rowcount != len(moved):
                raise AssertionError("fair floor: participant version check failed")
            result.actions += len(events)
        cur.execute("COMMIT")
        result.batches += 1
        result.rows += len(rows)
        if len(rows) < BATCH:
            break
    wall1, cpu1 = time.perf_counter(), time.process_time()
    result.memory = meter.stop()
    result.seconds, result.cpu_seconds = wall1 - wall0, cpu1 - cpu0
    cur.close()
    pooled.close()
    engine.dispose()
    return result


# -- checking ---------------------------------------------------------------------------------

def table_digest(con: sqlite3.Connection, table: str, where: str = "", params: tuple[Any, ...] = ()) -> dict[str, Any]:
    h = hashlib.sha256()
    count = 0
    for row in con.execute(f"SELECT * FROM {table} {where} ORDER BY id", params):
        h.update(repr(row).encode())
        count += 1
    return {"rows": count, "sha256": h.hexdigest()}


def full_digest(db: Path) -> dict[str, Any]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        return {t: table_digest(con, t) for t in ("participants", "events", "deadlines", "notifications")}
    finally:
        con.close()


def untouched_digest(db: Path, n: int, d: int) -> dict[str, Any]:
    """Digest of the rows the check must not touch: not-due participants and deadlines, the N
    original events."""
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    con.create_function("is_due", 1, lambda i: is_due(i, n, d), deterministic=True)
    try:
        return {
            "participants": table_digest(con, "participants", "WHERE NOT is_due(id)"),
            "events": table_digest(con, "events", "WHERE id <= ?", (n,)),
            "deadlines": table_digest(con, "deadlines", "WHERE NOT is_due(participant_id)"),
        }
    finally:
        con.close()


def verify_engine(db: Path, master_untouched: dict[str, Any], n: int, d: int, actions: int) -> dict[str, Any]:
    """Exactly the due rows moved on, one event per action on exactly the due participants, the
    rest byte-identical to the master."""
    untouched = untouched_digest(db, n, d)
    assert untouched == master_untouched, ("rows that were not due changed", untouched, master_untouched)
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        moved = con.execute("SELECT participant_id, progress, level, next_action_at, version FROM deadlines "
                            "WHERE version <> 1 ORDER BY participant_id").fetchall()
        assert len(moved) == d, (len(moved), d)
        for pid, progress, level, next_at, version in moved:
            assert is_due(pid, n, d), pid
            assert (progress, level, version) == (3, 1, 2), (pid, progress, level, version)
            assert next_at is None or next_at > NOW_TEXT, (pid, next_at)
        still = con.execute("SELECT count(*) FROM deadlines WHERE status = 'open' AND next_action_at <= ?",
                            (NOW_TEXT,)).fetchone()[0]
        assert still == 0, still
        new_events = con.execute("SELECT participant_id, seq, type, actor, recorded_at FROM events WHERE id > ? "
                                 "ORDER BY id", (n,)).fetchall()
        assert len(new_events) == actions == 2 * d, (len(new_events), actions, d)
        per: dict[int, list[tuple[int, str]]] = {}
        for pid, seq, type_, actor, recorded in new_events:
            assert is_due(pid, n, d) and actor == ACTOR and recorded == NOW_TEXT, (pid, actor, recorded)
            per.setdefault(pid, []).append((seq, type_))
        assert len(per) == d
        assert all(v == [(2, "deadline_missed"), (3, "escalated")] for v in per.values())
        people = con.execute("SELECT id, last_seq, version FROM participants WHERE version <> 1").fetchall()
        assert len(people) == d and all(is_due(p, n, d) and (s, v) == (3, 2) for p, s, v in people)
        notes = con.execute("SELECT count(*) FROM notifications").fetchone()[0]
        assert notes == 0, notes
    finally:
        con.close()
    return {"due_rows_moved": d, "events_appended": actions, "untouched_rows_identical": True}


# -- one configuration ------------------------------------------------------------------------

def query_plans(master: Path, capture: dict[str, Any]) -> dict[str, Any]:
    """EXPLAIN QUERY PLAN of the engine's claim (as captured) and of the floors' claims."""
    con = sqlite3.connect(f"file:{master}?mode=ro", uri=True)
    try:
        def plan(sql: str, params: tuple[Any, ...]) -> list[str]:
            return [row[3] for row in con.execute("EXPLAIN QUERY PLAN " + sql, params)]

        out: dict[str, Any] = {}
        if "claim" in capture:
            sql, params = capture["claim"]
            out["engine_claim_sql"] = " ".join(sql.split())
            out["engine_claim"] = plan(sql, params)
        out["floor_claim"] = plan(claim_sql(True), (NOW_TEXT, BATCH))
        out["floor_sqlite_plan_claim"] = plan(claim_sql(False), (NOW_TEXT, BATCH))
        return out
    finally:
        con.close()


KINDS = ("engine", "floor", "fair_floor", "floor_sqlite_plan")


def run_config(tmp: Path, workflows: Path, t: Templates, n: int, due: float, repeat: int,
               profile: bool, label: str) -> dict[str, Any]:
    d = due_count(n, due)
    if d < 1:
        raise SystemExit(f"N={n} with due={due} gives no due rows")
    master = tmp / f"master-{n}-{d}.db"
    print(f"[{label}] N={n:,} due={due:g} → {d:,} due rows: building {master.name} …", flush=True)
    build_seconds = build_master(master, t, n, d)
    file_bytes = master.stat().st_size
    print(f"  built in {build_seconds:.1f} s ({file_bytes / 2**20:,.0f} MiB)", flush=True)
    master_untouched = untouched_digest(master, n, d)
    work = tmp / "work.db"

    def run(kind: str, meter: RssMeter | TraceMeter, **extra: Any) -> Pass:
        gc.collect()
        copy = fresh_copy(master, work)
        if kind == "engine":
            return engine_pass(copy, workflows, meter, **extra)
        return floor_pass(copy, kind == "fair_floor", meter, hinted=kind != "floor_sqlite_plan")

    timed: dict[str, list[Pass]] = {k: [] for k in KINDS}
    checks: dict[str, Any] = {}
    engine_digest: dict[str, Any] = {}
    for r in range(repeat):
        for kind in KINDS:
            p = run(kind, RssMeter())
            timed[kind].append(p)
            print(f"  {kind:<18} #{r + 1}: {p.seconds:9.3f} s  ({p.actions:,} events, {p.rows:,} rows)", flush=True)
            if r:
                continue
            if kind == "engine":
                checks["engine"] = verify_engine(work, master_untouched, n, d, p.actions)
                engine_digest = full_digest(work)
            elif kind == "fair_floor":
                got = full_digest(work)
                for table, value in got.items():
                    assert value == engine_digest[table], f"fair floor: {table} differ from the engine's"
                checks[kind] = {"all_tables_identical_to_engine": True}
            else:
                got = full_digest(work)
                assert got["deadlines"] == engine_digest["deadlines"], f"{kind}: deadlines differ from the engine's"
                checks[kind] = {"deadlines_identical_to_engine": True}

    traced: dict[str, Pass] = {}
    capture: dict[str, Any] = {}
    for kind in KINDS:
        traced[kind] = run(kind, TraceMeter(), **({"capture": capture} if kind == "engine" else {}))
    print("  traced: " + ", ".join(f"{k} {v.memory['peak_bytes'] / 1024:,.0f} KiB" for k, v in traced.items()),
          flush=True)
    plans = query_plans(master, capture)

    profile_text = None
    if profile:
        profiler = cProfile.Profile()
        pp = run("engine", RssMeter(), profiler=profiler)
        print(f"  engine (profiled): {pp.seconds:.3f} s", flush=True)
        profile_text = profile_report(profiler)
    remove_db(work)
    remove_db(master)

    def best(kind: str) -> Pass:
        return min(timed[kind], key=lambda p: p.seconds)

    def median(kind: str) -> float:
        return statistics.median(p.seconds for p in timed[kind])

    e = best("engine")
    summary: dict[str, Any] = {
        "label": label,
        "n": n,
        "due_fraction": due,
        "due_rows": d,
        "not_due_rows": n - d,
        "actions": e.actions,
        "batches": best("floor").batches,
        "build_seconds": round(build_seconds, 1),
        "db_file_bytes": file_bytes,
        "repeat": repeat,
        "seconds": {k: round(best(k).seconds, 4) for k in KINDS},
        "median_seconds": {k: round(median(k), 4) for k in KINDS},
        "all_seconds": {k: [round(p.seconds, 4) for p in v] for k, v in timed.items()},
        "cpu_seconds": {k: round(best(k).cpu_seconds, 4) for k in KINDS},
        "ratio_engine_over": {k: round(e.seconds / best(k).seconds, 2) for k in KINDS[1:]},
        "median_ratio_engine_over": {k: round(median("engine") / median(k), 2) for k in KINDS[1:]},
        "cpu_ratio_engine_over": {k: round(e.cpu_seconds / best(k).cpu_seconds, 2) for k in KINDS[1:]},
        "us_per_due_row": {k: round(1e6 * best(k).seconds / d, 1) for k in KINDS},
        "rss_timed_pass": {k: best(k).memory for k in KINDS},
        "tracemalloc": {k: {**v.memory, "peak_bytes_per_due_row": round(v.memory["peak_bytes"] / d, 1),
                            "traced_seconds": round(v.seconds, 3)} for k, v in traced.items()},
        "engine_statements": capture.get("statements", {}),
        "query_plans": plans,
        "checks": checks,
    }
    if profile_text is not None:
        summary["profile"] = profile_text
    return summary


def profile_report(profiler: cProfile.Profile, count: int = 30) -> str:
    parts = []
    for key in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(count)
        text = out.getvalue()
        head = text[:text.find("   ncalls")].strip().splitlines()
        total = next((line.strip() for line in head if "function calls" in line), "")
        parts.append(f"==== engine check profile: top {count} by {key} ({total}) ====\n"
                     + (text[text.find("   ncalls"):] if "   ncalls" in text else text))
    return "\n".join(parts)


# -- reporting --------------------------------------------------------------------------------

def environment() -> dict[str, Any]:
    return machine()


def print_table(results: list[dict[str, Any]]) -> None:
    head = (f"{'run':<8}{'N':>11}{'due rows':>10}{'engine s':>10}{'floor s':>9}{'fair s':>9}{'sqlplan s':>10}"
            f"{'×floor':>8}{'×fair':>7}{'×sqlplan':>9}{'cpu×fl':>8}{'cpu×fair':>9}"
            f"{'eng peak KiB':>13}{'B/due row':>10}{'fair KiB':>9}{'eng RSS+':>10}{'fair RSS+':>10}")
    print("\n" + head)
    print("-" * len(head))
    for r in results:
        s, tm, ratio, cpu = r["seconds"], r["tracemalloc"], r["ratio_engine_over"], r["cpu_ratio_engine_over"]
        rss_e = r["rss_timed_pass"]["engine"].get("rss_peak_rise_kib")
        rss_f = r["rss_timed_pass"]["fair_floor"].get("rss_peak_rise_kib")
        print(f"{r['label']:<8}{r['n']:>11,}{r['due_rows']:>10,}{s['engine']:>10.3f}{s['floor']:>9.3f}"
              f"{s['fair_floor']:>9.3f}{s['floor_sqlite_plan']:>10.3f}"
              f"{ratio['floor']:>8.2f}{ratio['fair_floor']:>7.2f}{ratio['floor_sqlite_plan']:>9.2f}"
              f"{cpu['floor']:>8.2f}{cpu['fair_floor']:>9.2f}"
              f"{tm['engine']['peak_bytes'] / 1024:>13,.0f}{tm['engine']['peak_bytes_per_due_row']:>10,.0f}"
              f"{tm['fair_floor']['peak_bytes'] / 1024:>9,.0f}"
              f"{'' if rss_e is None else f'{rss_e:,}':>10}{'' if rss_f is None else f'{rss_f:,}':>10}")
    print("seconds: best of the repeats. floor/fair: claim through ix_deadlines_due (INDEXED BY); sqlplan: the "
          "floor's SQL as SQLite plans it unaided (as it plans the engine's claim).\n"
          "peaks: tracemalloc, separate traced pass; RSS+: rise of the peak resident set (KiB) over the timed pass.")
    for r in results[:1]:
        for name, plan in r["query_plans"].items():
            if name != "engine_claim_sql":
                print(f"  plan {name}: {plan}")
    print()


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="participants (default 1000000)")
    parser.add_argument("--due", type=float, default=0.01, help="fraction of them due (default 0.01)")
    parser.add_argument("--repeat", type=int, default=1,
                        help="timed passes per kind, interleaved; best and median reported (default 1)")
    parser.add_argument("--no-scaling", action="store_true",
                        help="skip the two memory-scaling runs (N/10 at --due, N at --due/10)")
    parser.add_argument("--profile", action="store_true",
                        help="also profile the engine check (cProfile, own pass; top 30 cumulative and tottime)")
    parser.add_argument("--tmp", type=Path, help="parent folder for the temporary directory")
    parser.add_argument("--json-out", type=Path, help="also write the JSON summary to this file")
    args = parser.parse_args(argv)

    started = time.perf_counter()
    tmp = Path(tempfile.mkdtemp(prefix="pathway-bench-deadlines-", dir=args.tmp))
    try:
        workflows = tmp / "workflows"
        workflows.mkdir()
        (workflows / f"{WORKFLOW_ID}.yaml").write_text(WORKFLOW_YAML, encoding="utf-8")
        templates = make_templates(tmp, workflows)
        configs = [("main", args.n, args.due, args.repeat, args.profile)]
        if not args.no_scaling:
            configs += [("n/10", args.n // 10, args.due, args.repeat, False),
                        ("due/10", args.n, args.due / 10, args.repeat, False)]
        results = [run_config(tmp, workflows, templates, n, due, repeat, profile, label)
                   for label, n, due, repeat, profile in configs]
    finally:
        shutil.rmtree(tmp, ignore_errors=True)

    summary: dict[str, Any] = {
        "benchmark": "deadline check vs plain-SQL floor",
        "check_time": NOW.isoformat(),
        "batch": BATCH,
        "runs": [{k: v for k, v in r.items() if k != "profile"} for r in results],
        "total_seconds": round(time.perf_counter() - started, 1),
        "environment": environment(),
    }
    if len(results) == 3:
        main_r, small, fewer = results
        summary["memory_scaling"] = {
            "same_due_rows": small["due_rows"] == fewer["due_rows"],
            "engine_peak_bytes_n_over_10": small["tracemalloc"]["engine"]["peak_bytes"],
            "engine_peak_bytes_n_due_over_10": fewer["tracemalloc"]["engine"]["peak_bytes"],
            "engine_peak_ratio_10x_not_due": round(fewer["tracemalloc"]["engine"]["peak_bytes"]
                                                   / small["tracemalloc"]["engine"]["peak_bytes"], 3),
            "engine_peak_ratio_10x_due": round(main_r["tracemalloc"]["engine"]["peak_bytes"]
                                               / fewer["tracemalloc"]["engine"]["peak_bytes"], 3),
        }
    print_table(results)
    for r in results:
        if "profile" in r:
            print(r["profile"])
    print(json.dumps(summary, indent=2))
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        out = dict(summary)
        profiles = {r["label"]: r["profile"] for r in results if "profile" in r}
        if profiles:
            out["profiles"] = profiles
        args.json_out.write_text(json.dumps(out, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
