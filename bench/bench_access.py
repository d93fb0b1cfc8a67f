"""The cost of the access policy and the access log per operation (issue 15: ≤ 1.2×).

One database, one workflow, participants with a short history. Each block runs the same operations
twice, interleaved: once in single-user mode (``ctx.user`` None: no policy check, no access-log row,
no secrecy filter) and once as a registered caseworker (the policy check before the work, the
secrecy filter on what is read, and one access-log row per read, written in the read's own unit
of work and committed). The ratio per operation is the median of the per-block ratios.

Operations: ``show`` (a read: check + filter + log row), ``history`` (a read), ``fire`` (a write:
check only; the event records the user's id and agency).

    python bench/bench_access.py --blocks 60 [--db postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from database import bench_database, service_context, workflows_folder  # bench/database.py: run as a script
from sqlalchemy import Engine, text

from pathway.clock import FixedClock
from pathway.services import participants as service
from pathway.services import users
from pathway.services.context import ServiceContext

WORKFLOW = """\
id: bench
version: 1
title: Bench
roles:
  - {id: coach, title: Coach}
attributes:
  hours: {type: number}
exit_reasons:
  - {code: work, label: Arbete, category: work}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: coach, initial: true, limit: {within: 4w}}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: note, from: referral}
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
"""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--blocks", type=int, default=60)
    parser.add_argument("--db", default=None, help="a PostgreSQL URL, run in a schema of its own "
                        "(default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_database(tmp, args.db, "bench_access") as engine:
        run(engine, workflows_folder(tmp, bench=WORKFLOW), args.blocks)


def run(engine: Engine, folder: Path, blocks: int) -> None:
    clock = FixedClock(datetime(2026, 3, 2, 8, tzinfo=timezone.utc))

    def context() -> ServiceContext:
        return service_context(engine, folder, clock)

    single = context()
    pids = [service.enrol(single, "bench", attributes={"hours": 1})[0] for _ in range(2 * blocks)]
    users.add_user(single, "root", "Root", "coordination", admin=True)
    admin = context()
    users.resolve(admin, "root")
    users.add_user(admin, "anna", "Anna Berg", "soc", ["coach"], ["bench"])
    acting = context()
    users.resolve(acting, "anna")

    ops: dict[str, Callable[[ServiceContext, int], object]] = {
        "show": lambda c, p: service.show(c, p),
        "history": lambda c, p: service.history(c, p),
        "fire": lambda c, p: service.fire(c, p, "note"),
    }
    ratios: dict[str, list[float]] = {name: [] for name in ops}
    times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in ops}
    for block in range(blocks):
        plain_pid, user_pid = pids[2 * block], pids[2 * block + 1]
        for name, op in ops.items():
            clock.advance(seconds=1)
            order = [(single, plain_pid, 0), (acting, user_pid, 1)]
            if block % 2:
                order.reverse()  # neither side always goes first
            spent = [0.0, 0.0]
            for ctx, pid, side in order:
                start = time.perf_counter()
                op(ctx, pid)
                spent[side] = time.perf_counter() - start
            ratios[name].append(spent[1] / spent[0])
            times[name][0].append(spent[0])
            times[name][1].append(spent[1])
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT count(*) FROM access_log")).scalar_one()
    print(f"database: {engine.dialect.name}   blocks: {blocks}   access-log rows written: {rows}")
    print("| operation | single-user µs (median) | with policy + log µs (median) | ratio (median of blocks) |")
    print("| --- | --- | --- | --- |")
    for name in ops:
        plain, checked = times[name]
        print(f"| {name} | {statistics.median(plain) * 1e6:,.0f} | {statistics.median(checked) * 1e6:,.0f} | "
              f"**{statistics.median(ratios[name]):.2f}** |")


if __name__ == "__main__":
    main()
