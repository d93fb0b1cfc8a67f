"""Who a deadline action goes to: named people instead of a role (the deadline check's addressees).

A deadline held by a role the participant's responsible caseworker holds goes to that person; any
other role (an escalation to the coordinator or the steering group) to every active holder of the
role who is a member of the workflow. Notifications carry these ids and names — staff only, never
personal data of the participant. With no users registered (single-user mode) there are none.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from pathway.domain.users import User
from pathway.store.uow import UnitOfWork


class Addressing:
    """The addressees of one check batch (users and assignments read once per batch)."""

    def __init__(self, uow: UnitOfWork, participant_ids: list[int]) -> None:
        self.users = {u.id: u for u in uow.users.all() if u.active}
        self.responsible = uow.assignments.of_many(participant_ids) if self.users else {}
        self.by_role: dict[tuple[str, str], list[User]] = defaultdict(list)
        for user in self.users.values():
            for role in user.roles:
                for workflow in user.workflows:
                    self.by_role[(role, workflow)].append(user)

    def addressees(self, participant_id: int, workflow_id: str, role: str) -> list[dict[str, Any]]:
        """The assigned caseworker when they hold ``role``; else every active holder of ``role`` in
        the workflow (coordinators, the steering group)."""
        if not self.users:
            return []
        held_id = self.responsible.get(participant_id)
        held = self.users.get(held_id) if held_id is not None else None
        people = [held] if held is not None and role in held.roles else sorted(
            self.by_role.get((role, workflow_id), []), key=lambda u: u.login)
        return [{"user_id": u.id, "login": u.login, "display_name": u.display_name} for u in people]
