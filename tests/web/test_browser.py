"""Browser tests: a real Chromium (Debian's ``chromium``, driven by Playwright) against
``pathway serve``'s app on localhost — log in, caseload, enrol, fire, a refusal, consent, the board
after a deadline check, log out — and axe-core's accessibility rules (WCAG 2.1 A/AA) on each page.

Without a Chromium on the machine these tests skip with a message; with ``CI=true`` they fail.
Playwright's own browser download is not used: the browser is found by its path.
"""

from __future__ import annotations

import os
import shutil
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import Engine

from pathway.clock import FixedClock
from pathway.config import Settings
from pathway.services import accounts, deadlines
from pathway.services.context import ServiceContext
from pathway.store import make_engine
from pathway.store.migrate import upgrade
from tests.integration.conftest import START, make_context
from tests.web.conftest import PASSWORD, SHIPPED, Web, add_users
from tests.web.oidc_provider import listening_socket

CHROMIUM_PATHS = ("/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome")
WCAG = {"runOnly": {"type": "tag", "values": ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}}


def _chromium() -> str | None:
    found = os.environ.get("PATHWAY_TEST_CHROMIUM") or next((p for p in CHROMIUM_PATHS if Path(p).exists()), None)
    return found or shutil.which("chromium")


def shown(locator: Any) -> None:
    """The element is (or within Playwright's timeout becomes) visible. A click that posts a form
    returns once the click is done, not once the next page is drawn: asking ``is_visible()`` at once
    raced the redirect's page on a busy machine; ``expect`` waits for it."""
    from playwright.sync_api import expect

    expect(locator).to_be_visible()


def says(locator: Any, text: str) -> None:
    """The element's text holds ``text`` (or comes to, once the page a click led to is drawn: the
    page before it may carry the same element with its old text)."""
    from playwright.sync_api import expect

    expect(locator).to_contain_text(text)


def _missing(reason: str) -> None:
    if os.environ.get("CI", "").strip().lower() in {"true", "1"}:
        pytest.fail(f"CI=true, so the browser tests must run: {reason}", pytrace=False)
    pytest.skip(reason)


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _missing("the playwright package is not installed (pip install -e '.[browser]')")
    path = _chromium()
    if path is None:
        _missing("no Chromium found (apt-get install chromium, or set PATHWAY_TEST_CHROMIUM to its path)")
    with sync_playwright() as pw:
        launched = pw.chromium.launch(executable_path=path, args=["--no-sandbox", "--disable-gpu"])
        yield launched
        launched.close()


def seeded_services(tmp_path: Path) -> tuple[Engine, FixedClock, ServiceContext]:
    """A fresh SQLite database for a served app: the shipped workflows, the PEOPLE registered."""
    engine = make_engine(f"sqlite:///{tmp_path / 'web.db'}")
    upgrade(engine)
    clock = FixedClock(START)
    ctx = make_context(engine, SHIPPED, clock)
    add_users(ctx, clock)
    return engine, clock, ctx


@contextmanager
def served(settings: Settings, ctx: ServiceContext) -> Iterator[str]:
    """The app served by uvicorn on 127.0.0.1 (a thread) while the block runs; yields its base URL."""
    import uvicorn

    from pathway.web.app import create_app

    sock = listening_socket()
    port = int(sock.getsockname()[1])
    running = uvicorn.Server(uvicorn.Config(create_app(settings, services=ctx), host="127.0.0.1", port=port,
                                            log_level="error"))
    thread = threading.Thread(target=running.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not running.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start")
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        running.should_exit = True
        thread.join(timeout=10)
        sock.close()


#: Session time-outs far beyond any browser run, so a slow machine never signs a test out midway.
LONG_SESSIONS = {"web_session_idle_minutes": 60 * 24 * 90, "web_session_max_hours": 24 * 90}


@pytest.fixture
def server(tmp_path: Path) -> Iterator[tuple[str, Web]]:
    """The app served by uvicorn on 127.0.0.1 (a thread), on a fresh SQLite database."""
    engine, clock, ctx = seeded_services(tmp_path)
    for login in ("anna", "bo", "cia", "hedda"):
        accounts.set_password(ctx, login, PASSWORD)
    settings = Settings(database_url="sqlite://", workflows=SHIPPED, web_secure_cookies=False, **LONG_SESSIONS)
    try:
        with served(settings, ctx) as base:
            yield base, Web(ctx, clock, engine, settings)
    finally:
        engine.dispose()


def _accessible(page: Any) -> None:
    """axe-core finds no WCAG 2.1 A/AA violation on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options=WCAG)
    assert results.violations_count == 0, results.generate_report()


def _login(page: Any, base: str, login: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Användarnamn").fill(login)
    page.get_by_label("Lösenord").fill(PASSWORD)
    page.get_by_role("button", name="Logga in").click()
    page.wait_for_url(f"{base}/today")


def test_a_caseworker_day_in_the_browser(browser: Any, server: tuple[str, Web]) -> None:
    """Log in, see the caseload, enrol, fire through a form, see a refusal, give consent, log out."""
    base, web = server
    web.enrol("LU-B1")
    context = browser.new_context()
    page = context.new_page()
    page.goto(f"{base}/login")
    _accessible(page)
    _login(page, base, "anna")
    shown(page.get_by_role("heading", name="Mina deltagare"))
    shown(page.get_by_role("link", name="LU-B1"))
    _accessible(page)

    page.get_by_role("link", name="Skriv in deltagare").click()
    page.get_by_role("link", name="Kraft", exact=False).first.click()
    _accessible(page)
    page.get_by_label("Ärendereferens (frivilligt)").fill("LU-B2")
    page.get_by_label("Personnummer eller samordningsnummer").fill("19121212-1212")
    page.locator("#e-f-referring_agency").select_option("soc")
    page.get_by_role("button", name="Skriv in").click()
    shown(page.get_by_role("heading", name="Deltagare LU-B2"))
    assert "19121212" not in page.content()
    _accessible(page)

    page.locator("form.trigger", has=page.locator("h3#trigger-assess")).get_by_role("button").click()
    shown(page.get_by_role("status"))
    says(page.locator("#current-step"), "Bedömning av inklusionskriterier")

    exit_form = page.locator("form.trigger", has=page.locator("h3#trigger-exit"))
    exit_form.locator("select[name=reason]").evaluate("s => s.removeAttribute('required')")
    exit_form.get_by_role("button").click()
    says(page.locator("#error-message"), "reason")  # the CLI's message for missing data

    page.get_by_role("group", name="Ge samtycke: Myndigheter").get_by_label("Arbetsförmedlingen").check()
    page.get_by_role("group", name="Ge samtycke: Myndigheter").get_by_label("Socialtjänsten").check()
    page.get_by_role("button", name="Ge samtycke").click()
    says(page.locator("#consent-state"), "Samtycke gäller för: Arbetsförmedlingen, Socialtjänsten")
    _accessible(page)

    page.get_by_role("button", name="Logga ut").click()
    shown(page.get_by_role("heading", name="Logga in"))
    page.goto(f"{base}/today")
    assert page.url.startswith(f"{base}/login")
    context.close()


def test_the_board_changes_after_a_deadline_check(browser: Any, server: tuple[str, Web]) -> None:
    """The coordinator's board shows a stalled referral as overdue after the deadline check has run."""
    base, web = server
    web.enrol("LU-B3")
    page = browser.new_page()
    _login(page, base, "cia")
    page.goto(f"{base}/board?overdue=1")
    assert page.get_by_role("link", name="LU-B3").count() == 0
    web.clock.advance(days=20)
    deadlines.check(web.ctx)
    page.reload()
    shown(page.get_by_role("link", name="LU-B3"))
    page.get_by_label("Arbetsflöde").select_option("kraft")
    page.get_by_role("button", name="Visa").click()
    shown(page.get_by_role("link", name="LU-B3"))
    _accessible(page)
    for path in ("/reports?workflow=kraft&kind=flow", "/workflows/kraft"):
        page.goto(base + path)
        _accessible(page)
    page.close()


def test_an_af_user_cannot_see_health_entries(browser: Any, server: tuple[str, Web]) -> None:
    """The employment service's caseworker sees the step but not health care's intervention, and is told why."""
    from pathway.services import records

    base, web = server
    pid = web.enrol("LU-B4")
    records.give_consent(web.as_user("anna"), pid, ["soc", "health"])
    records.start_intervention(web.as_user("hedda"), pid, "health_care", agency="health")
    page = browser.new_page()
    _login(page, base, "bo")
    page.goto(f"{base}/participants/{pid}")
    shown(page.get_by_role("heading", name="Undanhållet på grund av sekretess"))
    says(page.locator("#withheld-note"), "no consent to share with")
    shown(page.locator("#current-step"))
    assert page.locator("#interventions + table").count() == 0  # no intervention shown to af
    _accessible(page)
    page.close()
