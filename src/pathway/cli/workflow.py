"""``pathway workflow …``: validate, list and show pathway definitions."""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.markup import escape

from pathway.cli.lazy import LazyGroup
from pathway.cli.output import FormatOption, OutputFormat, console, print_json, print_rows, write_text
from pathway.cli.state import optional_time, state
from pathway.clock import format_local, parse_time
from pathway.domain.duration import Duration
from pathway.engine.values import parse_assignments
from pathway.definitions import Workflow, validate_text
from pathway.definitions.models import workflow_json_schema
from pathway.definitions.loader import read_workflow_file
from pathway.errors import BadInput, InvalidValue



class WorkflowGroup(LazyGroup):
    """``pathway workflow diagram`` lives in its own module, loaded when used: drawing needs
    ``transitions``' diagram support and Graphviz, validating and listing do not."""

    lazy_commands = {
        "diagram": ("pathway.cli.diagram:diagram",
                    "Draw a workflow: Swedish step titles, triggers with their guards, stall limits and deadline rules."),
    }


app = typer.Typer(help="Validate, list and show pathway definitions (workflows/*.yaml).", no_args_is_help=True,
                  cls=WorkflowGroup)


def workflow_json(definition: Workflow, version: int | None = None) -> dict[str, Any]:
    """The documented JSON form of a workflow (``workflow show --format json``)."""
    return {
        "id": definition.id,
        "version": version if version is not None else definition.version,
        "title": definition.title,
        "description": definition.description,
        "roles": [r.model_dump(mode="json", exclude_none=True) for r in definition.roles],
        "attributes": {n: s.model_dump(mode="json", exclude_none=True) for n, s in definition.attributes.items()},
        "steps": [
            {"id": s.id, "title": s.title, "kind": s.kind, "owner": s.owner, "terminal": s.terminal,
             "initial": s.initial, "limit": s.limit.model_dump(mode="json", exclude_none=True) if s.limit else None}
            for s in definition.steps
        ],
        "transitions": [
            {"trigger": t.trigger, "from": definition.sources_of(t), "to": t.to,
             "guards": [g.model_dump(mode="json") for g in t.guards],
             "data": {n: {k: v for k, v in {"type": s.type.value, "required": s.required, "choices": s.choices}.items()
                          if v is not None} for n, s in t.data.items()}}
            for t in definition.transitions
        ],
        "exit_reasons": [r.model_dump(mode="json") for r in definition.exit_reasons],
        "deadlines": [d.model_dump(mode="json", exclude_none=True) for d in definition.deadlines],
        "result_goals": [g.model_dump(mode="json", exclude_none=True) for g in definition.result_goals],
    }


@app.command()
def validate(
    files: Annotated[list[Path], typer.Argument(help="workflow YAML files", show_default=False)],
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Check workflow files and print every problem as FILE:LINE:COLUMN: error[CODE]: message.

    Exits 1 if any file has an error.

    Example: pathway workflow validate workflows/*.yaml
    """
    reports = [validate_text(read_workflow_file(f), str(f)) for f in files]
    if fmt == OutputFormat.JSON:
        print_json([{"file": r.source, "ok": r.ok, "errors": r.errors, "warnings": r.warnings,
                     "problems": r.problems, "diagnostics": r.diagnostics} for r in reports])
    else:
        for report in reports:
            for line in report.problems:
                console.print(line, markup=False)
            if report.workflow is not None:
                d = report.workflow.definition
                console.print(f"ok: {report.source} — {d.id} v{d.version}: {len(d.steps)} steps, "
                              f"{len(d.transitions)} transitions, {len(d.exit_reasons)} exit reasons", markup=False)
    if any(not r.ok for r in reports):
        raise typer.Exit(1)


@app.command()
def schema(
    output: Annotated[Path | None, typer.Option("--output", "-o", help="write to this file instead of stdout")] = None,
) -> None:
    """Print the JSON Schema of workflow files, for editor completion and checks in CI.

    Shipped workflows start with '# yaml-language-server: $schema=../schema/workflow.schema.json'.

    Example: pathway workflow schema --output schema/workflow.schema.json
    """
    write_text(json.dumps(workflow_json_schema(), ensure_ascii=False, indent=2) + "\n", output)


@app.command()
def new(
    ctx: typer.Context,
    name: Annotated[str, typer.Argument(help="the new workflow's id, snake_case, e.g. ljusnarsberg_rehab")],
    title: Annotated[str | None, typer.Option(help="Swedish title")] = None,
) -> None:
    """Write a commented workflow template that validates, to the workflows folder.

    Example: pathway workflow new ljusnarsberg_rehab --title "Rehabgruppen i Ljusnarsberg"
    """
    from pathway.definitions.template import render

    if not re.fullmatch(r"[a-z][a-z0-9_]{0,63}", name):
        raise InvalidValue("workflow name", name, "use snake_case: lower-case letters, digits and _, starting with a letter")
    folder = state(ctx).settings.workflows
    target = folder / f"{name}.yaml"
    if target.exists():
        raise BadInput(f"{target} already exists; choose another name or edit that file")
    # the template's first line points editors at ../schema/workflow.schema.json: make it resolve
    schema_file = folder.parent / "schema" / "workflow.schema.json"
    try:
        folder.mkdir(parents=True, exist_ok=True)
        target.write_text(render(name, title), encoding="utf-8")
        if not schema_file.exists():
            schema_file.parent.mkdir(parents=True, exist_ok=True)
            schema_file.write_bytes(shipped_schema())
            console.print(f"wrote {schema_file} — the JSON Schema your editor checks the file against", markup=False)
    except OSError as err:
        raise BadInput(f"cannot write {err.filename or target}: {err.strerror}") from None
    console.print(f"wrote {target} — edit it, then: pathway workflow validate {target}", markup=False)


def shipped_schema() -> bytes:
    """The workflow JSON Schema as shipped in the package (the same as ``pathway workflow schema``)."""
    from importlib.resources import files

    return (files("pathway") / "shipped" / "schema" / "workflow.schema.json").read_bytes()


#: walk-script verbs for what is recorded around the steps
RECORD_VERBS = ("consent", "plan", "placement", "intervention", "meeting")


def _simulation_script(path: Path, name: str | None) -> tuple[dict[str, Any], list[Any], datetime | None]:
    """A script in the walk format: enrol_at, attributes, steps of trigger/refused/set with data and at.

    A file of several walks (``walks:``, as in tests/workflows/walks/) gives the one named by
    ``name``, or the first.
    """
    import yaml

    from pathway.services.simulate import SimulatedAction

    try:
        script = yaml.safe_load(read_workflow_file(path))
    except yaml.YAMLError as err:
        raise InvalidValue("script", str(path), f"it is not valid YAML ({err})") from None
    if isinstance(script, dict) and isinstance(script.get("walks"), list) and script["walks"]:
        names = [str(w.get("name")) for w in script["walks"] if isinstance(w, dict)]
        if name is not None and name not in names:
            raise InvalidValue("--name", name, "use one of the walks in the file: " + "; ".join(names))
        script = next(w for w in script["walks"] if name is None or w.get("name") == name)
    if not isinstance(script, dict) or not isinstance(script.get("steps", []), list):
        raise InvalidValue("script", str(path), "give a mapping with 'steps:' (a list) and optional 'attributes:', 'enrol_at:'")
    actions = []
    for number, step in enumerate(script.get("steps", []), start=1):
        verbs = {"trigger", "refused", "set", *RECORD_VERBS}
        if not isinstance(step, dict) or not (verbs & set(step)):
            raise InvalidValue(f"script step {number}", step,
                               "each step needs one of: " + ", ".join(f"'{v}:'" for v in sorted(verbs)))
        at = parse_time(str(step["at"]), f"script step {number} 'at'") if "at" in step else None
        record = next(((verb, step[verb]) for verb in RECORD_VERBS if verb in step), None)
        actions.append(SimulatedAction(trigger=step.get("trigger") or step.get("refused"),
                                       data=step.get("data") or {}, set=step.get("set"), at=at,
                                       expect_refusal="refused" in step, record=record))
    start = parse_time(str(script["enrol_at"]), "script 'enrol_at'") if "enrol_at" in script else None
    return script.get("attributes") or {}, actions, start


def _calendar_span(text: str, option: str) -> timedelta:
    try:
        duration = Duration.parse(text)
    except ValueError:
        duration = None
    if duration is None or duration.unit not in ("d", "w"):
        raise InvalidValue(option, text, "use days or weeks, e.g. 7d or 2w")
    return timedelta(days=duration.amount * (7 if duration.unit == "w" else 1))


@app.command()
def simulate(
    ctx: typer.Context,
    workflow_id: Annotated[str, typer.Argument(metavar="ID", help="workflow id")],
    walk: Annotated[str | None, typer.Option(help="triggers to fire in order, comma-separated")] = None,
    script: Annotated[Path | None, typer.Option(help="a YAML script: enrol_at, attributes, steps (trigger/refused/set, data, at)")] = None,
    name: Annotated[str | None, typer.Option(help="which walk, when the script file holds several (walks:)")] = None,
    attr: Annotated[list[str] | None, typer.Option("--attr", help="KEY=VALUE attribute at enrolment (repeatable)")] = None,
    consent: Annotated[str | None, typer.Option(help="agencies the participant consents to, confirmed before every --walk trigger, e.g. soc,af; a --walk trigger into a meeting step records that meeting with every party present")] = None,
    start: Annotated[str | None, typer.Option(help="virtual enrolment time (default: now)")] = None,
    every: Annotated[str, typer.Option(help="time between the --walk triggers")] = "1w",
    tail: Annotated[str, typer.Option(help="how long to let the clock run after the last action")] = "8w",
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Dry-run one participant with a virtual clock: steps, deadlines set, reminders and escalations.

    Nothing is written to any database. Exits 1 if the walk could not be completed as written.

    Example: pathway workflow simulate flen_tripartite --attr application_date=2026-03-02 --consent soc,af,labour_unit --walk hold_first_meeting,write_plan
    """
    from pathway.services.simulate import SimulatedAction
    from pathway.services.simulate import simulate as run_simulation

    if (walk is None) == (script is None):
        raise BadInput("give either --walk TRIGGER,TRIGGER,… or --script FILE")
    cli_state = state(ctx)
    definition = cli_state.catalog().load_current(workflow_id).definition
    attributes: dict[str, Any] = parse_assignments(attr or [], "--attr")
    begin = None
    if script is not None:
        from_script, actions, begin = _simulation_script(script, name)
        attributes = {**from_script, **attributes}
    else:
        agencies = tuple(a.strip() for a in (consent or "").split(",") if a.strip())
        # a well-run meeting opens by confirming the consent: it is given again just before each trigger
        actions = [SimulatedAction(trigger=t.strip(), consent_first=agencies, meeting_first=True)
                   for t in (walk or "").split(",") if t.strip()]
    begin = optional_time(start, "--start") or begin or cli_state.clock().now()
    # in a script, a step without its own 'at' happens at the same moment as the one before it
    spacing = _calendar_span(every, "--every") if script is None else timedelta(0)
    result = run_simulation(definition, attributes, actions, begin, spacing, _calendar_span(tail, "--tail"))
    if fmt == OutputFormat.JSON:
        print_json(result.to_json())
    else:
        rows = [{"when": format_local(line.at), "what": line.kind, "step": line.step, "detail": line.detail,
                 "open deadlines": "\n".join(line.deadlines)} for line in result.lines]
        print_rows(rows, ["when", "what", "step", "detail", "open deadlines"], fmt,
                   title=f"Simulation of {workflow_id} (nothing is written)")
        if fmt == OutputFormat.TABLE:
            console.print(f"ends in step {result.step} ({result.status})"
                          + ("" if result.completed else " — the walk could not be completed as written"), markup=False)
    if not result.completed:
        raise typer.Exit(1)


def _print_migration(report: Any, fmt: OutputFormat) -> None:
    if fmt == OutputFormat.JSON:
        print_json(report.to_json())
        return
    rows = [{"participant": r.participant_id, "ref": r.ref, "from": f"v{r.from_version} {r.from_step}",
             "to": f"v{r.to_version} {r.to_step or '?'}", "deadlines": "\n".join(
                 [f"+ {d}" for d in r.deadlines_added] + [f"- {d}" for d in r.deadlines_removed]
                 + [f"~ {d}" for d in r.deadlines_changed]),
             "": "ok" if r.can_move else f"cannot move: {r.reason}"} for r in report.rows]
    verb = "moved" if report.applied else "would move"
    print_rows(rows, ["participant", "ref", "from", "to", "deadlines", ""], fmt,
               title=f"{report.workflow} → version {report.to_version}: {verb} "
                     f"{sum(r.can_move for r in report.rows)} of {len(report.rows)} open participant(s)")


@app.command()
def migrate(
    ctx: typer.Context,
    workflow_id: Annotated[str, typer.Argument(metavar="ID", help="workflow id")],
    to: Annotated[str, typer.Option("--to", help="target version number, or 'current' for the file as it is now")],
    step_map: Annotated[list[str] | None, typer.Option("--map", help="OLD=NEW for a step the target version lacks (repeatable)")] = None,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="only report what would happen")] = False,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Move open participants to another version of their workflow: all of them or none.

    Each lands on the same step, or the one --map names; the report shows which deadlines change.
    A 'migrated' event is appended to each history.

    Example: pathway workflow migrate kraft --to current --map training_start=training --dry-run
    """
    from pathway.services.migrate import MigrationBlocked
    from pathway.services.migrate import migrate as run_migration

    mapping = parse_assignments(step_map or [], "--map")
    try:
        report = run_migration(state(ctx).services(), workflow_id, to, mapping, dry_run)
    except MigrationBlocked as blocked:
        _print_migration(blocked.report, fmt)
        raise
    _print_migration(report, fmt)
    if dry_run and report.blocked:
        raise typer.Exit(1)


@app.command("list")
def list_workflows(ctx: typer.Context, fmt: FormatOption = OutputFormat.TABLE) -> None:
    """List the workflows in the workflows folder and the versions registered in the database.

    Example: pathway workflow list --format json
    """
    services = state(ctx).services()
    rows: dict[str, dict[str, Any]] = {}
    for path in services.catalog.files():
        report = validate_text(read_workflow_file(path), str(path))
        definition = report.workflow.definition if report.workflow else None
        rows[path.stem] = {"id": path.stem, "title": definition.title if definition else "",
                           "file": str(path), "valid": report.ok, "versions": []}
    with services.uow() as uow:
        for stored in uow.workflows.all():
            row = rows.setdefault(stored.workflow_id, {"id": stored.workflow_id, "title": stored.title,
                                                       "file": None, "valid": None, "versions": []})
            row["versions"].append(stored.version)
    print_rows(list(rows.values()), ["id", "title", "file", "valid", "versions"], fmt, title="Workflows")


@app.command()
def show(
    ctx: typer.Context,
    workflow_id: Annotated[str, typer.Argument(metavar="ID", help="workflow id, e.g. kraft")],
    version: Annotated[int | None, typer.Option(help="a registered version (default: the file as it is now)")] = None,
    fmt: FormatOption = OutputFormat.TABLE,
) -> None:
    """Show a workflow's steps, transitions and exit reasons.

    Example: pathway workflow show flen_tripartite --format json
    """
    if version is None:
        definition = state(ctx).catalog().load_current(workflow_id).definition
    else:
        services = state(ctx).services()
        with services.uow() as uow:
            definition = services.catalog.pinned(uow, workflow_id, version).definition
    if fmt == OutputFormat.JSON:
        print_json(workflow_json(definition, version))
        return
    if fmt == OutputFormat.CSV:
        raise BadInput("workflow show has no CSV form; use --format table or json")
    console.print(f"[bold]{escape(definition.title)}[/bold]  ({definition.id}, version {version or definition.version})")
    if definition.description:
        console.print(definition.description.strip(), markup=False)
    print_rows([{"step": s.id, "title": s.title, "kind": s.kind, "owner": s.owner,
                 "": "initial" if s.initial else "terminal" if s.terminal else "",
                 "limit": s.limit.within if s.limit else ""} for s in definition.steps],
               ["step", "title", "kind", "owner", "", "limit"], fmt, title="Steps")
    print_rows([{"trigger": t.trigger, "from": ", ".join(t.source), "to": t.to,
                 "guards": ", ".join(g.name for g in t.guards),
                 "data": ", ".join(n + ("*" if s.required else "") for n, s in t.data.items())}
                for t in definition.transitions],
               ["trigger", "from", "to", "guards", "data"], fmt, title="Transitions (* = required data)")
    if definition.exit_reasons:
        print_rows([r.model_dump(mode="json") for r in definition.exit_reasons],
                   ["code", "label", "category"], fmt, title="Exit reasons")

