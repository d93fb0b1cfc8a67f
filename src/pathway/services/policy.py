"""Who may do what: the one access policy every use case asks before it reads or writes.

Every service function calls :func:`require` with the name of its permission (and the participant
or workflow it is about) before touching data; the CLI and the web app call the same functions, so
they enforce the same rules. A refusal raises :class:`~pathway.errors.NotPermitted` (CLI exit 3),
naming the missing permission and who can grant it, and nothing is written.

Single-user mode: while no user is registered (``ctx.user is None``), everything is allowed — the
embedded default for one person at a terminal. ``pathway user add LOGIN --admin`` ends it.

The rules, per permission (:data:`RULES`):

* **staff** — a user holding a workflow role (caseworker, employment_officer, group_leader …, any
  role that is not a system role) or ``coordinator``, and a member of the participant's workflow:
  enrol, fire, set, show, history, handover, consent, plan, placement, intervention, assign,
  caseload, the deadline board, participant lists (filtered to their workflows).
* **coordinator** (samordnare) — also reassigns caseloads and sees every caseworker's caseload in
  their workflows.
* **steering_group**, **funder** — aggregate reports of their workflows only (``report.read``), never a
  record: no report they may run lists a participant (``report outcomes`` counts per outcome); the
  corrections report, which lists entries by participant, needs ``report.records`` (staff).
* **designer** — registers and migrates workflows. **admin** — manages users and (with **service** accounts) backs up the database. **dpo** and
  **admin** — read the access log. **service** (service accounts: the scheduler) — runs the
  deadline check and imports (coordinators may too).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from pathway.domain.users import (
    ADMIN,
    COORDINATOR,
    DESIGNER,
    DPO,
    FUNDER,
    SERVICE,
    STEERING_GROUP,
    SYSTEM_ROLES,
    User,
)
from pathway.errors import NotPermitted

if TYPE_CHECKING:
    from pathway.domain import Participant
    from pathway.services.context import ServiceContext
    from pathway.store.uow import UnitOfWork

#: stands for "any workflow role (not a system role), or coordinator"
STAFF = "<staff>"


@dataclass(frozen=True)
class Rule:
    """Which roles may use a permission, and whether workflow membership is needed."""

    roles: frozenset[str]
    what: str  # how the permission reads in a refusal: "fire triggers"
    member: bool = True  # the user must be a member of the participant's (or named) workflow


def _r(what: str, *roles: str, member: bool = True) -> Rule:
    return Rule(frozenset(roles), what, member)


RULES: dict[str, Rule] = {
    "participant.enrol": _r("enrol participants", STAFF),
    "participant.fire": _r("fire triggers", STAFF),
    "participant.set": _r("record attributes", STAFF),
    "participant.read": _r("read a participant's record", STAFF),
    "participant.handover": _r("make a handover summary", STAFF),
    #: and only their own entries within CORRECTION_WINDOW, unless coordinator (services/corrections.py)
    "participant.correct": _r("correct entries (undo, reopen, void, correct)", STAFF),
    "participant.list": _r("list participants", STAFF, member=False),
    "participant.assign": _r("assign participants", STAFF),
    "participant.reassign": _r("reassign caseloads", COORDINATOR),
    "consent.record": _r("record consent", STAFF),
    "plan.record": _r("change the action plan", STAFF),
    "placement.record": _r("record placements", STAFF),
    "intervention.record": _r("record interventions", STAFF),
    "meeting.record": _r("record meetings and no-shows", STAFF),
    "group.manage": _r("manage groups, their sessions and moves", STAFF),
    "caseload.read": _r("see a caseload", STAFF, member=False),
    "caseload.others": _r("see another user's caseload", COORDINATOR, member=False),
    "deadlines.list": _r("see the deadline board", STAFF, member=False),
    "deadlines.check": _r("run the deadline check", SERVICE, COORDINATOR, member=False),
    "import.run": _r("import participants", SERVICE, COORDINATOR),
    "report.read": _r("run aggregate reports", STAFF, STEERING_GROUP, FUNDER, DESIGNER),
    #: reports that list participants' entries one by one (corrections: ref, who, previous value):
    #: a record, so never a funder's or steering group's
    "report.records": _r("run reports that list participants' entries (corrections)", STAFF),
    "workflow.register": _r("register workflows", DESIGNER, member=False),
    "workflow.migrate": _r("migrate participants to a new workflow version", DESIGNER),
    "user.manage": _r("manage users", ADMIN, member=False),
    "audit.read": _r("read the access log", ADMIN, DPO, member=False),
    # the person across projects and the data-protection lifecycle (issue 12)
    "person.lookup": _r("look a person up across projects", STAFF, DPO, member=False),
    "identity.rotate": _r("rotate the identity key", ADMIN, member=False),
    "person.extract": _r("make a register extract (GDPR art. 15)", DPO, ADMIN, member=False),
    "participant.redact": _r("redact a free-text entry", STAFF, DPO),
    "export.national": _r("export participants to the national follow-up (Uppföljning Finsam)", STAFF),
    #: a copy of everyone's data: admins, and service accounts (the nightly cron job)
    "db.backup": _r("back up the database", ADMIN, SERVICE, member=False),
    "retention.run": _r("purge personal data past the retention limit", ADMIN, DPO, SERVICE, member=False),
}


def is_staff(user: User) -> bool:
    """Holds a workflow role or coordinator: may work with participants' records."""
    return COORDINATOR in user.roles or any(r not in SYSTEM_ROLES for r in user.roles)


def _holds(user: User, rule: Rule) -> bool:
    if STAFF in rule.roles and is_staff(user):
        return True
    return user.has_any(rule.roles - {STAFF})


def allowed(user: User | None, permission: str, workflow_id: str | None = None) -> bool:
    """Whether ``user`` may use ``permission`` (on ``workflow_id``); True in single-user mode."""
    if user is None:
        return True
    rule = RULES[permission]
    if not user.active or not _holds(user, rule):
        return False
    return not (rule.member and workflow_id is not None and not user.member_of(workflow_id))


#: permissions on one participant that the workflow's ``case_access`` narrows for caseworkers
CASE_PERMISSIONS = frozenset({
    "participant.fire", "participant.set", "participant.read", "participant.handover", "participant.assign",
    "consent.record", "plan.record", "placement.record", "intervention.record",
})


def require(ctx: ServiceContext, permission: str, participant: Participant | None = None,
            *, workflow: str | None = None, uow: UnitOfWork | None = None) -> None:
    """Raise :class:`NotPermitted` unless the acting user may use ``permission``.

    ``participant`` (or ``workflow``) is what it is used on: membership of its workflow is
    checked where the rule asks for it. Call before any read or write.
    """
    user = ctx.user
    if permission not in RULES:
        raise KeyError(f"unknown permission {permission!r}")
    if user is None or permission in ctx.granted:
        return
    rule = RULES[permission]
    workflow_id = participant.workflow_id if participant is not None else workflow
    if not user.active:
        raise NotPermitted(f"user '{user.login}' is disabled; {_granters(ctx)} can enable it", permission)
    if not _holds(user, rule):
        raise NotPermitted(
            f"{user.label()} may not {rule.what} (permission {permission}): it needs {_role_names(rule.roles)}; "
            f"{_granters(ctx)} can grant it with 'pathway user update {user.login} --add-role ROLE'",
            permission,
        )
    if rule.member and workflow_id is not None and not user.member_of(workflow_id):
        about = f" participant {participant.id}" if participant is not None else ""
        raise NotPermitted(
            f"{user.label()} may not {rule.what} on{about} in workflow '{workflow_id}' (permission "
            f"{permission}): not a member of that workflow (member of: "
            f"{', '.join(sorted(user.workflows)) or 'none'}); {_granters(ctx)} can add it with "
            f"'pathway user update {user.login} --add-workflow {workflow_id}'",
            permission,
        )
    if participant is not None and uow is not None and permission in CASE_PERMISSIONS \
            and COORDINATOR not in user.roles:
        _case_access(ctx, uow, user, participant, permission)


def _case_access(ctx: ServiceContext, uow: UnitOfWork, user: User, participant: Participant,
                 permission: str) -> None:
    """The workflow's ``case_access``: agency or assigned narrows who of its caseworkers may act."""
    access = getattr(ctx.catalog.pinned(uow, participant.workflow_id, participant.workflow_version).definition,
                     "case_access", "workflow")
    if access == "workflow":
        return
    held = uow.assignments.of(participant.id or 0)
    if user.id in held.values():
        return
    responsible = uow.users.get(held["responsible"]) if "responsible" in held else None
    if access == "agency" and responsible is not None and responsible.agency == user.agency:
        return
    who = (f"{responsible.login} ({responsible.agency})" if responsible else "nobody")
    coordinators = sorted(u.login for u in uow.users.all()
                          if u.active and COORDINATOR in u.roles and u.member_of(participant.workflow_id))
    granters = f"a coordinator ({', '.join(coordinators)})" if coordinators else "a coordinator"
    allowed = ("the responsible caseworker's agency and the named contacts" if access == "agency"
               else "the responsible caseworker and the named contacts")
    raise NotPermitted(
        f"{user.label()} may not {RULES[permission].what} on participant {participant.id} (permission "
        f"{permission}): workflow '{participant.workflow_id}' has case_access: {access} ({allowed}); "
        f"responsible: {who}; {granters} can assign you with 'pathway participant assign "
        f"{participant.id} --user {user.login}'",
        permission,
    )


def log_read(ctx: ServiceContext, uow: UnitOfWork, participant: Participant | None, what: str,
             workflow: str | None = None) -> None:
    """Append one row to the access log (loggkontroll): who read what of whom, when, why.

    In the unit of work of the read itself; the caller commits. Holds internal ids only, never a
    personnummer or a name. Not written in single-user mode (no users to tell apart), nor for reads
    made inside another logged use case (``ctx.granted``, e.g. an import).
    """
    if ctx.user is None or ctx.granted:
        return
    uow.access.append(ctx.clock.now(), ctx.user.id, ctx.user.login, ctx.user.agency,
                      participant.id if participant is not None else None,
                      participant.workflow_id if participant is not None else workflow, what, ctx.purpose)


def log_read_apart(ctx: ServiceContext, participant: Participant | None, what: str,
                   workflow: str | None = None) -> None:
    """:func:`log_read` in a transaction of its own, for reads made in a read-only snapshot (reports)."""
    if ctx.user is None or ctx.granted:
        return
    with ctx.uow() as uow:
        log_read(ctx, uow, participant, what, workflow)
        uow.commit()


def not_member(ctx: ServiceContext, permission: str, other: User) -> NotPermitted:
    """The refusal for a user shares no workflow with ``other`` (a coordinator and a caseload)."""
    assert ctx.user is not None
    return NotPermitted(
        f"{ctx.user.label()} may not {RULES[permission].what} of {other.login} (permission {permission}): "
        f"they share no workflow ({ctx.user.login}: {', '.join(sorted(ctx.user.workflows)) or 'none'}; "
        f"{other.login}: {', '.join(sorted(other.workflows)) or 'none'}); {_granters(ctx)} can add one",
        permission)


def visible_workflows(ctx: ServiceContext) -> frozenset[str] | None:
    """The workflows whose participants the acting user may list; None means all (single-user)."""
    return None if ctx.user is None else ctx.user.workflows


def _role_names(roles: Iterable[str]) -> str:
    names = sorted(r for r in roles if r != STAFF)
    if STAFF in roles:
        staff = "a workflow role (caseworker, employment_officer …)"
        names = [staff] + [n for n in names if n != COORDINATOR] + [COORDINATOR]
    if len(names) == 1:
        return f"the role {names[0]}"
    return "the role " + ", ".join(names[:-1]) + " or " + names[-1]


def _granters(ctx: ServiceContext) -> str:
    """Who can grant a permission: the active admins, by login (looked up when the user was resolved)."""
    return f"an admin ({', '.join(ctx.admins)})" if ctx.admins else "an admin"
