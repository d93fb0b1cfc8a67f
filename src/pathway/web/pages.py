"""The pages: log in, today, participant, enrol, board, reports, workflows.

Every handler parses the request, calls a service as the signed-in user, and renders; a refusal
raises the service's own error, which :mod:`pathway.web.errors` shows with the CLI's message.
Forms post back and redirect (post/redirect/get) with a one-time message in a signed cookie
(:mod:`pathway.web.flash`).
"""

from __future__ import annotations

import dataclasses
from typing import Any
from urllib.parse import quote

from fastapi import APIRouter
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from pathway.domain.agency import AGENCIES
from pathway.errors import InvalidValue, PathwayError
from pathway.services import accounts
from pathway.services import deadlines as deadline_service
from pathway.services import participants as participant_service
from pathway.services import records as record_service
from pathway.services.accounts import LoginFailed, LoginThrottled
from pathway.web import charts, flash, forms
from pathway.web.deps import SESSION_COOKIE, acting, base, checked_form, page_user, signed_in
from pathway.web.i18n import text
from pathway.web.render import render, trusted_svg

router = APIRouter(include_in_schema=False)


def _redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


def _safe_next(target: str | None) -> str:
    """Only a path on this site (no open redirect to another host)."""
    if not target or not target.startswith("/") or target.startswith("//") or "\\" in target:
        return "/today"
    return target


def _redirect_with(request: Request, url: str, message: str) -> RedirectResponse:
    """Redirect, carrying a one-time message for the next page (no database write)."""
    response = _redirect(url)
    who = signed_in(request)
    if who is not None:
        flash.put(request, response, who.session.csrf, message)
    return response


def _take_flash(request: Request) -> None:
    who = signed_in(request)
    if who is not None:
        request.state.flash = flash.take(request, who.session.csrf)


# -- signing in and out ----------------------------------------------------------------------

@router.get("/")
def home(request: Request) -> Response:
    return _redirect("/today" if signed_in(request) else "/login")


@router.get("/login")
def login_form(request: Request, next: str = "/today") -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "login": "", "message": None})


@router.post("/login")
async def login(request: Request) -> Response:
    form = await checked_form(request)
    return await run_in_threadpool(_login, request, form)


def _login(request: Request, form: dict[str, list[str]]) -> Response:
    name = forms.first(form, "login") or ""
    password = (form.get("password") or [""])[0]
    target = _safe_next(forms.first(form, "next"))
    try:
        cookie, _ = accounts.login(base(request), name, password, request.app.state.web.login,
                                   previous_session=request.cookies.get(SESSION_COOKIE))
    except (LoginFailed, LoginThrottled) as err:
        message = text("login.locked", seconds=err.seconds) if isinstance(err, LoginThrottled) else text("login.failed")
        status = 429 if isinstance(err, LoginThrottled) else 401
        return render(request, "login.html", {"next": target, "login": name, "message": message},
                      status=status)
    response = _redirect(target)
    _set_session_cookie(request, response, cookie)
    return response


def _set_session_cookie(request: Request, response: Response, cookie: str) -> None:
    web = request.app.state.web
    response.set_cookie(SESSION_COOKIE, cookie, httponly=True, secure=web.secure_cookies, samesite="lax",
                        path="/", max_age=int(web.login.absolute.total_seconds()))


@router.post("/logout")
async def logout(request: Request) -> Response:
    await checked_form(request)
    return await run_in_threadpool(_logout, request)


def _logout(request: Request) -> Response:
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie:
        accounts.logout(base(request), cookie)
    response = render(request, "login.html", {"next": "/today", "login": "", "message": None,
                                              "done": text("logout.done")})
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- single sign-on (OpenID Connect; pathway.web.sso) ------------------------------------------

def _provider(request: Request) -> Any:
    provider = request.app.state.sso
    if provider is None:
        from pathway.errors import BadInput

        raise BadInput("single sign-on is not configured on this server (oidc_issuer in pathway.toml); "
                       "sign in with your pathway password")
    return provider


def _callback_url(request: Request, provider: Any) -> str:
    from pathway.web.sso import CALLBACK_PATH

    return provider.sso.redirect_url or str(request.url_for("sso_callback")).split("?")[0] or CALLBACK_PATH


@router.get("/login/sso")
def sso_start(request: Request, next: str = "/today") -> Response:
    """Send the browser to the identity provider (state, nonce and PKCE verifier in a signed cookie)."""
    import time

    from pathway.web import sso

    provider = _provider(request)
    try:
        url, cookie = sso.start(provider, _callback_url(request, provider), _safe_next(next), time.time())
    except sso.SsoFailed as err:
        return _sso_refused(request, str(err), 502)
    response = RedirectResponse(url, status_code=303)
    response.set_cookie(sso.FLOW_COOKIE, cookie, max_age=sso.FLOW_SECONDS, httponly=True, samesite="lax",
                        secure=request.app.state.web.secure_cookies, path="/login/sso")
    return response


@router.get("/login/sso/callback", name="sso_callback")
def sso_callback(request: Request) -> Response:
    """The provider's answer: check it and the ID token, map the claim to a user, open a new session."""
    import time

    from pathway.web import sso

    provider = _provider(request)
    ctx = base(request)
    try:
        flow = sso.unpack_flow(provider.sso, request.cookies.get(sso.FLOW_COOKIE), time.time())
        subject, target = sso.finish(provider, flow, dict(request.query_params),
                                     int(ctx.clock.now().timestamp()))
        cookie, _ = accounts.sso_login(ctx, subject, request.app.state.web.login,
                                       previous_session=request.cookies.get(SESSION_COOKIE))
    except (sso.SsoFailed, accounts.SsoRefused) as err:
        from pathway.log import get_logger

        get_logger("pathway.web").warning("sso_refused", reason=type(err).__name__)  # no claim value in logs
        return _sso_refused(request, str(err), 403 if isinstance(err, accounts.SsoRefused) else 401)
    response = _redirect(_safe_next(target))
    _set_session_cookie(request, response, cookie)
    response.delete_cookie(sso.FLOW_COOKIE, path="/login/sso")
    return response


def _sso_refused(request: Request, reason: str, status: int) -> Response:
    from pathway.web.sso import FLOW_COOKIE

    response = render(request, "login.html", {"next": "/today", "login": "", "status": status,
                                              "message": text("login.sso_failed", label=_provider(request).sso.label,
                                                              reason=reason)}, status=status)
    response.delete_cookie(FLOW_COOKIE, path="/login/sso")
    return response


# -- today -----------------------------------------------------------------------------------

@router.get("/today")
def today(request: Request, page: str = "1", who: str = "") -> Response:
    """What is overdue and due this week in my caseload, and one page of my participants; a
    coordinator sees every participant of their projects with who holds each, the load per
    caseworker and how many are unassigned (``?who=unassigned`` pages through those). The services
    decide who sees what (:mod:`pathway.services.ownership`); each part is one query per page."""
    from pathway.domain.users import COORDINATOR
    from pathway.services import ownership

    signed = page_user(request)
    _take_flash(request)
    ctx = acting(request, signed.user)
    number = int(page) if page.isdigit() and 0 < int(page) < 10**6 else 1
    coordinator = COORDINATOR in signed.user.roles
    only_unassigned = coordinator and who == "unassigned"
    todo = ownership.today(ctx, limit=TODO_ROWS)
    size = ownership.PAGE_SIZE
    caseload = ownership.caseload_page(ctx, limit=size, offset=(number - 1) * size, unassigned=only_unassigned)
    titles = _Titles(ctx)
    people = [{"p": r, "days": r.days_in_step, "step_title": titles.current(r.workflow, r.step),
               "next": f"{r.next_due} {r.next_deadline}" if r.next_due else None} for r in caseload.rows]
    load = unassigned = None
    if coordinator:
        rows, unassigned = ownership.workload(ctx)
        load = [{"who": r.login, "count": r.count, "overdue": r.overdue} for r in rows]
    pages = max(1, -(-caseload.total // size))
    link = "/today?" + ("who=unassigned&" if only_unassigned else "") + "page="
    heading = (text("today.unassigned") if only_unassigned else
               text("today.all_participants") if coordinator else None)
    return render(request, "today.html", {
        "overdue": [t for t in todo if t.when == "overdue"], "soon": [t for t in todo if t.when != "overdue"],
        "todo_cut": len(todo) >= TODO_ROWS,
        "people": people, "load": load, "unassigned": unassigned, "coordinator": coordinator,
        "caseload_heading": heading, "total": caseload.total,
        "paging": {"page": number, "pages": pages, "first": caseload.offset + 1 if caseload.rows else 0,
                   "last": caseload.offset + len(caseload.rows),
                   "prev": f"{link}{number - 1}" if number > 1 else None,
                   "next": f"{link}{number + 1}" if number < pages else None},
        "only_unassigned": only_unassigned})


#: The most deadlines the today page lists (the board has them all, with filters).
TODO_ROWS = 200


class _Titles:
    """Swedish step titles, each workflow version's definition read once per request."""

    def __init__(self, ctx: Any) -> None:
        self.ctx = ctx
        self.definitions: dict[tuple[str, int], Any] = {}

    def current(self, workflow_id: str, step: str) -> str:
        """The step's title in the workflow as its file reads now."""
        key = (workflow_id, -1)
        if key not in self.definitions:
            try:
                self.definitions[key] = self.ctx.catalog.load_current(workflow_id).definition
            except PathwayError:
                return step
        return _step_title(self.definitions[key], step)

    def step(self, workflow_id: str, version: int, step: str) -> str:
        key = (workflow_id, version)
        if key not in self.definitions:
            self.definitions[key] = _definition(self.ctx, workflow_id, version)
        return _step_title(self.definitions[key], step)


# -- participant -----------------------------------------------------------------------------

def _definition(ctx: Any, workflow_id: str, version: int) -> Any:
    with ctx.uow() as uow:
        return ctx.catalog.pinned(uow, workflow_id, version).definition


def _step_title(definition: Any, step: str | None) -> str:
    if step is None:
        return ""
    try:
        return str(definition.step(step).title)
    except Exception:
        return step


@router.get("/participants/{participant}")
def participant_page(request: Request, participant: str) -> Response:
    who = page_user(request)
    _take_flash(request)
    return _participant(request, who.user, participant)


def _participant(request: Request, user: Any, participant: str, status: int = 200,
                 error: str | None = None) -> Response:
    ctx = acting(request, user)
    view = participant_service.show(ctx, participant)
    events = participant_service.history(ctx, participant)
    definition = _definition(ctx, view.workflow, view.workflow_version)
    allowed = [(t, forms.trigger_title(definition, t.trigger), forms.trigger_fields(definition, t.trigger, t.data))
               for t in view.triggers if not t.blocked_by]
    blocked = [(t, forms.trigger_title(definition, t.trigger)) for t in view.triggers if t.blocked_by]
    from pathway.services.views import records_json

    records = records_json(view.records, view.today)
    return render(request, "participant.html", {
        "view": view, "definition": definition, "events": events, "allowed": allowed, "blocked": blocked,
        "records": records, "error": error, "step_title": lambda s: _step_title(definition, s),
        "attribute_label": lambda n: (definition.attributes[n].title if n in definition.attributes and
                                      definition.attributes[n].title else n),
        "value_label": lambda n, v: _value_label(definition, n, v),
        "agencies": AGENCIES,
        "withheld": getattr(view, "withheld", None),
        "diagram": _has_diagram(),
    }, status=status)


def _value_label(definition: Any, name: str, value: Any) -> Any:
    """A stored code as the workflow's Swedish label (lists label each code)."""
    spec = definition.attributes.get(name)
    labels = (spec.labels or {}) if spec is not None else {}
    if isinstance(value, list):
        return [labels.get(v, v) for v in value]
    return labels.get(value, value) if isinstance(value, str) else value


def _has_diagram() -> bool:
    from pathway.engine.diagram import DiagramFormat, graphviz_problem

    return graphviz_problem(DiagramFormat.SVG) is None


@router.get("/participants/{participant}/diagram.svg")
def participant_diagram(request: Request, participant: str) -> Response:
    """The pathway with this participant's path highlighted (an image of its own, drawn by Graphviz)."""
    from pathway.engine.diagram import DiagramFormat, Highlight, render as draw

    who = page_user(request)
    ctx = acting(request, who.user)
    path = participant_service.path_taken(ctx, participant)
    definition = _definition(ctx, path.workflow, path.workflow_version)
    svg = draw(definition, DiagramFormat.SVG, path.workflow_version,
               Highlight(path.step, path.moves, path.ref or str(path.id)))
    return Response(svg, media_type="image/svg+xml")


def _inline_svg(svg: str | bytes) -> str:
    text_ = svg.decode() if isinstance(svg, bytes) else svg
    start = text_.find("<svg")
    return text_[start:] if start >= 0 else text_


async def _post_on_participant(request: Request, participant: str, act: Any) -> Response:
    """Run a write as the signed-in user on the page's version; redirect back with a message.

    The database work runs in the thread pool, never on the event loop."""
    form = await checked_form(request)
    return await run_in_threadpool(_write_on_participant, request, participant, act, form)


def _write_on_participant(request: Request, participant: str, act: Any, form: dict[str, list[str]]) -> Response:
    who = page_user(request)
    seen = forms.first(form, "_seq")
    ctx = dataclasses.replace(acting(request, who.user), expected_seq=int(seen) if seen and seen.isdigit() else None)
    try:
        message = act(ctx, form)
    except PathwayError as err:
        from pathway.web.errors import page_message, status_of

        return _participant(request, who.user, participant, status=status_of(err), error=page_message(err))
    return _redirect_with(request, f"/participants/{quote(participant, safe='')}", message)


@router.post("/participants/{participant}/fire/{trigger}")
async def fire(request: Request, participant: str, trigger: str) -> Response:
    def act(ctx: Any, form: dict[str, list[str]]) -> str:
        at, reason = forms.late_entry(form)
        result = participant_service.fire(ctx, participant, trigger, data=forms.posted_data(form),
                                          at=at, reason=reason)
        # the fire pinned this version in the catalog: no query (the unit of work opens no connection)
        with ctx.uow() as uow:
            definition = ctx.catalog.pinned(uow, result.workflow_id, result.workflow_version).definition
        if result.moved:
            return text("fire.done", trigger=forms.trigger_title(definition, trigger),
                        from_step=_step_title(definition, result.from_step), to_step=_step_title(definition, result.to_step))
        return text("fire.recorded", trigger=forms.trigger_title(definition, trigger),
                    to_step=_step_title(definition, result.to_step))

    return await _post_on_participant(request, participant, act)


@router.post("/participants/{participant}/consent/{action}")
async def consent(request: Request, participant: str, action: str) -> Response:
    def act(ctx: Any, form: dict[str, list[str]]) -> str:
        agencies = [a for a in form.get("agencies", []) if a]
        at, reason = forms.late_entry(form)
        if action == "give":
            record_service.give_consent(ctx, participant, agencies, scope=forms.first(form, "scope"),
                                        until=forms.first(form, "until"), at=at, reason=reason)
        elif action == "confirm":
            record_service.confirm_consent(ctx, participant, at=at, reason=reason)
        elif action == "withdraw":
            record_service.withdraw_consent(ctx, participant, agencies, at=at, reason=reason)
        else:
            raise InvalidValue("consent action", action, "use give, confirm or withdraw")
        return text("consent.done")

    return await _post_on_participant(request, participant, act)


@router.post("/participants/{participant}/assign")
async def assign(request: Request, participant: str) -> Response:
    """Make another user the responsible caseworker (from the board or the participant page)."""
    form = await checked_form(request)
    return await run_in_threadpool(_assign, request, participant, form)


def _assign(request: Request, participant: str, form: dict[str, list[str]]) -> Response:
    from pathway.services import ownership

    who = page_user(request)
    back = _safe_next(forms.first(form, "_back"))
    login = forms.first(form, "user") or ""
    done = ownership.assign(acting(request, who.user), participant, login, reason=forms.first(form, "_reason"))
    return _redirect_with(request, back, text("board.reassigned", participant=done["participant_id"],
                                              user=done["login"]))


# -- enrol -----------------------------------------------------------------------------------

@router.get("/enrol")
def enrol_choose(request: Request) -> Response:
    page_user(request)
    ctx = base(request)
    workflows = [(wid, ctx.catalog.load_current(wid).definition.title) for wid in ctx.catalog.file_ids()]
    return render(request, "enrol_choose.html", {"workflows": workflows})


@router.get("/enrol/{workflow_id}")
def enrol_form(request: Request, workflow_id: str) -> Response:
    page_user(request)
    return _enrol_page(request, workflow_id, {}, None)


def _enrol_page(request: Request, workflow_id: str, form: dict[str, list[str]], error: str | None,
                status: int = 200) -> Response:
    definition = base(request).catalog.load_current(workflow_id).definition
    fields = forms.attribute_fields(definition)
    # a personnummer typed is never sent back, not even after an error
    kept = {k: v for k, v in form.items() if k not in ("personnummer", "_csrf", "password")}
    return render(request, "enrol.html", {"definition": definition, "fields": fields, "form": kept,
                                          "error": error}, status=status)


@router.post("/enrol/{workflow_id}")
async def enrol(request: Request, workflow_id: str) -> Response:
    form = await checked_form(request)
    return await run_in_threadpool(_enrol, request, workflow_id, form)


def _enrol(request: Request, workflow_id: str, form: dict[str, list[str]]) -> Response:
    who = page_user(request)
    ctx = acting(request, who.user)
    definition = ctx.catalog.load_current(workflow_id).definition
    fields = forms.attribute_fields(definition)
    try:
        at, reason = forms.late_entry(form)
        new_id, note = participant_service.enrol(
            ctx, workflow_id, ref=forms.first(form, "ref"), attributes=forms.values_from(form, fields),
            at=at, reason=reason, personnummer=forms.first(form, "personnummer"),
            anonymous=bool(forms.first(form, "anonymous")),
        )
    except PathwayError as err:
        from pathway.web.errors import page_message, status_of

        return _enrol_page(request, workflow_id, form, page_message(err), status_of(err))
    return _redirect_with(request, f"/participants/{new_id}",
                          text("enrol.done", id=new_id) + (f" ({note})" if note else ""))


# -- board -----------------------------------------------------------------------------------

SORTS = {
    "due": lambda r: (r.due_at is None, r.due_at or 0),
    "days_overdue": lambda r: -r.days_overdue,
    "level": lambda r: -r.level,
    "workflow": lambda r: (r.workflow, r.owner),
}


@router.get("/board")
def board(request: Request, workflow: str = "", role: str = "", overdue: str = "", level: str = "",
          sort: str = "due") -> Response:
    who = page_user(request)
    _take_flash(request)
    ctx = acting(request, who.user)
    min_level = int(level) if level.isdigit() else 0
    rows = deadline_service.board(ctx, overdue=bool(overdue), role=role or None, workflow_id=workflow or None)
    rows = [r for r in rows if r.level >= min_level]
    rows.sort(key=SORTS.get(sort, SORTS["due"]))
    all_rows = deadline_service.board(ctx)
    from pathway.domain.users import COORDINATOR

    return render(request, "board.html", {
        "reassign": COORDINATOR in who.user.roles,
        "rows": rows, "workflows": sorted({r.workflow for r in all_rows} | set(ctx.catalog.file_ids())),
        "roles": sorted({r.owner for r in all_rows}), "filters": {
            "workflow": workflow, "role": role, "overdue": overdue, "level": level, "sort": sort},
        "sorts": list(SORTS),
        # participants no deadline watches although a rule should (its start attribute is missing)
        "unwatched": deadline_service.unwatched(ctx, workflow or None),
    })


# -- reports ---------------------------------------------------------------------------------

@router.get("/reports")
def reports(request: Request, workflow: str = "", kind: str = "participants", by: str = "",
            period_from: str = "", period_to: str = "", as_of: str = "", min_cell: str = "") -> Response:
    who = page_user(request)
    ctx = acting(request, who.user)
    from pathway.web import reports as web_reports

    options = web_reports.Options.parse(workflow, kind, by, period_from, period_to, as_of, min_cell)
    tables = web_reports.run(ctx, options) if options.workflow else []
    return render(request, "reports.html", {
        "workflows": ctx.catalog.file_ids(), "kinds": web_reports.KINDS, "options": options,
        "tables": [(t, *web_reports.html_grid(t)) for t in tables],
        "charts": [(t.title, trusted_svg(svg)) for t in tables for svg in [charts.for_table(t)] if svg],
        "query": request.url.query,
    })


@router.get("/reports/download")
def report_download(request: Request, workflow: str, kind: str = "participants", by: str = "",
                    period_from: str = "", period_to: str = "", as_of: str = "", min_cell: str = "",
                    format: str = "csv") -> Response:
    who = page_user(request)
    ctx = acting(request, who.user)
    from pathway.web import reports as web_reports

    options = web_reports.Options.parse(workflow, kind, by, period_from, period_to, as_of, min_cell)
    return web_reports.download(ctx, options, format)


# -- workflows -------------------------------------------------------------------------------

@router.get("/workflows")
def workflows(request: Request) -> Response:
    page_user(request)
    ctx = base(request)
    items = [ctx.catalog.load_current(wid).definition for wid in ctx.catalog.file_ids()]
    return render(request, "workflows.html", {"workflows": items})


@router.get("/workflows/{workflow_id}")
def workflow(request: Request, workflow_id: str) -> Response:
    page_user(request)
    definition = base(request).catalog.load_current(workflow_id).definition
    from pathway.engine.diagram import DiagramFormat, graphviz_problem, render as draw, state_annotations

    svg = mermaid = None
    if graphviz_problem(DiagramFormat.SVG) is None:
        svg = trusted_svg(_inline_svg(draw(definition, DiagramFormat.SVG)))
    else:
        mermaid = draw(definition, DiagramFormat.MERMAID)
    return render(request, "workflow.html", {
        "d": definition, "svg": svg, "mermaid": mermaid,
        "annotations": {s.id: state_annotations(definition, s) for s in definition.steps},
        "step_title": lambda s: _step_title(definition, s),
    })
