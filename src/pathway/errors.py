"""One error hierarchy for everything a user can get wrong or be refused.

Every error carries the offending value and the way out in its message, and knows its CLI exit
code, so the CLI can print one line and exit without a traceback (DESIGN invariant 6):

* exit 1 — :class:`RuleRefused`: the request was understood but a pathway rule says no
  (trigger not allowed from this step, guard failed, concurrent change).
* exit 2 — :class:`BadInput`: the request itself is wrong (unknown workflow or participant,
  malformed value or file).
* exit 3 — :class:`NotPermitted`: the acting user may not do this (unknown or disabled user, a
  role or project membership missing); says which permission is missing and who can grant it.
* exit 4 — ``pathway deadlines check`` did its work but some notifications could not be delivered
  (:data:`DELIVERIES_FAILED_EXIT`); they stay in the outbox table and are retried.

A message names the input it is about by its field name, written with :func:`field` (``personnummer``,
``at``, ``reason``), never in one entry point's words: each entry point words the fields its own way
with :meth:`PathwayError.worded` — the CLI as its flags (``--personnummer``), the importer as the keys
of an import line, the web app as its form fields. ``message`` words them as the plain field names.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Sequence


#: Exit code of ``pathway deadlines check`` when some deliveries failed (the check itself succeeded).
DELIVERIES_FAILED_EXIT = 4


_FIELD_START, _FIELD_END = "\ue000", "\ue001"
_FIELD = re.compile(f"{_FIELD_START}([A-Za-z0-9_.\\[\\]]+){_FIELD_END}")


def field(name: str) -> str:
    """``name`` marked as a field in a message, for each entry point to word as it calls it."""
    return f"{_FIELD_START}{name}{_FIELD_END}"


def plain(name: str) -> str:
    """The vocabulary of :attr:`PathwayError.message`: a field is its own name."""
    return name


class PathwayError(Exception):
    """Base of every error that is the user's to fix; never shown with a traceback."""

    exit_code = 2

    def __init__(self, message: str) -> None:
        pieces = _FIELD.split(message)  # text, field, text, field, …, text
        self._pieces = [inert(piece) if i % 2 == 0 else piece for i, piece in enumerate(pieces)]
        #: the fields the message names, in order
        self.fields = tuple(pieces[1::2])
        message = self.worded(plain)
        super().__init__(message)
        self.message = message

    def worded(self, vocabulary: Callable[[str], str]) -> str:
        """The message with every field named as ``vocabulary`` calls it (e.g. a CLI flag)."""
        return "".join(piece if i % 2 == 0 else vocabulary(piece) for i, piece in enumerate(self._pieces))

    @property
    def template(self) -> str:
        """The message with its fields still marked: to build another error around this one."""
        return self.worded(field)


def inert(message: str) -> str:
    """``message`` with control and text-direction characters written as escapes (``\\x1b``).

    Messages quote what the user typed (an unknown workflow, a trigger); a terminal must not act on an
    escape sequence in it, nor a page or log show text reversed by a bidi override.
    """
    if message.isprintable():
        return message
    return "".join(
        char if char.isprintable() or char in "\n\t" else char.encode("unicode_escape").decode("ascii")
        for char in message)


class BadInput(PathwayError):
    """The input is malformed or names something that does not exist (exit 2)."""

    exit_code = 2


class RuleRefused(PathwayError):
    """A pathway rule refuses the request (exit 1)."""

    exit_code = 1


def _options(values: Iterable[str]) -> str:
    listed = sorted(values)
    return ", ".join(listed) if listed else "(none)"


class UnknownWorkflow(BadInput):
    def __init__(self, workflow_id: str, known: Iterable[str]) -> None:
        super().__init__(f"unknown workflow '{workflow_id}'; known workflows: {_options(known)}")
        self.workflow_id = workflow_id


class UnknownParticipant(BadInput):
    def __init__(self, participant: str) -> None:
        super().__init__(
            f"unknown participant '{participant}'; give the id printed by 'pathway participant enrol' "
            "or a ref (see 'pathway participant list')"
        )
        self.participant = participant


class InvalidValue(BadInput):
    """A value given on the command line or in a file does not parse or is out of range."""

    def __init__(self, what: str, value: object, accepted: str) -> None:
        super().__init__(f"invalid {what} {_shown(value)}: {accepted}")
        self.what = what
        self.value = value


def _shown(value: object) -> str:
    """The value as the message quotes it: a long paste is cut (a message stays one readable line)."""
    try:
        text = repr(value)
    except ValueError:  # an int too long to print
        return "(a number too long to print)"
    if len(text) > 80:
        return f"{text[:60]}… ({len(str(value))} characters)"
    return text


class BeyondLimits(InvalidValue):
    """A value outside pathway's limits (:mod:`pathway.limits`): too long, out of range, control
    characters, a personnummer in free text. ``value`` is a description, never the value itself."""

    def __init__(self, what: str, value: object, accepted: str) -> None:
        PathwayError.__init__(self, f"invalid {what} ({value}): {accepted}")
        self.what = what
        self.value = value


class PersonnummerInText(BeyondLimits):
    """Free text holding what looks like a personnummer; the message never repeats it."""

    def __init__(self, what: str) -> None:
        PathwayError.__init__(
            self, f"{what} looks like a personal identity number (a valid 10- or 12-digit personnummer); "
            f"free text is stored in the history and exported, so give the number as {field('personnummer')} "
            "and leave it out of the text")
        self.what = what
        self.value = None


class DefinitionInvalid(BadInput):
    """A workflow file failed to load; ``problems`` holds every ``FILE:LINE:COLUMN: message``."""

    def __init__(self, problems: Sequence[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = list(problems)


class TriggerNotAllowed(RuleRefused):
    def __init__(self, trigger: str, step: str, allowed: Iterable[str]) -> None:
        super().__init__(
            f"trigger '{trigger}' is not allowed from step '{step}'; allowed now: {_options(allowed)}"
        )
        self.trigger = trigger
        self.step = step
        self.allowed = sorted(allowed)


class GuardFailed(RuleRefused):
    """Every transition for the trigger was blocked; ``reasons`` says by which guard and why."""

    def __init__(self, trigger: str, step: str, reasons: Sequence[str]) -> None:
        super().__init__(f"trigger '{trigger}' refused in step '{step}': " + "; ".join(reasons))
        self.trigger = trigger
        self.step = step
        self.reasons = list(reasons)


class ParticipantExited(RuleRefused):
    def __init__(self, participant_id: int, step: str) -> None:
        super().__init__(
            f"participant {participant_id} has exited (step '{step}'); nothing more can be fired"
        )


class ParticipantVoided(RuleRefused):
    def __init__(self, participant_id: int) -> None:
        super().__init__(
            f"participant {participant_id} was voided (enrolled by mistake); nothing more can be recorded — "
            "enrol the person again if they are a participant"
        )


class ConcurrentChange(RuleRefused):
    def __init__(self, participant_id: int) -> None:
        super().__init__(
            f"participant {participant_id} was changed by someone else at the same time; "
            "nothing was written — look at 'pathway participant show' and try again"
        )
        self.participant_id = participant_id
        #: the newest event seq this writer had read (set by the unit of work; None: unknown),
        #: so services.retry can tell a deadline check's events from a person's
        self.seen_seq: int | None = None


class DuplicateRef(RuleRefused):
    def __init__(self, ref: str, workflow_id: str, existing_id: int) -> None:
        super().__init__(
            f"ref '{ref}' is already used in workflow '{workflow_id}' by participant {existing_id}"
        )
        self.existing_id = existing_id


class RefTakenConcurrently(RuleRefused):
    def __init__(self, ref: str, workflow_id: str) -> None:
        super().__init__(
            f"ref '{ref}' was taken in workflow '{workflow_id}' by another enrolment at the same moment; "
            "nothing was written — look it up with 'pathway participant show " + ref + "'"
        )


class DatabaseNotReady(BadInput):
    def __init__(self, url: str, detail: str) -> None:
        super().__init__(f"database {url} is not ready: {detail}")


class CheckInterrupted(RuleRefused):
    """A deadline check committed some batches and then could not get the database for the next."""

    def __init__(self, committed: list[int], detail: str) -> None:
        n = len(committed)
        batches = "batch 1" if n == 1 else f"batches 1–{n}"
        super().__init__(
            f"the deadline check committed {batches} ({sum(committed)} action(s): "
            f"{', '.join(str(c) for c in committed)}) and then could not get the database for batch {n + 1}: "
            f"{detail}; what was committed stands and its notifications are queued — run "
            "'pathway deadlines check' again to carry on"
        )
        self.committed = list(committed)


class SettingsInvalid(BadInput):
    """``pathway.toml`` is malformed or sets something pathway does not know (exit 2)."""


class NoDatabaseHere(BadInput):
    """A command would create a fresh, empty database in a folder that looks like the wrong one."""

    def __init__(self, path: str, workflows: str, settings: str) -> None:
        super().__init__(
            f"there is no database at {path}, no workflows folder {workflows} and no settings file {settings} "
            "here — is this the right folder? Nothing was created. Give --db (or PATHWAY_DATABASE_URL) and "
            "--workflows, or run 'pathway db init' to create a new database here on purpose"
        )


class NotPermitted(PathwayError):
    """The acting user may not do this (exit 3); nothing was read or written.

    ``permission`` names what is missing; the message also says who can grant it.
    """

    exit_code = 3

    def __init__(self, message: str, permission: str | None = None) -> None:
        super().__init__(message)
        self.permission = permission
