"""Every shipped workflow loads, passes its checks, and scripted participants walk it to each exit.

The walks live as data in ``tests/workflows/walks/<workflow>.yaml`` (see that folder's files for
the format); this module runs each one through the real services on SQLite with a clock that
moves with the walk.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml

from pathway.clock import FixedClock, parse_time
from pathway.config import Settings
from pathway.bootstrap import bootstrap
from pathway.definitions import load_file, validate_text
from pathway.domain.replay import FIELDS, replay
from pathway.errors import RuleRefused
from pathway.services import participants as service
from pathway.services import meetings, records

REPO = Path(__file__).resolve().parents[2]
WORKFLOWS = REPO / "workflows"
WALKS = Path(__file__).parent / "walks"
SHIPPED = sorted(WORKFLOWS.glob("*.yaml"))


RECORD_VERBS = {"consent", "plan", "placement", "intervention", "meeting"}


def _record(ctx: Any, pid: int, step: dict[str, Any]) -> None:
    """The walk verbs for what is recorded around the steps (consent, plan, placement, intervention, meeting)."""
    if "meeting" in step:
        args = dict(step["meeting"])
        meetings.record_meeting(ctx, pid, args.pop("type"), args.pop("attendees"), **args)
    elif "consent" in step:
        action = step["consent"]
        if "give" in action:
            records.give_consent(ctx, pid, action["give"], action.get("scope"), action.get("until"))
        elif "withdraw" in action:
            records.withdraw_consent(ctx, pid, action["withdraw"])
        else:
            records.confirm_consent(ctx, pid)
    elif "plan" in step:
        action = step["plan"]
        if "add_goal" in action:
            records.add_goal(ctx, pid, **action["add_goal"])
        elif "add_subgoal" in action:
            records.add_subgoal(ctx, pid, **action["add_subgoal"])
        else:
            args = dict(action["update"])
            records.update_plan_item(ctx, pid, args.pop("item"), **args)
    elif "placement" in step:
        action = step["placement"]
        if "start" in action:
            args = dict(action["start"])
            records.start_placement(ctx, pid, args.pop("type"), args.pop("employer"), str(args.pop("start")),
                                    **{k: str(v) if k == "end" else v for k, v in args.items()})
        elif "followup" in action:
            records.followup_placement(ctx, pid, action["followup"]["id"],
                                       hours_per_week=action["followup"].get("hours_per_week"))
        else:
            records.end_placement(ctx, pid, action["end"]["id"], action["end"].get("outcome"))
    else:
        action = step["intervention"]
        if "start" in action:
            args = dict(action["start"])
            records.start_intervention(ctx, pid, args.pop("kind"), **args)
        else:
            records.end_intervention(ctx, pid, action["end"]["id"])


def _walk_files() -> list[Path]:
    return sorted(WALKS.glob("*.yaml"))


def _walks() -> list[Any]:
    cases = []
    for path in _walk_files():
        script = yaml.safe_load(path.read_text(encoding="utf-8"))
        for walk in script["walks"]:
            cases.append(pytest.param(script["workflow"], walk, id=f"{script['workflow']}: {walk['name']}"))
    return cases


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_shipped_workflow_is_valid_and_named_after_its_id(path: Path) -> None:
    """Each shipped file validates without problems, and its file name is its id."""
    report = validate_text(path.read_text(encoding="utf-8"), str(path))
    assert report.problems == []
    assert report.workflow is not None and report.workflow.definition.id == path.stem


@pytest.mark.parametrize("path", SHIPPED, ids=[p.stem for p in SHIPPED])
def test_every_exit_reason_and_step_is_walked(path: Path) -> None:
    """The walk script of each shipped workflow reaches every exit reason and visits every step."""
    definition = load_file(path).definition
    script_path = WALKS / path.name
    assert script_path.exists(), f"no walk script for {path.name}"
    script = yaml.safe_load(script_path.read_text(encoding="utf-8"))
    exits = {walk["expect_exit"] for walk in script["walks"]}
    assert exits == {r.code for r in definition.exit_reasons}
    visited = {definition.initial_step.id}
    for walk in script["walks"]:
        visited |= {s["expect_step"] for s in walk["steps"] if "expect_step" in s}
    terminal = {s.id for s in definition.steps if s.terminal}
    assert set(definition.step_ids) - visited - terminal == set()


@pytest.mark.parametrize(("workflow_id", "walk"), _walks())
def test_walk(walk_database: Path, workflow_id: str, walk: dict[str, Any]) -> None:
    """A scripted participant walks the shipped workflow; refusals happen where the script says."""
    start = parse_time(walk.get("enrol_at", "2026-01-05"))
    clock = FixedClock(start)
    ctx = bootstrap(Settings(database_url=f"sqlite:///{walk_database}", workflows=WORKFLOWS,
                             actor="walk"), clock=clock)
    pid, _ = service.enrol(ctx, workflow_id, ref=walk["name"][:100], attributes=walk.get("attributes", {}))
    for step in walk["steps"]:
        if "at" in step:
            clock.set(parse_time(step["at"]))
        if "set" in step:
            service.set_attributes(ctx, pid, step["set"])
        elif RECORD_VERBS & set(step):
            _record(ctx, pid, step)
        elif "refused" in step:
            before = service.history(ctx, pid)
            with pytest.raises(RuleRefused) as refusal:
                service.fire(ctx, pid, step["refused"], data=step.get("data", {}))
            assert step["contains"] in refusal.value.message
            assert service.history(ctx, pid) == before
        else:
            result = service.fire(ctx, pid, step["trigger"], data=step.get("data", {}))
            if "expect_step" in step:
                assert result.to_step == step["expect_step"], step
    shown = service.show(ctx, pid)
    assert shown.status == "exited"
    assert shown.exit_reason == walk["expect_exit"]
    with ctx.uow() as uow:
        definition = ctx.catalog.pinned(uow, workflow_id, shown.workflow_version).definition
        participant = uow.participants.get(pid)
        events = uow.participants.history(pid)
        terminal = {s.id for s in definition.steps if s.terminal}
        state = replay(events, terminal)
        assert participant is not None
        assert state == {name: getattr(participant, name) for name in FIELDS}
