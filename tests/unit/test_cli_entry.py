"""The ``pathway`` command starts with the garbage collector paused and resumes it when the
command's own work begins (pathway.cli.entry): no collection runs while start-up imports, the
collector runs as usual afterwards, and a program calling the CLI in-process is left untouched."""

from __future__ import annotations

import contextlib
import gc
import io
import json
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
KRAFT = str(REPO / "workflows" / "kraft.yaml")

_PROBE = """
import gc, json, sys, contextlib, io
events = []
gc.callbacks.append(lambda phase, info: events.append("collection") if phase == "start" else None)
sys.argv = ["pathway", *ARGS]
from pathway.cli import entry
resume = entry.resume_collection
def watched():
    events.append("resumed" if not gc.isenabled() else "already running")
    resume()
entry.resume_collection = watched
out = io.StringIO()
events.append("main")
with contextlib.redirect_stdout(out):
    try:
        entry.main()
    except SystemExit as done:
        code = done.code
    else:
        code = 0
gc.collect()
print(json.dumps({"events": events, "enabled": gc.isenabled(), "frozen": gc.get_freeze_count(),
                  "code": code, "out": out.getvalue()}))
"""


def _probe(*args: str) -> dict:  # type: ignore[type-arg]
    done = subprocess.run([sys.executable, "-c", _PROBE.replace("ARGS", repr(list(args)))],
                          capture_output=True, text=True, cwd=REPO, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def test_no_collection_during_start_up_and_the_collector_runs_afterwards() -> None:
    seen = _probe("workflow", "validate", KRAFT)
    assert seen["code"] in (0, None) and seen["out"].startswith("ok: ")
    events = seen["events"]
    assert "resumed" in events
    assert "collection" not in events[events.index("main"):events.index("resumed")]  # none while importing
    assert "collection" in events[events.index("resumed"):]  # the collector works again (gc.collect)
    assert seen["enabled"] and seen["frozen"] > 10_000  # start-up's objects are kept out of its sight


def test_help_and_usage_errors_end_with_the_collector_running() -> None:
    """--version and a usage error end before the root callback: the collector is resumed anyway."""
    for args in (("--version",), ("no-such-command",)):
        seen = _probe(*args)
        assert seen["enabled"], args


def test_an_in_process_caller_is_left_as_it_was(monkeypatch: pytest.MonkeyPatch) -> None:
    """pathway.cli.app.main (what tests and other programs call) neither pauses nor freezes anything."""
    from pathway.cli.app import main

    freezes: list[bool] = []
    monkeypatch.setattr(gc, "freeze", lambda: freezes.append(True))
    monkeypatch.setattr(sys, "argv", ["pathway", "workflow", "validate", KRAFT])
    with contextlib.redirect_stdout(io.StringIO()), pytest.raises(SystemExit) as done:
        main()
    assert done.value.code in (0, None)
    assert gc.isenabled() and not freezes
