"""Identity on SQLite and PostgreSQL: the number kept apart, duplicates, derived attributes, anonymity."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timezone
from pathlib import Path

import pytest
from sqlalchemy import Engine, insert, select, text
from sqlalchemy.exc import IntegrityError

from pathway.clock import FixedClock
from pathway.domain.identity import luhn_check_digit
from pathway.errors import BadInput, DuplicateRef, RuleRefused
from pathway.services import identity
from pathway.services.context import ServiceContext
from pathway.services.identity import (
    AnonymousNotAllowed,
    AnonymousParticipant,
    IdentityContradiction,
    InvalidPersonnummer,
    PersonAlreadyEnrolled,
)
from pathway.services.participants import enrol, fire, history, set_attributes, show
from pathway.store import SqlUnitOfWork
from pathway.store.tables import identities
from tests.keys import TEST_KEYS

from .conftest import START, snapshot

IDENT_WORKFLOW = """\
id: ident
version: 1
title: Identitet
roles:
  - {id: coach, title: Coach}
attributes:
  gender: {type: choice, choices: [female, male, other]}
  birth_date: {type: date}
  referring_agency: {type: choice, choices: [soc, af]}
steps:
  - {id: referral, title: Remiss, kind: referral, owner: coach, initial: true}
  - {id: exited, title: Avslut, kind: exit, owner: coach, terminal: true}
transitions:
  - trigger: exit
    from: "*"
    to: exited
    data: {reason: {type: exit_reason, required: true}}
exit_reasons:
  - {code: work, label: Arbete, category: work}
"""

REQUIRED_WORKFLOW = IDENT_WORKFLOW.replace("id: ident", "id: strict").replace(
    "referring_agency: {type: choice, choices: [soc, af]}",
    "referring_agency: {type: choice, choices: [soc, af], required: true}")


def valid(birth: str, serial: str) -> str:
    """A valid 10-digit number YYMMDDNNNC (C: the Luhn digit)."""
    return birth + serial + str(luhn_check_digit(birth + serial))


#: A woman born 2 April 1985, in every form a caseworker may type it.
WOMAN = valid("850402", "384")
WOMAN_12 = "19" + WOMAN
WOMAN_FORMS = [WOMAN, f"{WOMAN[:6]}-{WOMAN[6:]}", WOMAN_12, f"19{WOMAN[:6]}-{WOMAN[6:]}"]
#: A man born 30 November 1970, with a samordningsnummer (day + 60).
MAN_SAMORDNING = valid("701190", "013")


@pytest.fixture(autouse=True)
def more_workflows(workflows: Path) -> None:
    (workflows / "ident.yaml").write_text(IDENT_WORKFLOW, encoding="utf-8")
    (workflows / "strict.yaml").write_text(REQUIRED_WORKFLOW, encoding="utf-8")


def identity_rows(engine: Engine) -> list[tuple[object, ...]]:
    """(participant, kind, number) with the number decrypted; the stored text never holds it."""
    with engine.connect() as conn:
        stored = conn.execute(
            select(identities.c.participant_id, identities.c.kind, identities.c.personnummer_enc,
                   identities.c.personnummer_hash)
            .order_by(identities.c.participant_id)).all()
    rows = []
    for pid, kind, token, hashed in stored:
        number = None if token is None else TEST_KEYS.decrypt(token)
        if number is not None:
            assert number not in token and number[2:] not in token and hashed == TEST_KEYS.lookup_hash(number)
        rows.append((pid, kind, number))
    return rows


def assert_number_only_in_identities(engine: Engine, *numbers: str) -> None:
    """No row of any table but identities holds the number, in any of its forms."""
    tables = snapshot(engine)
    assert "identities" in tables
    for table, rows in tables.items():
        if table == "identities":
            continue
        for row in rows:
            shown = " ".join(str(v) for v in row)
            for n in numbers:
                for form in {n, n[-10:], f"{n[-10:-4]}-{n[-4:]}", f"{n[:-4]}-{n[-4:]}"}:
                    assert form not in shown, f"{table} holds the number"


def test_number_is_written_to_the_identity_table_only(ctx: ServiceContext, engine: Engine) -> None:
    """The number is stored as 12 digits in identities; no event, participant or deadline row holds it."""
    pid, _ = enrol(ctx, "ident", ref="LU-1", attributes={"referring_agency": "soc"},
                   personnummer=f"{WOMAN[:6]}-{WOMAN[6:]}")
    assert identity_rows(engine) == [(pid, "personnummer", WOMAN_12)]
    with engine.connect() as conn:
        created = conn.execute(select(identities.c.created_at)).scalar_one()
    assert created == START
    fire(ctx, pid, "exit", {"reason": "work"})
    assert_number_only_in_identities(engine, WOMAN_12)
    for event in history(ctx, pid):
        assert WOMAN[-4:] not in str(event.data) and "personnummer" not in str(event.data)
    assert history(ctx, pid)[0].data == {"ref": "LU-1", "attributes": {
        "referring_agency": "soc", "birth_date": "1985-04-02", "gender": "female"}}


def test_birth_date_and_gender_are_taken_from_the_number(ctx: ServiceContext) -> None:
    """Declared and not given: birth_date and gender are recorded from the number (samordningsnummer: day − 60)."""
    pid, _ = enrol(ctx, "ident", personnummer=MAN_SAMORDNING)
    assert show(ctx, pid).attributes == {"birth_date": "1970-11-30", "gender": "male"}


def test_given_attributes_that_agree_are_kept(ctx: ServiceContext) -> None:
    """Attributes given alongside the number and matching it are recorded as given."""
    pid, _ = enrol(ctx, "ident", attributes={"gender": "female", "birth_date": "1985-04-02"}, personnummer=WOMAN)
    assert show(ctx, pid).attributes == {"birth_date": "1985-04-02", "gender": "female"}


def test_gender_other_is_not_a_contradiction(ctx: ServiceContext) -> None:
    """A recorded gender outside the legal male/female (e.g. other) is kept; the number does not overrule it."""
    pid, _ = enrol(ctx, "ident", attributes={"gender": "other"}, personnummer=WOMAN)
    assert show(ctx, pid).attributes == {"birth_date": "1985-04-02", "gender": "other"}


@pytest.mark.parametrize(("attribute", "value", "says"), [
    ("gender", "male", "attributes gender=male contradicts personnummer, which gives gender female"),
    ("birth_date", "1985-04-03",
     "attributes birth_date=1985-04-03 contradicts personnummer, which gives birth_date 1985-04-02"),
])
def test_contradicting_attributes_are_refused(ctx: ServiceContext, engine: Engine, attribute: str,
                                              value: str, says: str) -> None:
    """An --attr that says something else than the number: exit 2, nothing written."""
    before = snapshot(engine)
    with pytest.raises(IdentityContradiction, match=says) as caught:
        enrol(ctx, "ident", attributes={attribute: value}, personnummer=WOMAN)
    assert caught.value.exit_code == 2
    assert snapshot(engine) == before


def test_only_declared_attributes_are_derived(ctx: ServiceContext) -> None:
    """The demo workflow declares gender but not birth_date: only gender is recorded."""
    pid, _ = enrol(ctx, "demo", personnummer=WOMAN)
    assert show(ctx, pid).attributes == {"gender": "female"}


def test_century_is_resolved_against_the_enrolment_time(ctx: ServiceContext, clock: FixedClock) -> None:
    """A backdated enrolment (--at) resolves a 10-digit number against its own date, not today's."""
    newborn = valid("260225", "123")  # 25 February 2026
    at = datetime(2026, 2, 20, 9, 0, tzinfo=timezone.utc)
    pid, _ = enrol(ctx, "ident", personnummer=newborn, at=at, reason="recorded late")
    assert show(ctx, pid).attributes["birth_date"] == "1926-02-25"
    other, _ = enrol(ctx, "ident", personnummer=newborn)
    assert show(ctx, other).attributes["birth_date"] == "2026-02-25"


@pytest.mark.parametrize(("typed", "problem"), [
    (WOMAN[:9] + str((int(WOMAN[9]) + 1) % 10), "the check digit (the last digit) is wrong"),
    (WOMAN[:9], "it has 9 digits"),
    ("851302-1234", "month 13 does not exist"),
    ("20" + valid("230229", "123"), "the birth date 2023-02-29 does not exist"),
    ("850402_1234", "only digits and one '-' or '+'"),
])
def test_an_invalid_number_is_refused_and_not_repeated(ctx: ServiceContext, engine: Engine, typed: str,
                                                       problem: str) -> None:
    """A bad number: InvalidPersonnummer (exit 2) saying what is wrong, never echoing the number; nothing written."""
    enrol(ctx, "ident")
    before = snapshot(engine)
    with pytest.raises(InvalidPersonnummer) as caught:
        enrol(ctx, "ident", personnummer=typed)
    assert caught.value.exit_code == 2
    assert caught.value.message.startswith("invalid personnummer: ") and caught.value.fields == ("personnummer",)
    assert problem in caught.value.message
    assert typed not in caught.value.message and typed[-4:] not in caught.value.message
    assert snapshot(engine) == before


def test_a_ref_that_is_a_personnummer_is_refused(ctx: ServiceContext, engine: Engine) -> None:
    """A valid number given as --ref would spread to lists and exports: refused, pointing at --personnummer."""
    before = snapshot(engine)
    with pytest.raises(BadInput, match="ref looks like a personal identity number"):
        enrol(ctx, "ident", ref=f"{WOMAN[:6]}-{WOMAN[6:]}")
    assert snapshot(engine) == before


# -- the same person twice -------------------------------------------------------------------------


@pytest.mark.parametrize("again", WOMAN_FORMS)
def test_the_same_person_is_refused_while_open(ctx: ServiceContext, engine: Engine, again: str) -> None:
    """Any form of the same number, same workflow, first enrolment open: PersonAlreadyEnrolled with its id."""
    first, _ = enrol(ctx, "ident", ref="LU-1", personnummer=WOMAN)
    before = snapshot(engine)
    with pytest.raises(PersonAlreadyEnrolled) as caught:
        enrol(ctx, "ident", ref="LU-2", personnummer=again)
    assert isinstance(caught.value, RuleRefused) and caught.value.exit_code == 1
    assert caught.value.existing_id == first
    assert f"already enrolled in workflow 'ident' as participant {first}" in caught.value.message
    assert WOMAN[-4:] not in caught.value.message
    assert snapshot(engine) == before


def test_the_same_person_again_after_exit_and_in_another_workflow(ctx: ServiceContext, engine: Engine,
                                                                    clock: FixedClock) -> None:
    """After the first enrolment exited the person can be enrolled again; another workflow never conflicts."""
    first, _ = enrol(ctx, "ident", personnummer=WOMAN)
    other_workflow, _ = enrol(ctx, "demo", personnummer=WOMAN_12)
    clock.advance(days=30)
    fire(ctx, first, "exit", {"reason": "work"})
    clock.advance(days=30)
    second, _ = enrol(ctx, "ident", personnummer=WOMAN)
    assert identity_rows(engine) == [(first, "personnummer", WOMAN_12), (other_workflow, "personnummer", WOMAN_12),
                                     (second, "personnummer", WOMAN_12)]
    with pytest.raises(PersonAlreadyEnrolled) as caught:
        enrol(ctx, "ident", personnummer=WOMAN)
    assert caught.value.existing_id == second
    assert_number_only_in_identities(engine, WOMAN_12)


def test_different_people_and_people_without_a_number_do_not_conflict(ctx: ServiceContext, engine: Engine) -> None:
    """Two numbers, and any number of participants enrolled without one, live side by side."""
    a, _ = enrol(ctx, "ident", personnummer=WOMAN)
    b, _ = enrol(ctx, "ident", personnummer=MAN_SAMORDNING)
    c, _ = enrol(ctx, "ident")
    d, _ = enrol(ctx, "ident")
    assert identity_rows(engine) == [(a, "personnummer", WOMAN_12), (b, "samordningsnummer", "19" + MAN_SAMORDNING)]
    assert {c, d} == {3, 4}


class _HeldUnitOfWork(SqlUnitOfWork):
    """A unit of work that runs ``before_commit`` first (to hold a writer at its commit)."""

    def __init__(self, engine, before_commit: Callable[[], object]) -> None:  # type: ignore[no-untyped-def]
        super().__init__(engine, TEST_KEYS)
        self._before_commit = before_commit

    def commit(self) -> None:
        self._before_commit()
        super().commit()


@pytest.mark.postgres
@pytest.mark.parametrize("backend", ["postgresql"], indirect=True)
def test_concurrent_enrolments_of_one_person_let_one_through(ctx: ServiceContext, engine: Engine) -> None:
    """Two caseworkers enrol the same person at once: the second waits for the first, then is refused."""
    ready, go = threading.Event(), threading.Event()
    held = ServiceContext(uow=lambda: _HeldUnitOfWork(engine, lambda: (ready.set(), go.wait(10))),
                          catalog=ctx.catalog, clock=ctx.clock, actor="first")
    enrol(ctx, "ident")  # the workflow version is registered: the two race on the person only
    with ThreadPoolExecutor(max_workers=2) as pool:
        won = pool.submit(enrol, held, "ident", personnummer=WOMAN)
        assert ready.wait(10)  # the first has passed the duplicate check and holds its commit
        lost = pool.submit(enrol, ctx, "ident", personnummer=WOMAN_12)
        with pytest.raises(TimeoutError):
            lost.result(timeout=0.5)  # waits on the person's lock
        go.set()
        first, _ = won.result(timeout=20)
        with pytest.raises(PersonAlreadyEnrolled) as caught:
            lost.result(timeout=20)
    assert caught.value.existing_id == first
    assert identity_rows(engine) == [(first, "personnummer", WOMAN_12)]


# -- anonymous participants ------------------------------------------------------------------------


def test_anonymous_participant_has_gender_and_start_year_only(ctx: ServiceContext, engine: Engine) -> None:
    """--anonymous: an identity row of kind anonymous with no number; gender and a ref are allowed."""
    pid, _ = enrol(ctx, "ident", ref="ANON-1", attributes={"gender": "female"}, anonymous=True)
    assert identity_rows(engine) == [(pid, "anonymous", None)]
    view = show(ctx, pid)
    assert view.attributes == {"gender": "female"} and view.ref == "ANON-1"
    assert view.enrolled_at.year == 2026
    bare, _ = enrol(ctx, "ident", anonymous=True)
    assert show(ctx, bare).attributes == {}


@pytest.mark.parametrize(("kwargs", "says"), [
    ({"personnummer": WOMAN}, "anonymous and personnummer exclude each other"),
    ({"attributes": {"birth_date": "1985-04-02"}}, "leave out attributes birth_date=…"),
    ({"attributes": {"gender": "male", "referring_agency": "soc", "birth_date": "1985-04-02"}},
     "leave out attributes birth_date=… attributes referring_agency=…"),
])
def test_anonymous_refuses_anything_personal(ctx: ServiceContext, engine: Engine, kwargs: dict[str, object],
                                             says: str) -> None:
    """A number or any attribute but gender with --anonymous: exit 2 saying why, nothing written."""
    enrol(ctx, "ident")
    before = snapshot(engine)
    with pytest.raises(AnonymousNotAllowed) as caught:
        enrol(ctx, "ident", anonymous=True, **kwargs)  # type: ignore[arg-type]
    assert caught.value.exit_code == 2
    assert says in caught.value.message
    assert "no consent to registration, or protected identity" in caught.value.message
    assert snapshot(engine) == before


def test_anonymous_cannot_enrol_where_the_workflow_requires_more(ctx: ServiceContext, engine: Engine) -> None:
    """A workflow requiring another attribute cannot take anonymous participants; the message says which."""
    before = snapshot(engine)
    with pytest.raises(AnonymousNotAllowed, match="workflow 'strict' requires attribute 'referring_agency'"):
        enrol(ctx, "strict", anonymous=True)
    assert snapshot(engine) == before


def test_recording_more_about_an_anonymous_participant_is_refused(ctx: ServiceContext) -> None:
    """refuse_for_anonymous: other attributes are refused for an anonymous participant, gender is not."""
    anonymous, _ = enrol(ctx, "ident", anonymous=True)
    named, _ = enrol(ctx, "ident", personnummer=WOMAN)
    plain, _ = enrol(ctx, "ident")
    with ctx.uow() as uow:
        identity.refuse_for_anonymous(uow, anonymous, ["gender"])
        identity.refuse_for_anonymous(uow, named, ["referring_agency"])
        identity.refuse_for_anonymous(uow, plain, ["referring_agency", "birth_date"])
        with pytest.raises(AnonymousParticipant) as caught:
            identity.refuse_for_anonymous(uow, anonymous, ["gender", "referring_agency", "birth_date"])
    assert caught.value.exit_code == 1
    assert caught.value.refused == ["birth_date", "referring_agency"]
    assert f"participant {anonymous} is anonymous" in caught.value.message


def test_participant_set_refuses_personal_attributes_for_an_anonymous_participant(
    ctx: ServiceContext, engine: Engine
) -> None:
    """`participant set` on an anonymous participant: gender may change, anything else is refused, unwritten."""
    anonymous, _ = enrol(ctx, "ident", anonymous=True)
    assert set_attributes(ctx, anonymous, {"gender": "male"}) == {"gender": "male"}
    before = snapshot(engine)
    with pytest.raises(AnonymousParticipant, match="anonymous"):
        set_attributes(ctx, anonymous, {"birth_date": "1980-01-01"})
    assert snapshot(engine) == before


def test_participant_set_cannot_contradict_the_number(ctx: ServiceContext, engine: Engine) -> None:
    """After enrolment with a number, a birth date or gender that contradicts it is refused, unwritten."""
    pid, _ = enrol(ctx, "ident", personnummer=WOMAN)
    before = snapshot(engine)
    with pytest.raises(BadInput, match="gender"):
        set_attributes(ctx, pid, {"gender": "male"})
    assert snapshot(engine) == before


def test_the_identity_table_refuses_a_number_on_an_anonymous_row(ctx: ServiceContext, engine: Engine) -> None:
    """The check constraint: anonymous rows have no number, numbered kinds always have one."""
    pid, _ = enrol(ctx, "ident")
    now = datetime(2026, 3, 2, tzinfo=timezone.utc)
    for kind, number in (("anonymous", WOMAN_12), ("personnummer", None), ("nickname", WOMAN_12)):
        with pytest.raises(IntegrityError), engine.begin() as conn:
            token = None if number is None else TEST_KEYS.encrypt(number)
            hashed = None if number is None else TEST_KEYS.lookup_hash(number)
            conn.execute(insert(identities).values(participant_id=pid, kind=kind, personnummer_enc=token,
                                                   personnummer_hash=hashed, created_at=now))
    assert identity_rows(engine) == []


def test_a_refused_duplicate_ref_writes_no_identity(ctx: ServiceContext, engine: Engine) -> None:
    """An enrolment refused after the identity check (ref taken) leaves no identity row behind."""
    enrol(ctx, "ident", ref="LU-1")
    with pytest.raises(DuplicateRef):
        enrol(ctx, "ident", ref="LU-1", personnummer=WOMAN)
    assert identity_rows(engine) == []
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM participants")).scalar_one() == 1
