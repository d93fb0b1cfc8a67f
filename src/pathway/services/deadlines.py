"""Deadlines: kept in step with every event, and checked — exactly once — by ``deadlines check``.

:func:`reconcile` runs inside the use case that appended an event, so the deadline rows commit (or
roll back) together with it. :func:`check` claims due rows, appends a ``reminder``,
``deadline_missed`` or ``escalated`` event to the participant's history for each action whose time
has come, moves the row on, and queues notifications — all in one transaction per batch.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from pathway import deferred, limits
from pathway.clock import to_local
from pathway.domain import (
    ActionKind,
    Deadline,
    DeadlineAction,
    DeadlineStatus,
    Event,
    EventType,
    Participant,
    ParticipantStatus,
)
from sqlalchemy.exc import OperationalError

from pathway.errors import CheckInterrupted, ConcurrentChange
from pathway.log import get_logger, info_enabled
from pathway.services import policy
from pathway.services.addressing import Addressing
from pathway.services.context import ServiceContext
from pathway.store.uow import UnitOfWork

if TYPE_CHECKING:
    from pathway.definitions.models import Workflow
    from pathway.engine.deadlines import PlannedDeadline, leaves_plan, settled_since
    from pathway.engine.deadlines import plan as plan_for
    from pathway.engine.values import coerce_fields
    from pathway.steps.guards import GuardContext
    from pathway.steps.requirements import StepRequirements
else:  # imported on first use: a check with nothing due plans nothing and checks no guard (the
    # planner, the guards and the workflow models are a good part of its start-up; see pathway.deferred)
    leaves_plan = deferred.function("pathway.engine.deadlines", "leaves_plan")
    plan_for = deferred.function("pathway.engine.deadlines", "plan")
    settled_since = deferred.function("pathway.engine.deadlines", "settled_since")
    coerce_fields = deferred.function("pathway.engine.values", "coerce_fields")
    GuardContext = deferred.function("pathway.steps.guards", "GuardContext")
    StepRequirements = deferred.function("pathway.steps.requirements", "StepRequirements")

log = get_logger("pathway.deadlines")

#: Rows handled per transaction by the check: bounded memory however many are due.
CHECK_BATCH = 500
#: Batches retried after a concurrent caseworker change before the check gives up.
MAX_CONFLICTS = 20
#: The event type of each action kind (an unknown kind is a KeyError, as EventType(kind) refused it)
_CHECK_EVENT_TYPES = {kind.value: EventType(kind.value).value for kind in ActionKind}


def reconcile(uow: UnitOfWork, participant: Participant, definition: Workflow,
              typed_attributes: dict[str, Any]) -> None:
    """Bring the participant's deadline rows in line with its history (same transaction).

    The plan is made from the folded history on the participant's row (events recorded in this
    unit of work included), so the history is not read; of the deadline rows, only the running
    ones and those the plan names are (closed rows of deadlines no longer planned stay as they are).

    When every event of this unit of work leaves the plan as it was (:func:`leaves_plan`: a
    trigger that moves nothing and that no pause or rule names, consent, a group …), the rows are
    already the plan's — the use case that recorded the participant's last plan-changing event
    reconciled them, and the deadline check moves only their progress, which a reconcile keeps —
    so neither the plan nor the rows are made or read again.
    """
    events = participant.new_events
    if events and participant.id is not None and all(leaves_plan(definition, e) for e in events):
        return
    voided = participant.status == ParticipantStatus.VOIDED  # an enrolment made by mistake: no deadlines
    # the limits of steps left before these events' first day are settled: their rows hold them
    settled = None if participant.id is None else settled_since(events)
    planned = [] if voided else plan_for(definition, participant.folded, typed_attributes, participant.enrolled_at,
                                         settled)
    existing = {d.key: d for d in uow.deadlines.for_plan(participant.id or 0, [p.key for p in planned])}
    keys = {p.key for p in planned}
    if settled is not None and any(key.startswith("limit:") and key not in keys for key in existing):
        # a step limit still running though its step was left (not what reconciles leave): plan all
        planned = plan_for(definition, participant.folded, typed_attributes, participant.enrolled_at)
        existing = {d.key: d for d in uow.deadlines.for_plan(participant.id or 0, [p.key for p in planned])}
    for row in apply_plan(existing, planned, participant):
        uow.deadlines.add(row)


def apply_plan(existing: dict[str, Deadline], planned: list[PlannedDeadline],
               participant: Participant) -> list[Deadline]:
    """Update ``existing`` rows (by key) to the plan; returns the rows that are new."""
    added = []
    keys = {p.key for p in planned}
    for plan in planned:
        row = existing.get(plan.key)
        if row is None:
            row = Deadline(participant_id=participant.id or 0, key=plan.key, rule=plan.rule, title=plan.title,
                           owner=plan.owner, started_at=plan.started_at, status=plan.status.value,
                           workflow_id=participant.workflow_id)
            existing[plan.key] = row
            added.append(row)
        _apply(row, plan)
    # closed by the event that made the rule stop applying (the newest one in this unit of work)
    closed_at = participant.new_events[-1].effective_at if participant.new_events else participant.last_step_change_at
    for key, row in existing.items():
        if key not in keys and row.status in (DeadlineStatus.OPEN, DeadlineStatus.PAUSED):
            row.status = DeadlineStatus.CANCELLED.value
            row.closed_at = closed_at
            row.reschedule()
    return added


def _apply(row: Deadline, plan: PlannedDeadline) -> None:
    row.rule, row.title, row.step = plan.rule, plan.title, plan.step
    row.owner, row.started_at = plan.owner, plan.started_at
    row.status = plan.status.value
    row.due_date, row.due_at = plan.due_date, plan.due_at
    row.met_at, row.closed_at = plan.met_at, plan.closed_at
    # Actions already performed stay performed: progress is never moved back.
    row.actions = [a.to_json() for a in plan.actions]
    row.reschedule()


@dataclass(frozen=True)
class CheckAction:
    """One thing a check did (the ``deadlines check --format json`` contract)."""

    participant_id: int
    ref: str | None
    workflow: str
    rule: str
    title: str
    kind: str
    level: int
    role: str
    due_at: datetime | None
    due_date: date | None
    action_at: datetime
    event_seq: int
    #: the people it goes to: user_id, login, display_name (see services.addressing); [] when
    #: no users are registered
    addressees: tuple[dict[str, Any], ...] = ()

    def to_json(self) -> dict[str, Any]:
        from pathway.services.views import iso

        return {"participant_id": self.participant_id, "ref": self.ref, "workflow": self.workflow,
                "rule": self.rule, "title": self.title, "kind": self.kind, "level": self.level,
                "role": self.role, "due_at": iso(self.due_at),
                "due_date": self.due_date.isoformat() if self.due_date else None,
                "action_at": iso(self.action_at), "event_seq": self.event_seq,
                "addressees": list(self.addressees)}


def actions_to_take(row: Deadline, now: datetime) -> list[tuple[DeadlineAction, bool]]:
    """Due actions, each with whether to perform it: a reminder overtaken by the miss is skipped."""
    due = row.due_actions(now)
    return [(a, not (a.kind == ActionKind.REMINDER and len(due) > 1)) for a in due]


def check(ctx: ServiceContext, now: datetime | None = None, batch: int = CHECK_BATCH) -> list[CheckAction]:
    """Perform every due reminder, miss and escalation once; returns what was done.

    Each batch is one transaction. Notifications are delivered after the last batch has committed
    (never inside one). If a later batch cannot get the database (locked, or too many concurrent
    changes), :class:`~pathway.errors.CheckInterrupted` says which batches were committed; their
    notifications are still delivered, and the next check carries on where this one stopped.
    """
    policy.require(ctx, "deadlines.check")
    now = now or ctx.clock.now()
    done: list[CheckAction] = []
    committed: list[int] = []  # actions per committed batch
    conflicts = 0
    while True:
        try:
            taken, claimed = _check_batch(ctx, now, batch)
        except ConcurrentChange as err:
            # a caseworker changed one of the participants meanwhile: nothing of the batch was
            # written; claim again (the caseworker's event may have met or moved the deadline)
            conflicts += 1
            if conflicts > MAX_CONFLICTS:
                _interrupted(ctx, now, committed, err.message)
                raise
            continue
        except OperationalError as err:  # the write lock stayed taken past the busy time-out
            detail = str(err.orig).strip().splitlines()[0] if err.orig else str(err)
            _interrupted(ctx, now, committed, detail)
            raise
        if info_enabled():  # one structured line per action; skipped cheaply when nobody reads them
            for act in taken:
                log.info("deadline_action", **{k: v for k, v in act.to_json().items() if v is not None})
        done += taken
        if claimed:
            committed.append(len(taken))
        if claimed < batch:
            break
    ctx.notifier.deliver(ctx, now)
    return done


def _interrupted(ctx: ServiceContext, now: datetime, committed: list[int], detail: str) -> None:
    """After some batches committed: deliver their notifications, then say exactly what stands."""
    if not committed:
        return  # nothing was written: the error as it is tells the truth
    try:
        ctx.notifier.deliver(ctx, now)
    except OperationalError:
        pass  # they stay pending in the outbox table; the next check delivers them
    raise CheckInterrupted(committed, detail)


def catch_up(ctx: ServiceContext, participant_id: int, now: datetime) -> int:
    """Perform one participant's passed deadline actions now, recording them but notifying no one.

    For a history brought in after the fact (``pathway import``): the misses and escalations it
    would have had are events with their own times, as the check would write them, but nobody is
    sent a reminder about a deadline that fell years ago. The board still lists what is overdue.
    Returns the number of events recorded.
    """
    recorded = 0
    with ctx.uow() as uow:
        participant = uow.participants.get(participant_id)
        if participant is None or not participant.is_open:
            return 0
        for row in uow.deadlines.for_participant(participant_id):
            if row.status != DeadlineStatus.OPEN or row.next_action_at is None or row.next_action_at > now:
                continue
            for action, perform in actions_to_take(row, now):
                row.mark_done(action)
                if perform:
                    _perform(ctx, participant, row, action, now)
                    recorded += 1
            row.reschedule()
        uow.commit()
    return recorded


def _check_batch(ctx: ServiceContext, now: datetime, batch: int) -> tuple[list[CheckAction], int]:
    """One transaction: claim up to ``batch`` due rows, append their events, move them on.

    The claimed rows and their participants are read as plain rows (only the columns the check
    needs) and written back in batches: one INSERT of events, one UPDATE of the rows and one of the
    participants, each version-checked — not mapped objects and one ORM UPDATE per row.
    """
    with ctx.uow() as uow:
        rows = uow.deadlines.claim_due_rows(now, batch)
        if not rows:
            return [], 0
        heads = uow.participants.lock_heads([r.participant_id for r in rows])
        addressing = Addressing(uow, list(heads))
        seqs = {pid: head.last_seq for pid, head in heads.items()}
        actor, actor_id, agency = ctx.actor, ctx.actor_id, ctx.actor_agency
        taken: list[CheckAction] = []
        queued: list[dict[str, Any]] = []
        new: list[Event] = []
        moved = []
        for row in rows:
            head = heads[row.participant_id]
            steps, progress = row.advance(now)
            moved.append(progress)
            due_date = row.due_date.isoformat() if row.due_date else None
            for action, perform in steps:
                if not perform:
                    continue
                seq = seqs[head.id] = seqs[head.id] + 1
                new.append(Event(
                    seq=seq, type=_CHECK_EVENT_TYPES[action.kind], effective_at=action.at, recorded_at=now, actor=actor,
                    actor_id=actor_id, actor_agency=agency, workflow_id=head.workflow_id,
                    workflow_version=head.workflow_version, from_step=head.step, to_step=head.step,
                    participant_id=head.id,
                    data={"rule": row.rule, "title": row.title, "level": action.level, "role": action.role,
                          "due_date": due_date}))
                act = CheckAction(head.id, head.ref, head.workflow_id, row.rule, row.title, action.kind,
                                  action.level, action.role, row.due_at, row.due_date, action.at, seq,
                                  tuple(addressing.addressees(head.id, head.workflow_id, action.role)))
                taken.append(act)
                queued += ctx.notifier.queue(act, now)
        uow.deadlines.save_progress(moved)
        uow.participants.append_events(heads, new)
        uow.deadlines.add_notifications(queued)
        uow.commit()
        return taken, len(rows)


def _perform(ctx: ServiceContext, participant: Participant, row: Deadline, action: DeadlineAction,
             now: datetime, addressing: Addressing | None = None) -> CheckAction:
    """Append the action's event to the participant's history."""
    event = participant.record(Event(
        seq=0, type=EventType(action.kind).value, effective_at=action.at, recorded_at=now,
        actor=ctx.actor, actor_id=ctx.actor_id, actor_agency=ctx.actor_agency, workflow_id=participant.workflow_id,
        workflow_version=participant.workflow_version, from_step=participant.step, to_step=participant.step,
        data={"rule": row.rule, "title": row.title, "level": action.level, "role": action.role,
              "due_date": row.due_date.isoformat() if row.due_date else None},
    ))
    to = addressing.addressees(participant.id or 0, participant.workflow_id, action.role) if addressing else []
    return CheckAction(participant.id or 0, participant.ref, participant.workflow_id, row.rule, row.title,
                       action.kind, action.level, action.role, row.due_at, row.due_date, action.at, event.seq,
                       tuple(to))


@dataclass(frozen=True)
class BoardRow:
    """One line of the coordinator's board (``deadlines list``)."""

    participant_id: int
    ref: str | None
    workflow: str
    step: str
    rule: str
    title: str
    status: str
    due_date: date | None
    due_at: datetime | None
    days_overdue: int
    level: int
    owner: str

    def to_json(self) -> dict[str, Any]:
        from pathway.services.views import iso

        return {"participant_id": self.participant_id, "ref": self.ref, "workflow": self.workflow,
                "step": self.step, "rule": self.rule, "title": self.title, "status": self.status,
                "due_date": self.due_date.isoformat() if self.due_date else None,
                "due_at": iso(self.due_at), "days_overdue": self.days_overdue, "level": self.level,
                "owner": self.owner}


def board_row(row: Deadline, participant: Participant, today: date) -> BoardRow:
    return BoardRow(participant.id or 0, participant.ref, participant.workflow_id, participant.step,
                    row.rule, row.title, row.status, row.due_date, row.due_at, row.days_overdue(today),
                    row.level, row.responsible_role())


def board(
    ctx: ServiceContext,
    overdue: bool = False,
    due_before: datetime | None = None,
    role: str | None = None,
    workflow_id: str | None = None,
) -> list[BoardRow]:
    now = ctx.clock.now()
    today = to_local(now).date()
    for what, value in (("workflow", workflow_id), ("role", role)):
        if value is not None:  # a filter from a URL may hold anything; PostgreSQL refuses a NUL byte
            limits.check_lookup(value, what)
    with ctx.uow() as uow:
        policy.require(ctx, "deadlines.list")
        visible = policy.visible_workflows(ctx)
        pairs = uow.deadlines.board(now, overdue, due_before, workflow_id)
        rows = [board_row(d, p, today) for d, p in pairs if visible is None or p.workflow_id in visible]
        if ctx.user is not None:
            policy.log_read(ctx, uow, None, "deadline board", workflow_id)
            uow.commit()
    return [r for r in rows if role is None or r.owner == role]


@dataclass(frozen=True)
class UnwatchedRow:
    """A participant no deadline rule watches although one should: its start attribute is missing."""

    participant_id: int
    ref: str | None
    workflow: str
    step: str
    rule: str
    title: str
    attribute: str

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


def unwatched(ctx: ServiceContext, workflow_id: str | None = None) -> list[UnwatchedRow]:
    """Open participants with no deadline of a rule that should watch them: the rule starts at a date
    attribute that was never recorded (imported, enrolled before the rule, recorded then cleared), it
    applies to them (its ``applies_if``), and they have not yet reached its target. The engine makes the
    attribute required for the triggers before the target (steps/requirements.py); this list finds
    those already past that gate or standing before it, so nobody's clock silently never starts."""
    with ctx.uow() as uow:
        policy.require(ctx, "deadlines.list", workflow=workflow_id)
        visible = policy.visible_workflows(ctx)
        ids = [workflow_id] if workflow_id is not None else ctx.catalog.file_ids()
        registered = [(v.workflow_id, v.version) for v in uow.workflows.all()]
        rows: list[UnwatchedRow] = []
        for wid in ids:
            if visible is not None and wid not in visible:
                continue
            # the steps where each rule watches, in every version a participant may still be pinned to
            versions = {version for registered_id, version in registered if registered_id == wid}
            definitions = [ctx.catalog.load_current(wid).definition] + [
                ctx.catalog.pinned(uow, wid, version).definition for version in sorted(versions)]
            by_rule: dict[str, set[str]] = {}
            for definition in definitions:
                for step, requirements in StepRequirements(definition).attributes.items():
                    for requirement in requirements:
                        by_rule.setdefault(requirement.rule.id, set()).add(step)
            for rule_id, steps in sorted(by_rule.items()):
                for participant in uow.deadlines.without_rule(wid, steps, rule_id):
                    found = _unwatched_by(ctx, uow, participant, rule_id)
                    if found is not None:
                        rows.append(found)
        if ctx.user is not None and not ctx.granted:
            policy.log_read(ctx, uow, None, "unwatched participants", workflow_id)
            uow.commit()
    return sorted(rows, key=lambda r: (r.workflow, r.participant_id, r.rule))


def _unwatched_by(ctx: ServiceContext, uow: UnitOfWork, participant: Participant, rule_id: str) -> UnwatchedRow | None:
    """The row when ``rule_id`` of the participant's own workflow version should watch them and does not."""
    definition = ctx.catalog.pinned(uow, participant.workflow_id, participant.workflow_version).definition
    for requirement in StepRequirements(definition).attributes.get(participant.step, []):
        if requirement.rule.id != rule_id:
            continue
        known = {k: v for k, v in participant.attributes.items() if k in definition.attributes}
        attributes = coerce_fields(definition.attributes, known, definition, "attribute", "(stored)", checked=False)
        context = GuardContext(attributes, {}, participant.step, ctx.clock.now(), participant.enrolled_at,
                               participant.folded.records)  # the fold kept on the row: no history read
        if requirement.reasons(context):
            return UnwatchedRow(participant.id or 0, participant.ref, participant.workflow_id, participant.step,
                                rule_id, requirement.rule.title, requirement.attribute)
    return None


def for_participant(uow: UnitOfWork, participant: Participant, now: datetime) -> list[BoardRow]:
    """The participant's deadlines that are still running (for ``participant show``)."""
    today = to_local(now).date()
    return [board_row(d, participant, today) for d in uow.deadlines.for_participant(participant.id or 0)
            if d.status in (DeadlineStatus.OPEN, DeadlineStatus.PAUSED)]
