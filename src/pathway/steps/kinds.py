"""Step kinds: what sort of thing happens in a step, and the settings each kind accepts."""

from __future__ import annotations

from dataclasses import dataclass

from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from pathway.domain.duration import DURATION_PATTERN
from pathway.domain.records import PlacementType


class _Config(BaseModel):
    # built when a workflow first configures the kind, not when a command imports the registry
    model_config = ConfigDict(extra="forbid", defer_build=True)


class NoConfig(_Config):
    """This kind takes no settings."""


class MeetingConfig(_Config):
    """A meeting with several parties, e.g. a tripartite meeting (trepartssamtal).

    With ``parties`` or ``confirm_consent``, every trigger into the step needs a meeting record of
    this step's type (``pathway meeting record ID --type STEP``) held since the participant's last
    step change: naming every party, and with consent confirmed for the agencies present.
    """

    parties: list[str] = Field(default_factory=list, description="role ids that the meeting record must name as "
                                                                  "attendees (by role, or by the role's agency)")
    confirm_consent: bool = Field(False, description="the meeting record must confirm consent for the agencies present")
    preparation_minutes: int | None = Field(None, ge=0, description="default preparation time of the meeting record "
                                                                    "(förberedelse), unless --preparation-minutes")
    feedback_minutes: int | None = Field(None, ge=0, description="default feedback time of the meeting record "
                                                                 "(återkoppling), unless --feedback-minutes")


class GroupActivityConfig(_Config):
    """Group work, e.g. Kraft's two half-days a week plus wellness.

    A group (``pathway group create --step STEP``) in this step takes its session lengths from
    ``hours_per_session`` and ``wellness_hours_per_week``, its planned hours a week from all three,
    and may not hold more members than ``group_size``.
    """

    sessions_per_week: int | None = Field(None, ge=0, description="planned sessions a week (attendance report)")
    hours_per_session: float | None = Field(None, ge=0, description="default length of a session in hours")
    wellness_hours_per_week: float | None = Field(None, ge=0, description="default length of the weekly wellness "
                                                                          "session (friskvård) in hours")
    group_size: int | None = Field(None, ge=1, description="most members a group in this step may have")


class PlacementConfig(_Config):
    """Internship, work training or work trial at an employer under an agreement.

    A trigger into the step that carries data ``employer`` (and ``placement_type`` when more than
    one type is allowed) starts the placement record; a trigger out of the step that takes data
    ``outcome`` ends it. A placement started
    while in the step takes ``contact_every``, ``target_hours_per_week`` and ``weeks`` from here.
    """

    placement_types: list[PlacementType] = Field(default_factory=list,
                                                 description="the types a placement in this step may be; empty: any")
    target_hours_per_week: float | None = Field(None, ge=0, description="the placement's goal in hours a week, "
                                                                        "reported against the hours recorded at follow-ups")
    weeks: int | None = Field(None, ge=1, description="planned length in weeks: the placement's end unless given")
    contact_every: str | None = Field(None, pattern=DURATION_PATTERN,
                                      description="follow-up contact interval: each contact is a deadline")


@dataclass(frozen=True)
class StepKind:
    name: str
    description: str
    config_model: type[BaseModel] = NoConfig
    #: Kinds that end a pathway must be marked ``terminal: true``.
    terminal_only: bool = False


STEP_KINDS: dict[str, StepKind] = {
    kind.name: kind
    for kind in [
        StepKind("referral", "a referral or application arrives (remiss, ansökan)"),
        StepKind("assessment", "an inclusion check or mapping interview (kartläggning)"),
        StepKind("meeting", "a meeting with the participant and agencies", MeetingConfig),
        StepKind("group_activity", "a group phase (motivation, activation …)", GroupActivityConfig),
        StepKind("plan", "the action plan is written or followed up (handlingsplan)"),
        StepKind("guidance", "individual guidance: portfolio, occupations, CV, job search"),
        StepKind("placement", "internship, work training or work trial", PlacementConfig),
        StepKind("handover", "handover to another agency, carrying the journey"),
        StepKind("follow_up", "follow-up meetings until an outcome"),
        StepKind("waiting", "waiting for a decision or a start date"),
        StepKind("exit", "the participant has left the pathway (avslut)", terminal_only=True),
    ]
}


def step_config(kind: str, config: dict[str, Any]) -> Any:
    """A step's settings as its kind's model (the validator has already accepted them)."""
    found = STEP_KINDS.get(kind)
    return (found.config_model if found else NoConfig).model_validate(config)
