"""Single sign-on in a real Chromium: the login page's "Logga in med …" button, through the test
OpenID Connect provider on 127.0.0.1, back to pathway signed in as the linked user; and a person
pathway does not know sees the refusal page. Skips without a Chromium (fails under CI=true)."""

from __future__ import annotations

import dataclasses
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pydantic import SecretStr

from pathway.clock import FixedClock
from pathway.config import Settings
from pathway.services import accounts
from pathway.store import make_engine
from pathway.store.migrate import upgrade
from tests.integration.conftest import START, make_context
from tests.web.conftest import SHIPPED, add_users
from tests.web.oidc_provider import CLIENT_ID, CLIENT_SECRET, Provider
from tests.web.test_browser import _accessible, _free_port, browser  # noqa: F401  (the browser fixture)


@pytest.fixture
def sso_server(tmp_path: Path) -> Iterator[tuple[str, Provider]]:
    """pathway (uvicorn, a thread, SQLite) with single sign-on against the test provider; anna linked."""
    import uvicorn

    from pathway.web.app import create_app

    engine = make_engine(f"sqlite:///{tmp_path / 'web.db'}")
    upgrade(engine)
    clock = FixedClock(START)
    ctx = make_context(engine, SHIPPED, clock)
    add_users(ctx, clock)
    with ctx.uow() as uow:
        admin = uow.users.get_by_login("admin")
    accounts.set_sso_subject(dataclasses.replace(ctx, actor="admin", user=admin), "anna", "anna@kommun.se")
    provider = Provider(now=lambda: int(clock.now().timestamp())).start()
    settings = Settings(database_url="sqlite://", workflows=SHIPPED, web_secure_cookies=False,
                        web_session_idle_minutes=60 * 24 * 90, web_session_max_hours=24 * 90,
                        oidc_issuer=provider.issuer, oidc_client_id=CLIENT_ID,
                        oidc_client_secret=SecretStr(CLIENT_SECRET), oidc_label="Kommunens konto")
    port = _free_port()
    running = uvicorn.Server(uvicorn.Config(create_app(settings, services=ctx), host="127.0.0.1", port=port,
                                            log_level="error"))
    thread = threading.Thread(target=running.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not running.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}", provider
    finally:
        running.should_exit = True
        provider.stop()
        thread.join(timeout=10)
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
    assert page.get_by_role("heading", name="Mina deltagare").is_visible()
    assert "Anna Berg" in page.content() or "anna" in page.content()

    provider.claims = {"sub": "u-9", "email": "okand@kommun.se"}
    stranger = browser.new_context().new_page()
    stranger.goto(f"{base}/login")
    stranger.get_by_role("link", name="Logga in med Kommunens konto").click()
    stranger.wait_for_url(f"{base}/login/sso/callback*")
    assert "is not a registered pathway user" in stranger.get_by_role("alert").inner_text()
    _accessible(stranger)
