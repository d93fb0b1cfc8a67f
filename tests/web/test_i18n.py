"""The interface text lives in one catalogue: every key a template or route asks for exists, and
every catalogue has the same keys (so another language can be added by adding one)."""

from __future__ import annotations

import re
from pathlib import Path

from pathway.web import i18n

WEB = Path(i18n.__file__).parent
KEY = re.compile(r"""\bt\(\s*["']([a-z_.]+)["']""")
TEXT = re.compile(r"""\btext\(\s*["']([a-z_.]+)["']""")


def test_every_key_used_is_in_the_catalogue():
    """Templates (t("…")) and Python (text("…")) only ask for keys the Swedish catalogue has."""
    used: set[str] = set()
    for template in (WEB / "templates").glob("*.html"):
        used |= set(KEY.findall(template.read_text(encoding="utf-8")))
    for module in WEB.glob("*.py"):
        used |= set(TEXT.findall(module.read_text(encoding="utf-8")))
    used = {k for k in used if not k.endswith(".")}  # prefixes joined with a value: participant.status. ~ status
    missing = sorted(used - set(i18n.SV))
    assert not missing, f"keys missing from the catalogue: {missing}"
    assert len(used) > 50


def test_catalogues_have_the_same_keys():
    """Every language's catalogue has exactly the Swedish keys."""
    for language, catalogue in i18n.CATALOGUES.items():
        assert set(catalogue) == set(i18n.SV), language


def test_text_fills_placeholders_and_refuses_unknown_keys():
    """text() fills {name} placeholders; an unknown key is a programming error, not a silent blank."""
    assert i18n.text("enrol.done", id=7) == "Deltagare 7 är inskriven."
    import pytest

    with pytest.raises(KeyError):
        i18n.text("no.such.key")
