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
from pathway.domain.users import AGENCIES, COORDINATOR, User
from pathway import errors
from pathway.errors import BadInput, InvalidValue, ParticipantExited, RuleRefused
from pathway import limits
from pathway.services import policy
from pathway.services.context import ServiceContext
from pathway.services.participants import resolve
from pathway.services.retry import caseworker_command
from pathway.store.access_repository import RESPONSIBLE, CaseloadEntry, CaseloadScope
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
        raise InvalidValue(errors.field("agency"), agency, f"use one of: {', '.join(AGENCIES)}")
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


@caseworker_command
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
        # the version check now, before the assignment row: a deadline check that wrote since the read is
        # a typed conflict (retried by caseworker_command), never a flush failing inside another statement
        uow.flush()
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


@caseworker_command
def reassign(ctx: ServiceContext, from_login: str, to_login: str, reason: str, workflow_id: str | None = None,
             dry_run: bool = False) -> Reassignment:
    """Move every open participant ``from_login`` is responsible for to ``to_login``: all or none."""
    if not reason or not reason.strip():
        raise BadInput(f"say why the caseload moves with {errors.field('reason')} TEXT (e.g. 'Anna på föräldraledighet')")
    with ctx.uow() as uow:
        policy.require(ctx, "participant.reassign", workflow=workflow_id)
        source, target = _user(uow, from_login, errors.field("from")), _user(uow, to_login, errors.field("to"))
        if source.id == target.id:
            raise InvalidValue(errors.field("to"), to_login, f"give another user than {errors.field('from')}")
        ids = uow.assignments.participants_of(source.id or 0, RESPONSIBLE, workflow_id)
        if not ids:
            where = f" in workflow '{workflow_id}'" if workflow_id else ""
            raise InvalidValue(errors.field("from"), from_login, f"{source.login} is responsible for no open participant{where}; "
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
    user = _user(uow, limits.check_lookup(login, "user"))
    if ctx.user is not None and user.id != ctx.user.id:
        policy.require(ctx, "caseload.others")
        shared = ctx.user.workflows & user.workflows
        if not shared:
            raise policy.not_member(ctx, "caseload.others", user)
    return user


#: Rows per page of a caseload (web page and API default) and the most one page may hold.
PAGE_SIZE = 50
MAX_PAGE_SIZE = 500
#: The most rows a page may skip (a database integer; far beyond any caseload).
MAX_OFFSET = 2**31 - 1


def _scope(ctx: ServiceContext, user: User | None, unassigned: bool = False) -> CaseloadScope:
    """Which participants a caseload holds.

    A caseworker's: the open participants they are responsible for. A coordinator's own (no
    ``--user``): every open participant of their workflows, assigned or not. Single-user mode: every
    open participant. A coordinator looking at another's caseload sees their own projects only.
    """
    if user is None:
        return CaseloadScope(unassigned=unassigned)
    if COORDINATOR in user.roles and ctx.user is not None and user.id == ctx.user.id:
        return CaseloadScope(workflows=frozenset(user.workflows), unassigned=unassigned)
    if unassigned:
        raise InvalidValue("unassigned", "yes", "only a coordinator's own caseload lists the unassigned")
    if ctx.user is None or ctx.user.id == user.id:
        return CaseloadScope(holder_id=user.id or 0)
    return CaseloadScope(holder_id=user.id or 0, workflows=frozenset(ctx.user.workflows))


def _paging(limit: int | None, offset: int) -> None:
    if limit is not None and not 1 <= limit <= MAX_PAGE_SIZE:
        raise InvalidValue(errors.field("limit"), limit, f"give 1 to {MAX_PAGE_SIZE} rows per page")
    if not 0 <= offset <= MAX_OFFSET:
        raise InvalidValue(errors.field("offset"), offset, f"give 0 to {MAX_OFFSET} rows to skip")


def _rows(uow: UnitOfWork, entries: list[CaseloadEntry], today: date) -> list[CaseloadRow]:
    """Caseload rows for one page of participants: their deadlines in one query."""
    running: dict[int, list[tuple[date, str]]] = {}
    for pid, due, title in uow.assignments.open_deadlines_of([e.participant_id for e in entries]):
        running.setdefault(pid, []).append((due, title))
    rows = []
    for e in entries:
        mine = sorted(running.get(e.participant_id, []))
        upcoming = next(((due, title) for due, title in mine if due >= today), None)
        rows.append(CaseloadRow(
            e.participant_id, e.ref, e.workflow_id, e.step, e.responsible,
            (today - to_local(e.since).date()).days,
            upcoming[1] if upcoming else None, upcoming[0] if upcoming else None,
            sum(1 for due, _title in mine if due < today)))
    return rows


@dataclass(frozen=True)
class CaseloadPage:
    """One page of a caseload and how many participants it holds in all."""

    rows: list[CaseloadRow]
    total: int
    limit: int
    offset: int

    def to_json(self) -> dict[str, Any]:
        return {"items": [r.to_json() for r in self.rows], "total": self.total, "limit": self.limit,
                "offset": self.offset}


def caseload_page(ctx: ServiceContext, login: str | None = None, limit: int = PAGE_SIZE, offset: int = 0,
                  unassigned: bool = False) -> CaseloadPage:
    """One page of my participants (or ``login``'s), by participant number: step, days in step, next
    deadline, what is overdue. Three queries whatever the caseload's size (the page, its deadlines,
    the count). ``unassigned`` (a coordinator's own caseload): only those nobody is responsible for."""
    _paging(limit, offset)
    with ctx.uow() as uow:
        policy.require(ctx, "caseload.read")
        user = _whose(ctx, uow, login)
        scope = _scope(ctx, user, unassigned)
        today = to_local(ctx.clock.now()).date()
        rows = _rows(uow, uow.assignments.caseload(scope, limit, offset), today)
        total = uow.assignments.caseload_size(scope)
        if ctx.user is not None:
            policy.log_read(ctx, uow, None, f"caseload of {user.login if user else 'everyone'}")
            uow.commit()
        return CaseloadPage(rows, total, limit, offset)


def caseload(ctx: ServiceContext, login: str | None = None, limit: int | None = None,
             offset: int = 0) -> list[CaseloadRow]:
    """My participants (or ``login``'s): step, days in step, next deadline and what is overdue —
    all of them (or ``limit`` from ``offset``), read a page of ``MAX_PAGE_SIZE`` at a time."""
    _paging(limit, offset)
    with ctx.uow() as uow:
        policy.require(ctx, "caseload.read")
        user = _whose(ctx, uow, login)
        scope = _scope(ctx, user)
        today = to_local(ctx.clock.now()).date()
        rows: list[CaseloadRow] = []
        while limit is None or len(rows) < limit:
            want = MAX_PAGE_SIZE if limit is None else min(MAX_PAGE_SIZE, limit - len(rows))
            entries = uow.assignments.caseload(scope, want, offset + len(rows))
            rows.extend(_rows(uow, entries, today))
            if len(entries) < want:
                break
        if ctx.user is not None:
            policy.log_read(ctx, uow, None, f"caseload of {user.login if user else 'everyone'}")
            uow.commit()
        return rows


@dataclass(frozen=True)
class LoadRow:
    """One caseworker's share of a coordinator's participants."""

    login: str
    count: int
    overdue: int  # deadlines past their due date

    def to_json(self) -> dict[str, Any]:
        return {"login": self.login, "count": self.count, "overdue": self.overdue}


def workload(ctx: ServiceContext) -> tuple[list[LoadRow], int]:
    """A coordinator's view of their projects: each caseworker's open participants and overdue
    deadlines, and how many open participants nobody is responsible for (two GROUP BY queries)."""
    with ctx.uow() as uow:
        policy.require(ctx, "caseload.others")
        user = ctx.user
        scope = _scope(ctx, user)
        today = to_local(ctx.clock.now()).date()
        rows, unassigned = uow.assignments.load(scope, today)
        load = [LoadRow(*row) for row in rows]
        if ctx.user is not None:
            policy.log_read(ctx, uow, None, "caseload load per caseworker")
            uow.commit()
        return load, unassigned


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


def today(ctx: ServiceContext, login: str | None = None, limit: int | None = None) -> list[TodoRow]:
    """What I must do today and this week: overdue and due deadlines (meetings, follow-ups, consent
    confirmations and plan dates are deadlines too) of my caseload, soonest first (one query;
    ``limit`` keeps the first rows only)."""
    _paging(limit, 0)
    with ctx.uow() as uow:
        policy.require(ctx, "caseload.read")
        user = _whose(ctx, uow, login)
        now = ctx.clock.now()
        day = to_local(now).date()
        week_end = day + timedelta(days=6 - day.weekday())
        rows: list[TodoRow] = []
        for d, ref, workflow_id in uow.assignments.due_by(_scope(ctx, user), week_end, limit):
            assert d.due_date is not None
            when = "overdue" if d.due_date < day else "today" if d.due_date == day else "this week"
            rows.append(TodoRow(when, d.participant_id, ref, workflow_id, d.title, d.due_date, d.responsible_role()))
        order = {"overdue": 0, "today": 1, "this week": 2}
        rows.sort(key=lambda r: (order[r.when], r.due, r.participant_id))
        if ctx.user is not None:
            policy.log_read(ctx, uow, None, f"today of {user.login if user else 'everyone'}")
            uow.commit()
        return rows
