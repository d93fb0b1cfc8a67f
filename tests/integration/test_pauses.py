"""Pause and resume triggers (sick leave, parental leave): refused when they make no sense."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine

from pathway.errors import GuardFailed
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, show

from .conftest import snapshot

PAUSES = """\
  - {trigger: leave_starts, from: "*"}
  - {trigger: leave_ends, from: "*"}
pauses: {pause: [leave_starts], resume: [leave_ends]}
"""


@pytest.fixture
def with_pauses(workflows: Path) -> None:
    path = workflows / "demo.yaml"
    text = path.read_text()
    marker = '  - trigger: exit\n    from: "*"\n    to: exited\n    data: {reason: {type: exit_reason, required: true}}\n'
    assert marker in text
    path.write_text(text.replace(marker, marker + PAUSES))


def test_leave_is_recorded_without_moving_and_cannot_start_twice(
    ctx: ServiceContext, engine: Engine, with_pauses: None
) -> None:
    """A pause trigger stays in the step; a second pause, or a resume without one, is refused and writes nothing."""
    pid, _ = enrol(ctx, "demo")
    with pytest.raises(GuardFailed, match="the clocks are not paused"):
        fire(ctx, pid, "leave_ends")
    result = fire(ctx, pid, "leave_starts")
    assert (result.moved, result.to_step) == (False, "referral")
    before = snapshot(engine)
    with pytest.raises(GuardFailed, match="already paused since"):
        fire(ctx, pid, "leave_starts")
    assert snapshot(engine) == before
    view = show(ctx, pid)
    assert "leave_starts" in view.blocked_triggers and "leave_ends" in view.allowed_triggers
    assert fire(ctx, pid, "leave_ends").moved is False
    assert "leave_starts" in show(ctx, pid).allowed_triggers
