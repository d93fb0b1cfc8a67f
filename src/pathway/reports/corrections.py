"""``report corrections``: what was corrected, and when — so a period already reported can be checked.

One row per ``corrected`` event of the workflow's participants (voids and struck placement or
intervention entries included: they leave every other report): the participant, the kind, the event it corrected and that event's time,
what the value was and what it became, who corrected it, when and why. ``--from``/``--to`` choose the
corrections by the time of what they corrected (the period a report covered); ``--since`` only those
recorded on or after a day (the day the period was reported). Corrections are few: the rows are read
with one indexed query and laid out here. Nothing is written.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from typing import Any

from sqlalchemy import Connection, and_, select

from pathway.clock import format_local, to_local
from pathway.domain import EventType
from pathway.engine.calendar import start_of_day
from pathway.reports.scope import ReportScope, p
from pathway.reports.table import ReportTable
from pathway.store.tables import events

MEASURES = ["participant", "corrects", "corrected_event_at", "recorded_at", "actor", "previous", "corrected", "reason"]


def corrections_table(session: Connection, scope: ReportScope, since: date | None = None) -> ReportTable:
    corrected = events.alias("correction")
    target = events.alias("corrected_event")
    first_corrected = corrected.c.data["corrects"][0].as_integer()
    conditions = [p.c.workflow_id == scope.workflow.id, corrected.c.type == EventType.CORRECTED.value,
                  corrected.c.recorded_at < scope.as_of_end]
    if since is not None:
        conditions.append(corrected.c.recorded_at >= start_of_day(since))
    query = (select(p.c.id, p.c.ref, p.c.enrolled_at, corrected, target.c.effective_at.label("target_at"))
             .select_from(p.join(corrected, corrected.c.participant_id == p.c.id)
                          .outerjoin(target, and_(target.c.participant_id == p.c.id,
                                                  target.c.seq == first_corrected)))
             .where(*conditions).order_by(corrected.c.recorded_at, p.c.id, corrected.c.seq))
    rows: list[dict[str, Any]] = []
    for row in session.execute(query).mappings():
        data = row["data"]
        kind = data.get("kind")
        # the moment the corrected value belongs to: the struck event's, an amended value's, the enrolment's
        at = row["target_at"] or (row["effective_at"] if kind in ("attribute", "exit", "record") else row["enrolled_at"])
        day = to_local(at).date()
        if scope.period_from and day < scope.period_from or scope.period_to and day > scope.period_to:
            continue
        previous = data.get("previous") or {}
        values = {**(data.get("entry") or data), **({"at": data["at"]} if "at" in data else {})}
        new = data.get("set") or {**{k: v for k, v in values.items() if k in previous}, **(data.get("restored") or {})}
        if kind == "void":
            new = {"status": "voided"}
        elif kind == "strike":
            new = {k: "struck" for k in previous}
        shown = [k for k in previous if k != "last_step_change_at"]
        rows.append({
            "ref": row["ref"] or str(row["id"]), "kind": kind, "participant": row["id"],
            "corrects": ", ".join(f"#{n}" for n in data.get("corrects") or ([data["amends"]] if data.get("amends") else [])),
            "corrected_event_at": format_local(at), "recorded_at": format_local(row["recorded_at"]),
            "actor": row["actor"],
            "previous": "; ".join(f"{k}={_text(previous.get(k), k)}" for k in shown),
            "corrected": "; ".join(f"{k}={_text(new.get(k), k)}" for k in shown if k in new),
            "reason": row["reason"],
        })
    since_text = f", recorded since {since.isoformat()}" if since else ""
    return ReportTable(
        name="corrections", title=f"Corrections{since_text}", dimensions=["ref", "kind"], measures=MEASURES,
        rows=rows, total=len(rows), scope={**scope.describe(), "since": since.isoformat() if since else None},
        notes=[] if rows else ["no corrections"],
    )


def _text(value: Any, key: str = "") -> str:
    if isinstance(value, list):
        return ",".join(map(str, value))
    if key.endswith("_at") and isinstance(value, str):
        return _day(value)
    return "–" if value is None else str(value)


def _day(moment: str) -> str:
    """A stored moment (``exited_at``: ISO, UTC) as the Swedish calendar day, as the other reports date things."""
    try:
        parsed = datetime.fromisoformat(moment)
    except ValueError:
        return moment
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return to_local(parsed).date().isoformat()


__all__ = ["corrections_table"]
