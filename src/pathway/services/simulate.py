"""A dry run of one participant through a workflow with a virtual clock, touching no database.

The real use cases (enrol, fire, set, the record commands and the deadline check) run on the
in-memory unit of work from :mod:`pathway.testing`, so a dry run refuses exactly what a real run
refuses and records exactly what it records — a project designer sees each step, the deadlines it
sets, and the reminders and escalations that would fire on the way, before a real participant enters.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from pathway.clock import FixedClock, ensure_aware, to_local
from pathway.definitions import LoadedWorkflow
from pathway.definitions.models import Workflow
from pathway.domain import DeadlineStatus, Participant
from pathway.errors import BadInput, PathwayError, UnknownWorkflow
from pathway.services import deadlines, meetings, participants, records
from pathway.services.catalog import WorkflowCatalog
from pathway.services.context import ServiceContext


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
    #: a trigger into a meeting step that needs a record (parties, confirm_consent): record that meeting
    #: first, with every party present and consent confirmed (the quick ``--walk`` assumes meetings are held)
    meeting_first: bool = False


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


class _OneWorkflow(WorkflowCatalog):
    """A catalog of the one definition being simulated (which need not be a file in the folder)."""

    def __init__(self, definition: Workflow, clock: FixedClock) -> None:
        super().__init__(Path("."), clock)
        self._loaded = LoadedWorkflow(definition, f"# simulation of {definition.id}\n", f"{definition.id} (simulation)")

    def file_ids(self) -> list[str]:
        return [self._loaded.definition.id]

    def load_current(self, workflow_id: str) -> LoadedWorkflow:
        if workflow_id != self._loaded.definition.id:
            raise UnknownWorkflow(workflow_id, self.file_ids())
        return self._loaded


class _Run:
    def __init__(self, definition: Workflow, attributes: Mapping[str, Any], start: datetime) -> None:
        from pathway.testing import InMemoryStore  # the in-memory unit of work, shipped for tests and this

        self.definition = definition
        self.clock = FixedClock(start)
        self.store = InMemoryStore()
        self.ctx = ServiceContext(uow=self.store.uow,  # type: ignore[arg-type]  # fits UnitOfWork where used
                                  catalog=_OneWorkflow(definition, self.clock), clock=self.clock, actor="simulation")
        self.pid, _note = participants.enrol(self.ctx, definition.id, attributes=dict(attributes))
        self.lines: list[SimulationLine] = []
        step = self.participant.step
        self.lines.append(SimulationLine(start, "enrolled", step, definition.step(step).title, self._open()))

    @property
    def participant(self) -> Participant:
        return self.store.participants[self.pid]

    def _open(self) -> list[str]:
        return [f"{row.rule} due {row.due_date}" if row.due_date else f"{row.rule} paused"
                for row in self.store.deadlines.get(self.pid, [])
                if row.status in (DeadlineStatus.OPEN, DeadlineStatus.PAUSED)]

    def _meeting_needed(self, trigger: str) -> dict[str, Any] | None:
        """The meeting record a trigger from the current step into a meeting step needs, or None."""
        from pathway.steps.requirements import StepRequirements

        meetings_needed = StepRequirements(self.definition).meetings
        for transition in self.definition.transitions:
            if transition.trigger != trigger or self.participant.step not in self.definition.sources_of(transition):
                continue
            need = meetings_needed.get(transition.to or "")
            if need is not None:
                return {"type": need.step, "attendees": [f"{party}:simulation" for party in need.parties] or
                        [f"{self.definition.step(need.step).owner}:simulation"],
                        "consent_confirmed": need.confirm_consent}
        return None

    def run_clock(self, until: datetime) -> None:
        """Run the deadline check at each moment an action falls due up to ``until``, as a check
        running all along would (so a reminder is sent, not overtaken by the miss)."""
        while True:
            due = [row.next_action_at for row in self.store.deadlines.get(self.pid, [])
                   if row.status == DeadlineStatus.OPEN and row.next_action_at is not None
                   and row.next_action_at <= until]
            if not due:
                return
            for act in deadlines.check(self.ctx, now=min(due)):
                level = f" level {act.level}" if act.level else ""
                self.lines.append(SimulationLine(act.action_at, act.kind, self.participant.step,
                                                 f"{act.rule}{level} → {act.role} (due {act.due_date})"))

    def act(self, action: SimulatedAction, at: datetime) -> bool:
        self.run_clock(at)
        self.clock.set(max(at, self.clock.now()))
        if not self.participant.is_open:
            self.lines.append(SimulationLine(at, "refused", self.participant.step, "the participant has already exited"))
            return False
        if action.consent_first:
            self.act(SimulatedAction(record=("consent", {"give": list(action.consent_first)})), at)
        if action.meeting_first and action.trigger:
            needed = self._meeting_needed(action.trigger)
            if needed is not None:
                self.act(SimulatedAction(record=("meeting", needed)), at)
        try:
            if action.record is not None:
                kind, text = record_step(self.ctx, self.pid, *action.record)
                self.lines.append(SimulationLine(at, kind, self.participant.step, text, self._open()))
                return True
            if action.set is not None:
                participants.set_attributes(self.ctx, self.pid, action.set)
                shown = {k: str(v).lower() if isinstance(v, bool) else v for k, v in action.set.items()}
                self.lines.append(SimulationLine(at, "attributes_set", self.participant.step,
                                                 ", ".join(f"{k}={v}" for k, v in shown.items()), self._open()))
                return True
            fired = participants.fire(self.ctx, self.pid, action.trigger or "", dict(action.data))
        except PathwayError as err:
            self.lines.append(SimulationLine(at, "refused", self.participant.step, err.message))
            return False
        moved = f"{fired.from_step} → {fired.to_step}" if fired.moved else "recorded, stays"
        self.lines.append(SimulationLine(at, "transition", self.participant.step, f"{action.trigger}: {moved}",
                                         self._open()))
        return True


def simulate(definition: Workflow, attributes: Mapping[str, Any], actions: list[SimulatedAction],
             start: datetime, every: timedelta, tail: timedelta) -> Simulation:
    """Run ``actions`` from ``start`` (each ``every`` after the last unless it has its own time),
    then let the clock run ``tail`` further to show what would fire if nothing more happened.

    The enrolment is the real one: attributes the workflow requires must be given."""
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


def _day(value: Any) -> str | None:
    return None if value is None else str(value)


def record_step(ctx: ServiceContext, pid: int, verb: str, action: Mapping[str, Any]) -> tuple[str, str]:
    """A walk-script verb (consent, plan, placement, intervention, meeting) through its real use case;
    returns the event kind recorded and a line describing it."""
    if verb == "consent":
        if "give" in action:
            records.give_consent(ctx, pid, list(action["give"]), action.get("scope"), _day(action.get("until")))
            return "consent_given", f"consent given: {', '.join(action['give'])}"
        if "withdraw" in action:
            records.withdraw_consent(ctx, pid, list(action["withdraw"]))
            return "consent_withdrawn", f"consent withdrawn: {', '.join(action['withdraw'])}"
        records.confirm_consent(ctx, pid)
        return "consent_confirmed", "consent confirmed"
    if verb == "plan":
        if "add_goal" in action:
            args = {**action["add_goal"], "by": _day(action["add_goal"].get("by"))}
            data = records.add_goal(ctx, pid, **args)
            return "plan_goal_added", f"{data['id']}: {data['what']}"
        if "add_subgoal" in action:
            args = {**action["add_subgoal"], "by": _day(action["add_subgoal"].get("by"))}
            data = records.add_subgoal(ctx, pid, **args)
            return "plan_subgoal_added", f"{data['id']}: {data['what']}"
        args = dict(action["update"])
        if "by" in args:
            args["by"] = _day(args["by"])
        item = args.pop("item")
        records.update_plan_item(ctx, pid, item, **args)
        return "plan_item_updated", f"{item} updated"
    if verb == "placement":
        if "start" in action:
            placement: dict[str, Any] = {k: _day(v) if k == "end" else v for k, v in action["start"].items()}
            type_, employer = placement.pop("type"), placement.pop("employer")
            data = records.start_placement(ctx, pid, type_, employer, str(placement.pop("start")), **placement)
            return "placement_started", f"{data['id']}: {type_} at {employer}"
        if "followup" in action:
            records.followup_placement(ctx, pid, action["followup"]["id"],
                                       hours_per_week=action["followup"].get("hours_per_week"))
            return "placement_followup", f"{action['followup']['id']} followed up"
        records.end_placement(ctx, pid, action["end"]["id"], action["end"].get("outcome"))
        return "placement_ended", f"{action['end']['id']} ended"
    if verb == "meeting":
        args = dict(action)
        data = meetings.record_meeting(ctx, pid, str(args.pop("type", "")), list(args.pop("attendees", []) or []),
                                       **args)
        who = ", ".join(f"{a['role'] or a['agency']}:{a['user']}" for a in data["attendees"])
        return "meeting_recorded", f"{data['type']}: {who}"
    if verb != "intervention":
        raise BadInput(f"unknown walk verb '{verb}'; use consent, plan, placement, intervention or meeting")
    if "start" in action:
        started: dict[str, Any] = dict(action["start"])
        kind = started.pop("kind")
        data = records.start_intervention(ctx, pid, kind, **started)
        return "intervention_started", f"{data['id']}: {kind}"
    records.end_intervention(ctx, pid, action["end"]["id"])
    return "intervention_ended", f"{action['end']['id']} ended"
