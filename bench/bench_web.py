#!/usr/bin/env python
"""The web app against the service calls it wraps: p50/p95 of the participant page, the fire form's
post and the caseload page, each as a ratio to the same service calls made directly.

Set-up (not timed): a fresh database (a SQLite file in a temporary directory, or with ``--db
postgresql+psycopg://…`` a fresh schema ``bench_web``, dropped first), the shipped workflows, two
users (a caseworker and a coordinator) and N participants enrolled on Kraft through the services.
With ``--bulk`` (for 100 000: enrolling that many through the services takes far too long) one
participant is enrolled through the services and N-1 copies of its rows (participant, events,
deadlines, responsible caseworker) are written with Core ``executemany``, as bench_reports.py
loads its data; the caseworker holds one participant in 200 and 199 other caseworkers the rest,
so the coordinator sees all N and the caseworker a realistic caseload.

Passes, interleaved sample by sample so load on the machine hits both alike:

* **participant page** — ``GET /participants/ID`` (session lookup, show, history, the form
  generation, Jinja2 rendering, headers) through the in-process ASGI client, against
  ``participants.show`` + ``participants.history`` as the same user.
* **fire post** — ``POST /participants/ID/fire/assess`` (CSRF check, the fire, the one-time message,
  the redirect; the redirect is not followed) against ``participants.fire``, each on a participant
  still in its first step.
* **caseload page** — ``GET /today`` against the service calls it makes (``ownership.today`` and
  ``ownership.caseload_page``: the first page of the caseworker's participants); **caseload page 5**
  the same on ``?page=5``; **coordinator caseload** — ``GET /today`` as the coordinator (every
  participant of the project, paged, plus the load per caseworker: ``ownership.workload``).
* **harness** — ``GET /static/style.css``: what the in-process test client itself costs per request
  (a thread hop and a portal per call), with no pathway code; reported so the ratios can be read
  with and without it (``ratio_p50_net``: web minus harness, over service).

Run:  .venv/bin/python bench/bench_web.py --n 2000 --samples 100 [--db postgresql+psycopg://postgres@127.0.0.1:5432/test]
      .venv/bin/python bench/bench_web.py --n 100000 --bulk --samples 60 --db postgresql+psycopg://…
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.memory import environment  # noqa: E402


def _engine(db: str | None, tmp: Path) -> Any:
    from sqlalchemy import create_engine, text

    from pathway.store import make_engine
    from pathway.store.migrate import upgrade

    if db is None:
        engine = make_engine(f"sqlite:///{tmp / 'bench_web.db'}")
    else:
        admin = create_engine(db)
        with admin.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS bench_web CASCADE"))
            conn.execute(text("CREATE SCHEMA bench_web"))
        admin.dispose()
        engine = create_engine(db, connect_args={"options": "-csearch_path=bench_web"})
    upgrade(engine)
    return engine


def _percentiles(samples: list[float]) -> dict[str, float]:
    ordered = sorted(samples)
    p95 = ordered[min(len(ordered) - 1, int(round(0.95 * (len(ordered) - 1))))]
    return {"p50_ms": round(statistics.median(ordered) * 1000, 2), "p95_ms": round(p95 * 1000, 2)}


def _time(call: Callable[[], Any]) -> float:
    start = time.perf_counter()
    call()
    return time.perf_counter() - start


def _bulk_copies(engine: Any, proto: int, n: int, holders: list[int], anna_id: int) -> list[int]:
    """N-1 copies of participant ``proto``'s rows, written with Core executemany; returns the ids
    the caseworker (``anna_id``) holds. Participant i is held by anna when i % 200 == 0."""
    from sqlalchemy import select, text

    from pathway.store.tables import assignments, deadlines, events, participants

    with engine.connect() as conn:
        person = dict(conn.execute(select(participants).where(participants.c.id == proto)).mappings().one())
        history = [dict(r) for r in conn.execute(select(events).where(events.c.participant_id == proto)).mappings()]
        plan = [dict(r) for r in conn.execute(select(deadlines).where(deadlines.c.participant_id == proto)).mappings()]
    for row in history + plan:
        row.pop("id", None)
    mine = [proto]
    chunk = 5000
    with engine.begin() as conn:
        for start in range(1, n, chunk):
            p_rows, e_rows, d_rows, a_rows = [], [], [], []
            for i in range(start, min(n, start + chunk)):
                pid = proto + i
                p_rows.append({**person, "id": pid, "ref": f"B-{i}"})
                for e in history:
                    data = dict(e["data"] or {})
                    if "ref" in data:
                        data["ref"] = f"B-{i}"
                    e_rows.append({**e, "participant_id": pid, "data": data})
                d_rows.extend({**d, "participant_id": pid} for d in plan)
                holder = anna_id if i % 200 == 0 else holders[i % len(holders)]
                if holder == anna_id:
                    mine.append(pid)
                a_rows.append({"participant_id": pid, "slot": "responsible", "user_id": holder,
                               "assigned_at": person["enrolled_at"]})
            conn.execute(participants.insert(), p_rows)
            conn.execute(events.insert(), e_rows)
            if d_rows:
                conn.execute(deadlines.insert(), d_rows)
            conn.execute(assignments.insert(), a_rows)
        if engine.dialect.name == "postgresql":
            for table in ("participants", "events", "deadlines"):
                conn.exec_driver_sql(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), "
                                     f"(SELECT max(id) FROM {table}))")
    with engine.connect() as conn:
        conn.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE"))
    return mine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="participants enrolled before timing")
    parser.add_argument("--samples", type=int, default=100, help="timed samples of each pass")
    parser.add_argument("--db", help="PostgreSQL URL (default: a SQLite file)")
    parser.add_argument("--bulk", action="store_true", help="load N-1 copies of one enrolled participant "
                        "with Core inserts (199 more caseworkers share them) instead of enrolling N")
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from pathway.clock import FixedClock
    from pathway.config import Settings
    from pathway.domain.users import User
    from pathway.services import accounts, participants
    from pathway.services import ownership
    from pathway.services.catalog import WorkflowCatalog
    from pathway.services.context import ServiceContext
    from pathway.store import SqlUnitOfWork
    from pathway.web.app import create_app

    tmp = Path(tempfile.mkdtemp())
    engine = _engine(args.db, tmp)
    clock = FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    base = ServiceContext(uow=lambda: SqlUnitOfWork(engine), catalog=WorkflowCatalog(ROOT / "workflows", clock),
                          clock=clock, actor="bench")
    with base.uow() as uow:
        people = [("anna", "soc", {"caseworker"}), ("cia", "coordination", {"coordinator"})]
        if args.bulk:
            people += [(f"cw{k}", "soc", {"caseworker"}) for k in range(199)]
        for login, agency, roles in people:
            uow.users.add(User(login, login.title(), agency, frozenset(roles), frozenset({"kraft"})), clock.now())
        uow.commit()
        anna, cia = uow.users.get_by_login("anna"), uow.users.get_by_login("cia")
        holders = [u.id or 0 for u in uow.users.all() if u.login.startswith("cw")]
    assert anna is not None and cia is not None
    ctx = dataclasses.replace(base, actor="anna", user=anna)
    coordinator = dataclasses.replace(base, actor="cia", user=cia)
    attributes = {"gender": "female", "birth_date": "1985-04-02", "referring_agency": "soc"}
    started = time.perf_counter()
    if args.bulk:
        proto = participants.enrol(ctx, "kraft", ref="B-0", attributes=attributes)[0]
        ids = _bulk_copies(engine, proto, args.n, holders, anna.id or 0)
    else:
        ids = [participants.enrol(ctx, "kraft", ref=f"B-{n}", attributes=attributes)[0] for n in range(args.n)]
    setup_seconds = time.perf_counter() - started
    accounts.set_password(base, "anna", "bench password 123")
    accounts.set_password(base, "cia", "bench password 123")

    settings = Settings(database_url="sqlite://", workflows=ROOT / "workflows", web_secure_cookies=False,
                        web_session_idle_minutes=10_000)
    app = create_app(settings, services=base)

    def signed_in(login: str) -> tuple[Any, str]:
        client = TestClient(app)
        page = client.get("/login")
        token = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
        assert client.post("/login", data={"login": login, "password": "bench password 123", "_csrf": token},
                           follow_redirects=False).status_code == 303
        return client, re.search(r'name="_csrf" value="([^"]+)"', client.get("/today").text).group(1)  # type: ignore[union-attr]

    client, csrf = signed_in("anna")
    cia_client, _ = signed_in("cia")
    size = ownership.PAGE_SIZE
    passes = ("participant_page", "fire_post", "caseload_page", "caseload_page_5", "coordinator_caseload")
    results: dict[str, dict[str, list[float]]] = {k: {"web": [], "service": []} for k in passes}
    # warm-up
    client.get(f"/participants/{ids[0]}")
    participants.show(ctx, ids[0])
    fire_pool = iter(ids[1:])
    harness: list[float] = []
    for i in range(args.samples):
        pid = ids[(i * 7919) % len(ids)]
        results["participant_page"]["web"].append(_time(lambda: _ok(client.get(f"/participants/{pid}"))))
        results["participant_page"]["service"].append(
            _time(lambda: (participants.show(ctx, pid), participants.history(ctx, pid))))
        web_pid, service_pid = next(fire_pool), next(fire_pool)
        results["fire_post"]["web"].append(_time(lambda: _redirected(client.post(
            f"/participants/{web_pid}/fire/assess", data={"_csrf": csrf}, follow_redirects=False))))
        results["fire_post"]["service"].append(_time(lambda: participants.fire(ctx, service_pid, "assess")))
        if i % 2 == 0:
            results["caseload_page"]["web"].append(_time(lambda: _ok(client.get("/today"))))
            results["caseload_page"]["service"].append(_time(lambda: (
                ownership.today(ctx, limit=200), ownership.caseload_page(ctx, limit=size))))
            results["caseload_page_5"]["web"].append(_time(lambda: _ok(client.get("/today?page=5"))))
            results["caseload_page_5"]["service"].append(_time(lambda: (
                ownership.today(ctx, limit=200), ownership.caseload_page(ctx, limit=size, offset=4 * size))))
            results["coordinator_caseload"]["web"].append(_time(lambda: _ok(cia_client.get("/today"))))
            results["coordinator_caseload"]["service"].append(_time(lambda: (
                ownership.today(coordinator, limit=200), ownership.caseload_page(coordinator, limit=size),
                ownership.workload(coordinator))))
        harness.append(_time(lambda: _ok(client.get("/static/style.css"))))
    summary: dict[str, Any] = {"harness": _percentiles(harness)}
    floor = summary["harness"]["p50_ms"]
    for name, timed in results.items():
        web, service = _percentiles(timed["web"]), _percentiles(timed["service"])
        summary[name] = {"web": web, "service": service, "samples": len(timed["web"]),
                         "ratio_p50": round(web["p50_ms"] / service["p50_ms"], 2),
                         "ratio_p95": round(web["p95_ms"] / service["p95_ms"], 2),
                         "ratio_p50_net": round((web["p50_ms"] - floor) / service["p50_ms"], 2)}
    out = {"n": args.n, "bulk": args.bulk, "backend": "postgresql" if args.db else "sqlite",
           "setup_seconds": round(setup_seconds, 1), "load_average": [round(x, 2) for x in os.getloadavg()],
           "results": summary, "environment": environment()}
    print(json.dumps(out, indent=2))
    results_dir = ROOT / "bench" / "results"
    results_dir.mkdir(exist_ok=True)
    (results_dir / f"web-{out['backend']}-{args.n}.json").write_text(json.dumps(out, indent=2))


def _ok(response: Any) -> None:
    assert response.status_code == 200, response.text[:500]


def _redirected(response: Any) -> None:
    assert response.status_code == 303, response.text[:500]


if __name__ == "__main__":
    main()
