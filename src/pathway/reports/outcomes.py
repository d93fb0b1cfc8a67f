"""``report outcomes``: how many participants reached each outcome (Kraft's outcome table, summed).

A participant's outcomes are the exit ``reason`` plus the exit's ``outcomes`` list (a field of
type ``exit_reasons``); several may apply, so the counts may add up to more than the total, which
counts participants. Participants still in the project at the end of the period are counted under
``ongoing`` (Kraft's table: most of its 26 were "på väg in i, eller är i pågående arbetsträning");
``--exited-only`` leaves them out.

Aggregate only: the table is read by funders and steering groups, who never get a participant's
record, so it holds no ref, id or name — one row per outcome code (every code of the workflow's
list, zeros included, as the seeds print them) with the number of participants. Exports hide small
counts like any cross-tab's. Seeing who had which outcome is a caseworker's read of each record
(``participant show``), access-logged, not a report.
"""

from __future__ import annotations

from collections import Counter

from sqlalchemy import Connection, or_, select

from pathway.definitions.models import FieldType
from pathway.reports.exit_events import exit_event_join
from pathway.reports.scope import ReportScope, p
from pathway.reports.table import ReportTable

#: the outcome of a participant still in the project at the end of the period
ONGOING = "ongoing"
ONGOING_LABEL = "Pågående i projektet"


def outcomes_table(session: Connection, scope: ReportScope, with_ongoing: bool = True) -> ReportTable:
    workflow = scope.workflow
    list_fields = sorted({name for t in workflow.transitions for name, spec in t.data.items()
                          if spec.type == FieldType.EXIT_REASONS})
    exit_event, on = exit_event_join(workflow)
    exited = scope.exited_in_period()
    included = or_(exited, scope.open_at(scope.period_end)) if with_ongoing else exited
    # an open participant has no exit event (and an exit after the as-of day is read as not yet made);
    # the codes of one participant are a set (a reason repeated in the list counts once), so they are
    # gathered here, one row per participant, and only the counts leave this function
    query = (select(exited.label("exited"), p.c.exit_reason, exit_event.c.data)
             .join_from(p, exit_event, on, isouter=with_ongoing)
             .where(scope.known(), included))
    counts: Counter[str] = Counter()
    participants = 0
    for has_exited, reason, data in session.execute(query):
        participants += 1
        if not has_exited:
            counts[ONGOING] += 1
            continue
        found = {reason} if reason else set()
        for name in list_fields:
            found.update((data or {}).get(name) or [])
        counts.update(found)
    codes = [r.code for r in workflow.exit_reasons]
    order = codes + sorted(c for c in counts if c not in codes and c != ONGOING) + ([ONGOING] if with_ongoing else [])
    rows = [{"outcome": code, "count": counts.get(code, 0)} for code in order]
    labels = {r.code: r.label for r in workflow.exit_reasons}
    notes = []
    if with_ongoing:
        labels[ONGOING] = ONGOING_LABEL
        if counts[ONGOING]:
            notes.append(f"{counts[ONGOING]} participant(s) still in the project at the end of the period are "
                         f"counted as {ONGOING}")
    if sum(counts.values()) > participants:
        notes.append("several outcomes may apply to one participant: the counts add up to more than the total "
                     "(participants), and each share is of the participants")
    return ReportTable(
        name="outcomes", title="Outcomes (participants with each; several may apply)", dimensions=["outcome"],
        rows=rows, total=participants, labels={"outcome": labels}, scope=scope.describe(), notes=notes,
    )


__all__ = ["ONGOING", "ONGOING_LABEL", "outcomes_table"]
