"""Single sign-on with OpenID Connect, against a small provider the tests start on 127.0.0.1, on
SQLite and PostgreSQL: the code flow with PKCE, state and nonce; the ID token's signature, issuer,
audience, expiry and nonce; the claim mapped to a registered user, nobody created."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator

import httpx
import pytest
from pydantic import SecretStr
from joserfc.jwk import RSAKey
from sqlalchemy import text

from pathway.errors import InvalidValue, SettingsInvalid
from pathway.services import accounts, users
from pathway.web.deps import SESSION_COOKIE
from tests.web.conftest import Web, login
from tests.web.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider


@pytest.fixture
def provider(web: Web) -> Iterator[Provider]:
    """The test provider, its clock the app's (the ID token's times are checked against it)."""
    started = Provider(now=lambda: int(web.clock.now().timestamp())).start()
    yield started
    started.stop()


def _with_sso(web: Web, provider: Provider, **extra: object) -> Web:
    settings = web.settings.model_copy(update={
        "oidc_issuer": provider.issuer, "oidc_client_id": CLIENT_ID, "oidc_client_secret": SecretStr(CLIENT_SECRET),
        "oidc_label": "Kommunens konto", **extra})
    return dataclasses.replace(web, settings=settings)


@pytest.fixture
def sso_web(web: Web, provider: Provider) -> Web:
    """The app with single sign-on against the test provider; anna linked to her e-mail address."""
    accounts.set_sso_subject(web.as_user("admin"), "anna", "anna@kommun.se")
    return _with_sso(web, provider)


def _sign_in(client, state: str | None = None) -> httpx.Response:
    """Click the login page's button, let the provider sign in at once, follow its answer back."""
    start = client.get("/login/sso", params={"next": "/board"}, follow_redirects=False)
    assert start.status_code == 303, start.text
    assert "code_challenge=" in start.headers["location"] and "nonce=" in start.headers["location"]
    answer = httpx.get(start.headers["location"], follow_redirects=False)
    assert answer.status_code == 302, answer.text
    callback = answer.headers["location"].split("://testserver", 1)[1]
    if state is not None:
        callback = callback.split("&state=")[0] + f"&state={state}"
    return client.get(callback, follow_redirects=False)


def _sessions(web: Web) -> int:
    with web.engine.connect() as conn:
        return int(conn.execute(text("SELECT count(*) FROM web_sessions")).scalar() or 0)


def test_sso_signs_in_the_linked_user_with_a_new_session(sso_web: Web, provider: Provider) -> None:
    """The login page offers 'Logga in med <label>'; after the provider's answer anna is signed in on a
    new session id (the one she had is ended: no session fixation) and lands where she was going."""
    client = sso_web.client()
    page = client.get("/login")
    assert "Logga in med Kommunens konto" in page.text and 'href="/login/sso?next=' in page.text
    from tests.web.conftest import PASSWORD

    accounts.set_password(sso_web.ctx, "anna", PASSWORD)
    assert login(client, "anna").status_code == 303
    before = client.cookies.get(SESSION_COOKIE)
    done = _sign_in(client)
    assert done.status_code == 303 and done.headers["location"] == "/board"
    after = client.cookies.get(SESSION_COOKIE)
    assert after and after != before
    assert client.get("/api/v1/me").json()["login"] == "anna"
    stale = sso_web.client()
    stale.cookies.set(SESSION_COOKIE, before or "")
    assert stale.get("/today", follow_redirects=False).status_code == 303  # the old session is over
    assert "anna@kommun.se" not in "".join(done.headers.get_list("set-cookie"))


def test_claim_may_name_the_login_itself(web: Web, provider: Provider) -> None:
    """With oidc_claim = preferred_username a user whose login is the claim's value signs in unlinked."""
    provider.claims = {"sub": "u-2", "preferred_username": "bo"}
    client = _with_sso(web, provider, oidc_claim="preferred_username").client()
    assert _sign_in(client).status_code == 303
    assert client.get("/api/v1/me").json()["login"] == "bo"


@pytest.mark.parametrize(("knob", "value", "said"), [
    ("issuer_in_token", "http://127.0.0.1:1/other", "claim iss"),
    ("sign_with", "other key", "signature does not verify"),
    ("lifetime", -600, "has expired"),
    ("nonce_override", "not the nonce", "claim nonce"),
    ("audience", "someone-else", "claim aud"),
])
def test_a_bad_id_token_is_refused_and_signs_nobody_in(sso_web: Web, provider: Provider, knob: str,
                                                       value: object, said: str) -> None:
    """Wrong issuer, a signature by another key, an expired token, another nonce, another audience:
    refused with 401 and the reason, no session made."""
    if value == "other key":
        value = RSAKey.generate_key(2048, parameters={"kid": "k1", "use": "sig"})
    setattr(provider, knob, value)
    client = sso_web.client()
    refused = _sign_in(client)
    assert refused.status_code == 401, refused.text
    assert said in refused.text and "Inloggningen med Kommunens konto gick inte igenom" in refused.text
    assert client.cookies.get(SESSION_COOKIE) is None and _sessions(sso_web) == 0


def test_state_mismatch_is_refused_before_the_code_is_used(sso_web: Web, provider: Provider) -> None:
    """An answer whose state is not the one this browser started with is refused; the code is never exchanged."""
    client = sso_web.client()
    refused = _sign_in(client, state="forged")
    assert refused.status_code == 401 and "state does not match" in refused.text
    assert provider.token_requests == 0 and _sessions(sso_web) == 0
    other_browser = sso_web.client()  # no flow cookie at all (a login started elsewhere)
    assert "not started from this browser" in other_browser.get("/login/sso/callback?code=x&state=y").text


def test_unknown_or_disabled_user_is_refused_with_a_clear_page(sso_web: Web, provider: Provider) -> None:
    """A person the provider knows but pathway does not is refused (403), nobody is created; so is a
    disabled user."""
    with sso_web.engine.connect() as conn:
        count = conn.execute(text("SELECT count(*) FROM users")).scalar()
    provider.claims = {"sub": "u-9", "email": "okand@kommun.se"}
    refused = _sign_in(sso_web.client())
    assert refused.status_code == 403 and "is not a registered pathway user" in refused.text
    with sso_web.engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM users")).scalar() == count
    provider.claims = {"sub": "u-8", "email": "anna\x00@kommun.se"}
    odd = _sign_in(sso_web.client())
    assert odd.status_code == 403 and "control characters" in odd.text
    provider.claims = {"sub": "u-1", "email": "anna@kommun.se"}
    users.disable_user(sso_web.as_user("admin"), "anna")
    disabled = _sign_in(sso_web.client())
    assert disabled.status_code == 403 and "anna is disabled" in disabled.text
    assert _sessions(sso_web) == 0


def test_sso_settings_are_checked_and_sso_is_off_without_them(web: Web, provider: Provider) -> None:
    """An incomplete or unsafe configuration is refused when the app starts; without one there is no button."""
    from pathway.web.app import create_app

    assert "Logga in med" not in web.client().get("/login").text
    assert web.client().get("/login/sso").status_code == 422
    for extra, said in [({"oidc_client_secret": None}, "oidc_client_secret is not"),
                        ({"oidc_scopes": "email"}, "needs the scope 'openid'"),
                        ({"oidc_issuer": "http://idp.example.se"}, "use an https:// address")]:
        settings = _with_sso(web, provider, **extra).settings
        with pytest.raises(SettingsInvalid, match=said):
            create_app(settings, services=web.ctx)
    with pytest.raises(SettingsInvalid, match="oidc_issuer is not"):
        create_app(web.settings.model_copy(update={"oidc_client_id": "x"}), services=web.ctx)


def test_sso_subject_is_one_users_and_admins_only(web: Web) -> None:
    """A claim value links to one user at a time; only an admin links; the change is audited."""
    from pathway.errors import NotPermitted

    admin = web.as_user("admin")
    accounts.set_sso_subject(admin, "anna", "anna@kommun.se")
    with pytest.raises(InvalidValue, match="already signs in anna"):
        accounts.set_sso_subject(admin, "bo", "anna@kommun.se")
    with pytest.raises(NotPermitted):
        accounts.set_sso_subject(web.as_user("anna"), "anna", "someone@else.se")
    assert accounts.set_sso_subject(admin, "anna", None) == "anna@kommun.se"
    with web.ctx.uow() as uow:
        anna = uow.users.get_by_login("anna")
        assert anna is not None and anna.id is not None
        changes = uow.users.changes(anna.id)
    assert [c["data"] for c in changes if "sso_subject" in c["data"]] == [
        {"sso_subject": {"from": None, "to": "anna@kommun.se"}},
        {"sso_subject": {"from": "anna@kommun.se", "to": None}}]
