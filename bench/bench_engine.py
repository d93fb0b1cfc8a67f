#!/usr/bin/env python
"""Engine vs floor: what the service layer costs per operation on SQLite, and whether it grows with N.

Two phases run in one process, each on a fresh SQLite file in a temporary directory:

* **engine** — ``pathway.services.participants.enrol`` for N participants, then ``fire`` for M
  triggers each (round by round), through a :class:`ServiceContext` from
  ``pathway.bootstrap.bootstrap``: one unit of work and one commit per operation, as the CLI does.
* **floor** — the same rows written with plain SQL on the raw ``sqlite3`` connection of an engine
  made by ``pathway.store.make_engine`` (so the pragmas are the engine's: WAL, synchronous=FULL,
  foreign keys, busy timeout) on a schema made by ``pathway.store.migrate.upgrade``. Per enrolment:
  INSERT participant + INSERT event + COMMIT. Per transition: SELECT the participant row, INSERT the
  event, UPDATE the participant with the version check in the WHERE clause, COMMIT. Every
  transaction starts with ``BEGIN IMMEDIATE`` like the engine's.

The two databases must end up holding the same rows (same ids, columns, JSON text, timestamps):
the counts are asserted and so is a digest of every participant and event row.

Wall time is measured with tracemalloc off. Memory is measured in a second, traced pass of each
phase on fresh files (``--memory separate``, the default), because tracemalloc slows allocation-heavy
code far more than the SQL floor and would distort the ratio. Reported per phase: the tracemalloc
peak, the largest peak of any single operation (above the memory held before it), and what is still
held at the end of the phase (after a GC); "must not grow with N" means these stay flat from
N=10 000 to N=100 000.

Run:  .venv/bin/python bench/bench_engine.py --n 10000 --m 5 [--profile] [--json-out FILE]
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
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from zoneinfo import ZoneInfo
from pathlib import Path
from typing import Any

from memory import environment as machine, proc_status_kib, reset_rss_peak  # bench/memory.py: run as a script, this folder is on sys.path

WORKFLOW_ID = "bench_linear"
ACTOR = "bench"
T0 = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
#: How SQLAlchemy's SQLite DateTime stores a (UTC, tz-stripped) datetime.
T0_TEXT = T0.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
#: The store also writes the Swedish local date of enrolment and exit (participants.enrolled_on /
#: exited_on); the floor computes the same, once per row (local_day).
STOCKHOLM = ZoneInfo("Europe/Stockholm")
EXIT_REASONS = [("work", "Arbete", "work"), ("studies", "Studier", "studies"), ("other", "Annat", "other")]
GENDERS = ["female", "male", "other"]
KINDS = ["assessment", "meeting", "plan", "guidance", "placement", "handover", "follow_up"]


# -- the workflow -----------------------------------------------------------------------------

def step_id(k: int, m: int) -> str:
    """Step k of the linear pathway: s0 (initial) … s{m-1}, then the terminal step ``exited``."""
    return "exited" if k == m else f"s{k}"


def workflow_yaml(m: int) -> str:
    """A linear pathway: initial step, M-1 middle steps, a terminal step; M triggers t1 … tM."""
    if m < 1:
        raise SystemExit("--m must be at least 1")
    lines = [
        f"id: {WORKFLOW_ID}",
        "version: 1",
        "title: Benchmark – linjär väg",
        "roles:",
        "  - id: caseworker",
        "    title: Handläggare",
        "    agency: soc",
        "attributes:",
        "  gender: {type: choice, title: Kön, choices: [female, male, other]}",
        "  birth_date: {type: date, title: Födelsedatum}",
        "  born_abroad: {type: boolean, title: Utrikes född}",
        "steps:",
        "  - id: s0",
        "    title: Remiss",
        "    kind: referral",
        "    owner: caseworker",
        "    initial: true",
    ]
    for k in range(1, m):
        lines += [
            f"  - id: s{k}",
            f"    title: Steg {k}",
            f"    kind: {KINDS[(k - 1) % len(KINDS)]}",
            "    owner: caseworker",
        ]
    lines += [
        "  - id: exited",
        "    title: Avslutad",
        "    kind: exit",
        "    owner: caseworker",
        "    terminal: true",
        "transitions:",
    ]
    for k in range(1, m + 1):
        lines += [f"  - trigger: t{k}", f"    from: {step_id(k - 1, m)}", f"    to: {step_id(k, m)}"]
        if k == m:
            lines.append("    data: {reason: {type: exit_reason, required: true}}")
    lines.append("exit_reasons:")
    for code, label, category in EXIT_REASONS:
        lines.append(f"  - {{code: {code}, label: {label}, category: {category}}}")
    return "\n".join(lines) + "\n"


def typed_attributes(i: int) -> dict[str, str]:
    """What a caseworker types for participant i (``--attr`` values are text)."""
    return {
        "gender": GENDERS[i % 3],
        "birth_date": f"19{50 + i % 50}-{1 + i % 12:02d}-{1 + i % 28:02d}",
        "born_abroad": "yes" if i % 2 else "no",
    }


def stored_attributes(i: int) -> dict[str, Any]:
    """The JSON form the engine stores them in (choice and date as text, boolean as bool)."""
    typed = typed_attributes(i)
    return {"gender": typed["gender"], "birth_date": typed["birth_date"], "born_abroad": bool(i % 2)}


def exit_reason(i: int) -> str:
    return EXIT_REASONS[i % len(EXIT_REASONS)][0]


# -- measuring --------------------------------------------------------------------------------



class NullMeter:
    """Timed passes: no tracemalloc, only the resident set (free to read), sampled per round."""

    traced = False

    def start(self) -> None:
        gc.collect()
        self.rss_peak_reset = reset_rss_peak()
        self.rss_start = proc_status_kib("VmRSS").get("VmRSS", 0)
        self.rss_at: dict[str, int] = {}

    def op_start(self) -> None: ...
    def op_end(self) -> None: ...

    def checkpoint(self, label: str) -> None:
        self.rss_at[label] = proc_status_kib("VmRSS").get("VmRSS", 0)

    def stop(self) -> dict[str, Any]:
        now = proc_status_kib("VmRSS", "VmHWM")
        return {
            "rss_start_kib": self.rss_start,
            "rss_end_kib": now.get("VmRSS", 0),
            "rss_peak_kib": now.get("VmHWM", 0) if self.rss_peak_reset else None,
            "rss_at_kib": self.rss_at,
        }


class TraceMeter:
    """Memory passes: the phase's tracemalloc peak, the largest single-operation peak, what is held."""

    traced = True

    def start(self) -> None:
        gc.collect()
        tracemalloc.start()
        self.base = tracemalloc.get_traced_memory()[0]
        self.phase_peak = 0
        self.op_peak = 0
        self.checkpoints: list[tuple[str, int]] = []
        self._op_base = 0

    def op_start(self) -> None:
        current, peak = tracemalloc.get_traced_memory()
        if peak > self.phase_peak:
            self.phase_peak = peak
        tracemalloc.reset_peak()
        self._op_base = current

    def op_end(self) -> None:
        peak = tracemalloc.get_traced_memory()[1]
        if peak - self._op_base > self.op_peak:
            self.op_peak = peak - self._op_base

    def checkpoint(self, label: str) -> None:
        """Memory held at a point in the phase (growth between checkpoints = per-participant cost)."""
        gc.collect()
        self.checkpoints.append((label, tracemalloc.get_traced_memory()[0] - self.base))

    def stop(self) -> dict[str, Any]:
        peak = tracemalloc.get_traced_memory()[1]
        self.phase_peak = max(self.phase_peak, peak) - self.base
        gc.collect()
        held = tracemalloc.get_traced_memory()[0] - self.base
        tracemalloc.stop()
        return {
            "peak_bytes": self.phase_peak,
            "max_op_peak_bytes": self.op_peak,
            "held_at_end_bytes": held,
            "held_at": dict(self.checkpoints),
        }


@dataclass
class Phase:
    name: str
    seconds: float = 0.0
    cpu_seconds: float = 0.0
    enrol_seconds: float = 0.0
    fire_seconds: float = 0.0
    operations: int = 0
    memory: dict[str, Any] = field(default_factory=dict)
    pragmas: dict[str, Any] = field(default_factory=dict)


def timed(phase: Phase, meter: NullMeter | TraceMeter, enrol_all: Callable[[], None],
          fire_round: Callable[[int], None], m: int) -> None:
    meter.start()
    wall0, cpu0 = time.perf_counter(), time.process_time()
    enrol_all()
    meter.checkpoint("after_enrol")
    wall1 = time.perf_counter()
    for k in range(1, m + 1):
        fire_round(k)
        meter.checkpoint(f"after_round_{k}")
    wall2, cpu2 = time.perf_counter(), time.process_time()
    phase.memory = meter.stop()
    phase.seconds = wall2 - wall0
    phase.cpu_seconds = cpu2 - cpu0
    phase.enrol_seconds = wall1 - wall0
    phase.fire_seconds = wall2 - wall1


# -- the engine phase -------------------------------------------------------------------------

def engine_phase(db: Path, workflows: Path, n: int, m: int, meter: NullMeter | TraceMeter,
                 profiler: cProfile.Profile | None = None) -> Phase:
    from pathway.bootstrap import bootstrap
    from pathway.clock import FixedClock
    from pathway.config import Settings
    from pathway.services.participants import enrol, fire

    ctx = bootstrap(Settings(database_url=f"sqlite:///{db}", workflows=workflows, actor=ACTOR),
                    clock=FixedClock(T0))
    phase = Phase("engine", operations=n * (m + 1))

    def enrol_all() -> None:
        for i in range(n):
            meter.op_start()
            pid, _note = enrol(ctx, WORKFLOW_ID, attributes=typed_attributes(i))
            meter.op_end()
            if pid != i + 1:  # ids are 1..N on a fresh file; the driver keeps no per-participant state
                raise AssertionError(f"enrolment {i} got id {pid}, expected {i + 1}")

    def fire_round(k: int) -> None:
        trigger = f"t{k}"
        last = k == m
        for i in range(n):
            meter.op_start()
            fire(ctx, i + 1, trigger, {"reason": exit_reason(i)} if last else None)
            meter.op_end()

    if profiler is not None:
        profiler.enable()
    try:
        timed(phase, meter, enrol_all, fire_round, m)
    finally:
        if profiler is not None:
            profiler.disable()
    with ctx.uow() as uow:  # the pragmas on the engine's own connections
        conn = uow.connection  # type: ignore[attr-defined]
        phase.pragmas = {p: conn.exec_driver_sql(f"PRAGMA {p}").scalar()
                         for p in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
    return phase


# -- the floor phase --------------------------------------------------------------------------

INSERT_PARTICIPANT = (
    "INSERT INTO participants (ref, workflow_id, workflow_version, step, status, attributes, "
    "enrolled_at, last_step_change_at, exited_at, exit_reason, last_seq, version, enrolled_on, exited_on, folded) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
INSERT_EVENT = (
    "INSERT INTO events (participant_id, seq, type, \"trigger\", from_step, to_step, data, actor, "
    "effective_at, recorded_at, reason, workflow_id, workflow_version) "
    "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"
)
SELECT_PARTICIPANT = (
    "SELECT id, ref, workflow_id, workflow_version, step, status, attributes, enrolled_at, "
    "last_step_change_at, exited_at, exit_reason, last_seq, version, folded FROM participants WHERE id = ?"
)
UPDATE_PARTICIPANT = (
    "UPDATE participants SET step = ?, status = ?, last_step_change_at = ?, exited_at = ?, "
    "exit_reason = ?, last_seq = ?, version = ?, exited_on = ?, folded = ? WHERE id = ? AND version = ?"
)

#: The folded history a participant row carries (issue 10; pathway.store.repository.fold_columns): a
#: head line (the marks, the last step change, the counters), then one line per part of the records
#: (none in this workflow; short records stay on the row). The floor keeps it by hand, in the store's
#: key order and separators, so both databases hold the same text.
NO_RECORD_LINES = '{"grants":[],"last_confirmed_at":null}\n[]\n[]\n[]\n[]\n[]'
_COUNTERS = {"sessions_attended": 0, "sessions_absent": 0, "placements_started": 0, "interventions_started": 0}


def folded_with(stored: str | None, seq: int, type_: str, trigger: str | None, from_step: str | None,
                to_step: str) -> str:
    """``stored`` (None: a new participant's) with one more mark, a step change at ``seq``."""
    head_line, _, records = stored.partition("\n") if stored else ("", "", NO_RECORD_LINES)
    head = json.loads(head_line) if head_line else {"v": 2, "mark_log": "", "plan_added": {},
                                                    "step_change_seq": 0, **_COUNTERS}
    code = {"enrolled": "e", "transition": "t", "migrated": "m"}[type_]  # one stored mark (domain/folded.py)
    head["mark_log"] += f"{seq}|{T0.isoformat()}|{code}|{trigger or ''}|{from_step or ''}|{to_step};"
    head["step_change_seq"] = seq
    return json.dumps(head, separators=(",", ":")) + "\n" + records


def local_day(utc_text: str) -> str:
    """The Swedish date of a stored UTC time, as the store derives enrolled_on / exited_on."""
    moment = datetime.strptime(utc_text, "%Y-%m-%d %H:%M:%S.%f").replace(tzinfo=timezone.utc)
    return moment.astimezone(STOCKHOLM).date().isoformat()


def floor_phase(db: Path, n: int, m: int, meter: NullMeter | TraceMeter) -> Phase:
    from pathway.store import make_engine
    from pathway.store.migrate import upgrade

    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    pooled = engine.raw_connection()  # runs the engine's connect hook: the same pragmas
    con: sqlite3.Connection = pooled.driver_connection  # type: ignore[assignment]
    assert con.isolation_level is None  # autocommit mode: we BEGIN IMMEDIATE / COMMIT ourselves
    cur = con.cursor()
    phase = Phase("floor", operations=n * (m + 1))
    now = T0_TEXT

    def enrol_all() -> None:
        for i in range(n):
            meter.op_start()
            attributes = stored_attributes(i)
            cur.execute("BEGIN IMMEDIATE")
            cur.execute(INSERT_PARTICIPANT, (None, WORKFLOW_ID, 1, "s0", "open", json.dumps(attributes),
                                             now, now, None, None, 1, 1, local_day(now), None,
                                             folded_with(None, 1, "enrolled", None, None, "s0")))
            pid = cur.lastrowid
            cur.execute(INSERT_EVENT, (pid, 1, "enrolled", None, None, "s0",
                                       json.dumps({"ref": None, "attributes": attributes}), ACTOR,
                                       now, now, None, WORKFLOW_ID, 1))
            cur.execute("COMMIT")
            meter.op_end()
            if pid != i + 1:
                raise AssertionError(f"floor enrolment {i} got id {pid}, expected {i + 1}")

    def fire_round(k: int) -> None:
        trigger = f"t{k}"
        last = k == m
        for i in range(n):
            meter.op_start()
            cur.execute("BEGIN IMMEDIATE")
            row = cur.execute(SELECT_PARTICIPANT, (i + 1,)).fetchone()
            pid, step, status, last_seq, version = row[0], row[4], row[5], row[11], row[12]
            if status != "open" or step != step_id(k - 1, m):
                raise AssertionError(f"floor: participant {pid} is {status} at {step}")
            to_step = step_id(k, m)
            data = {"reason": exit_reason(i)} if last else {}
            cur.execute(INSERT_EVENT, (pid, last_seq + 1, "transition", trigger, step, to_step,
                                       json.dumps(data), ACTOR, now, now, None, WORKFLOW_ID, 1))
            cur.execute(UPDATE_PARTICIPANT, (to_step, "exited" if last else "open", now,
                                             now if last else None, data.get("reason"), last_seq + 1,
                                             version + 1, local_day(now) if last else None,
                                             folded_with(row[13], last_seq + 1, "transition", trigger,
                                                         step, to_step), pid, version))
            if cur.rowcount != 1:
                raise AssertionError(f"floor: version check failed for participant {pid}")
            cur.execute("COMMIT")
            meter.op_end()

    timed(phase, meter, enrol_all, fire_round, m)
    phase.pragmas = {p: con.execute(f"PRAGMA {p}").fetchone()[0]
                     for p in ("journal_mode", "synchronous", "foreign_keys", "busy_timeout")}
    cur.close()
    pooled.close()
    engine.dispose()
    return phase


# -- checking that both wrote the same thing --------------------------------------------------

#: Tables the floor does not write: the schema's bookkeeping and the registered workflow text.
NOT_COMPARED = {"alembic_version", "workflow_versions"}


def tables(db: Path) -> list[str]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        names = [r[0] for r in con.execute("SELECT name FROM sqlite_master WHERE type = 'table' "
                                            "AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    finally:
        con.close()
    return [n for n in names if n not in NOT_COMPARED]


def digest(db: Path, names: list[str]) -> dict[str, Any]:
    con = sqlite3.connect(f"file:{db}?mode=ro", uri=True)
    try:
        result: dict[str, Any] = {}
        for table in names:
            h = hashlib.sha256()
            count = 0
            for row in con.execute(f"SELECT * FROM {table} ORDER BY rowid"):
                h.update(repr(row).encode())
                count += 1
            result[table] = {"rows": count, "sha256": h.hexdigest()}
        result["json_bytes"] = con.execute(
            "SELECT (SELECT sum(length(attributes)) FROM participants) + (SELECT sum(length(data)) FROM events)"
        ).fetchone()[0]
        result["file_bytes"] = sum(
            os.path.getsize(p) for p in (db, Path(f"{db}-wal")) if os.path.exists(p)
        )
        return result
    finally:
        con.close()


def first_difference(a: Path, b: Path, table: str) -> str:
    ca, cb = sqlite3.connect(a), sqlite3.connect(b)
    try:
        for ra, rb in zip(ca.execute(f"SELECT * FROM {table} ORDER BY rowid"),
                          cb.execute(f"SELECT * FROM {table} ORDER BY rowid")):
            if ra != rb:
                return f"{table}: engine {ra!r} != floor {rb!r}"
        return f"{table}: rows equal as far as both go"
    finally:
        ca.close()
        cb.close()


def check_same(engine_db: Path, floor_db: Path, n: int, m: int) -> dict[str, Any]:
    names = tables(engine_db)
    assert names == tables(floor_db), (names, tables(floor_db))
    de, df = digest(engine_db, names), digest(floor_db, names)
    assert de["participants"]["rows"] == df["participants"]["rows"] == n, (de, df)
    assert de["events"]["rows"] == df["events"]["rows"] == n * (m + 1), (de, df)
    for table in names:  # every other table too: the engine must not write rows the floor does not
        assert de[table]["rows"] == df[table]["rows"], f"{table}: engine {de[table]['rows']} rows, floor {df[table]['rows']}"
        assert de[table]["sha256"] == df[table]["sha256"], first_difference(engine_db, floor_db, table)
    assert de["json_bytes"] == df["json_bytes"]
    return {"participants": n, "events": n * (m + 1), "rows_identical": True, "tables_compared": names,
            "json_bytes": de["json_bytes"], "engine_file_bytes": de["file_bytes"],
            "floor_file_bytes": df["file_bytes"]}


# -- running ----------------------------------------------------------------------------------

def _git(*args: str) -> str | None:
    import subprocess

    try:
        return subprocess.run(["git", *args], cwd=Path(__file__).resolve().parent, capture_output=True,
                              text=True, timeout=30, check=True).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        return None


def code_under_test() -> dict[str, Any]:
    """Which pathway was imported (the repo's src, or a snapshot on PYTHONPATH) and at which commit."""
    import pathway

    location = Path(pathway.__file__).resolve().parent
    snapshot = location.parent / "COMMIT"
    return {
        "pathway_imported_from": str(location),
        "snapshot_commit": snapshot.read_text().strip() if snapshot.is_file() else None,
        "repo_head": _git("rev-parse", "--short", "HEAD"),
        "repo_src_uncommitted_files": len((_git("status", "--porcelain", "--", "src") or "").splitlines()),
    }


def environment() -> dict[str, Any]:
    import transitions

    return machine(transitions=transitions.__version__)


def print_table(n: int, m: int, timed_e: Phase, timed_f: Phase,
                mem_e: dict[str, Any], mem_f: dict[str, Any], rss: dict[str, Any] | None) -> None:
    ops = timed_e.operations

    def row(label: str, e: str, f: str, r: str = "") -> None:
        print(f"  {label:<34}{e:>16}{f:>16}{r:>10}")

    print(f"\nN={n:,}  M={m}  operations={ops:,} (N enrolments + N×M transitions)")
    row("", "engine", "floor", "ratio")
    row("wall seconds", f"{timed_e.seconds:.2f}", f"{timed_f.seconds:.2f}", f"{timed_e.seconds / timed_f.seconds:.2f}")
    row("  enrol seconds", f"{timed_e.enrol_seconds:.2f}", f"{timed_f.enrol_seconds:.2f}",
        f"{timed_e.enrol_seconds / timed_f.enrol_seconds:.2f}")
    row("  fire seconds", f"{timed_e.fire_seconds:.2f}", f"{timed_f.fire_seconds:.2f}",
        f"{timed_e.fire_seconds / timed_f.fire_seconds:.2f}")
    row("cpu seconds", f"{timed_e.cpu_seconds:.2f}", f"{timed_f.cpu_seconds:.2f}",
        f"{timed_e.cpu_seconds / timed_f.cpu_seconds:.2f}")
    row("ops/s", f"{ops / timed_e.seconds:,.0f}", f"{ops / timed_f.seconds:,.0f}")
    row("µs/op", f"{1e6 * timed_e.seconds / ops:,.0f}", f"{1e6 * timed_f.seconds / ops:,.0f}")
    row("  µs/enrolment", f"{1e6 * timed_e.enrol_seconds / n:,.0f}", f"{1e6 * timed_f.enrol_seconds / n:,.0f}")
    row("  µs/transition", f"{1e6 * timed_e.fire_seconds / (n * m):,.0f}",
        f"{1e6 * timed_f.fire_seconds / (n * m):,.0f}")
    if mem_e:
        row("tracemalloc peak (KiB)", f"{mem_e['peak_bytes'] / 1024:,.0f}", f"{mem_f['peak_bytes'] / 1024:,.0f}")
        row("peak bytes / operation", f"{mem_e['peak_bytes'] / ops:,.1f}", f"{mem_f['peak_bytes'] / ops:,.1f}")
        row("largest one-op peak (KiB)", f"{mem_e['max_op_peak_bytes'] / 1024:,.1f}",
            f"{mem_f['max_op_peak_bytes'] / 1024:,.1f}")
        row("held at end of phase (KiB)", f"{mem_e['held_at_end_bytes'] / 1024:,.1f}",
            f"{mem_f['held_at_end_bytes'] / 1024:,.1f}")
    if rss:
        re_, rf = rss["engine"], rss["floor"]
        if re_.get("rss_peak_kib") is not None:
            row("RSS peak in phase (KiB)", f"{re_['rss_peak_kib']:,}", f"{rf['rss_peak_kib']:,}")
        row("RSS growth over phase (KiB)", f"{re_['rss_end_kib'] - re_['rss_start_kib']:,}",
            f"{rf['rss_end_kib'] - rf['rss_start_kib']:,}")
    print()


def print_profile(profiler: cProfile.Profile, timer: str) -> None:
    for key, count in (("cumulative", 25), ("tottime", 25)):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(key).print_stats(count)
        print(f"\n==== engine phase profile ({timer} time): top {count} by {key} ====")
        text = out.getvalue()
        print(text[text.find("   ncalls"):] if "   ncalls" in text else text)
    # what each use case spends its time on, one level down (the steps of enrol and fire)
    out = io.StringIO()
    stats = pstats.Stats(profiler, stream=out)
    stats.sort_stats("cumulative").print_callees(r"services[/\\]participants\.py:\d+\((enrol|fire)\)")
    print(f"\n==== engine phase profile ({timer} time): what enrol and fire call ====")
    print(out.getvalue().strip())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="participants (default 10000)")
    parser.add_argument("--m", type=int, default=5, help="triggers per participant (default 5)")
    parser.add_argument("--profile", action="store_true",
                        help="run the engine's timed pass under cProfile and print the top entries "
                             "(inflates the engine's time and the ratio)")
    parser.add_argument("--profile-timer", choices=["wall", "cpu"], default="wall",
                        help="wall (default, cheap timer); cpu: time.process_time, a system call per "
                             "profiler event, which inflates code that makes many small calls")
    parser.add_argument("--profile-out", type=Path, help="also dump the raw profile (pstats) to this file")
    parser.add_argument("--memory", choices=["separate", "inline", "off"], default="separate",
                        help="separate: timed passes untraced, then traced passes on fresh files (default); "
                             "inline: trace during the timed passes (faster, but inflates the ratio); off")
    parser.add_argument("--keep", action="store_true", help="keep the temporary directory and print it")
    parser.add_argument("--json-out", type=Path, help="also write the JSON summary to this file")
    args = parser.parse_args(argv)
    tmp = Path(tempfile.mkdtemp(prefix="pathway-bench-"))
    try:
        return run(args, tmp)
    finally:
        if args.keep:
            print(f"kept {tmp}", file=sys.stderr)
        else:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)


def run(args: argparse.Namespace, tmp: Path) -> int:
    n, m = args.n, args.m
    workflows = tmp / "workflows"
    workflows.mkdir()
    (workflows / f"{WORKFLOW_ID}.yaml").write_text(workflow_yaml(m), encoding="utf-8")
    inline = args.memory == "inline"

    timer = time.process_time if args.profile_timer == "cpu" else time.perf_counter
    profiler = cProfile.Profile(timer) if args.profile else None
    started = time.perf_counter()
    load_at_start = [round(x, 2) for x in os.getloadavg()]
    code = code_under_test()
    print(f"pathway from {code['pathway_imported_from']} (snapshot {code['snapshot_commit']}, "
          f"repo HEAD {code['repo_head']})", flush=True)
    print(f"engine phase (timed{', traced' if inline else ''}{', profiled' if profiler else ''}) …", flush=True)
    meter_e = TraceMeter() if inline else NullMeter()
    timed_e = engine_phase(tmp / "engine.db", workflows, n, m, meter_e, profiler)
    print(f"  {timed_e.seconds:.2f} s", flush=True)
    gc.collect()
    print(f"floor phase (timed{', traced' if inline else ''}) …", flush=True)
    meter_f = TraceMeter() if inline else NullMeter()
    timed_f = floor_phase(tmp / "floor.db", n, m, meter_f)
    print(f"  {timed_f.seconds:.2f} s", flush=True)
    same = check_same(tmp / "engine.db", tmp / "floor.db", n, m)

    rss = None if inline else {"engine": timed_e.memory, "floor": timed_f.memory}
    mem_e, mem_f = (timed_e.memory, timed_f.memory) if inline else ({}, {})
    traced_seconds: dict[str, float] = {}
    if args.memory == "separate":
        gc.collect()
        print("engine phase (traced) …", flush=True)
        traced_e = engine_phase(tmp / "engine-traced.db", workflows, n, m, TraceMeter())
        gc.collect()
        print("floor phase (traced) …", flush=True)
        traced_f = floor_phase(tmp / "floor-traced.db", n, m, TraceMeter())
        check_same(tmp / "engine-traced.db", tmp / "floor-traced.db", n, m)
        mem_e, mem_f = traced_e.memory, traced_f.memory
        traced_seconds = {"engine": round(traced_e.seconds, 3), "floor": round(traced_f.seconds, 3)}

    ops = timed_e.operations
    summary: dict[str, Any] = {
        "n": n,
        "m": m,
        "operations": ops,
        "engine_seconds": round(timed_e.seconds, 3),
        "floor_seconds": round(timed_f.seconds, 3),
        "ratio_engine_over_floor": round(timed_e.seconds / timed_f.seconds, 3),
        "engine_ops_per_s": round(ops / timed_e.seconds, 1),
        "floor_ops_per_s": round(ops / timed_f.seconds, 1),
        "profiled": args.profile_timer if profiler else False,
        "memory_mode": args.memory,
        "phases": {p.name: {k: v for k, v in asdict(p).items() if k != "memory"} for p in (timed_e, timed_f)},
        "tracemalloc": {
            "engine": {**mem_e, "peak_bytes_per_op": round(mem_e["peak_bytes"] / ops, 2)} if mem_e else None,
            "floor": {**mem_f, "peak_bytes_per_op": round(mem_f["peak_bytes"] / ops, 2)} if mem_f else None,
            "traced_pass_seconds": traced_seconds or None,
        },
        "rss_timed_pass": rss,
        "check": same,
        "total_seconds": round(time.perf_counter() - started, 1),
        "loadavg_at_start": load_at_start,
        "code": code,
        "environment": environment(),
    }
    print_table(n, m, timed_e, timed_f, mem_e, mem_f, rss)
    if profiler is not None:
        print_profile(profiler, args.profile_timer)
        if args.profile_out:
            profiler.dump_stats(args.profile_out)
    print(json.dumps(summary, indent=2))
    if args.json_out:
        args.json_out.parent.mkdir(parents=True, exist_ok=True)
        args.json_out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
