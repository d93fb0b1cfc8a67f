"""The JSON API under /api/v1 on SQLite and PostgreSQL: the CLI's JSON contracts, token auth,
problem details with 401/404/409/422, pagination, and the checked-in OpenAPI document."""

from __future__ import annotations

import json

import pytest

from pathway.services import accounts, participants
from tests.web.conftest import REPO, snapshot

OPENAPI = REPO / "docs" / "openapi.json"


@pytest.fixture
def api(web):
    """A client that sends anna's API token."""
    _, token = accounts.create_token(web.ctx, "anna", "tests")
    client = web.client()
    client.headers["Authorization"] = f"Bearer {token}"
    return client


def _problem(response, status: int) -> dict:
    assert response.status_code == status, response.text
    assert response.headers["content-type"] == "application/problem+json"
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"]
    return body


def test_every_endpoint_refuses_without_credentials(web):
    """No token and no session: 401 problem details with WWW-Authenticate, on every endpoint."""
    client = web.client()
    for method, path in [("GET", "/api/v1/me"), ("GET", "/api/v1/participants"), ("GET", "/api/v1/participants/1"),
                         ("GET", "/api/v1/participants/1/history"), ("POST", "/api/v1/participants"),
                         ("POST", "/api/v1/participants/1/fire/assess"), ("POST", "/api/v1/participants/1/consent/give"),
                         ("GET", "/api/v1/deadlines"), ("GET", "/api/v1/caseload"),
                         ("GET", "/api/v1/reports/flow?workflow=kraft")]:
        response = client.request(method, path, json={})
        _problem(response, 401)
        assert response.headers["www-authenticate"] == "Bearer"
    _problem(client.get("/api/v1/me", headers={"Authorization": "Bearer pw_wrong"}), 401)


def test_enrol_show_history_as_the_cli_json(web, api):
    """Enrol, show and history answer with the CLI's JSON contracts (same keys, same values)."""
    created = api.post("/api/v1/participants", json={
        "workflow": "kraft", "ref": "LU-A1", "attributes": {"gender": "female", "birth_date": "1985-04-02",
                                                             "referring_agency": "soc"}})
    assert created.status_code == 201 and set(created.json()) == {"id"}
    pid = created.json()["id"]
    shown = api.get(f"/api/v1/participants/{pid}").json()
    cli_json = participants.show(web.as_user("anna"), pid).to_json()
    assert {k: v for k, v in shown.items() if k != "seq"} == json.loads(json.dumps(cli_json, default=str))
    assert shown["step"] == "referral" and shown["seq"] == 1
    history = api.get(f"/api/v1/participants/{pid}/history").json()
    assert history["total"] == 1 and history["items"][0]["type"] == "enrolled"
    assert history["items"][0]["actor"] == "anna"
    by_ref = api.get("/api/v1/participants/LU-A1").json()
    assert by_ref["id"] == pid


def test_fire_answers_the_cli_json_and_refusals_are_problems(web, api):
    """Fire returns the fire contract; a guard refusal is 409, bad data 422, an unknown participant 404."""
    pid = web.enrol("LU-A2")
    fired = api.post(f"/api/v1/participants/{pid}/fire/assess", json={})
    assert fired.status_code == 200
    assert fired.json() == {"participant_id": pid, "trigger": "assess", "from_step": "referral",
                            "to_step": "inclusion_check", "status": "open", "seq": 2, "moved": True,
                            "to_step_kind": fired.json()["to_step_kind"]}
    before = snapshot(web.engine)["events"]
    refused = _problem(api.post(f"/api/v1/participants/{pid}/fire/include", json={}), 409)
    assert refused["detail"].startswith("trigger 'include' refused in step 'inclusion_check'")
    bad = _problem(api.post(f"/api/v1/participants/{pid}/fire/exit", json={"data": {"reason": "moved"}}), 422)
    assert "use one of the exit reasons" in bad["detail"]
    _problem(api.post("/api/v1/participants/NOPE-1/fire/assess", json={}), 404)
    _problem(api.post(f"/api/v1/participants/{pid}/fire/exit", json={"data": "reason=work"}), 422)
    assert snapshot(web.engine)["events"] == before


def test_if_match_refuses_a_stale_write_with_409(web, api):
    """A write carrying an old seq in If-Match is a concurrent change: 409 and nothing written."""
    pid = web.enrol("LU-A3")
    participants.fire(web.as_user("bo"), pid, "assess")
    stale = _problem(api.post(f"/api/v1/participants/{pid}/fire/exit", json={"data": {"reason": "work"}},
                              headers={"If-Match": "1"}), 409)
    assert "changed by someone else" in stale["detail"]
    ok = api.post(f"/api/v1/participants/{pid}/fire/exit", json={"data": {"reason": "work"}}, headers={"If-Match": "2"})
    assert ok.status_code == 200 and ok.json()["status"] == "exited"


def test_consent_endpoint(web, api):
    """Consent is given, confirmed and withdrawn; an unknown agency is 422 naming the valid ones."""
    pid = web.enrol("LU-A4")
    assert api.post(f"/api/v1/participants/{pid}/consent/give", json={"agencies": ["soc", "af"]}).status_code == 200
    assert api.post(f"/api/v1/participants/{pid}/consent/confirm", json={}).status_code == 200
    assert api.post(f"/api/v1/participants/{pid}/consent/withdraw", json={"agencies": ["af"]}).status_code == 200
    assert api.get(f"/api/v1/participants/{pid}").json()["consent"]["agencies_in_force"] == ["soc"]
    bad = _problem(api.post(f"/api/v1/participants/{pid}/consent/give", json={"agencies": ["nasa"]}), 422)
    assert "nasa" in bad["detail"]
    _problem(api.post(f"/api/v1/participants/{pid}/consent/forget", json={}), 422)


def test_lists_are_paginated(web, api):
    """participants, history and deadlines pages carry total, limit, offset and the next page's address."""
    for n in range(5):
        web.enrol(f"LU-P{n}")
    first = api.get("/api/v1/participants", params={"limit": 2}).json()
    assert first["total"] == 5 and len(first["items"]) == 2 and first["offset"] == 0
    second = api.get(first["next"]).json()
    assert [p["ref"] for p in second["items"]] == ["LU-P2", "LU-P3"]
    last = api.get("/api/v1/participants", params={"limit": 2, "offset": 4}).json()
    assert len(last["items"]) == 1 and last["next"] is None
    _problem(api.get("/api/v1/participants", params={"limit": 0}), 422)
    _problem(api.get("/api/v1/participants", params={"status": "sleeping"}), 422)
    board = api.get("/api/v1/deadlines").json()
    assert board["total"] >= 5 and {"participant_id", "rule", "due_date", "owner"} <= set(board["items"][0])


def test_caseload_is_paginated_and_refuses_what_the_cli_refuses(web, api, engine):
    """/caseload pages the caseload as `pathway caseload --format json` rows with total and next;
    another caseworker's caseload is 403, an unknown user 422, a page too large 422; each read is logged."""
    from sqlalchemy import text

    for n in range(5):
        web.enrol(f"LU-C{n}")
    web.enrol("LU-BO", by="bo")
    first = api.get("/api/v1/caseload", params={"limit": 2}).json()
    assert first["total"] == 5 and [r["ref"] for r in first["items"]] == ["LU-C0", "LU-C1"]
    assert set(first["items"][0]) == {"participant_id", "ref", "workflow", "step", "responsible", "days_in_step",
                                      "next_deadline", "next_due", "overdue"}
    second = api.get(first["next"]).json()
    assert [r["ref"] for r in second["items"]] == ["LU-C2", "LU-C3"] and second["offset"] == 2
    assert api.get("/api/v1/caseload", params={"limit": 2, "offset": 4}).json()["next"] is None
    refused = _problem(api.get("/api/v1/caseload", params={"user": "bo"}), 403)
    assert "caseload.others" in refused["detail"]
    assert "ghost" in _problem(api.get("/api/v1/caseload", params={"user": "ghost"}), 422)["detail"]
    _problem(api.get("/api/v1/caseload", params={"limit": 501}), 422)
    _problem(api.get("/api/v1/caseload", params={"offset": 2**63}), 422)  # found by the fuzz test
    _problem(api.get("/api/v1/caseload", params={"user": "an\x00na"}), 422)
    _problem(api.get("/api/v1/caseload", params={"unassigned": "true"}), 422)  # a caseworker has none to list
    with engine.connect() as conn:
        logged = conn.execute(text("SELECT count(*) FROM access_log WHERE login = 'anna' "
                                   "AND what LIKE 'caseload%'")).scalar()
    assert logged == 3


def test_coordinator_pages_any_caseload_and_the_unassigned(web):
    """cia (coordinator) pages every participant of her projects, bo's caseload, and the unassigned."""
    from pathway.services import participants as participant_service

    web.enrol("LU-A1")
    web.enrol("LU-B1", by="bo")
    participant_service.enrol(web.ctx, "kraft", ref="LU-N1", attributes={"gender": "male", "referring_agency": "soc",
                                                                          "birth_date": "1990-01-01"})
    _, token = accounts.create_token(web.ctx, "cia", "tests")
    cia = web.client()
    cia.headers["Authorization"] = f"Bearer {token}"
    everyone = cia.get("/api/v1/caseload").json()
    assert {(r["ref"], r["responsible"]) for r in everyone["items"]} == {
        ("LU-A1", "anna"), ("LU-B1", "bo"), ("LU-N1", None)}
    assert [r["ref"] for r in cia.get("/api/v1/caseload", params={"user": "bo"}).json()["items"]] == ["LU-B1"]
    unassigned = cia.get("/api/v1/caseload", params={"unassigned": "true"}).json()
    assert unassigned["total"] == 1 and unassigned["items"][0]["ref"] == "LU-N1"


def test_report_endpoint_is_the_report_json_contract(web, api):
    """/reports/KIND answers what `pathway report KIND --format json` prints; a bad date is 422."""
    for n in range(3):
        web.enrol(f"LU-R{n}")
    body = api.get("/api/v1/reports/participants", params={"workflow": "kraft", "by": "gender"}).json()
    assert body["report"] == "participants" and body["total"] == 3 and body["dimensions"] == ["gender"]
    _problem(api.get("/api/v1/reports/participants", params={"workflow": "kraft", "from": "yesterday"}), 422)
    other = _problem(api.get("/api/v1/reports/participants", params={"workflow": "utrikesfodda"}), 403)
    assert "permission report.read" in other["detail"]  # not a member of that project


def test_openapi_document_is_served_and_checked_in(web):
    """The served OpenAPI document equals docs/openapi.json (regenerate with scripts/openapi.py)."""
    served = web.client().get("/api/v1/openapi.json").json()
    assert served["openapi"].startswith("3.")
    assert "/api/v1/participants/{participant}/fire/{trigger}" in served["paths"]
    assert json.loads(OPENAPI.read_text(encoding="utf-8")) == served, "run: python scripts/openapi.py"
