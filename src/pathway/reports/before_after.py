"""``report before-after``: the situation at enrolment against the situation at exit.

For every participant who exited in the period: the income source and the employment-service code
(AF-kod) recorded at enrolment (the enrolment event's attributes) against those recorded at the
exit (the exit's ``income_source_at_exit`` / ``af_code_at_exit``), as in Utrikesfödda's Table 3
("Före" / "jan-2011"). One ``GROUP BY`` over the pairs of values; the columns are its sums.
"""

from __future__ import annotations

from collections import Counter
from typing import Any

from sqlalchemy import and_, func, select
from sqlalchemy.orm import Session

from pathway.domain import EventType
from pathway.reports.exit_events import exit_event_join
from pathway.reports.scope import ReportScope, p
from pathway.reports.table import ReportTable
from pathway.store.tables import events

#: attribute at enrolment → field of the exit's data
FIELDS = {"income_source": "income_source_at_exit", "af_code": "af_code_at_exit"}


def before_after_table(session: Session, scope: ReportScope) -> ReportTable:
    workflow = scope.workflow
    fields = [name for name in FIELDS if name in workflow.attributes]
    exit_event, on = exit_event_join(workflow)
    enrolled = events.alias("enrolment")
    enrolment_on = and_(enrolled.c.participant_id == p.c.id, enrolled.c.type == EventType.ENROLLED.value)
    # one pass: group by every (at enrolment, at exit) pair of every field; the two columns of the
    # table are sums over those few groups
    columns = [column for name in fields for column in (
        enrolled.c.data[("attributes", name)].as_string().label(f"{name}_before"),
        exit_event.c.data[FIELDS[name]].as_string().label(f"{name}_after"))]
    query = (select(*columns, func.count()).select_from(p).join(exit_event, on).join(enrolled, enrolment_on)
             .where(scope.known(), scope.exited_in_period()).group_by(*[c.name for c in columns]))
    groups = session.execute(query).all()
    total = sum(group[-1] for group in groups)
    rows: list[dict[str, Any]] = []
    for index, name in enumerate(fields):
        before: Counter[Any] = Counter()
        after: Counter[Any] = Counter()
        for group in groups:
            before[group[2 * index]] += group[-1]
            after[group[2 * index + 1]] += group[-1]
        declared = list(workflow.attributes[name].choices or [])
        seen = sorted((v for v in {*before, *after} if v is not None and v not in declared), key=str)
        for value in declared + seen + ([None] if None in before or None in after else []):
            rows.append({"field": name, "value": value, "at_enrolment": before.get(value, 0),
                         "at_exit": after.get(value, 0)})
    return ReportTable(
        name="before_after", title="Situation at enrolment and at exit (participants who exited)",
        dimensions=["field", "value"], measures=["at_enrolment", "at_exit"], rows=rows, total=total,
        suppressible=["at_enrolment", "at_exit"],
        labels={"field": {n: workflow.attributes[n].title or n for n in fields},
                "value": {code: text for n in fields for code, text in (workflow.attributes[n].labels or {}).items()}},
        scope=scope.describe(),
        notes=[] if fields else [f"workflow '{workflow.id}' has neither income_source nor af_code attributes"],
    )
