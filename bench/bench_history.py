"""A transition's cost against the participant's history length (issue 10: 10 vs 200 events ≤ 1.2×).

Participants with 10 and with 200 events (attribute changes) on one workflow; each block fires one
trigger on a fresh 10-event participant and one on the 200-event one, through the service as the
CLI does (one unit of work and commit each), interleaved; the ratio is the median of the per-block
ratios. Also counts the SQL statements of each (a test pins that they are equal).

    python bench/bench_history.py --blocks 60 [--db postgresql+psycopg://postgres@127.0.0.1:5432/test]
    python bench/bench_history.py --blocks 60 --grow transitions   # a history of transitions
    python bench/bench_history.py --blocks 60 --grow steps         # of step changes, timing a step change
    python bench/bench_history.py --blocks 60 --grow meetings      # of meeting records, timing a meeting
    python bench/bench_history.py --blocks 60 --grow anchored      # the same where a deadline repeats per
                                                                   # meeting (Flen's follow-up rule)
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from datetime import datetime, timezone

from database import bench_database, service_context, workflows_folder  # bench/database.py: run as a script
from sqlalchemy import event

from pathway.clock import FixedClock
from pathway.services import meetings
from pathway.services import participants as service
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
  - {id: referral, title: Remiss, kind: referral, owner: coach, initial: true, limit: {within: 4w, remind_before: 1w}}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: note, from: referral}
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
"""


#: Two steps with limits and a way back and forth: a history of step changes (``--grow steps``)
CYCLE = """\
id: cycle
version: 1
title: Cycle
roles:
  - {id: coach, title: Coach}
exit_reasons:
  - {code: work, label: Arbete, category: work}
steps:
  - {id: a, title: A, kind: referral, owner: coach, initial: true, limit: {within: 4w, remind_before: 1w}}
  - {id: b, title: B, kind: assessment, owner: coach, limit: {within: 10wd}}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: note, from: [a, b]}
  - {trigger: to_b, from: a, to: b}
  - {trigger: to_a, from: b, to: a}
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
"""


#: Meetings a repeating deadline waits for, as Flen's follow-up meetings (``--grow anchored``): the
#: planner reads the meetings of that type, and every meeting meets one deadline and starts the next
ANCHORED = WORKFLOW.replace("id: bench\n", "id: anchored\n", 1) + """\
deadlines:
  - id: follow_up_meetings
    title: Uppföljningssamtal minst var sjätte vecka
    start: {entered: referral}
    target: {meeting: individual}
    within: 6w
    every: 6w
    remind_before: 1w
"""


def _participant(ctx: ServiceContext, clock: FixedClock, events: int, grow: str) -> int:
    """A participant with ``events`` events: attribute changes, transitions that move no step (each
    a mark in the folded state the participant row carries), or step changes (each a step limit)."""
    if grow == "steps":
        pid, _ = service.enrol(ctx, "cycle")
    elif grow == "anchored":
        pid, _ = service.enrol(ctx, "anchored")
    else:
        pid, _ = service.enrol(ctx, "bench", attributes={"hours": 0})
    for hours in range(1, events):
        clock.advance(**({"days": 1} if grow == "steps" else {"minutes": 30}))  # a step change a day
        if grow == "steps":
            service.fire(ctx, pid, "to_b" if hours % 2 else "to_a")
        elif grow == "transitions":
            service.fire(ctx, pid, "note")
        elif grow in ("meetings", "anchored"):
            meetings.record_meeting(ctx, pid, "individual", ["coach:anna", "af:eva"])
        else:
            service.set_attributes(ctx, pid, {"hours": hours})
    return pid


def _step(ctx: ServiceContext, pid: int, grow: str, moves: dict[int, int]) -> None:
    """The command timed: a step change on a history of step changes (``moves``: how many each
    participant has made, so where it is), a meeting record on one of meetings, else a note."""
    if grow in ("meetings", "anchored"):
        meetings.record_meeting(ctx, pid, "individual", ["coach:anna", "af:eva"])
    elif grow == "steps":
        moves[pid] = moves.get(pid, 0) + 1
        service.fire(ctx, pid, "to_b" if moves[pid] % 2 else "to_a")
    else:
        service.fire(ctx, pid, "note")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--blocks", type=int, default=60)
    parser.add_argument("--db", default=None, help="a PostgreSQL URL (a schema of its own is made and dropped)")
    parser.add_argument("--grow", choices=["attributes", "transitions", "steps", "meetings", "anchored"],
                        default="attributes",
                        help="what the history is made of: attribute changes (default), transitions that move "
                             "no step, step changes (then the transition timed is a step change too), "
                             "meeting records (then a meeting record is timed), or meeting records that a "
                             "repeating deadline waits for (anchored: the planner reads them)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp, bench_database(tmp, args.db) as engine:
        folder = workflows_folder(tmp, bench=WORKFLOW, cycle=CYCLE, anchored=ANCHORED)
        clock = FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
        ctx = service_context(engine, folder, clock)
        shorts = [_participant(ctx, clock, 10, args.grow) for _ in range(args.blocks)]
        long = _participant(ctx, clock, 200, args.grow)
        moves = {pid: 9 for pid in shorts} | {long: 199}  # the step changes each made
        statements: list[str] = []
        event.listen(engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        ratios, short_ms, long_ms, counts = [], [], [], []
        for short in shorts:
            clock.advance(**({"days": 1} if args.grow == "steps" else {"minutes": 30}))
            statements.clear()
            t0 = time.perf_counter()
            _step(ctx, short, args.grow, moves)
            t1 = time.perf_counter()
            n_short = len(statements)
            statements.clear()
            _step(ctx, long, args.grow, moves)
            t2 = time.perf_counter()
            counts.append((n_short, len(statements)))
            short_ms.append((t1 - t0) * 1000)
            long_ms.append((t2 - t1) * 1000)
            ratios.append((t2 - t1) / (t1 - t0))
        print(f"database: {engine.dialect.name}; blocks: {args.blocks}; history of {args.grow}")
        print(f"transition with 10 events:  {statistics.median(short_ms):.2f} ms (median)")
        print(f"transition with 200 events: {statistics.median(long_ms):.2f} ms (median)")
        print(f"ratio 200/10 (median of per-block ratios): {statistics.median(ratios):.2f}")
        print(f"SQL statements per transition (10 / 200 events): {sorted(set(counts))}")


if __name__ == "__main__":
    main()
