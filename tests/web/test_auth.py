"""Signing in: Argon2 passwords, sessions in the database (fixation, logout, time-outs), failed-login
waits kept in the database, cookie flags, API tokens."""

from __future__ import annotations

import pytest
from sqlalchemy import text

from pathway.errors import BadInput, InvalidValue
from pathway.services import accounts
from tests.web.conftest import PASSWORD, csrf_of, login

SESSION = "pathway_session"


def test_password_is_stored_as_an_argon2_hash(web):
    """set-password keeps only an Argon2 hash; too short a password or an unknown user is refused."""
    accounts.set_password(web.ctx, "anna", PASSWORD)
    with web.engine.connect() as conn:
        stored = conn.execute(text("SELECT hash FROM user_passwords")).scalar_one()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    with pytest.raises(InvalidValue, match="at least 12"):
        accounts.set_password(web.ctx, "anna", "short")
    with pytest.raises(BadInput, match="unknown user 'nobody'"):
        accounts.set_password(web.ctx, "nobody", PASSWORD)


def test_login_with_the_right_password_opens_a_session(web):
    """The right password redirects to the page asked for and sets an HttpOnly, SameSite session cookie."""
    accounts.set_password(web.ctx, "anna", PASSWORD)
    client = web.client()
    response = login(client, "anna")
    assert response.status_code == 303 and response.headers["location"] == "/today"
    cookie = response.headers["set-cookie"]
    assert "pathway_session=" in cookie and "HttpOnly" in cookie and "SameSite=lax" in cookie
    assert "Anna Berg" in client.get("/today").text


def test_wrong_password_and_unknown_user_get_the_same_answer(web):
    """A wrong password and an unknown login are refused alike (401), without saying which."""
    accounts.set_password(web.ctx, "anna", PASSWORD)
    client = web.client()
    wrong = login(client, "anna", "not the password")
    unknown = login(client, "nobody", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "Fel användarnamn eller lösenord." in wrong.text and "Fel användarnamn eller lösenord." in unknown.text
    assert SESSION not in client.cookies


def test_cookies_are_secure_unless_configured_for_localhost(web):
    """With the default settings the session cookie is Secure (sent over HTTPS only)."""
    accounts.set_password(web.ctx, "anna", PASSWORD)
    web.settings = web.settings.model_copy(update={"web_secure_cookies": True})
    client = web.client(base_url="https://testserver")
    response = login(client, "anna")
    assert response.status_code == 303
    assert "Secure" in response.headers["set-cookie"]


def test_session_id_changes_at_login_against_fixation(web):
    """A session id planted before login is not the one used after it, and the planted one is ended."""
    accounts.set_password(web.ctx, "anna", PASSWORD)
    client = web.client()
    assert login(client, "anna").status_code == 303
    planted = client.cookies[SESSION]
    second = login(client, "anna")  # logging in again presents the old cookie
    assert second.status_code == 303
    fresh = client.cookies[SESSION]
    assert fresh != planted
    attacker = web.client()
    attacker.cookies.set(SESSION, planted)
    assert attacker.get("/today", follow_redirects=False).status_code == 303  # the planted id is dead


def test_logout_ends_the_session_in_the_database(web):
    """After logout the old cookie opens nothing, for any worker (the row is ended)."""
    accounts.set_password(web.ctx, "anna", PASSWORD)
    client = web.client()
    login(client, "anna")
    cookie = client.cookies[SESSION]
    page = client.get("/today")
    response = client.post("/logout", data={"_csrf": csrf_of(page.text)})
    assert response.status_code == 200 and "Logga in" in response.text
    other_worker = web.client()
    other_worker.cookies.set(SESSION, cookie)
    assert other_worker.get("/today", follow_redirects=False).headers["location"].startswith("/login")
    with web.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM web_sessions WHERE ended_at IS NULL")).scalar_one() == 0


def test_idle_and_absolute_time_outs(web):
    """A session ends after 30 idle minutes, and after 10 hours however active it is."""
    accounts.set_password(web.ctx, "anna", PASSWORD)
    client = web.client()
    login(client, "anna")
    web.clock.advance(minutes=29)
    assert client.get("/today").status_code == 200
    web.clock.advance(minutes=29)
    assert client.get("/today").status_code == 200  # active: the idle clock restarted
    web.clock.advance(minutes=31)
    assert client.get("/today", follow_redirects=False).status_code == 303  # idle too long
    login(client, "anna")
    for _ in range(21):  # active every 29 minutes for over 10 hours
        web.clock.advance(minutes=29)
        last = client.get("/today", follow_redirects=False)
    assert last.status_code == 303


def test_failed_logins_are_slowed_with_state_in_the_database(web):
    """After five failures every try waits, even with the right password, in every worker; the wait passes."""
    accounts.set_password(web.ctx, "anna", PASSWORD)
    client = web.client()
    for _ in range(5):
        assert login(client, "anna", "guess").status_code == 401
    other_worker = web.client()
    throttled = login(other_worker, "anna")  # right password, but too soon
    assert throttled.status_code == 429 and "Försök igen om 60 sekunder" in throttled.text
    web.clock.advance(seconds=61)
    assert login(other_worker, "anna", "guess again").status_code == 401
    assert login(other_worker, "anna").status_code == 429  # the wait doubled
    web.clock.advance(seconds=121)
    assert login(other_worker, "anna").status_code == 303
    with web.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM login_failures")).scalar_one() == 0


def test_a_disabled_user_cannot_use_a_live_session(web, signed_in):
    """Disabling a user ends what their session can do at the next request."""
    client = signed_in("anna")
    with web.ctx.uow() as uow:
        user = uow.users.get_by_login("anna")
        import dataclasses
        uow.users.save(dataclasses.replace(user, active=False), web.clock.now())
        uow.commit()
    assert client.get("/today", follow_redirects=False).status_code == 303


def test_api_tokens_are_hashed_at_rest_and_revocable(web):
    """A token works as a bearer token, is stored only as a digest, and stops working once revoked."""
    token_id, token = accounts.create_token(web.ctx, "anna", "statistics export")
    assert token.startswith("pw_")
    with web.engine.connect() as conn:
        stored = conn.execute(text("SELECT token_hash FROM api_tokens")).scalar_one()
    assert token not in stored and len(stored) == 64
    client = web.client()
    headers = {"Authorization": f"Bearer {token}"}
    assert client.get("/api/v1/me", headers=headers).json()["login"] == "anna"
    accounts.revoke_token(web.ctx, token_id)
    response = client.get("/api/v1/me", headers=headers)
    assert response.status_code == 401 and response.headers["content-type"] == "application/problem+json"


def test_end_sessions_revokes_every_session_of_a_user(web, signed_in):
    """An administrator's end-sessions ends a user's sessions at once."""
    first, second = signed_in("anna"), signed_in("anna")
    assert accounts.end_sessions(web.ctx, "anna") == 2
    assert first.get("/today", follow_redirects=False).status_code == 303
    assert second.get("/today", follow_redirects=False).status_code == 303
