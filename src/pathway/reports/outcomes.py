"""``report outcomes``: the multi-label outcome matrix, one row per participant (Kraft's table).

A participant's outcomes are the exit ``reason`` plus the exit's ``outcomes`` list (a field of
type ``exit_reasons``). The JSON rows are one per (participant, outcome) with ``count: 1``, so the
shape is the same as every cross-tab; the table and workbook show it as a matrix of crosses with a
column total. The matrix lists people, so nothing is aggregated: the database returns one row per
exited participant and this module only spreads the codes into columns.

Participants still in the project at the end of the period are listed too, marked ``ongoing``
(Kraft's table: most of its 26 were "på väg in i, eller är i pågående arbetsträning"); the note
says how many, and ``--exited-only`` leaves them out.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from pathway.definitions.models import FieldType
from pathway.reports.exit_events import exit_event_join
from pathway.reports.scope import ReportScope, p
from pathway.reports.table import ReportTable


#: the outcome of a participant still in the project at the end of the period
ONGOING = "ongoing"
ONGOING_LABEL = "Pågående i projektet"


def outcomes_table(session: Session, scope: ReportScope, with_ongoing: bool = True) -> ReportTable:
    workflow = scope.workflow
    list_fields = sorted({name for t in workflow.transitions for name, spec in t.data.items()
                          if spec.type == FieldType.EXIT_REASONS})
    exit_event, on = exit_event_join(workflow)
    exited = scope.exited_in_period()
    included = or_(exited, scope.open_at(scope.period_end)) if with_ongoing else exited
    # an open participant has no exit event (and an exit after the as-of day is read as not yet made)
    query = (select(p.c.id, p.c.ref, exited.label("exited"), p.c.exit_reason, exit_event.c.data)
             .join_from(p, exit_event, on, isouter=with_ongoing)
             .where(scope.known(), included)
             .order_by(p.c.ref, p.c.id))
    codes = [r.code for r in workflow.exit_reasons]
    rows: list[dict[str, Any]] = []
    participants = ongoing = 0
    for participant_id, ref, has_exited, reason, data in session.execute(query):
        participants += 1
        if has_exited:
            found = {reason} if reason else set()
            for name in list_fields:
                found.update((data or {}).get(name) or [])
        else:
            ongoing += 1
            found = {ONGOING}
        who = ref if ref is not None else f"#{participant_id}"
        rows.extend({"ref": who, "outcome": code, "count": 1}
                    for code in sorted(found, key=lambda c: codes.index(c) if c in codes else len(codes)))
    labels = {r.code: r.label for r in workflow.exit_reasons}
    if with_ongoing:
        labels[ONGOING] = ONGOING_LABEL
    notes = [f"{ongoing} participant(s) still in the project at the end of the period are marked {ONGOING}"] \
        if ongoing else []
    return ReportTable(
        name="outcomes", title="Outcomes per participant (several may apply)", dimensions=["ref", "outcome"],
        rows=rows, total=participants, labels={"outcome": labels},
        scope=scope.describe(), marks=True, notes=notes,
    )
