"""docs/authoring.md: its examples are real — taken from the shipped workflows, and they load."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml

from pathway.definitions import validate_text
from pathway.definitions.models import (
    DeadlineRule,
    ExitReason,
    FieldSpec,
    FollowUpPolicy,
    NationalFollowUp,
    Pauses,
    ResultGoal,
    Role,
    Step,
    Transition,
)
from pathway.steps import GUARDS, STEP_KINDS

REPO = Path(__file__).resolve().parents[2]
DOC = (REPO / "docs" / "authoring.md").read_text(encoding="utf-8")
BLOCKS = re.findall(r"```yaml\n(.*?)```", DOC, flags=re.S)
SHIPPED = "\n".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "workflows").glob("*.yaml")))

SECTION_MODELS = {"roles": Role, "steps": Step, "transitions": Transition, "exit_reasons": ExitReason,
                  "deadlines": DeadlineRule, "result_goals": ResultGoal}


@pytest.mark.parametrize("block", BLOCKS, ids=[b.split(":")[0] for b in BLOCKS])
def test_each_example_is_valid_for_its_section(block: str) -> None:
    """Every YAML example parses and each of its items is a valid model of its section."""
    data = yaml.safe_load(block)
    for section, value in data.items():
        if section == "attributes":
            for spec in value.values():
                FieldSpec.model_validate(spec)
        elif section == "pauses":
            Pauses.model_validate(value)
        elif section == "follow_up":
            FollowUpPolicy.model_validate(value)
        elif section == "interventions":
            assert all(isinstance(kind, str) for kind in value)
        elif section == "national_followup":
            NationalFollowUp.model_validate(value)
        else:
            for item in value:
                SECTION_MODELS[section].model_validate(item)


def test_examples_come_from_the_shipped_workflows() -> None:
    """Each example's ids (steps, triggers, rules, goals) exist in a shipped workflow."""
    for block in BLOCKS:
        for section, value in yaml.safe_load(block).items():
            if section in ("steps", "transitions", "deadlines", "result_goals", "roles"):
                key = "trigger" if section == "transitions" else "id"
                for item in value:
                    assert re.search(rf"\b{key}: {item[key]}\b", SHIPPED), (section, item[key])


def test_every_guard_and_step_kind_is_documented() -> None:
    """The guard and step-kind tables list exactly what the registries know."""
    assert set(re.findall(r"^\| `([a-z_]+)` \| ", DOC, flags=re.M)) >= set(GUARDS) | set(STEP_KINDS)


def test_template_mentioned_in_the_doc_validates() -> None:
    """The template `workflow new` writes (the doc's starting point) is a valid workflow."""
    from pathway.definitions.template import render

    assert validate_text(render("ljusnarsberg_rehab"), "t.yaml").problems == []
