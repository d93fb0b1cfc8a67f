"""``report outcomes``: the multi-label outcome matrix, one row per participant (Kraft's table).

A participant's outcomes are the exit ``reason`` plus the exit's ``outcomes`` list (a field of
type ``exit_reasons``). The JSON rows are one per (participant, outcome) with ``count: 1``, so the
shape is the same as every cross-tab; the table and workbook show it as a matrix of crosses with a
column total. The matrix lists people, so nothing is aggregated: the database returns one row per
exited participant and this module only spreads the codes into columns.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from pathway.definitions.models import FieldType
from pathway.reports.exit_events import exit_event_join
from pathway.reports.scope import ReportScope, p
from pathway.reports.table import ReportTable


def outcomes_table(session: Session, scope: ReportScope) -> ReportTable:
    workflow = scope.workflow
    list_fields = sorted({name for t in workflow.transitions for name, spec in t.data.items()
                          if spec.type == FieldType.EXIT_REASONS})
    exit_event, on = exit_event_join(workflow)
    query = (select(p.c.id, p.c.ref, p.c.exit_reason, exit_event.c.data)
             .join_from(p, exit_event, on)
             .where(scope.known(), scope.exited_in_period())
             .order_by(p.c.ref, p.c.id))
    codes = [r.code for r in workflow.exit_reasons]
    rows: list[dict[str, Any]] = []
    participants = 0
    for participant_id, ref, reason, data in session.execute(query):
        participants += 1
        found = {reason} if reason else set()
        for name in list_fields:
            found.update(data.get(name) or [])
        who = ref if ref is not None else f"#{participant_id}"
        rows.extend({"ref": who, "outcome": code, "count": 1}
                    for code in sorted(found, key=lambda c: codes.index(c) if c in codes else len(codes)))
    return ReportTable(
        name="outcomes", title="Outcomes per participant (several may apply)", dimensions=["ref", "outcome"],
        rows=rows, total=participants, labels={"outcome": {r.code: r.label for r in workflow.exit_reasons}},
        scope=scope.describe(), marks=True,
    )
