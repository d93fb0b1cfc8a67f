"""The workflow loader: YAML text → validated Workflow, or every problem at once, located."""

from __future__ import annotations

import re

import pytest

from pathway.definitions import load_text, validate_text
from pathway.errors import DefinitionInvalid

SOURCE = "wf.yaml"

#: A valid minimal workflow; line numbers below are relied on by the position tests.
MINIMAL = """\
id: demo
version: 1
title: Demo
roles:
  - id: coach
    title: Coach
steps:
  - id: start
    title: Start
    kind: referral
    owner: coach
    initial: true
  - id: done
    title: Done
    kind: exit
    owner: coach
    terminal: true
transitions:
  - trigger: finish
    from: start
    to: done
    data:
      reason: {type: exit_reason, required: true}
exit_reasons:
  - code: work
    label: Arbete
    category: work
"""

#: The head every flow-style variant below shares (10 lines); steps start on line 11.
HEAD = """\
id: demo
version: 1
title: Demo
roles:
  - {id: coach, title: Coach}
attributes:
  ready: {type: boolean}
  born: {type: date}
exit_reasons:
  - {code: work, label: Arbete, category: work}
"""
EXIT = "data: {reason: {type: exit_reason, required: true}}"

LINE = re.compile(r"^(?P<file>[^:]+):(?P<line>\d+):(?P<col>\d+): (?P<sev>error|warning)\[(?P<code>[a-z-]+)\]: (?P<msg>.+)$")


def problems(text: str) -> list[str]:
    """The errors in a text (warnings are pinned in test_warnings.py)."""
    report = validate_text(text, SOURCE)
    return [line for line in report.problems if ": error[" in line]


def codes(text: str) -> list[str]:
    return [LINE.match(p).group("code") for p in problems(text)]  # type: ignore[union-attr]


def only(text: str, code: str) -> list[str]:
    return [p for p in problems(text) if f"[{code}]" in p]


# -- valid files ------------------------------------------------------------------------------


def test_minimal_workflow_loads() -> None:
    """A small valid workflow loads into a Workflow with its steps, initial step and source text."""
    loaded = load_text(MINIMAL, SOURCE)
    wf = loaded.definition
    assert wf.id == "demo" and wf.version == 1
    assert wf.step_ids == ["start", "done"]
    assert wf.initial_step.id == "start"
    assert wf.transitions[0].source == ["start"]
    assert loaded.text == MINIMAL and loaded.source == SOURCE
    assert len(loaded.sha256) == 64
    assert validate_text(MINIMAL, SOURCE).ok


def test_every_problem_line_has_the_located_format() -> None:
    """Each problem is one 'FILE:LINE:COLUMN: error[code]: message' line."""
    bad = MINIMAL.replace("owner: coach\n    initial", "owner: coahc\n    initial").replace("to: done", "to: doen")
    lines = problems(bad)
    assert len(lines) >= 2
    for line in lines:
        match = LINE.match(line)
        assert match, line
        assert match.group("file") == SOURCE


def test_load_text_raises_definition_invalid_listing_every_problem() -> None:
    """load_text raises DefinitionInvalid whose .problems and message hold every located problem."""
    bad = MINIMAL.replace("owner: coach\n    initial", "owner: coahc\n    initial").replace("kind: exit", "kind: exot")
    with pytest.raises(DefinitionInvalid) as caught:
        load_text(bad, SOURCE)
    assert caught.value.problems == problems(bad)
    assert len(caught.value.problems) == 2
    assert caught.value.message == "\n".join(caught.value.problems)
    assert caught.value.exit_code == 2


# -- exact positions --------------------------------------------------------------------------


def test_cross_reference_problems_are_all_reported_with_exact_positions() -> None:
    """Unknown role, step kind and step are all reported at once, each at its value's line:column with a hint."""
    bad = (MINIMAL.replace("owner: coach\n    initial", "owner: coahc\n    initial")
           .replace("kind: exit", "kind: exot").replace("    to: done", "    to: doen"))
    lines = problems(bad)
    assert "wf.yaml:11:12: error[unknown-role]: unknown role 'coahc' (hint: did you mean 'coach'?)" in lines
    assert "wf.yaml:15:11: error[unknown-step-kind]: unknown step kind 'exot' (hint: did you mean 'exit'?)" in lines
    assert "wf.yaml:21:9: error[unknown-step]: unknown step 'doen' (hint: did you mean 'done'?)" in lines


def test_unknown_key_is_reported_at_the_key_with_did_you_mean() -> None:
    """A misspelt key is an error at the key itself, with the right key suggested; the missing one too."""
    lines = problems(MINIMAL.replace("title: Demo", "titel: Demo"))
    assert lines == [
        "wf.yaml:1:1: error[missing-key]: missing required key 'title'",
        "wf.yaml:3:1: error[unknown-key]: unknown key 'titel' (hint: did you mean 'title'?)",
    ]


def test_an_unknown_key_written_with_a_capital_is_reported_like_any_other() -> None:
    """'Title:' is an unknown key at its place with 'title' suggested (it once crashed the loader,
    which took a capitalised name in an error's location for a pydantic union member's name)."""
    lines = problems(MINIMAL.replace("title: Demo", "Title: Demo").replace("    terminal: true", "    Terminal: true"))
    assert "wf.yaml:3:1: error[unknown-key]: unknown key 'Title' (hint: did you mean 'title'?)" in lines
    assert any(line.startswith("wf.yaml:17:5: error[unknown-key]: unknown key 'Terminal' (hint: did you mean 'terminal'?)")
               for line in lines), lines


def test_nested_unknown_keys_all_get_hints_at_their_positions() -> None:
    """Misspelt keys in a step and a transition are both reported, each with a 'did you mean'."""
    text = HEAD + f"""\
steps:
  - {{id: start, title: S, kind: referral, owner: coach, initial: true, limt: {{within: 3d}}}}
  - {{id: done, title: D, kind: exit, owner: coach, terminal: true}}
transitions:
  - {{trigger: finish, from: start, to: done, gaurds: [], {EXIT}}}
"""
    lines = problems(text)
    assert lines == [
        "wf.yaml:12:72: error[unknown-key]: unknown key 'limt' (hint: did you mean 'limit'?)",
        "wf.yaml:15:46: error[unknown-key]: unknown key 'gaurds' (hint: did you mean 'guards'?)",
    ]


def test_unknown_key_without_close_match_lists_the_known_keys() -> None:
    """An unknown key nothing resembles gets the list of accepted keys as its hint."""
    text = MINIMAL.replace("    terminal: true", "    terminal: true\n    colour: red")
    (line,) = problems(text)
    assert line.startswith("wf.yaml:18:5: error[unknown-key]: unknown key 'colour' (hint: known: ")
    assert "kind" in line and "owner" in line and "terminal" in line


# -- malformed YAML ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "position"),
    [
        (MINIMAL.replace("  - id: done", " - id: done"), "13:2"),  # bad indentation
        ("id: demo\n\tversion: 1\n", "2:1"),  # a tab
        ("id: [unclosed\nversion: 1\n", "2:8"),  # an unclosed flow sequence
    ],
    ids=["indentation", "tab", "unclosed-bracket"],
)
def test_malformed_yaml_is_one_yaml_error_with_a_position(text: str, position: str) -> None:
    """Broken YAML gives exactly one error[yaml] at the line:column where the parser gave up."""
    (line,) = problems(text)
    assert line.startswith(f"wf.yaml:{position}: error[yaml]: malformed YAML: ")
    assert not validate_text(text, SOURCE).ok


def test_empty_file_and_non_mapping_are_refused() -> None:
    """An empty file and a top-level list are refused with a message saying what a workflow needs."""
    assert problems("") == [
        "wf.yaml:1:1: error[yaml]: the file is empty; a workflow needs id, version, title, roles, steps and transitions"
    ]
    (line,) = problems("- a\n- b\n")
    assert line.startswith("wf.yaml:1:1: error[not-a-mapping]:")


def test_duplicate_key_is_refused_at_the_second_key() -> None:
    """A repeated key (which PyYAML would silently overwrite) is an error at the second occurrence."""
    assert problems(MINIMAL.replace("version: 1\n", "version: 1\nversion: 2\n")) == [
        "wf.yaml:3:1: error[yaml]: duplicate key 'version'"
    ]
    nested = MINIMAL.replace("    owner: coach\n    initial: true", "    owner: coach\n    owner: coach\n    initial: true")
    assert problems(nested) == ["wf.yaml:12:5: error[yaml]: duplicate key 'owner'"]


# -- the YAML 1.1 boolean trap ----------------------------------------------------------------


def test_yaml11_boolean_words_stay_strings() -> None:
    """Step ids, triggers, data keys and choices spelt no/on/yes/off stay strings, not booleans."""
    text = """\
id: demo
version: 1
title: Demo
roles:
  - {id: coach, title: Coach}
attributes:
  answer: {type: choice, choices: [yes, no, on, off]}
steps:
  - {id: no, title: N, kind: referral, owner: coach, initial: true}
  - {id: yes, title: Y, kind: meeting, owner: coach}
  - {id: off, title: O, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: on, from: no, to: yes, data: {off: {type: boolean}}}
  - {trigger: yes, from: [yes], to: off, data: {reason: {type: exit_reason, required: true}}}
  - {trigger: off, from: no, to: off, data: {reason: {type: exit_reason, required: true}}}
exit_reasons:
  - {code: no, label: Nej, category: other}
"""
    wf = load_text(text, SOURCE).definition
    assert wf.step_ids == ["no", "yes", "off"]
    assert [t.trigger for t in wf.transitions] == ["on", "yes", "off"]
    assert wf.transitions[0].source == ["no"] and wf.transitions[0].to == "yes"
    assert list(wf.transitions[0].data) == ["off"]
    assert wf.attributes["answer"].choices == ["yes", "no", "on", "off"]
    assert wf.exit_reasons[0].code == "no"
    assert all(isinstance(s, str) for s in wf.step_ids)


@pytest.mark.parametrize("word", ["no", "on", "yes", "off", "y", "n"])
def test_each_yaml11_boolean_word_works_as_step_and_trigger(word: str) -> None:
    """A step id and a trigger spelt with any YAML 1.1 boolean word load as that exact string."""
    text = MINIMAL.replace("id: done", f"id: {word}").replace("to: done", f"to: {word}").replace(
        "trigger: finish", f"trigger: {word}")
    wf = load_text(text, SOURCE).definition
    assert wf.step_ids == ["start", word]
    assert wf.transitions[0].trigger == word and wf.transitions[0].to == word


def test_true_and_false_are_still_booleans() -> None:
    """Only true/false are booleans: 'initial: true' still marks the initial step."""
    wf = load_text(MINIMAL, SOURCE).definition
    assert wf.steps[0].initial is True and wf.steps[1].terminal is True


# -- unknown names ----------------------------------------------------------------------------


def test_unknown_guard_attribute_and_bad_guard_args_are_named() -> None:
    """Unknown guard, unknown attribute in guard args and invalid guard args are each reported at their place."""
    text = HEAD + f"""\
steps:
  - {{id: start, title: S, kind: referral, owner: coach, initial: true}}
  - {{id: mid, title: M, kind: meeting, owner: coach}}
  - {{id: done, title: D, kind: exit, owner: coach, terminal: true}}
transitions:
  - trigger: go
    from: start
    to: mid
    guards:
      - name: attributes_true
        args: {{attributes: [readdy]}}
      - name: age_between
        args: {{min: -1, max: 30, attribute: born}}
      - name: atributes_true
      - name: nothing_like_it
  - {{trigger: finish, from: [start, mid], to: done, {EXIT}}}
"""
    lines = problems(text)
    assert lines == [
        "wf.yaml:21:15: error[unknown-attribute]: unknown attribute 'readdy' (hint: did you mean 'ready'?)",
        "wf.yaml:23:21: error[invalid-guard-args]: guard 'age_between': Input should be greater than or equal to 0",
        "wf.yaml:24:15: error[unknown-guard]: unknown guard 'atributes_true' (hint: did you mean 'attributes_true'?)",
        "wf.yaml:25:15: error[unknown-guard]: unknown guard 'nothing_like_it' (hint: known: age_between, "
        "attribute_in, attributes_recorded, attributes_true, consent_confirmed_today, consent_in_force, data_in)",
    ]


def test_guard_args_missing_and_extra_are_refused() -> None:
    """Guard args are validated by the guard's own model: a missing argument and an unknown one are errors."""
    text = HEAD + f"""\
steps:
  - {{id: start, title: S, kind: referral, owner: coach, initial: true}}
  - {{id: done, title: D, kind: exit, owner: coach, terminal: true}}
transitions:
  - trigger: finish
    from: start
    to: done
    guards:
      - {{name: attribute_in, args: {{attribute: ready}}}}
      - {{name: attributes_true, args: {{attributes: [ready], colour: red}}}}
    {EXIT}
"""
    lines = only(text, "invalid-guard-args")
    assert len(lines) == 2
    assert any("guard 'attribute_in'" in line and "required" in line.lower() for line in lines)
    assert any("guard 'attributes_true'" in line and "extra" in line.lower() for line in lines)


def test_invalid_step_kind_config_is_refused() -> None:
    """A step kind's config is validated by the kind's model (unknown setting refused)."""
    text = HEAD + f"""\
steps:
  - {{id: start, title: S, kind: meeting, owner: coach, initial: true, config: {{partys: [coach]}}}}
  - {{id: done, title: D, kind: exit, owner: coach, terminal: true}}
transitions:
  - {{trigger: finish, from: start, to: done, {EXIT}}}
"""
    assert codes(text) == ["invalid-config"]


def test_meeting_parties_must_be_known_roles() -> None:
    """A meeting's parties are role ids; an unknown one is named with a hint."""
    text = HEAD + f"""\
steps:
  - {{id: start, title: S, kind: meeting, owner: coach, initial: true, config: {{parties: [coach, coahc]}}}}
  - {{id: done, title: D, kind: exit, owner: coach, terminal: true}}
transitions:
  - {{trigger: finish, from: start, to: done, {EXIT}}}
"""
    (line,) = problems(text)
    assert "error[unknown-role]: unknown role 'coahc' (hint: did you mean 'coach'?)" in line


# -- graph checks -----------------------------------------------------------------------------


def test_no_initial_step() -> None:
    """A workflow without 'initial: true' is refused, suggesting the first step."""
    text = MINIMAL.replace("    initial: true\n", "")
    assert problems(text) == [
        "wf.yaml:8:3: error[no-initial-step]: no step is marked 'initial: true' (hint: mark the first step, e.g. 'start', with initial: true)"
    ]


def test_two_initial_steps() -> None:
    """A second 'initial: true' is refused at the second one, naming both steps."""
    text = MINIMAL.replace("    terminal: true", "    terminal: true\n    initial: true")
    assert "wf.yaml:18:14: error[several-initial-steps]: more than one initial step: 'start' and 'done'" in problems(text)


def test_graph_problems_are_all_reported_at_once() -> None:
    """Unreachable step, dead end, trap cycle and a shadowed transition are all listed, each at its step."""
    text = HEAD + f"""\
steps:
  - {{id: start, title: S, kind: referral, owner: coach, initial: true}}
  - {{id: loop_a, title: A, kind: meeting, owner: coach}}
  - {{id: loop_b, title: B, kind: meeting, owner: coach}}
  - {{id: island, title: I, kind: meeting, owner: coach}}
  - {{id: stuck, title: St, kind: meeting, owner: coach}}
  - {{id: done, title: D, kind: exit, owner: coach, terminal: true}}
transitions:
  - {{trigger: go, from: start, to: loop_a}}
  - {{trigger: next, from: loop_a, to: loop_b}}
  - {{trigger: back, from: loop_b, to: loop_a}}
  - {{trigger: park, from: start, to: stuck}}
  - {{trigger: finish, from: [start, island], to: done, {EXIT}}}
  - {{trigger: finish, from: start, to: done, {EXIT}}}
"""
    assert problems(text) == [
        "wf.yaml:13:10: error[no-way-to-exit]: no terminal step can be reached from step 'loop_a'",
        "wf.yaml:14:10: error[no-way-to-exit]: no terminal step can be reached from step 'loop_b'",
        "wf.yaml:15:10: error[unreachable-step]: step 'island' cannot be reached from the initial step 'start' "
        "(hint: add a transition into it, or remove it)",
        "wf.yaml:16:10: error[dead-end]: step 'stuck' is not terminal and has no way out "
        "(hint: add a transition from it, or mark it terminal: true)",
        "wf.yaml:24:15: error[shadowed-transition]: transition 'finish' from 'start' can never fire: "
        "transition #5 for the same trigger has no guards and always wins "
        "(hint: give the earlier transition a guard, or remove this one)",
    ]


def test_guarded_transition_is_not_shadowing() -> None:
    """Two transitions for one trigger are fine when the first has a guard (conditional routing)."""
    text = HEAD + f"""\
steps:
  - {{id: start, title: S, kind: referral, owner: coach, initial: true}}
  - {{id: done, title: D, kind: exit, owner: coach, terminal: true}}
transitions:
  - {{trigger: finish, from: start, to: done, guards: [{{name: attributes_true, args: {{attributes: [ready]}}}}], {EXIT}}}
  - {{trigger: finish, from: start, to: done, {EXIT}}}
"""
    assert problems(text) == []


def test_transition_out_of_a_terminal_step() -> None:
    """A transition leaving a terminal step is refused at its 'from'."""
    text = MINIMAL.replace("exit_reasons:", "  - trigger: reopen\n    from: done\n    to: start\nexit_reasons:")
    lines = problems(text)
    assert "wf.yaml:25:11: error[leaves-terminal-step]: transition 'reopen' leaves terminal step 'done' " \
           "(hint: a terminal step ends the pathway; remove 'terminal: true' or the transition)" in lines


def test_transition_into_terminal_step_needs_a_required_reason() -> None:
    """Every way into a terminal step must require a 'reason' exit_reason field (missing, optional, wrong type)."""
    text = HEAD + """\
steps:
  - {id: start, title: S, kind: referral, owner: coach, initial: true}
  - {id: mid, title: M, kind: meeting, owner: coach}
  - {id: done, title: D, kind: exit, owner: coach, terminal: true}
transitions:
  - {trigger: go, from: start, to: mid}
  - {trigger: quit, from: start, to: done}
  - {trigger: finish, from: mid, to: done, data: {reason: {type: exit_reason}}}
  - {trigger: leave, from: mid, to: done, data: {reason: {type: string, required: true}}}
"""
    lines = only(text, "exit-without-reason")
    assert [line.split(": error")[0] for line in lines] == ["wf.yaml:17:5", "wf.yaml:18:50", "wf.yaml:19:49"]
    assert "transition 'quit' ends the pathway in 'done' but does not require an exit reason" in lines[0]


def test_exit_kind_must_be_terminal() -> None:
    """A step of kind 'exit' that is not terminal is refused."""
    text = MINIMAL.replace("    terminal: true\n", "")
    assert "exit-not-terminal" in codes(text)


def test_invalid_duration_is_refused_with_the_accepted_forms() -> None:
    """'14x' is not a duration: reported at its value with what durations look like."""
    text = MINIMAL.replace("    initial: true\n", "    initial: true\n    limit: {within: 14x, remind_before: 3wd}\n")
    assert problems(text) == [
        "wf.yaml:13:21: error[invalid-duration]: invalid duration '14x' (hint: a whole number followed by d "
        "(calendar days), wd (working days), w (weeks) or m (months), e.g. 14d, 10wd, 3w, 6m)"
    ]


def test_invalid_names_and_values_are_refused() -> None:
    """A non-snake_case step id and an unknown enum value are schema errors at their values."""
    text = MINIMAL.replace("  - id: done", "  - id: Done-Step").replace("category: work", "category: wrok")
    lines = problems(text)
    assert any(line.startswith("wf.yaml:13:9: error[invalid-name]: invalid name 'Done-Step'") for line in lines)
    assert any(line.startswith("wf.yaml:27:15: error[invalid-value]: exit_reasons.0.category:") and "'wrok'" in line
               for line in lines)


def test_schema_problems_are_all_reported_at_once() -> None:
    """Several shape errors in different places are all listed in one report."""
    text = (MINIMAL.replace("title: Demo", "titel: Demo").replace("    initial: true\n", "    initial: true\n    limit: {within: 2y}\n")
            .replace("category: work", "category: wrok"))
    assert sorted(codes(text)) == ["invalid-duration", "invalid-value", "missing-key", "unknown-key"]


def test_choice_field_needs_choices() -> None:
    """An attribute of type choice without choices is refused."""
    text = MINIMAL.replace("steps:", "attributes:\n  gender: {type: choice}\nsteps:")
    (line,) = problems(text)
    assert "gender" in line and "choices" in line


def test_choice_labels_must_name_choices_of_a_choice_field() -> None:
    """Labels are for choice codes: a label for a code not in the list, or on a date, is refused."""
    typo = MINIMAL.replace("steps:", "attributes:\n  gender: {type: choice, choices: [female, male], "
                                     "labels: {female: Kvinna, mael: Man}}\nsteps:")
    (line,) = problems(typo)
    assert "gender" in line and "mael, which is not among the choices (female, male)" in line
    on_a_date = MINIMAL.replace("steps:", "attributes:\n  born: {type: date, labels: {x: y}}\nsteps:")
    (line,) = problems(on_a_date)
    assert "'labels' only applies to choice and multi_choice, not to date" in line
