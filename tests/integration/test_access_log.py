"""The access log on SQLite and PostgreSQL: one row per read, read back by the dpo, nothing for a refusal."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock
from pathway.errors import NotPermitted
from pathway.services import audit
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, history, show

from .conftest import START, make_team


def test_each_read_is_one_row_and_only_the_dpo_reads_them(
        engine: Engine, workflows: Path, clock: FixedClock, ctx: ServiceContext) -> None:
    """show and history leave a row each (time, login, agency, id, what); a refused read leaves none."""
    as_ = make_team(engine, workflows, clock, ctx, [
        ("anna", "Anna Berg", "soc", ["coach"], ["demo"]),
        ("nils", "Nils Ek", "af", ["coach"], []),
        ("dora", "Dora Dpo", "coordination", ["dpo"], []),
    ])
    anna = as_("anna")
    pid, _ = enrol(anna, "demo", ref="A-1", attributes={"gender": "female"})
    anna.purpose = "uppföljning"
    show(anna, pid)
    history(anna, pid)
    with pytest.raises(NotPermitted):
        show(as_("nils"), pid)
    rows = audit.access(as_("dora"), pid)
    assert [(r.login, r.agency, r.participant_id, r.what, r.purpose, r.at) for r in rows] == [
        ("anna", "soc", pid, "show", "uppföljning", START), ("anna", "soc", pid, "history", "uppföljning", START)]
    assert [r.what for r in audit.access(as_("root"), login="anna", since=START, until=START + (START - START))] == []
    with pytest.raises(NotPermitted, match="audit.read"):
        audit.access(anna, pid)
