#!/usr/bin/env python
"""Where a transition's time goes: the same write through four layers, in one process.

Each layer performs the same transaction per operation on its own fresh SQLite file with the
engine's pragmas (WAL, synchronous=NORMAL, BEGIN IMMEDIATE): read the participant row, insert
one event, update the participant with the version check, commit.

* ``raw``   — DB-API (sqlite3) with hand-written SQL: the floor.
* ``core``  — SQLAlchemy Core statements on a Connection.
* ``store`` — pathway's unit of work alone: ``participants.get``, ``Participant.record`` of a
  transition event, ``commit()`` (statements compiled once, on the DB-API cursor; version-checked
  UPDATE). Until issue 10 this layer was the ORM (session.get, flush with version_id_col).
* ``service`` — pathway.services.participants.fire: the store plus resolving, the machine, guards,
  typed values and the deadline reconciliation (a workflow without deadlines, so none is planned).

Run:  .venv/bin/python bench/bench_store_layers.py --n 2000
Prints CPU and wall milliseconds per operation and the ratio to ``raw``.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import insert, select, update

from pathway.bootstrap import bootstrap
from pathway.clock import FixedClock
from pathway.config import Settings
from pathway.domain import Event
from pathway.services import participants as service
from pathway.store import SqlUnitOfWork, make_engine
from pathway.store.migrate import upgrade
from pathway.store.tables import events, participants

NOW = datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc)
WORKFLOW = """\
id: layers
version: 1
title: Lager
roles: [{id: coach, title: Coach}]
steps:
  - {id: s0, title: S0, kind: referral, owner: coach, initial: true}
  - {id: s1, title: S1, kind: meeting, owner: coach}
  - {id: done, title: Klar, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: t1, from: s0, to: s1}
  - {trigger: finish, from: [s0, s1], to: done, data: {reason: {type: exit_reason, required: true}}}
exit_reasons: [{code: work, label: Arbete, category: work}]
"""


def _seed(url: str, n: int) -> None:
    engine = make_engine(url)
    upgrade(engine)
    with engine.begin() as conn:
        conn.execute(insert(participants), [
            dict(ref=None, workflow_id="layers", workflow_version=1, step="s0", status="open", attributes={},
                 enrolled_at=NOW, last_step_change_at=NOW, exited_at=None, exit_reason=None, last_seq=0, version=1)
            for _ in range(n)])
    engine.dispose()


def _event_row(pid: int, seq: int) -> dict[str, object]:
    return dict(participant_id=pid, seq=seq, type="transition", trigger="t1", from_step="s0", to_step="s1",
                data={}, actor="bench", effective_at=NOW, recorded_at=NOW, reason=None,
                workflow_id="layers", workflow_version=1)


def raw(url: str, ids: list[int]) -> None:
    connection = make_engine(url).raw_connection()
    cursor = connection.cursor()
    for pid in ids:
        cursor.execute("BEGIN IMMEDIATE")
        cursor.execute("SELECT last_seq, version FROM participants WHERE id = ?", (pid,))
        seq, version = cursor.fetchone()
        cursor.execute(
            "INSERT INTO events (participant_id, seq, type, trigger, from_step, to_step, data, actor, effective_at,"
            " recorded_at, reason, workflow_id, workflow_version) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)",
            (pid, seq + 1, "transition", "t1", "s0", "s1", "{}", "bench", "2026-03-02 08:00:00.000000",
             "2026-03-02 08:00:00.000000", None, "layers", 1))
        cursor.execute("UPDATE participants SET step = ?, last_seq = ?, version = ? WHERE id = ? AND version = ?",
                       ("s1", seq + 1, version + 1, pid, version))
        cursor.execute("COMMIT")
    connection.close()


def core(url: str, ids: list[int]) -> None:
    engine = make_engine(url)
    for pid in ids:
        with engine.begin() as conn:
            row = conn.execute(select(participants.c.last_seq, participants.c.version)
                               .where(participants.c.id == pid)).one()
            conn.execute(insert(events), [_event_row(pid, row.last_seq + 1)])
            done = conn.execute(update(participants)
                                .where(participants.c.id == pid, participants.c.version == row.version)
                                .values(step="s1", last_seq=row.last_seq + 1, version=row.version + 1))
            assert done.rowcount == 1


def store(url: str, ids: list[int]) -> None:
    engine = make_engine(url)
    for pid in ids:
        with SqlUnitOfWork(engine) as uow:
            participant = uow.participants.get(pid)
            assert participant is not None
            participant.record(Event(seq=0, type="transition", trigger="t1", from_step="s0", to_step="s1",
                                     effective_at=NOW, recorded_at=NOW, actor="bench", workflow_id="layers",
                                     workflow_version=1))
            uow.commit()


def service_layer(url: str, ids: list[int], folder: Path) -> None:
    ctx = bootstrap(Settings(database_url=url, workflows=folder, actor="bench"), clock=FixedClock(NOW))
    for pid in ids:
        service.fire(ctx, pid, "t1")


def measure(run: Callable[[], None], n: int) -> tuple[float, float]:
    cpu, wall = time.process_time(), time.perf_counter()
    run()
    return (time.process_time() - cpu) / n * 1000, (time.perf_counter() - wall) / n * 1000


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=2000, help="operations per layer")
    args = parser.parse_args()
    tmp = Path(tempfile.mkdtemp(prefix="pathway-layers-"))
    (tmp / "workflows").mkdir()
    (tmp / "workflows" / "layers.yaml").write_text(WORKFLOW, encoding="utf-8")
    ids = list(range(1, args.n + 1))
    results = {}
    for name in ("raw", "core", "store", "service"):
        url = f"sqlite:///{tmp / name}.db"
        _seed(url, args.n)
        if name == "service":  # register the workflow version the seeded rows point at
            ctx = bootstrap(Settings(database_url=url, workflows=tmp / "workflows", actor="bench"), clock=FixedClock(NOW))
            with ctx.uow() as uow:
                ctx.catalog.register_current(uow, "layers")
                uow.commit()
        runner = {"raw": lambda: raw(url, ids), "core": lambda: core(url, ids), "store": lambda: store(url, ids),
                  "service": lambda: service_layer(url, ids, tmp / "workflows")}[name]
        results[name] = measure(runner, args.n)
    floor_cpu, floor_wall = results["raw"]
    print(f"n={args.n} transitions per layer (SQLite, WAL, synchronous=NORMAL, BEGIN IMMEDIATE)")
    print(f"{'layer':10} {'cpu ms/op':>10} {'wall ms/op':>11} {'cpu ratio':>10} {'wall ratio':>11}")
    for name, (cpu, wall) in results.items():
        print(f"{name:10} {cpu:10.3f} {wall:11.3f} {cpu / floor_cpu:10.1f} {wall / floor_wall:11.1f}")


if __name__ == "__main__":
    main()
