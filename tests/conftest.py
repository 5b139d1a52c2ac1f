"""Suite-wide settings: hypothesis profiles and a clean working directory per test."""

from __future__ import annotations

import os

from hypothesis import HealthCheck, settings

# "ci" keeps property tests to tens of examples; "long" is for campaigns run by hand or from bench/.
settings.register_profile("ci", max_examples=30, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.register_profile("long", max_examples=500, deadline=None,
                          suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))
