"""`pathway workflow migrate` on both back ends: a what-if first, then all participants or none."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock
from pathway.domain.replay import replay
from pathway.errors import InvalidValue
from pathway.services.context import ServiceContext
from pathway.services.migrate import MigrationBlocked, migrate
from pathway.services.participants import enrol, fire, history, show

from .conftest import snapshot
from .test_participants import _write_v2


@pytest.fixture
def on_v1(ctx: ServiceContext, workflows: Path) -> dict[str, int]:
    """Three v1 participants (one in the 'mapping' step v2 drops, one exited), then the file becomes v2."""
    people = {
        "fresh": enrol(ctx, "demo", ref="fresh")[0],
        "mapping": enrol(ctx, "demo", ref="mapping", attributes={"ready": True})[0],
        "gone": enrol(ctx, "demo", ref="gone")[0],
    }
    fire(ctx, people["mapping"], "assess")
    fire(ctx, people["gone"], "exit", {"reason": "work"})
    _write_v2(workflows)
    return people


def test_dry_run_reports_and_writes_nothing(ctx: ServiceContext, engine: Engine, on_v1: dict[str, int]) -> None:
    """The what-if names where each open participant lands and who cannot move; the database is untouched."""
    before = snapshot(engine)
    report = migrate(ctx, "demo", "current", {}, dry_run=True)
    assert snapshot(engine) == before
    assert report.to_version == 2 and not report.applied
    assert {r.ref: (r.to_step, r.can_move) for r in report.rows} == {"fresh": ("referral", True),
                                                                      "mapping": (None, False)}
    assert "map it with --map mapping=STEP" in report.blocked[0].reason  # type: ignore[operator]


def test_blocked_migration_moves_nobody(ctx: ServiceContext, engine: Engine, on_v1: dict[str, int]) -> None:
    """Without a mapping for every step nothing at all is written (not even the new version)."""
    before = snapshot(engine)
    with pytest.raises(MigrationBlocked, match="1 participant\\(s\\) cannot move to version 2, so nobody was moved"):
        migrate(ctx, "demo", "current", {}, dry_run=False)
    assert snapshot(engine) == before


def test_mapped_migration_moves_everyone_open_and_records_it(
    ctx: ServiceContext, on_v1: dict[str, int], clock: FixedClock
) -> None:
    """With --map every open participant moves, gets a 'migrated' event, and fires on the new version."""
    report = migrate(ctx, "demo", "current", {"mapping": "referral"}, dry_run=False)
    assert report.applied and not report.blocked
    moved = show(ctx, on_v1["mapping"])
    assert (moved.workflow_version, moved.step) == (2, "referral")
    last = history(ctx, on_v1["mapping"])[-1]
    assert (last.type, last.from_step, last.to_step, last.workflow_version) == ("migrated", "mapping", "referral", 2)
    assert last.data == {"from_version": 1, "to_version": 2}
    assert show(ctx, on_v1["gone"]).workflow_version == 1  # exited participants keep their history's version
    assert fire(ctx, on_v1["mapping"], "place", {"track": "work"}).to_step == "training"
    with ctx.uow() as uow:
        participant = uow.participants.get(on_v1["mapping"])
        state = replay(uow.participants.history(on_v1["mapping"]), {"exited"})
        assert participant is not None
        assert (state["step"], state["workflow_version"], state["last_seq"]) == (
            participant.step, participant.workflow_version, participant.last_seq)
    assert migrate(ctx, "demo", "2", {}, dry_run=True).rows == []  # nobody left to move


def test_bad_target_or_mapping_is_refused(ctx: ServiceContext, engine: Engine, on_v1: dict[str, int]) -> None:
    """An unregistered version or a mapping onto a step the target lacks is bad input, and writes nothing."""
    before = snapshot(engine)
    with pytest.raises(InvalidValue, match="registered versions of 'demo': 1"):
        migrate(ctx, "demo", "9", {}, dry_run=False)
    with pytest.raises(InvalidValue, match="'nowhere' is not a step of version 2"):
        migrate(ctx, "demo", "current", {"mapping": "nowhere"}, dry_run=False)
    assert snapshot(engine) == before
