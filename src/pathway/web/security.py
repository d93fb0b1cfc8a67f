"""Security headers and CSRF protection for every page and form.

* Headers: a Content-Security-Policy without inline script or style (``frame-ancestors 'none'``),
  ``nosniff``, no referrer, no caching of pages with personal data.
* CSRF: every form carries a token. Signed-in, it is the session's own token (kept with the session
  in the database); before sign-in (the login form) it is a random value in a cookie of its own
  that the form must repeat (double submit). A POST without the right token is refused with 403 and
  changes nothing. API calls with a bearer token need none; API calls on a session cookie send the
  token in the ``X-CSRF-Token`` header.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable

from starlette.requests import Request
from starlette.responses import Response

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; "
    "base-uri 'none'; object-src 'none'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    "Cross-Origin-Opener-Policy": "same-origin",
}

#: The pre-login CSRF cookie (double submit); signed-in forms use the session's token instead.
CSRF_COOKIE = "pathway_csrf"
CSRF_FIELD = "_csrf"
CSRF_HEADER = "X-CSRF-Token"


class CsrfRejected(Exception):
    """A state-changing request without the right CSRF token."""


def new_token() -> str:
    return secrets.token_urlsafe(32)


def same(expected: str | None, given: str | None) -> bool:
    return bool(expected) and bool(given) and secrets.compare_digest(str(expected), str(given))


async def add_security_headers(request: Request, call_next: Callable[[Request], Awaitable[Response]]) -> Response:
    """Middleware: the pre-login CSRF cookie when missing, and the security headers on every answer."""
    cookie = request.cookies.get(CSRF_COOKIE)
    request.state.pre_csrf = cookie or new_token()
    response = await call_next(request)
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if not request.url.path.startswith("/static/"):
        response.headers.setdefault("Cache-Control", "no-store")
    if cookie is None:
        secure = request.app.state.web.secure_cookies
        response.set_cookie(CSRF_COOKIE, request.state.pre_csrf, httponly=True, samesite="strict",
                            secure=secure, path="/")
    return response
