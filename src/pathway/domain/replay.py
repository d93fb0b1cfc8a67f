"""Rebuild a participant's projection from its events alone (DESIGN invariant 1).

Used by tests to prove that the projection row written with each event is exactly what the
history says, and available to repair a projection after a bug.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from pathway.domain.participant import Event, EventType, ParticipantStatus


def replay(events: Iterable[Event], terminal_steps: set[str]) -> dict[str, Any]:
    state: dict[str, Any] = {
        "step": None, "status": ParticipantStatus.OPEN.value, "attributes": {}, "ref": None,
        "enrolled_at": None, "last_step_change_at": None, "exited_at": None, "exit_reason": None,
        "last_seq": 0, "workflow_version": None,
    }
    for event in sorted(events, key=lambda e: e.seq):
        state["last_seq"] = event.seq
        state["workflow_version"] = event.workflow_version
        if event.type == EventType.ENROLLED:
            state.update(
                step=event.to_step, enrolled_at=event.effective_at,
                last_step_change_at=event.effective_at, ref=event.data.get("ref"),
                attributes=dict(event.data.get("attributes", {})),
            )
        elif event.type == EventType.TRANSITION and event.to_step is not None:
            state["step"] = event.to_step
            state["last_step_change_at"] = event.effective_at
            if event.to_step in terminal_steps:
                state.update(status=ParticipantStatus.EXITED.value, exited_at=event.effective_at,
                             exit_reason=event.data.get("reason"))
        elif event.type == EventType.MIGRATED:
            if event.to_step != event.from_step:
                state["step"] = event.to_step
                state["last_step_change_at"] = event.effective_at
        elif event.type == EventType.ATTRIBUTES_SET:
            state["attributes"] = {**state["attributes"], **event.data.get("set", {})}
    return state
