"""The commented starting point written by ``pathway workflow new NAME``."""

from __future__ import annotations

TEMPLATE = """\
# yaml-language-server: $schema=../schema/workflow.schema.json
# {title} — a new pathway. Every key is explained in docs/authoring.md.
# Check it with:  pathway workflow validate workflows/{id}.yaml

id: {id}              # snake_case; the file is named after it
version: 1            # bump when you change the file; participants keep the version they started on
title: {title}
description: >-
  Vilka är deltagarna, vad är målet, vilka myndigheter samverkar?

roles:                # who owns steps and receives escalations
  - {{id: caseworker, title: Handläggare, agency: soc}}
  - {{id: employment_officer, title: Arbetsförmedlare, agency: af}}
  - {{id: coordinator, title: Samordnare}}
  - {{id: steering_group, title: Styrgrupp}}

attributes:           # what is recorded about a participant (--attr KEY=VALUE, participant set)
  gender: {{type: choice, title: Kön, choices: [female, male, other]}}
  birth_date: {{type: date, title: Födelsedatum}}
  application_date: {{type: date, title: Ansökningsdatum}}
  consent_signed: {{type: boolean, title: Samtycke undertecknat}}

steps:
  - id: referral
    title: Remiss
    kind: referral
    owner: caseworker
    initial: true
  - id: mapping
    title: Kartläggning
    kind: assessment
    owner: coordinator
    limit:            # a stall limit: leave this step within 4 weeks
      within: 4w
      remind_before: 3wd
      escalation:
        - {{after: 0d, to: owner}}
        - {{after: 5wd, to: coordinator}}
        - {{after: 10wd, to: steering_group}}
  - id: exited
    title: Avslutad
    kind: exit
    owner: coordinator
    terminal: true

transitions:
  - trigger: start_mapping
    from: referral
    to: mapping
    guards:
      - {{name: attributes_true, args: {{attributes: [consent_signed]}}}}
  - trigger: exit     # a participant can leave from any step, with a reason
    from: "*"
    to: exited
    data:
      reason: {{type: exit_reason, required: true}}

exit_reasons:         # the project's own outcome codes; category makes projects comparable
  - {{code: work, label: Arbete, category: work}}
  - {{code: studies, label: Studier, category: studies}}
  - {{code: other, label: Annat, category: other}}

deadlines:            # rules between two points, e.g. a first meeting within 14 days
  - id: mapping_within_14_days
    title: Kartläggning påbörjad inom 14 dagar från ansökan
    start: {{attribute: application_date}}
    target: {{entered: mapping}}
    within: 14d
    escalation:
      - {{after: 0d, to: caseworker}}

result_goals:
  - id: half_to_work_or_studies
    title: Minst 50 % till arbete eller studier inom 12 månader
    target_share: 0.5
    within: 12m
    counts: {{exit_categories: [work, studies]}}
"""


def render(workflow_id: str, title: str | None = None) -> str:
    return TEMPLATE.format(id=workflow_id, title=title or workflow_id.replace("_", " ").capitalize())
