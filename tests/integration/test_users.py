"""Users and the acting user, on SQLite and PostgreSQL: single-user mode and its end, refusals, audit."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, text

from pathway.clock import FixedClock
from pathway.errors import InvalidValue, NotPermitted, RuleRefused
from pathway.services import users
from pathway.services.context import ServiceContext
from pathway.services.participants import enrol, history

from .conftest import make_context, snapshot


def as_user(engine: Engine, workflows: Path, clock: FixedClock, login: str,
            on_behalf_of: str | None = None) -> ServiceContext:
    """A context for ``login``, resolved as the CLI resolves the OS user or PATHWAY_USER."""
    ctx = make_context(engine, workflows, clock, actor=login)
    users.resolve(ctx, login, on_behalf_of)
    return ctx


def test_single_user_mode_allows_everything_and_records_the_free_text_actor(ctx: ServiceContext) -> None:
    """With no users registered, the acting user is None, every use case runs, events name the actor."""
    users.resolve(ctx, "whoever", "anna")
    assert ctx.user is None and ctx.actor == "anna"
    pid, _ = enrol(ctx, "demo", attributes={"gender": "female"})
    assert history(ctx, pid)[0].actor == "anna"


def test_first_user_must_be_admin_and_ends_single_user_mode(
        engine: Engine, workflows: Path, clock: FixedClock, ctx: ServiceContext) -> None:
    """A first non-admin user is refused (nothing written); a first admin ends single-user mode."""
    before = snapshot(engine)
    with pytest.raises(RuleRefused, match="first user must be an admin"):
        users.add_user(ctx, "bob", "Bob", "soc", ["coach"], ["demo"])
    assert snapshot(engine) == before
    root = users.add_user(ctx, "root", "Rut Root", "coordination", admin=True)
    assert root.is_admin and not users.single_user_mode(ctx)
    with pytest.raises(NotPermitted, match="unknown user 'eve'.*root"):
        as_user(engine, workflows, clock, "eve")


def test_events_record_the_acting_users_id_and_agency(
        engine: Engine, workflows: Path, clock: FixedClock, ctx: ServiceContext) -> None:
    """An event written by a registered user carries its login, id and agency."""
    users.add_user(ctx, "root", "Root", "coordination", admin=True)
    admin = as_user(engine, workflows, clock, "root")
    anna = users.add_user(admin, "anna", "Anna Berg", "soc", ["coach"], ["demo"])
    pid, _ = enrol(as_user(engine, workflows, clock, "anna"), "demo", attributes={"gender": "female"})
    with engine.connect() as conn:
        row = conn.execute(text("SELECT actor, actor_id, actor_agency FROM events WHERE participant_id = :p"),
                           {"p": pid}).one()
    assert tuple(row) == ("anna", anna.id, "soc")


def test_disabled_user_is_refused_and_nothing_is_written(
        engine: Engine, workflows: Path, clock: FixedClock, ctx: ServiceContext) -> None:
    """A disabled user cannot act at all (exit 3), and the refusal writes nothing."""
    users.add_user(ctx, "root", "Root", "coordination", admin=True)
    admin = as_user(engine, workflows, clock, "root")
    users.add_user(admin, "anna", "Anna Berg", "soc", ["coach"], ["demo"])
    users.disable_user(admin, "anna")
    before = snapshot(engine)
    with pytest.raises(NotPermitted, match="'anna' is disabled") as refused:
        as_user(engine, workflows, clock, "anna")
    assert refused.value.exit_code == 3
    assert snapshot(engine) == before


def test_only_admins_manage_users_and_every_change_is_audited(
        engine: Engine, workflows: Path, clock: FixedClock, ctx: ServiceContext) -> None:
    """A caseworker may not add users (nothing written); the admin's add/update/disable are each audited."""
    users.add_user(ctx, "root", "Root", "coordination", admin=True)
    admin = as_user(engine, workflows, clock, "root")
    users.add_user(admin, "anna", "Anna Berg", "soc", ["coach"], ["demo"])
    anna = as_user(engine, workflows, clock, "anna")
    before = snapshot(engine)
    with pytest.raises(NotPermitted, match="may not manage users.*admin \\(root\\)"):
        users.add_user(anna, "mallory", "M", "soc", ["coach"])
    assert snapshot(engine) == before
    users.update_user(admin, "anna", add_roles=["coordinator"], agency="af")
    users.disable_user(admin, "anna")
    detail = users.show_user(admin, "anna")
    assert [c["change"] for c in detail.changes] == ["added", "updated", "disabled"]
    assert detail.changes[1]["data"]["agency"] == {"from": "soc", "to": "af"}
    assert {c["actor"] for c in detail.changes} == {"root"}


def test_bad_input_names_the_value_and_the_valid_ones(
        engine: Engine, workflows: Path, clock: FixedClock, ctx: ServiceContext) -> None:
    """Unknown agency, role, workflow or user: one-line errors naming the value and what is accepted."""
    users.add_user(ctx, "root", "Root", "coordination", admin=True)
    admin = as_user(engine, workflows, clock, "root")
    before = snapshot(engine)
    with pytest.raises(InvalidValue, match="agency 'police'.*soc, af, fk, health, labour_unit, coordination"):
        users.add_user(admin, "anna", "Anna", "police")
    with pytest.raises(InvalidValue, match="role 'boss'.*coach.*steering_group"):
        users.add_user(admin, "anna", "Anna", "soc", ["boss"])
    with pytest.raises(InvalidValue, match="workflow 'nowhere'.*demo"):
        users.add_user(admin, "anna", "Anna", "soc", ["coach"], ["nowhere"])
    with pytest.raises(InvalidValue, match="user 'nobody'.*root"):
        users.update_user(admin, "nobody", add_roles=["coach"])
    assert snapshot(engine) == before


def test_on_behalf_of_is_admin_only_and_records_both_names(
        engine: Engine, workflows: Path, clock: FixedClock, ctx: ServiceContext) -> None:
    """--actor once users exist: an admin records both names; anyone else is refused."""
    users.add_user(ctx, "root", "Root", "coordination", admin=True)
    admin = as_user(engine, workflows, clock, "root")
    users.add_user(admin, "anna", "Anna Berg", "soc", ["coach"], ["demo"])
    assert as_user(engine, workflows, clock, "root", "Nils").actor == "root (on behalf of Nils)"
    with pytest.raises(NotPermitted, match="only an admin"):
        as_user(engine, workflows, clock, "anna", "Nils")


def test_the_last_admin_cannot_be_disabled(
        engine: Engine, workflows: Path, clock: FixedClock, ctx: ServiceContext) -> None:
    """Disabling the only active admin is refused: someone must be able to manage users."""
    users.add_user(ctx, "root", "Root", "coordination", admin=True)
    with pytest.raises(RuleRefused, match="last active admin"):
        users.disable_user(as_user(engine, workflows, clock, "root"), "root")
