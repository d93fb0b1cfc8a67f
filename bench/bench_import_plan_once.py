"""Would planning an import line's deadlines once, at its end, leave the rows the per-event path leaves?

Issue 10 asks for an import with "deadlines planned once per line at the end". A line's use cases
reconcile its deadline rows after every event that can change the plan (``services.deadlines.reconcile``;
events that cannot are skipped already, ``engine.deadlines.leaves_plan``). This experiment (not a
timing) imports the same files twice into two fresh SQLite databases — per event, as
``tests/integration/test_import_bulk.py`` does, and with the reconcile of every use case after the
enrolment put off to one reconcile from the line's final state just before its catch-up — and counts,
per file, how the deadline rows differ (by participant and key), and whether any other table does:
the shipped workflows' walks, then ``--examples`` generated files of the clocks workflow (rules
started, paused, resumed, met, cancelled, missed within the line).

    python bench/bench_import_plan_once.py --examples 80
"""

from __future__ import annotations

import argparse
import collections
import json
import shutil
import sys
import tempfile
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))  # the tests' helpers: the per-event import and the clocks workflow

import yaml  # noqa: E402
from hypothesis import HealthCheck, Phase, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import pathway.services.deadlines as deadlines_service  # noqa: E402
import pathway.services.importer as importer  # noqa: E402
import pathway.services.meetings as meetings  # noqa: E402
import pathway.services.participants as participants  # noqa: E402
import pathway.services.records as records  # noqa: E402
from pathway.clock import FixedClock  # noqa: E402
from pathway.services.context import ServiceContext  # noqa: E402
from pathway.store import make_engine  # noqa: E402
from pathway.store.bulk import LineUnitOfWork  # noqa: E402
from pathway.store.migrate import upgrade  # noqa: E402
from tests.integration.conftest import make_context  # noqa: E402
from tests.integration.test_import import WALKS, _walk_as_line  # noqa: E402
from tests.integration.test_import_bulk import CLOCKS, NOW, clock_lines, per_event_import, rows  # noqa: E402

_reconcile = deadlines_service.reconcile
_catch_up = deadlines_service.catch_up
_pending: dict[int, Any] = {}


def _put_off(uow: Any, participant: Any, definition: Any, typed: Any) -> None:
    """A bulk line's reconcile after its enrolment: remembered, made once at the line's end."""
    if isinstance(uow, LineUnitOfWork) and participant.id is not None and participant.new_events:
        _pending[participant.id] = definition
        return
    _reconcile(uow, participant, definition, typed)


def _planned_once_then_caught_up(ctx: ServiceContext, participant_id: int, now: datetime) -> int:
    definition = _pending.pop(participant_id, None)
    if definition is not None:
        with ctx.uow() as uow:
            participant = uow.participants.get(participant_id)
            _reconcile(uow, participant, definition, participants.typed_attributes(ctx, uow, participant))
            uow.commit()
    return _catch_up(ctx, participant_id, now)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=80, help="generated files of the clocks workflow")
    args = parser.parse_args()
    for module in (participants, records, meetings):  # the use cases that reconcile within a line
        module.reconcile = _put_off  # type: ignore[assignment]
    importer.deadlines = type("PlannedOnce", (), {"catch_up": staticmethod(_planned_once_then_caught_up)})  # type: ignore[assignment]

    with tempfile.TemporaryDirectory() as scratch:
        tmp = Path(scratch)
        template = tmp / "template.db"
        engine = make_engine(f"sqlite:///{template}")
        upgrade(engine)
        engine.dispose()
        folder = tmp / "workflows"
        folder.mkdir()
        (folder / "clocks.yaml").write_text(CLOCKS, encoding="utf-8")
        for workflow in (REPO / "workflows").glob("*.yaml"):
            shutil.copy(workflow, folder)
        differences: collections.Counter[str] = collections.Counter()
        files = [0, 0]  # compared, identical

        def compare(lines: list[dict[str, Any]], now: datetime) -> None:
            path = tmp / "lines.jsonl"
            path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
            engines = []
            for k in range(2):
                shutil.copyfile(template, tmp / f"db{k}.db")
                engines.append(make_engine(f"sqlite:///{tmp / f'db{k}.db'}"))
            try:
                refused = per_event_import(make_context(engines[0], folder, FixedClock(now)), path)
                result = importer.import_file(make_context(engines[1], folder, FixedClock(now)), path)
                assert not refused and result.ok, (refused, result.errors)
                per_event, once = rows(engines[0]), rows(engines[1])
            finally:
                for made in engines:
                    made.dispose()
            found: set[str] = set()
            found |= {f"table {t} (catch-up events follow the rows' order)" for t in per_event
                      if t != "deadlines" and per_event[t] != once[t]}
            by_key = [{(r["participant_id"], r["key"]): r for r in side["deadlines"]} for side in (per_event, once)]
            found |= {f"a row only per event ({by_key[0][k]['status']})" for k in by_key[0].keys() - by_key[1].keys()}
            found |= {"a row only when planned once" for _ in by_key[1].keys() - by_key[0].keys()}
            found |= {f"column {c}" for k in by_key[0].keys() & by_key[1].keys() for c in by_key[0][k]
                      if c != "id" and by_key[0][k][c] != by_key[1][k][c]}
            if list(by_key[0]) != list(by_key[1]):
                found.add("the rows' order (their ids)")
            differences.update(found)
            files[0] += 1
            files[1] += not found

        walks = []
        for script_path in sorted(WALKS.glob("*.yaml")):
            script = yaml.safe_load(script_path.read_text(encoding="utf-8"))
            walks += [_walk_as_line(script["workflow"], walk, n) for n, walk in enumerate(script["walks"], start=1)]
        compare(walks, datetime(2028, 1, 1, tzinfo=timezone.utc))
        print(f"shipped walks ({len(walks)} lines, one file): {dict(differences) or 'identical'}")
        differences.clear()
        files[:] = [0, 0]

        @settings(max_examples=args.examples, deadline=None, phases=[Phase.generate],
                  suppress_health_check=list(HealthCheck))
        @given(st.lists(st.integers(), min_size=1, max_size=4).flatmap(
            lambda refs: st.tuples(*(clock_lines(f"C-{n}") for n in range(len(refs))))))
        def generated(lines: tuple[dict[str, Any], ...]) -> None:
            compare(list(lines), NOW)

        generated()
        print(f"generated files: {files[0]}, identical: {files[1]}; files with each difference: {dict(differences)}")


if __name__ == "__main__":
    main()
