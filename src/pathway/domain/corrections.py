"""Corrections: mistakes put right while the history stays append-only (rättelser).

A correction is one ``corrected`` event with a reason, the previous value and ``data["kind"]``:

* ``undo`` — the last transition was a mistake: the participant returns to the step before it
  (``to_step``); ``corrects`` lists the transition, which stays in the history, struck through.
* ``reopen`` — the exit was a mistake: ``corrects`` lists the exit and the events the exit itself
  wrote (placements, interventions and goals it closed); the participant is open again.
* ``exit`` — the exit's data (reason, situation at exit) was wrong: the correction carries the
  whole corrected exit data, ``to_step`` is the exit step, and it ``replaces`` the exit event.
* ``record`` — a consent, plan, placement or intervention entry was wrong: it ``replaces`` that
  event's data (placements and interventions carry it nested under ``entry``, since an
  intervention's own ``kind`` would clash with the correction's), and may move the entry's time
  (``at``: the correction's effective time stands in for the entry's).
* ``strike`` — a placement or intervention entry was a mistake (started, followed up or ended by
  mistake): ``corrects`` lists it with what hangs on it (a placement struck takes its follow-ups
  and its end along); no data replaces it.
* ``attribute`` — a recorded attribute was wrong: ``set`` holds the corrected values, ``previous``
  the wrong ones (the event that recorded them is ``amends``; it is not struck, other values in it
  stand).
* ``void`` — the enrolment was a mistake (felregistrering): the participant leaves every report.

:func:`effective` gives the history as corrected — struck events left out, replaced ones carrying
the corrected data in their own place — and is what folds, deadline plans and summaries read.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace
from enum import StrEnum
from typing import Any

from pathway.domain.participant import Event, EventType


class CorrectionKind(StrEnum):
    UNDO = "undo"
    REOPEN = "reopen"
    EXIT = "exit"
    RECORD = "record"
    ATTRIBUTE = "attribute"
    VOID = "void"
    STRIKE = "strike"


#: keys of a correction's data that are about the correction, not the corrected data
META = frozenset({"kind", "corrects", "replaces", "previous", "restored", "set", "amends", "record_type", "entry",
                  "at"})


def struck(events: Iterable[Event]) -> dict[int, int]:
    """Sequence number of each struck (corrected away) event → the correction that struck it."""
    found: dict[int, int] = {}
    for event in events:
        if event.type == EventType.CORRECTED:
            for seq in event.data.get("corrects", []):
                found.setdefault(int(seq), event.seq)
    return found


def amended(events: Iterable[Event]) -> dict[int, int]:
    """Events some of whose values a later ``attribute`` correction replaced → that correction."""
    return {int(e.data["amends"]): e.seq for e in events
            if e.type == EventType.CORRECTED and e.data.get("amends") is not None}


def replacement_data(correction: Event) -> dict[str, Any]:
    """The corrected data an ``exit`` or ``record`` correction gives the event it replaces."""
    entry = correction.data.get("entry")
    if isinstance(entry, dict):
        return dict(entry)
    return {k: v for k, v in correction.data.items() if k not in META}


def effective(events: Iterable[Event]) -> list[Event]:
    """The history as corrected, in sequence order (idempotent)."""
    ordered = sorted(events, key=lambda e: e.seq)
    gone = struck(ordered)
    latest: dict[int, Event] = {}
    for event in ordered:
        if event.type == EventType.CORRECTED and event.data.get("replaces") is not None \
                and event.seq not in gone:
            latest[int(event.data["replaces"])] = event
    result = []
    for event in ordered:
        if event.type == EventType.CORRECTED and event.data.get("replaces") is not None:
            continue  # it stands in the place of the event it replaces
        if event.seq in latest:
            standing = latest[event.seq]  # its data, and its time (a corrected end date moves the entry)
            result.append(replace(event, data=replacement_data(standing), effective_at=standing.effective_at))
        elif event.seq not in gone:
            result.append(event)
    return result


def current_exit(events: Iterable[Event], terminal_steps: Iterable[str]) -> Event | None:
    """The event that stands for the exit now: the exit transition or its newest correction."""
    ordered = sorted(events, key=lambda e: e.seq)
    gone = struck(ordered)
    terminal = set(terminal_steps)
    standing = [e for e in ordered if e.seq not in gone and e.to_step in terminal
                and (e.type == EventType.TRANSITION
                     or (e.type == EventType.CORRECTED and e.data.get("kind") == CorrectionKind.EXIT))]
    return standing[-1] if standing else None
