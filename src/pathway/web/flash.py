"""One-time messages after a form post (post/redirect/get), carried in a cookie, not the database.

The message rides on the redirect in the ``pathway_flash`` cookie: the text as base64url JSON with
an expiry a minute ahead, signed with HMAC-SHA256 keyed by the signing-in session's own CSRF token
(a random secret kept with the session row, so every worker can check it and nobody else can forge
one). It is ``HttpOnly``, ``SameSite=Strict``, ``Secure`` as the session cookie, and holds no
personal data: the messages name workflow titles, a participant's internal number and a colleague's
login, never a name, a personal identity number or a free text typed about a participant. The page
after the redirect shows it once and deletes the cookie; one not signed for the current session
(another login, a forged or stale cookie) is ignored.

Before this the message was a column of the session row: a second transaction on every post, which
on PostgreSQL cost the fire post more than the service call itself (bench/README.md).
"""

from __future__ import annotations

import time

from starlette.requests import Request
from starlette.responses import Response

from pathway.web.sealed import seal, unseal

FLASH_COOKIE = "pathway_flash"
#: Seconds a message waits for the page after the redirect.
LIFETIME = 60
#: Longest message carried (a cookie must stay well under 4 KB).
MAX_CHARS = 500


def pack(key: str, message: str, now: float | None = None) -> str:
    """The cookie value for ``message``, signed with ``key`` (the session's CSRF token)."""
    expires = int((now if now is not None else time.time()) + LIFETIME)
    return seal(key.encode(), {"m": message[:MAX_CHARS], "e": expires})


def unpack(key: str, value: str, now: float | None = None) -> str | None:
    """The message in a cookie value, or None (unsigned, signed for another session, expired, malformed)."""
    data = unseal(key.encode(), value)
    message, expires = (data or {}).get("m"), (data or {}).get("e")
    if not isinstance(message, str) or not isinstance(expires, int):
        return None
    return message if expires >= (now if now is not None else time.time()) else None


def put(request: Request, response: Response, key: str, message: str) -> None:
    """Carry ``message`` to the next page on ``response`` (a redirect)."""
    response.set_cookie(FLASH_COOKIE, pack(key, message), max_age=LIFETIME, httponly=True, samesite="strict",
                        secure=request.app.state.web.secure_cookies, path="/")


def take(request: Request, key: str) -> str | None:
    """The message waiting for this request, if any; :func:`forget` removes it from the browser."""
    value = request.cookies.get(FLASH_COOKIE)
    if not value:
        return None
    request.state.flash_seen = True
    return unpack(key, value)


def forget(request: Request, response: Response) -> None:
    """Delete the cookie once its page is rendered (shown, or ignored as not valid)."""
    if getattr(request.state, "flash_seen", False):
        response.delete_cookie(FLASH_COOKIE, path="/", httponly=True, samesite="strict",
                               secure=request.app.state.web.secure_cookies)
