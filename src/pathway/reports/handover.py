"""The journey summary for a handover (överlämning): what happened on the way, so nothing is lost.

Only what the consent in force covers goes into it: without consent for the receiving agency the
summary says so and holds no personal details; interventions by an agency the consent does not
cover are left out. The identity table is never read here (DESIGN invariant 7). Pure: the use case
(access policy, secrecy, access log) is :func:`pathway.services.handover.journey`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from pathway.clock import format_local, iso, to_local
from pathway.domain import EventType
from pathway.domain.records import Records


def summary(definition: Any, participant: Any, events: list[Any], records: Records, records_data: dict[str, Any],
            to_agency: str, now: datetime) -> dict[str, Any]:
    """The summary as JSON-ready data from what the caller may pass on: ``events`` (already filtered
    by secrecy), ``records`` folded from them and ``records_data`` their JSON form."""
    today = to_local(now).date()
    covered = records.consent.agencies_in_force(today)
    summary: dict[str, Any] = {
        "participant_id": participant.id, "ref": participant.ref, "workflow": definition.id,
        "workflow_title": definition.title, "to_agency": to_agency, "prepared_at": iso(now),
        "consent_covers_receiver": to_agency in covered, "consent_in_force_for": sorted(covered),
    }
    if to_agency not in covered:
        summary["withheld"] = records.consent.why_not(to_agency, today)
        return summary
    titles = {s.id: s.title for s in definition.steps}
    steps = []
    for event in events:
        moved = event.type in (EventType.ENROLLED, EventType.TRANSITION, EventType.MIGRATED) \
            and event.to_step is not None and event.to_step != event.from_step
        if moved:
            steps.append({"step": event.to_step, "title": titles.get(event.to_step or "", event.to_step),
                          "entered_at": iso(event.effective_at), "by": event.trigger or event.type})
    data = dict(records_data)
    data["interventions"] = [i for i in data["interventions"] if i["agency"] is None or i["agency"] in covered]
    summary.update({
        "step_now": participant.step, "status": participant.status, "enrolled_at": iso(participant.enrolled_at),
        "attributes": dict(participant.attributes), "steps": steps, "plan": data["plan"],
        "placements": data["placements"], "interventions": data["interventions"],
        "escalations": [{"rule": e.data.get("rule"), "level": e.data.get("level"), "at": iso(e.effective_at)}
                        for e in events if e.type == EventType.ESCALATED],
    })
    return summary


def _when(value: str | None) -> str:
    return format_local(datetime.fromisoformat(value)) if value else ""


def to_markdown(summary: dict[str, Any]) -> str:
    """The same summary for people: Markdown the receiving agency can read or print."""
    who = f"{summary['participant_id']}" + (f" (ref {summary['ref']})" if summary["ref"] else "")
    lines = [f"# Överlämning: deltagare {who}", "",
             f"- Insats: {summary['workflow_title']} ({summary['workflow']})",
             f"- Till: {summary['to_agency']}", f"- Upprättad: {_when(summary['prepared_at'])}",
             f"- Samtycke gäller för: {', '.join(summary['consent_in_force_for']) or 'ingen'}", ""]
    if summary.get("withheld_from_you"):  # secrecy between agencies: what the writer could not see
        lines += ["**Ej med (sekretess):** " + "; ".join(summary["withheld_from_you"]) + ".", ""]
    if not summary["consent_covers_receiver"]:
        lines += [f"**Inga uppgifter lämnas:** {summary['withheld']}.", ""]
        return "\n".join(lines)
    lines += ["## Vägen hittills", "", "| steg | från | genom |", "| --- | --- | --- |"]
    lines += [f"| {s['title']} | {_when(s['entered_at'])} | {s['by']} |" for s in summary["steps"]]
    lines += ["", f"Nu: {summary['step_now']} ({summary['status']})", ""]
    if summary["plan"]:
        lines += ["## Handlingsplan", "", "| id | vad | med vem | senast | uppföljning | status |",
                  "| --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {i['id']} | {i['what']} | {i['with_whom'] or ''} | {i['by'] or ''} | {i['follow_up'] or ''} "
                  f"| {i['status']} |" for i in summary["plan"]]
        lines.append("")
    if summary["placements"]:
        lines += ["## Praktik och arbetsträning", "", "| id | typ | arbetsgivare | period | tim/v | mål | kontakter |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        lines += [f"| {p['id']} | {p['type']} | {p['employer']} | {p['start']} – {p['end'] or ''} | "
                  f"{p['hours_per_week'] or ''} | {p['goal'] or ''} | {len(p['followups'])} |" for p in summary["placements"]]
        lines.append("")
    if summary["interventions"]:
        lines += ["## Parallella insatser", "", "| id | insats | myndighet | från | till |", "| --- | --- | --- | --- | --- |"]
        lines += [f"| {i['id']} | {i['kind']} | {i['agency'] or ''} | {_when(i['started_at'])} | {_when(i['ended_at'])} |"
                  for i in summary["interventions"]]
        lines.append("")
    if summary["escalations"]:
        lines += ["## Eskaleringar", ""] + [f"- {e['rule']} nivå {e['level']}: {_when(e['at'])}" for e in summary["escalations"]]
        lines.append("")
    return "\n".join(lines)
