"""The national follow-up export (Uppföljning Finsam) on SQLite and PostgreSQL, with hand-built participants."""

from __future__ import annotations

import shutil
from datetime import date, datetime, timezone
from pathlib import Path

import pytest

from pathway.clock import FixedClock
from pathway.errors import BadInput
from pathway.services import reporting
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, fire, set_attributes

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def kraft(workflows: Path) -> None:
    shutil.copy(REPO / "workflows" / "kraft.yaml", workflows / "kraft.yaml")


def at(clock: FixedClock, text: str) -> None:
    clock.set(datetime.fromisoformat(text).replace(tzinfo=timezone.utc))


def test_each_participant_in_national_codes(ctx: ServiceContext, clock: FixedClock) -> None:
    """Start, end, situation before/after and exit reason mapped; an anonymous participant marked; the
    period keeps enrolments overlapping it; no personal identity number anywhere."""
    at(clock, "2025-11-03T09:00")
    before, _ = enrol(ctx, "kraft", ref="LU-OLD", attributes={"referring_agency": "soc", "gender": "male",
                                                             "income_source": "salary"})
    fire(ctx, before, "exit", {"reason": "work", "income_source_at_exit": "salary"})
    at(clock, "2026-03-02T09:00")
    first, _ = enrol(ctx, "kraft", ref="LU-1", personnummer="19121212-1212",
                     attributes={"referring_agency": "soc", "income_source": "social_assistance"})
    set_attributes(ctx, first, {"income_source": "unemployment_insurance"})  # later: the start keeps the enrolment's
    anonymous, _ = enrol(ctx, "kraft", anonymous=True, attributes={"gender": "female"})
    at(clock, "2026-05-04T09:00")
    fire(ctx, first, "exit", {"reason": "to_af_able_to_work", "income_source_at_exit": "rehabilitation_benefit"})
    result = reporting.finsam(ctx, "kraft", date(2026, 1, 1), date(2026, 12, 31))
    assert result.intervention == "Kraft"
    rows = {r["participant_id"]: r for r in result.rows}
    assert set(rows) == {first, anonymous}  # the 2025 exit is outside the period
    assert {k: rows[first][k] for k in ("ref", "anonymous", "gender", "birth_year", "start", "end", "status",
                                        "situation_at_start", "situation_at_exit", "exit_reason",
                                        "own_exit_reason")} == {
        "ref": "LU-1", "anonymous": False, "gender": "male", "birth_year": 1912, "start": "2026-03-02",
        "end": "2026-05-04", "status": "exited", "situation_at_start": "social_assistance",
        "situation_at_exit": "sickness_benefit", "exit_reason": "job_seeker", "own_exit_reason": "to_af_able_to_work"}
    assert rows[first]["exit_reason_label"] == "Arbetssökande hos Arbetsförmedlingen"
    assert rows[anonymous] | {} == {**rows[anonymous], "anonymous": True, "ref": None, "birth_year": None,
                                    "gender": "female", "end": None, "exit_reason": None}
    assert "1212" not in str(result.to_json())
    assert len(reporting.finsam(ctx, "kraft").rows) == 3  # no period: everyone


def test_a_workflow_without_a_mapping_is_refused(ctx: ServiceContext) -> None:
    """No national_followup in the YAML: bad input naming the section and the docs."""
    with pytest.raises(BadInput, match="has no national_followup mapping"):
        reporting.finsam(ctx, "demo")
