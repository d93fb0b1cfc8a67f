"""What a funder gets from the web app: the report tables, charts and downloads, never a participant.

The CLI's counterpart is tests/e2e/test_report_privacy.py; here the same promise is checked through
every report page, every download format and the API, and the participant pages stay closed."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook

from pathway.domain.users import User
from pathway.services import participants
from tests.web.conftest import KRAFT_ATTRIBUTES

REFS = ["FUND-ALFA-01", "FUND-BETA-02", "FUND-GAMMA-03"]
NAME = "Signe Qvarnström"
KINDS = ["participants", "exits", "outcomes", "goals", "flow", "before-after", "all"]


@pytest.fixture
def funder(web, signed_in):  # noqa: ANN001, ANN201 — fixtures of tests/web/conftest.py
    """Three Kraft participants (one exited, a name in a reason), and frida, a funder of Kraft."""
    ids = [web.enrol(ref) for ref in REFS]
    anna = web.as_user("anna")
    participants.set_attributes(anna, ids[0], {**KRAFT_ATTRIBUTES}, reason=f"uppgifter från {NAME}")
    participants.fire(anna, ids[1], "exit", {"reason": "work"})
    with web.ctx.uow() as uow:
        uow.users.add(User("frida", "Frida Finans", "coordination", frozenset({"funder"}), frozenset({"kraft"})),
                      web.clock.now())
        uow.commit()
    return signed_in("frida"), ids


def _no_participant_in(text: str) -> None:
    for secret in (*REFS, NAME, "Qvarnstr"):
        assert secret not in text


@pytest.mark.parametrize("kind", KINDS)
def test_every_report_page_and_download_holds_counts_only(funder, kind: str) -> None:  # noqa: ANN001
    client, _ = funder
    page = client.get("/reports", params={"workflow": "kraft", "kind": kind})
    assert page.status_code == 200, page.text[:300]
    _no_participant_in(page.text)
    for fmt in ("csv", "xlsx"):
        download = client.get("/reports/download", params={"workflow": "kraft", "kind": kind, "format": fmt})
        assert download.status_code == 200, download.text[:300]
        if fmt == "csv":
            _no_participant_in(download.text)
        else:
            book = load_workbook(io.BytesIO(download.content))
            cells = " ".join(str(c.value) for sheet in book.worksheets for row in sheet.iter_rows() for c in row)
            _no_participant_in(cells)
    api = client.get(f"/api/v1/reports/{kind}", params={"workflow": "kraft"},
                     headers={"X-CSRF-Token": "unused"})
    assert api.status_code in (200, 403), api.text[:300]
    _no_participant_in(api.text)


def test_a_funder_opens_no_participant_and_lists_none(funder) -> None:  # noqa: ANN001
    client, ids = funder
    for pid in ids:
        page = client.get(f"/participants/{pid}")
        assert page.status_code in (403, 404)
        _no_participant_in(page.text)
    for path in ("/today", "/board", "/api/v1/participants", "/api/v1/caseload", "/api/v1/deadlines"):
        response = client.get(path)
        assert response.status_code in (200, 403), (path, response.status_code)
        _no_participant_in(response.text)


def test_the_check_would_see_a_ref_where_one_is_shown(funder, signed_in) -> None:  # noqa: ANN001
    """The control: a coordinator's participant list does show the refs this file looks for."""
    listed = signed_in("cia").get("/api/v1/participants")
    assert listed.status_code == 200
    with pytest.raises(AssertionError):
        _no_participant_in(listed.text)
