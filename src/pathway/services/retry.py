"""Caseworkers never lose to automated work.

A deadline check appends ``reminder``, ``deadline_missed`` and ``escalated`` events to a
participant's history and moves its deadline rows on. A caseworker who read the participant just
before would then fail the optimistic version check (DESIGN invariant 3) and be told "changed by
someone else" — by a machine, about nothing they could see. :func:`caseworker_command` runs such a
use case again, against the fresh state, when every event written since the caseworker's read is
the check's own: the use case re-reads the participant and re-checks every rule (allowed trigger,
guards, pauses, consent …), so nothing is applied that the new state would refuse — a guard the
escalation made fail refuses as usual.

A conflict with another person (a transition, attributes, a consent …) is not retried: that
caseworker is told, as before, and looks again. The retry is bounded (:data:`MAX_RETRIES`), and it
is never attempted inside an import's shared transaction (its session cannot be re-used after a
failed flush; the conflict is reported for the line as before).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from functools import wraps
from typing import Any, TypeVar, cast

from pathway.domain import EventType
from pathway.errors import ConcurrentChange
from pathway.log import get_logger
from pathway.services.context import ServiceContext

log = get_logger("pathway.retry")

#: Events only automated work writes; a conflict made of nothing else is retried.
AUTOMATED_EVENTS = frozenset({EventType.REMINDER.value, EventType.DEADLINE_MISSED.value, EventType.ESCALATED.value})
#: Retries of one command (a check writes a participant at most once per batch; several checks
#: may each touch it in turn).
MAX_RETRIES = 5

F = TypeVar("F", bound=Callable[..., Any])


def only_automated_since(ctx: ServiceContext, participant_id: int, seen_seq: int) -> int | None:
    """The newest seq, if every event of the participant after ``seen_seq`` was written by
    automated work; None if a person wrote one."""
    with ctx.uow() as uow:
        newer = [(e.seq, e.type) for e in uow.participants.history(participant_id) if e.seq > seen_seq]
    if any(kind not in AUTOMATED_EVENTS for _, kind in newer):
        return None
    return max((seq for seq, _ in newer), default=seen_seq)


def caseworker_command(use_case: F) -> F:
    """Run ``use_case(ctx, …)`` again when it lost only to a deadline check (see the module doc)."""

    @wraps(use_case)
    def run(ctx: ServiceContext, *args: Any, **kwargs: Any) -> Any:
        for attempt in range(MAX_RETRIES + 1):
            try:
                return use_case(ctx, *args, **kwargs)
            except ConcurrentChange as err:
                seen = err.seen_seq
                if attempt == MAX_RETRIES or seen is None or not err.participant_id:
                    raise
                newest = only_automated_since(ctx, err.participant_id, seen)
                if newest is None:
                    raise
                if ctx.expected_seq is not None:  # a page read before the check: it saw all but those events
                    ctx = replace(ctx, expected_seq=newest)
                log.info("caseworker_command_retried", use_case=use_case.__name__,
                         participant_id=err.participant_id, attempt=attempt + 1)
        raise AssertionError("unreachable")  # pragma: no cover

    return cast(F, run)
