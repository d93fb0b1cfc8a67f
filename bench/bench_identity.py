"""What encrypting the personal identity number costs, and whether finding a person stays flat.

Usage: python bench/bench_identity.py [--n N]

* enrolment with ``--personnummer`` (parse, keyed-hash look-up of duplicates and circulation,
  Fernet encryption, identity row) against enrolment without a number, through the services on a
  temporary SQLite file, one unit of work each as the CLI does: the ratio is the identity's cost;
* the identity primitives alone: Fernet encrypt + HMAC per number against a plain SHA-256;
* ``person find`` (one indexed hash look-up) at N and at 10 N identities: flat if the index is used.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "src"))
sys.path.insert(0, str(REPO))

from bench.memory import environment  # noqa: E402
from pathway.clock import FixedClock  # noqa: E402
from pathway.domain.identity import luhn_check_digit  # noqa: E402
from pathway.services import person  # noqa: E402
from pathway.services.catalog import WorkflowCatalog  # noqa: E402
from pathway.services.context import ServiceContext  # noqa: E402
from pathway.services.participants import enrol  # noqa: E402
from pathway.store import SqlUnitOfWork, make_engine # noqa: E402
from pathway.store.identity_crypto import IdentityKeys, new_key  # noqa: E402
from pathway.store.migrate import upgrade  # noqa: E402

WORKFLOW = """\
id: bench
version: 1
title: Bench
roles: [{id: coach, title: Coach}]
attributes:
  gender: {type: choice, choices: [female, male]}
  birth_date: {type: date}
steps:
  - {id: start, title: Start, kind: referral, owner: coach, initial: true, limit: {within: 14d}}
  - {id: done, title: Klar, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: exit, from: "*", to: done, data: {reason: {type: exit_reason, required: true}}}
exit_reasons: [{code: work, label: Arbete, category: work}]
"""


def number(i: int) -> str:
    """A valid 10-digit number for person i (born 1950–1999)."""
    serial = f"{i % 1000:03d}"
    birth = f"{50 + i // 1000 % 50:02d}{(i // 28) % 12 + 1:02d}{i % 28 + 1:02d}"
    nine = birth + serial
    return nine + str(luhn_check_digit(nine))


def context(folder: Path, keys: IdentityKeys) -> ServiceContext:
    engine = make_engine(f"sqlite:///{folder / 'bench.db'}")
    upgrade(engine)
    workflows = folder / "workflows"
    workflows.mkdir(exist_ok=True)
    (workflows / "bench.yaml").write_text(WORKFLOW, encoding="utf-8")
    clock = FixedClock(datetime(2026, 3, 2, 9, tzinfo=timezone.utc))
    return ServiceContext(uow=lambda: SqlUnitOfWork(engine, keys), catalog=WorkflowCatalog(workflows, clock),
                          clock=clock, actor="bench")


def timed(run, count: int) -> float:  # type: ignore[no-untyped-def]
    start = time.perf_counter()
    for i in range(count):
        run(i)
    return (time.perf_counter() - start) / count * 1e6


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--n", type=int, default=500)
    n = parser.parse_args().n
    keys = IdentityKeys(new_key())
    result: dict[str, object] = {"n": n, "environment": environment()}
    with tempfile.TemporaryDirectory() as tmp:
        ctx = context(Path(tmp), keys)
        enrol(ctx, "bench")  # registers the workflow version
        plain = timed(lambda i: enrol(ctx, "bench", attributes={"gender": "female"}), n)
        with_number = timed(lambda i: enrol(ctx, "bench", personnummer=number(i)), n)
        result["enrol_us"] = {"without_number": round(plain), "with_number": round(with_number),
                              "ratio": round(with_number / plain, 2)}
        find_small = timed(lambda i: person.find(ctx, number(i % n)), 200)
        for i in range(n, 10 * n):  # grow the identity table tenfold with plain inserts via the service
            enrol(ctx, "bench", personnummer=number(i))
        find_large = timed(lambda i: person.find(ctx, number(i % n)), 200)
        result["person_find_us"] = {"identities": [n, 10 * n], "us": [round(find_small), round(find_large)],
                                    "ratio_10x": round(find_large / find_small, 2)}
    crypto = timed(lambda i: (keys.encrypt(number(i)), keys.lookup_hash(number(i))), 5000)
    floor = timed(lambda i: hashlib.sha256(number(i).encode()).hexdigest(), 5000)
    result["primitives_us"] = {"fernet_plus_hmac": round(crypto, 1), "sha256_floor": round(floor, 1),
                               "ratio": round(crypto / floor, 1)}
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
