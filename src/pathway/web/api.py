"""The HTTP API under ``/api/v1``: JSON with the CLI's ``--format json`` contracts.

Authentication: ``Authorization: Bearer TOKEN`` (``pathway user token create``) or the web session
cookie (then POSTs also need ``X-CSRF-Token``). Errors are problem details (see
:mod:`pathway.web.errors`): 401 not signed in, 403 not permitted, 404 unknown, 409 refused by a
pathway rule or a concurrent change, 422 bad input. Lists are paginated with ``limit`` and
``offset``; the answer says ``total`` and gives the ``next`` page's address.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from fastapi import APIRouter, Body, Depends, Header, Query
from starlette.requests import Request

from pathway.domain.users import User
from pathway.errors import InvalidValue
from pathway.reports import render as report_render
from pathway.services import deadlines as deadline_service
from pathway.services import participants as participant_service
from pathway.services import records as record_service
from pathway.web.deps import acting, api_user

router = APIRouter(prefix="/api/v1", tags=["pathway"])

MAX_LIMIT = 500


def _page(request: Request, items: list[Any], limit: int, offset: int) -> dict[str, Any]:
    chosen = items[offset:offset + limit]
    following = None
    if offset + limit < len(items):
        query = dict(request.query_params)
        query.update(limit=str(limit), offset=str(offset + limit))
        following = str(request.url.replace_query_params(**query))
    return {"items": chosen, "total": len(items), "limit": limit, "offset": offset, "next": following}


Limit = Query(50, ge=1, le=MAX_LIMIT, description="items per page")
Offset = Query(0, ge=0, description="items to skip")


@router.get("/me", summary="who is signed in")
def me(user: User = Depends(api_user)) -> dict[str, Any]:
    return {"login": user.login, "display_name": user.display_name, "agency": user.agency,
            "roles": sorted(user.roles), "workflows": sorted(user.workflows)}


@router.get("/participants", summary="participants (as `participant list --format json`), paginated")
def participants(request: Request, workflow: str | None = None, step: str | None = None,
                 status: str | None = None, limit: int = Limit, offset: int = Offset,
                 user: User = Depends(api_user)) -> dict[str, Any]:
    found = participant_service.list_participants(acting(request, user), workflow, step, status)
    return _page(request, [p.to_json() for p in found], limit, offset)


@router.get("/participants/{participant}", summary="one participant (as `participant show --format json`)")
def participant(request: Request, participant: str, user: User = Depends(api_user)) -> dict[str, Any]:
    view = participant_service.show(acting(request, user), participant)
    return {**view.to_json(), "seq": view.seq}


@router.get("/participants/{participant}/history", summary="the history (as `participant history --format json`), paginated")
def history(request: Request, participant: str, limit: int = Limit, offset: int = Offset,
            user: User = Depends(api_user)) -> dict[str, Any]:
    events = participant_service.history(acting(request, user), participant)
    return _page(request, [e.to_json() for e in events], limit, offset)


@router.post("/participants", status_code=201, summary="enrol (as `participant enrol --format json`)")
def enrol(request: Request, body: dict[str, Any] = Body(..., examples=[{
        "workflow": "kraft", "ref": "LU-2026-014", "attributes": {"referring_agency": "soc"}}]),
          user: User = Depends(api_user)) -> dict[str, Any]:
    workflow = body.get("workflow")
    if not isinstance(workflow, str):
        raise InvalidValue("workflow", workflow, "give the workflow id as text, e.g. \"kraft\"")
    new_id, _ = participant_service.enrol(
        acting(request, user), workflow, ref=body.get("ref"), attributes=_mapping(body, "attributes"),
        at=_time(body.get("at")), reason=body.get("reason"), personnummer=body.get("personnummer"),
        anonymous=bool(body.get("anonymous", False)))
    return {"id": new_id}


@router.post("/participants/{participant}/fire/{trigger}",
             summary="fire a trigger (as `participant fire --format json`)")
def fire(request: Request, participant: str, trigger: str,
         body: dict[str, Any] = Body(default_factory=dict, examples=[{"data": {"reason": "work"}}]),
         if_match: str | None = Header(None, description="the participant's `seq` you last read: refused with 409 if it moved"),
         user: User = Depends(api_user)) -> dict[str, Any]:
    ctx = _expecting(acting(request, user), if_match)
    result = participant_service.fire(ctx, participant, trigger, data=_mapping(body, "data"),
                                      at=_time(body.get("at")), reason=body.get("reason"))
    return result.to_json()


@router.post("/participants/{participant}/consent/{action}", summary="give, confirm or withdraw consent")
def consent(request: Request, participant: str, action: str,
            body: dict[str, Any] = Body(default_factory=dict, examples=[{"agencies": ["soc", "af"]}]),
            if_match: str | None = Header(None), user: User = Depends(api_user)) -> dict[str, Any]:
    ctx = _expecting(acting(request, user), if_match)
    agencies = body.get("agencies") or []
    if not isinstance(agencies, list):
        raise InvalidValue("agencies", agencies, "give a list, e.g. [\"soc\", \"af\"]")
    at, reason = _time(body.get("at")), body.get("reason")
    if action == "give":
        data = record_service.give_consent(ctx, participant, [str(a) for a in agencies], scope=body.get("scope"),
                                           until=body.get("until"), at=at, reason=reason)
    elif action == "confirm":
        data = record_service.confirm_consent(ctx, participant, at=at, reason=reason)
    elif action == "withdraw":
        data = record_service.withdraw_consent(ctx, participant, [str(a) for a in agencies], at=at, reason=reason)
    else:
        raise InvalidValue("consent action", action, "use give, confirm or withdraw")
    return {"participant": participant, "action": action, "data": data}


@router.get("/deadlines", summary="the board (as `deadlines list --format json`), paginated")
def deadlines(request: Request, overdue: bool = False, role: str | None = None, workflow: str | None = None,
              limit: int = Limit, offset: int = Offset, user: User = Depends(api_user)) -> dict[str, Any]:
    rows = deadline_service.board(acting(request, user), overdue=overdue, role=role, workflow_id=workflow)
    return _page(request, [r.to_json() for r in rows], limit, offset)


@router.get("/caseload", summary="my caseload (as `pathway caseload --format json`), paginated")
def caseload(request: Request, user_login: str | None = Query(None, alias="user",
                                                              description="another caseworker's (coordinators)"),
             unassigned: bool = Query(False, description="a coordinator's own: only those nobody is responsible for"),
             limit: int = Limit, offset: int = Offset, user: User = Depends(api_user)) -> dict[str, Any]:
    """One page of participants by number, each with step, days in step, next deadline and overdue
    count; ``total`` counts the whole caseload. One query for the page, one for its deadlines."""
    from pathway.services import ownership

    found = ownership.caseload_page(acting(request, user), user_login, limit=limit, offset=offset,
                                    unassigned=unassigned)
    following = None
    if offset + limit < found.total:
        following = str(request.url.include_query_params(limit=str(limit), offset=str(offset + limit)))
    return {**found.to_json(), "next": following}


@router.get("/reports/{kind}", summary="report tables (as `pathway report KIND --format json`)")
def report(request: Request, kind: str, workflow: str, by: str = "", period_from: str = Query("", alias="from"),
           period_to: str = Query("", alias="to"), as_of: str = "", user: User = Depends(api_user)) -> Any:
    from pathway.web import reports as web_reports

    options = web_reports.Options.parse(workflow, kind, by, period_from, period_to, as_of, "")
    import json

    return json.loads(report_render.as_json(web_reports.run(acting(request, user), options)))


def _mapping(body: dict[str, Any], key: str) -> dict[str, Any]:
    value = body.get(key) or {}
    if not isinstance(value, dict):
        raise InvalidValue(key, value, "give an object of name → value")
    return value


def _time(value: Any) -> Any:
    if value is None:
        return None
    from pathway.clock import parse_time

    return parse_time(str(value), "at")


def _expecting(ctx: Any, if_match: str | None) -> Any:
    if if_match is None:
        return ctx
    seq = if_match.strip().strip('"')
    if not seq.isdigit():
        raise InvalidValue("If-Match", if_match, "give the participant's seq from its last read, e.g. \"7\"")
    return dataclasses.replace(ctx, expected_seq=int(seq))
