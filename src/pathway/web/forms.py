"""Forms generated from what a workflow declares: a trigger's data, the enrolment attributes.

Each declared field becomes one labelled input of the right kind (date, number, yes/no, a list of
choices with the workflow's Swedish labels, check boxes for several choices); required fields are
marked and required. What comes back is text, checked by the same coercion the CLI uses
(:mod:`pathway.engine.values`), so a wrong value gets the CLI's message.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pathway.clock import parse_time
from pathway.definitions.models import FieldSpec, FieldType, Workflow

INPUT_TYPES = {
    FieldType.STRING: "text", FieldType.INTEGER: "number", FieldType.NUMBER: "number",
    FieldType.DATE: "date", FieldType.DATETIME: "datetime-local",
}


@dataclass(frozen=True)
class FormField:
    name: str
    label: str
    kind: str  # text, textarea, number, date, datetime-local, select, checkboxes, boolean
    required: bool
    options: list[tuple[str, str]] = field(default_factory=list)
    step: str | None = None  # for number inputs

    @property
    def dom_id(self) -> str:
        return "f-" + self.name


def field_for(name: str, spec: FieldSpec | None, declared: dict[str, Any], definition: Workflow) -> FormField:
    """One form field from the declared spec (``declared`` is the service's ``{type, required, choices}``)."""
    type_ = FieldType(declared.get("type", spec.type.value if spec else "string"))
    label = (spec.title if spec and spec.title else name.replace("_", " "))
    required = bool(declared.get("required", spec.required if spec else False))
    labels = (spec.labels or {}) if spec else {}
    if type_ in (FieldType.EXIT_REASON, FieldType.EXIT_REASONS):
        options = [(r.code, r.label) for r in definition.exit_reasons]
    else:
        options = [(c, labels.get(c, c)) for c in (declared.get("choices") or (spec.choices if spec else None) or [])]
    if type_ in (FieldType.CHOICE, FieldType.EXIT_REASON):
        return FormField(name, label, "select", required, options)
    if type_ in (FieldType.MULTI_CHOICE, FieldType.EXIT_REASONS):
        return FormField(name, label, "checkboxes", required, options)
    if type_ is FieldType.BOOLEAN:
        return FormField(name, label, "boolean", required, [("true", "ja"), ("false", "nej")])
    if type_ is FieldType.TEXT:
        return FormField(name, label, "textarea", required)
    step = "1" if type_ is FieldType.INTEGER else "any" if type_ is FieldType.NUMBER else None
    return FormField(name, label, INPUT_TYPES.get(type_, "text"), required, step=step)


def trigger_fields(definition: Workflow, trigger: str, declared: dict[str, dict[str, Any]]) -> list[FormField]:
    specs: dict[str, FieldSpec] = {}
    for transition in definition.transitions:
        if transition.trigger == trigger:
            specs.update(transition.data)
    return [field_for(name, specs.get(name), spec, definition) for name, spec in declared.items()]


def attribute_fields(definition: Workflow) -> list[FormField]:
    return [field_for(name, spec, {"type": spec.type.value, "required": spec.required,
                                   **({"choices": spec.choices} if spec.choices else {})}, definition)
            for name, spec in definition.attributes.items()]


def trigger_title(definition: Workflow, trigger: str) -> str:
    for transition in definition.transitions:
        if transition.trigger == trigger and transition.title:
            return transition.title
    return trigger.replace("_", " ")


def values_from(form: dict[str, list[str]], fields: list[FormField]) -> dict[str, str]:
    """The posted values of ``fields`` as the CLI's KEY=VALUE text; empty optional fields left out."""
    values: dict[str, str] = {}
    for f in fields:
        given = [v.strip() for v in form.get(f.name, []) if v.strip()]
        if not given:
            continue
        values[f.name] = ",".join(given) if f.kind == "checkboxes" else given[0]
    return values


#: form fields that are not the trigger's data
RESERVED = {"_csrf", "_seq", "_at", "_reason"}


def posted_data(form: dict[str, list[str]]) -> dict[str, str]:
    """A trigger's data as posted: every field but the reserved ones, several values (check boxes)
    joined with commas as the CLI takes them, empty fields left out. The service checks every name
    and value against the trigger's declared data, so nothing here needs the definition."""
    data: dict[str, str] = {}
    for name, values in form.items():
        given = [v.strip() for v in values if v.strip()]
        if name not in RESERVED and given:
            data[name] = ",".join(given)
    return data


def late_entry(form: dict[str, list[str]]) -> tuple[Any, str | None]:
    """``at`` and ``reason`` of a late entry (both None when it happened now)."""
    at_text = (form.get("_at") or [""])[0].strip()
    reason = (form.get("_reason") or [""])[0].strip() or None
    return (parse_time(at_text, "when it happened") if at_text else None), reason


def first(form: dict[str, list[str]], name: str) -> str | None:
    value = (form.get(name) or [""])[0].strip()
    return value or None
