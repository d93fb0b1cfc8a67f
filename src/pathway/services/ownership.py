"""Case ownership and caseloads: who holds each participant, and what they must do.

Each participant has a responsible caseworker (huvudansvarig handläggare, slot ``responsible``)
and may have a named contact per agency (slot = the agency code). Enrolment assigns the enrolling
caseworker; ``assign`` names someone else; ``reassign`` moves a whole caseload at a staff change,
atomically, one ``assigned`` event per participant. The deadline check addresses a deadline held
by a role the responsible caseworker holds to that person, and escalations to the named holders
of the role in the workflow (:func:`addressees`).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from pathway.clock import to_local
from pathway.domain import Event, EventType, Participant
from pathway.domain.deadline import DeadlineStatus
from pathway.domain.users import AGENCIES, COORDINATOR, User
from pathway.errors import BadInput, InvalidValue, ParticipantExited, RuleRefused
from pathway.services import policy
from pathway.services.context import ServiceContext
from pathway.services.participants import resolve
from pathway.store.access_repository import RESPONSIBLE
from pathway.store.uow import UnitOfWork


def _user(uow: UnitOfWork, login: str, what: str = "user") -> User:
    user = uow.users.get_by_login(login.strip())
    if user is None:
        known = sorted(u.login for u in uow.users.all() if u.active)
        raise InvalidValue(what, login, f"registered users: {', '.join(known) or '(none: single-user mode)'}")
    if not user.active:
        raise InvalidValue(what, login, "that user is disabled; enable them first or choose another")
    return user


def _fit(user: User, workflow_id: str, slot: str) -> None:
    """The assignee must work in the participant's workflow (and, as a contact, at that agency)."""
    if not user.member_of(workflow_id):
        raise RuleRefused(
            f"{user.label()} is not a member of workflow '{workflow_id}' (member of: "
            f"{', '.join(sorted(user.workflows)) or 'none'}); an admin can add it with "
            f"'pathway user update {user.login} --add-workflow {workflow_id}'")
    if not policy.is_staff(user):
        raise RuleRefused(f"{user.label()} holds no caseworker role (roles: {', '.join(sorted(user.roles)) or 'none'}); "
                          "only caseworkers and coordinators hold cases")
    if slot != RESPONSIBLE and user.agency != slot:
        raise RuleRefused(f"{user.label()} works at {user.agency}, so cannot be the named contact at {slot}")


def _slot(agency: str | None) -> str:
    if agency is None:
        return RESPONSIBLE
    if agency not in AGENCIES:
        raise InvalidValue("--agency", agency, f"use one of: {', '.join(AGENCIES)}")
    return agency


def _record(ctx: ServiceContext, participant: Participant, slot: str, user: User, previous: User | None,
            reason: str | None) -> Event:
    now = ctx.clock.now()
    return participant.record(Event(
        seq=0, type=EventType.ASSIGNED.value, effective_at=now, recorded_at=now, actor=ctx.actor,
        actor_id=ctx.actor_id, actor_agency=ctx.actor_agency, workflow_id=participant.workflow_id,
        workflow_version=participant.workflow_version, from_step=participant.step, to_step=participant.step,
        data={"slot": slot, "user_id": user.id, "login": user.login,
              "previous_user_id": previous.id if previous else None,
              "previous_login": previous.login if previous else None},
        reason=reason,
    ))


def assign(ctx: ServiceContext, participant_ref: str | int, login: str, agency: str | None = None,
           reason: str | None = None) -> dict[str, Any]:
    """Make ``login`` the responsible caseworker (or, with ``agency``, the contact there)."""
    slot = _slot(agency)
    with ctx.uow() as uow:
        participant = resolve(uow, participant_ref)
        policy.require(ctx, "participant.assign", participant, uow=uow)
        if not participant.is_open:
            raise ParticipantExited(participant.id or 0, participant.step)
        user = _user(uow, login)
        _fit(user, participant.workflow_id, slot)
        held = uow.assignments.of(participant.id or 0)
        previous = uow.users.get(held[slot]) if slot in held else None
        if previous is not None and previous.id == user.id:
            raise RuleRefused(f"{user.login} already holds participant {participant.id} ({slot}); nothing to do")
        event = _record(ctx, participant, slot, user, previous, reason)
        uow.assignments.set(participant.id or 0, slot, user.id or 0, ctx.clock.now())
        uow.commit()
        return {"participant_id": participant.id, "slot": slot, "login": user.login,
                "previous": previous.login if previous else None, "seq": event.seq}


@dataclass
class Reassignment:
    """What ``reassign`` moved (or, with ``dry_run``, would move)."""

    from_login: str
    to_login: str
    participants: list[int] = field(default_factory=list)
    dry_run: bool = False


def reassign(ctx: ServiceContext, from_login: str, to_login: str, reason: str, workflow_id: str | None = None,
             dry_run: bool = False) -> Reassignment:
    """Move every open participant ``from_login`` is responsible for to ``to_login``: all or none."""
    if not reason or not reason.strip():
        raise BadInput("say why the caseload moves with --reason TEXT (e.g. 'Anna på föräldraledighet')")
    with ctx.uow() as uow:
        policy.require(ctx, "participant.reassign", workflow=workflow_id)
        source, target = _user(uow, from_login, "--from"), _user(uow, to_login, "--to")
        if source.id == target.id:
            raise InvalidValue("--to", to_login, "give another user than --from")
        ids = uow.assignments.participants_of(source.id or 0, RESPONSIBLE, workflow_id)
        if not ids:
            where = f" in workflow '{workflow_id}'" if workflow_id else ""
            raise InvalidValue("--from", from_login, f"{source.login} is responsible for no open participant{where}; "
                               "nothing to reassign ('pathway caseload --user " + source.login + "')")
        people = uow.participants.lock(ids)
        for workflow in sorted({p.workflow_id for p in people.values()}):
            policy.require(ctx, "participant.reassign", workflow=workflow)
            _fit(target, workflow, RESPONSIBLE)
        result = Reassignment(source.login, target.login, sorted(people), dry_run)
        if dry_run:
            return result
        now = ctx.clock.now()
        for pid in result.participants:
            _record(ctx, people[pid], RESPONSIBLE, target, source, reason.strip())
            uow.assignments.set(pid, RESPONSIBLE, target.id or 0, now)
        uow.commit()
        return result


# -- caseloads ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class CaseloadRow:
    participant_id: int
    ref: str | None
    workflow: str
    step: str
    responsible: str | None  # login, None when unassigned
    days_in_step: int
    next_deadline: str | None  # rule title
    next_due: date | None
    overdue: int  # deadlines past their due date

    def to_json(self) -> dict[str, Any]:
        return {"participant_id": self.participant_id, "ref": self.ref, "workflow": self.workflow,
                "step": self.step, "responsible": self.responsible, "days_in_step": self.days_in_step,
                "next_deadline": self.next_deadline,
                "next_due": self.next_due.isoformat() if self.next_due else None, "overdue": self.overdue}


def _whose(ctx: ServiceContext, uow: UnitOfWork, login: str | None) -> User | None:
    """The user whose caseload is asked for; checks that the acting user may see it."""
    if login is None:
        return ctx.user
    user = _user(uow, login)
    if ctx.user is not None and user.id != ctx.user.id:
        policy.require(ctx, "caseload.others")
        shared = ctx.user.workflows & user.workflows
        if not shared:
            raise policy.not_member(ctx, "caseload.others", user)
    return user


def _participants_in(ctx: ServiceContext, uow: UnitOfWork, user: User | None) -> tuple[list[Participant], dict[int, int]]:
    """(participants, participant id → responsible user id) of a caseload.

    A caseworker's: those they are responsible for. A coordinator's own (no ``--user``): every open
    participant of their workflows, assigned or not. Single-user mode: every open participant.
    """
    if user is None:
        people = list(uow.participants.list(status="open"))
    elif COORDINATOR in user.roles and ctx.user is not None and user.id == ctx.user.id:
        people = [p for p in uow.participants.list(status="open") if p.workflow_id in user.workflows]
    else:
        ids = uow.assignments.participants_of(user.id or 0, RESPONSIBLE)
        people = list(uow.participants.lock(ids).values()) if ids else []
        if ctx.user is not None and ctx.user.id != user.id:  # a coordinator sees their own projects only
            people = [p for p in people if p.workflow_id in ctx.user.workflows]
    people.sort(key=lambda p: p.id or 0)
    return people, uow.assignments.of_many([p.id or 0 for p in people])


def caseload(ctx: ServiceContext, login: str | None = None) -> list[CaseloadRow]:
    """My participants (or ``login``'s): step, days in step, next deadline and what is overdue."""
    with ctx.uow() as uow:
        policy.require(ctx, "caseload.read")
        user = _whose(ctx, uow, login)
        people, held = _participants_in(ctx, uow, user)
        logins = {u.id: u.login for u in uow.users.all()}
        now = ctx.clock.now()
        today = to_local(now).date()
        rows = []
        for p in people:
            running = sorted((d.due_date, d.title) for d in uow.deadlines.for_participant(p.id or 0)
                             if d.status == DeadlineStatus.OPEN and d.due_date is not None)
            upcoming = next(((due, title) for due, title in running if due >= today), None)
            since = p.last_step_change_at or p.enrolled_at
            holder = held.get(p.id or 0)
            rows.append(CaseloadRow(
                p.id or 0, p.ref, p.workflow_id, p.step, logins.get(holder) if holder is not None else None,
                (today - to_local(since).date()).days,
                upcoming[1] if upcoming else None, upcoming[0] if upcoming else None,
                sum(1 for due, _title in running if due < today)))
        if ctx.user is not None:
            policy.log_read(ctx, uow, None, f"caseload of {user.login if user else 'everyone'}")
            uow.commit()
        return rows


@dataclass(frozen=True)
class TodoRow:
    when: str  # overdue, today, this week
    participant_id: int
    ref: str | None
    workflow: str
    what: str
    due: date
    held_by: str  # role

    def to_json(self) -> dict[str, Any]:
        return {"when": self.when, "participant_id": self.participant_id, "ref": self.ref,
                "workflow": self.workflow, "what": self.what, "due": self.due.isoformat(), "held_by": self.held_by}


def today(ctx: ServiceContext, login: str | None = None) -> list[TodoRow]:
    """What I must do today and this week: overdue and due deadlines (meetings, follow-ups, consent
    confirmations and plan dates are deadlines too) of my caseload, soonest first."""
    with ctx.uow() as uow:
        policy.require(ctx, "caseload.read")
        user = _whose(ctx, uow, login)
        people, _held = _participants_in(ctx, uow, user)
        now = ctx.clock.now()
        day = to_local(now).date()
        week_end = day + timedelta(days=6 - day.weekday())
        rows: list[TodoRow] = []
        for p in people:
            for d in uow.deadlines.for_participant(p.id or 0):
                if d.status != DeadlineStatus.OPEN or d.due_date is None or d.due_date > week_end:
                    continue
                when = "overdue" if d.due_date < day else "today" if d.due_date == day else "this week"
                rows.append(TodoRow(when, p.id or 0, p.ref, p.workflow_id, d.title, d.due_date, d.responsible_role()))
        order = {"overdue": 0, "today": 1, "this week": 2}
        rows.sort(key=lambda r: (order[r.when], r.due, r.participant_id))
        if ctx.user is not None:
            policy.log_read(ctx, uow, None, f"today of {user.login if user else 'everyone'}")
            uow.commit()
        return rows
