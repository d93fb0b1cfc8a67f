"""Moving open participants to another version of their workflow, atomically, with a what-if first.

Each participant's step is kept if the target version has it, or mapped with ``--map OLD=NEW``;
a participant whose step has neither cannot move, and then nobody moves. The report says, per
participant, where they land and which deadlines appear, disappear or change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pathway.definitions.models import Workflow
from pathway.domain import DeadlineStatus, Event, EventType, Participant, ParticipantStatus
from pathway.engine.deadlines import plan_deadlines
from pathway.engine.values import coerce_fields
from pathway import errors
from pathway.errors import BadInput, InvalidValue, RuleRefused
from pathway.services import policy
from pathway.services.context import ServiceContext
from pathway.services.deadlines import reconcile
from pathway.store.uow import UnitOfWork


@dataclass
class MigrationRow:
    participant_id: int
    ref: str | None
    from_version: int
    to_version: int
    from_step: str
    to_step: str | None
    reason: str | None = None
    deadlines_added: list[str] = field(default_factory=list)
    deadlines_removed: list[str] = field(default_factory=list)
    deadlines_changed: list[str] = field(default_factory=list)

    @property
    def can_move(self) -> bool:
        return self.reason is None

    def to_json(self) -> dict[str, Any]:
        return {**self.__dict__, "can_move": self.can_move}


@dataclass
class MigrationReport:
    workflow: str
    to_version: int
    rows: list[MigrationRow]
    applied: bool

    @property
    def blocked(self) -> list[MigrationRow]:
        return [r for r in self.rows if not r.can_move]

    def to_json(self) -> dict[str, Any]:
        return {"workflow": self.workflow, "to_version": self.to_version, "applied": self.applied,
                "participants": [r.to_json() for r in self.rows]}


def _target(ctx: ServiceContext, uow: UnitOfWork, workflow_id: str, to: str) -> tuple[int, Workflow]:
    if to == "current":
        registered = ctx.catalog.register_current(uow, workflow_id)
        return registered.version, registered.loaded.definition
    if not to.isdecimal():
        raise InvalidValue(errors.field("to"), to, "give a registered version number, or 'current' for the file as it is now")
    versions = [v.version for v in uow.workflows.all() if v.workflow_id == workflow_id]
    if int(to) not in versions and workflow_id in ctx.catalog.file_ids() \
            and int(to) == ctx.catalog.load_current(workflow_id).definition.version:
        # the version `workflow show` reports for the file: registered now, as `--to current` would
        registered = ctx.catalog.register_current(uow, workflow_id)
        if registered.version == int(to):
            return registered.version, registered.loaded.definition
    if int(to) not in versions:
        listed = ", ".join(map(str, versions)) or "none yet"
        raise InvalidValue(errors.field("to"), to, f"registered versions of '{workflow_id}': {listed} (or 'current')")
    return int(to), ctx.catalog.pinned(uow, workflow_id, int(to)).definition


def _deadline_changes(row: MigrationRow, uow: UnitOfWork, participant: Participant, target: Workflow,
                      events: list[Event], attributes: Mapping[str, Any]) -> None:
    running = (DeadlineStatus.OPEN, DeadlineStatus.PAUSED)
    before = {d.rule: d.due_date for d in uow.deadlines.for_participant(participant.id or 0) if d.status in running}
    after = {p.rule: p.due_date for p in plan_deadlines(target, events, attributes, participant.enrolled_at)
             if p.status in running}
    row.deadlines_added = [f"{rule} due {due}" for rule, due in after.items() if rule not in before]
    row.deadlines_removed = [rule for rule in before if rule not in after]
    row.deadlines_changed = [f"{rule}: {before[rule]} → {after[rule]}" for rule in after
                             if rule in before and before[rule] != after[rule]]


def migrate(ctx: ServiceContext, workflow_id: str, to: str, step_map: Mapping[str, str],
            dry_run: bool) -> MigrationReport:
    """Plan (and unless ``dry_run``, apply) moving every open participant to version ``to``."""
    with ctx.uow() as uow:
        policy.require(ctx, "workflow.migrate", workflow=workflow_id)
        version, target = _target(ctx, uow, workflow_id, to)
        for old, new in step_map.items():
            if new not in target.step_ids:
                raise InvalidValue(errors.field("map"), f"{old}={new}", f"'{new}' is not a step of version {version}; "
                                   f"steps: {', '.join(target.step_ids)}")
        now = ctx.clock.now()
        open_ones = [p for p in uow.participants.list(workflow_id, status=ParticipantStatus.OPEN.value)
                     if p.workflow_version != version]
        rows: list[MigrationRow] = []
        for participant in open_ones:
            to_step = step_map.get(participant.step) or (participant.step if participant.step in target.step_ids else None)
            row = MigrationRow(participant.id or 0, participant.ref, participant.workflow_version, version,
                               participant.step, to_step)
            rows.append(row)
            if to_step is None:
                row.reason = (f"step '{participant.step}' is not in version {version}; "
                              f"map it with --map {participant.step}=STEP")
                continue
            if target.step(to_step).terminal:
                row.reason = f"'{to_step}' is a terminal step of version {version}; an open participant cannot land there"
                continue
            known = {k: v for k, v in participant.attributes.items() if k in target.attributes}
            try:
                attributes = coerce_fields(target.attributes, known, target, "attribute", f"in version {version}")
            except BadInput as err:
                row.reason = f"an attribute does not fit version {version}: {err.message}"
                continue
            history = uow.participants.history(participant.id or 0)
            from_version = participant.workflow_version
            event = participant.record(Event(
                seq=0, type=EventType.MIGRATED.value, effective_at=now, recorded_at=now, actor=ctx.actor, actor_id=ctx.actor_id, actor_agency=ctx.actor_agency,
                workflow_id=workflow_id, workflow_version=version, from_step=participant.step, to_step=to_step,
                data={"from_version": from_version, "to_version": version},
            ))
            _deadline_changes(row, uow, participant, target, history + [event], attributes)
            reconcile(uow, participant, target, attributes)
        report = MigrationReport(workflow_id, version, rows, applied=False)
        if dry_run:
            return report  # leaving the unit of work rolls everything back
        if report.blocked:
            raise MigrationBlocked(report)
        uow.commit()
        report.applied = True
        return report


class MigrationBlocked(RuleRefused):
    def __init__(self, report: MigrationReport) -> None:
        first = report.blocked[0]
        super().__init__(
            f"{len(report.blocked)} participant(s) cannot move to version {report.to_version}, so nobody was "
            f"moved; e.g. participant {first.participant_id}: {first.reason} (see {errors.field('dry_run')})"
        )
        self.report = report
