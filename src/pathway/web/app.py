"""The ASGI application behind ``pathway serve``: pages for people, JSON under ``/api/v1``.

:func:`create_app` wires it once per process: the same settings, database and workflows folder as
the CLI (through :func:`pathway.bootstrap.bootstrap`). Per request the signed-in user is resolved
from the session cookie or an API token and a :class:`ServiceContext` carrying that user is handed
to the same service functions the CLI calls; the web layer parses, calls and renders, and decides
no access of its own. Nothing is kept in process memory that another worker must see: sessions,
CSRF tokens of sessions, failed logins and one-time messages are rows in the database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles

from pathway import __version__
from pathway.config import Settings
from pathway.services.accounts import LoginPolicy
from pathway.services.context import ServiceContext
from pathway.web import api, pages
from pathway.web.errors import install_error_handlers
from pathway.web.security import add_security_headers

HERE = Path(__file__).parent


@dataclass(frozen=True)
class WebSettings:
    secure_cookies: bool
    login: LoginPolicy

    @classmethod
    def from_settings(cls, settings: Settings) -> WebSettings:
        return cls(
            secure_cookies=settings.web_secure_cookies,
            login=LoginPolicy(
                idle=timedelta(minutes=settings.web_session_idle_minutes),
                absolute=timedelta(hours=settings.web_session_max_hours),
                max_failures=settings.web_login_max_failures,
                first_wait=timedelta(seconds=settings.web_login_lockout_seconds),
            ),
        )


def create_app(settings: Settings | None = None, *, services: ServiceContext | None = None) -> FastAPI:
    """The web app on ``services`` (built from ``settings`` as the CLI builds them when not given)."""
    settings = settings or Settings()
    if services is None:
        from pathway.bootstrap import bootstrap

        services = bootstrap(settings)
    app = FastAPI(
        title="pathway",
        version=__version__,
        description="Participant pathways: the JSON API (same contracts as the CLI's `--format json`).",
        docs_url=None, redoc_url=None, openapi_url="/api/v1/openapi.json",
    )
    app.state.services = services
    app.state.settings = settings
    app.state.web = WebSettings.from_settings(settings)
    from pathway.web.sso import Provider, SsoSettings

    sso = SsoSettings.from_settings(settings)
    app.state.sso = Provider(sso) if sso is not None else None
    app.middleware("http")(add_security_headers)
    app.mount("/static", StaticFiles(directory=HERE / "static"), name="static")
    app.include_router(api.router)
    app.include_router(pages.router)
    install_error_handlers(app)
    return app


def app_from_environment() -> FastAPI:
    """Factory for uvicorn's ``--factory`` (one app per worker process)."""
    return create_app()
