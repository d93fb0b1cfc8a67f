"""The exit transition of each exited participant, whose data holds what was true at the exit
(``outcomes``, ``income_source_at_exit``, ``af_code_at_exit``) — or, when that data was corrected,
the ``corrected`` event carrying the corrected data (the original is struck)."""

from __future__ import annotations

from sqlalchemy import ColumnElement, and_, or_
from sqlalchemy.sql.selectable import NamedFromClause

from pathway.definitions.models import Workflow
from pathway.domain import EventType
from pathway.domain.corrections import CorrectionKind
from pathway.reports.scope import not_struck, p
from pathway.store.tables import events


def exit_event_join(workflow: Workflow) -> tuple[NamedFromClause, ColumnElement[bool]]:
    """An alias of ``events`` and the ON clause that finds a participant's exit event."""
    exit_event = events.alias("exit_event")
    terminal = [s.id for s in workflow.steps if s.terminal]
    # the exit transition, or the correction of its data that stands in its place (only that kind: any
    # other correction made after the exit also names the exit step, and would count the participant twice)
    on = and_(exit_event.c.participant_id == p.c.id,
              or_(exit_event.c.type == EventType.TRANSITION.value,
                  and_(exit_event.c.type == EventType.CORRECTED.value,
                       exit_event.c.data["kind"].as_string() == CorrectionKind.EXIT.value)),
              exit_event.c.to_step.in_(terminal), not_struck(exit_event))
    return exit_event, on
