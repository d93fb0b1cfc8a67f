"""A list of participants against the meetings they have (issue 10: a read's cost constant in history).

Two workflows alike (``met`` and ``plain``), ``--n`` participants each, enrolled through the
services; each participant of ``met`` then gets ``--meetings`` meeting records (as Flen's tripartite
meetings accumulate). Each block reads the whole list of one workflow and then of the other
(``ParticipantRepository.list``, as a caseload list does: every participant row, its folded history),
in alternating order; the ratio is the median of the per-block ratios met / plain. Reading a
participant reads none of its meetings since round 7 (bench/README.md), so the ratio should be ~1.

    python bench/bench_list.py --n 300 --meetings 20 --blocks 40 [--db postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timezone

from bench_history import WORKFLOW  # bench/: run as a script
from database import bench_database, service_context, workflows_folder

from pathway.clock import FixedClock
from pathway.services import meetings
from pathway.services import participants as service
from pathway.services.context import ServiceContext


def _timed_list(ctx: ServiceContext, workflow_id: str, n: int) -> float:
    started = time.perf_counter()
    with ctx.uow() as uow:
        found = uow.participants.list(workflow_id=workflow_id)
    elapsed = time.perf_counter() - started
    assert len(found) == n
    return elapsed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300, help="participants of each workflow")
    parser.add_argument("--meetings", type=int, default=20, help="meeting records of each participant of 'met'")
    parser.add_argument("--blocks", type=int, default=40)
    parser.add_argument("--db", default=None, help="a PostgreSQL URL (a schema of its own is made and dropped)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_database(tmp, args.db, name="list") as engine:
        folder = workflows_folder(tmp, met=WORKFLOW.replace("id: bench\n", "id: met\n", 1),
                                  plain=WORKFLOW.replace("id: bench\n", "id: plain\n", 1))
        clock = FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
        ctx = service_context(engine, folder, clock)
        met = [service.enrol(ctx, "met", attributes={"hours": 0})[0] for _ in range(args.n)]
        for _ in range(args.n):
            service.enrol(ctx, "plain", attributes={"hours": 0})
        for _ in range(args.meetings):
            clock.advance(days=1)
            for pid in met:
                meetings.record_meeting(ctx, pid, "individual", ["coach:anna", "af:eva"])
        ratios, met_ms, plain_ms = [], [], []
        for block in range(args.blocks):
            order = ["met", "plain"] if block % 2 == 0 else ["plain", "met"]
            times = {workflow: _timed_list(ctx, workflow, args.n) for workflow in order}
            ratios.append(times["met"] / times["plain"])
            met_ms.append(times["met"] * 1000)
            plain_ms.append(times["plain"] * 1000)
        print(f"database: {engine.dialect.name}; {args.n} participants a list; blocks: {args.blocks}")
        print(f"list, {args.meetings} meetings each: {statistics.median(met_ms):.2f} ms (median)")
        print(f"list, no meeting:          {statistics.median(plain_ms):.2f} ms (median)")
        print(f"ratio (median of per-block ratios): {statistics.median(ratios):.2f}")


if __name__ == "__main__":
    main()
