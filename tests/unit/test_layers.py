"""The import rules of DESIGN.md's layers, read from the source (every import, module level or not)."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parents[2] / "src" / "pathway"

#: (room, rooms it must never import, why)
RULES = [
    ("reports", {"services", "cli", "web", "bootstrap"},
     "reports/ holds pure queries and rendering; the use cases that check the policy live in services/"),
    ("domain", {"definitions", "engine", "steps", "store", "services", "reports", "cli", "web", "bootstrap"},
     "domain/ is plain classes and imports nothing of the rest"),
    ("definitions", {"store", "services", "cli", "web", "bootstrap"}, "definitions/ and store/ never import each other"),
    ("store", {"definitions", "services", "reports", "cli", "web", "bootstrap"},
     "definitions/ and store/ never import each other; the store serves the use cases"),
    ("engine", {"store", "services", "reports", "cli", "web", "bootstrap"}, "the engine decides; it neither stores nor serves"),
    ("services", {"cli", "web", "bootstrap"}, "use cases know no entry point; entry points call them"),
    ("web", {"cli"}, "nothing imports cli/"),
]


def _imports(path: Path) -> set[str]:
    """Every absolute ``pathway.*`` module a file imports (``from pathway import x`` counts as ``pathway.x``)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module)
            if node.module == "pathway":
                found.update(f"pathway.{alias.name}" for alias in node.names)
    return {name for name in found if name.startswith("pathway.")}


def _room(name: str) -> str:
    return name.split(".")[1]


def _modules(room: str) -> list[Path]:
    folder = SRC / room
    return sorted(p for p in folder.rglob("*.py") if "migrations" not in p.parts)


@pytest.mark.parametrize(("room", "forbidden", "why"), RULES, ids=[r[0] for r in RULES])
def test_a_layer_imports_only_what_its_room_may(room: str, forbidden: set[str], why: str) -> None:
    """No module of a layer imports a layer it must not (listing every offender at once)."""
    offenders = [f"{path.relative_to(SRC.parent)} imports {name}"
                 for path in _modules(room) for name in sorted(_imports(path)) if _room(name) in forbidden]
    assert not offenders, f"{why}:\n" + "\n".join(offenders)


def test_the_rule_sees_an_import_inside_a_function(tmp_path: Path) -> None:
    """A deferred import (inside a function) is found as well as a module-level one."""
    sample = tmp_path / "sample.py"
    sample.write_text("def f():\n    from pathway.services import policy\n    import pathway.cli.app\n", encoding="utf-8")
    assert _imports(sample) == {"pathway.services", "pathway.cli.app"}


def test_every_room_named_in_a_rule_exists() -> None:
    """A renamed folder cannot make a rule pass vacuously."""
    assert all(_modules(room) for room, _, _ in RULES)
