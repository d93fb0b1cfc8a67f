"""Rebuild a participant's projection from its events alone (DESIGN invariant 1).

Used by tests to prove that the projection row written with each event is exactly what the
history says, and available to repair a projection after a bug. The projection itself is
:meth:`Participant.apply`; this only lays its result out as a dict.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import Any

from pathway.domain.participant import Event, Participant

FIELDS = ("step", "status", "attributes", "ref", "enrolled_at", "last_step_change_at", "exited_at",
          "exit_reason", "last_seq", "workflow_version")


def replay(events: Iterable[Event], terminal_steps: Collection[str]) -> dict[str, Any]:
    """The projection's fields as the history gives them (see :meth:`Participant.replay`)."""
    participant = Participant.replay(events, terminal_steps)
    return {name: getattr(participant, name) for name in FIELDS}
