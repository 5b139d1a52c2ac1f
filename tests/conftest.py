"""Suite-wide settings: hypothesis profiles and a clean working directory per test."""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Iterator

import pytest
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


# The longest modules start first (measured: wall seconds of a serial run, longest first). The suite
# runs on every core (pyproject's `-n auto`) and xdist hands tests out in collection order: a
# multi-minute module collected last would run alone on one core at the end while the others idle.
# Only the order changes; a module missing here (or a stale entry) costs time, never a test.
LONGEST_FIRST = (
    "tests/pg/test_pg_kill.py",
    "tests/security/test_input_limits.py",
    "tests/engine/test_kill.py",
    "tests/cli/test_terraform_flags.py",
    "tests/pg/test_pg_backend.py",
    "tests/security/test_secrets.py",
    "tests/security/test_read_only_checkout.py",
    "tests/security/test_plan_file.py",
    "tests/security/test_deep_nesting.py",
    "tests/engine/test_faults.py",
    "tests/policy/test_policy_tools.py",
    "tests/security/test_disk_full.py",
    "tests/pg/test_pg_terraform.py",
    "tests/convergence/test_transitions.py",
    "tests/convergence/test_kills.py",
    "tests/pg/test_readme_team_state.py",
    "tests/pg/test_pg_migrate.py",
)


def pytest_collection_modifyitems(items: list) -> None:
    rank = {module: i for i, module in enumerate(LONGEST_FIRST)}
    items.sort(key=lambda item: rank.get(item.nodeid.split("::", 1)[0], len(rank)))  # stable: the rest keeps its order


_FD_FOLDER = "/proc/self/fd"


@pytest.fixture(autouse=True)
def _release_descriptors() -> Iterator[None]:
    """What a test left open is released before the next one starts. A worker process runs about
    1,800 tests: the SDK's pooled connections to each test's served emulator (one per port, never
    closed by the SDK) and the SQLite files of plans made by direct ``make_plan`` calls (a
    ``sqlite3.Connection`` sits in a reference cycle with its statement cache, so only the cyclic
    collector frees it) once took a worker past 1,024 descriptors, where ``select()`` fails. The
    commands close their own clouds (``Clouds.close``); tests/transport/test_descriptors.py checks that."""
    yield
    http = sys.modules.get("planner.providers.http_transport")
    if http is not None:
        http.close_pooled_connections()
    if os.path.isdir(_FD_FOLDER) and len(os.listdir(_FD_FOLDER)) > 256:
        gc.collect()
