"""The person across projects: every enrolment of one personal identity number, in any workflow.

A person is found by the keyed hash of their number (:mod:`pathway.store.identity_crypto`); the
number itself is never returned or printed. What each enrolment shows depends on the consent in
force in *that* enrolment (DESIGN invariant 8): the asking agency sees the workflow, the steps,
dates and the exit reason only where that consent covers it; otherwise only that an enrolment
exists, whether it is open, and why the rest is withheld. In single-user mode (no users
registered) without ``--agency`` nothing is withheld, as everything else is allowed there too.

At enrolment :func:`circulation_note` warns when the same person is open in another project, or
left one (or the same one) within :data:`RECENT_EXIT` — the seeds' "rundgång".
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from pathway.clock import to_local
from pathway.domain import Participant
from pathway.domain.agency import AGENCIES
from pathway.domain.identity import parse_personnummer
from pathway.domain.records import fold
from pathway import errors
from pathway.errors import InvalidValue
from pathway.services import policy
from pathway.services.context import ServiceContext
from pathway.services.identity import InvalidPersonnummer
from pathway.services.views import iso
from pathway.store.uow import UnitOfWork

#: How long after an exit a new enrolment of the same person is worth a warning.
RECENT_EXIT = timedelta(days=180)



@dataclass(frozen=True)
class Enrolment:
    """One enrolment of the person, as far as the asking agency may see it."""

    participant_id: int
    workflow: str
    status: str
    covered: bool
    withheld: str | None = None
    ref: str | None = None
    workflow_title: str | None = None
    step: str | None = None
    step_title: str | None = None
    enrolled_at: datetime | None = None
    exited_at: datetime | None = None
    exit_reason: str | None = None

    def to_json(self) -> dict[str, Any]:
        data: dict[str, Any] = {"participant_id": self.participant_id, "workflow": self.workflow,
                                "status": self.status, "covered": self.covered}
        if not self.covered:
            data["withheld"] = self.withheld
            return data
        data.update({"ref": self.ref, "workflow_title": self.workflow_title, "step": self.step,
                     "step_title": self.step_title, "enrolled_at": iso(self.enrolled_at),
                     "exited_at": iso(self.exited_at), "exit_reason": self.exit_reason})
        return data


def viewer_agency(ctx: ServiceContext, agency: str | None) -> str | None:
    """The agency asking: the acting user's, else ``--agency`` (single-user mode)."""
    if ctx.user is not None:
        return ctx.user.agency
    if agency is not None and agency not in AGENCIES:
        raise InvalidValue(errors.field("agency"), agency, f"use one of: {', '.join(AGENCIES)}")
    return agency


def parse_number(personnummer: str, today: date) -> str:
    try:
        return parse_personnummer(personnummer, today).number
    except ValueError as err:
        raise InvalidPersonnummer(str(err)) from None


def find(ctx: ServiceContext, personnummer: str, agency: str | None = None) -> list[Enrolment]:
    """Every enrolment of the person, oldest first, filtered by the consent each one holds."""
    policy.require(ctx, "person.lookup")
    today = to_local(ctx.clock.now()).date()
    number = parse_number(personnummer, today)
    asking = viewer_agency(ctx, agency)
    single_user = ctx.user is None and agency is None
    with ctx.uow() as uow:
        found = participants_of(uow, number)
        views = [enrolment_view(ctx, uow, p, asking, today, all_visible=single_user) for p in found]
        if ctx.user is not None:  # loggkontroll: the look-up revealed each of these enrolments
            for participant in found:
                policy.log_read(ctx, uow, participant, "person lookup")
            uow.commit()
        return views


def participants_of(uow: UnitOfWork, number: str) -> list[Participant]:
    found = [uow.participants.get(pid) for pid in uow.identities.participants_of(number)]
    return [p for p in found if p is not None]


def enrolment_view(ctx: ServiceContext, uow: UnitOfWork, participant: Participant, agency: str | None,
                   today: date, *, all_visible: bool = False) -> Enrolment:
    pid = participant.id or 0
    records = fold(uow.participants.history(pid))
    covered = all_visible or (agency is not None and agency in records.consent.agencies_in_force(today))
    if not covered:
        why = ("no agency is asking (give --agency)" if agency is None
               else records.consent.why_not(agency, today))
        return Enrolment(pid, participant.workflow_id, participant.status, False,
                         withheld=f"consent does not cover {agency or 'the asker'}: {why}")
    definition = ctx.catalog.pinned(uow, participant.workflow_id, participant.workflow_version).definition
    return Enrolment(
        pid, participant.workflow_id, participant.status, True, ref=participant.ref,
        workflow_title=definition.title, step=participant.step, step_title=definition.step(participant.step).title,
        enrolled_at=participant.enrolled_at, exited_at=participant.exited_at, exit_reason=participant.exit_reason,
    )


def circulation_note(ctx: ServiceContext, uow: UnitOfWork, number: str, workflow_id: str,
                     effective_at: datetime) -> str | None:
    """A warning for an enrolment: the person is open elsewhere, or left a project recently.

    Names the other workflow and dates only where that enrolment's consent covers the enrolling
    user's agency (everything in single-user mode); otherwise says only that there is one.
    """
    today = to_local(effective_at).date()
    user = ctx.user
    agency = user.agency if user is not None else None
    parts: list[str] = []
    for other in participants_of(uow, number):
        recent = (other.exited_at is not None and effective_at - RECENT_EXIT <= other.exited_at <= effective_at)
        if other.is_open and other.workflow_id == workflow_id:
            continue  # refused as a duplicate before this is asked
        if not (other.is_open or recent):
            continue
        view = enrolment_view(ctx, uow, other, agency, today, all_visible=user is None)
        if not view.covered:
            what = "is open in another project" if other.is_open else "left another project recently"
            parts.append(f"{what} (details withheld: its consent does not cover your agency)")
        elif other.is_open:
            parts.append(f"is open in '{other.workflow_id}' as participant {view.participant_id} since "
                         f"{_day(other.enrolled_at)}")
        else:
            parts.append(f"left '{other.workflow_id}' (participant {view.participant_id}) on "
                         f"{_day(other.exited_at)}, reason {other.exit_reason}")
    if not parts:
        return None
    return ("the same person " + "; and ".join(parts)
            + " — check for circulation between projects (rundgång): 'pathway person find'")


def _day(moment: datetime | None) -> str:
    local = to_local(moment)
    return "?" if local is None else local.date().isoformat()

