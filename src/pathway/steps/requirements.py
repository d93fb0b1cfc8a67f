"""What a step's settings and the workflow's rules require of a trigger, beyond its named guards.

- A trigger into a meeting step whose settings name ``parties`` or ``confirm_consent`` needs a
  meeting record of that step's type, held since the participant's last step change and no later
  than the trigger: naming every party (by role, or by the role's agency), and with consent
  confirmed at the meeting when ``confirm_consent`` is set.
- A deadline rule that starts at a date attribute makes that attribute required for every trigger
  that moves a participant on from a step before the rule's target, so the rule's clock cannot
  silently never start (Flen's 14-day rule needs the application date).

Both are computed once per workflow version (:class:`StepRequirements`) and judged per firing from
the guard context, like named guards; ``participant show`` lists them as reasons a trigger is blocked.
"""

from __future__ import annotations

from dataclasses import dataclass

from pathway.clock import format_local
from pathway.definitions.models import DeadlineRule, GuardRef, Transition, Workflow
from pathway.domain.records import Meeting
from pathway.steps.guards import GUARDS, GuardContext
from pathway.steps.kinds import MeetingConfig, step_config


@dataclass(frozen=True)
class MeetingRequirement:
    step: str
    parties: tuple[str, ...]
    confirm_consent: bool
    #: role id → its agency, so an attendee named by agency covers the role
    agency_of: dict[str, str]

    def _missing(self, meeting: Meeting) -> list[str]:
        present = meeting.present()
        missing = [p for p in self.parties if p not in present and self.agency_of.get(p) not in present]
        problems = []
        if missing:
            problems.append(f"the meeting record of {format_local(meeting.at)} does not name "
                            f"{', '.join(missing)} among the attendees")
        if self.confirm_consent and not meeting.consent_confirmed_for:
            problems.append(f"consent was not confirmed at the meeting of {format_local(meeting.at)} "
                            "(record it with --consent-confirmed)")
        return problems

    def reasons(self, context: GuardContext) -> list[str]:
        since = context.step_entered_at
        held = [m for m in context.records.meetings
                if m.type == self.step and not m.no_show and m.at <= context.effective_at
                and m.seq > context.step_entered_seq and (since is None or m.at >= since)]
        if not held:
            when = f" since {format_local(since)}" if since is not None else ""
            return [f"step '{self.step}' needs a meeting record{when}: "
                    f"pathway meeting record ID --type {self.step} --attendee AGENCY:USER …"
                    + (f" naming {', '.join(self.parties)}" if self.parties else "")
                    + (" --consent-confirmed" if self.confirm_consent else "")]
        problems: list[str] = []
        for meeting in reversed(held):  # any one record that satisfies everything will do
            problems = self._missing(meeting)
            if not problems:
                return []
        return self._missing(held[-1])


@dataclass(frozen=True)
class AttributeRequirement:
    rule: DeadlineRule
    attribute: str

    def reasons(self, context: GuardContext) -> list[str]:
        if context.attributes.get(self.attribute) not in (None, ""):
            return []
        guard_context = GuardContext(context.attributes, {}, context.step, context.effective_at, context.enrolled_at,
                                     context.records)
        if any(GUARDS[g.name].evaluate(guard_context, g.args) for g in self.rule.applies_if):
            return []  # the rule does not apply to this participant
        return [f"attribute '{self.attribute}' must be recorded: it starts the deadline "
                f"'{self.rule.id}' ({self.rule.title})"]


def _reachable(wf: Workflow, start: set[str]) -> set[str]:
    edges: dict[str, set[str]] = {}
    for tr in wf.transitions:
        if tr.to is not None:
            for source in wf.sources_of(tr):
                edges.setdefault(source, set()).add(tr.to)
    seen, todo = set(start), list(start)
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _names_attribute(guards: list[GuardRef], attribute: str) -> bool:
    return any(g.name == "attributes_recorded" and attribute in g.args.get("attributes", []) for g in guards)


class StepRequirements:
    """The implicit requirements of one workflow version, by (source step, transition)."""

    def __init__(self, wf: Workflow) -> None:
        self._terminal = {s.id for s in wf.steps if s.terminal}
        agency_of = {r.id: r.agency.value for r in wf.roles if r.agency is not None}
        self.meetings: dict[str, MeetingRequirement] = {}
        for step in wf.steps:
            if step.kind != "meeting":
                continue
            config: MeetingConfig = step_config(step.kind, step.config)
            if config.parties or config.confirm_consent:
                self.meetings[step.id] = MeetingRequirement(step.id, tuple(config.parties), config.confirm_consent,
                                                            agency_of)
        #: step → the attribute requirements of triggers moving on from it
        self.attributes: dict[str, list[AttributeRequirement]] = {}
        for rule in wf.deadlines:
            if rule.start.attribute is None:
                continue
            if rule.target.entered is not None:
                targets = {rule.target.entered}
            else:
                targets = {s for t in wf.transitions if t.trigger == rule.target.trigger for s in wf.sources_of(t)}
            after = _reachable(wf, targets)
            before = {s.id for s in wf.steps if not s.terminal and _reachable(wf, {s.id}) & targets} - after
            if rule.target.trigger is not None:
                before |= targets  # the target trigger itself leaves from these steps
            for step_id in before:
                self.attributes.setdefault(step_id, []).append(AttributeRequirement(rule, rule.start.attribute))

    def reasons(self, transition: Transition, context: GuardContext) -> list[str]:
        """Why ``transition`` is blocked by a step setting or a rule's start (empty when it is not)."""
        if transition.to is None or transition.to in self._terminal:
            return []  # leaving the pathway, a pause or a note is never held up by these
        reasons: list[str] = []
        meeting = self.meetings.get(transition.to)
        if meeting is not None:
            reasons += meeting.reasons(context)
        for requirement in self.attributes.get(context.step, []):
            if not _names_attribute(transition.guards, requirement.attribute):
                reasons += [r for r in requirement.reasons(context) if r not in reasons]
        return reasons
