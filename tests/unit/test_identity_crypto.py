"""The identity key: Fernet tokens, keyed look-up hashes, rotation, and refusal of malformed keys."""

from __future__ import annotations

import pytest

from pathway.config import Settings
from pathway.store.identity_crypto import IdentityKeyInvalid, IdentityKeys, IdentityUnreadable, new_key
from tests.keys import OTHER_IDENTITY_KEY, TEST_IDENTITY_KEY

NUMBER = "191212121212"


def test_a_token_decrypts_to_the_number_and_never_contains_it() -> None:
    """Encrypting twice gives two different tokens, both reading back to the number."""
    keys = IdentityKeys(TEST_IDENTITY_KEY)
    first, second = keys.encrypt(NUMBER), keys.encrypt(NUMBER)
    assert first != second and NUMBER not in first
    assert keys.decrypt(first) == keys.decrypt(second) == NUMBER


def test_the_lookup_hash_is_stable_per_key_and_differs_between_keys() -> None:
    """Equal numbers hash equal under one key; another key gives another hash; the hash is not plain SHA-256."""
    import hashlib

    a, b = IdentityKeys(TEST_IDENTITY_KEY), IdentityKeys(OTHER_IDENTITY_KEY)
    assert a.lookup_hash(NUMBER) == a.lookup_hash(NUMBER) != b.lookup_hash(NUMBER)
    assert a.lookup_hash(NUMBER) != hashlib.sha256(NUMBER.encode()).hexdigest()
    both = IdentityKeys(OTHER_IDENTITY_KEY, (TEST_IDENTITY_KEY,))
    assert both.lookup_hashes(NUMBER) == [b.lookup_hash(NUMBER), a.lookup_hash(NUMBER)]


def test_rotate_moves_a_token_to_the_current_key() -> None:
    """A token made with the old key is re-encrypted so the new key alone reads it."""
    old = IdentityKeys(TEST_IDENTITY_KEY)
    token = old.encrypt(NUMBER)
    rotated = IdentityKeys(OTHER_IDENTITY_KEY, (TEST_IDENTITY_KEY,)).rotate(token)
    assert IdentityKeys(OTHER_IDENTITY_KEY).decrypt(rotated) == NUMBER
    with pytest.raises(IdentityUnreadable):
        old.decrypt(rotated)


def test_a_tampered_token_is_refused() -> None:
    """Fernet authenticates: one changed character makes the token unreadable."""
    keys = IdentityKeys(TEST_IDENTITY_KEY)
    token = keys.encrypt(NUMBER)
    tampered = token[:20] + ("A" if token[20] != "A" else "B") + token[21:]
    with pytest.raises(IdentityUnreadable):
        keys.decrypt(tampered)


@pytest.mark.parametrize("bad", ["secret", "x" * 44, new_key()[:40]], ids=["word", "not-base64", "truncated"])
def test_a_malformed_key_is_refused_with_how_to_make_one(bad: str) -> None:
    """A key that is not 32 url-safe base64 bytes is refused, naming 'pathway identity new-key'."""
    with pytest.raises(IdentityKeyInvalid, match="pathway identity new-key"):
        IdentityKeys(bad)


def test_settings_read_the_key_and_old_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """PATHWAY_IDENTITY_KEY and comma-separated PATHWAY_IDENTITY_OLD_KEYS become IdentityKeys; unset gives None."""
    monkeypatch.delenv("PATHWAY_IDENTITY_KEY", raising=False)
    monkeypatch.setenv("PATHWAY_SETTINGS_FILE", "/nonexistent/pathway.toml")
    assert Settings().identity_keys() is None
    monkeypatch.setenv("PATHWAY_IDENTITY_KEY", OTHER_IDENTITY_KEY)
    monkeypatch.setenv("PATHWAY_IDENTITY_OLD_KEYS", f"{TEST_IDENTITY_KEY}, ")
    keys = Settings().identity_keys()
    assert keys == IdentityKeys(OTHER_IDENTITY_KEY, (TEST_IDENTITY_KEY,))
    assert TEST_IDENTITY_KEY not in repr(Settings())
