"""Jinja2 templates (autoescaped: what a user typed is always shown as text, never as markup)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, select_autoescape
from markupsafe import Markup
from starlette.requests import Request
from starlette.responses import HTMLResponse

from pathway.clock import format_local
from pathway.web import i18n

TEMPLATES = Path(__file__).parent / "templates"

env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(default=True),
                  trim_blocks=True, lstrip_blocks=True)
env.globals["t"] = i18n.text
env.filters["local"] = format_local


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return ", ".join(str(v) for v in value)
    if isinstance(value, bool):
        return i18n.text("yes") if value else i18n.text("no")
    return "–" if value is None else str(value)


env.filters["shown"] = _shown


def _agency(code: str | None) -> str:
    if not code:
        return ""
    key = f"agency.{code}"
    return i18n.text(key) if key in i18n.SV else code


def _deadline_status(status: str) -> str:
    key = f"deadline.{status}"
    return i18n.text(key) if key in i18n.SV else status


env.filters["agency"] = _agency
env.filters["deadline_status"] = _deadline_status


def render(request: Request, template: str, context: dict[str, Any], status: int = 200,
           headers: dict[str, str] | None = None) -> HTMLResponse:
    from pathway.web.deps import csrf_for, signed_in

    try:
        who = signed_in(request)
    except Exception:  # the database is unreachable: still show the error page
        who = None
    flash = getattr(request.state, "flash", None)
    page = env.get_template(template).render(
        request=request, me=who.user if who else None, csrf=csrf_for(request) if hasattr(request.state, "pre_csrf") or who else "",
        flash=flash, sso=getattr(request.app.state, "sso", None), **context,
    )
    response = HTMLResponse(page, status_code=status, headers=headers)
    from pathway.web.flash import forget

    forget(request, response)
    return response


def trusted_svg(svg: str) -> Markup:
    """SVG the server drew itself (charts, Graphviz diagrams): its text parts were escaped when drawn."""
    return Markup(svg)
