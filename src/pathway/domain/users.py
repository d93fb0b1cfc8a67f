"""The people who use pathway: users, their agency, roles and projects (workflows).

A user belongs to one agency (the code list :data:`AGENCIES`), holds roles — the roles the
workflows declare (caseworker, coordinator, employment_officer …) and the system roles
(:data:`SYSTEM_ROLES`: designer, admin, dpo, steering_group, funder, service) — and is a member of
the workflows (projects) named in ``workflows``. A disabled user (``active`` false) may do nothing.

What each role may do is decided in one place, :mod:`pathway.services.policy`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pathway.domain.agency import AGENCIES as PROJECT_AGENCIES

#: The agencies that take part in a joint project, plus the project's own staff (samordnare).
#: soc = socialtjänsten, af = Arbetsförmedlingen, fk = Försäkringskassan, health = hälso- och
#: sjukvården (vårdcentral/region), labour_unit = arbetsmarknadsenhet, coordination = projektets
#: egen personal (samordnare, projektledning).
AGENCIES: tuple[str, ...] = (*PROJECT_AGENCIES, "coordination")

#: Roles that exist in every database, whatever the workflows declare.
ADMIN = "admin"  # manages users (and reads the access log)
DESIGNER = "designer"  # registers and migrates workflows
DPO = "dpo"  # dataskyddsombud: reads the access log
STEERING_GROUP = "steering_group"  # styrgrupp: aggregate reports only
FUNDER = "funder"  # finansiär (Samordningsförbundet, ESF): aggregate reports only
COORDINATOR = "coordinator"  # samordnare: every participant and caseload of their projects
SERVICE = "service"  # service account: the scheduler's deadline check, imports

SYSTEM_ROLES: tuple[str, ...] = (ADMIN, COORDINATOR, DESIGNER, DPO, FUNDER, SERVICE, STEERING_GROUP)

#: Roles that see aggregates only, never a participant's record.
AGGREGATE_ONLY_ROLES = frozenset({STEERING_GROUP, FUNDER})


@dataclass(frozen=True)
class User:
    """A registered user; ``id`` is None until stored."""

    login: str
    display_name: str
    agency: str
    roles: frozenset[str] = field(default_factory=frozenset)
    workflows: frozenset[str] = field(default_factory=frozenset)
    active: bool = True
    id: int | None = None

    @property
    def is_admin(self) -> bool:
        return ADMIN in self.roles

    def has_any(self, roles: frozenset[str] | set[str]) -> bool:
        return not self.roles.isdisjoint(roles)

    def member_of(self, workflow_id: str) -> bool:
        return workflow_id in self.workflows

    def label(self) -> str:
        """How a user is named in messages: ``anna (Anna Berg, soc)``."""
        return f"{self.login} ({self.display_name}, {self.agency})"
