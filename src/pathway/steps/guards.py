"""Named guards: conditions a transition needs, each explaining itself when it fails.

A guard returns the list of reasons it blocks (empty when it passes), so ``participant show`` can
say *why* a trigger is blocked, not only *that* it is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, Generic, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field

from pathway.clock import to_local
from pathway.domain.agency import Agency
from pathway.domain.records import Records


@dataclass(frozen=True)
class GuardContext:
    """What a guard may look at: the participant's attributes and the data the trigger carries."""

    attributes: Mapping[str, Any]
    data: Mapping[str, Any]
    step: str
    effective_at: datetime
    enrolled_at: datetime
    #: consent, plan, placements and interventions, folded from the history
    records: Records = field(default_factory=Records)
    #: when the participant entered the current step (a meeting record must be held since then)
    step_entered_at: datetime | None = None
    #: the sequence number of that step change (a meeting record must come after it)
    step_entered_seq: int = 0


class GuardArgs(BaseModel):
    # built when a workflow first names the guard, not when a command imports the registry
    model_config = ConfigDict(extra="forbid", defer_build=True)

    def attributes_used(self) -> list[str]:
        """Attribute names this guard reads, so the checks can verify they are declared."""
        return []


A = TypeVar("A", bound=GuardArgs)


@dataclass(frozen=True)
class GuardSpec(Generic[A]):
    name: str
    description: str
    args_model: type[A]
    check: Callable[[GuardContext, A], list[str]]
    #: Guards that look at the trigger's data cannot be judged before the data is given, so
    #: ``participant show`` does not count them as blocking.
    reads_data: bool = False

    def evaluate(self, context: GuardContext, args: Mapping[str, Any]) -> list[str]:
        return self.check(context, self.args_model.model_validate(dict(args)))


GUARDS: dict[str, GuardSpec[Any]] = {}


GuardCheck = Callable[[GuardContext, A], list[str]]


def guard(
    name: str, description: str, args_model: type[A], reads_data: bool = False
) -> Callable[[GuardCheck[A]], GuardCheck[A]]:
    """Register a guard under ``name``; its arguments are validated by ``args_model``."""

    def register(check: GuardCheck[A]) -> GuardCheck[A]:
        GUARDS[name] = GuardSpec(name, description, args_model, check, reads_data)
        return check

    return register


def _text(value: Any) -> str:
    """A value as the YAML and the CLI write it (true, not True)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, tuple)):
        return ", ".join(_text(v) for v in value)
    return str(value)


def _shown(value: Any) -> str:
    return "not recorded" if value is None else f"recorded as {_text(value)}"


class AttributesArgs(GuardArgs):
    attributes: list[str] = Field(min_length=1)

    def attributes_used(self) -> list[str]:
        return list(self.attributes)


@guard("attributes_true", "every named yes/no attribute is recorded as true", AttributesArgs)
def attributes_true(ctx: GuardContext, args: AttributesArgs) -> list[str]:
    failing = [name for name in args.attributes if ctx.attributes.get(name) is not True]
    if len(failing) == 1:
        return [f"attribute '{failing[0]}' must be true ({_shown(ctx.attributes.get(failing[0]))})"]
    if failing:
        listed = ", ".join(f"'{name}' ({_shown(ctx.attributes.get(name))})" for name in failing)
        return [f"attributes must be true: {listed}"]
    return []


@guard("attributes_recorded", "every named attribute has a value", AttributesArgs)
def attributes_recorded(ctx: GuardContext, args: AttributesArgs) -> list[str]:
    missing = [f"'{name}'" for name in args.attributes if ctx.attributes.get(name) in (None, "", [])]
    if len(missing) == 1:
        return [f"attribute {missing[0]} must be recorded"]
    return [f"attributes must be recorded: {', '.join(missing)}"] if missing else []


class AttributeInArgs(GuardArgs):
    attribute: str
    values: list[Any] = Field(min_length=1)

    def attributes_used(self) -> list[str]:
        return [self.attribute]


@guard("attribute_in", "an attribute has one of the listed values", AttributeInArgs)
def attribute_in(ctx: GuardContext, args: AttributeInArgs) -> list[str]:
    value = ctx.attributes.get(args.attribute)
    if value in args.values:
        return []
    return [f"attribute '{args.attribute}' must be one of {_text(args.values)} ({_shown(value)})"]


class AgeBetweenArgs(GuardArgs):
    min: int = Field(ge=0)
    max: int = Field(ge=0)
    attribute: str = "birth_date"
    at: Literal["enrolment", "event"] = "enrolment"

    def attributes_used(self) -> list[str]:
        return [self.attribute]


def _age(born: date, on: date) -> int:
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


@guard("age_between", "age (from a birth date attribute) within min–max, inclusive", AgeBetweenArgs)
def age_between(ctx: GuardContext, args: AgeBetweenArgs) -> list[str]:
    born = ctx.attributes.get(args.attribute)
    if not isinstance(born, date):
        return [f"attribute '{args.attribute}' must be recorded to check the age {args.min}–{args.max}"]
    moment = ctx.enrolled_at if args.at == "enrolment" else ctx.effective_at
    on = to_local(moment).date()
    age = _age(born, on)
    if args.min <= age <= args.max:
        return []
    when = "at enrolment" if args.at == "enrolment" else "on the event date"
    return [f"age {age} {when} is outside {args.min}–{args.max}"]


class DataEqualsArgs(GuardArgs):
    field: str
    values: list[Any] = Field(min_length=1)


@guard("data_in", "the trigger's data field has one of the listed values (for routing)", DataEqualsArgs, reads_data=True)
def data_in(ctx: GuardContext, args: DataEqualsArgs) -> list[str]:
    value = ctx.data.get(args.field)
    if value in args.values:
        return []
    given = "not given" if value is None else f"given {_text(value)}"
    return [f"data '{args.field}' must be one of {_text(args.values)} ({given})"]


class ConsentArgs(GuardArgs):
    agencies: list[Agency] = Field(min_length=1)  # the one code list (pathway.domain.agency)


@guard("consent_in_force", "the participant's consent covers every named agency on the event date", ConsentArgs)
def consent_in_force(ctx: GuardContext, args: ConsentArgs) -> list[str]:
    on = to_local(ctx.effective_at).date()
    return [ctx.records.consent.why_not(agency, on) for agency in args.agencies
            if agency not in ctx.records.consent.agencies_in_force(on)]


class NoArgs(GuardArgs):
    pass


@guard("consent_confirmed_today", "consent was given or confirmed on the event's date (Flen opens every meeting so)", NoArgs)
def consent_confirmed_today(ctx: GuardContext, args: NoArgs) -> list[str]:
    on = to_local(ctx.effective_at).date()
    last = ctx.records.consent.last_confirmed_at
    if last is not None and to_local(last).date() == on:
        return []
    when = "never" if last is None else f"last on {to_local(last).date()}"
    return [f"consent must be confirmed today (pathway consent confirm); it was {when}"]
