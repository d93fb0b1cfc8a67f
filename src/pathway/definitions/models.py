"""The shape of a workflow file, as pydantic v2 models.

These models are the single source of truth for what a YAML pathway may contain: the loader
validates against them, ``pathway workflow schema`` exports their JSON Schema for editors, and the
engine reads them. Cross-references (does this step exist? this role?) are checked separately in
:mod:`pathway.definitions.checks`, so that every problem in a file is reported at once.
"""

from __future__ import annotations

from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    StringConstraints,
    WithJsonSchema,
    field_validator,
    model_validator,
)

from pathway.definitions.field_types import FieldType as FieldType
from pathway.domain.agency import Agency
from pathway.domain.duration import DURATION_PATTERN, Duration
from pathway.domain.records import PlacementType
from pathway.limits import MAX_NUMBER, MAX_VERSION

#: Step ids, trigger names, role ids, attribute names: English snake_case.
Identifier = Annotated[
    str,
    StringConstraints(pattern=r"^[a-z][a-z0-9_]*$", max_length=64),
    Field(description="snake_case identifier, e.g. first_meeting"),
]
def _within_limit(text: str) -> str:
    Duration.parse(text)  # refuses what the calendar cannot count (ValueError → a located error)
    return text


DurationText = Annotated[
    str,
    StringConstraints(pattern=DURATION_PATTERN),
    AfterValidator(_within_limit),
    Field(description="14d (calendar days), 10wd (working days), 3w (weeks) or 6m (months)"),
]

#: Rungs of an escalation ladder at most (each up to 20 years: every date stays countable).
MAX_RUNGS = 10

#: ``from: "*"`` — the transition leaves from every non-terminal step.
ANY_STEP = "*"


class Strict(BaseModel):
    """Unknown keys are errors: a misspelt key must not silently do nothing."""

    # built on the first validation (a whole workflow at once), not when a command imports the
    # models only to name their types: listing participants never validates a workflow file
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)


class CaseAccess(StrEnum):
    """Which caseworkers of the workflow may work with a participant (coordinators: always all)."""

    WORKFLOW = "workflow"  # every member holding a caseworker role
    AGENCY = "agency"  # the responsible caseworker's agency, and the named contacts
    ASSIGNED = "assigned"  # only the responsible caseworker and the named contacts


_CHOICE_TYPES = {FieldType.CHOICE, FieldType.MULTI_CHOICE}
_NUMBER_TYPES = {FieldType.INTEGER, FieldType.NUMBER}


class FieldSpec(Strict):
    """A typed value: a participant attribute, or data a trigger carries."""

    type: FieldType = FieldType.STRING
    title: str | None = Field(None, description="Swedish label shown to caseworkers")
    required: bool = False
    choices: list[Identifier] | None = Field(
        None, description="allowed codes; required for choice and multi_choice"
    )
    labels: dict[Identifier, str] | None = Field(
        None, description="Swedish label per choice code, printed by reports, e.g. {female: Kvinna, male: Man}"
    )
    min: float | None = Field(
        None, ge=-MAX_NUMBER, le=MAX_NUMBER,
        description="integer and number only: the smallest value accepted (default -10^12)",
    )
    max: float | None = Field(
        None, ge=-MAX_NUMBER, le=MAX_NUMBER,
        description="integer and number only: the largest value accepted (default 10^12)",
    )

    @model_validator(mode="after")
    def _choices_match_type(self) -> FieldSpec:
        if self.type in _CHOICE_TYPES and not self.choices:
            raise ValueError(f"type {self.type.value} needs a non-empty 'choices' list")
        if self.type not in _CHOICE_TYPES and self.choices is not None:
            raise ValueError(
                f"'choices' only applies to choice and multi_choice, not to {self.type.value}"
            )
        for bound in ("min", "max"):
            if getattr(self, bound) is not None and self.type not in _NUMBER_TYPES:
                raise ValueError(f"'{bound}' only applies to integer and number, not to {self.type.value}")
        if self.min is not None and self.max is not None and self.min > self.max:
            raise ValueError(f"'min' ({self.min:g}) is greater than 'max' ({self.max:g}); no value could be recorded")
        if self.labels is not None:
            if self.type not in _CHOICE_TYPES:
                raise ValueError(f"'labels' only applies to choice and multi_choice, not to {self.type.value}")
            unknown = sorted(set(self.labels) - set(self.choices or []))
            if unknown:
                raise ValueError(f"'labels' names {', '.join(unknown)}, which is not among the choices "
                                 f"({', '.join(self.choices or [])})")
        return self


class Role(Strict):
    """Who owns steps and receives escalations: an agency, a person's role, or a group."""

    id: Identifier
    title: str
    agency: Agency | None = None
    description: str | None = None


class GuardRef(Strict):
    """A named guard from the registry in :mod:`pathway.steps.guards`, with its arguments."""

    name: Identifier
    args: dict[str, Any] = Field(default_factory=dict)


#: ``to: owner`` in an escalation ladder: the role that owns the deadline (the step's owner).
OWNER_ROLE = "owner"


class EscalationLevel(Strict):
    """One rung of the escalation ladder: ``after`` the due date (counted from the previous rung)."""

    after: DurationText = "0d"
    to: Identifier = Field(description="role notified at this level, or 'owner' for the deadline's owner")


class StepLimit(Strict):
    """A stall limit: the participant should leave this step within ``within`` of entering it."""

    within: DurationText
    remind_before: DurationText | None = None
    escalation: list[EscalationLevel] = Field(default_factory=list, max_length=MAX_RUNGS)


class Anchor(Strict):
    """A point in a participant's history: a date attribute, enrolment, entering a step, a trigger,
    or a meeting record of a type (``pathway meeting record ID --type TYPE``)."""

    attribute: Identifier | None = None
    entered: Identifier | None = None
    trigger: Identifier | None = None
    enrolled: bool | None = None
    meeting: Identifier | None = Field(None, description="a meeting record of this type (a meeting step's id "
                                                          "or your own type)")

    @model_validator(mode="after")
    def _exactly_one(self) -> Anchor:
        given = [k for k in ("attribute", "entered", "trigger", "enrolled", "meeting") if getattr(self, k)]
        if len(given) != 1:
            raise ValueError(
                "give exactly one of 'attribute', 'entered', 'trigger', 'meeting' or 'enrolled: true'"
            )
        return self


class DeadlineRule(Strict):
    """A rule between two points, e.g. Flen's first meeting within 14 days of the application."""

    id: Identifier
    title: str
    start: Anchor
    target: Anchor
    within: DurationText
    remind_before: DurationText | None = None
    escalation: list[EscalationLevel] = Field(default_factory=list, max_length=MAX_RUNGS)
    owner: Identifier | None = Field(
        None, description="role responsible for the rule (default: the owner of the current step)"
    )
    applies_if: list[GuardRef] = Field(
        default_factory=list, description="guards: the rule applies only when all pass"
    )
    every: DurationText | None = Field(
        None, description="repeat: after each time the target happens, it is due again within this "
                          "(Ljusnarsberg's contact every second week, Flen's follow-up meetings)")
    until: Anchor | None = Field(
        None, description="with 'every': the repetition stops at this point (an exit always stops it)")

    @model_validator(mode="after")
    def _until_needs_every(self) -> DeadlineRule:
        if self.until is not None and self.every is None:
            raise ValueError("'until' stops a repeating rule; give 'every' too, or leave 'until' out")
        return self


class Pauses(Strict):
    """Triggers that stop and restart a participant's clocks (sick leave, parental leave)."""

    pause: list[Identifier] = Field(default_factory=list)
    resume: list[Identifier] = Field(default_factory=list)


class Step(Strict):
    """One step of the pathway (a phase, a meeting, a placement …)."""

    id: Identifier
    title: str = Field(description="Swedish title shown to caseworkers and in diagrams")
    kind: Identifier = Field(description="step kind from the registry, e.g. meeting, placement")
    owner: Identifier = Field(description="role responsible while a participant is here")
    description: str | None = None
    initial: bool = False
    terminal: bool = False
    limit: StepLimit | None = Field(None, description="stall limit for this step")
    config: dict[str, Any] = Field(default_factory=dict, description="settings for the step kind")


class Transition(Strict):
    """A trigger that moves a participant from one (or several, or any) step to another."""

    trigger: Identifier
    source: Annotated[
        list[str],
        WithJsonSchema({
            "anyOf": [{"type": "string"}, {"type": "array", "items": {"type": "string"}, "minItems": 1}],
            "description": 'a step id, a list of step ids, or "*" for every open step',
        }),
    ] = Field(alias="from", min_length=1)
    to: Identifier | None = Field(
        None, description="the next step; leave out to record the trigger without moving (e.g. sick leave)"
    )
    title: str | None = None
    guards: list[GuardRef] = Field(default_factory=list)
    data: dict[Identifier, FieldSpec] = Field(default_factory=dict)

    @field_validator("source", mode="before")
    @classmethod
    def _one_or_many(cls, value: Any) -> Any:
        return [value] if isinstance(value, str) else value


class OutcomeCategory(StrEnum):
    """Shared outcome categories, so result goals and reports compare across projects."""

    WORK = "work"
    STUDIES = "studies"
    LABOUR_MARKET_PROGRAMME = "labour_market_programme"
    CONTINUED_SUPPORT = "continued_support"
    HEALTH = "health"
    REFERRED = "referred"
    MOVED = "moved"
    OTHER = "other"


class ExitReason(Strict):
    """One code of the workflow's exit-reason list (orsak avslut)."""

    code: Identifier
    label: str
    category: OutcomeCategory


class Improvement(Strict):
    """Two numeric attributes, the later expected to be higher (wellbeing at start and at exit)."""

    before: Identifier = Field(description="number or integer attribute recorded first, e.g. wellbeing_at_start")
    after: Identifier = Field(description="number or integer attribute recorded later, e.g. wellbeing_at_exit")


class GoalCount(Strict):
    """Which participants count towards a goal: any one of the criteria given (the earliest moment counts)."""

    exit_categories: list[OutcomeCategory] = Field(default_factory=list)
    exit_reasons: list[Identifier] = Field(default_factory=list)
    reached_step: Identifier | None = None
    placement_hours_at_least: float | None = Field(
        None, gt=0, le=60,
        description="weekly hours recorded at a placement's start or a follow-up reach this (Kraft: 10)")
    improved: Improvement | None = Field(
        None, description="the 'after' attribute is higher than the 'before' one (self-rated wellbeing)")

    @model_validator(mode="after")
    def _something_counts(self) -> GoalCount:
        if not (self.exit_categories or self.exit_reasons or self.reached_step
                or self.placement_hours_at_least is not None or self.improved is not None):
            raise ValueError("name what counts: exit_categories, exit_reasons, reached_step, "
                             "placement_hours_at_least or improved")
        return self


class GoalPeriod(StrEnum):
    YEAR = "year"
    QUARTER = "quarter"
    MONTH = "month"


class ResultGoal(Strict):
    """A result goal for the funder: a share (≥ 50 % to work or studies within 12 months) or a
    count per period (map ≥ 30 participants a year)."""

    id: Identifier
    title: str
    target_share: float | None = Field(
        None, ge=0, le=1, description="share of participants who should count; leave out for a goal without a number")
    target_count: int | None = Field(
        None, ge=1, description="participants who should count in each period (by the day they counted), e.g. 30")
    per: GoalPeriod | None = Field(None, description="the period of a target_count goal (default year)")
    within: DurationText | None = Field(None, description="window counted from enrolment (share goals)")
    excluded_exit_reasons: list[Identifier] = Field(
        default_factory=list,
        description="participants who exited with these reasons are left out of the goal (Kraft's not_included)")
    counts: GoalCount

    @model_validator(mode="after")
    def _share_or_count(self) -> ResultGoal:
        if self.target_share is not None and self.target_count is not None:
            raise ValueError("give target_share or target_count, not both")
        if self.target_count is None and self.per is not None:
            raise ValueError("'per' is the period of a target_count goal; add target_count or remove per")
        if self.target_count is not None and self.within is not None:
            raise ValueError("a target_count goal counts participants per period, by the day they counted; "
                             "'within' applies to target_share goals")
        return self

    @property
    def is_count(self) -> bool:
        return self.target_count is not None


class FollowUpPolicy(Strict):
    """Deadlines for what is recorded around the steps: sub-goal dates and placement contacts."""

    remind_before: DurationText | None = None
    escalation: list[EscalationLevel] = Field(
        default_factory=lambda: [EscalationLevel(after="0d", to=OWNER_ROLE)],
        description="ladder after a sub-goal's date or a missed placement contact",
    )
    placement_contact: dict[PlacementType, DurationText] = Field(
        default_factory=dict,
        description="default contact interval per placement type, e.g. {work_trial: 2w}",
    )


class NationalSituation(Strict):
    """Where the before/after situation (försörjning) is recorded, and its codes in national terms."""

    at_start: Identifier = Field(description="a choice attribute holding the situation at enrolment, e.g. income_source")
    at_exit: Identifier = Field(description="a choice attribute, or a choice field of the exit trigger's data, "
                                            "holding it at exit, e.g. income_source_at_exit")
    codes: dict[str, str] = Field(description="each of their choices → a national situation code (salary, "
                                              "social_assistance, unemployment_insurance, activity_support, "
                                              "sickness_benefit, sickness_or_activity_compensation, study_grant, none, other)")


class NationalFollowUp(Strict):
    """The workflow in the national follow-up of samordningsförbund (Uppföljning Finsam):
    ``pathway export finsam`` writes one row per participant of this individual-oriented intervention."""

    intervention: str | None = Field(None, description="the intervention's name in Uppföljning Finsam (default: the title)")
    exit_reasons: dict[Identifier, str] = Field(
        description="every exit reason code → a national exit code (work, subsidised_work, studies, job_seeker, "
                    "other_intervention, health_care, sickness_or_activity_compensation, social_services, moved, "
                    "own_request, other, registered_in_error)")
    situation: NationalSituation | None = None


class Workflow(Strict):
    """A whole pathway file."""

    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True, title="pathway workflow")

    id: Identifier
    version: int = Field(ge=1, le=MAX_VERSION)
    title: str
    description: str | None = None
    roles: list[Role]
    attributes: dict[Identifier, FieldSpec] = Field(default_factory=dict)
    steps: list[Step] = Field(min_length=1)
    transitions: list[Transition] = Field(min_length=1)
    exit_reasons: list[ExitReason] = Field(default_factory=list)
    deadlines: list[DeadlineRule] = Field(default_factory=list)
    pauses: Pauses = Field(default_factory=Pauses)
    follow_up: FollowUpPolicy = Field(default_factory=FollowUpPolicy)
    interventions: list[Identifier] = Field(
        default_factory=list,
        description="kinds of parallel intervention (health_care, cbt …) this project records; empty: any",
    )
    result_goals: list[ResultGoal] = Field(default_factory=list)
    national_followup: NationalFollowUp | None = Field(
        None, description="mapping to the national follow-up of samordningsförbund (Uppföljning Finsam)")
    case_access: CaseAccess = Field(
        CaseAccess.WORKFLOW,
        description="which caseworkers may work with a participant: workflow (every member), agency (the "
                    "responsible caseworker's agency and the named contacts), assigned (only those assigned); "
                    "coordinators always may")

    # Convenience look-ups used by the engine and the services.
    def step(self, step_id: str) -> Step:
        return next(s for s in self.steps if s.id == step_id)

    @property
    def step_ids(self) -> list[str]:
        return [s.id for s in self.steps]

    @property
    def terminal_step_ids(self) -> frozenset[str]:
        """The steps that end the pathway (a transition into one exits the participant)."""
        return frozenset(s.id for s in self.steps if s.terminal)

    @property
    def initial_step(self) -> Step:
        return next(s for s in self.steps if s.initial)

    def sources_of(self, transition: Transition) -> list[str]:
        """The concrete steps a transition leaves from (``*`` means every non-terminal step)."""
        if ANY_STEP in transition.source:
            return [s.id for s in self.steps if not s.terminal]
        return list(transition.source)

    def exit_reason(self, code: str) -> ExitReason | None:
        return next((r for r in self.exit_reasons if r.code == code), None)


def workflow_json_schema() -> dict[str, Any]:
    """The JSON Schema of a workflow file, as editors (yaml-language-server) and CI use it."""
    schema = Workflow.model_json_schema(by_alias=True)
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}
