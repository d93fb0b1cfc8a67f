#!/usr/bin/env python
"""The web app against the service calls it wraps: p50/p95 of the participant page, the fire form's
post and the caseload page, each as a ratio to the same service calls made directly.

Set-up (not timed): a fresh database (a SQLite file in a temporary directory, or with ``--db
postgresql+psycopg://…`` a fresh schema ``bench_web``, dropped first), the shipped workflows, two
users (a caseworker and a coordinator) and N participants enrolled on Kraft through the services.

Passes, interleaved sample by sample so load on the machine hits both alike:

* **participant page** — ``GET /participants/ID`` (session lookup, show, history, the form
  generation, Jinja2 rendering, headers) through the in-process ASGI client, against
  ``participants.show`` + ``participants.history`` as the same user.
* **fire post** — ``POST /participants/ID/fire/assess`` (CSRF check, the fire, the one-time message,
  the redirect; the redirect is not followed) against ``participants.fire``, each on a participant
  still in its first step.
* **caseload page** — ``GET /today`` against the service calls it makes (``ownership.today`` and
  ``ownership.caseload``: every participant the caseworker is responsible for, here all N).
* **harness** — ``GET /static/style.css``: what the in-process test client itself costs per request
  (a thread hop and a portal per call), with no pathway code; reported so the ratios can be read
  with and without it (``ratio_p50_net``: web minus harness, over service).

Run:  .venv/bin/python bench/bench_web.py --n 2000 --samples 100 [--db postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import dataclasses
import json
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=2000, help="participants enrolled before timing")
    parser.add_argument("--samples", type=int, default=100, help="timed samples of each pass")
    parser.add_argument("--db", help="PostgreSQL URL (default: a SQLite file)")
    args = parser.parse_args()

    from fastapi.testclient import TestClient

    from pathway.clock import FixedClock
    from pathway.config import Settings
    from pathway.domain.users import User
    from pathway.services import accounts, participants
    from pathway.services import ownership
    from pathway.services.catalog import WorkflowCatalog
    from pathway.services.context import ServiceContext
    from pathway.store import SqlUnitOfWork, session_factory
    from pathway.web.app import create_app

    tmp = Path(tempfile.mkdtemp())
    engine = _engine(args.db, tmp)
    clock = FixedClock(datetime(2026, 3, 2, 8, 0, tzinfo=timezone.utc))
    sessions = session_factory(engine)
    base = ServiceContext(uow=lambda: SqlUnitOfWork(sessions), catalog=WorkflowCatalog(ROOT / "workflows", clock),
                          clock=clock, actor="bench")
    with base.uow() as uow:
        for login, agency, roles in (("anna", "soc", {"caseworker"}), ("cia", "coordination", {"coordinator"})):
            uow.users.add(User(login, login.title(), agency, frozenset(roles), frozenset({"kraft"})), clock.now())
        uow.commit()
        anna = uow.users.get_by_login("anna")
    ctx = dataclasses.replace(base, actor="anna", user=anna)
    attributes = {"gender": "female", "birth_date": "1985-04-02", "referring_agency": "soc"}
    started = time.perf_counter()
    ids = [participants.enrol(ctx, "kraft", ref=f"B-{n}", attributes=attributes)[0] for n in range(args.n)]
    setup_seconds = time.perf_counter() - started
    accounts.set_password(base, "anna", "bench password 123")

    settings = Settings(database_url="sqlite://", workflows=ROOT / "workflows", web_secure_cookies=False,
                        web_session_idle_minutes=10_000)
    client = TestClient(create_app(settings, services=base))
    page = client.get("/login")
    token = re.search(r'name="_csrf" value="([^"]+)"', page.text).group(1)  # type: ignore[union-attr]
    assert client.post("/login", data={"login": "anna", "password": "bench password 123", "_csrf": token},
                       follow_redirects=False).status_code == 303
    csrf = re.search(r'name="_csrf" value="([^"]+)"', client.get("/today").text).group(1)  # type: ignore[union-attr]

    results: dict[str, dict[str, list[float]]] = {k: {"web": [], "service": []}
                                                   for k in ("participant_page", "fire_post", "caseload_page")}
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
        if i % 5 == 0:  # the caseload page is long (every open participant): fewer samples
            results["caseload_page"]["web"].append(_time(lambda: _ok(client.get("/today"))))
            results["caseload_page"]["service"].append(_time(lambda: (ownership.today(ctx), ownership.caseload(ctx))))
        harness.append(_time(lambda: _ok(client.get("/static/style.css"))))
    summary: dict[str, Any] = {"harness": _percentiles(harness)}
    floor = summary["harness"]["p50_ms"]
    for name, passes in results.items():
        web, service = _percentiles(passes["web"]), _percentiles(passes["service"])
        summary[name] = {"web": web, "service": service, "samples": len(passes["web"]),
                         "ratio_p50": round(web["p50_ms"] / service["p50_ms"], 2),
                         "ratio_p95": round(web["p95_ms"] / service["p95_ms"], 2),
                         "ratio_p50_net": round((web["p50_ms"] - floor) / service["p50_ms"], 2)}
    out = {"n": args.n, "backend": "postgresql" if args.db else "sqlite", "setup_seconds": round(setup_seconds, 1),
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
