"""Step kinds: what sort of thing happens in a step, and the settings each kind accepts."""

from __future__ import annotations

from dataclasses import dataclass

from pydantic import BaseModel, ConfigDict, Field


class _Config(BaseModel):
    model_config = ConfigDict(extra="forbid")


class NoConfig(_Config):
    """This kind takes no settings."""


class MeetingConfig(_Config):
    """A meeting with several parties, e.g. a tripartite meeting (trepartssamtal)."""

    parties: list[str] = Field(default_factory=list, description="role ids taking part")
    confirm_consent: bool = Field(False, description="the meeting opens by confirming consent")
    preparation_minutes: int | None = Field(None, ge=0)
    feedback_minutes: int | None = Field(None, ge=0)


class GroupActivityConfig(_Config):
    """Group work, e.g. Kraft's two half-days a week plus wellness."""

    sessions_per_week: int | None = Field(None, ge=0)
    hours_per_session: float | None = Field(None, ge=0)
    wellness_hours_per_week: float | None = Field(None, ge=0)
    group_size: int | None = Field(None, ge=1)


class PlacementConfig(_Config):
    """Internship, work training or work trial at an employer under an agreement."""

    placement_types: list[str] = Field(default_factory=list)
    target_hours_per_week: float | None = Field(None, ge=0)
    weeks: int | None = Field(None, ge=1)
    contact_every: str | None = Field(None, description="duration between follow-up contacts")


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
