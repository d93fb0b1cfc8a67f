"""Web fixtures: the ASGI app on a fresh database (SQLite and PostgreSQL), users with passwords.

The app runs on the shipped workflows (``workflows/``) and a fixed clock the tests move; users are
registered through the store as ``pathway user add`` would, with local passwords set by the
accounts service (as ``pathway user set-password``).
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import Engine

from pathway.clock import FixedClock
from pathway.config import Settings
from pathway.domain.users import User
from pathway.services import accounts
from pathway.services.context import ServiceContext
from tests.integration.conftest import (  # noqa: F401  (fixtures used by the web tests)
    START,
    backend,
    clock,
    counts,
    engine,
    make_context,
    new_engine,
    postgres_pool,
    postgres_url,
    snapshot,
    sqlite_template,
)

REPO = Path(__file__).resolve().parents[2]
SHIPPED = REPO / "workflows"
PASSWORD = "correct horse battery"

#: login → (display name, agency, roles, workflows)
PEOPLE = {
    "anna": ("Anna Berg", "soc", {"caseworker"}, {"kraft", "flen_tripartite"}),
    "bo": ("Bo Ek", "af", {"caseworker", "employment_officer"}, {"kraft", "flen_tripartite"}),
    "cia": ("Cia Samordnare", "coordination", {"coordinator"}, {"kraft", "flen_tripartite"}),
    "hedda": ("Hedda Vård", "health", {"caseworker"}, {"kraft"}),
    "olle": ("Olle Annat", "soc", {"caseworker"}, {"utrikesfodda"}),
    "admin": ("Ada Admin", "coordination", {"admin"}, set()),
}

KRAFT_ATTRIBUTES = {"gender": "female", "birth_date": "1985-04-02", "referring_agency": "soc"}


@dataclass
class Web:
    ctx: ServiceContext
    clock: FixedClock
    engine: Engine
    settings: Settings

    def client(self, **kwargs: Any) -> TestClient:
        from pathway.web.app import create_app

        return TestClient(create_app(self.settings, services=self.ctx), **kwargs)

    def as_user(self, login: str) -> ServiceContext:
        with self.ctx.uow() as uow:
            user = uow.users.get_by_login(login)
        return dataclasses.replace(self.ctx, actor=login, user=user)

    def enrol(self, ref: str, by: str = "anna", workflow: str = "kraft", **attributes: Any) -> int:
        from pathway.services import participants

        new_id, _ = participants.enrol(self.as_user(by), workflow, ref=ref,
                                       attributes={**KRAFT_ATTRIBUTES, **attributes} if workflow == "kraft" else attributes)
        return new_id


def add_users(ctx: ServiceContext, at_clock: FixedClock) -> None:
    with ctx.uow() as uow:
        for login, (name, agency, roles, workflows) in PEOPLE.items():
            uow.users.add(User(login, name, agency, frozenset(roles), frozenset(workflows)), at_clock.now())
        uow.commit()


@pytest.fixture
def web(engine: Engine, clock: FixedClock) -> Web:  # noqa: F811
    """The app's services on a fresh database with the shipped workflows and the PEOPLE registered."""
    ctx = make_context(engine, SHIPPED, clock)
    add_users(ctx, clock)
    settings = Settings(database_url="sqlite://", workflows=SHIPPED, web_secure_cookies=False)
    return Web(ctx, clock, engine, settings)


CSRF = re.compile(r'name="_csrf" value="([^"]+)"')


def csrf_of(html: str) -> str:
    found = CSRF.search(html)
    assert found, "the page has no form with a CSRF token"
    return found.group(1)


def login(client: TestClient, name: str, password: str = PASSWORD) -> Any:
    page = client.get("/login")
    return client.post("/login", data={"login": name, "password": password, "_csrf": csrf_of(page.text),
                                       "next": "/today"}, follow_redirects=False)


@pytest.fixture
def signed_in(web: Web) -> Callable[[str], TestClient]:
    """A factory of clients, each signed in as the given login."""
    with_password: set[str] = set()

    def make(name: str) -> TestClient:
        if name not in with_password:
            accounts.set_password(web.ctx, name, PASSWORD)
            with_password.add(name)
        client = web.client()
        response = login(client, name)
        assert response.status_code == 303, response.text
        return client
    return make
