"""Caseworkers against deadline checks: 2 checks and 6 writers at once, on SQLite and PostgreSQL.

Issue 14 measured 10 of 36 caseworker commands refused as "changed by someone else" with two checks
running on PostgreSQL. Here N participants are overdue (each has a missed deadline and an escalation
ladder due); two ``deadlines check`` threads and six caseworker threads start together. Each writer
works on participants of its own (so any conflict it meets was caused by a check) and keeps sending
commands — ``participant set``, ``plan add-goal``, ``participant fire assess`` — until both checks
are done (at least ``--commands`` each). Counted: commands, refusals (``ConcurrentChange``), the
retries of :mod:`pathway.services.retry`, and exactly-once: no (participant, rule, kind, level)
performed twice, and a third check afterwards finds nothing to do.

``--no-retry`` turns the retry off (MAX_RETRIES = 0): the state before issue 14.

    .venv/bin/python bench/bench_contention.py --n 300 [--db sqlite|postgresql|both] [--no-retry]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import tempfile
import threading
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text

from pathway.clock import FixedClock, parse_time
from pathway.errors import ConcurrentChange, PathwayError
from pathway.log import configure_logging
from pathway.services import deadlines, records, retry
from pathway.services.catalog import WorkflowCatalog
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, set_attributes
from pathway.store import SqlUnitOfWork, make_engine
from pathway.store.migrate import upgrade

NOW = "2026-03-02T09:00"
WORKFLOW = """\
id: contention
version: 1
title: Contention
roles:
  - {id: coach, title: Coach}
  - {id: lead, title: Lead}
attributes: {note: {type: string}}
steps:
  - id: referral
    title: Remiss
    kind: referral
    owner: coach
    initial: true
    limit: {within: 14d, escalation: [{after: 0d, to: owner}, {after: 2d, to: lead}, {after: 2d, to: lead}]}
  - {id: mapping, title: Kartläggning, kind: assessment, owner: coach, limit: {within: 20wd}}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: assess, from: referral, to: mapping}
  - {trigger: exit, from: "*", to: exited, data: {reason: {type: exit_reason, required: true}}}
exit_reasons: [{code: work, label: Arbete, category: work}]
"""
WRITERS = 6
CHECKS = 2


@contextmanager
def database(kind: str, folder: Path) -> Iterator[str]:
    """A fresh database URL: a SQLite file, or a PostgreSQL schema dropped afterwards."""
    if kind == "sqlite":
        yield f"sqlite:///{folder / 'contention.db'}"
        return
    base = os.environ.get("PATHWAY_BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
    schema = f"pathway_bench_{uuid.uuid4().hex[:10]}"
    admin = create_engine(base)
    with admin.begin() as conn:
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield f"{base}?options=-csearch_path%3D{schema}"
    finally:
        with admin.begin() as conn:
            conn.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


def context(url: str, workflows: Path, actor: str) -> ServiceContext:
    engine = make_engine(url)
    clock = FixedClock(parse_time(NOW))
    return ServiceContext(uow=lambda: SqlUnitOfWork(engine), catalog=WorkflowCatalog(workflows, clock),
                          clock=clock, actor=actor)


def run(kind: str, n: int, commands: int, use_retry: bool, seed: int) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as tmp, database(kind, Path(tmp)) as url:
        workflows = Path(tmp) / "workflows"
        workflows.mkdir()
        (workflows / "contention.yaml").write_text(WORKFLOW, encoding="utf-8")
        upgrade(make_engine(url))
        setup = context(url, workflows, "setup")
        start = parse_time(NOW) - timedelta(days=40)
        ids = [enrol(setup, "contention", ref=f"C-{i}", at=start, reason="bench history")[0] for i in range(n)]

        retries = [0]
        counting = retry.only_automated_since

        def counted(*args: Any) -> int | None:
            retries[0] += 1
            return counting(*args)

        retry.only_automated_since = counted  # type: ignore[assignment]
        saved_max = retry.MAX_RETRIES
        retry.MAX_RETRIES = saved_max if use_retry else 0
        barrier = threading.Barrier(WRITERS + CHECKS)
        checks_done = threading.Event()
        remaining = [CHECKS]
        lock = threading.Lock()
        results: dict[str, Any] = {"commands": 0, "refused": 0, "refused_other": 0, "actions": 0, "errors": []}

        def checker(number: int) -> None:
            ctx = context(url, workflows, f"scheduler-{number}")
            barrier.wait()
            try:
                done = deadlines.check(ctx, batch=25)
                with lock:
                    results["actions"] += len(done)
            except Exception as err:  # noqa: BLE001 - recorded, the bench goes on
                with lock:
                    results["errors"].append(f"check: {type(err).__name__}: {err}")
            finally:
                with lock:
                    remaining[0] -= 1
                    if remaining[0] == 0:
                        checks_done.set()

        def writer(number: int) -> None:
            ctx = context(url, workflows, f"caseworker-{number}")
            mine = ids[number::WRITERS]
            rng = random.Random(seed + number)
            barrier.wait()
            sent = 0
            while sent < commands or not checks_done.is_set():
                pid = rng.choice(mine)
                choice = sent % 3
                try:
                    if choice == 0:
                        set_attributes(ctx, pid, {"note": f"w{number}-{sent}"})
                    elif choice == 1:
                        records.add_goal(ctx, pid, f"goal {sent} from writer {number}")
                    else:
                        try:
                            fire(ctx, pid, "assess")
                        except PathwayError as err:
                            if isinstance(err, ConcurrentChange):
                                raise
                            set_attributes(ctx, pid, {"note": f"w{number}-{sent}-moved"})
                    outcome = "ok"
                except ConcurrentChange:
                    outcome = "refused"
                except PathwayError as err:
                    outcome = "other"
                    with lock:
                        results["errors"].append(f"writer: {err.message}")
                with lock:
                    results["commands"] += 1
                    results["refused"] += outcome == "refused"
                    results["refused_other"] += outcome == "other"
                sent += 1
                time.sleep(rng.uniform(0, 0.01))

        threads = [threading.Thread(target=checker, args=(i,)) for i in range(CHECKS)]
        threads += [threading.Thread(target=writer, args=(i,)) for i in range(WRITERS)]
        began = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        seconds = time.perf_counter() - began
        retry.only_automated_since = counting  # type: ignore[assignment]
        retry.MAX_RETRIES = saved_max

        after = deadlines.check(context(url, workflows, "scheduler-after"))
        engine = make_engine(url)
        with engine.connect() as conn:
            duplicates = conn.execute(text(
                "SELECT count(*) FROM (SELECT participant_id, type, data ->> 'rule', data ->> 'level', count(*) AS c "
                "FROM events WHERE type IN ('reminder', 'deadline_missed', 'escalated') "
                "GROUP BY participant_id, type, data ->> 'rule', data ->> 'level' HAVING count(*) > 1) AS d"
            )).scalar_one()
            automated = conn.execute(text(
                "SELECT count(*) FROM events WHERE type IN ('reminder', 'deadline_missed', 'escalated')")).scalar_one()
        engine.dispose()
        return {"db": kind, "participants": n, "retry": use_retry, "seconds": round(seconds, 2), **results,
                "retries": retries[0], "check_actions_in_history": automated, "duplicate_actions": duplicates,
                "left_for_a_third_check": len(after), "errors": results["errors"][:5]}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--n", type=int, default=300, help="overdue participants")
    parser.add_argument("--commands", type=int, default=6, help="commands per writer at least")
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--no-retry", action="store_true", help="measure without services.retry")
    parser.add_argument("--seed", type=int, default=14)
    args = parser.parse_args(argv)
    configure_logging("warning")
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    out = []
    for kind in kinds:
        result = run(kind, args.n, args.commands, not args.no_retry, args.seed)
        out.append(result)
        print(json.dumps(result, ensure_ascii=False))
    folder = Path(__file__).parent / "results"
    folder.mkdir(exist_ok=True)
    stamp = time.strftime("%Y%m%dT%H%M%S")
    (folder / f"contention-{stamp}.json").write_text(json.dumps(out, indent=2, ensure_ascii=False), encoding="utf-8")
    bad = any(r["duplicate_actions"] or r["errors"] for r in out)
    return 1 if bad else 0


if __name__ == "__main__":
    raise SystemExit(main())
