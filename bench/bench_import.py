"""`pathway import` per event against an interactive transition (issue 10: ≤ 0.2×).

Each block imports a file of fresh participants (``--lines`` lines, ``--events`` triggers each, one
transaction, through :func:`pathway.services.importer.import_file` as the CLI does) and fires the
same number of triggers interactively (``services.participants.fire``, one unit of work and commit
each) on as many participants enrolled beforehand; the ratio is the median over the blocks of
(import seconds per imported event) / (seconds per interactive transition). Enrolment is part of an
imported line, so it is counted as one of its events.

    python bench/bench_import.py --blocks 7 [--db postgresql+psycopg://postgres@127.0.0.1:5432/test]
    python bench/bench_import.py --blocks 7 --sync normal    # SQLite: synchronous=NORMAL on both sides

``--sync`` (SQLite only): ``normal`` or ``full`` sets ``PRAGMA synchronous`` on every connection of
the run, after the engine's own settings; ``default`` leaves the engine's. A commit is flushed to
disk only with FULL, which makes the interactive transition (one commit each) much dearer and the
import (one commit) hardly so: report both.
"""

from __future__ import annotations

import argparse
import json
import statistics
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from database import bench_database, service_context, workflows_folder  # bench/database.py: run as a script
from sqlalchemy import Engine, event, text

from pathway.clock import FixedClock
from pathway.services import participants as service
from pathway.services.importer import import_file

WORKFLOW = """\
id: bench
version: 1
title: Bench
roles:
  - {id: coach, title: Coach}
attributes:
  hours: {type: number}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: coach, initial: true, limit: {within: 4w, remind_before: 1w}}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: note, from: referral}
  - {trigger: exit, from: "*", to: exited}
"""

START = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)


def _file(folder: Path, block: int, lines: int, events: int) -> Path:
    path = folder / f"block{block}.jsonl"
    rows = [{"ref": f"B{block}-{n}", "workflow": "bench", "enrolled_at": "2026-01-05",
             "attributes": {"hours": 1},
             "events": [{"trigger": "note", "at": f"2026-01-{6 + k:02d}"} for k in range(events - 1)]}
            for n in range(lines)]
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def _synchronous(engine: Engine, mode: str) -> str:
    """Set SQLite's ``synchronous`` on every connection from now on (``default``: leave it); returns
    the setting the run has."""
    if engine.dialect.name != "sqlite":
        return "-"
    if mode != "default":
        @event.listens_for(engine, "connect")
        def _on_connect(dbapi_connection: Any, _record: Any) -> None:
            dbapi_connection.execute(f"PRAGMA synchronous={mode.upper()}")

        engine.dispose()  # the connections made before (migrations) are not reused
    with engine.connect() as conn:
        return {0: "OFF", 1: "NORMAL", 2: "FULL", 3: "EXTRA"}[conn.execute(text("PRAGMA synchronous")).scalar_one()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", type=int, default=7)
    parser.add_argument("--lines", type=int, default=20)
    parser.add_argument("--events", type=int, default=10, help="events per line, the enrolment included")
    parser.add_argument("--db", default=None, help="a PostgreSQL URL (a schema of its own is made and dropped)")
    parser.add_argument("--sync", choices=["default", "normal", "full"], default="default",
                        help="SQLite's synchronous setting for the run (default: the engine's)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_database(tmp, args.db) as engine:
        synchronous = _synchronous(engine, args.sync)
        folder = workflows_folder(tmp, bench=WORKFLOW)
        clock = FixedClock(START)
        ctx = service_context(engine, folder, clock)
        n = args.lines * args.events
        ratios, import_us, fire_us = [], [], []
        for block in range(args.blocks):
            path = _file(Path(tmp), block, args.lines, args.events)
            targets = [service.enrol(ctx, "bench", attributes={"hours": 1})[0] for _ in range(args.lines)]
            t0 = time.perf_counter()
            result = import_file(ctx, path)
            t1 = time.perf_counter()
            assert result.ok and result.events == n, (result.errors, result.events)
            for pid in targets:
                for _ in range(args.events):
                    service.fire(ctx, pid, "note")
            t2 = time.perf_counter()
            per_event, per_fire = (t1 - t0) / n, (t2 - t1) / n
            import_us.append(per_event * 1e6)
            fire_us.append(per_fire * 1e6)
            ratios.append(per_event / per_fire)
        print(f"database: {engine.dialect.name} (synchronous: {synchronous}); blocks: {args.blocks}; "
              f"{args.lines} lines x {args.events} events")
        print(f"import, per event:         {statistics.median(import_us):.0f} µs (median)")
        print(f"interactive transition:    {statistics.median(fire_us):.0f} µs (median)")
        print(f"ratio import event / transition (median of per-block ratios): {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
