"""How refusals and errors are answered: the CLI's own message, as a page or as problem details.

The status follows the error's kind: unknown participant or workflow 404, not permitted 403, a
pathway rule or a concurrent change 409, bad input 422, no or dead session 401 (pages redirect to
the login form). API answers are ``application/problem+json`` (RFC 9457) with ``title``, ``status``
and ``detail`` (the message the CLI prints after ``error:``).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from fastapi import FastAPI
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

from pathway import errors
from pathway.services.accounts import LoginFailed, LoginThrottled
from pathway.web.deps import NeedLogin
from pathway.web.i18n import text
from pathway.web.security import CsrfRejected

TITLES = {401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 409: "Conflict", 422: "Unprocessable Content",
          429: "Too Many Requests"}


def status_of(err: errors.PathwayError) -> int:
    if isinstance(err, (errors.UnknownParticipant, errors.UnknownWorkflow)):
        return 404
    if type(err).__name__ == "NotPermitted" or getattr(err, "exit_code", None) == 3:
        if isinstance(err, LoginThrottled):
            return 429
        if isinstance(err, LoginFailed):
            return 401
        return 403
    if isinstance(err, errors.RuleRefused):
        return 409
    return 422


def is_api(request: Request) -> bool:
    return request.url.path.startswith("/api/")


def problem(status: int, detail: str, **extra: Any) -> JSONResponse:
    body = {"type": "about:blank", "title": TITLES.get(status, "Error"), "status": status, "detail": detail, **extra}
    return JSONResponse(body, status_code=status, media_type="application/problem+json")


#: A service's field name → the label of the form field that gives it (fields not listed keep their name).
FIELD_LABELS = {"reason": "fire.late_reason", "at": "fire.late", "ref": "enrol.ref",
                "personnummer": "enrol.personnummer", "anonymous": "enrol.anonymous",
                "agencies": "consent.agencies", "scope": "consent.scope", "until": "consent.until"}


def form_field(name: str) -> str:
    """How a page calls a field an error names: the label of its form field, quoted."""
    return f"«{text(FIELD_LABELS[name])}»" if name in FIELD_LABELS else name


def page_message(err: errors.PathwayError) -> str:
    """What a person is told: a concurrent change in plain Swedish, everything else as the CLI says it,
    with the fields named as the form labels them."""
    if isinstance(err, errors.ConcurrentChange):
        return text("error.conflict")
    return err.worded(form_field)


def error_page(request: Request, status: int, message: str, heading: str | None = None) -> Response:
    from pathway.web.render import render

    return render(request, "error.html", {"heading": heading or text("error.title"), "message": message},
                  status=status)


def install_error_handlers(app: FastAPI) -> None:
    @app.exception_handler(errors.PathwayError)
    async def _pathway_error(request: Request, err: errors.PathwayError) -> Response:
        status = status_of(err)
        if is_api(request):
            return problem(status, err.message, error=type(err).__name__)
        heading = text("error.refused") if status in (403, 409) else (
            text("error.not_found") if status == 404 else text("error.bad_input"))
        return error_page(request, status, page_message(err), heading)

    @app.exception_handler(NeedLogin)
    async def _need_login(request: Request, err: NeedLogin) -> Response:
        if is_api(request):
            response = problem(401, "sign in: send 'Authorization: Bearer TOKEN' or a session cookie")
            response.headers["WWW-Authenticate"] = "Bearer"
            return response
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        return RedirectResponse(f"/login?next={quote(target)}", status_code=303)

    @app.exception_handler(CsrfRejected)
    async def _csrf(request: Request, err: CsrfRejected) -> Response:
        if is_api(request):
            return problem(403, "missing or wrong X-CSRF-Token header (needed with a session cookie)")
        return error_page(request, 403, text("error.csrf"))

    @app.exception_handler(HTTPException)
    async def _http(request: Request, err: HTTPException) -> Response:
        if is_api(request):
            return problem(err.status_code, str(err.detail))
        message = text("error.not_found") if err.status_code == 404 else str(err.detail)
        return error_page(request, err.status_code, message)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, err: RequestValidationError) -> Response:
        first = err.errors()[0] if err.errors() else {}
        where = ".".join(str(part) for part in first.get("loc", ()))
        detail = f"invalid {where}: {first.get('msg', 'bad request')}"
        if is_api(request):
            return problem(422, detail)
        return error_page(request, 422, detail, text("error.bad_input"))
