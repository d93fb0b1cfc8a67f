"""Suite-wide test settings.

Hypothesis's per-example deadline and its "too slow" health check measure wall time, which on a
shared two-core machine says more about the neighbours than about pathway: property tests here pin
behaviour (no traceback, no write on refusal), never speed. Speed lives in bench/.
"""

import pytest
from hypothesis import HealthCheck, settings

settings.register_profile(
    "pathway",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("pathway")


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 with the cheapest parameters under test: the production ones (RFC 9106 low-memory,
    64 MiB and three passes) cost a third of a second per hash or check, which is their purpose and
    no test's. tests/unit/test_password_cost.py pins the production parameters."""
    from argon2 import PasswordHasher, profiles

    from pathway.services import accounts

    cheapest = PasswordHasher.from_parameters(profiles.CHEAPEST)
    monkeypatch.setattr(accounts, "_hasher", lambda: cheapest)
