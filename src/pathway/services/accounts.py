"""Signing in to the web app and the API: local passwords, sessions, failed-login waits, API tokens.

Everything lives in the database (:mod:`pathway.store.auth_repository`), so any number of server
processes share it and an administrator can end a session or revoke a token at once. Passwords are
Argon2 hashes (argon2-cffi); session ids and API tokens are long random values kept as SHA-256
digests. A new session id is made at every login (no session fixation).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from pathway.domain.users import User
from pathway import errors
from pathway.errors import BadInput, InvalidValue, PathwayError
from pathway.services import policy
from pathway.services.context import ServiceContext
from pathway.store.auth_repository import ApiToken, WebSession

if TYPE_CHECKING:
    from argon2 import PasswordHasher

    from pathway.store.uow import UnitOfWork

#: Shortest password accepted by ``pathway user set-password``.
MIN_PASSWORD_LENGTH = 12
#: Longest wait after repeated failed logins.
MAX_WAIT = timedelta(hours=1)
#: A session's last-seen time is written at most this often (not on every request).
TOUCH_EVERY = timedelta(minutes=1)
#: API tokens start with this, so a leaked one is recognisable (secret scanners).
TOKEN_PREFIX = "pw_"


class LoginFailed(PathwayError):
    """Wrong login name or password (the message never says which)."""

    exit_code = 3

    def __init__(self) -> None:
        super().__init__("wrong login name or password")


class LoginThrottled(PathwayError):
    """Too many failed logins for this name: try again after ``seconds``."""

    exit_code = 3

    def __init__(self, seconds: int) -> None:
        super().__init__(f"too many failed logins; try again in {seconds} seconds")
        self.seconds = seconds


@dataclass(frozen=True)
class LoginPolicy:
    """How long sessions last and how failed logins are slowed (from the settings)."""

    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=10)
    max_failures: int = 5
    first_wait: timedelta = timedelta(seconds=60)


@dataclass(frozen=True)
class SignedIn:
    """A live session and its user."""

    user: User
    session: WebSession


def _hasher() -> PasswordHasher:
    from argon2 import PasswordHasher

    return PasswordHasher()


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


#: Verified against when the login name is unknown, so an unknown name takes as long as a known one.
_DUMMY_HASH: str | None = None


def _dummy_hash() -> str:
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = _hasher().hash(secrets.token_urlsafe(16))
    return _DUMMY_HASH


def _user(uow: UnitOfWork, login: str) -> User:
    user = uow.users.get_by_login(login)
    if user is None:
        known = ", ".join(u.login for u in uow.users.all()) or "(none)"
        raise BadInput(f"unknown user '{login}'; registered users: {known}")
    return user


def _id(user: User) -> int:
    assert user.id is not None, "a stored user has an id"
    return user.id


def check_password_target(ctx: ServiceContext, login: str) -> None:
    """Refuse before a password is asked for: the acting user must manage users, and ``login`` exist.

    So nobody types a password twice only to hear that the login is misspelt (or not theirs to set).
    """
    policy.require(ctx, "user.manage")
    with ctx.uow() as uow:
        _user(uow, login)


def set_password(ctx: ServiceContext, login: str, password: str) -> None:
    """Give a registered user a local password (Argon2 hash); ends their open web sessions (admins only)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise InvalidValue("password", "…", f"use at least {MIN_PASSWORD_LENGTH} characters")
    policy.require(ctx, "user.manage")
    hashed = _hasher().hash(password)
    now = ctx.clock.now()
    with ctx.uow() as uow:
        user = _user(uow, login)
        uow.auth.set_password_hash(_id(user), hashed, now)
        uow.auth.end_sessions_of(_id(user), now)
        uow.commit()


def login(ctx: ServiceContext, login_name: str, password: str, policy: LoginPolicy,
          previous_session: str | None = None) -> tuple[str, SignedIn]:
    """Check a password and open a new session; returns (cookie value, the session).

    After ``policy.max_failures`` failed tries for one login name, every further try waits (the
    wait doubles with each failure, at most an hour) and is refused without checking the password.
    A session presented with the login is ended: the new one always has a fresh id.
    """
    from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

    login_name = login_name.strip()[:64]
    now = ctx.clock.now()
    with ctx.uow() as uow:
        failures = uow.auth.failures(login_name)
        if failures and failures.wait_until and failures.wait_until > now:
            raise LoginThrottled(max(1, int((failures.wait_until - now).total_seconds() + 0.999)))
        user = uow.users.get_by_login(login_name)
        stored = uow.auth.password_hash(_id(user)) if user is not None else None
        hasher = _hasher()
        try:
            hasher.verify(stored or _dummy_hash(), password)
            ok = stored is not None and user is not None and user.active
        except (VerifyMismatchError, VerificationError, InvalidHashError):
            ok = False
        if not ok:
            count = (failures.failures if failures else 0) + 1
            wait_until = None
            if count >= policy.max_failures:
                wait = min(policy.first_wait * (2 ** (count - policy.max_failures)), MAX_WAIT)
                wait_until = now + wait
            uow.auth.record_failure(login_name, count, now, wait_until)
            uow.commit()
            raise LoginFailed()
        assert user is not None and user.id is not None and stored is not None
        if hasher.check_needs_rehash(stored):
            uow.auth.set_password_hash(user.id, hasher.hash(password), now)
        uow.auth.clear_failures(login_name)
        if previous_session:
            uow.auth.end_session(digest(previous_session), now)
        cookie, session = _open_session(uow, user, now, policy)
        uow.commit()
        return cookie, SignedIn(user, session)


class SsoRefused(PathwayError):
    """The identity provider proved who someone is, but pathway does not let them in."""

    exit_code = 3


def sso_login(ctx: ServiceContext, subject: str, policy: LoginPolicy,
              previous_session: str | None = None) -> tuple[str, SignedIn]:
    """A new session for the person an identity provider vouched for (single sign-on).

    ``subject`` is the configured claim's value (e.g. an e-mail address): it names the user whose
    sso subject it is ('pathway user sso LOGIN SUBJECT'), or else the user with that login. Nobody
    is created: an unknown or disabled user is refused. A session presented with the sign-in is
    ended; the new one always has a fresh id.
    """
    if not subject or len(subject) > 255 or any(ord(c) < 32 or c == "\x7f" for c in subject):
        raise SsoRefused("the identity provider's value for you is empty, longer than 255 characters or holds "
                         "control characters; ask an administrator to check the setting oidc_claim")
    now = ctx.clock.now()
    with ctx.uow() as uow:
        user_id = uow.auth.user_id_by_sso_subject(subject)
        user = uow.users.get(user_id) if user_id is not None else uow.users.get_by_login(subject)
        if user is None:
            raise SsoRefused(f"'{subject}' is not a registered pathway user: ask an administrator to register "
                             f"you ('pathway user add') or link your account ('pathway user sso LOGIN {subject}')")
        if not user.active:
            raise SsoRefused(f"the pathway user {user.login} is disabled: ask an administrator")
        if previous_session:
            uow.auth.end_session(digest(previous_session), now)
        cookie, session = _open_session(uow, user, now, policy)
        uow.commit()
        return cookie, SignedIn(user, session)


def set_sso_subject(ctx: ServiceContext, login_name: str, subject: str | None) -> str | None:
    """Link a user to the identity provider's claim value that signs them in (None: unlink); admins
    only; returns the previous value. The change is audited like any change to a user."""
    policy.require(ctx, "user.manage")
    if subject is not None:
        subject = subject.strip()
        if not subject or len(subject) > 255:
            raise InvalidValue("subject", subject, "give the claim's value as the identity provider sends it "
                               "(1 to 255 characters), e.g. anna.berg@kommun.se")
    with ctx.uow() as uow:
        user = _user(uow, login_name)
        if subject is not None:
            holder = uow.auth.user_id_by_sso_subject(subject)
            if holder is not None and holder != user.id:
                other = uow.users.get(holder)
                raise InvalidValue("subject", subject, f"it already signs in {other.login if other else holder}; "
                                   "unlink it there first ('pathway user sso LOGIN --clear')")
        previous = uow.auth.sso_subject(_id(user))
        if previous == subject:
            raise BadInput(f"user '{user.login}' already has sso subject {subject!r}; nothing to change")
        uow.auth.set_sso_subject(_id(user), subject)
        uow.users.record_change(_id(user), "updated", {"sso_subject": {"from": previous, "to": subject}},
                                ctx.actor, ctx.actor_id, ctx.clock.now())
        uow.commit()
        return previous


def _open_session(uow: UnitOfWork, user: User, now: datetime, policy: LoginPolicy) -> tuple[str, WebSession]:
    cookie = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    uow.auth.add_session(digest(cookie), _id(user), csrf, now, now + policy.absolute)
    return cookie, WebSession(digest(cookie), _id(user), csrf, now, now, now + policy.absolute, None)


def session_user(ctx: ServiceContext, cookie: str, policy: LoginPolicy) -> SignedIn | None:
    """The live session for a cookie value, or None (unknown, ended, idle or too old, user disabled)."""
    now = ctx.clock.now()
    with ctx.uow() as uow:
        session = uow.auth.get_session(digest(cookie))
        if session is None or session.ended_at is not None:
            return None
        if now >= session.expires_at or now - session.last_seen_at >= policy.idle:
            uow.auth.end_session(session.id, now)
            uow.commit()
            return None
        user = uow.users.get(session.user_id)
        if user is None or not user.active:
            return None
        if now - session.last_seen_at >= TOUCH_EVERY:
            uow.auth.touch_session(session.id, now)
            uow.commit()
        return SignedIn(user, session)


def logout(ctx: ServiceContext, cookie: str) -> None:
    """End the session (its cookie is worthless from now on, in every worker)."""
    with ctx.uow() as uow:
        uow.auth.end_session(digest(cookie), ctx.clock.now())
        uow.commit()


def end_sessions(ctx: ServiceContext, login_name: str) -> int:
    """End every open session of a user (an administrator's revocation); returns how many."""
    policy.require(ctx, "user.manage")
    with ctx.uow() as uow:
        user = _user(uow, login_name)
        ended = uow.auth.end_sessions_of(_id(user), ctx.clock.now())
        uow.commit()
        return ended


def create_token(ctx: ServiceContext, login_name: str, name: str) -> tuple[int, str]:
    """A new API token for a user; returns (id, the token — shown once, kept only as a digest)."""
    name = name.strip()
    if not name:
        raise InvalidValue(errors.field("name"), name, "name the integration the token is for, e.g. 'statistics export'")
    policy.require(ctx, "user.manage")
    token = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with ctx.uow() as uow:
        user = _user(uow, login_name)
        token_id = uow.auth.add_token(_id(user), name[:100], digest(token), ctx.clock.now())
        uow.commit()
        return token_id, token


def token_user(ctx: ServiceContext, token: str) -> User | None:
    """The user an API token belongs to, or None (unknown, revoked, user disabled)."""
    with ctx.uow() as uow:
        found = uow.auth.token_by_digest(digest(token))
        if found is None or found.revoked_at is not None:
            return None
        user = uow.users.get(found.user_id)
        if user is None or not user.active:
            return None
        now = ctx.clock.now()
        if found.last_used_at is None or now - found.last_used_at >= TOUCH_EVERY:
            uow.auth.token_used(found.id, now)
            uow.commit()
        return user


def tokens(ctx: ServiceContext, login_name: str) -> list[ApiToken]:
    policy.require(ctx, "user.manage")
    with ctx.uow() as uow:
        return uow.auth.tokens_of(_id(_user(uow, login_name)))


def revoke_token(ctx: ServiceContext, token_id: int) -> ApiToken:
    policy.require(ctx, "user.manage")
    with ctx.uow() as uow:
        found = uow.auth.get_token(token_id)
        if found is None:
            raise InvalidValue("token id", token_id, "see 'pathway user token list LOGIN' for the ids")
        uow.auth.revoke_token(token_id, ctx.clock.now())
        uow.commit()
        return found
