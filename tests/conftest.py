"""Suite-wide test settings.

Hypothesis's per-example deadline and its "too slow" health check measure wall time, which on a
shared two-core machine says more about the neighbours than about pathway: property tests here pin
behaviour (no traceback, no write on refusal), never speed. Speed lives in bench/.
"""

from hypothesis import HealthCheck, settings

settings.register_profile(
    "pathway",
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.load_profile("pathway")
