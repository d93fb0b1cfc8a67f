"""The handover use case (överlämning): who may prepare the journey summary, what secrecy withholds,
and the access-log row of the read. The summary itself is built by :mod:`pathway.reports.handover`."""

from __future__ import annotations

from typing import Any

from pathway.clock import to_local
from pathway.domain.agency import AGENCIES
from pathway.domain.records import fold
from pathway.errors import InvalidValue, field
from pathway.reports.handover import summary as build_summary
from pathway.services import policy, secrecy
from pathway.services.context import ServiceContext
from pathway.services.participants import resolve
from pathway.services.views import records_json


def journey(ctx: ServiceContext, participant_ref: str | int, to_agency: str) -> dict[str, Any]:
    """The summary as JSON-ready data (the ``participant handover --format json`` contract)."""
    if to_agency not in AGENCIES:
        raise InvalidValue(field("to"), to_agency, f"use one of: {', '.join(AGENCIES)}")
    now = ctx.clock.now()
    with ctx.uow() as uow:
        participant = resolve(uow, participant_ref)
        policy.require(ctx, "participant.handover", participant, uow=uow)
        definition = ctx.catalog.pinned(uow, participant.workflow_id, participant.workflow_version).definition
        events = uow.participants.history(participant.id or 0)
        today = to_local(now).date()
        shown = secrecy.filter_events(ctx.user, events, today)
        records = fold(shown.events)
        summary = build_summary(definition, participant, shown.events, records, records_json(records, today),
                                to_agency, now)
        if shown.withheld:  # secrecy between agencies: what the writer may not see is not passed on
            summary["withheld_from_you"] = shown.notes()
            if "attributes" in summary:
                summary["attributes"] = secrecy.visible_attributes(summary["attributes"], events, shown.events)
        if ctx.user is not None:  # the access-log row of this read (written by the policy, not a report)
            policy.log_read(ctx, uow, participant, f"handover to {to_agency}")
            uow.commit()
    return summary


__all__ = ["journey"]
