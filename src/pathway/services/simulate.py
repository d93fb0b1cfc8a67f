"""A dry run of one participant through a workflow with a virtual clock, touching no database.

The same engine, deadline planner and deadline timeline as the real thing run on in-memory
objects, so a project designer sees each step, the deadlines it sets, and the reminders and
escalations that would fire on the way — before a real participant enters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from pathway.clock import ensure_aware, to_local
from pathway.definitions.models import Workflow
from pathway.domain import Deadline, DeadlineStatus, Event, EventType, Participant
from pathway.domain.records import RecordEvent, Records, fold
from pathway.engine import PathwayMachine
from pathway.engine.deadlines import plan_deadlines
from pathway.engine.values import coerce_fields, to_json
from pathway.errors import BadInput, PathwayError
from pathway.services.deadlines import actions_to_take, apply_plan


@dataclass(frozen=True)
class SimulatedAction:
    """One scripted caseworker action: fire a trigger (with data) or record attributes."""

    trigger: str | None = None
    data: Mapping[str, Any] = field(default_factory=dict)
    set: Mapping[str, Any] | None = None
    at: datetime | None = None
    #: the script expects the pathway to refuse this trigger (a guard not yet met, say)
    expect_refusal: bool = False
    #: something recorded around the steps: ("consent", {"give": [...]}), ("plan", {"add_goal": {...}}) …
    record: tuple[str, Mapping[str, Any]] | None = None
    #: give (and so confirm) consent for these agencies at the same moment, just before the trigger
    consent_first: tuple[str, ...] = ()


@dataclass(frozen=True)
class SimulationLine:
    at: datetime
    kind: str
    step: str
    detail: str
    deadlines: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        from pathway.services.views import iso

        return {"at": iso(self.at), "kind": self.kind, "step": self.step, "detail": self.detail,
                "deadlines": self.deadlines}


@dataclass
class Simulation:
    lines: list[SimulationLine]
    step: str
    status: str
    completed: bool

    def to_json(self) -> dict[str, Any]:
        return {"step": self.step, "status": self.status, "completed": self.completed,
                "lines": [line.to_json() for line in self.lines]}


class _Run:
    def __init__(self, definition: Workflow, attributes: Mapping[str, Any], start: datetime) -> None:
        self.definition = definition
        self.machine = PathwayMachine(definition)
        self.typed = coerce_fields(definition.attributes, attributes, definition, "attribute", "in the simulation")
        initial = definition.initial_step.id
        self.participant = Participant(
            workflow_id=definition.id, workflow_version=definition.version, step=initial, enrolled_at=start,
            attributes={k: to_json(v) for k, v in self.typed.items()}, last_step_change_at=start, id=0,
        )
        self.rows: dict[str, Deadline] = {}
        self.lines: list[SimulationLine] = []
        self._record(EventType.ENROLLED, start, to_step=initial, data={"attributes": self.participant.attributes})
        self.lines.append(SimulationLine(start, "enrolled", initial, definition.step(initial).title, self._open()))

    def _record(self, kind: EventType | RecordEvent, at: datetime, **fields: Any) -> None:
        self.participant.record(Event(seq=0, type=kind.value, effective_at=at, recorded_at=at, actor="simulation",
                                      workflow_id=self.definition.id, workflow_version=self.definition.version,
                                      **fields), self.definition.terminal_step_ids)
        planned = plan_deadlines(self.definition, self.participant.new_events, self.typed,
                                 self.participant.enrolled_at)
        apply_plan(self.rows, planned, self.participant)

    def _open(self) -> list[str]:
        return [f"{row.rule} due {row.due_date}" if row.due_date else f"{row.rule} paused"
                for row in self.rows.values() if row.status in (DeadlineStatus.OPEN, DeadlineStatus.PAUSED)]

    def run_clock(self, until: datetime) -> None:
        """Perform every deadline action due up to ``until`` at its own time, as a check running
        all along would (so a reminder is sent, not overtaken by the miss)."""
        while True:
            pending = [(row.next_action_at, row.key, row) for row in self.rows.values()
                       if row.next_action_at is not None and row.next_action_at <= until]
            if not pending:
                return
            moment, _key, row = min(pending, key=lambda p: (p[0], p[1]))
            for action, perform in actions_to_take(row, moment):
                row.mark_done(action)
                if perform:
                    level = f" level {action.level}" if action.level else ""
                    self.lines.append(SimulationLine(action.at, action.kind, self.participant.step,
                                                     f"{row.rule}{level} → {action.role} (due {row.due_date})"))
            row.reschedule()

    def act(self, action: SimulatedAction, at: datetime) -> bool:
        self.run_clock(at)
        p = self.participant
        if not p.is_open:
            self.lines.append(SimulationLine(at, "refused", p.step, "the participant has already exited"))
            return False
        if action.consent_first:
            self.act(SimulatedAction(record=("consent", {"give": list(action.consent_first)})), at)
        try:
            if action.record is not None:
                kind, data, text = _record_event(fold(p.new_events), *action.record)
                self._record(kind, at, from_step=p.step, to_step=p.step, data=data)
                self.lines.append(SimulationLine(at, kind.value, p.step, text, self._open()))
                return True
            if action.set is not None:
                values = coerce_fields(self.definition.attributes, action.set, self.definition, "attribute", "")
                self.typed = {**self.typed, **values}
                self._record(EventType.ATTRIBUTES_SET, at, from_step=p.step, to_step=p.step,
                             data={"set": {k: to_json(v) for k, v in values.items()}})
                shown = {k: str(v).lower() if isinstance(v, bool) else to_json(v) for k, v in values.items()}
                self.lines.append(SimulationLine(at, "attributes_set", p.step,
                                                 ", ".join(f"{k}={v}" for k, v in shown.items()), self._open()))
                return True
            firing = self.machine.fire(p.step, action.trigger or "", action.data, self.typed, at, p.enrolled_at,
                                       fold(p.new_events))
        except PathwayError as err:
            self.lines.append(SimulationLine(at, "refused", p.step, err.message))
            return False
        self._record(EventType.TRANSITION, at, trigger=action.trigger, from_step=firing.from_step,
                     to_step=firing.to_step, data={k: to_json(v) for k, v in firing.data.items()})
        moved = f"{firing.from_step} → {firing.to_step}" if firing.to_step else "recorded, stays"
        self.lines.append(SimulationLine(at, "transition", p.step, f"{action.trigger}: {moved}", self._open()))
        return True


def simulate(definition: Workflow, attributes: Mapping[str, Any], actions: list[SimulatedAction],
             start: datetime, every: timedelta, tail: timedelta) -> Simulation:
    """Run ``actions`` from ``start`` (each ``every`` after the last unless it has its own time),
    then let the clock run ``tail`` further to show what would fire if nothing more happened."""
    run = _Run(definition, attributes, start)
    clock, completed = start, True
    for action in actions:
        at = action.at or _local_add(clock, every)
        if at < clock:
            raise BadInput(f"the script goes back in time at {at.isoformat()}; times must not decrease")
        clock = at
        done = run.act(action, at)
        completed = completed and (done != action.expect_refusal)
    if run.participant.is_open:
        run.run_clock(_local_add(clock, tail))
    return Simulation(run.lines, run.participant.step, run.participant.status, completed)


def _local_add(moment: datetime, span: timedelta) -> datetime:
    """Add whole days on the Swedish wall clock (09:00 stays 09:00 across summer time)."""
    return ensure_aware(to_local(moment).replace(tzinfo=None) + span)


def _record_event(records: Records, verb: str, action: Mapping[str, Any]) -> tuple[RecordEvent, dict[str, Any], str]:
    """The event a scripted consent / plan / placement / intervention step records (walk-script verbs)."""
    def day(value: Any) -> str | None:
        return None if value is None else str(value)

    if verb == "consent":
        if "give" in action:
            return (RecordEvent.CONSENT_GIVEN, {"agencies": sorted(action["give"]), "scope": action.get("scope"),
                                                "until": day(action.get("until"))}, f"consent given: {', '.join(action['give'])}")
        if "withdraw" in action:
            return RecordEvent.CONSENT_WITHDRAWN, {"agencies": sorted(action["withdraw"])}, f"consent withdrawn: {', '.join(action['withdraw'])}"
        return RecordEvent.CONSENT_CONFIRMED, {}, "consent confirmed"
    if verb == "plan":
        if "add_goal" in action:
            item = {**action["add_goal"], "id": records.next_goal_id(), "by": day(action["add_goal"].get("by"))}
            return RecordEvent.PLAN_GOAL_ADDED, item, f"{item['id']}: {item['what']}"
        if "add_subgoal" in action:
            args = dict(action["add_subgoal"])
            goal = args.pop("goal")
            item = {**args, "id": records.next_subgoal_id(goal), "parent": goal, "by": day(args.get("by"))}
            return RecordEvent.PLAN_SUBGOAL_ADDED, item, f"{item['id']}: {item['what']}"
        update = {**action["update"], "id": action["update"]["item"]}
        update.pop("item")
        if "by" in update:
            update["by"] = day(update["by"])
        return RecordEvent.PLAN_ITEM_UPDATED, update, f"{update['id']} updated"
    if verb == "placement":
        if "start" in action:
            data = {**action["start"], "id": records.next_placement_id(), "start": day(action["start"]["start"]),
                    "end": day(action["start"].get("end"))}
            return RecordEvent.PLACEMENT_STARTED, data, f"{data['id']}: {data['type']} at {data['employer']}"
        if "followup" in action:
            return RecordEvent.PLACEMENT_FOLLOWUP, {"id": action["followup"]["id"]}, f"{action['followup']['id']} followed up"
        return RecordEvent.PLACEMENT_ENDED, dict(action["end"]), f"{action['end']['id']} ended"
    if "start" in action:
        data = {**action["start"], "id": records.next_intervention_id()}
        return RecordEvent.INTERVENTION_STARTED, data, f"{data['id']}: {data['kind']}"
    return RecordEvent.INTERVENTION_ENDED, {"id": action["end"]["id"]}, f"{action['end']['id']} ended"
