"""Passwords are hashed with Argon2id at RFC 9106's low-memory parameters (tests swap in cheap ones)."""

from __future__ import annotations

import pytest
from argon2 import Type, extract_parameters, profiles

from pathway.services import accounts


def test_production_hashes_use_rfc_9106_low_memory_parameters(monkeypatch: pytest.MonkeyPatch) -> None:
    """The hasher the services use outside tests: argon2id, 64 MiB, three passes, four lanes."""
    monkeypatch.undo()  # the suite-wide cheap hasher (tests/conftest.py) out of the way
    parameters = extract_parameters(accounts._hasher().hash("correct horse battery"))
    expected = profiles.RFC_9106_LOW_MEMORY
    assert parameters.type is Type.ID
    assert (parameters.memory_cost, parameters.time_cost, parameters.parallelism) == \
        (expected.memory_cost, expected.time_cost, expected.parallelism)


def test_the_suite_hashes_cheaply() -> None:
    """Every other test runs with the cheapest parameters (a sign-in costs microseconds, not a third of a second)."""
    assert extract_parameters(accounts._hasher().hash("x")).memory_cost == profiles.CHEAPEST.memory_cost
