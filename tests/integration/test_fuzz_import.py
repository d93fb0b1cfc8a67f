"""Property-based (hypothesis), on SQLite and PostgreSQL: an import file of generated lines is
imported whole, or refused with every failing line reported and nothing written."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Engine

from pathway.services.context import ServiceContext
from pathway.services.importer import import_file

from .conftest import snapshot

VALUES = st.one_of(st.none(), st.booleans(), st.integers(min_value=-10**30, max_value=10**30),
                   st.floats(allow_nan=False), st.sampled_from(["female", "male", "work", "yes", "2026-01-05",
                                                                 "19811218-9876", "\x1b[2J", "a\x00b", "x" * 300]),
                   st.text(max_size=12))
TIMES = st.sampled_from(["2026-01-05", "2026-01-06T10:00", "0001-01-01", "9999-12-31T23:59-12:00", "2027-01-01",
                         "2026-13-01", "", "2025-12-31"])
EVENTS = st.lists(st.one_of(
    st.fixed_dictionaries({"trigger": st.sampled_from(["assess", "place", "exit", "nope"]), "at": TIMES},
                          optional={"data": st.dictionaries(st.sampled_from(["track", "reason"]), VALUES, max_size=2)}),
    st.fixed_dictionaries({"set": st.dictionaries(st.sampled_from(["ready", "hours", "gender", "unknown"]), VALUES,
                                                  max_size=2), "at": TIMES}),
), max_size=3)
LINES = st.fixed_dictionaries(
    {"ref": st.one_of(st.text(min_size=1, max_size=8).map(lambda s: "F-" + s), st.sampled_from(["LU 19811218-9876", "R" * 101])),
     "workflow": st.sampled_from(["demo", "demo", "missing"]), "enrolled_at": TIMES},
    optional={"attributes": st.dictionaries(st.sampled_from(["gender", "ready", "hours", "start_date"]), VALUES,
                                            max_size=3),
              "events": EVENTS, "exit": st.fixed_dictionaries({"at": TIMES, "reason": st.sampled_from(["work", "moved"])})},
)


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(st.lists(st.one_of(LINES.map(json.dumps), st.text(max_size=30)), min_size=1, max_size=3))
def test_an_import_is_all_or_nothing_for_any_lines(ctx: ServiceContext, engine: Engine, tmp_path: Path,
                                                   lines: list[Any]) -> None:
    """Generated lines (valid, malformed, beyond the limits): committed whole, or nothing written."""
    path = tmp_path / "fuzz.jsonl"
    path.write_text("\n".join(line.replace("\n", " ") for line in lines) + "\n", encoding="utf-8")
    before = snapshot(engine)
    try:
        result = import_file(ctx, path)
    except Exception as err:  # a whole-file refusal must be a typed one
        from pathway.errors import PathwayError

        assert isinstance(err, PathwayError), repr(err)
        assert snapshot(engine) == before
        return
    if result.ok:
        assert result.committed
    else:
        assert not result.committed and snapshot(engine) == before
        assert all(e.exit_code in (1, 2) and e.message for e in result.errors)
