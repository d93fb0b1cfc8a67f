"""The register extract (registerutdrag, GDPR art. 15) and redaction of a free-text entry.

:func:`register_extract` gathers everything held about one person, across every project: the
identity kind and number (the data subject's own, so the one document that shows it), and per
enrolment the participant row, the attributes, the whole history (who recorded what, when it
happened, when it was recorded), consent, plan, placements, interventions, open deadlines, who has
read the record (the access log), and whether retention has purged it; meetings and missed
appointments (who was there, what was decided, notes) and group membership with each session
attended or missed (and why) are listed on their own as well as in the history. It is handed to the data
protection officer as JSON or as a readable Markdown document; nothing is written.

:func:`redact` replaces one free-text entry of the history — an event's ``reason``, a ``string`` or
``text`` attribute or trigger field, or a free-text field of a plan, placement, intervention or
consent, and the free text of meetings, no-shows and group sessions (``decisions.0.text``,
``attendees.1.user``, ``absent.0.reason``, ``led_by``, ``absence_reason``) — with ``(raderad)`` and appends a ``redacted`` event saying which entry, by whom, when and
why (never the text removed). The projection is recomputed from the history, so the two agree.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from pathway.clock import to_local
from pathway.definitions.models import Workflow
from pathway.domain import Event, EventType
from pathway.domain.agency import AGENCIES
from pathway.domain.identity import IdentityKind
from pathway.domain.records import fold
from pathway.domain.replay import replay
from pathway import errors
from pathway.errors import BadInput, InvalidValue
from pathway.services import person as person_service
from pathway.services import policy
from pathway.services.context import ServiceContext
from pathway.services.deadlines import reconcile
from pathway.services.participants import resolve, typed_attributes
from pathway.services.retention import FREE_TEXT_KEYS, FREE_TEXT_TYPES, RECORD_FREE_TEXT
from pathway.services.views import EventView, iso, records_json
from pathway.store.tables import access_log, groups, retention_log

#: What a redacted entry reads as afterwards.
REDACTED = "(raderad)"


def register_extract(ctx: ServiceContext, personnummer: str) -> dict[str, Any]:
    """Everything held about the person with this number, as JSON-ready data."""
    policy.require(ctx, "person.extract")
    now = ctx.clock.now()
    today = to_local(now).date()
    number = person_service.parse_number(personnummer, today)
    with ctx.uow() as uow:
        session = uow.connection  # type: ignore[attr-defined]
        enrolments = []
        for participant in person_service.participants_of(uow, number):
            pid = participant.id or 0
            definition = ctx.catalog.pinned(uow, participant.workflow_id, participant.workflow_version).definition
            history = uow.participants.history(pid)
            reads = session.execute(
                select(access_log.c.at, access_log.c.login, access_log.c.agency, access_log.c.what,
                       access_log.c.purpose)
                .where(access_log.c.participant_id == pid).order_by(access_log.c.at)).all()
            purged = session.scalar(select(retention_log.c.purged_at).where(retention_log.c.participant_id == pid))
            enrolments.append({
                "participant_id": pid, "ref": participant.ref, "workflow": participant.workflow_id,
                "workflow_title": definition.title, "workflow_version": participant.workflow_version,
                "status": participant.status, "step": participant.step,
                "step_title": definition.step(participant.step).title,
                "enrolled_at": iso(participant.enrolled_at), "exited_at": iso(participant.exited_at),
                "exit_reason": participant.exit_reason, "attributes": dict(participant.attributes),
                "records": records_json(fold(history), today),
                **_meetings_and_groups(session, history),
                "history": [EventView.of(e).to_json() for e in history],
                "read_by": [{"at": iso(r.at), "login": r.login, "agency": r.agency, "what": r.what,
                             "purpose": r.purpose} for r in reads],
                "purged_at": iso(purged),
            })
            policy.log_read(ctx, uow, participant, "register extract")
        kind = IdentityKind.SAMORDNINGSNUMMER if int(number[6:8]) > 60 else IdentityKind.PERSONNUMMER
        if ctx.user is not None:
            uow.commit()  # the access-log rows of this extract
        return {
            "prepared_at": iso(now), "prepared_by": ctx.actor,
            "identity": {"kind": kind.value, "number": f"{number[:8]}-{number[8:]}"},
            "enrolments": enrolments,
            "note": ("Personal identity numbers are stored encrypted; reports and exports hold no number. "
                     "Entries purged by retention or redacted read '(gallrad)' / '(raderad)'."),
        }


#: the history's meeting and group entries, and what the extract calls them
_MEETING_EVENTS = {"meeting_recorded": False, "meeting_no_show": True}
_SESSION_EVENTS = {"session_attended": True, "session_absent": False}


def _meetings_and_groups(session: Any, history: list[Event]) -> dict[str, Any]:
    """Meetings and no-shows as recorded, and each group with its sessions attended or missed."""
    meetings = [{"seq": e.seq, "at": iso(e.effective_at), "no_show": _MEETING_EVENTS[e.type], "recorded_by": e.actor,
                 **{k: v for k, v in (e.data or {}).items() if k not in ("notified", "withheld")}}
                for e in history if e.type in _MEETING_EVENTS]
    joined: dict[int, dict[str, Any]] = {}
    for e in history:
        data = e.data or {}
        if e.type in ("group_joined", "group_left", *_SESSION_EVENTS) and "group" in data:
            group = joined.setdefault(int(data["group"]), {"group": int(data["group"]), "name": data.get("name"),
                                                           "joined_at": None, "left_at": None, "sessions": []})
            if e.type == "group_joined":
                group["joined_at"] = iso(e.effective_at)
            elif e.type == "group_left":
                group["left_at"] = iso(e.effective_at)
            else:
                group["sessions"].append({"at": iso(e.effective_at), "kind": data.get("kind"),
                                          "hours": data.get("hours"), "attended": _SESSION_EVENTS[e.type],
                                          "absence_reason": data.get("reason")})
    if joined:
        names = dict(session.execute(select(groups.c.id, groups.c.name).where(groups.c.id.in_(list(joined)))).all())
        for group_id, group in joined.items():
            group["name"] = group["name"] or names.get(group_id)
    return {"meetings": meetings, "groups": list(joined.values())}


def as_markdown(extract: dict[str, Any]) -> str:
    """The extract as a readable document (Swedish headings, for the person it is about)."""
    lines = ["# Registerutdrag (GDPR artikel 15)", "",
             f"Upprättat {_when(extract['prepared_at'])} av {extract['prepared_by']}.", "",
             f"**Identitet:** {extract['identity']['kind']} {extract['identity']['number']}", ""]
    if not extract["enrolments"]:
        lines += ["Inga uppgifter om personen finns registrerade.", ""]
    for e in extract["enrolments"]:
        lines += [f"## {e['workflow_title']} (deltagare {e['participant_id']})", "",
                  f"- Ärende: {e['ref'] or '–'}",
                  f"- Status: {e['status']}, steg: {e['step_title']}",
                  f"- Inskriven: {_when(e['enrolled_at'])}" + (f", avslutad: {_when(e['exited_at'])} ({e['exit_reason']})"
                                                                if e["exited_at"] else "")]
        if e["purged_at"]:
            lines.append(f"- Gallrad: {_when(e['purged_at'])} (personuppgifter borttagna, statistik kvar)")
        lines += ["", "### Uppgifter", ""]
        lines += [f"- {name}: {_value(value)}" for name, value in sorted(e["attributes"].items())] or ["- (inga)"]
        records = e["records"]
        consent = records.get("consent", {})
        lines += ["", "### Samtycke, handlingsplan, praktik och insatser", "",
                  f"- Samtycke i kraft för: {', '.join(consent.get('agencies_in_force') or []) or '–'}"]
        for item in records.get("plan", []):
            lines.append(f"- Plan {item.get('id')}: {item.get('what')} ({item.get('status')})")
        for placement in records.get("placements", []):
            lines.append(f"- Praktik {placement.get('id')}: {placement.get('type')} hos {placement.get('employer')}")
        for intervention in records.get("interventions", []):
            lines.append(f"- Insats {intervention.get('id')}: {intervention.get('kind')} ({intervention.get('agency') or '–'})")
        lines += ["", "### Möten och grupper", ""]
        for m in e.get("meetings", []):
            if m["no_show"]:
                lines.append(f"- {_when(m['at'])} uteblivet besök ({m.get('type')}, {m.get('agency') or '–'})"
                             + (f": {m['note']}" if m.get("note") else ""))
                continue
            present = ", ".join(f"{a.get('role') or a.get('agency')} {a.get('user') or ''}".strip()
                                for a in m.get("attendees") or [])
            line = f"- {_when(m['at'])} möte ({m.get('type')}): närvarande {present or '–'}"
            away = [f"{a.get('role') or a.get('agency')}" + (f" ({a['reason']})" if a.get("reason") else "")
                    for a in m.get("absent") or []]
            if away:
                line += f"; frånvarande {', '.join(away)}"
            if m.get("led_by"):
                line += f"; lett av {m['led_by']}"
            decisions = [d.get("text") for d in m.get("decisions") or [] if d.get("text")]
            if decisions:
                line += f"; beslut: {'; '.join(decisions)}"
            if m.get("notes"):
                line += f"; anteckningar: {m['notes']}"
            lines.append(line.replace("\n", " "))
        for g in e.get("groups", []):
            sessions = g["sessions"]
            attended = sum(1 for s in sessions if s["attended"])
            lines.append(f"- Grupp {g['name'] or g['group']}: från {_when(g['joined_at'])}"
                         + (f" till {_when(g['left_at'])}" if g["left_at"] else "")
                         + f"; närvarande {attended} av {len(sessions)} tillfällen")
            lines += [f"  - frånvarande {_when(s['at'])}" + (f": {s['absence_reason']}" if s["absence_reason"] else "")
                      for s in sessions if not s["attended"]]
        if not e.get("meetings") and not e.get("groups"):
            lines.append("- (inga)")
        lines += ["", "### Historik", "", "| # | hände | registrerat | vem | vad | uppgifter | varför |",
                  "| --- | --- | --- | --- | --- | --- | --- |"]
        for h in e["history"]:
            what = h["type"] + (f" {h['trigger']}" if h["trigger"] else "")
            if h["from_step"] != h["to_step"] and h["to_step"]:
                what += f" → {h['to_step']}"
            lines.append(f"| {h['seq']} | {_when(h['effective_at'])} | {_when(h['recorded_at'])} | {h['actor']} | "
                         f"{what} | {_cell(h['data'])} | {_cell(h['reason'])} |")
        lines += ["", "### Vem har läst uppgifterna", ""]
        lines += [f"- {_when(r['at'])} {r['login']} ({r['agency'] or '–'}): {r['what']}" for r in e["read_by"]] or ["- (ingen läsning loggad)"]
        lines.append("")
    lines += ["---", "", extract["note"], ""]
    return "\n".join(lines)


def _when(text: str | None) -> str:
    return "–" if not text else text[:16].replace("T", " ")


def _value(value: Any) -> str:
    if isinstance(value, dict):
        return "; ".join(f"{k} {_value(v)}" for k, v in value.items() if v not in (None, [], {}))
    if isinstance(value, list):
        return ", ".join(map(str, value))
    return "–" if value is None else str(value)


def _cell(value: Any) -> str:
    if value in (None, {}, ""):
        return ""
    if isinstance(value, dict):
        value = ", ".join(f"{k}={_value(v)}" for k, v in value.items() if v not in (None, [], {}))
    return str(value).replace("|", "\\|").replace("\n", " ")


def redact(ctx: ServiceContext, participant_ref: str | int, seq: int, field: str, reason: str) -> dict[str, Any]:
    """Replace one free-text entry of event ``seq`` with ``(raderad)`` and record who, when and why."""
    if not reason or not reason.strip():
        raise BadInput(f"say why the entry is redacted with {errors.field('reason')} TEXT (the text itself is never kept)")
    with ctx.uow() as uow:
        participant = resolve(uow, participant_ref)
        policy.require(ctx, "participant.redact", participant)
        pid = participant.id or 0
        loaded = ctx.catalog.pinned(uow, participant.workflow_id, participant.workflow_version)
        history = uow.participants.history(pid)
        target = next((e for e in history if e.seq == seq), None)
        if target is None:
            raise InvalidValue(errors.field("event"), seq, f"participant {pid} has events 1 to {len(history)}")
        if target.type == EventType.REDACTED:
            raise InvalidValue(errors.field("event"), seq, "it is itself a redaction; nothing in it is free text")
        paths = _free_text_paths(target, loaded.definition)
        if field not in paths:
            offered = ", ".join(sorted(paths)) or "none (this event holds no free text)"
            raise InvalidValue(errors.field("field"), field, f"free text in event {seq}: {offered}")
        # the one place an event's content changes besides retention: the text goes, the entry stays
        if field == "reason":
            target.reason = REDACTED
        else:
            target.data = _replace(dict(target.data), paths[field])
        uow.participants.rewrite(target)  # events are append-only rows: the change is written explicitly
        terminal = {s.id for s in loaded.definition.steps if s.terminal}
        # the projection follows the history: an attribute redacted in its event is redacted in the row
        participant.attributes = replay(history, terminal)["attributes"]
        participant.refold(history)  # and so is the folded history kept on the row (a redacted note, say)
        participant.record(Event(
            seq=0, type=EventType.REDACTED.value, effective_at=ctx.clock.now(), recorded_at=ctx.clock.now(),
            actor=ctx.actor, actor_id=ctx.actor_id, actor_agency=ctx.actor_agency,
            workflow_id=participant.workflow_id, workflow_version=participant.workflow_version,
            from_step=participant.step, to_step=participant.step,
            data={"event_seq": seq, "field": field}, reason=reason.strip(),
        ))
        # and so are the deadlines planned from it (a plan goal's or a placement's text is in a title)
        reconcile(uow, participant, loaded.definition, typed_attributes(ctx, uow, participant))
        uow.commit()
        return {"participant_id": pid, "event_seq": seq, "field": field, "redacted_by": ctx.actor,
                "redacted_at": iso(ctx.clock.now())}


def _free_text_paths(event: Event, definition: Workflow) -> dict[str, tuple[str | int, ...]]:
    """Name → path in the event's data of every free-text entry it holds (``reason``: the column)."""
    paths: dict[str, tuple[str | int, ...]] = {}
    if event.reason:
        paths["reason"] = ()
    free_attributes = {n for n, s in definition.attributes.items() if s.type in FREE_TEXT_TYPES}
    data = event.data or {}
    if event.type == EventType.ENROLLED:
        for name, value in (data.get("attributes") or {}).items():
            if name in free_attributes and isinstance(value, str):
                paths[name] = ("attributes", name)
    elif event.type == EventType.ATTRIBUTES_SET:
        for name, value in (data.get("set") or {}).items():
            if name in free_attributes and isinstance(value, str):
                paths[name] = ("set", name)
        for name, value in (data.get("previous") or {}).items():
            if name in free_attributes and isinstance(value, str):
                paths[f"previous.{name}"] = ("previous", name)
    elif event.type == EventType.TRANSITION:
        free = {n for t in definition.transitions if t.trigger == event.trigger
                for n, s in t.data.items() if s.type in FREE_TEXT_TYPES}
        for name, value in data.items():
            if name in free and isinstance(value, str):
                paths[name] = (name,)
    for name, value in data.items():
        if name in FREE_TEXT_KEYS and isinstance(value, str) and value:
            paths.setdefault(name, (name,))
    # meetings, no-shows and group sessions: the same free text that retention removes
    for container, keys in RECORD_FREE_TEXT.get(event.type, {}).items():
        if container is None:  # an absence's "reason" is data, named apart from the event's reason
            paths.update({("absence_reason" if k == "reason" else k): (k,) for k in keys
                          if isinstance(data.get(k), str) and data[k]})
            continue
        for index, item in enumerate(data.get(container) or []):
            paths.update({f"{container}.{index}.{k}": (container, index, k) for k in keys
                          if isinstance(item, dict) and isinstance(item.get(k), str) and item[k]})
    if event.type == "meeting_recorded":
        for index, decision in enumerate(data.get("decisions") or []):
            if isinstance(decision, dict) and isinstance(decision.get("text"), str) and decision["text"]:
                paths[f"decisions.{index}.text"] = ("decisions", index, "text")
        codes = {r.id for r in definition.roles} | set(AGENCIES)
        if isinstance(data.get("led_by"), str) and data["led_by"] not in codes:
            paths["led_by"] = ("led_by",)
    return paths


def _replace(data: Any, path: tuple[str | int, ...]) -> Any:
    """``data`` with the entry at ``path`` (keys and list indexes) replaced by ``(raderad)``."""
    head, rest = path[0], path[1:]
    if isinstance(data, list):
        assert isinstance(head, int)
        return [(_replace(v, rest) if rest else REDACTED) if i == head else v for i, v in enumerate(data)]
    return {**data, head: _replace(data.get(head), rest) if rest else REDACTED}

