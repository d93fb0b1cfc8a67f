"""Named checks over a parsed workflow; each lists every offender, not just the first.

Run after the pydantic models accepted the file's shape: these checks look at what the shape
cannot express — references between parts, reachability, dead ends, shadowed transitions.
"""

from __future__ import annotations

import difflib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from typing import Any, Literal

from pydantic import ValidationError

from pathway.definitions.models import ANY_STEP, OWNER_ROLE, FieldType, GuardRef, Workflow
from pathway.definitions.yaml_source import Path
from pathway.steps import GUARDS, STEP_KINDS


@dataclass(frozen=True)
class Problem:
    """One thing wrong (or suspicious) in a workflow file, located by its path in the YAML."""

    path: Path
    code: str
    message: str
    hint: str | None = None
    severity: Literal["error", "warning"] = "error"


def closest(name: str, options: Iterable[str]) -> str | None:
    """A 'did you mean' hint for a misspelt name."""
    options = list(options)
    match = difflib.get_close_matches(name, options, n=1, cutoff=0.6)
    if match:
        return f"did you mean '{match[0]}'?"
    return f"known: {', '.join(sorted(options))}" if options else None


def _unknown(path: Path, what: str, name: str, options: Iterable[str]) -> Problem:
    options = list(options)
    return Problem(path, f"unknown-{what.replace(' ', '-')}", f"unknown {what} '{name}'", closest(name, options))


def check_unique_ids(wf: Workflow) -> Iterator[Problem]:
    for section, key in [("roles", "id"), ("steps", "id"), ("exit_reasons", "code"),
                         ("deadlines", "id"), ("result_goals", "id")]:
        seen: set[str] = set()
        for index, item in enumerate(getattr(wf, section)):
            value = getattr(item, key)
            if value in seen:
                yield Problem((section, index, key), "duplicate-id", f"duplicate {key} '{value}' in {section}")
            seen.add(value)


def check_initial_step(wf: Workflow) -> Iterator[Problem]:
    initial = [i for i, s in enumerate(wf.steps) if s.initial]
    if not initial:
        yield Problem(("steps",), "no-initial-step", "no step is marked 'initial: true'",
                      f"mark the first step, e.g. '{wf.steps[0].id}', with initial: true")
    for index in initial[1:]:
        yield Problem(("steps", index, "initial"), "several-initial-steps",
                      f"more than one initial step: '{wf.steps[initial[0]].id}' and '{wf.steps[index].id}'")
    if not any(s.terminal for s in wf.steps):
        yield Problem(("steps",), "no-terminal-step", "no step is marked 'terminal: true'; participants could never exit")


def _check_config(model: type, config: dict[str, Any], path: Path) -> Iterator[Problem]:
    try:
        model.model_validate(config)  # type: ignore[attr-defined]
    except ValidationError as err:
        for e in err.errors():
            yield Problem(path + tuple(e["loc"]), "invalid-config", e["msg"])


def _check_guards(wf: Workflow, guards: list[GuardRef], path: Path) -> Iterator[Problem]:
    for index, ref in enumerate(guards):
        spec = GUARDS.get(ref.name)
        if spec is None:
            yield _unknown(path + (index, "name"), "guard", ref.name, GUARDS)
            continue
        try:
            args = spec.args_model.model_validate(ref.args)
        except ValidationError as err:
            for e in err.errors():
                yield Problem(path + (index, "args") + tuple(e["loc"]), "invalid-guard-args",
                              f"guard '{ref.name}': {e['msg']}")
            continue
        for name in args.attributes_used():
            if name not in wf.attributes:
                yield _unknown(path + (index, "args"), "attribute", name, wf.attributes)


def check_references(wf: Workflow) -> Iterator[Problem]:
    roles = {r.id for r in wf.roles}
    ladder_roles = roles | {OWNER_ROLE}
    steps = set(wf.step_ids)
    triggers = {t.trigger for t in wf.transitions}
    reasons = {r.code for r in wf.exit_reasons}
    for i, step in enumerate(wf.steps):
        if step.owner not in roles:
            yield _unknown(("steps", i, "owner"), "role", step.owner, roles)
        kind = STEP_KINDS.get(step.kind)
        if kind is None:
            yield _unknown(("steps", i, "kind"), "step kind", step.kind, STEP_KINDS)
        else:
            yield from _check_config(kind.config_model, step.config, ("steps", i, "config"))
            if kind.terminal_only and not step.terminal:
                yield Problem(("steps", i, "kind"), "exit-not-terminal",
                              f"step '{step.id}' is of kind '{kind.name}' and must be terminal: true")
        parties = step.config.get("parties", []) if isinstance(step.config, dict) else []
        for j, party in enumerate(parties if isinstance(parties, list) else []):
            if party not in roles:
                yield _unknown(("steps", i, "config", "parties", j), "role", str(party), roles)
        if step.limit:
            for j, level in enumerate(step.limit.escalation):
                if level.to not in ladder_roles:
                    yield _unknown(("steps", i, "limit", "escalation", j, "to"), "role", level.to, ladder_roles)
    for i, tr in enumerate(wf.transitions):
        for j, source in enumerate(tr.source):
            if source != ANY_STEP and source not in steps:
                where: Path = ("transitions", i, "from", j) if len(tr.source) > 1 else ("transitions", i, "from")
                yield _unknown(where, "step", source, steps)
        if tr.to is not None and tr.to not in steps:
            yield _unknown(("transitions", i, "to"), "step", tr.to, steps)
        yield from _check_guards(wf, tr.guards, ("transitions", i, "guards"))
        for name, data_spec in tr.data.items():
            if data_spec.type in (FieldType.EXIT_REASON, FieldType.EXIT_REASONS) and not reasons:
                yield Problem(("transitions", i, "data", name, "type"), "no-exit-reasons",
                              f"data '{name}' takes an exit reason but the workflow has no exit_reasons")
    for i, rule in enumerate(wf.deadlines):
        for part in ("start", "target", "until"):
            anchor = getattr(rule, part)
            if anchor is None:
                continue
            path: Path = ("deadlines", i, part)
            if anchor.attribute is not None:
                spec = wf.attributes.get(anchor.attribute)
                if spec is None:
                    yield _unknown(path + ("attribute",), "attribute", anchor.attribute, wf.attributes)
                elif spec.type not in (FieldType.DATE, FieldType.DATETIME):
                    yield Problem(path + ("attribute",), "not-a-date",
                                  f"attribute '{anchor.attribute}' is {spec.type.value}, a deadline needs a date or datetime")
            if anchor.entered is not None and anchor.entered not in steps:
                yield _unknown(path + ("entered",), "step", anchor.entered, steps)
            if anchor.trigger is not None and anchor.trigger not in triggers:
                yield _unknown(path + ("trigger",), "trigger", anchor.trigger, triggers)
        if rule.target.attribute is not None or rule.target.enrolled:
            yield Problem(("deadlines", i, "target"), "bad-target",
                          "a deadline's target must be 'entered: STEP', 'trigger: NAME' or 'meeting: TYPE'")
        if rule.until is not None and (rule.until.attribute is not None or rule.until.enrolled):
            yield Problem(("deadlines", i, "until"), "bad-until",
                          "a repeating rule stops at 'entered: STEP', 'trigger: NAME' or 'meeting: TYPE'")
        for j, level in enumerate(rule.escalation):
            if level.to not in ladder_roles:
                yield _unknown(("deadlines", i, "escalation", j, "to"), "role", level.to, ladder_roles)
        if rule.owner is not None and rule.owner not in roles:
            yield _unknown(("deadlines", i, "owner"), "role", rule.owner, roles)
        yield from _check_guards(wf, rule.applies_if, ("deadlines", i, "applies_if"))
    for j, level in enumerate(wf.follow_up.escalation):
        if level.to not in ladder_roles:
            yield _unknown(("follow_up", "escalation", j, "to"), "role", level.to, ladder_roles)
    for part in ("pause", "resume"):
        for j, trigger in enumerate(getattr(wf.pauses, part)):
            if trigger not in triggers:
                yield _unknown(("pauses", part, j), "trigger", trigger, triggers)
    for i, goal in enumerate(wf.result_goals):
        for j, code in enumerate(goal.counts.exit_reasons):
            if code not in reasons:
                yield _unknown(("result_goals", i, "counts", "exit_reasons", j), "exit reason", code, reasons)
        if goal.counts.reached_step and goal.counts.reached_step not in steps:
            yield _unknown(("result_goals", i, "counts", "reached_step"), "step", goal.counts.reached_step, steps)
        for j, code in enumerate(goal.excluded_exit_reasons):
            if code not in reasons:
                yield _unknown(("result_goals", i, "excluded_exit_reasons", j), "exit reason", code, reasons)
        if goal.counts.improved is not None:
            for part in ("before", "after"):
                name = getattr(goal.counts.improved, part)
                path = ("result_goals", i, "counts", "improved", part)
                spec = wf.attributes.get(name)
                if spec is None:
                    yield _unknown(path, "attribute", name, wf.attributes)
                elif spec.type not in (FieldType.INTEGER, FieldType.NUMBER):
                    yield Problem(path, "not-a-number",
                                  f"attribute '{name}' is {spec.type.value}; 'improved' compares integer or number attributes")


def _edges(wf: Workflow) -> dict[str, set[str]]:
    known = set(wf.step_ids)
    edges: dict[str, set[str]] = {s: set() for s in known}
    for tr in wf.transitions:
        if tr.to is None or tr.to not in known:  # a transition that stays does not lead anywhere
            continue
        for source in wf.sources_of(tr):
            if source in known:
                edges[source].add(tr.to)
    return edges


def _reachable(start: Iterable[str], edges: dict[str, set[str]]) -> set[str]:
    seen = set(start)
    todo = list(seen)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def check_graph(wf: Workflow) -> Iterator[Problem]:
    """Unreachable steps, dead ends, traps with no way to an exit, transitions out of an exit."""
    edges = _edges(wf)
    terminal = {s.id for s in wf.steps if s.terminal}
    for i, tr in enumerate(wf.transitions):
        for source in tr.source:
            if source in terminal:
                yield Problem(("transitions", i, "from"), "leaves-terminal-step",
                              f"transition '{tr.trigger}' leaves terminal step '{source}'",
                              "a terminal step ends the pathway; remove 'terminal: true' or the transition")
    initial = [s.id for s in wf.steps if s.initial]
    if len(initial) != 1:
        return
    reachable = _reachable(initial, edges)
    reverse: dict[str, set[str]] = {s: set() for s in edges}
    for source, targets in edges.items():
        for target in targets:
            reverse[target].add(source)
    can_exit = _reachable(terminal, reverse)
    for i, step in enumerate(wf.steps):
        if step.id not in reachable:
            yield Problem(("steps", i, "id"), "unreachable-step",
                          f"step '{step.id}' cannot be reached from the initial step '{initial[0]}'",
                          "add a transition into it, or remove it")
        elif not step.terminal and not edges[step.id]:
            yield Problem(("steps", i, "id"), "dead-end",
                          f"step '{step.id}' is not terminal and has no way out",
                          "add a transition from it, or mark it terminal: true")
        elif not step.terminal and step.id not in can_exit:
            yield Problem(("steps", i, "id"), "no-way-to-exit",
                          f"no terminal step can be reached from step '{step.id}'")


def check_exit_reason_recorded(wf: Workflow) -> Iterator[Problem]:
    """Every way into a terminal step must record why the participant left (orsak avslut)."""
    if not wf.exit_reasons:
        return
    terminal = {s.id for s in wf.steps if s.terminal}
    for i, tr in enumerate(wf.transitions):
        spec = tr.data.get("reason")
        if tr.to in terminal and (spec is None or spec.type != FieldType.EXIT_REASON or not spec.required):
            yield Problem(("transitions", i, "data"), "exit-without-reason",
                          f"transition '{tr.trigger}' ends the pathway in '{tr.to}' but does not require an exit reason",
                          "add  data: {reason: {type: exit_reason, required: true}}")


def check_shadowed_transitions(wf: Workflow) -> Iterator[Problem]:
    """A guardless transition makes later ones for the same trigger and step unreachable."""
    open_for: dict[tuple[str, str], int] = {}
    for i, tr in enumerate(wf.transitions):
        for source in wf.sources_of(tr):
            key = (tr.trigger, source)
            if key in open_for:
                earlier = open_for[key]
                yield Problem(("transitions", i, "trigger"), "shadowed-transition",
                              f"transition '{tr.trigger}' from '{source}' can never fire: "
                              f"transition #{earlier + 1} for the same trigger has no guards and always wins",
                              "give the earlier transition a guard, or remove this one")
            elif not tr.guards:
                open_for[key] = i


def check_steps_without_deadline(wf: Workflow) -> Iterator[Problem]:
    """Warn where a participant could stall unnoticed: no limit, and no rule that leads out."""
    edges = _edges(wf)
    rule_targets = {r.target.entered for r in wf.deadlines if r.target.entered}
    rule_triggers = {r.target.trigger for r in wf.deadlines if r.target.trigger}
    triggers_from = {s: {t.trigger for t in wf.transitions if s in wf.sources_of(t)} for s in wf.step_ids}
    for i, step in enumerate(wf.steps):
        if step.terminal or step.limit is not None:
            continue
        if edges.get(step.id, set()) & rule_targets or triggers_from[step.id] & rule_triggers:
            continue
        yield Problem(("steps", i, "id"), "no-deadline",
                      f"step '{step.id}' has no stall limit and no deadline rule leads out of it; "
                      "a participant could stall here unnoticed",
                      "add  limit: {within: 4w, escalation: [{after: 0d, to: owner}]}", "warning")


def _never_passes(wf: Workflow, ref: GuardRef, data: dict[str, Any]) -> str | None:
    """Why a guard can never pass, judged from the declared types and code lists (or None)."""
    guard = GUARDS.get(ref.name)
    if guard is None:
        return None
    try:
        guard.args_model.model_validate(ref.args)
    except ValidationError:
        return None  # reported as invalid-guard-args by check_references
    args = ref.args
    if ref.name == "attributes_true":
        wrong = [n for n in args.get("attributes", []) if n in wf.attributes
                 and wf.attributes[n].type != FieldType.BOOLEAN]
        if wrong:
            return f"attribute '{wrong[0]}' is {wf.attributes[wrong[0]].type.value}, so it is never true"
    if ref.name == "attribute_in":
        spec = wf.attributes.get(args.get("attribute", ""))
        if spec is not None and spec.choices and not set(map(str, args.get("values", []))) & set(spec.choices):
            return f"none of {args.get('values')} is among the choices of '{args.get('attribute')}'"
    if ref.name == "data_in":
        field_name = args.get("field", "")
        if field_name not in data:
            return f"the trigger carries no data '{field_name}'"
        spec = data[field_name]
        if spec.type == FieldType.EXIT_REASON:
            codes = {r.code for r in wf.exit_reasons}
            if not set(map(str, args.get("values", []))) & codes:
                return f"none of {args.get('values')} is an exit reason"
        elif spec.choices and not set(map(str, args.get("values", []))) & set(spec.choices):
            return f"none of {args.get('values')} is among the choices of data '{field_name}'"
    if ref.name == "age_between" and args.get("min", 0) > args.get("max", 0):
        return f"min {args.get('min')} is above max {args.get('max')}"
    return None


def check_guards_that_never_pass(wf: Workflow) -> Iterator[Problem]:
    for i, tr in enumerate(wf.transitions):
        for j, ref in enumerate(tr.guards):
            why = _never_passes(wf, ref, tr.data)
            if why:
                yield Problem(("transitions", i, "guards", j), "guard-never-passes",
                              f"trigger '{tr.trigger}' can never fire: guard '{ref.name}': {why}",
                              severity="warning")


def check_exit_reasons_reachable(wf: Workflow) -> Iterator[Problem]:
    """Warn about exit reasons no way into a terminal step can record."""
    terminal = {s.id for s in wf.steps if s.terminal}
    recordable: set[str] = set()
    for tr in wf.transitions:
        if tr.to not in terminal or "reason" not in tr.data:
            continue
        routing = [g for g in tr.guards if g.name == "data_in" and g.args.get("field") == "reason"]
        if not routing:
            recordable |= {r.code for r in wf.exit_reasons}
        for guard_ref in routing:
            values = guard_ref.args.get("values", [])
            recordable |= set(map(str, values)) if isinstance(values, list) else set()
    for i, reason in enumerate(wf.exit_reasons):
        if reason.code not in recordable:
            yield Problem(("exit_reasons", i, "code"), "exit-reason-unreachable",
                          f"no way into a terminal step can record exit reason '{reason.code}'",
                          severity="warning")


def _national_code(path: Path, what: str, code: str, known: dict[str, str]) -> Iterator[Problem]:
    if code not in known:
        yield Problem(path, f"unknown-national-{what}-code", f"unknown national {what} code '{code}'",
                      closest(code, known) or f"use one of: {', '.join(known)}")


def check_national_followup(wf: Workflow) -> Iterator[Problem]:
    """The mapping to Uppföljning Finsam names real codes on both sides and leaves none out."""
    from pathway.definitions.national import EXIT_CODES, SITUATION_CODES

    national = wf.national_followup
    if national is None:
        return
    base: Path = ("national_followup",)
    reasons = [r.code for r in wf.exit_reasons]
    for code, target in national.exit_reasons.items():
        if code not in reasons:
            yield _unknown(base + ("exit_reasons", code), "exit reason", code, reasons)
        yield from _national_code(base + ("exit_reasons", code), "exit", target, EXIT_CODES)
    missing = [code for code in reasons if code not in national.exit_reasons]
    if missing:
        yield Problem(base + ("exit_reasons",), "exit-reason-not-mapped",
                      f"exit reason(s) {', '.join(repr(m) for m in missing)} have no national code",
                      "map every exit reason, e.g. " + f"{missing[0]}: other")
    situation = national.situation
    if situation is None:
        return
    choices: dict[str, list[str]] = {}
    start = wf.attributes.get(situation.at_start)
    if start is None or start.type != FieldType.CHOICE:
        yield Problem(base + ("situation", "at_start"), "not-a-choice-attribute",
                      f"'{situation.at_start}' is not a choice attribute of the workflow",
                      closest(situation.at_start, [n for n, s in wf.attributes.items() if s.type == FieldType.CHOICE]))
    else:
        choices["at_start"] = list(start.choices or [])
    exit_fields = {name: spec for t in wf.transitions if t.to in wf.terminal_step_ids
                   for name, spec in t.data.items() if spec.type == FieldType.CHOICE}
    at_exit = wf.attributes.get(situation.at_exit) or exit_fields.get(situation.at_exit)
    if at_exit is None or at_exit.type != FieldType.CHOICE:
        yield Problem(base + ("situation", "at_exit"), "not-a-choice-field",
                      f"'{situation.at_exit}' is neither a choice attribute nor a choice field of a trigger into a terminal step",
                      closest(situation.at_exit, list(exit_fields)))
    else:
        choices["at_exit"] = list(at_exit.choices or [])
    known = {c for values in choices.values() for c in values}
    for code, target in situation.codes.items():
        if code not in known:
            yield _unknown(base + ("situation", "codes", code), "situation choice", code, known)
        yield from _national_code(base + ("situation", "codes", code), "situation", target, SITUATION_CODES)
    unmapped = sorted(known - set(situation.codes))
    if unmapped:
        yield Problem(base + ("situation", "codes"), "situation-not-mapped",
                      f"choice(s) {', '.join(repr(u) for u in unmapped)} have no national situation code",
                      f"map every choice of {situation.at_start} and {situation.at_exit}")

def check_step_settings(wf: Workflow) -> Iterator[Problem]:
    """Settings that must fit the transitions: a trigger that starts a placement must say its type."""
    for step in wf.steps:
        if step.kind != "placement" or not isinstance(step.config, dict):
            continue
        types = step.config.get("placement_types") or []
        if not isinstance(types, list):
            continue
        for j, tr in enumerate(wf.transitions):
            if tr.to != step.id or "employer" not in tr.data:
                continue
            spec = tr.data.get("placement_type")
            if spec is None:
                if len(types) > 1:
                    yield Problem(("transitions", j, "data"), "placement-type-missing",
                                  f"trigger '{tr.trigger}' starts a placement in step '{step.id}', which allows "
                                  f"{', '.join(map(str, types))}, but does not take data 'placement_type'",
                                  f"add  placement_type: {{type: choice, choices: [{', '.join(map(str, types))}], "
                                  "required: true}")
                continue
            if spec.type != FieldType.CHOICE or not spec.required:
                yield Problem(("transitions", j, "data", "placement_type"), "placement-type-not-choice",
                              f"data 'placement_type' of trigger '{tr.trigger}' must be a required choice")
            wrong = [c for c in spec.choices or [] if types and c not in types]
            if wrong:
                yield Problem(("transitions", j, "data", "placement_type", "choices"), "placement-type-not-allowed",
                              f"placement type {', '.join(wrong)} is not among the placement_types of step "
                              f"'{step.id}' ({', '.join(map(str, types))})")


CHECKS: list[Callable[[Workflow], Iterator[Problem]]] = [
    check_step_settings,
    check_unique_ids,
    check_initial_step,
    check_references,
    check_graph,
    check_exit_reason_recorded,
    check_shadowed_transitions,
    check_steps_without_deadline,
    check_guards_that_never_pass,
    check_exit_reasons_reachable,
    check_national_followup,
]


def run_checks(wf: Workflow) -> list[Problem]:
    return [problem for check in CHECKS for problem in check(wf)]
