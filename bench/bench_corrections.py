#!/usr/bin/env python
"""What reading the corrected history costs the reports: each event-reading report with the
struck-event anti-join (``reports.scope.not_struck``) against the same report with it switched off,
on the bench_reports database (N participants, 10 N events), with and without corrections.

Passes, in one process, on one database:

* **plain** — ``not_struck`` replaced by ``true()`` in every report module: the reports as they were
  before corrections existed (the floor of this comparison);
* **corrected, none struck** — the real reports, ``struck_events`` empty (the usual case);
* **corrected, 1 % struck** — after striking one transition of 1 % of the participants.

Timing: one warm-up, then ``--repeat`` interleaved runs, best reported. Usage:
``python bench/bench_corrections.py --n 20000``.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import bench_reports as br  # noqa: E402

MODULES = ("pathway.reports.scope", "pathway.reports.flow", "pathway.reports.goals",
           "pathway.reports.dimensions", "pathway.reports.exit_events")
REPORTS = ("exits --by reason,gender --with-open (2011)", "goals", "flow", "before-after",
           "participants --active --by intervention")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="participants, at least 100 (default 20000)")
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args(argv)
    if args.n < 100:  # one participant in a hundred is struck: fewer would strike none and measure nothing
        parser.error(f"--n {args.n}: give at least 100 participants (one in every hundred has a transition struck)")

    import importlib

    from sqlalchemy import insert, select, true

    from pathway.bootstrap import bootstrap
    from pathway.config import Settings
    from pathway.services import reporting
    from pathway.store.tables import events, struck_events

    tmp = Path(tempfile.mkdtemp(prefix="pathway-bench-corrections-"))
    (tmp / "workflows").mkdir()
    (tmp / "workflows" / f"{br.WORKFLOW_ID}.yaml").write_text(
        (br.WORKFLOWS / f"{br.WORKFLOW_ID}.yaml").read_text(encoding="utf-8") + br.RULE_YAML, encoding="utf-8")
    br.WORKFLOWS = tmp / "workflows"
    url = f"sqlite:///{tmp / 'reports.db'}"
    try:
        built = br.build(url, args.n, 20090101, False)
        print(f"N={args.n:,}: {built.events:,} events", flush=True)
        ctx = bootstrap(Settings(database_url=url, workflows=br.WORKFLOWS, actor=br.ACTOR, now=br.NOW.isoformat()))
        plans = [r for r in br.reports() if r.name in REPORTS]
        modules = [importlib.import_module(m) for m in MODULES]
        real = {m: m.not_struck for m in modules if hasattr(m, "not_struck")}

        def run(r: Any) -> Any:
            period = r.period or (None, None)
            return reporting.run(ctx, br.WORKFLOW_ID, r.builder(), period_from=period[0], period_to=period[1])

        def switched(off: bool) -> None:
            for module, fn in real.items():
                module.not_struck = (lambda _e: true()) if off else fn

        def best(r: Any, off: bool) -> float:
            switched(off)
            run(r)
            times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                run(r)
                times.append(time.perf_counter() - t0)
            switched(False)
            return min(times)

        rows = [(r.name, best(r, True), best(r, False)) for r in plans]
        with ctx.uow() as uow:  # strike one transition of every hundredth participant
            picked = uow.connection.execute(
                select(events.c.participant_id, events.c.seq).where(events.c.type == "transition",
                                                                    events.c.participant_id % 100 == 0,
                                                                    events.c.seq == 2)).all()
            uow.connection.execute(insert(struck_events), [
                {"participant_id": p, "seq": s, "corrected_by_seq": 99} for p, s in picked])
            uow.connection.commit()
        struck = [best(r, False) for r in plans]
        print(f"\n{'report':48} {'plain s':>9} {'none struck':>12} {'ratio':>6} {'1 % struck':>11} {'ratio':>6}")
        for (name, plain, none), some in zip(rows, struck):
            print(f"{name:48} {plain:9.3f} {none:12.3f} {none / plain:6.2f} {some:11.3f} {some / plain:6.2f}")
        print(f"({len(picked):,} events struck)")
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    main()
