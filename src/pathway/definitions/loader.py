"""Workflow files → validated :class:`Workflow` models, with every problem located at once."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from pathlib import Path as FilePath
from typing import Any

from pydantic import ValidationError

from pathway.definitions.checks import Problem, closest, run_checks
from pathway.definitions.models import Workflow
from pathway.definitions.yaml_source import Position, SourceMap, YamlProblem, load_with_positions
from pathway.domain.duration import DURATION_HELP, DURATION_PATTERN
from pathway.errors import DefinitionInvalid


@dataclass
class LoadedWorkflow:
    """A workflow definition together with the text it came from (stored with each version)."""

    definition: Workflow
    text: str
    source: str
    warnings: list[str] = field(default_factory=list)

    @property
    def sha256(self) -> str:
        return content_hash(self.text)


@dataclass
class ValidationReport:
    """Everything found in one file; ``ok`` when nothing is an error."""

    source: str
    problems: list[str]
    errors: int
    warnings: int
    workflow: LoadedWorkflow | None = None
    #: the same problems as fields, for editors and CI (``workflow validate --format json``)
    diagnostics: list[dict[str, object]] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return self.errors == 0


def content_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def format_problem(source: str, source_map: SourceMap | None, problem: Problem) -> str:
    return str(diagnostic(source, source_map, problem)["text"])


def diagnostic(source: str, source_map: SourceMap | None, problem: Problem,
               position: Position | None = None) -> dict[str, object]:
    """One problem as fields (file, line, column, code, severity, message, hint) and as its line."""
    if position is None and source_map is not None:
        # an unknown or duplicate key is reported where the key is written
        by_key = problem.code in {"unknown-key"}
        position = source_map.locate_key(problem.path) if by_key else source_map.locate(problem.path)
    line, column = (position.line, position.column) if position else (1, 1)
    hint = f" (hint: {problem.hint})" if problem.hint else ""
    text = f"{source}:{line}:{column}: {problem.severity}[{problem.code}]: {problem.message}{hint}"
    return {"file": source, "line": line, "column": column, "code": problem.code, "severity": problem.severity,
            "message": problem.message, "hint": problem.hint, "text": text}


def _data_path(loc: tuple[int | str, ...], data: Any, names_a_key: bool) -> tuple[int | str, ...]:
    """``loc`` as a path in the document: without the names pydantic puts into it for a union's
    members (``str``, ``StepModel``, ``function-after[…]``), which are never in the document. A part
    is kept where it is a key of the mapping reached so far or an index of the list; the last part is
    kept too where it ``names_a_key`` the document lacks or should not have (a missing or unknown key:
    ``Title`` as well as ``title``)."""
    path: list[int | str] = []
    node = data
    for index, part in enumerate(loc):
        if isinstance(node, dict) and part in node:
            path.append(part)
            node = node[part]
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            path.append(part)
            node = node[part]
        elif names_a_key and index == len(loc) - 1:
            path.append(part)
    return tuple(path)


def _schema_problems(err: ValidationError, data: Any) -> list[Problem]:
    problems = []
    for e in err.errors():
        path = _data_path(e["loc"], data, e["type"] in ("extra_forbidden", "missing"))
        if e["type"] == "extra_forbidden":
            problems.append(Problem(path, "unknown-key", f"unknown key '{path[-1]}'"))
        elif e["type"] == "missing":
            problems.append(Problem(path[:-1], "missing-key", f"missing required key '{path[-1]}'"))
        elif e["type"] == "string_pattern_mismatch" and DURATION_PATTERN in str(e.get("ctx", {})):
            problems.append(Problem(path, "invalid-duration", f"invalid duration {e['input']!r}", DURATION_HELP))
        elif e["type"] == "value_error" and "duration" in str(e["msg"]):
            message = str(e["msg"]).removeprefix("Value error, ")
            problems.append(Problem(path, "invalid-duration", message, DURATION_HELP))
        elif e["type"] == "string_pattern_mismatch":
            problems.append(Problem(path, "invalid-name", f"invalid name {e['input']!r}",
                                    "use snake_case: lower-case letters, digits and _, starting with a letter"))
        else:
            shown = ".".join(str(p) for p in path)
            problems.append(Problem(path, "invalid-value", f"{shown}: {e['msg']} (got {e['input']!r})"))
    return problems


def _unknown_key_hints(problems: list[Problem], data: object) -> list[Problem]:
    """Add a 'did you mean' for unknown keys, using the keys the model accepts at that level."""
    from pathway.definitions import models

    fixed = []
    for p in problems:
        if p.code == "unknown-key":
            fields = _fields_at(models.Workflow, p.path[:-1])
            if fields:
                p = Problem(p.path, p.code, p.message, closest(str(p.path[-1]), fields))
        fixed.append(p)
    return fixed


def _fields_at(model: type, path: tuple) -> list[str]:
    """The key names accepted at a path inside the Workflow model (best effort, for hints)."""
    import typing

    from pydantic import BaseModel

    current: object = model
    for part in path:
        if isinstance(part, int):
            continue
        if not (isinstance(current, type) and issubclass(current, BaseModel)):
            return []
        info = next((f for n, f in current.model_fields.items() if (f.alias or n) == part), None)
        if info is None:
            return []
        annotation = info.annotation
        args = typing.get_args(annotation)
        candidates = [annotation, *args] + [a for arg in args for a in typing.get_args(arg)]
        current = next((c for c in candidates if isinstance(c, type) and issubclass(c, BaseModel)), None)
    if isinstance(current, type) and issubclass(current, BaseModel):
        return [f.alias or n for n, f in current.model_fields.items()]
    return []


def validate_text(text: str, source: str) -> ValidationReport:
    """Load and check one workflow text; never raises for problems in the text."""
    try:
        data, source_map = load_with_positions(text)
    except YamlProblem as err:
        found = diagnostic(source, None, Problem((), "yaml", err.message), err.position)
        return ValidationReport(source, [str(found["text"])], 1, 0, diagnostics=[found])
    if not isinstance(data, dict):
        found = diagnostic(source, None, Problem((), "not-a-mapping", "a workflow file must be a mapping with id, "
                                                 "version, title, roles, steps, transitions"))
        return ValidationReport(source, [str(found["text"])], 1, 0, diagnostics=[found])
    data.pop("$schema", None)
    try:
        workflow = Workflow.model_validate(data)
    except ValidationError as err:
        problems = _unknown_key_hints(_schema_problems(err, data), data)
    else:
        problems = run_checks(workflow)
    diagnostics = [diagnostic(source, source_map, p) for p in problems]
    lines = [str(d["text"]) for d in diagnostics]
    errors = sum(1 for p in problems if p.severity == "error")
    report = ValidationReport(source, lines, errors, len(problems) - errors, diagnostics=diagnostics)
    if errors == 0:
        warnings = [line for line, p in zip(lines, problems) if p.severity == "warning"]
        report.workflow = LoadedWorkflow(workflow, text, source, warnings)
    return report


def load_text(text: str, source: str) -> LoadedWorkflow:
    """Load a workflow or raise :class:`DefinitionInvalid` listing every error."""
    report = validate_text(text, source)
    if report.workflow is None:
        raise DefinitionInvalid([line for line in report.problems if ": error[" in line])
    return report.workflow


def load_file(path: FilePath | str) -> LoadedWorkflow:
    return load_text(read_workflow_file(path), str(path))


def read_workflow_file(path: FilePath | str) -> str:
    from pathway.errors import InvalidValue

    from pathway.definitions.yaml_source import MAX_BYTES

    file = FilePath(path)
    try:
        with file.open("rb") as handle:  # bounded: /dev/zero or a 30 MB paste is refused, not read whole
            raw = handle.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise InvalidValue("workflow file", str(path), f"it is larger than {MAX_BYTES // 1_000_000} MB; "
                               "a workflow file is a few kilobytes")
        return raw.decode("utf-8")
    except FileNotFoundError:
        raise InvalidValue("workflow file", str(path), "no such file") from None
    except UnicodeDecodeError:
        raise InvalidValue("workflow file", str(path), "it is not UTF-8 text") from None
    except OSError as err:
        raise InvalidValue("workflow file", str(path), err.strerror or "cannot be read") from None
