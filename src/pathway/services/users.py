"""Use cases for user administration, and who is acting.

:func:`acting_user` turns a login (the OS user, or ``PATHWAY_USER`` for service accounts) into the
registered :class:`~pathway.domain.users.User`; while no user is registered the database is in
single-user mode and it returns None. Adding, updating and disabling users is for admins only
(permission ``user.manage``), and each change is written to ``user_changes`` with who made it —
except the very first user, who must be an admin and ends single-user mode.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, replace
from typing import Any

from pathway.domain.users import ADMIN, AGENCIES, SYSTEM_ROLES, User
from pathway import errors
from pathway.errors import BadInput, InvalidValue, NotPermitted, RuleRefused
from pathway.services import policy
from pathway.services.context import ServiceContext
from pathway.store.uow import UnitOfWork

LOGIN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$")

SINGLE_USER_NOTE = (
    "single-user mode: no users are registered in this database, so whoever runs pathway on it may do "
    "everything; 'pathway user add LOGIN --name NAME --agency AGENCY --admin' ends it"
)


def _logins(users: Iterable[User], limit: int = 12) -> str:
    names = sorted(u.login for u in users)
    shown = ", ".join(names[:limit])
    return shown + (f" … ({len(names)} in all)" if len(names) > limit else "") if names else "(none)"


def acting_user(uow: UnitOfWork, login: str) -> User | None:
    """The registered user for ``login``; None in single-user mode; refused when unknown or disabled."""
    if uow.users.count() == 0:
        return None
    user = uow.users.get_by_login(login)
    admins = [u.login for u in uow.users.all() if u.active and ADMIN in u.roles]
    ask = f"ask an admin ({', '.join(admins)})" if admins else "ask an admin"
    if user is None:
        raise NotPermitted(
            f"unknown user '{login}': not registered in this database, so nothing was done; {ask} to add "
            f"you with 'pathway user add {login} …', or set PATHWAY_USER to your registered login",
            "login",
        )
    if not user.active:
        raise NotPermitted(f"user '{login}' is disabled, so nothing was done; {ask} to enable it", "login")
    return user


def resolve(ctx: ServiceContext, login: str, on_behalf_of: str | None = None) -> None:
    """Set ``ctx.user`` and ``ctx.actor`` for the person running this command.

    Single-user mode (no users): ``ctx.actor`` is ``on_behalf_of`` (``--actor``) or ``login``, as
    free text. Otherwise ``login`` must be a registered, active user; ``on_behalf_of`` is then an
    admin's "recorded on behalf of" and both names are recorded (anyone else is refused).
    """
    with ctx.uow() as uow:
        user = acting_user(uow, login)
        ctx.admins = tuple(u.login for u in uow.users.all() if u.active and ADMIN in u.roles)
    ctx.user = user
    if user is None:
        ctx.actor = on_behalf_of or login
        return
    if on_behalf_of is None or on_behalf_of == user.login:
        ctx.actor = user.login
        return
    if ADMIN not in user.roles:
        raise NotPermitted(
            f"{user.label()} may not record on behalf of '{on_behalf_of}' (--actor / PATHWAY_ACTOR): only an "
            "admin may; leave --actor out and act as yourself", "on_behalf_of")
    ctx.actor = f"{user.login} (on behalf of {on_behalf_of})"[:100]


def single_user_mode(ctx: ServiceContext) -> bool:
    with ctx.uow() as uow:
        return uow.users.count() == 0


def known_roles(ctx: ServiceContext, uow: UnitOfWork) -> set[str]:
    """System roles and every role a workflow file or a registered workflow version declares."""
    roles = set(SYSTEM_ROLES)
    for workflow_id in ctx.catalog.file_ids():
        try:
            roles.update(r.id for r in ctx.catalog.load_current(workflow_id).definition.roles)
        except Exception:  # an invalid file declares nothing usable; 'workflow validate' says why
            continue
    for stored in uow.workflows.all():
        try:
            roles.update(r.id for r in ctx.catalog.pinned(uow, stored.workflow_id, stored.version).definition.roles)
        except Exception:
            continue
    return roles


def known_workflows(ctx: ServiceContext, uow: UnitOfWork) -> set[str]:
    return set(ctx.catalog.file_ids()) | {w.workflow_id for w in uow.workflows.all()}


def _check_agency(agency: str) -> str:
    agency = agency.strip()
    if agency not in AGENCIES:
        raise InvalidValue("agency", agency, f"use one of: {', '.join(AGENCIES)}")
    return agency


def _check_roles(ctx: ServiceContext, uow: UnitOfWork, roles: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(r.strip() for r in roles if r.strip())
    known = known_roles(ctx, uow)
    wrong = sorted(chosen - known)
    if wrong:
        raise InvalidValue("role", wrong[0], f"use one of: {', '.join(sorted(known))}")
    return chosen


def _check_workflows(ctx: ServiceContext, uow: UnitOfWork, workflows: Iterable[str]) -> frozenset[str]:
    chosen = frozenset(w.strip() for w in workflows if w.strip())
    known = known_workflows(ctx, uow)
    wrong = sorted(chosen - known)
    if wrong:
        raise InvalidValue("workflow", wrong[0], f"use one of: {', '.join(sorted(known)) or '(none)'}")
    return chosen


def _get(uow: UnitOfWork, login: str) -> User:
    user = uow.users.get_by_login(login)
    if user is None:
        raise InvalidValue("user", login, f"registered users: {_logins(uow.users.all())}")
    return user


def _audit(ctx: ServiceContext, uow: UnitOfWork, user: User, change: str, data: dict[str, Any]) -> None:
    uow.users.record_change(user.id or 0, change, data, ctx.actor, ctx.actor_id, ctx.clock.now())


def _as_json(user: User) -> dict[str, Any]:
    return {"login": user.login, "display_name": user.display_name, "agency": user.agency,
            "roles": sorted(user.roles), "workflows": sorted(user.workflows), "active": user.active}


def add_user(ctx: ServiceContext, login: str, display_name: str, agency: str, roles: Iterable[str] = (),
             workflows: Iterable[str] = (), admin: bool = False) -> User:
    """Register a user. The first user of a database must be an admin: it ends single-user mode."""
    login = login.strip()
    if not LOGIN.match(login):
        raise InvalidValue("login", login, "use letters, digits, '.', '_', '-' or '@' (at most 64), "
                           "e.g. the person's login name on this machine")
    if not display_name.strip():
        raise InvalidValue(errors.field("display_name"), display_name, "give the person's name as colleagues know it")
    with ctx.uow() as uow:
        first = uow.users.count() == 0
        if first:
            if not admin:
                raise RuleRefused(
                    f"the first user must be an admin (add {errors.field('admin')}): it ends single-user mode, and without "
                    "an admin nobody could add the next user"
                )
        else:
            policy.require(ctx, "user.manage")
        chosen_roles = _check_roles(ctx, uow, roles) | ({ADMIN} if admin else set())
        user = User(login=login, display_name=display_name.strip(), agency=_check_agency(agency),
                    roles=frozenset(chosen_roles), workflows=_check_workflows(ctx, uow, workflows))
        if uow.users.get_by_login(login) is not None:
            raise RuleRefused(f"user '{login}' is already registered; change it with 'pathway user update {login} …'")
        stored = uow.users.add(user, ctx.clock.now())
        _audit(ctx, uow, stored, "added", _as_json(stored))
        uow.commit()
        return stored


@dataclass(frozen=True)
class UserDetail:
    user: User
    changes: list[dict[str, Any]]


def list_users(ctx: ServiceContext) -> list[User]:
    with ctx.uow() as uow:
        policy.require(ctx, "user.manage")
        return uow.users.all()


def show_user(ctx: ServiceContext, login: str) -> UserDetail:
    with ctx.uow() as uow:
        policy.require(ctx, "user.manage")
        user = _get(uow, login)
        return UserDetail(user, uow.users.changes(user.id or 0))


def update_user(ctx: ServiceContext, login: str, *, display_name: str | None = None, agency: str | None = None,
                add_roles: Iterable[str] = (), remove_roles: Iterable[str] = (),
                add_workflows: Iterable[str] = (), remove_workflows: Iterable[str] = (),
                active: bool | None = None) -> User:
    """Change a user; the change (before and after) is audited. Returns the user as saved."""
    with ctx.uow() as uow:
        policy.require(ctx, "user.manage")
        user = _get(uow, login)
        add_r, remove_r = _check_roles(ctx, uow, add_roles), _check_roles(ctx, uow, remove_roles)
        add_w, remove_w = frozenset(w.strip() for w in add_workflows if w.strip()), frozenset(
            w.strip() for w in remove_workflows if w.strip())
        _check_workflows(ctx, uow, add_w)
        if display_name is not None and not display_name.strip():
            raise InvalidValue(errors.field("display_name"), display_name, "give the person's name as colleagues know it")
        changed = replace(
            user,
            display_name=display_name.strip() if display_name is not None else user.display_name,
            agency=_check_agency(agency) if agency is not None else user.agency,
            roles=(user.roles | add_r) - remove_r,
            workflows=(user.workflows | add_w) - remove_w,
            active=user.active if active is None else active,
        )
        if changed == user:
            raise BadInput(f"nothing to change for user '{login}'; give "
                           + ", ".join(errors.field(f) for f in ("display_name", "agency", "add_role", "remove_role",
                                                                 "add_workflow", "remove_workflow"))
                           + f" or {errors.field('enable')}")
        _keep_an_admin(uow, user, changed)
        uow.users.save(changed, ctx.clock.now())
        before, after = _as_json(user), _as_json(changed)
        _audit(ctx, uow, changed, "disabled" if user.active and not changed.active else "updated",
               {k: {"from": before[k], "to": after[k]} for k in after if before[k] != after[k]})
        uow.commit()
        return changed


def disable_user(ctx: ServiceContext, login: str) -> User:
    """Disable a user: they may do nothing more; their history and caseload stay."""
    return update_user(ctx, login, active=False)


def _keep_an_admin(uow: UnitOfWork, before: User, after: User) -> None:
    if not (before.active and ADMIN in before.roles) or (after.active and ADMIN in after.roles):
        return
    others = [u for u in uow.users.all() if u.active and ADMIN in u.roles and u.login != before.login]
    if not others:
        raise RuleRefused(f"'{before.login}' is the last active admin; make another user admin first "
                          "(pathway user update LOGIN --add-role admin)")
