"""Warnings from `workflow validate`: suspicious but runnable workflows load, and say why they are suspicious."""

from __future__ import annotations

from pathway.definitions import validate_text

BASE = """\
id: warn
version: 1
title: Varningar
roles: [{id: coach, title: Coach}]
attributes:
  housing: {type: choice, choices: [own, rented, none]}
  age_known: {type: string}
steps:
  - {id: start, title: Start, kind: referral, owner: coach, initial: true, limit: {within: 2w}}
  - {id: idle, title: Väntar, kind: waiting, owner: coach}
  - {id: done, title: Klar, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: wait, from: start, to: idle}
  - trigger: finish
    from: [start, idle]
    to: done
    guards: [{name: data_in, args: {field: reason, values: [work]}}]
    data: {reason: {type: exit_reason, required: true}}
exit_reasons:
  - {code: work, label: Arbete, category: work}
  - {code: moved, label: Flyttat, category: moved}
"""


def test_warnings_do_not_stop_loading_and_are_located() -> None:
    """A step without deadline and an exit reason nothing records are warnings at their lines; the file loads."""
    report = validate_text(BASE, "w.yaml")
    assert report.ok and report.workflow is not None
    assert report.errors == 0 and report.warnings == 2
    assert report.problems == [
        "w.yaml:10:10: warning[no-deadline]: step 'idle' has no stall limit and no deadline rule leads out of it; "
        "a participant could stall here unnoticed (hint: add  limit: {within: 4w, escalation: [{after: 0d, to: owner}]})",
        "w.yaml:21:12: warning[exit-reason-unreachable]: no way into a terminal step can record exit reason 'moved'",
    ]


def test_guard_that_can_never_pass_is_a_warning() -> None:
    """A guard impossible by the declared code lists and types is named with the reason."""
    text = BASE.replace(
        "  - {trigger: wait, from: start, to: idle}",
        "  - trigger: wait\n    from: start\n    to: idle\n    guards:\n"
        "      - {name: attribute_in, args: {attribute: housing, values: [castle]}}\n"
        "      - {name: attributes_true, args: {attributes: [age_known]}}\n"
        "      - {name: data_in, args: {field: colour, values: [red]}}\n"
        "      - {name: age_between, args: {min: 60, max: 20}}",
    )
    lines = [line for line in validate_text(text, "w.yaml").problems if "guard-never-passes" in line]
    assert [line.split(": ", 2)[2] for line in lines] == [
        "trigger 'wait' can never fire: guard 'attribute_in': none of ['castle'] is among the choices of 'housing'",
        "trigger 'wait' can never fire: guard 'attributes_true': attribute 'age_known' is string, so it is never true",
        "trigger 'wait' can never fire: guard 'data_in': the trigger carries no data 'colour'",
        "trigger 'wait' can never fire: guard 'age_between': min 60 is above max 20",
    ]
    assert [line.split(": ")[0] for line in lines] == ["w.yaml:17:9", "w.yaml:18:9", "w.yaml:19:9", "w.yaml:20:9"]
    assert all("warning[guard-never-passes]" in line for line in lines)


def test_a_rule_leading_out_of_a_step_counts_as_its_deadline() -> None:
    """A step left by a deadline rule's target (Flen's application → first meeting) needs no limit of its own."""
    text = BASE.replace("  - {id: idle, title: Väntar, kind: waiting, owner: coach}",
                        "  - {id: idle, title: Väntar, kind: waiting, owner: coach}").replace(
        "exit_reasons:",
        "deadlines:\n  - {id: leave_idle, title: Lämna, start: {enrolled: true}, target: {entered: done}, within: 3w}\n"
        "exit_reasons:")
    assert not any("no-deadline" in line for line in validate_text(text, "w.yaml").problems)
