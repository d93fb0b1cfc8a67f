"""Personal identity numbers at rest: encrypted, with a keyed hash to find them again.

The identity table never holds a number in plain text. Each number is stored twice, neither
readable without the key:

* ``personnummer_enc`` — a Fernet token (``cryptography``'s authenticated recipe: AES-128-CBC with
  an HMAC-SHA256 over a versioned token). Fernet rather than hand-assembled AES-GCM because the
  library generates the keys, the IVs and the token format for us, refuses any tampered token, and
  its :class:`~cryptography.fernet.MultiFernet` reads with several keys and re-encrypts with the
  newest — which is exactly what key rotation needs.
* ``personnummer_hash`` — HMAC-SHA256 of the 12 digits under a key derived from the same secret
  (HKDF, its own ``info`` label, so the hash key is never the encryption key). Equal numbers give
  equal hashes, so "is this person already enrolled?" is an indexed look-up; without the key the
  hash cannot be tested against the 10^10 possible numbers, as a plain SHA-256 could.

Keys come from settings (``identity_key``, env ``PATHWAY_IDENTITY_KEY``; earlier keys still to be
read during a rotation in ``identity_old_keys``). ``pathway identity new-key`` prints a fresh one.
Without a key, anything that would write or read a number stops with
:class:`IdentityKeyMissing` — never a fallback to plain text.
"""

from __future__ import annotations

import base64
import binascii
import hmac
from collections.abc import Iterable
from dataclasses import dataclass, field
from functools import lru_cache
from hashlib import sha256
from typing import TYPE_CHECKING

from pathway.errors import BadInput

if TYPE_CHECKING:  # cryptography loads where a key is used: a command that touches no number never loads it
    from cryptography.fernet import MultiFernet

#: HKDF ``info`` for the look-up hash key: a label of its own keeps it apart from Fernet's keys.
_HASH_INFO = b"pathway identity lookup hash v1"

KEY_HELP = (
    "set PATHWAY_IDENTITY_KEY (or identity_key in pathway.toml) to a key made by "
    "'pathway identity new-key'; keep it out of the database's backups"
)


class IdentityKeyMissing(BadInput):
    """A personal identity number was to be written or read and no key is configured."""

    def __init__(self, what: str = "a personal identity number is to be stored or looked up") -> None:
        super().__init__(f"no identity key: {what}, and numbers are kept only encrypted; {KEY_HELP}")


class IdentityKeyInvalid(BadInput):
    """A configured key is not a Fernet key (32 url-safe base64-encoded bytes)."""

    def __init__(self, setting: str) -> None:
        super().__init__(
            f"invalid {setting}: a key is 32 random bytes in url-safe base64 (44 characters ending in '='); "
            "make one with 'pathway identity new-key'"
        )


class IdentityUnreadable(BadInput):
    """A stored number cannot be decrypted with any configured key."""

    def __init__(self, participant_id: int | None = None) -> None:
        where = f" of participant {participant_id}" if participant_id is not None else ""
        super().__init__(
            f"the stored identity number{where} cannot be decrypted with the configured key(s); "
            "if the key was changed, give the previous one in PATHWAY_IDENTITY_OLD_KEYS and run "
            "'pathway identity rotate-key'"
        )


def new_key() -> str:
    """A fresh random key, as text to put in the settings."""
    from cryptography.fernet import Fernet  # cryptography loads when a key is used, not at start-up

    return Fernet.generate_key().decode("ascii")


@dataclass(frozen=True)
class IdentityKeys:
    """The current key (encrypts, hashes) and the older ones still accepted for reading."""

    current: str = field(repr=False)
    old: tuple[str, ...] = field(default=(), repr=False)

    def __post_init__(self) -> None:
        for setting, key in [("identity_key", self.current)] + [("identity_old_keys", k) for k in self.old]:
            try:
                raw = base64.urlsafe_b64decode(key.encode("ascii"))
            except (binascii.Error, UnicodeEncodeError, ValueError):
                raise IdentityKeyInvalid(setting) from None
            if len(raw) != 32:
                raise IdentityKeyInvalid(setting)

    @classmethod
    def from_settings(cls, current: str | None, old: str | Iterable[str] | None = None) -> IdentityKeys | None:
        """Keys from the settings' text (old keys comma-separated); None when no current key is set."""
        if old is None:
            olds: list[str] = []
        elif isinstance(old, str):
            olds = [k.strip() for k in old.split(",") if k.strip()]
        else:
            olds = [k.strip() for k in old if k.strip()]
        if current is None or not current.strip():
            return None
        return cls(current.strip(), tuple(k for k in olds if k != current.strip()))

    @property
    def _all(self) -> list[str]:
        return [self.current, *self.old]

    def _fernet(self) -> MultiFernet:
        from cryptography.fernet import Fernet, MultiFernet

        return MultiFernet([Fernet(k.encode("ascii")) for k in self._all])

    def encrypt(self, number: str) -> str:
        from cryptography.fernet import Fernet

        return Fernet(self.current.encode("ascii")).encrypt(number.encode("ascii")).decode("ascii")

    def decrypt(self, token: str, participant_id: int | None = None) -> str:
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet().decrypt(token.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise IdentityUnreadable(participant_id) from None

    def rotate(self, token: str, participant_id: int | None = None) -> str:
        """The same number encrypted with the current key."""
        from cryptography.fernet import InvalidToken

        try:
            return self._fernet().rotate(token.encode("ascii")).decode("ascii")
        except InvalidToken:
            raise IdentityUnreadable(participant_id) from None

    def lookup_hash(self, number: str) -> str:
        """The keyed hash stored beside the number (current key)."""
        return _hash(self.current, number)

    def lookup_hashes(self, number: str) -> list[str]:
        """The hash under every configured key: rows not yet rotated are still found."""
        return [_hash(k, number) for k in self._all]


@lru_cache(maxsize=8)
def _hash_key(key: str) -> bytes:
    from cryptography.hazmat.primitives import hashes
    from cryptography.hazmat.primitives.kdf.hkdf import HKDF

    secret = base64.urlsafe_b64decode(key.encode("ascii"))
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_HASH_INFO).derive(secret)


def _hash(key: str, number: str) -> str:
    return hmac.new(_hash_key(key), number.encode("ascii"), sha256).hexdigest()
