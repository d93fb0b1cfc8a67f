#!/usr/bin/env python
"""Enrolment and transition through the services against the raw DB-API floor, on SQLite or PostgreSQL.

Issue 10's first target: one durable transition and one enrolment ≤ 2× the fair floor — raw DB-API
writing exactly the same rows, one commit each — on SQLite and on PostgreSQL, with the cost
constant in the number of participants already in the database (10 000 vs 1 000 000).

Two databases of their own (two SQLite files in a temporary folder, or two PostgreSQL schemas made
for the run and dropped after it), both migrated by ``pathway.store.migrate.upgrade`` and opened
by ``pathway.store.make_engine`` (so SQLite has the engine's pragmas):

* **engine** — ``services.participants.enrol`` / ``fire`` through a service context wired as the
  CLI wires one: a unit of work and one commit per operation.
* **floor** — the same rows with hand-written SQL on the DB-API connection. Per enrolment: INSERT
  participant, INSERT event, COMMIT. Per transition: SELECT the participant row, INSERT the event,
  UPDATE the participant with the version check in the WHERE clause (row count checked), COMMIT.
  On SQLite every transaction starts with ``BEGIN IMMEDIATE`` as the engine's do.

``--db sqlite`` runs SQLite as the engine configures it (WAL, synchronous=FULL: every commit flushed
to disk, the durable comparison); ``--db sqlite-normal`` sets synchronous=NORMAL on both sides (a
commit not flushed: what the engine ran with before 2026-12-07); ``--db postgresql+psycopg://…`` runs on PostgreSQL (commits are durable).

``--fill N`` first writes N participants with their enrolment event into both databases with plain
SQL (one statement per table), so the measured participants are written beside N others.

Each side's COMMITs of its transitions are timed too (``transition_commit`` in the summary): on a
virtual disk a flush right after another costs less than one after some hundreds of µs of other
work, so the floor's back-to-back commits flush cheaper than the engine's, the same pages or not.
``--floor-pause US`` keeps the floor's CPU busy that long before each operation to show it (a
diagnostic: the ratios the targets name are measured without it).

Work runs in blocks: each block enrols ``--k`` participants and fires the workflow's M triggers on
each (one round per trigger), engine and floor alternately (the order flips every block). Ratios
are the medians of the per-block ratios. At the end both databases must hold the same rows (every
table but the schema's bookkeeping and the registered workflow text, read back through SQLAlchemy
and compared value by value, JSON documents as the text stored; filled rows left out).

Run:  .venv/bin/python bench/bench_write_floor.py --db sqlite --blocks 9 --k 40 [--fill 1000000]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import JSON, Engine, Text, cast, select, text

from bench_engine import (  # this folder is on sys.path when run as a script
    ACTOR,
    STOCKHOLM,
    T0,
    WORKFLOW_ID,
    exit_reason,
    folded_with,
    step_id,
    stored_attributes,
    typed_attributes,
    workflow_yaml,
)
from database import bench_database
from memory import environment

#: Tables the floor does not write: the schema's bookkeeping and the registered workflow text.
NOT_COMPARED = {"alembic_version", "workflow_versions"}


# -- databases ----------------------------------------------------------------------------------

@contextmanager
def database(kind: str, tmp: Path, name: str) -> Iterator[Engine]:
    """A migrated database of this run: a SQLite file (``sqlite``, or ``sqlite-normal`` with
    synchronous=NORMAL), or a schema of its own in the PostgreSQL URL ``kind``, dropped afterwards."""
    if kind in ("sqlite", "sqlite-normal"):
        with bench_database(tmp, None, name=name, normal_sync=kind == "sqlite-normal") as engine:
            yield engine
    else:
        with bench_database(tmp, kind, f"bench_{name}") as engine:
            yield engine


def enrolled_fold() -> str:
    return folded_with(None, 1, "enrolled", None, None, "s0")


def fill(engine: Engine, n: int) -> float:
    """N participants in s0 with their enrolment event, by plain SQL; returns the seconds it took."""
    if n <= 0:
        return 0.0
    started = time.perf_counter()
    folded = enrolled_fold()
    data = json.dumps({"ref": None, "attributes": {}})
    day = T0.astimezone(STOCKHOLM).date().isoformat()
    with engine.begin() as conn:
        if engine.dialect.name == "sqlite":
            at = T0.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
            numbers = "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :n) "
            source, cast = "n", ""
        else:
            at = T0.isoformat()
            numbers, source, cast = "", "generate_series(1, :n) AS n(i)", "::jsonb"
        data_value = "CAST(:data AS jsonb)" if cast else ":data"
        conn.execute(text(
            f"{numbers}INSERT INTO participants (id, ref, workflow_id, workflow_version, step, status, attributes, "
            "enrolled_at, last_step_change_at, last_seq, version, enrolled_on, folded) "
            f"SELECT i, NULL, :wf, 1, 's0', 'open', '{{}}'{cast}, :at, :at, 1, 1, :day, :folded FROM {source}"),
            {"n": n, "wf": WORKFLOW_ID, "at": at, "day": datetime.fromisoformat(day).date()
             if engine.dialect.name != "sqlite" else day, "folded": folded})
        conn.execute(text(
            f"{numbers}INSERT INTO events (participant_id, seq, type, data, actor, effective_at, recorded_at, "
            f"workflow_id, workflow_version) SELECT i, 1, 'enrolled', {data_value}, :actor, :at, :at, :wf, 1 "
            f"FROM {source}"), {"n": n, "wf": WORKFLOW_ID, "at": at, "data": data, "actor": ACTOR})
        if engine.dialect.name == "postgresql":
            for table in ("participants", "events"):
                conn.execute(text(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                  f"(SELECT max(id) FROM {table}))"))
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn:
            conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return time.perf_counter() - started


# -- the two writers ------------------------------------------------------------------------------

class EngineWriter:
    """The services, as the CLI calls them."""

    def __init__(self, engine: Engine, workflows: Path) -> None:
        from pathway.clock import FixedClock
        from pathway.services.catalog import WorkflowCatalog
        from pathway.services.context import ServiceContext
        from pathway.store import SqlUnitOfWork
        clock = FixedClock(T0)
        #: seconds each COMMIT took (the driver's call: on durable SQLite, the flush)
        self.commits: list[float] = []
        commit = engine.dialect.do_commit

        def timed_commit(dbapi_connection: Any) -> None:
            started = time.perf_counter()
            commit(dbapi_connection)
            self.commits.append(time.perf_counter() - started)

        engine.dialect.do_commit = timed_commit  # type: ignore[method-assign]
        self.ctx = ServiceContext(uow=lambda: SqlUnitOfWork(engine), catalog=WorkflowCatalog(workflows, clock),
                                  clock=clock, actor=ACTOR)

    def enrol(self, i: int) -> int:
        from pathway.services.participants import enrol

        return enrol(self.ctx, WORKFLOW_ID, attributes=typed_attributes(i))[0]

    def fire(self, i: int, pid: int, k: int, m: int) -> None:
        from pathway.services.participants import fire

        fire(self.ctx, pid, f"t{k}", {"reason": exit_reason(i)} if k == m else None)

    def close(self) -> None:
        pass


SQLITE = {
    "insert_participant": (
        "INSERT INTO participants (ref, workflow_id, workflow_version, step, status, attributes, enrolled_at, "
        "last_step_change_at, exited_at, exit_reason, last_seq, version, enrolled_on, exited_on, folded) "
        "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
    "insert_event": (
        "INSERT INTO events (participant_id, seq, type, \"trigger\", from_step, to_step, data, actor, "
        "effective_at, recorded_at, reason, workflow_id, workflow_version) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)"),
    "select": ("SELECT id, step, status, last_seq, version, folded FROM participants WHERE id = ?"),
    "update": (
        "UPDATE participants SET step = ?, status = ?, last_step_change_at = ?, exited_at = ?, exit_reason = ?, "
        "last_seq = ?, version = ?, exited_on = ?, folded = ? WHERE id = ? AND version = ?"),
}
#: The same statements for psycopg (JSON columns are jsonb, sent as text and cast by the server).
POSTGRESQL = {
    "insert_participant": (
        "INSERT INTO participants (ref, workflow_id, workflow_version, step, status, attributes, enrolled_at, "
        "last_step_change_at, exited_at, exit_reason, last_seq, version, enrolled_on, exited_on, folded) "
        "VALUES (%s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id"),
    "insert_event": (
        "INSERT INTO events (participant_id, seq, type, \"trigger\", from_step, to_step, data, actor, "
        "effective_at, recorded_at, reason, workflow_id, workflow_version) "
        "VALUES (%s, %s, %s, %s, %s, %s, %s::jsonb, %s, %s, %s, %s, %s, %s)"),
    "select": "SELECT id, step, status, last_seq, version, folded FROM participants WHERE id = %s",
    "update": (
        "UPDATE participants SET step = %s, status = %s, last_step_change_at = %s, exited_at = %s, "
        "exit_reason = %s, last_seq = %s, version = %s, exited_on = %s, folded = %s "
        "WHERE id = %s AND version = %s"),
}


class FloorWriter:
    """The same rows by hand on the DB-API connection: what writing them costs at least."""

    def __init__(self, engine: Engine, pause: float = 0.0) -> None:
        #: seconds of busy CPU before each operation (``--floor-pause``: a diagnostic, not the floor)
        self.pause = pause
        self.pooled = engine.raw_connection()  # the engine's connect hooks ran: its pragmas
        self.con: Any = self.pooled.driver_connection
        self.sqlite = engine.dialect.name == "sqlite"
        self.sql = SQLITE if self.sqlite else POSTGRESQL
        self.cur = self.con.cursor()
        #: seconds each COMMIT took
        self.commits: list[float] = []
        if self.sqlite:
            assert self.con.isolation_level is None  # autocommit: BEGIN IMMEDIATE / COMMIT by hand
            self.at: Any = T0.replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S.%f")
        else:
            self.at = T0

    def _begin(self) -> None:
        started = time.perf_counter()
        while time.perf_counter() - started < self.pause:
            pass
        if self.sqlite:
            self.cur.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        started = time.perf_counter()
        if self.sqlite:
            self.cur.execute("COMMIT")
        else:
            self.con.commit()
        self.commits.append(time.perf_counter() - started)

    def _day(self) -> Any:
        day = T0.astimezone(STOCKHOLM).date()
        return day.isoformat() if self.sqlite else day

    def enrol(self, i: int) -> int:
        attributes = json.dumps(stored_attributes(i))
        self._begin()
        self.cur.execute(self.sql["insert_participant"], (
            None, WORKFLOW_ID, 1, "s0", "open", attributes, self.at, self.at, None, None, 1, 1, self._day(), None,
            enrolled_fold()))
        pid = self.cur.lastrowid if self.sqlite else self.cur.fetchone()[0]
        self.cur.execute(self.sql["insert_event"], (
            pid, 1, "enrolled", None, None, "s0", json.dumps({"ref": None, "attributes": stored_attributes(i)}),
            ACTOR, self.at, self.at, None, WORKFLOW_ID, 1))
        self._commit()
        return int(pid)

    def fire(self, i: int, pid: int, k: int, m: int) -> None:
        self._begin()
        row = self.cur.execute(self.sql["select"], (pid,)).fetchone()
        step, status, last_seq, version = row[1], row[2], row[3], row[4]
        if status != "open" or step != step_id(k - 1, m):
            raise AssertionError(f"floor: participant {pid} is {status} at {step}")
        last, trigger, to_step = k == m, f"t{k}", step_id(k, m)
        data = {"reason": exit_reason(i)} if last else {}
        seq = last_seq + 1
        self.cur.execute(self.sql["insert_event"], (
            pid, seq, "transition", trigger, step, to_step, json.dumps(data), ACTOR, self.at, self.at, None,
            WORKFLOW_ID, 1))
        folded = folded_with(row[5], seq, "transition", trigger, step, to_step)
        self.cur.execute(self.sql["update"], (
            to_step, "exited" if last else "open", self.at, self.at if last else None, data.get("reason"), seq,
            version + 1, self._day() if last else None, folded, pid, version))
        if self.cur.rowcount != 1:
            raise AssertionError(f"floor: version check failed for participant {pid}")
        self._commit()

    def close(self) -> None:
        self.cur.close()
        self.pooled.close()


# -- measuring ------------------------------------------------------------------------------------

@dataclass
class Block:
    enrol: dict[str, float] = field(default_factory=dict)
    fire: dict[str, float] = field(default_factory=dict)
    enrol_cpu: dict[str, float] = field(default_factory=dict)
    fire_cpu: dict[str, float] = field(default_factory=dict)
    #: the median COMMIT of the block's transitions
    fire_commit: dict[str, float] = field(default_factory=dict)


def run_block(writer: EngineWriter | FloorWriter, name: str, block: Block, first: int, k: int, m: int) -> list[int]:
    wall, cpu = time.perf_counter, time.process_time
    w0, c0 = wall(), cpu()
    ids = [writer.enrol(first + j) for j in range(k)]
    w1, c1 = wall(), cpu()
    writer.commits.clear()
    for trigger in range(1, m + 1):
        for j, pid in enumerate(ids):
            writer.fire(first + j, pid, trigger, m)
    w2, c2 = wall(), cpu()
    block.enrol[name], block.fire[name] = (w1 - w0) / k, (w2 - w1) / (k * m)
    block.enrol_cpu[name], block.fire_cpu[name] = (c1 - c0) / k, (c2 - c1) / (k * m)
    block.fire_commit[name] = statistics.median(writer.commits)
    return ids


def compare(engine_db: Engine, floor_db: Engine, filled: int) -> dict[str, int]:
    """Every table both wrote (filled rows left out) holds the same rows, value by value."""
    from pathway.store.tables import metadata

    counts: dict[str, int] = {}
    for table in metadata.sorted_tables:
        if table.name in NOT_COMPARED:
            continue
        # JSON columns as the text the database holds (on PostgreSQL: jsonb's canonical text)
        query = select(*(cast(c, Text).label(c.name) if isinstance(c.type, JSON) else c
                         for c in table.c)).order_by(*table.primary_key.columns)
        if table.name == "participants":
            query = query.where(table.c.id > filled)
        elif "participant_id" in table.c:
            query = query.where(table.c.participant_id > filled)
        with engine_db.connect() as a, floor_db.connect() as b:
            rows_a, rows_b = a.execute(query).all(), b.execute(query).all()
        if len(rows_a) != len(rows_b):
            raise AssertionError(f"{table.name}: engine {len(rows_a)} rows, floor {len(rows_b)}")
        for ra, rb in zip(rows_a, rows_b):
            if tuple(ra) != tuple(rb):
                raise AssertionError(f"{table.name}: engine {tuple(ra)!r} != floor {tuple(rb)!r}")
        counts[table.name] = len(rows_a)
    return counts


def median_ratio(blocks: list[Block], attr: str) -> float:
    return statistics.median(getattr(b, attr)["engine"] / getattr(b, attr)["floor"] for b in blocks)


def median_of(blocks: list[Block], attr: str, name: str) -> float:
    return statistics.median(getattr(b, attr)[name] for b in blocks)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", default="sqlite",
                        help="sqlite (engine's pragmas: synchronous=FULL), sqlite-normal (synchronous=NORMAL on both) or a PostgreSQL URL")
    parser.add_argument("--blocks", type=int, default=9, help="blocks, engine and floor alternately (default 9)")
    parser.add_argument("--k", type=int, default=40, help="participants enrolled per block and variant (default 40)")
    parser.add_argument("--m", type=int, default=3, help="triggers fired on each (default 3)")
    parser.add_argument("--fill", type=int, default=0, help="participants written first by plain SQL (default 0)")
    parser.add_argument("--floor-pause", type=float, default=0.0, metavar="US",
                        help="diagnostic: the floor keeps the CPU busy this many µs before each operation, as the "
                             "engine's own work does, to see what a flush costs when commits are not back to back")
    parser.add_argument("--json-out", type=Path, help="also write the JSON summary to this file")
    args = parser.parse_args(argv)
    kind = args.db
    if kind.startswith("postgres"):
        from pathway.store.database import normalise_url

        kind = normalise_url(kind)
    load_start = [round(x, 2) for x in os.getloadavg()]
    with tempfile.TemporaryDirectory(prefix="pathway-floor-") as tmp_name:
        tmp = Path(tmp_name)
        workflows = tmp / "workflows"
        workflows.mkdir()
        (workflows / f"{WORKFLOW_ID}.yaml").write_text(workflow_yaml(args.m), encoding="utf-8")
        with database(kind, tmp, "engine") as engine_db, database(kind, tmp, "floor") as floor_db:
            fill_seconds = fill(engine_db, args.fill) + fill(floor_db, args.fill)
            writers: dict[str, Callable[[], EngineWriter | FloorWriter]] = {
                "engine": lambda: EngineWriter(engine_db, workflows),
                "floor": lambda: FloorWriter(floor_db, args.floor_pause / 1e6)}
            live = {name: make() for name, make in writers.items()}
            try:
                blocks: list[Block] = []
                for b in range(-1, args.blocks):  # block -1 warms up (the workflow's registration, caches)
                    block = Block()
                    order = ["engine", "floor"] if b % 2 == 0 else ["floor", "engine"]
                    ids = {name: run_block(live[name], name, block, (b + 1) * args.k, args.k, args.m)
                           for name in order}
                    if ids["engine"] != ids["floor"]:
                        raise AssertionError(f"ids differ: {ids}")
                    if b < 0:
                        continue
                    blocks.append(block)
                    print(f"block {b + 1}/{args.blocks}: enrol ×{block.enrol['engine'] / block.enrol['floor']:.2f}, "
                          f"transition ×{block.fire['engine'] / block.fire['floor']:.2f}", flush=True)
            finally:
                for writer in live.values():
                    writer.close()
            counts = compare(engine_db, floor_db, args.fill)
            dialect = engine_db.dialect.name
    summary = {
        "db": "postgresql" if dialect == "postgresql" else args.db,
        "blocks": args.blocks, "k": args.k, "m": args.m, "fill": args.fill, "floor_pause_us": args.floor_pause,
        "fill_seconds": round(fill_seconds, 1),
        "enrol_ratio_wall": round(median_ratio(blocks, "enrol"), 2),
        "transition_ratio_wall": round(median_ratio(blocks, "fire"), 2),
        "enrol_ratio_cpu": round(median_ratio(blocks, "enrol_cpu"), 2),
        "transition_ratio_cpu": round(median_ratio(blocks, "fire_cpu"), 2),
        "us": {f"{name}_{what}": round(1e6 * median_of(blocks, attr, name))
               for name in ("engine", "floor")
               for what, attr in (("enrol", "enrol"), ("transition", "fire"), ("transition_commit", "fire_commit"))},
        "rows_compared": counts,
        "loadavg": [load_start, [round(x, 2) for x in os.getloadavg()]],
        "environment": environment(),
    }
    print(json.dumps(summary, indent=2))
    if args.json_out:
        args.json_out.write_text(json.dumps(summary, indent=2) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
