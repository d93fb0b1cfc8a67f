"""One ``transitions`` machine per workflow version, shared by every participant on it.

``transitions`` normally binds a machine to model objects, costing tens of kilobytes and real time
per attached model (its issues #146, #379, #434). Here the machine is built once per
(workflow id, version) and never gets a model attached: each firing passes a tiny transient
:class:`_Position` to the machine's event, which runs the guards as transition conditions, picks
the first transition that passes, and sets the destination on the transient object. Memory and time
per operation therefore do not grow with the number of participants (DESIGN invariant 2).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from transitions import EventData, Machine

from pathway.definitions.models import FieldSpec, Transition, Workflow
from pathway.domain.records import Records
from pathway.engine.values import coerce_fields
from pathway.errors import BadInput, GuardFailed, TriggerNotAllowed, field
from pathway.steps.guards import GUARDS, GuardContext
from pathway.steps.requirements import StepRequirements


class _Position:
    """The transient model ``transitions`` reads the current step from and writes the next to."""

    __slots__ = ("state",)

    def __init__(self, step: str) -> None:
        self.state = step


@dataclass(frozen=True)
class Firing:
    """What a trigger did: the transition taken, the steps before and after, the coerced data.

    ``to_step`` is None for a transition that records something without moving (``to`` left out
    in the YAML, e.g. the start of a sick leave).
    """

    transition: Transition
    from_step: str
    to_step: str | None
    data: dict[str, Any]
    terminal: bool

    @property
    def step_after(self) -> str:
        return self.to_step if self.to_step is not None else self.from_step


@dataclass(frozen=True)
class TriggerOption:
    """A trigger available from a step, for ``participant show``: blocked or not, and why."""

    trigger: str
    blocked_by: list[str]
    data: dict[str, FieldSpec]


class PathwayMachine:
    def __init__(self, definition: Workflow) -> None:
        self.definition = definition
        self._terminal = frozenset(s.id for s in definition.steps if s.terminal)
        #: what step settings (meeting records) and rule starts require, beyond named guards
        self.requirements = StepRequirements(definition)
        #: (trigger, step) → the transitions that may fire, in file order
        self._candidates: dict[tuple[str, str], list[Transition]] = {}
        #: (trigger, step) → the data the trigger takes from the step (data_fields, worked out once)
        self._data_fields: dict[tuple[str, str], dict[str, FieldSpec]] = {}
        self.machine = Machine(
            model=None,
            states=definition.step_ids,
            initial=definition.initial_step.id,
            auto_transitions=False,
            send_event=True,
            ignore_invalid_triggers=False,
        )
        for transition in definition.transitions:
            sources = definition.sources_of(transition)
            for source in sources:
                self._candidates.setdefault((transition.trigger, source), []).append(transition)
            self.machine.add_transition(
                transition.trigger,
                source=sources,  # type: ignore[arg-type]  # transitions' stub: list is invariant
                dest=transition.to,
                conditions=[self._condition(transition)],
                after=[self._remember(transition)],
            )

    # -- building blocks ---------------------------------------------------------------------

    def _condition(self, transition: Transition):  # type: ignore[no-untyped-def]
        def passes(event: EventData) -> bool:
            reasons = self.blocking_reasons(transition, event.kwargs["context"], judge_data=True)
            event.kwargs["reasons"].extend(r for r in reasons if r not in event.kwargs["reasons"])
            return not reasons

        return passes

    @staticmethod
    def _remember(transition: Transition):  # type: ignore[no-untyped-def]
        def chosen(event: EventData) -> None:
            event.kwargs["chosen"].append(transition)

        return chosen

    def blocking_reasons(self, transition: Transition, context: GuardContext, judge_data: bool) -> list[str]:
        """Why ``transition`` cannot fire now; empty when it can."""
        reasons = []
        if judge_data:
            reasons += [
                f"data '{name}' is required" for name, spec in transition.data.items()
                if spec.required and context.data.get(name) in (None, "", [])
            ]
        for ref in transition.guards:
            spec = GUARDS[ref.name]
            if spec.reads_data and not judge_data:
                continue
            reasons += [f"guard '{ref.name}': {reason}" for reason in spec.evaluate(context, ref.args)]
        reasons += self.requirements.reasons(transition, context)
        return reasons

    # -- questions ---------------------------------------------------------------------------

    def triggers_from(self, step: str) -> list[str]:
        return sorted({trigger for (trigger, source) in self._candidates if source == step})

    def is_terminal(self, step: str) -> bool:
        return step in self._terminal

    @property
    def terminal_steps(self) -> frozenset[str]:
        """The steps that end the pathway (the definition's ``terminal_step_ids``, made once)."""
        return self._terminal

    def data_fields(self, trigger: str, step: str) -> dict[str, FieldSpec]:
        """The data a trigger takes from a step (the union over its transitions); a new dict each time."""
        known = self._data_fields.get((trigger, step))
        if known is None:
            known = {}
            for transition in self._candidates.get((trigger, step), []):
                for name, spec in transition.data.items():
                    known.setdefault(name, spec)
            if (trigger, step) in self._candidates:  # the definition is immutable: keep it
                self._data_fields[(trigger, step)] = known
        return dict(known)

    def options(self, step: str, context: GuardContext) -> list[TriggerOption]:
        """Every trigger from ``step``; blocked ones say by which guard (data not yet judged)."""
        result = []
        for trigger in self.triggers_from(step):
            candidates = self._candidates[(trigger, step)]
            reasons: list[str] = []
            for transition in candidates:
                blocked = self.blocking_reasons(transition, context, judge_data=False)
                if not blocked:
                    reasons = []
                    break
                reasons += [r for r in blocked if r not in reasons]
            result.append(TriggerOption(trigger, reasons, self.data_fields(trigger, step)))
        return result

    # -- firing ------------------------------------------------------------------------------

    def fire(
        self,
        step: str,
        trigger: str,
        raw_data: Mapping[str, Any],
        attributes: Mapping[str, Any],
        effective_at: datetime,
        enrolled_at: datetime,
        records: Records | None = None,
        step_entered_at: datetime | None = None,
        step_entered_seq: int = 0,
    ) -> Firing:
        """Decide what ``trigger`` does from ``step``; raises if not allowed, data bad or guards fail."""
        if (trigger, step) not in self._candidates:
            raise TriggerNotAllowed(trigger, step, self.triggers_from(step))
        data = coerce_fields(
            self.data_fields(trigger, step), raw_data, self.definition, "data",
            f"for trigger '{trigger}'",
        )
        context = GuardContext(attributes, data, step, effective_at, enrolled_at, records or Records(),
                               step_entered_at, step_entered_seq)
        self._refuse_missing_data(trigger, step, context)
        position = _Position(step)
        reasons: list[str] = []
        chosen: list[Transition] = []
        event = self.machine.events[trigger]
        if not event.trigger(position, context=context, reasons=reasons, chosen=chosen):
            raise GuardFailed(trigger, step, reasons)
        transition = chosen[0]
        to_step = None if transition.to is None else position.state
        return Firing(transition, step, to_step, data, self.is_terminal(position.state))

    def _refuse_missing_data(self, trigger: str, step: str, context: GuardContext) -> None:
        """Missing data that every way of firing needs is bad input (exit 2), not a rule refusal."""
        missing_everywhere: set[str] | None = None
        for transition in self._candidates[(trigger, step)]:
            missing = {n for n, s in transition.data.items() if s.required and context.data.get(n) in (None, "", [])}
            missing_everywhere = missing if missing_everywhere is None else missing_everywhere & missing
        if missing_everywhere:
            name = sorted(missing_everywhere)[0]
            spec = self.data_fields(trigger, step)[name]
            choices = spec.choices or (
                [r.code for r in self.definition.exit_reasons] if spec.type.value.startswith("exit_reason") else None
            )
            accepted = f" ({', '.join(choices)})" if choices else f" ({spec.type.value})"
            raise BadInput(
                f"trigger '{trigger}' needs data '{name}'{accepted}; give it with {field('data')} {name}=VALUE"
            )


class MachineCache:
    """Built machines by (workflow id, version): built once per process, reused for everyone."""

    def __init__(self) -> None:
        self._machines: dict[tuple[str, int], PathwayMachine] = {}

    def get(self, definition: Workflow, version: int) -> PathwayMachine:
        key = (definition.id, version)
        machine = self._machines.get(key)
        if machine is None:
            machine = self._machines[key] = PathwayMachine(definition)
        return machine

    def __len__(self) -> int:
        return len(self._machines)
