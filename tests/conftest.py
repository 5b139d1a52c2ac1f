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

# The parse cache's per-user key lives under $XDG_CACHE_HOME: keep the suite's key out of the real home.
if not os.environ.get("CLBPLAN_TEST_KEEP_XDG_CACHE"):
    import atexit
    import shutil
    import tempfile

    os.environ["XDG_CACHE_HOME"] = tempfile.mkdtemp(prefix="clbplan-test-xdg-")
    atexit.register(shutil.rmtree, os.environ["XDG_CACHE_HOME"], True)
