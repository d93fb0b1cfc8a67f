"""Suite-wide test settings.

Hypothesis's per-example deadline and its "too slow" health check measure wall time, which on a
shared two-core machine says more about the neighbours than about pathway: property tests here pin
behaviour (no traceback, no write on refusal), never speed. Speed lives in bench/.
"""

import gc
import os

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


def pytest_configure(config: pytest.Config) -> None:
    """The commands under test see no terminal size of the runner's: COLUMNS and LINES (which
    pytest-xdist's workers find set to 80×24) would narrow every table the CLI prints into a pipe
    (200 columns otherwise, pathway.cli.output.page_width) and cut the text the e2e tests look for."""
    for name in ("COLUMNS", "LINES"):
        os.environ.pop(name, None)


def pytest_collection_finish(session: pytest.Session) -> None:
    """Move everything the collection left alive (every imported module of pathway, SQLAlchemy,
    Typer, FastAPI ... and the collected items, all alive until the session ends) out of the cyclic
    garbage collector's view (:func:`gc.freeze`), after collecting what is garbage already.

    A full collection otherwise walks those few hundred thousand objects each time: the e2e tests
    collect after every in-process command (its engine and SQLite connections, as a process exit
    would close them), which cost 80 ms a command, a third of the e2e tests' time. What the tests
    create afterwards is collected as before."""
    gc.collect()
    gc.freeze()
