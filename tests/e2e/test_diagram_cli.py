"""``pathway workflow diagram`` run as a subprocess, exactly as a user runs it."""

from __future__ import annotations

import shutil

import pytest

from tests.e2e.conftest import REPO, Cli

try:
    import graphviz  # noqa: F401

    HAS_DOT = shutil.which("dot") is not None
except ImportError:
    HAS_DOT = False


@pytest.mark.fresh_database  # checks that no database file is created
def test_mermaid_of_a_shipped_workflow_to_stdout(shipped_cli: Cli) -> None:
    """The Mermaid text names every step title, the guarded triggers and the stall limits."""
    result = shipped_cli("workflow", "diagram", "kraft")
    assert result.code == 0, result.stderr
    out = result.stdout
    assert out.startswith("---\ntitle: ") and "stateDiagram-v2" in out
    assert 'state "Motivationsfas (grupp) · ≤ 4m" as motivation' in out
    assert "inclusion_check --> motivation: include [attributes_true & attribute_in]" in out
    assert "[*] --> referral" in out and "exited --> [*]" in out
    assert "leave_starts" in out and "leave_ends" in out
    assert not (shipped_cli.home / "pathway.db").exists() and not shipped_cli.db_path.exists()


def test_mermaid_of_a_file_written_to_output(cli: Cli) -> None:
    target = cli.home / "small.mmd"
    result = cli("workflow", "diagram", str(cli.workflows / "small.yaml"), "--output", str(target))
    assert result.code == 0, result.stderr
    assert result.stdout == ""
    text = target.read_text(encoding="utf-8")
    assert 'state "Kartläggning · ≤ 14d" as mapping' in text
    assert "referral --> mapping: accept [attributes_true]" in text


def test_unknown_workflow_is_one_line_exit_2(shipped_cli: Cli) -> None:
    result = shipped_cli("workflow", "diagram", "nope")
    assert result.code == 2
    assert result.stdout == ""
    assert result.stderr == "error: unknown workflow 'nope'; known workflows: flen_tripartite, kraft, ljusnarsberg_rehab, orebro_sprak, utrikesfodda\n"
    assert "Traceback" not in result.stderr


def test_participant_path_is_highlighted(shipped_cli: Cli) -> None:
    enrol = shipped_cli("participant", "enrol", "flen_tripartite", "--ref", "FL-1",
                        "--attr", "application_date=2026-03-01")
    assert enrol.code == 0, enrol.stderr
    assert shipped_cli("consent", "give", "FL-1", "--agencies", "soc,af,labour_unit").code == 0
    assert shipped_cli("meeting", "record", "FL-1", "--type", "first_meeting", "--attendee", "soc:kim",
                       "--attendee", "af:anna", "--attendee", "labour_unit:ali", "--consent-confirmed").code == 0
    assert shipped_cli("participant", "fire", "FL-1", "hold_first_meeting").code == 0
    result = shipped_cli("workflow", "diagram", "--participant", "FL-1")
    assert result.code == 0, result.stderr
    assert "Class first_meeting s_active" in result.stdout
    assert "Class application s_previous" in result.stdout
    assert "application --> first_meeting: hold_first_meeting [attributes_recorded & consent_confirmed_today & consent_in_force] · ✔ 1" in result.stdout


@pytest.mark.skipif(not HAS_DOT, reason="Graphviz is not installed (pip install graphviz; apt-get install graphviz)")
def test_svg_written_with_graphviz(shipped_cli: Cli) -> None:
    target = shipped_cli.home / "flen.svg"
    result = shipped_cli("workflow", "diagram", str(REPO / "workflows" / "flen_tripartite.yaml"),
                         "--format", "svg", "--output", str(target))
    assert result.code == 0, result.stderr
    svg = target.read_text(encoding="utf-8")
    assert "<svg" in svg and "Individuell handlingsplan" in svg
