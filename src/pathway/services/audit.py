"""Reading the access log (loggkontroll): who read a participant's data, or what a user read.

For the data-protection officer (role ``dpo``) and admins only (permission ``audit.read``). The
log holds internal ids, logins and agencies — never a personnummer or a name.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from pathway.errors import BadInput, field
from pathway.services import policy
from pathway.services.context import ServiceContext
from pathway.services.participants import resolve


@dataclass(frozen=True)
class AccessRow:
    at: datetime
    login: str
    agency: str | None
    participant_id: int | None
    workflow: str | None
    what: str
    purpose: str | None

    def to_json(self) -> dict[str, Any]:
        from pathway.services.views import iso

        return {"at": iso(self.at), "login": self.login, "agency": self.agency,
                "participant_id": self.participant_id, "workflow": self.workflow, "what": self.what,
                "purpose": self.purpose}


def access(ctx: ServiceContext, participant_ref: str | int | None = None, login: str | None = None,
           since: datetime | None = None, until: datetime | None = None) -> list[AccessRow]:
    """The access-log rows about one participant, or by one user, oldest first."""
    if (participant_ref is None) == (login is None):
        raise BadInput(f"give {field('participant')} ID or {field('user')} LOGIN (one of them)")
    with ctx.uow() as uow:
        policy.require(ctx, "audit.read")
        pid = None
        if participant_ref is not None:
            pid = resolve(uow, participant_ref).id
        rows = uow.access.find(pid, login.strip() if login else None, since, until)
        return [AccessRow(r["at"], r["login"], r["agency"], r["participant_id"], r["workflow_id"], r["what"],
                          r["purpose"]) for r in rows]
