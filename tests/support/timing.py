"""The mark for tests that race a clock: one xdist worker runs them all, one after another.

Why: these tests bound how long something may take (a refusal "at once", a second Ctrl-C within
1.5 s) or need a subprocess to reach a point while another still runs. With the suite spread over
every core (pyproject's ``-n auto --dist loadgroup``), two of them at once would compete for the same
cores and each other's subprocesses; in one group they never overlap, while the rest of the suite
still runs beside them.
"""

from __future__ import annotations

import pytest

TIMING = pytest.mark.xdist_group("timing")
