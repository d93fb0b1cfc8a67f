"""Identity at enrolment: a checked personal identity number kept apart, or an anonymous participant.

DESIGN invariant 7: the number is written to the identity table only — never to an event, the
participant row, a report, an export or a log — and the messages here never repeat it. What the
number says (birth date, legal gender) is recorded as the workflow's ``birth_date`` and ``gender``
attributes when the workflow declares them and they were not given.

An anonymous participant (no consent to registration, or protected identity) has no number and
carries only gender and the start year (the year of the enrolment's effective time); the identity
table marks it ``anonymous`` so that other attributes are refused later too
(:func:`refuse_for_anonymous`).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from pathway.clock import to_local
from pathway.definitions.models import Workflow
from pathway.domain.identity import IdentityKind, PersonalIdentityNumber, parse_personnummer
from pathway.engine.values import coerce
from pathway.errors import BadInput, InvalidValue, RuleRefused
from pathway.errors import field as named
from pathway.services import policy
from pathway.services.context import ServiceContext
from pathway.store.uow import UnitOfWork

GENDER = "gender"
BIRTH_DATE = "birth_date"
#: The only attribute an anonymous participant may carry (the start year is the enrolment's).
ANONYMOUS_ATTRIBUTES = frozenset({GENDER})
#: Legal genders a number can encode; a recorded gender outside them (e.g. ``other``) is not
#: taken as contradicting the number.
LEGAL_GENDERS = frozenset({"male", "female"})

ANONYMOUS_WHY = "an anonymous participant (no consent to registration, or protected identity) carries only gender and the start year"


class InvalidPersonnummer(BadInput):
    """The number does not parse or check; the message says why without repeating it."""

    def __init__(self, problem: str) -> None:
        super().__init__(f"invalid {named('personnummer')}: {problem}")
        self.problem = problem


class IdentityContradiction(BadInput):
    """An attribute given with ``--attr`` says something else than the number."""

    def __init__(self, attribute: str, given: object, derived: object) -> None:
        super().__init__(
            f"{named('attributes')} {attribute}={given} contradicts {named('personnummer')}, which gives {attribute} "
            f"{derived}; leave out {named('attributes')} {attribute} (it is taken from the number) or check the number"
        )
        self.attribute = attribute


class AnonymousNotAllowed(BadInput):
    """Something personal was asked for together with ``--anonymous``."""


class PersonAlreadyEnrolled(RuleRefused):
    """The same person is already an open participant of the workflow."""

    def __init__(self, workflow_id: str, existing_id: int) -> None:
        super().__init__(
            f"this person is already enrolled in workflow '{workflow_id}' as participant {existing_id}, "
            f"who has not exited; carry on with that participant ('pathway participant show {existing_id}'), "
            "or exit them before enrolling the person again"
        )
        self.workflow_id = workflow_id
        self.existing_id = existing_id


class AnonymousParticipant(RuleRefused):
    """An attribute other than gender was to be recorded for an anonymous participant."""

    def __init__(self, participant_id: int, refused: list[str]) -> None:
        names = ", ".join(f"'{n}'" for n in refused)
        super().__init__(
            f"participant {participant_id} is anonymous: {ANONYMOUS_WHY}, so {names} cannot be recorded"
        )
        self.participant_id = participant_id
        self.refused = refused


@dataclass(frozen=True)
class EnrolmentIdentity:
    """What an enrolment records about identity: nothing, a number, or anonymity."""

    kind: IdentityKind | None = None
    number: PersonalIdentityNumber | None = field(default=None, repr=False)
    #: typed attribute values taken from the number (only those not given and declared)
    derived: dict[str, Any] = field(default_factory=dict)


def check_options(personnummer: str | None, anonymous: bool, attributes: Mapping[str, Any]) -> None:
    """The combinations a caseworker cannot ask for, refused before anything is read (exit 2)."""
    if not anonymous:
        return
    if personnummer is not None:
        raise AnonymousNotAllowed(
            f"{named('anonymous')} and {named('personnummer')} exclude each other: {ANONYMOUS_WHY}, and no number; "
            "leave out one of them"
        )
    others = sorted(set(attributes) - ANONYMOUS_ATTRIBUTES)
    if others:
        listed = " ".join(f"{named('attributes')} {n}=…" for n in others)
        raise AnonymousNotAllowed(f"{ANONYMOUS_WHY}; leave out {listed}")


def identify(
    uow: UnitOfWork,
    definition: Workflow,
    values: Mapping[str, Any],
    effective_at: datetime,
    *,
    personnummer: str | None,
    anonymous: bool,
    ref: str | None,
) -> EnrolmentIdentity:
    """Check the identity an enrolment gives; refuses a bad number, a contradiction or a duplicate."""
    reference = to_local(effective_at).date()
    workflow_id = definition.id
    if ref is not None and _is_personnummer(ref.strip(), reference):
        raise BadInput(
            f"{named('ref')} looks like a personal identity number; a ref is shown in lists, histories and exports, "
            f"so give the number as {named('personnummer')} and a case reference (e.g. LU-2026-014) as {named('ref')}"
        )
    if anonymous:
        required = [n for n, s in definition.attributes.items() if s.required and n not in ANONYMOUS_ATTRIBUTES]
        if required:
            raise AnonymousNotAllowed(
                f"workflow '{workflow_id}' requires attribute '{required[0]}', which cannot be recorded: "
                f"{ANONYMOUS_WHY}"
            )
        return EnrolmentIdentity(IdentityKind.ANONYMOUS)
    if personnummer is None:
        return EnrolmentIdentity()
    try:
        number = parse_personnummer(personnummer, reference)
    except ValueError as err:
        raise InvalidPersonnummer(str(err)) from None
    derived = _derived(definition, number, values)
    uow.identities.lock_person(number.number)
    existing = uow.identities.open_enrolments(number.number, workflow_id)
    if existing:
        raise PersonAlreadyEnrolled(workflow_id, existing[0])
    return EnrolmentIdentity(number.kind, number, derived)


def record(uow: UnitOfWork, participant_id: int, identity: EnrolmentIdentity, now: datetime) -> None:
    """Write the identity row of a new participant (none when neither number nor anonymity was given)."""
    if identity.kind is None:
        return
    number = identity.number.number if identity.number is not None else None
    uow.identities.add(participant_id, identity.kind.value, number, now)


def refuse_for_anonymous(uow: UnitOfWork, participant_id: int, names: Iterable[str]) -> None:
    """Refuse recording attributes other than gender for an anonymous participant (``participant set``)."""
    refused = sorted(set(names) - ANONYMOUS_ATTRIBUTES)
    if refused and uow.identities.kind_of(participant_id) == IdentityKind.ANONYMOUS.value:
        raise AnonymousParticipant(participant_id, refused)


def refuse_contradicting_number(uow: UnitOfWork, definition: Workflow, participant_id: int,
                                values: Mapping[str, Any], today: date) -> None:
    """``participant set`` may not record a birth date or gender the personal number contradicts."""
    number = uow.identities.number_of(participant_id)
    if number is not None and ({BIRTH_DATE, GENDER} & set(values)):
        _derived(definition, parse_personnummer(number, today), values)


def _derived(definition: Workflow, number: PersonalIdentityNumber, values: Mapping[str, Any]) -> dict[str, Any]:
    derived: dict[str, Any] = {}
    codes = [r.code for r in definition.exit_reasons]
    for name, value in ((BIRTH_DATE, number.birth_date.isoformat()), (GENDER, number.gender)):
        spec = definition.attributes.get(name)
        if spec is None:
            continue
        try:
            typed = coerce(spec, value, f"attribute '{name}'", codes)
        except InvalidValue:
            continue  # the workflow records it in terms of its own; nothing to take from the number
        given = values.get(name)
        if given is None:
            derived[name] = typed
        elif given != typed and (name != GENDER or given in LEGAL_GENDERS):
            raise IdentityContradiction(name, _shown(given), value)
    return derived


def _shown(value: object) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _is_personnummer(text: str, reference: date) -> bool:
    try:
        parse_personnummer(text, reference)
    except ValueError:
        return False
    return True


def rotate_key(ctx: ServiceContext) -> int:
    """Re-encrypt and re-hash every stored identity number with the current key, in one transaction.

    The settings give the new key as ``identity_key`` and the one(s) it replaces in
    ``identity_old_keys``; afterwards the old keys can be dropped. Returns how many numbers.
    """
    policy.require(ctx, "identity.rotate")
    with ctx.uow() as uow:
        count = uow.identities.rotate_all()
        uow.commit()
        return count
