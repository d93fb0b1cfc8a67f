"""Who is asking, and the :class:`ServiceContext` that carries them into the services.

Pages use the session cookie; the API takes a bearer token (``Authorization: Bearer pw_…``) or the
session cookie (then unsafe methods also need the ``X-CSRF-Token`` header). The user found is put
on a per-request copy of the context (``ctx.user``; ``ctx.actor`` is their login, recorded on
events): every decision about what they may see or do is the services'.
"""

from __future__ import annotations

import dataclasses

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request

from pathway.domain.users import User
from pathway.services import accounts
from pathway.services.accounts import SignedIn
from pathway.services.context import ServiceContext
from pathway.web.security import CSRF_FIELD, CSRF_HEADER, CsrfRejected, same

SESSION_COOKIE = "pathway_session"


class NeedLogin(Exception):
    """No live session (pages redirect to the login form; the API answers 401)."""


def base(request: Request) -> ServiceContext:
    return request.app.state.services


def signed_in(request: Request) -> SignedIn | None:
    """The live session of this request, looked up once."""
    if not hasattr(request.state, "signed_in"):
        cookie = request.cookies.get(SESSION_COOKIE)
        request.state.signed_in = (
            accounts.session_user(base(request), cookie, request.app.state.web.login) if cookie else None
        )
    return request.state.signed_in


def page_user(request: Request) -> SignedIn:
    found = signed_in(request)
    if found is None:
        raise NeedLogin()
    return found


def api_user(request: Request) -> User:
    header = request.headers.get("authorization", "")
    if header.lower().startswith("bearer "):
        user = accounts.token_user(base(request), header[7:].strip())
        if user is None:
            raise NeedLogin()
        return user
    found = signed_in(request)
    if found is None:
        raise NeedLogin()
    if request.method not in ("GET", "HEAD", "OPTIONS") and not same(found.session.csrf,
                                                                       request.headers.get(CSRF_HEADER)):
        raise CsrfRejected()
    return found.user


def acting(request: Request, user: User, expected_seq: int | None = None) -> ServiceContext:
    """The services as ``user`` for this request."""
    return dataclasses.replace(base(request), actor=user.login, user=user)


async def checked_form(request: Request) -> dict[str, list[str]]:
    """The posted form (every value of every field), after its CSRF token was checked."""
    form = await request.form()
    values: dict[str, list[str]] = {}
    for key, value in form.multi_items():
        if isinstance(value, str):
            values.setdefault(key, []).append(value)
    given = (values.get(CSRF_FIELD) or [""])[0]
    found = await run_in_threadpool(signed_in, request)  # a database read: off the event loop
    expected = found.session.csrf if found is not None else request.cookies.get("pathway_csrf")
    if not same(expected, given):
        raise CsrfRejected()
    return values


def csrf_for(request: Request) -> str:
    found = signed_in(request)
    return found.session.csrf if found is not None else request.state.pre_csrf
