"""Sign-in state for the web app, in the database so every worker sees it (tables
``user_passwords``, ``web_sessions``, ``login_failures``, ``api_tokens``).

Nothing secret is stored in the clear: session ids and API tokens as SHA-256 digests (they are
long random values, so a digest is enough), passwords as Argon2 hashes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, delete, insert, select, update

from pathway.store.tables import api_tokens, login_failures, user_passwords, users, web_sessions


@dataclass
class WebSession:
    id: str  # digest of the cookie value
    user_id: int
    csrf: str
    created_at: datetime
    last_seen_at: datetime
    expires_at: datetime
    ended_at: datetime | None


@dataclass
class LoginFailures:
    login: str
    failures: int
    last_failed_at: datetime
    wait_until: datetime | None


@dataclass
class ApiToken:
    id: int
    user_id: int
    name: str
    created_at: datetime
    last_used_at: datetime | None
    revoked_at: datetime | None


def _session(row: Any) -> WebSession:
    return WebSession(row.id, row.user_id, row.csrf, row.created_at, row.last_seen_at, row.expires_at,
                      row.ended_at)


def _token(row: Any) -> ApiToken:
    return ApiToken(row.id, row.user_id, row.name, row.created_at, row.last_used_at, row.revoked_at)


class AuthRepository:
    def __init__(self, connection: Connection) -> None:
        self.connection = connection

    # -- passwords ---------------------------------------------------------------------------
    def password_hash(self, user_id: int) -> str | None:
        return self.connection.scalar(select(user_passwords.c.hash).where(user_passwords.c.user_id == user_id))

    def set_password_hash(self, user_id: int, hashed: str, at: datetime) -> None:
        if self.password_hash(user_id) is None:
            self.connection.execute(insert(user_passwords).values(user_id=user_id, hash=hashed, set_at=at))
        else:
            self.connection.execute(update(user_passwords).where(user_passwords.c.user_id == user_id)
                                 .values(hash=hashed, set_at=at))

    # -- sessions ----------------------------------------------------------------------------
    def add_session(self, digest: str, user_id: int, csrf: str, at: datetime, expires_at: datetime) -> None:
        self.connection.execute(insert(web_sessions).values(
            id=digest, user_id=user_id, csrf=csrf, created_at=at, last_seen_at=at, expires_at=expires_at))

    def get_session(self, digest: str) -> WebSession | None:
        row = self.connection.execute(select(web_sessions).where(web_sessions.c.id == digest)).first()
        return None if row is None else _session(row)

    def touch_session(self, digest: str, at: datetime) -> None:
        self.connection.execute(update(web_sessions).where(web_sessions.c.id == digest).values(last_seen_at=at))

    def end_session(self, digest: str, at: datetime) -> None:
        self.connection.execute(update(web_sessions).where(web_sessions.c.id == digest,
                                                        web_sessions.c.ended_at.is_(None)).values(ended_at=at))

    def end_sessions_of(self, user_id: int, at: datetime) -> int:
        result = self.connection.execute(update(web_sessions).where(
            web_sessions.c.user_id == user_id, web_sessions.c.ended_at.is_(None)).values(ended_at=at))
        return int(result.rowcount or 0)

    # -- single sign-on ----------------------------------------------------------------------
    def user_id_by_sso_subject(self, subject: str) -> int | None:
        return self.connection.scalar(select(users.c.id).where(users.c.sso_subject == subject))

    def sso_subject(self, user_id: int) -> str | None:
        return self.connection.scalar(select(users.c.sso_subject).where(users.c.id == user_id))

    def set_sso_subject(self, user_id: int, subject: str | None) -> None:
        self.connection.execute(update(users).where(users.c.id == user_id).values(sso_subject=subject))

    # -- failed logins -----------------------------------------------------------------------
    def failures(self, login: str) -> LoginFailures | None:
        row = self.connection.execute(select(login_failures).where(login_failures.c.login == login)).first()
        return None if row is None else LoginFailures(row.login, row.failures, row.last_failed_at, row.wait_until)

    def record_failure(self, login: str, failures: int, at: datetime, wait_until: datetime | None) -> None:
        values = {"failures": failures, "last_failed_at": at, "wait_until": wait_until}
        if self.failures(login) is None:
            self.connection.execute(insert(login_failures).values(login=login, **values))
        else:
            self.connection.execute(update(login_failures).where(login_failures.c.login == login).values(**values))

    def clear_failures(self, login: str) -> None:
        self.connection.execute(delete(login_failures).where(login_failures.c.login == login))

    # -- API tokens --------------------------------------------------------------------------
    def add_token(self, user_id: int, name: str, digest: str, at: datetime) -> int:
        return int(self.connection.execute(insert(api_tokens).values(
            user_id=user_id, name=name, token_hash=digest, created_at=at).returning(api_tokens.c.id)).scalar_one())

    def token_by_digest(self, digest: str) -> ApiToken | None:
        row = self.connection.execute(select(api_tokens).where(api_tokens.c.token_hash == digest)).first()
        return None if row is None else _token(row)

    def tokens_of(self, user_id: int) -> list[ApiToken]:
        rows = self.connection.execute(select(api_tokens).where(api_tokens.c.user_id == user_id)
                                    .order_by(api_tokens.c.id))
        return [_token(r) for r in rows]

    def get_token(self, token_id: int) -> ApiToken | None:
        row = self.connection.execute(select(api_tokens).where(api_tokens.c.id == token_id)).first()
        return None if row is None else _token(row)

    def revoke_token(self, token_id: int, at: datetime) -> None:
        self.connection.execute(update(api_tokens).where(api_tokens.c.id == token_id,
                                                      api_tokens.c.revoked_at.is_(None)).values(revoked_at=at))

    def token_used(self, token_id: int, at: datetime) -> None:
        self.connection.execute(update(api_tokens).where(api_tokens.c.id == token_id).values(last_used_at=at))
