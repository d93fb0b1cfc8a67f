"""The README's YAML reference example is a valid workflow (docs that drift are bugs)."""

from __future__ import annotations

import re
from pathlib import Path

from pathway.definitions import validate_text

README = Path(__file__).resolve().parents[2] / "README.md"


def test_readme_yaml_reference_example_validates() -> None:
    """The annotated example under 'Writing a pathway' loads with no problems."""
    blocks = re.findall(r"```yaml\n(.*?)```", README.read_text(encoding="utf-8"), flags=re.S)
    example = next(b for b in blocks if b.startswith("id: small"))
    report = validate_text(example, "README.md")
    assert report.problems == []
