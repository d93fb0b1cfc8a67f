"""The pages through the ASGI test client, on SQLite and PostgreSQL: each calls the services as the
signed-in user and shows what they return, refusals with the CLI's message."""

from __future__ import annotations

import html
import re

from pathway.services import deadlines, participants
from tests.web.conftest import csrf_of, snapshot


def _form(client, path: str) -> tuple[str, str]:
    page = client.get(path)
    assert page.status_code == 200, page.text
    seq = re.search(r'name="_seq" value="(\d+)"', page.text)
    return csrf_of(page.text), seq.group(1) if seq else ""


def test_home_redirects_to_login_and_pages_need_a_session(web):
    """Without a session every page sends the browser to the login form, remembering where it was going."""
    client = web.client()
    assert client.get("/", follow_redirects=False).headers["location"] == "/login"
    response = client.get("/participants/1", follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/participants/1"


def test_today_lists_my_participants_with_step_title_and_days_in_step(web, signed_in):
    """The caseload shows each participant with the step's Swedish title and the days spent in it."""
    web.enrol("LU-1")
    web.clock.advance(days=3)
    page = signed_in("anna").get("/today")
    assert page.status_code == 200
    assert "LU-1" in page.text
    assert "Remiss från socialtjänsten" in page.text
    assert re.search(r"<td>3</td>", page.text)


def test_participant_page_shows_step_triggers_forms_and_blocked_reasons(web, signed_in):
    """The participant page shows the current step's title, a form per allowed trigger and why others are blocked."""
    pid = web.enrol("LU-2")
    participants.fire(web.as_user("anna"), pid, "assess")
    page = signed_in("anna").get(f"/participants/{pid}")
    assert page.status_code == 200
    assert re.search(r'id="current-step"><strong>Bedömning av inklusionskriterier</strong>', page.text)
    assert f'action="/participants/{pid}/fire/exit"' in page.text
    assert 'name="reason"' in page.text and "<select" in page.text  # exit reason as a list of labelled choices
    assert "attributes must be true" in page.text  # 'include' blocked, with the guard's reason


def test_fire_through_the_form_moves_the_participant_and_says_so(web, signed_in):
    """Posting a trigger's form fires it as the signed-in user and redirects back with a message."""
    pid = web.enrol("LU-3")
    client = signed_in("anna")
    token, seq = _form(client, f"/participants/{pid}")
    response = client.post(f"/participants/{pid}/fire/assess", data={"_csrf": token, "_seq": seq},
                           follow_redirects=True)
    assert response.status_code == 200
    assert participants.show(web.as_user("anna"), pid).step == "inclusion_check"
    assert 'role="status"' in response.text  # the one-time message
    history = participants.history(web.as_user("anna"), pid)
    assert history[-1].actor == "anna"


def test_refusal_shows_the_cli_message_and_writes_nothing(web, signed_in):
    """A trigger refused by a guard shows the same message the CLI prints, with 409, and writes nothing."""
    pid = web.enrol("LU-4")
    participants.fire(web.as_user("anna"), pid, "assess")
    client = signed_in("anna")
    token, seq = _form(client, f"/participants/{pid}")
    before = snapshot(web.engine)
    response = client.post(f"/participants/{pid}/fire/include", data={"_csrf": token, "_seq": seq})
    assert response.status_code == 409
    assert "trigger &#39;include&#39; refused in step &#39;inclusion_check&#39;" in response.text
    after = snapshot(web.engine)
    assert {k: v for k, v in after.items() if k not in ("web_sessions", "access_log")} == \
        {k: v for k, v in before.items() if k not in ("web_sessions", "access_log")}


def test_bad_data_in_a_form_shows_the_cli_message_with_422(web, signed_in):
    """A value outside the declared choices is refused with the CLI's message naming what is accepted."""
    pid = web.enrol("LU-5")
    client = signed_in("anna")
    token, seq = _form(client, f"/participants/{pid}")
    response = client.post(f"/participants/{pid}/fire/exit", data={"_csrf": token, "_seq": seq, "reason": "moved"})
    assert response.status_code == 422
    assert "invalid data &#39;reason&#39; &#39;moved&#39;" in response.text
    assert participants.show(web.as_user("anna"), pid).status == "open"


def test_a_stale_form_is_refused_as_a_concurrent_change(web, signed_in):
    """Someone else changed the participant after the page was read: the post says so and writes nothing."""
    pid = web.enrol("LU-6")
    client = signed_in("anna")
    token, seq = _form(client, f"/participants/{pid}")
    participants.fire(web.as_user("bo"), pid, "assess")  # meanwhile, a colleague moves them on
    before = participants.history(web.as_user("anna"), pid)
    response = client.post(f"/participants/{pid}/fire/exit", data={"_csrf": token, "_seq": seq, "reason": "work"})
    assert response.status_code == 409
    assert "Någon annan ändrade deltagaren samtidigt; ladda om sidan" in response.text
    assert participants.history(web.as_user("anna"), pid) == before or \
        len(participants.history(web.as_user("anna"), pid)) == len(before)
    assert participants.show(web.as_user("anna"), pid).status == "open"


def test_late_entry_needs_a_reason(web, signed_in):
    """A trigger recorded as happening earlier without a reason is refused with the CLI's message."""
    pid = web.enrol("LU-7")
    web.clock.advance(days=2)
    client = signed_in("anna")
    token, seq = _form(client, f"/participants/{pid}")
    response = client.post(f"/participants/{pid}/fire/assess",
                           data={"_csrf": token, "_seq": seq, "_at": "2026-03-03T10:00"})
    assert response.status_code == 422
    assert "say why with «Varför registreras det i efterhand?» TEXT" in response.text  # the form's label, not a flag
    assert "--reason" not in response.text
    response = client.post(f"/participants/{pid}/fire/assess",
                           data={"_csrf": token, "_seq": seq, "_at": "2026-03-03T10:00", "_reason": "telefon"},
                           follow_redirects=True)
    assert response.status_code == 200
    last = participants.history(web.as_user("anna"), pid)[-1]
    assert last.reason == "telefon" and last.effective_at.isoformat().startswith("2026-03-03T09:00")


def test_consent_give_confirm_withdraw_through_forms(web, signed_in):
    """Consent is given for chosen agencies, confirmed and withdrawn from the participant page."""
    pid = web.enrol("LU-8")
    client = signed_in("anna")
    token, seq = _form(client, f"/participants/{pid}")
    page = client.post(f"/participants/{pid}/consent/give",
                       data={"_csrf": token, "_seq": seq, "agencies": ["soc", "af"]}, follow_redirects=True)
    assert page.status_code == 200
    assert "Samtycke gäller för: Arbetsförmedlingen, Socialtjänsten" in page.text
    token, seq = _form(client, f"/participants/{pid}")
    client.post(f"/participants/{pid}/consent/confirm", data={"_csrf": token, "_seq": seq})
    token, seq = _form(client, f"/participants/{pid}")
    page = client.post(f"/participants/{pid}/consent/withdraw",
                       data={"_csrf": token, "_seq": seq, "agencies": ["af"]}, follow_redirects=True)
    assert "Samtycke gäller för: Socialtjänsten" in page.text
    types = [e.type for e in participants.history(web.as_user("anna"), pid)]
    assert types[-3:] == ["consent_given", "consent_confirmed", "consent_withdrawn"]


def test_bad_consent_names_the_form_labels_not_the_cli_flags(web, signed_in):
    """A consent refused for its agencies or its last day names the form's labels, never --agencies/--until."""
    pid = web.enrol("LU-8")
    client = signed_in("anna")
    token, seq = _form(client, f"/participants/{pid}")
    page = client.post(f"/participants/{pid}/consent/give", data={"_csrf": token, "_seq": seq, "agencies": []})
    assert page.status_code == 422
    assert "invalid «Myndigheter» '': use one or more of" in html.unescape(page.text)
    token, seq = _form(client, f"/participants/{pid}")
    page = client.post(f"/participants/{pid}/consent/give",
                       data={"_csrf": token, "_seq": seq, "agencies": ["soc"], "until": "1999-01-01"})
    assert page.status_code == 422
    assert "invalid «Gäller till och med (frivilligt)» '1999-01-01'" in html.unescape(page.text)
    main = page.text.split("<main", 1)[-1].split("</main>")[0]
    main = re.sub(r'name="_csrf" value="[^"]*"', "", main)  # a random token may hold "--"
    assert "--" not in main


def test_enrol_form_is_generated_from_the_attributes_and_never_shows_the_personnummer(web, signed_in):
    """The enrol form has a labelled field per attribute; a personnummer typed is not sent back, not even after an error."""
    client = signed_in("anna")
    page = client.get("/enrol/kraft")
    assert page.status_code == 200
    assert 'for="e-f-referring_agency"' in page.text and 'id="e-f-referring_agency"' in page.text
    token = csrf_of(page.text)
    wrong = client.post("/enrol/kraft", data={"_csrf": token, "ref": "LU-9", "personnummer": "19121212-1213",
                                              "referring_agency": "soc"})
    assert wrong.status_code == 422
    assert "1212" not in wrong.text.replace("1212-1213", "") or "19121212" not in wrong.text
    assert 'value="19121212' not in wrong.text
    done = client.post("/enrol/kraft", data={"_csrf": token, "ref": "LU-9", "personnummer": "19121212-1212",
                                             "referring_agency": "soc"}, follow_redirects=True)
    assert done.status_code == 200, done.text
    assert "LU-9" in done.text
    assert "19121212" not in done.text and "121212-1212" not in done.text


def test_board_changes_after_a_deadline_check_and_filters(web, signed_in):
    """The board shows a stalled step as overdue once the deadline check has run; filters narrow it."""
    web.enrol("LU-10")
    assert "LU-10" not in signed_in("cia").get("/board?overdue=1").text
    web.clock.advance(days=20)
    deadlines.check(web.ctx)
    client = signed_in("cia")  # twenty days on, the first session has long timed out
    board = client.get("/board?overdue=1")
    assert "LU-10" in board.text and 'class="overdue"' in board.text
    assert "LU-10" not in client.get("/board?overdue=1&workflow=flen_tripartite").text
    assert "LU-10" not in client.get("/board?overdue=1&level=9").text


def test_board_lists_the_unwatched_participants(web, signed_in):
    """A Flen participant with no application date has no 14-day clock: the board lists them as unwatched,
    naming the missing attribute, until it is recorded."""
    web.enrol("FL-7", workflow="flen_tripartite")
    page = signed_in("cia").get("/board")
    assert 'id="unwatched-table"' in page.text
    section = page.text.split('id="unwatched-table"')[1]
    assert "FL-7" in section and "application_date" in section
    participants.set_attributes(web.as_user("anna"), "FL-7", {"application_date": "2026-03-02"})
    assert 'id="unwatched-table"' not in signed_in("cia").get("/board").text


def test_reports_page_shows_tables_and_charts_and_downloads(web, signed_in):
    """Reports show the funder's tables with an SVG chart; CSV and xlsx downloads hide small counts."""
    for n in range(4):
        web.enrol(f"LU-R{n}")
    client = signed_in("cia")
    page = client.get("/reports?workflow=kraft&kind=participants&by=gender")
    assert page.status_code == 200
    assert "<svg" in page.text and "<title id=\"chart-participants-t\">" in page.text
    csv_ = client.get("/reports/download?workflow=kraft&kind=participants&by=gender&format=csv")
    assert csv_.status_code == 200 and csv_.headers["content-type"].startswith("text/csv")
    assert "4" in csv_.text
    xlsx = client.get("/reports/download?workflow=kraft&kind=flow&format=xlsx")
    assert xlsx.status_code == 200 and xlsx.content[:2] == b"PK"
    bad = client.get("/reports?workflow=kraft&kind=participants&period_from=31/12")
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.text


def test_workflows_page_lists_steps_in_swedish_with_a_diagram(web, signed_in):
    """The workflow page draws the pathway and lists steps, transitions and exit reasons in Swedish."""
    client = signed_in("cia")
    assert "Kraft" in client.get("/workflows").text
    page = client.get("/workflows/kraft")
    assert page.status_code == 200
    assert "Remiss från socialtjänsten" in page.text
    assert "<svg" in page.text or "stateDiagram" in page.text
    assert client.get("/workflows/nope").status_code == 404


def test_participant_diagram_is_an_svg_image_of_its_own(web, signed_in):
    """The participant's path is drawn by Graphviz as an image the page links to (not inline)."""
    from pathway.engine.diagram import DiagramFormat, graphviz_problem

    pid = web.enrol("LU-D1")
    participants.fire(web.as_user("anna"), pid, "assess")
    client = signed_in("anna")
    page = client.get(f"/participants/{pid}").text
    if graphviz_problem(DiagramFormat.SVG):
        assert "diagram.svg" not in page
        return
    assert f'<img src="/participants/{pid}/diagram.svg" alt="' in page
    svg = client.get(f"/participants/{pid}/diagram.svg")
    assert svg.status_code == 200 and svg.headers["content-type"].startswith("image/svg+xml")
    assert b"<svg" in svg.content


def test_coordinator_sees_load_per_caseworker_and_the_unassigned(web, signed_in):
    """A coordinator's today page lists every participant of their projects, the load per caseworker
    and the participants nobody is responsible for; a caseworker sees only their own."""
    web.enrol("LU-K1", by="anna")
    web.enrol("LU-K2", by="bo")
    participants.enrol(web.ctx, "kraft", ref="LU-K3", attributes={"gender": "male", "birth_date": "1990-01-01",
                                                                  "referring_agency": "soc"})  # by nobody
    coordinator = signed_in("cia").get("/today").text
    assert all(ref in coordinator for ref in ("LU-K1", "LU-K2", "LU-K3"))
    load = coordinator[coordinator.index('id="load"'):coordinator.index('id="caseload"')]
    assert "<td>anna</td><td>1</td>" in load and "<td>bo</td><td>1</td>" in load
    unassigned = coordinator[coordinator.index('id="unassigned"'):]
    assert "1 deltagare har ingen ansvarig handläggare" in unassigned and 'href="/today?who=unassigned"' in unassigned
    only = signed_in("cia").get("/today", params={"who": "unassigned"}).text
    listed = only[only.index('id="caseload"'):]
    assert "LU-K3" in listed and "LU-K1" not in listed and "LU-K2" not in listed
    mine = signed_in("anna").get("/today").text
    assert "LU-K1" in mine and "LU-K2" not in mine and 'id="load"' not in mine


def test_coordinator_reassigns_from_the_board(web, signed_in):
    """The board's reassign form makes another caseworker responsible (an 'assigned' event as the coordinator)."""
    pid = web.enrol("LU-K4", by="anna")
    client = signed_in("cia")
    board = client.get("/board")
    assert f'action="/participants/{pid}/assign"' in board.text
    done = client.post(f"/participants/{pid}/assign", data={"_csrf": csrf_of(board.text), "user": "bo",
                                                            "_back": "/board"}, follow_redirects=True)
    assert done.status_code == 200 and "bo som ansvarig handläggare" in done.text
    last = participants.history(web.as_user("cia"), pid)[-1]
    assert last.type == "assigned" and last.actor == "cia"
    refused = client.post(f"/participants/{pid}/assign", data={"_csrf": csrf_of(board.text), "user": "olle"})
    assert refused.status_code in (403, 409, 422) and "olle" in refused.text
    caseworker_board = signed_in("anna").get("/board").text
    assert "/assign" not in caseworker_board


def test_caseload_page_is_paged_with_links(web, signed_in, monkeypatch):
    """The today page lists one page of the caseload with its position and links to the next and
    previous pages; a page number out of range shows the first page's links, never an error."""
    from pathway.services import ownership

    monkeypatch.setattr(ownership, "PAGE_SIZE", 2)
    for n in range(5):
        web.enrol(f"LU-PG{n}")
    client = signed_in("anna")
    first = client.get("/today").text
    assert "LU-PG0" in first and "LU-PG1" in first and "LU-PG2" not in first
    assert "Deltagare 1–2 av 5." in first and 'href="/today?page=2" rel="next"' in first
    assert "Sida 1 av 3" in first and 'rel="prev"' not in first
    last = client.get("/today", params={"page": "3"}).text
    assert "LU-PG4" in last and "LU-PG0" not in last and 'href="/today?page=2" rel="prev"' in last
    assert 'rel="next"' not in last
    assert client.get("/today", params={"page": "x"}).status_code == 200


def test_fire_post_commits_once(web, signed_in):
    """The fire form's post is one transaction, the fire's own: its one-time message needs no write
    and no second read (it rides on a signed cookie; the fire's result names the workflow version)."""
    from sqlalchemy import event

    pid = web.enrol("LU-ONE")
    client = signed_in("anna")
    token, seq = _form(client, f"/participants/{pid}")
    commits: list[object] = []
    listener = lambda conn: commits.append(conn)  # noqa: E731
    event.listen(web.engine, "commit", listener)
    try:
        posted = client.post(f"/participants/{pid}/fire/assess", data={"_csrf": token, "_seq": seq},
                             follow_redirects=False)
    finally:
        event.remove(web.engine, "commit", listener)
    assert posted.status_code == 303
    assert len(commits) == 1
