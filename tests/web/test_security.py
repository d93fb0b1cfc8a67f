"""Security of the pages: CSRF, headers, XSS payloads rendered inert, no open redirect."""

from __future__ import annotations

import re

from pathway.services import participants, records
from tests.web.conftest import csrf_of, snapshot

XSS = '<script>alert(1)</script>"><img src=x onerror=alert(2)>'


def test_security_headers_on_every_page(web):
    """CSP without inline script (frame-ancestors none), nosniff, no referrer, no caching."""
    response = web.client().get("/login")
    csp = response.headers["content-security-policy"]
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["cache-control"] == "no-store"
    assert "<script" not in response.text  # no inline script anywhere


def test_post_without_or_with_a_wrong_csrf_token_is_refused_and_writes_nothing(web, signed_in):
    """A forged form post (no token, or another session's token) gets 403 and changes nothing."""
    pid = web.enrol("LU-C1")
    client = signed_in("anna")
    other = signed_in("bo")
    foreign_token = csrf_of(other.get("/today").text)
    before = snapshot(web.engine)
    assert client.post(f"/participants/{pid}/fire/assess", data={}).status_code == 403
    assert client.post(f"/participants/{pid}/fire/assess", data={"_csrf": foreign_token}).status_code == 403
    assert client.post(f"/participants/{pid}/consent/give", data={"agencies": "af"}).status_code == 403
    assert snapshot(web.engine)["events"] == before["events"]
    assert participants.show(web.as_user("anna"), pid).step == "referral"


def test_login_form_needs_its_csrf_token(web):
    """The login form is protected too (login CSRF): without the cookie's token it is refused."""
    client = web.client()
    client.get("/login")
    response = client.post("/login", data={"login": "anna", "password": "x", "_csrf": "forged"})
    assert response.status_code == 403


def test_api_on_a_session_cookie_needs_the_csrf_header(web, signed_in):
    """A POST to the API carried only by the session cookie needs X-CSRF-Token."""
    pid = web.enrol("LU-C2")
    client = signed_in("anna")
    token = csrf_of(client.get("/today").text)
    assert client.post(f"/api/v1/participants/{pid}/fire/assess", json={}).status_code == 403
    assert client.post(f"/api/v1/participants/{pid}/fire/assess", json={},
                       headers={"X-CSRF-Token": token}).status_code == 200


def test_xss_payloads_in_ref_attributes_and_notes_are_inert(web, signed_in):
    """What users typed (ref, plan text, consent scope, late-entry reason) is shown escaped, never as markup."""
    ctx = web.as_user("anna")
    pid = web.enrol("X" + XSS)
    records.give_consent(ctx, pid, ["soc"], scope=XSS)
    records.add_goal(ctx, pid, XSS, with_whom=XSS)
    web.clock.advance(hours=2)
    participants.fire(ctx, pid, "assess", at=web.clock.now().replace(minute=0) - __import__("datetime").timedelta(hours=1), reason=XSS)
    client = signed_in("anna")
    for path in (f"/participants/{pid}", "/today", "/board"):
        page = client.get(path).text
        assert "<script>alert(1)</script>" not in page
        assert "<img src=x" not in page
        assert not re.search(r"<[^>]+onerror=", page)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in client.get(f"/participants/{pid}").text


def test_login_does_not_redirect_to_another_site(web):
    """?next= only takes a path on this site: //evil.example and absolute URLs go to /today."""
    from pathway.services import accounts
    from tests.web.conftest import PASSWORD

    accounts.set_password(web.ctx, "anna", PASSWORD)
    for target in ("//evil.example/x", "https://evil.example/", "/\\evil.example"):
        client = web.client()
        page = client.get("/login", params={"next": target})
        response = client.post("/login", data={"login": "anna", "password": PASSWORD, "next": target,
                                               "_csrf": csrf_of(page.text)}, follow_redirects=False)
        assert response.headers["location"] == "/today"


def test_one_time_message_rides_a_signed_cookie_without_personal_data(web, signed_in):
    """After a post the message travels in a signed HttpOnly cookie holding no personal data; the next
    page shows it once and deletes it; a forged cookie or one signed for another session shows nothing."""
    from pathway.web.flash import FLASH_COOKIE, pack

    pid = web.enrol("LU-FLASH-7")
    client = signed_in("anna")
    page = client.get(f"/participants/{pid}")
    posted = client.post(f"/participants/{pid}/fire/assess", data={"_csrf": csrf_of(page.text)},
                         follow_redirects=False)
    assert posted.status_code == 303
    cookie = next(c for c in posted.headers.get_list("set-cookie") if c.startswith(FLASH_COOKIE + "="))
    assert "httponly" in cookie.lower() and "samesite=strict" in cookie.lower()
    assert "LU-FLASH-7" not in cookie and "1985" not in cookie
    shown = client.get(f"/participants/{pid}")
    assert 'role="status"' in shown.text and "→" in shown.text
    assert any(c.startswith(FLASH_COOKIE + '=""') or "max-age=0" in c.lower()
               for c in shown.headers.get_list("set-cookie"))
    assert 'role="status"' not in client.get(f"/participants/{pid}").text  # once
    client.cookies.set(FLASH_COOKIE, pack("not the session's key", "<b>forged</b>"))
    assert "forged" not in client.get(f"/participants/{pid}").text
    other = signed_in("bo")
    other.cookies.set(FLASH_COOKIE, posted.cookies.get(FLASH_COOKIE) or "")
    assert 'role="status"' not in other.get("/today").text
