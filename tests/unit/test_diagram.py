"""Diagrams of workflows drawn with transitions' GraphMachine (pathway.engine.diagram, cli.diagram)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import SimpleNamespace

import pytest
import typer
from typer.testing import CliRunner
from transitions.extensions import diagrams_graphviz

from pathway.cli.diagram import register
from pathway.cli.state import CliState
from pathway.definitions import load_file, load_text
from pathway.definitions.models import Workflow
from pathway.engine import diagram
from pathway.engine.diagram import DiagramFormat, GraphvizMissing, Highlight, render
from pathway.errors import PathwayError

REPO = Path(__file__).resolve().parents[2]
SHIPPED = {name: load_file(REPO / "workflows" / f"{name}.yaml").definition for name in ("kraft", "flen_tripartite")}

HAS_GRAPHVIZ_PACKAGE = diagrams_graphviz.pgv is not None
HAS_DOT = HAS_GRAPHVIZ_PACKAGE and shutil.which("dot") is not None
needs_graphviz = pytest.mark.skipif(not HAS_GRAPHVIZ_PACKAGE, reason="the graphviz Python package is not installed (pip install graphviz)")
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz is not installed (pip install graphviz; apt-get install graphviz)")

SMALL = """\
id: small
version: 3
title: Liten "testväg"
roles: [{id: coach, title: Coach}]
attributes:
  ready: {type: boolean}
  start_date: {type: date}
steps:
  - {id: start, title: Start, kind: referral, owner: coach, initial: true}
  - {id: plan, title: Plan, kind: plan, owner: coach, limit: {within: 10wd}}
  - {id: done, title: Klar, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: go, from: start, to: plan, guards: [{name: attributes_true, args: {attributes: [ready]}}]}
  - {trigger: note_call, from: plan}
  - {trigger: finish, from: "*", to: done}
deadlines:
  - id: planned_in_time
    title: Plan inom 30 dagar
    start: {attribute: start_date}
    target: {trigger: go}
    within: 30d
"""


def mermaid(definition: Workflow, highlight: Highlight | None = None) -> str:
    text = render(definition, DiagramFormat.MERMAID, highlight=highlight)
    assert isinstance(text, str)
    return text


def state_line(text: str, step: str) -> str:
    return next(line.strip() for line in text.splitlines() if line.strip().endswith(f" as {step}"))


def edge_lines(text: str, source: str, dest: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip().startswith(f"{source} --> {dest}: ")]


def style_of(text: str, step: str) -> str:
    match = re.search(rf"^\s*Class {step} s_(\w+)$", text, re.MULTILINE)
    assert match, f"no class line for {step}"
    return match.group(1)


# -- Mermaid: the shipped workflows -------------------------------------------------------------


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_mermaid_has_every_step_title_and_every_trigger(name: str) -> None:
    definition = SHIPPED[name]
    text = mermaid(definition)
    assert text.startswith("---\ntitle: ") and "stateDiagram-v2" in text
    for step in definition.steps:
        assert f'state "{step.title}' in text, step.id
    for transition in definition.transitions:
        assert re.search(rf"\b{transition.trigger}\b", text), transition.trigger


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_guarded_edges_show_their_guards_as_conditions(name: str) -> None:
    definition = SHIPPED[name]
    text = mermaid(definition)
    guarded = [t for t in definition.transitions if t.guards and t.to is not None]
    assert guarded
    for transition in guarded:
        conditions = f"{transition.trigger} [{' & '.join(g.name for g in transition.guards)}]"
        for source in definition.sources_of(transition):
            assert any(conditions in line for line in edge_lines(text, source, transition.to)), conditions


def test_kraft_include_edge_lists_both_guards() -> None:
    text = mermaid(SHIPPED["kraft"])
    assert edge_lines(text, "inclusion_check", "motivation") == [
        "inclusion_check --> motivation: include [attributes_true & attribute_in]"
    ]
    assert edge_lines(text, "motivation", "activation") == ["motivation --> activation: activate"]


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_stall_limits_are_on_the_state_labels(name: str) -> None:
    definition = SHIPPED[name]
    text = mermaid(definition)
    for step in definition.steps:
        label = state_line(text, step.id)
        if step.limit:
            assert f'"{step.title} · ≤ {step.limit.within}' in label
        else:
            assert "≤" not in label


def test_kraft_motivation_label_reads_as_in_the_brief() -> None:
    assert state_line(mermaid(SHIPPED["kraft"]), "motivation") == 'state "Motivationsfas (grupp) · ≤ 4m" as motivation'


def test_deadline_rules_are_annotated_on_the_step_they_end_in() -> None:
    flen = mermaid(SHIPPED["flen_tripartite"])
    assert "regel first_meeting_within_14_days: ≤ 14d från application_date" in state_line(flen, "first_meeting")
    kraft = mermaid(SHIPPED["kraft"])
    assert "regel handover_within_year: ≤ 12m från inskrivning" in state_line(kraft, "handover")


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_initial_and_terminal_steps_are_distinguishable(name: str) -> None:
    definition = SHIPPED[name]
    text = mermaid(definition)
    assert f"[*] --> {definition.initial_step.id}" in text
    for step in definition.steps:
        if step.terminal:
            assert f"{step.id} --> [*]" in text
            assert style_of(text, step.id) == "terminal"
        else:
            assert style_of(text, step.id) == "default"  # nothing highlighted without a participant
    assert "classDef s_terminal" in text


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_any_step_exit_is_an_edge_from_every_open_step(name: str) -> None:
    definition = SHIPPED[name]
    text = mermaid(definition)
    for step in definition.steps:
        lines = edge_lines(text, step.id, "exited")
        if step.terminal:
            assert not lines
        else:
            assert len(lines) == 1 and re.search(r"\bexit\b", lines[0]), step.id


@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_moveless_any_step_triggers_are_listed_in_a_note_not_looped(name: str) -> None:
    text = mermaid(SHIPPED[name])
    note = text[text.index("note right of"):text.index("end note")]
    assert "leave_starts (pausar klockorna)" in note and "leave_ends (klockorna går igen)" in note
    assert not any("leave_" in line for line in text.splitlines() if "-->" in line)


# -- Mermaid: a participant's path --------------------------------------------------------------


def test_participant_current_step_is_active_and_its_path_previous() -> None:
    moves = (("referral", "inclusion_check"), ("inclusion_check", "motivation"))
    text = mermaid(SHIPPED["kraft"], Highlight("motivation", moves, "deltagare 7 (LU-7)"))
    assert style_of(text, "motivation") == "active"
    assert style_of(text, "referral") == "previous" and style_of(text, "inclusion_check") == "previous"
    assert style_of(text, "activation") == "default" and style_of(text, "exited") == "terminal"
    assert edge_lines(text, "referral", "inclusion_check") == ["referral --> inclusion_check: assess [attribute_in] · ✔ 1"]
    assert edge_lines(text, "inclusion_check", "motivation")[0].endswith("· ✔ 2")
    assert "✔" not in "".join(edge_lines(text, "motivation", "activation"))
    assert "deltagare 7 (LU-7) i motivation" in text.splitlines()[1]
    assert "Rött: nuvarande steg" in text


def test_participant_repeated_loop_and_exit_are_numbered() -> None:
    moves = (("application", "first_meeting"), ("first_meeting", "action_plan"), ("action_plan", "follow_up"),
             ("follow_up", "follow_up"), ("follow_up", "follow_up"), ("follow_up", "exited"))
    text = mermaid(SHIPPED["flen_tripartite"], Highlight("exited", moves))
    assert style_of(text, "exited") == "active"
    assert style_of(text, "follow_up") == "previous"
    assert edge_lines(text, "follow_up", "follow_up") == ["follow_up --> follow_up: follow_up [consent_confirmed_today & consent_in_force] · ✔ 4, 5"]
    assert edge_lines(text, "follow_up", "exited") == ["follow_up --> exited: conclude | exit · ✔ 6"]


def test_highlight_from_history_keeps_only_step_changes() -> None:
    events = [
        SimpleNamespace(type="enrolled", from_step=None, to_step="referral"),
        SimpleNamespace(type="transition", from_step="referral", to_step="inclusion_check"),
        SimpleNamespace(type="attributes_set", from_step="inclusion_check", to_step="inclusion_check"),
        SimpleNamespace(type="transition", from_step="inclusion_check", to_step=None),  # leave_starts
        SimpleNamespace(type="reminder", from_step="inclusion_check", to_step="inclusion_check"),
        SimpleNamespace(type="transition", from_step="inclusion_check", to_step="motivation"),
    ]
    highlight = Highlight.from_history("motivation", events, "deltagare 1")
    assert highlight.moves == (("referral", "inclusion_check"), ("inclusion_check", "motivation"))


def test_unknown_current_step_is_bad_input() -> None:
    with pytest.raises(PathwayError, match="step 'nowhere' is not in workflow 'kraft'"):
        render(SHIPPED["kraft"], DiagramFormat.MERMAID, highlight=Highlight("nowhere"))


# -- Mermaid: the other choices on a small workflow ---------------------------------------------


def test_moveless_trigger_from_named_steps_is_an_internal_self_loop() -> None:
    text = mermaid(load_text(SMALL, "small.yaml").definition)
    assert edge_lines(text, "plan", "plan") == ["plan --> plan: note_call [internal]"]


def test_rule_ending_on_a_trigger_goes_into_the_note_and_quotes_are_safe() -> None:
    text = mermaid(load_text(SMALL, "small.yaml").definition)
    assert "regel planned_in_time: ≤ 30d från start_date till trigger go" in text
    assert text.splitlines()[1] == "title: \"Liten \\\"testväg\\\" (small v3)\""
    assert 'state "Plan · ≤ 10wd" as plan' in text
    assert edge_lines(text, "start", "plan") == ["start --> plan: go [attributes_true]"]


def test_drawing_does_not_touch_the_runtime_machine_cache() -> None:
    from pathway.engine import MachineCache

    cache = MachineCache()
    machine = cache.get(SHIPPED["kraft"], 1)
    before = {name: len(event.transitions) for name, event in machine.machine.events.items()}
    first = mermaid(SHIPPED["kraft"], Highlight("motivation", (("referral", "inclusion_check"),)))
    assert mermaid(SHIPPED["kraft"], Highlight("motivation", (("referral", "inclusion_check"),))) == first
    assert len(cache) == 1 and machine.machine.models == []
    assert {name: len(event.transitions) for name, event in machine.machine.events.items()} == before


# -- Graphviz: missing, and for real ------------------------------------------------------------


@pytest.mark.parametrize("fmt", [DiagramFormat.DOT, DiagramFormat.SVG])
def test_missing_graphviz_package_says_what_to_install(monkeypatch: pytest.MonkeyPatch, fmt: DiagramFormat) -> None:
    monkeypatch.setattr(diagrams_graphviz, "pgv", None)
    with pytest.raises(GraphvizMissing) as raised:
        render(SHIPPED["kraft"], fmt)
    message = raised.value.message
    assert raised.value.exit_code == 2 and "\n" not in message
    assert f"--format {fmt.value} needs Graphviz" in message
    assert "pip install graphviz" in message and "apt-get install graphviz" in message
    assert "--format mermaid needs nothing" in message


def test_missing_dot_program_refuses_svg_only(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    with pytest.raises(GraphvizMissing, match="'dot' program is not on PATH.*apt-get install graphviz"):
        render(SHIPPED["kraft"], DiagramFormat.SVG)
    assert diagram.graphviz_problem(DiagramFormat.MERMAID) is None
    if HAS_GRAPHVIZ_PACKAGE:  # dot source needs only the Python package
        assert diagram.graphviz_problem(DiagramFormat.DOT) is None


def test_mermaid_needs_no_graphviz(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diagrams_graphviz, "pgv", None)
    monkeypatch.setattr(diagram.shutil, "which", lambda name: None)
    assert "stateDiagram-v2" in mermaid(SHIPPED["kraft"])


@needs_graphviz
@pytest.mark.parametrize("name", sorted(SHIPPED))
def test_dot_source_has_titles_guards_limits_and_markers(name: str) -> None:
    definition = SHIPPED[name]
    text = render(definition, DiagramFormat.DOT)
    assert isinstance(text, str) and text.startswith("digraph ")
    for step in definition.steps:
        assert step.title in text
    for transition in definition.transitions:
        assert re.search(rf"\b{transition.trigger}\b", text)
    assert "__start__ -> " + definition.initial_step.id in text
    assert re.search(r"exited \[label=(\"[^\"]+\"|\S+) color=black fillcolor=lightgrey peripheries=2\]", text)
    if name == "kraft":
        assert 'motivation [label="Motivationsfas (grupp)\\n≤ 4m"]' in text
        assert 'inclusion_check -> motivation [label="include [attributes_true & attribute_in]"]' in text


@needs_graphviz
def test_dot_highlights_the_path_with_transitions_previous_style() -> None:
    moves = (("referral", "inclusion_check"), ("inclusion_check", "motivation"))
    text = render(SHIPPED["kraft"], DiagramFormat.DOT, highlight=Highlight("motivation", moves))
    assert isinstance(text, str)
    assert re.search(r"motivation \[label=[^\]]*color=red fillcolor=darksalmon", text)
    assert re.search(r"referral \[label=[^\]]*color=blue fillcolor=azure", text)
    assert 'referral -> inclusion_check [label="assess [attribute_in] · ✔ 1" color=blue' in text
    assert "motivation -> activation [label=activate]" in text


@needs_dot
def test_svg_is_rendered_by_graphviz() -> None:
    svg = render(SHIPPED["flen_tripartite"], DiagramFormat.SVG, highlight=Highlight("action_plan", (
        ("application", "first_meeting"), ("first_meeting", "action_plan"))))
    assert isinstance(svg, bytes)
    text = svg.decode("utf-8")
    assert "<svg" in text and "</svg>" in text
    assert "Individuell handlingsplan" in text and "hold_first_meeting [attributes_recorded &amp; consent_confirmed_today &amp; consent_in_force]" in text


# -- the command, in a tiny Typer app (as cli/app.py wires it) -----------------------------------


def run(tmp_path: Path, *args: str) -> tuple[int, str, str]:
    """Run ``workflow diagram`` in-process; PathwayErrors become (exit code, one-line message)."""
    root = typer.Typer()
    workflow_app = typer.Typer()
    register(workflow_app)

    @root.callback()
    def _options(ctx: typer.Context) -> None:
        ctx.obj = CliState({"workflows": REPO / "workflows", "database_url": f"sqlite:///{tmp_path / 'p.db'}"})

    root.add_typer(workflow_app, name="workflow")
    result = CliRunner().invoke(root, ["workflow", *args])
    if isinstance(result.exception, PathwayError):
        return result.exception.exit_code, result.stdout, result.exception.message
    assert result.exception is None or isinstance(result.exception, SystemExit), result.exception
    return result.exit_code, result.stdout, ""


def test_register_adds_the_diagram_command_with_an_example(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, "diagram", "--help")
    assert code == 0 and "Example: pathway workflow diagram" in out and "mermaid" in out


def test_command_prints_mermaid_for_an_id_and_for_a_file(tmp_path: Path) -> None:
    code, out, _ = run(tmp_path, "diagram", "kraft")
    assert code == 0 and out == mermaid(SHIPPED["kraft"])
    code, out, _ = run(tmp_path, "diagram", str(REPO / "workflows" / "flen_tripartite.yaml"))
    assert code == 0 and out == mermaid(SHIPPED["flen_tripartite"])
    assert not (tmp_path / "p.db").exists()  # drawing a workflow needs no database


def test_command_writes_output_file(tmp_path: Path) -> None:
    target = tmp_path / "kraft.mmd"
    code, out, _ = run(tmp_path, "diagram", "kraft", "--output", str(target))
    assert code == 0 and out == ""
    assert target.read_text(encoding="utf-8") == mermaid(SHIPPED["kraft"])


def test_command_unknown_id_and_invalid_file_are_bad_input(tmp_path: Path) -> None:
    code, _, message = run(tmp_path, "diagram", "nope")
    assert code == 2 and message == "unknown workflow 'nope'; known workflows: flen_tripartite, kraft, ljusnarsberg_rehab, orebro_sprak, utrikesfodda"
    broken = tmp_path / "broken.yaml"
    broken.write_text(SMALL.replace("kind: plan", "kind: plan\n    colour: red"), encoding="utf-8")
    code, _, message = run(tmp_path, "diagram", str(broken))
    assert code == 2 and re.match(rf"{re.escape(str(broken))}:\d+:\d+: error", message)
    code, _, message = run(tmp_path, "diagram")
    assert code == 2 and "--participant" in message


def test_command_missing_graphviz_is_one_line_exit_2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(diagrams_graphviz, "pgv", None)
    code, out, message = run(tmp_path, "diagram", "kraft", "--format", "svg", "--output", str(tmp_path / "k.svg"))
    assert code == 2 and out == "" and "\n" not in message
    assert "pip install graphviz" in message and "--format mermaid needs nothing" in message
    assert not (tmp_path / "k.svg").exists()


@needs_dot
def test_command_writes_svg(tmp_path: Path) -> None:
    code, _, _ = run(tmp_path, "diagram", "kraft", "-f", "svg", "-o", str(tmp_path / "k.svg"))
    assert code == 0 and (tmp_path / "k.svg").read_bytes().lstrip().startswith(b"<?xml")


def test_command_participant_draws_pinned_version_and_path(tmp_path: Path) -> None:
    from pathway.bootstrap import bootstrap
    from pathway.config import Settings
    from pathway.services import meetings, participants, records

    services = bootstrap(Settings(workflows=REPO / "workflows", database_url=f"sqlite:///{tmp_path / 'p.db'}",
                                  now="2026-03-02T09:00", actor="test"))
    pid, _ = participants.enrol(services, "flen_tripartite", ref="FL-1", attributes={"application_date": "2026-03-01"})
    records.give_consent(services, pid, ["soc", "af", "labour_unit"])  # every Flen meeting opens with consent
    meetings.record_meeting(services, pid, "first_meeting", ["soc:kim", "af:anna", "labour_unit:ali"],
                            consent_confirmed=True)
    participants.fire(services, pid, "hold_first_meeting")
    participants.fire(services, pid, "leave_starts", {"leave_type": "sick_leave"})
    participants.fire(services, pid, "write_plan")
    code, out, _ = run(tmp_path, "diagram", "--participant", "FL-1")
    assert code == 0
    assert f"deltagare {pid} (FL-1) i action_plan" in out.splitlines()[1]
    assert style_of(out, "action_plan") == "active" and style_of(out, "first_meeting") == "previous"
    assert edge_lines(out, "first_meeting", "action_plan") == ["first_meeting --> action_plan: write_plan · ✔ 2"]
    code, out2, _ = run(tmp_path, "diagram", "flen_tripartite", "-p", str(pid))
    assert code == 0 and out2 == out
    code, _, message = run(tmp_path, "diagram", "kraft", "-p", "FL-1")
    assert code == 2 and message.startswith("participant 'FL-1' is on workflow 'flen_tripartite', not 'kraft'")
