"""Single sign-on in a real Chromium: the login page's "Logga in med …" button, through the test
OpenID Connect provider on 127.0.0.1, back to pathway signed in as the linked user; and a person
pathway does not know sees the refusal page. Skips without a Chromium (fails under CI=true)."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from pathway.config import Settings
from pathway.services import accounts
from tests.web.conftest import SHIPPED
from tests.web.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.web.test_browser import LONG_SESSIONS, _accessible, browser, seeded_services, served, shown  # noqa: F401


@pytest.fixture
def sso_server(tmp_path: Path) -> Iterator[tuple[str, Provider]]:
    """pathway (uvicorn, a thread, SQLite) with single sign-on against the test provider; anna linked."""
    engine, clock, ctx = seeded_services(tmp_path)
    with ctx.uow() as uow:
        admin = uow.users.get_by_login("admin")
    accounts.set_sso_subject(dataclasses.replace(ctx, actor="admin", user=admin), "anna", "anna@kommun.se")
    provider = Provider(now=lambda: int(clock.now().timestamp())).start()
    settings = Settings(database_url="sqlite://", workflows=SHIPPED, web_secure_cookies=False, **LONG_SESSIONS,
                        oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID,
                        oidc_client_secret=SecretStr(CLIENT_SECRET), oidc_label="Kommunens konto")
    try:
        with served(settings, ctx) as base:
            yield base, provider
    finally:
        provider.stop()
        engine.dispose()


def test_sso_through_the_browser(browser: Any, sso_server: tuple[str, Provider]) -> None:  # noqa: F811
    """Click "Logga in med Kommunens konto": the provider answers, anna lands on her today page; a
    person pathway does not know is shown why they cannot sign in."""
    base, provider = sso_server
    page = browser.new_context().new_page()
    page.goto(f"{base}/login")
    _accessible(page)
    page.get_by_role("link", name="Logga in med Kommunens konto").click()
    page.wait_for_url(f"{base}/today")
    shown(page.get_by_role("heading", name="Mina deltagare"))
    assert "Anna Berg" in page.content() or "anna" in page.content()

    provider.claims = {"sub": "u-9", "email": "okand@kommun.se"}
    stranger = browser.new_context().new_page()
    stranger.goto(f"{base}/login")
    stranger.get_by_role("link", name="Logga in med Kommunens konto").click()
    stranger.wait_for_url(f"{base}/login/sso/callback*")
    assert "is not a registered pathway user" in stranger.get_by_role("alert").inner_text()
    _accessible(stranger)
