"""Groups: members, capacity, sessions with attendance, and moving a whole group on.

A group works in one ``group_activity`` step of one workflow (Kraft's motivation group, Örebro's
language groups of eight). Its capacity is at most the step's ``group_size``; its sessions last the
step's ``hours_per_session`` (wellness: ``wellness_hours_per_week``) unless given. Joining, leaving,
attending and being absent (with a reason: a sick child) are events in each member's history;
:func:`move_group` fires one trigger for every member in one transaction — one event per member,
all or nothing.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from pathway.domain import Event, Participant
from pathway.domain.records import RecordEvent
from pathway.engine.step_settings import group_config
from pathway.clock import to_local
from pathway import errors
from pathway.errors import BadInput, InvalidValue, NotPermitted, PathwayError, RuleRefused
from pathway.services import policy, secrecy
from pathway.services.context import ServiceContext
from pathway.services.deadlines import reconcile
from pathway.services.participants import effective_time, fire, resolve, typed_attributes
from pathway.services.views import FireResult
from pathway.services.retry import caseworker_command
from pathway.store.group_repository import GroupRow, SessionRow
from pathway.store.uow import UnitOfWork

SESSION_KINDS = ("session", "wellness")


@dataclass(frozen=True)
class MemberView:
    """One member's attendance as the viewer may see it: ``attended``/``absent``/``hours`` are None when
    the member's record is closed to the viewer (case_access), counts of the shown entries otherwise;
    ``withheld`` says what was not shown and why."""

    participant_id: int
    ref: str | None
    step: str
    attended: int | None
    absent: int | None
    hours: float | None
    absences: list[str] = field(default_factory=list)
    withheld: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class GroupView:
    id: int
    workflow: str
    step: str
    name: str
    capacity: int | None
    closed_at: datetime | None
    planned_hours_per_week: float | None
    members: list[MemberView]
    sessions: list[SessionRow]

    def to_json(self) -> dict[str, Any]:
        from pathway.services.views import iso

        return {"id": self.id, "workflow": self.workflow, "step": self.step, "name": self.name,
                "capacity": self.capacity, "closed_at": iso(self.closed_at) if self.closed_at else None,
                "planned_hours_per_week": self.planned_hours_per_week,
                "members": [{"participant_id": m.participant_id, "ref": m.ref, "step": m.step, "attended": m.attended,
                             "absent": m.absent, "hours": m.hours, "absences": m.absences, "withheld": m.withheld}
                            for m in self.members],
                "sessions": [{"id": s.id, "held_at": iso(s.held_at), "kind": s.kind, "hours": s.hours}
                             for s in self.sessions]}


def _group(uow: UnitOfWork, ref: str | int, lock: bool = False) -> GroupRow:
    text = str(ref).strip()
    if text.isdecimal():
        found = uow.groups.get(int(text), lock=lock)
        if found is not None:
            return found
    named = uow.groups.by_name(text)
    if len(named) == 1:
        return uow.groups.get(named[0].id, lock=lock) or named[0]
    if len(named) > 1:
        raise BadInput(f"group name '{text}' is used in several workflows; give the id: "
                       + ", ".join(f"{g.id} ({g.workflow_id})" for g in named))
    raise BadInput(f"unknown group '{text}'; give the id printed by 'pathway group create' (see 'pathway group list')")


def _planned_hours(definition: Any, step: str) -> float | None:
    config = group_config(definition, step)
    if config is None or config.sessions_per_week is None or config.hours_per_session is None:
        return None
    return config.sessions_per_week * config.hours_per_session + (config.wellness_hours_per_week or 0)


def _record(ctx: ServiceContext, uow: UnitOfWork, participant: Participant, kind: RecordEvent, data: dict[str, Any],
            at: datetime, reason: str | None) -> Event:
    definition = ctx.catalog.pinned(uow, participant.workflow_id, participant.workflow_version).definition
    event = participant.record(Event(
        seq=0, type=kind.value, effective_at=at, recorded_at=ctx.clock.now(), actor=ctx.actor, actor_id=ctx.actor_id,
        actor_agency=ctx.actor_agency, workflow_id=participant.workflow_id,
        workflow_version=participant.workflow_version, from_step=participant.step, to_step=participant.step,
        data=data, reason=reason), definition.terminal_step_ids)
    reconcile(uow, participant, definition, typed_attributes(ctx, uow, participant))
    return event


def create_group(ctx: ServiceContext, workflow_id: str, step: str, name: str, capacity: int | None = None) -> int:
    """Start a group in a group step; returns its id."""
    policy.require(ctx, "group.manage", workflow=workflow_id)
    definition = ctx.catalog.load_current(workflow_id).definition
    group_steps = [s.id for s in definition.steps if s.kind == "group_activity"]
    if step not in group_steps:
        raise InvalidValue(errors.field("step"), step, f"a group works in a group_activity step of '{workflow_id}': "
                                           f"{', '.join(group_steps) or 'it has none'}")
    if not name.strip():
        raise InvalidValue(errors.field("name"), name, "name the group, e.g. 'Motivation vår 2026'")
    config = group_config(definition, step)
    size = config.group_size if config else None
    if capacity is not None and (capacity < 1 or (size is not None and capacity > size)):
        raise InvalidValue(errors.field("capacity"), capacity, f"step '{step}' takes groups of at most {size} (group_size)"
                           if size is not None else "give a whole number of places, at least 1")
    with ctx.uow() as uow:
        if any(g.workflow_id == workflow_id for g in uow.groups.by_name(name.strip())):
            raise RuleRefused(f"workflow '{workflow_id}' already has a group named '{name.strip()}'")
        group_id = uow.groups.add(workflow_id, step, name.strip(), capacity if capacity is not None else size,
                                  ctx.clock.now())
        uow.commit()
        return group_id


@caseworker_command
def add_members(ctx: ServiceContext, group_ref: str | int, participant_refs: list[str], at: datetime | None = None,
                reason: str | None = None) -> list[int]:
    """Put participants in the group (all or none); refused beyond its capacity (the step's group_size)."""
    if not participant_refs:
        raise BadInput("name at least one participant to add")
    with ctx.uow() as uow:
        group = _group(uow, group_ref, lock=True)
        policy.require(ctx, "group.manage", workflow=group.workflow_id)
        if group.closed_at is not None:
            raise RuleRefused(f"group {group.id} ({group.name}) has closed")
        members = set(uow.groups.members(group.id))
        joining: list[Participant] = []
        for ref in participant_refs:
            participant = resolve(uow, ref)
            policy.require(ctx, "group.manage", participant)
            pid = participant.id or 0
            if not participant.is_open:
                raise RuleRefused(f"participant {pid} has exited")
            if participant.workflow_id != group.workflow_id or participant.step != group.step:
                raise RuleRefused(f"participant {pid} is in step '{participant.step}' of '{participant.workflow_id}'; "
                                  f"group {group.id} works in step '{group.step}' of '{group.workflow_id}'")
            if pid in members or any(p.id == pid for p in joining):
                raise RuleRefused(f"participant {pid} is already in group {group.id}")
            joining.append(participant)
        if group.capacity is not None and len(members) + len(joining) > group.capacity:
            raise RuleRefused(f"group {group.id} ({group.name}) has {len(members)} of {group.capacity} places taken; "
                              f"adding {len(joining)} would exceed it (group_size of step '{group.step}')")
        for participant in joining:
            effective_at, why = effective_time(ctx, at, reason, participant.enrolled_at, "the enrolment")
            _record(ctx, uow, participant, RecordEvent.GROUP_JOINED, {"group": group.id, "name": group.name},
                    effective_at, why)
            uow.groups.join(group.id, participant.id or 0, effective_at)
        uow.commit()
        return [p.id or 0 for p in joining]


@caseworker_command
def remove_member(ctx: ServiceContext, group_ref: str | int, participant_ref: str, at: datetime | None = None,
                  reason: str | None = None) -> None:
    with ctx.uow() as uow:
        group = _group(uow, group_ref, lock=True)
        participant = resolve(uow, participant_ref)
        policy.require(ctx, "group.manage", participant)
        if (participant.id or 0) not in uow.groups.members(group.id):
            raise RuleRefused(f"participant {participant.id} is not in group {group.id}")
        effective_at, why = effective_time(ctx, at, reason, participant.enrolled_at, "the enrolment")
        _record(ctx, uow, participant, RecordEvent.GROUP_LEFT, {"group": group.id, "name": group.name},
                effective_at, why)
        uow.groups.leave(group.id, participant.id or 0, effective_at)
        uow.commit()


@caseworker_command
def record_session(ctx: ServiceContext, group_ref: str | int, kind: str = "session", hours: float | None = None,
                   absent: list[str] | None = None, at: datetime | None = None,
                   reason: str | None = None) -> dict[str, Any]:
    """A session held: every member attended it unless named absent (``ID[:reason]``)."""
    if kind not in SESSION_KINDS:
        raise InvalidValue(errors.field("kind"), kind, f"use one of: {', '.join(SESSION_KINDS)}")
    with ctx.uow() as uow:
        group = _group(uow, group_ref, lock=True)
        policy.require(ctx, "group.manage", workflow=group.workflow_id)
        if group.closed_at is not None:
            raise RuleRefused(f"group {group.id} ({group.name}) has closed")
        definition = ctx.catalog.load_current(group.workflow_id).definition
        config = group_config(definition, group.step)
        default = None if config is None else (config.hours_per_session if kind == "session"
                                               else config.wellness_hours_per_week)
        length = hours if hours is not None else default
        if length is None or not 0 < length <= 12:
            raise InvalidValue(errors.field("hours"), hours, f"give the session's length in hours (0–12); step '{group.step}' "
                                                 f"sets no default for a {kind}")
        members = uow.groups.members(group.id)
        if not members:
            raise RuleRefused(f"group {group.id} ({group.name}) has no members")
        away: dict[int, str | None] = {}
        for text in absent or []:
            who, _, cause = text.partition(":")
            participant = resolve(uow, who.strip())
            if (participant.id or 0) not in members:
                raise InvalidValue(errors.field("absent"), text, f"participant {participant.id} is not in group {group.id}")
            away[participant.id or 0] = cause.strip() or None
        people = [resolve(uow, str(pid)) for pid in members]
        effective_at, why = effective_time(ctx, at, reason, max(p.enrolled_at for p in people), "a member's enrolment")
        session = uow.groups.add_session(group.id, effective_at, kind, float(length), ctx.clock.now(), ctx.actor)
        for participant in people:
            pid = participant.id or 0
            data: dict[str, Any] = {"group": group.id, "session": session, "kind": kind, "hours": float(length)}
            if pid in away:
                _record(ctx, uow, participant, RecordEvent.SESSION_ABSENT, {**data, "reason": away[pid]},
                        effective_at, why)
            else:
                _record(ctx, uow, participant, RecordEvent.SESSION_ATTENDED, data, effective_at, why)
        uow.commit()
        return {"group": group.id, "session": session, "kind": kind, "hours": float(length),
                "attended": len(people) - len(away), "absent": len(away)}


def move_group(ctx: ServiceContext, group_ref: str | int, trigger: str, data: dict[str, Any] | None = None,
               at: datetime | None = None, reason: str | None = None) -> list[FireResult]:
    """Fire ``trigger`` for every current member in one transaction: one event each, all or nothing.

    When the members' next step is another group step the group goes on there (Kraft's group from
    motivation to activation); otherwise the group closes and its members leave it.
    """
    with ctx.uow().one_transaction() as tx:
        shared = replace(ctx, uow=tx.uow)
        with tx.uow() as uow:
            group = _group(uow, group_ref, lock=True)
            policy.require(ctx, "group.manage", workflow=group.workflow_id)
            if group.closed_at is not None:
                raise RuleRefused(f"group {group.id} ({group.name}) has closed")
            # an exit ends the membership (close_at_exit); one that ended before that rule, or a voided
            # enrolment, leaves the group now instead of holding the others back
            listed = [resolve(uow, pid) for pid in uow.groups.members(group.id)]
            members = [p.id or 0 for p in listed if p.is_open]
            gone = [(p.id or 0, p.exited_at) for p in listed if not p.is_open]
        if not members:
            raise RuleRefused(f"group {group.id} ({group.name}) has no members to move")
        results: list[FireResult] = []
        refused: list[str] = []
        for pid in members:
            try:
                with tx.savepoint():
                    results.append(fire(shared, pid, trigger, data or {}, at=at, reason=reason))
            except PathwayError as err:
                refused.append(f"participant {pid}: {err.template}")
        if refused:
            raise RuleRefused(f"group {group.id} ({group.name}) was not moved, nobody was: " + "; ".join(refused))
        steps = {r.to_step for r in results}
        if len(steps) != 1:
            raise RuleRefused(f"group {group.id} ({group.name}) was not moved: '{trigger}' would split it over "
                              f"steps {', '.join(sorted(steps))}")
        step = steps.pop()
        definition = ctx.catalog.load_current(group.workflow_id).definition
        with tx.uow() as uow:
            for pid, exited_at in gone:
                uow.groups.leave(group.id, pid, exited_at or ctx.clock.now())
            if group_config(definition, step) is not None and all(r.status == "open" for r in results):
                uow.groups.move(group.id, step, None)
            else:
                now = ctx.clock.now()
                for pid in members:
                    participant = resolve(uow, pid)
                    if participant.is_open:
                        _record(shared, uow, participant, RecordEvent.GROUP_LEFT,
                                {"group": group.id, "name": group.name, "closed": True},
                                participant.last_step_change_at or now, reason)
                    uow.groups.leave(group.id, pid, now)
                uow.groups.move(group.id, step, now)
            uow.commit()
        tx.commit()
        return results


def show_group(ctx: ServiceContext, group_ref: str | int) -> GroupView:
    """The group and each member's attendance, as the viewer may see it.

    Attendance and absence reasons are entries in the members' histories, so they are shown as
    ``participant show`` would show them: a member whose record the viewer may not read (the
    workflow's ``case_access``) is listed with the attendance withheld, and entries another agency
    recorded are counted only where the member's consent covers the viewer's agency
    (:mod:`pathway.services.secrecy`); each member says what was withheld and why. Only the members
    whose attendance was shown are logged as read.
    """
    with ctx.uow() as uow:
        group = _group(uow, group_ref)
        policy.require(ctx, "participant.read", workflow=group.workflow_id)
        definition = ctx.catalog.load_current(group.workflow_id).definition
        today = to_local(ctx.clock.now()).date()
        members = []
        for pid in uow.groups.members(group.id):
            participant = resolve(uow, pid)
            try:
                policy.require(ctx, "participant.read", participant, uow=uow)
            except NotPermitted as refused:
                members.append(MemberView(pid, participant.ref, participant.step, None, None, None, [],
                                          [f"attendance not shown: {refused.message}"]))
                continue
            history = uow.participants.history(pid)
            kept = {e.seq for e in secrecy.filter_events(ctx.user, history, today).events}
            sessions = [e for e in history if e.data.get("group") == group.id
                        and e.type in (RecordEvent.SESSION_ATTENDED, RecordEvent.SESSION_ABSENT)]
            hidden = Counter(e.actor_agency or "unknown" for e in sessions if e.seq not in kept)
            attended = [e for e in sessions if e.seq in kept and e.type == RecordEvent.SESSION_ATTENDED]
            absent = [e for e in sessions if e.seq in kept and e.type == RecordEvent.SESSION_ABSENT]
            notes = secrecy.Filtered([], hidden, ctx.user.agency if ctx.user else None).notes()
            members.append(MemberView(pid, participant.ref, participant.step, len(attended), len(absent),
                                      sum(float(e.data.get("hours") or 0) for e in attended),
                                      [str(e.data.get("reason") or "–") for e in absent], notes))
            policy.log_read(ctx, uow, participant, f"group {group.id} attendance")
        if ctx.user is not None and not ctx.granted:
            uow.commit()
        return GroupView(group.id, group.workflow_id, group.step, group.name, group.capacity, group.closed_at,
                         _planned_hours(definition, group.step), members, uow.groups.sessions(group.id))


def list_groups(ctx: ServiceContext, workflow_id: str | None = None) -> list[tuple[GroupRow, int]]:
    with ctx.uow() as uow:
        rows = [g for g in uow.groups.all(workflow_id) if policy.allowed(ctx.user, "participant.read", g.workflow_id)]
        return [(g, uow.groups.count_members(g.id)) for g in rows]
