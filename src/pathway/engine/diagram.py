"""Drawing a workflow as a diagram, with ``transitions``' own diagram support.

A separate :class:`~transitions.extensions.diagrams.GraphMachine` is built for every drawing (the
runtime machines in :class:`pathway.engine.MachineCache` are never touched). Its states carry the
Swedish step titles as labels, annotated with the step's stall limit (``· ≤ 4m``) and the deadline
rules that end on entering the step (``· regel first_meeting_within_14_days: ≤ 14d från application_date``); its transitions
carry the guards as conditions, which ``show_conditions`` prints as ``include [attributes_true &
attribute_in]``. ``graph_engine`` picks the backend: Mermaid (text, nothing to install) or Graphviz
(``dot`` source, and SVG through the ``dot`` program).

Choices, so the picture stays honest and readable:

* ``from: "*"`` transitions that move (``exit``) are drawn as one edge from every non-terminal step,
  exactly as the runtime machine adds them — a participant who leaves early from ``motivation``
  then has a real ``motivation → exited`` edge to highlight.
* Transitions without ``to`` (``leave_starts``) record without moving. From named steps they are
  drawn as ``transitions``' internal self-loops (``trigger [internal]``); from ``"*"`` they would put
  a loop on every step, so they are listed once in a note instead.
* The initial step gets the start marker (``[*] -->`` in Mermaid, a black dot in dot); terminal
  steps are grey with a double border, and in Mermaid also lead to ``[*]``.
* For a participant, ``transitions``' own styling is used: the current step is the model's state
  (style ``active``), and every step change in the history is marked with
  ``set_previous_transition`` (style ``previous`` on the steps left and, in dot, on the edges).
  Mermaid state diagrams cannot colour edges, so edges taken also carry ``✔ n`` — the n-th step
  change — in their label.
"""

from __future__ import annotations

import copy
import json
import shutil
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from transitions import State
from transitions.extensions import GraphMachine
from transitions.extensions import diagrams_graphviz, diagrams_mermaid

from pathway.definitions.models import ANY_STEP, Anchor, DeadlineRule, Step, Transition, Workflow
from pathway.errors import BadInput


class DiagramFormat(StrEnum):
    MERMAID = "mermaid"
    DOT = "dot"
    SVG = "svg"


class GraphvizMissing(BadInput):
    """``--format dot`` or ``svg`` without the Graphviz pieces it needs (exit 2)."""


#: One line naming what to install; ``%s`` is the format asked for.
_INSTALL = (
    "install the Python package (pip install graphviz) and the Graphviz system package with the "
    "'dot' program (e.g. apt-get install graphviz); --format mermaid needs nothing"
)


def graphviz_problem(fmt: DiagramFormat) -> str | None:
    """Why ``fmt`` cannot be drawn here, or None. dot source needs the package, SVG also ``dot``."""
    if fmt is DiagramFormat.MERMAID:
        return None
    if diagrams_graphviz.pgv is None:  # type: ignore[attr-defined]  # set when graphviz is missing
        return f"--format {fmt.value} needs Graphviz, but the Python package 'graphviz' is not installed: {_INSTALL}"
    if fmt is DiagramFormat.SVG and shutil.which("dot") is None:
        return f"--format svg needs Graphviz, but the 'dot' program is not on PATH: {_INSTALL}"
    return None


# -- the participant's path -------------------------------------------------------------------


class _HistoryEvent(Protocol):  # read-only, so frozen views (EventView) fit too
    @property
    def type(self) -> str: ...
    @property
    def from_step(self) -> str | None: ...
    @property
    def to_step(self) -> str | None: ...


@dataclass(frozen=True)
class Highlight:
    """What to highlight for a participant: the current step and the step changes, in order."""

    current: str
    moves: tuple[tuple[str, str], ...] = ()
    who: str = ""

    @classmethod
    def from_history(cls, current: str, events: Iterable[_HistoryEvent], who: str = "") -> Highlight:
        """Step changes are the ``transition`` events that have a destination (not e.g. leave_starts)."""
        moves = tuple(
            (e.from_step, e.to_step) for e in events
            if e.type == "transition" and e.from_step is not None and e.to_step is not None
        )
        return cls(current, moves, who)


# -- labels -----------------------------------------------------------------------------------


def _anchor_text(anchor: Anchor) -> str:
    if anchor.enrolled:
        return "inskrivning"
    if anchor.attribute:
        return anchor.attribute
    if anchor.entered:
        return f"inträde i {anchor.entered}"
    return f"trigger {anchor.trigger}"


def _rule_text(rule: DeadlineRule) -> str:
    return f"regel {rule.id}: ≤ {rule.within} från {_anchor_text(rule.start)}"


def state_annotations(definition: Workflow, step: Step) -> list[str]:
    """The lines under a step's title: its stall limit and the rules that end on entering it."""
    lines = []
    if step.limit is not None:
        lines.append(f"≤ {step.limit.within}")
    lines += [_rule_text(r) for r in definition.deadlines if r.target.entered == step.id]
    return lines


def _note_lines(definition: Workflow, highlight: Highlight | None) -> list[str]:
    """What has no place on a node or an edge: moveless ``*`` triggers, other rules, the legend."""
    lines = []
    everywhere = [t for t in definition.transitions if t.to is None and ANY_STEP in t.source]
    if everywhere:
        lines.append("Utan stegbyte, i varje öppet steg: " + ", ".join(_moveless(definition, t) for t in everywhere))
    for rule in definition.deadlines:
        if rule.target.entered is None:
            lines.append(f"{_rule_text(rule)} till {_anchor_text(rule.target)}")
    if highlight is not None:
        lines.append("Rött: nuvarande steg · blått: passerade steg · ✔ n: n:te stegbytet")
    return lines


def _moveless(definition: Workflow, transition: Transition) -> str:
    text = transition.trigger
    if transition.guards:
        text += " [" + " & ".join(g.name for g in transition.guards) + "]"
    if transition.trigger in definition.pauses.pause:
        text += " (pausar klockorna)"
    if transition.trigger in definition.pauses.resume:
        text += " (klockorna går igen)"
    return text


# -- transitions' GraphMachine, with labelled states and our styles ---------------------------


class _StepState(State):
    """A state with a ``label``, which MarkupMachine copies into the markup the graphs draw."""

    def __init__(self, name: str, label: str | None = None, **kwargs: Any) -> None:
        super().__init__(name, **kwargs)
        self.label = label


class _Drawing:
    """The model whose state is the participant's current step (never fired)."""


def _node_style(graph: Any, state: dict[str, Any]) -> str:
    return graph.custom_styles["node"][state["name"]] or ("terminal" if state.get("final") else "default")


def _edges(graph: Any, transitions: list[dict[str, Any]]) -> dict[str, dict[str, list[str]]]:
    """Transition labels grouped by (source, dest); internal transitions loop on their source."""
    grouped: dict[str, dict[str, list[str]]] = defaultdict(lambda: defaultdict(list))
    for transition in transitions:
        dest = transition.get("dest", transition["source"])
        grouped[transition["source"]][dest].append(graph._transition_label(transition))
    return grouped


def _path_mark(machine: Any, source: str, dest: str) -> str:
    numbers = machine.path_marks.get((source, dest))
    return f" · ✔ {', '.join(str(n) for n in numbers)}" if numbers else ""


class _MermaidGraph(diagrams_mermaid.Graph):
    def _convert_state_attributes(self, state: dict[str, Any]) -> str:
        return str(state.get("label", state["name"])).replace('"', "'")

    def _add_nodes(self, states: list[dict[str, Any]], container: list[str]) -> None:
        for state in states:
            container.append('state "{}" as {}'.format(self._convert_state_attributes(state), state["name"]))
            container.append("Class {} s_{}".format(state["name"], _node_style(self, state)))

    def _add_edges(self, transitions: list[dict[str, Any]], container: list[str]) -> None:
        for source, dests in _edges(self, transitions).items():
            for dest, labels in dests.items():
                label = " | ".join(labels) + _path_mark(self.machine, source, dest)
                container.append(f"{source} --> {dest}: {label}")
        for name in self.machine.terminal_steps:
            container.append(f"{name} --> [*]")

    def get_graph(self, title: str | None = None, roi_state: Any = None) -> diagrams_mermaid.DigraphMock:
        source = super().get_graph(title, roi_state).source
        notes = self.machine.notes
        if notes:
            lines = [f"  note right of {self.machine.initial}"] + [f"    {n}" for n in notes] + ["  end note"]
            source += "\n" + "\n".join(lines)
        return diagrams_mermaid.DigraphMock(source + "\n")


def _dot_text(text: str) -> str:
    return text.replace("\\", "\\\\")


def _style_attributes(machine: Any) -> Any:
    """The machine's style table (transitions types it as str-or-dict; here it is always nested dicts)."""
    return machine.style_attributes


class _DotGraph(diagrams_graphviz.Graph):
    def _convert_state_attributes(self, state: dict[str, Any]) -> str:
        return str(state.get("label", state["name"]))

    def _add_nodes(self, states: list[dict[str, Any]], container: Any) -> None:
        container.node("__start__", label="", shape="point", width="0.15", style="filled", fillcolor="black")
        for state in states:
            style = _node_style(self, state)  # "default" is the graph's node default already
            container.node(state["name"], label=self._convert_state_attributes(state),
                           **(_style_attributes(self.machine)["node"][style] if style != "default" else {}))
        if self.machine.notes:
            container.node("__notes__", label="\\l".join(_dot_text(n) for n in self.machine.notes) + "\\l",
                           shape="note", style="filled", fillcolor="lightyellow")

    def _add_edges(self, transitions: list[dict[str, Any]], container: Any) -> None:
        container.edge("__start__", self.machine.initial)
        for source, dests in _edges(self, transitions).items():
            for dest, labels in dests.items():
                style = self.custom_styles["edge"][source][dest]  # type: ignore[index]
                label = "\\n".join(_dot_text(x) for x in labels) + _path_mark(self.machine, source, dest)
                container.edge(source, dest, label=label,
                               **_style_attributes(self.machine)["edge"].get(style, {}))


def _styles(fmt: DiagramFormat) -> dict[str, dict[str, dict[str, str]]]:
    styles: Any = copy.deepcopy(GraphMachine.style_attributes)
    if fmt is DiagramFormat.MERMAID:  # classDef properties (transitions maps fillcolor → fill)
        styles["node"] = {
            "default": {"fill": "white", "stroke": "black"},
            "terminal": {"fill": "lightgrey", "stroke": "black", "stroke-width": "3px"},
            "active": {"fill": "darksalmon", "stroke": "red", "stroke-width": "3px"},
            "previous": {"fill": "azure", "stroke": "blue"},
        }
    else:
        styles["node"]["terminal"] = {"fillcolor": "lightgrey", "color": "black", "peripheries": "2"}
        styles["node"]["active"] = {"color": "red", "fillcolor": "darksalmon", "peripheries": "2", "penwidth": "2"}
        styles["edge"]["previous"] = {"color": "blue", "fontcolor": "blue", "penwidth": "2"}
    return styles  # type: ignore[no-any-return]


class _DiagramMachine(GraphMachine):
    """GraphMachine drawing with our graph classes; never fired, so guards stay plain names."""

    state_cls = _StepState

    def __init__(self, graph_cls: type, styles: dict[str, Any], notes: Sequence[str],
                 terminal_steps: Sequence[str], path_marks: dict[tuple[str, str], list[int]],
                 **kwargs: Any) -> None:
        self._graph_cls = graph_cls
        self.style_attributes = styles
        # a pathway reads top to bottom; long Swedish titles make left-to-right very wide
        self.machine_attributes = {**GraphMachine.machine_attributes, "rankdir": "TB"}
        self.notes = list(notes)
        self.terminal_steps = list(terminal_steps)
        self.path_marks = path_marks
        super().__init__(**kwargs)

    def _init_graphviz_engine(self, graph_engine: str) -> type:
        return self._graph_cls


@dataclass
class Diagram:
    """A built drawing: the GraphMachine, its model, and the graph title."""

    machine: Any
    model: Any
    title: str
    fmt: DiagramFormat
    marks: dict[tuple[str, str], list[int]] = field(default_factory=dict)


def build(definition: Workflow, fmt: DiagramFormat, version: int | None = None,
          highlight: Highlight | None = None) -> Diagram:
    """A GraphMachine for ``definition`` (raises :class:`GraphvizMissing` if ``fmt`` cannot be drawn)."""
    problem = graphviz_problem(fmt)
    if problem:
        raise GraphvizMissing(problem)
    if highlight is not None and highlight.current not in definition.step_ids:
        raise BadInput(f"step '{highlight.current}' is not in workflow '{definition.id}'")
    title = f"{definition.title} ({definition.id} v{version or definition.version})"
    if highlight is not None:
        title += f" — {highlight.who or 'deltagare'} i {highlight.current}"
    separator = " · " if fmt is DiagramFormat.MERMAID else "\\n"
    states = [
        {"name": s.id, "final": s.terminal,
         "label": separator.join([s.title if fmt is DiagramFormat.MERMAID else _dot_text(s.title),
                                  *(a if fmt is DiagramFormat.MERMAID else _dot_text(a)
                                    for a in state_annotations(definition, s))])}
        for s in definition.steps
    ]
    marks: dict[tuple[str, str], list[int]] = defaultdict(list)
    for number, move in enumerate(highlight.moves if highlight else (), start=1):
        marks[move].append(number)
    machine = _DiagramMachine(
        graph_cls=_MermaidGraph if fmt is DiagramFormat.MERMAID else _DotGraph,
        styles=_styles(fmt),
        notes=_note_lines(definition, highlight),
        terminal_steps=[s.id for s in definition.steps if s.terminal],
        path_marks=dict(marks),
        model=None, states=states, initial=definition.initial_step.id, auto_transitions=False,
        title=title, show_conditions=True,
        graph_engine="mermaid" if fmt is DiagramFormat.MERMAID else "graphviz",
    )
    for transition in definition.transitions:
        if transition.to is None and ANY_STEP in transition.source:
            continue  # listed in the note, not looped on every step
        machine.add_transition(
            transition.trigger, source=definition.sources_of(transition), dest=transition.to,  # type: ignore[arg-type]
            conditions=[g.name for g in transition.guards] or None,
        )
    model = _Drawing()
    # add_model sets the model's state (the participant's step) and styles it "active"
    machine.add_model(model, initial=highlight.current if highlight else definition.initial_step.id)
    graph = machine.model_graphs[id(model)]
    if highlight is None:
        graph.reset_styling()
    else:
        for source, dest in highlight.moves:
            graph.set_previous_transition(source, dest)
        graph.set_node_style(highlight.current, "active")
    return Diagram(machine, model, title, fmt, dict(marks))


def render(definition: Workflow, fmt: DiagramFormat, version: int | None = None,
           highlight: Highlight | None = None) -> str | bytes:
    """The diagram as Mermaid or dot text, or SVG bytes."""
    diagram = build(definition, fmt, version, highlight)
    graph = diagram.model.get_graph(title=_mermaid_title(diagram.title) if fmt is DiagramFormat.MERMAID
                                    else diagram.title)
    if fmt is DiagramFormat.SVG:
        try:
            return graph.draw(None, format="svg", prog="dot")  # type: ignore[no-any-return]
        except diagrams_graphviz.pgv.ExecutableNotFound:  # type: ignore[attr-defined]
            raise GraphvizMissing(f"--format svg needs Graphviz, but the 'dot' program could not be run: {_INSTALL}") from None
    return graph.source  # type: ignore[no-any-return]


def _mermaid_title(title: str) -> str:
    """transitions writes the title between ``---`` lines: make it Mermaid's front-matter key."""
    return "title: " + json.dumps(title, ensure_ascii=False)
