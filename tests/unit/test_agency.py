"""One agency code list (pathway.domain.agency): every guard, record, user and help text takes it."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import ValidationError

from pathway.domain.agency import AGENCIES, Agency
from pathway.services.secrecy import AGENCY_NAMES
from pathway.steps.guards import GUARDS

SRC = Path(__file__).resolve().parents[2] / "src" / "pathway"


def test_the_consent_guard_takes_exactly_the_agency_code_list() -> None:
    """consent_in_force accepts every agency of the code list and refuses anything else, naming the list."""
    model = GUARDS["consent_in_force"].args_model
    assert model.model_validate({"agencies": list(AGENCIES)}).agencies == list(Agency)
    with pytest.raises(ValidationError) as refused:
        model.model_validate({"agencies": ["region"]})
    assert all(code in str(refused.value) for code in AGENCIES)


def test_every_agency_has_a_name_for_the_withheld_note() -> None:
    """Secrecy's 'recorded by …' note names every agency of the code list."""
    assert set(AGENCIES) <= set(AGENCY_NAMES)


def test_no_module_spells_out_its_own_agency_list() -> None:
    """Three or more agency codes in a row (a tuple, a Literal, a help text) appear only in domain/agency.py
    (a help text's ``Example:`` line shows what a user types, and may)."""
    codes = "|".join(AGENCIES)
    run = re.compile(rf"""["']?\b({codes})\b["']?(\s*(,|\bor\b|\|)\s*["']?\b({codes})\b["']?){{2,}}""")
    offenders = [f"{path.relative_to(SRC)}:{n}" for path in sorted(SRC.rglob("*.py")) if path.name != "agency.py"
                 for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
                 if run.search(line) and not line.lstrip().startswith(("#", "Example:"))]
    assert not offenders, "use pathway.domain.agency.AGENCIES instead of a list of your own: " + ", ".join(offenders)
