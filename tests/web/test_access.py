"""The web layer decides no access of its own: the services' policy refuses other projects' users
(403, nothing written), and every read through a page or the API leaves its access-log row."""

from __future__ import annotations

from sqlalchemy import text

from pathway.services import accounts, participants
from tests.web.conftest import csrf_of, snapshot


def _log(engine) -> list[tuple[str, int | None, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.execute(text("SELECT login, participant_id, what FROM access_log ORDER BY id"))]


def test_every_read_through_the_api_leaves_one_access_log_row(web):
    """show and history through the API each append exactly one row naming the user and the participant."""
    pid = web.enrol("LU-L1")
    _, token = accounts.create_token(web.ctx, "anna", "log test")
    client = web.client(headers={"Authorization": f"Bearer {token}"})
    before = _log(web.engine)
    assert client.get(f"/api/v1/participants/{pid}").status_code == 200
    assert _log(web.engine)[len(before):] == [("anna", pid, "show")]
    assert client.get(f"/api/v1/participants/{pid}/history").status_code == 200
    assert _log(web.engine)[len(before):] == [("anna", pid, "show"), ("anna", pid, "history")]


def test_the_participant_page_logs_what_it_reads(web, signed_in):
    """Opening a participant's page logs the record and the history it shows, as the signed-in user."""
    pid = web.enrol("LU-L2")
    client = signed_in("bo")
    before = _log(web.engine)
    assert client.get(f"/participants/{pid}").status_code == 200
    assert sorted(_log(web.engine)[len(before):]) == [("bo", pid, "history"), ("bo", pid, "show")]


def test_a_user_of_another_project_is_refused_and_nothing_is_written(web, signed_in):
    """olle (member of utrikesfodda only) gets 403 with the policy's message on a Kraft participant, page and API."""
    pid = web.enrol("LU-L3")
    client = signed_in("olle")
    page = client.get(f"/participants/{pid}")
    assert page.status_code == 403
    assert "not a member of that workflow" in page.text
    before = snapshot(web.engine)
    token = csrf_of(client.get("/today").text)
    refused = client.post(f"/participants/{pid}/fire/assess", data={"_csrf": token})
    assert refused.status_code == 403
    after = snapshot(web.engine)
    assert after["events"] == before["events"] and after["participants"] == before["participants"]
    _, api_token = accounts.create_token(web.ctx, "olle", "t")
    api = web.client(headers={"Authorization": f"Bearer {api_token}"})
    problem = api.get(f"/api/v1/participants/{pid}")
    assert problem.status_code == 403 and problem.json()["error"] == "NotPermitted"
    assert api.post(f"/api/v1/participants/{pid}/fire/assess", json={}).status_code == 403
    assert participants.show(web.as_user("anna"), pid).step == "referral"


def test_lists_show_only_the_users_projects(web, signed_in):
    """The caseload and the API list hold only participants of the user's own workflows."""
    web.enrol("LU-L4")
    assert "LU-L4" not in signed_in("olle").get("/today").text
    _, token = accounts.create_token(web.ctx, "olle", "t")
    listed = web.client(headers={"Authorization": f"Bearer {token}"}).get("/api/v1/participants").json()
    assert listed["total"] == 0


def test_an_af_user_does_not_see_health_entries_and_is_told(web, signed_in):
    """Health care's intervention is hidden from the employment service until consent covers af, and
    the page says plainly what was withheld; the API carries the same filtering."""
    from pathway.services import records

    pid = web.enrol("LU-S1")
    records.give_consent(web.as_user("anna"), pid, ["soc", "health"])
    records.start_intervention(web.as_user("hedda"), pid, "health_care", agency="health", note="samtal")
    af = signed_in("bo")
    page = af.get(f"/participants/{pid}").text
    assert 'id="withheld-note"' in page and "not shown: no consent to share with" in page
    interventions = page[page.index('id="interventions"'):page.index('id="history"')]
    assert "health_care" not in interventions
    _, token = accounts.create_token(web.ctx, "bo", "t")
    api = web.client(headers={"Authorization": f"Bearer {token}"})
    assert api.get(f"/api/v1/participants/{pid}").json()["interventions"] == []
    records.give_consent(web.as_user("anna"), pid, ["af"])
    page = af.get(f"/participants/{pid}").text
    assert 'id="withheld-note"' not in page
    assert "health_care" in page[page.index('id="interventions"'):page.index('id="history"')]
    soc = signed_in("anna").get(f"/participants/{pid}").text
    assert "health_care" in soc
