"""``pathway workflow diagram``: draw a pathway (Mermaid, dot or SVG), optionally a participant's path.

Wired into ``pathway workflow`` with ``register(workflow.app)``.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Annotated

import typer

from pathway.cli.state import state
from pathway.definitions import load_file
from pathway.definitions.models import Workflow
from pathway.engine.diagram import DiagramFormat, GraphvizMissing, Highlight, graphviz_problem, render
from pathway.errors import BadInput


def _looks_like_file(target: str) -> bool:
    """A path (has a folder or a .yaml/.yml suffix) rather than a workflow id."""
    from pathway.services.catalog import WORKFLOW_SUFFIXES  # not at import: it loads the store

    return target.endswith(WORKFLOW_SUFFIXES) or "/" in target or "\\" in target


def _definition(ctx: typer.Context, target: str) -> Workflow:
    if _looks_like_file(target):
        return load_file(target).definition
    from pathway.clock import make_clock  # the catalog only: drawing needs no database
    from pathway.services.catalog import WorkflowCatalog

    settings = state(ctx).settings
    return WorkflowCatalog(settings.workflows, make_clock(settings)).load_current(target).definition


def _participant(ctx: typer.Context, participant: str, target: str | None) -> tuple[Workflow, int, Highlight]:
    """The version the participant is pinned to, and its current step and step changes."""
    from pathway.services import participants

    services = state(ctx).services()
    path = participants.path_taken(services, participant)
    if target is not None:
        named = _definition(ctx, target).id if _looks_like_file(target) else target
        if named != path.workflow:
            raise BadInput(
                f"participant '{participant}' is on workflow '{path.workflow}', not '{named}'; "
                f"give {path.workflow} or leave the workflow out"
            )
    with services.uow() as uow:
        definition = services.catalog.pinned(uow, path.workflow, path.workflow_version).definition
    who = f"deltagare {path.id}" + (f" ({path.ref})" if path.ref else "")
    return definition, path.workflow_version, Highlight(path.step, path.moves, who)


def diagram(
    ctx: typer.Context,
    target: Annotated[str | None, typer.Argument(
        metavar="ID|FILE", show_default=False,
        help="workflow id (looked up in the workflows folder) or a workflow YAML file; "
             "may be left out with --participant")] = None,
    fmt: Annotated[DiagramFormat, typer.Option(
        "--format", "-f",
        help="mermaid (text, needs nothing), dot (Graphviz source, needs 'pip install graphviz') "
             "or svg (also needs the Graphviz 'dot' program)")] = DiagramFormat.MERMAID,
    participant: Annotated[str | None, typer.Option(
        "--participant", "-p", show_default=False,
        help="participant id or ref: draw the version it is pinned to, its current step and the path it took")] = None,
    output: Annotated[Path | None, typer.Option(
        "--output", "-o", show_default=False, help="write to this file instead of standard output")] = None,
) -> None:
    """Draw a workflow: Swedish step titles, triggers with their guards, stall limits and deadline rules.

    The initial step has the start marker, terminal steps are grey with a double border. With --participant the current step is red, and the steps and transitions it passed are blue (✔ n marks the n-th step change). Triggers that record without moving, from every step (e.g. leave_starts), are listed in a note.

    Example: pathway workflow diagram kraft --participant LU-2026-014 --format svg --output kraft.svg
    """
    problem = graphviz_problem(fmt)
    if problem:
        raise GraphvizMissing(problem)
    if target is None and participant is None:
        raise BadInput("give a workflow id or file, e.g. 'pathway workflow diagram kraft', or --participant ID")
    if participant is not None:
        definition, version, highlight = _participant(ctx, participant, target)
        drawn = render(definition, fmt, version, highlight)
    else:
        assert target is not None
        drawn = render(_definition(ctx, target), fmt)
    data = drawn if isinstance(drawn, bytes) else drawn.encode("utf-8")
    if output is None:
        sys.stdout.write(data.decode("utf-8"))
        sys.stdout.flush()
        return
    try:
        output.write_bytes(data)
    except OSError as err:
        raise BadInput(f"cannot write {output}: {err.strerror or err}") from None


def register(app: typer.Typer) -> None:
    """Add ``diagram`` to the ``pathway workflow`` sub-command group."""
    app.command("diagram")(diagram)
