#!/usr/bin/env python
"""A bounded load test of ``pathway serve`` on localhost: U simulated caseworkers at once, zero
errors and zero lost updates expected.

Set-up: a fresh database (SQLite file, or ``--db`` PostgreSQL with a fresh schema ``bench_load``),
U caseworkers with passwords, P participants per caseworker (enrolled by them), and a few shared
participants every user writes to. Then ``pathway serve --workers W`` is started as a subprocess on
127.0.0.1 and each simulated user (a thread with its own HTTP client and session) logs in and runs
``--rounds`` rounds of: the caseload page, a participant page, a consent confirmation on one of its
own participants and one on a shared participant (the contended write, posted with the seq it read).

Bounded: ``--rounds`` per user and ``--timeout`` seconds in all; only 127.0.0.1 is ever contacted;
the server is stopped at the end. Checks:

* errors — any answer other than 200/303, or 409 on a contended write ("someone else changed this
  participant"), is an error; 409s are counted separately and are expected on shared participants;
* lost updates — every confirmation the server answered with a redirect (303) must be in the history:
  the number of ``consent_confirmed`` events equals the number of successful posts, per participant.

Run:  .venv/bin/python bench/load_web.py --users 50 --rounds 10 [--workers 2] [--db postgresql+psycopg://postgres@127.0.0.1:5432/test]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
PASSWORD = "load test password"
CSRF = re.compile(r'name="_csrf" value="([^"]+)"')
SEQ = re.compile(r'action="/participants/(\d+)/consent/confirm".*?name="_seq" value="(\d+)"', re.S)


def _prepare(db_url: str, users: int, per_user: int, shared: int) -> tuple[list[int], dict[str, list[int]]]:
    import dataclasses
    from datetime import datetime, timezone

    from pathway.clock import SystemClock
    from pathway.domain.users import User
    from pathway.services import accounts, participants, records
    from pathway.services.catalog import WorkflowCatalog
    from pathway.services.context import ServiceContext
    from pathway.store import SqlUnitOfWork, make_engine
    from pathway.store.migrate import upgrade

    engine = make_engine(db_url)
    upgrade(engine)
    clock = SystemClock()
    base = ServiceContext(uow=lambda: SqlUnitOfWork(engine), catalog=WorkflowCatalog(ROOT / "workflows", clock),
                          clock=clock, actor="load")
    logins = [f"cw{n:02d}" for n in range(users)]
    with base.uow() as uow:
        for login in logins:
            uow.users.add(User(login, f"Handläggare {login}", "soc", frozenset({"caseworker"}), frozenset({"kraft"})),
                          datetime.now(timezone.utc))
        uow.commit()
    attributes = {"gender": "female", "birth_date": "1985-04-02", "referring_agency": "soc"}
    own: dict[str, list[int]] = {}
    shared_ids: list[int] = []
    for i, login in enumerate(logins):
        accounts.set_password(base, login, PASSWORD)
        with base.uow() as uow:
            user = uow.users.get_by_login(login)
        ctx = dataclasses.replace(base, actor=login, user=user)
        own[login] = []
        for n in range(per_user):
            pid, _ = participants.enrol(ctx, "kraft", ref=f"L-{login}-{n}", attributes=attributes)
            records.give_consent(ctx, pid, ["soc"])
            own[login].append(pid)
        if i < shared:
            pid, _ = participants.enrol(ctx, "kraft", ref=f"L-shared-{i}", attributes=attributes)
            records.give_consent(ctx, pid, ["soc"])
            shared_ids.append(pid)
    engine.dispose()
    return shared_ids, own


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Tally:
    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.status: Counter[str] = Counter()
        self.confirmed: Counter[int] = Counter()
        self.latency: dict[str, list[float]] = {"today": [], "participant": [], "confirm": []}
        self.errors: list[str] = []

    def note(self, kind: str, seconds: float, status: int) -> None:
        with self.lock:
            self.latency[kind].append(seconds)
            self.status[f"{kind} {status}"] += 1


def _user(base: str, login: str, mine: list[int], shared: list[int], rounds: int, stop_at: float, tally: Tally) -> None:
    import httpx

    with httpx.Client(base_url=base, timeout=120) as client:
        try:
            page = client.get("/login")
            token = CSRF.search(page.text).group(1)  # type: ignore[union-attr]
            signed = client.post("/login", data={"login": login, "password": PASSWORD, "_csrf": token})
            if signed.status_code != 303:
                tally.errors.append(f"{login}: login {signed.status_code}")
                return
            for r in range(rounds):
                if time.monotonic() > stop_at:
                    return
                start = time.perf_counter()
                today = client.get("/today")
                tally.note("today", time.perf_counter() - start, today.status_code)
                for pid in (mine[r % len(mine)], shared[(r + hash(login)) % len(shared)]):
                    start = time.perf_counter()
                    shown = client.get(f"/participants/{pid}")
                    tally.note("participant", time.perf_counter() - start, shown.status_code)
                    if shown.status_code != 200:
                        tally.errors.append(f"{login}: participant {pid} {shown.status_code}")
                        continue
                    seq = SEQ.search(shown.text)
                    csrf = CSRF.search(shown.text)
                    start = time.perf_counter()
                    posted = client.post(f"/participants/{pid}/consent/confirm",
                                         data={"_csrf": csrf.group(1), "_seq": seq.group(2)})  # type: ignore[union-attr]
                    tally.note("confirm", time.perf_counter() - start, posted.status_code)
                    if posted.status_code == 303:
                        with tally.lock:
                            tally.confirmed[pid] += 1
                    elif posted.status_code == 409 and pid in shared:
                        pass  # someone else changed it in between: told so, nothing written
                    else:
                        tally.errors.append(f"{login}: confirm {pid} {posted.status_code}")
                if today.status_code != 200:
                    tally.errors.append(f"{login}: today {today.status_code}")
        except Exception as err:  # noqa: BLE001 — counted, not raised: the run must finish
            tally.errors.append(f"{login}: {type(err).__name__}: {err}")


def _confirmations(db_url: str) -> Counter[int]:
    from sqlalchemy import text

    from pathway.store import make_engine

    engine = make_engine(db_url)
    with engine.connect() as conn:
        rows = conn.execute(text("SELECT participant_id, count(*) FROM events WHERE type = 'consent_confirmed' "
                                 "GROUP BY participant_id")).all()
    engine.dispose()
    return Counter({int(pid): int(n) for pid, n in rows})


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=10)
    parser.add_argument("--per-user", type=int, default=3, help="own participants per user")
    parser.add_argument("--shared", type=int, default=5, help="participants every user writes to")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--timeout", type=float, default=600, help="seconds before the users stop")
    parser.add_argument("--db", help="PostgreSQL URL (a fresh schema bench_load); default a SQLite file")
    args = parser.parse_args()

    tmp = Path(tempfile.mkdtemp())
    if args.db:
        from sqlalchemy import create_engine, text

        admin = create_engine(args.db)
        with admin.begin() as conn:
            conn.execute(text("DROP SCHEMA IF EXISTS bench_load CASCADE"))
            conn.execute(text("CREATE SCHEMA bench_load"))
        admin.dispose()
        sep = "&" if "?" in args.db else "?"
        db_url = f"{args.db}{sep}options=-csearch_path%3Dbench_load"
    else:
        db_url = f"sqlite:///{tmp / 'load.db'}"
    started = time.perf_counter()
    shared, own = _prepare(db_url, args.users, args.per_user, args.shared)
    setup = time.perf_counter() - started

    port = _free_port()
    env = {**os.environ, "PATHWAY_DATABASE_URL": db_url, "PATHWAY_WORKFLOWS": str(ROOT / "workflows"),
           "PATHWAY_WEB_SECURE_COOKIES": "false", "PATHWAY_USER": "cw00"}
    env.pop("PATHWAY_NOW", None)
    # the server's messages go to a file: a pipe nobody reads while the users run fills up and stalls it
    server_log = Path(tmp) / "server.log"
    server = subprocess.Popen([sys.executable, "-m", "pathway", "serve", "--port", str(port), "--workers",
                               str(args.workers)], cwd=tmp, env=env, stdout=subprocess.DEVNULL,
                              stderr=server_log.open("w"))
    base = f"http://127.0.0.1:{port}"
    try:
        import httpx

        ready = time.monotonic() + 60
        while True:
            try:
                httpx.get(f"{base}/login", timeout=2)
                break
            except httpx.TransportError:
                if time.monotonic() > ready or server.poll() is not None:
                    raise SystemExit(f"server did not start: {server_log.read_text()[-3000:]}") from None
                time.sleep(0.2)
        tally = Tally()
        stop_at = time.monotonic() + args.timeout
        threads = [threading.Thread(target=_user, args=(base, login, mine, shared, args.rounds, stop_at, tally))
                   for login, mine in own.items()]
        wall = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        wall = time.perf_counter() - wall
    finally:
        server.terminate()
        server.wait(timeout=30)

    stored = _confirmations(db_url)
    lost = {pid: (n, stored.get(pid, 0)) for pid, n in tally.confirmed.items() if stored.get(pid, 0) != n}
    requests = sum(len(v) for v in tally.latency.values())
    out = {
        "backend": "postgresql" if args.db else "sqlite", "users": args.users, "rounds": args.rounds,
        "workers": args.workers, "setup_seconds": round(setup, 1), "wall_seconds": round(wall, 1),
        "requests": requests, "requests_per_second": round(requests / wall, 1) if wall else None,
        "status": dict(sorted(tally.status.items())),
        "latency_ms": {k: {"p50": round(statistics.median(v) * 1000, 1),
                           "p95": round(sorted(v)[int(0.95 * (len(v) - 1))] * 1000, 1)} for k, v in tally.latency.items() if v},
        "successful_writes": sum(tally.confirmed.values()), "errors": tally.errors[:20], "error_count": len(tally.errors),
        "lost_updates": lost,
    }
    print(json.dumps(out, indent=2))
    results = ROOT / "bench" / "results"
    results.mkdir(exist_ok=True)
    (results / f"load-{out['backend']}-{args.users}.json").write_text(json.dumps(out, indent=2))
    if tally.errors or lost:
        print(f"the server's last messages ({server_log}):", file=sys.stderr)
        print("\n".join(server_log.read_text(errors="replace").splitlines()[-40:]), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
