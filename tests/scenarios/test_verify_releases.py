"""Verification hands its memory back before the apply walk starts: the shadow cloud is closed and
the shadow walk's cyclic garbage is collected even under the pipeline's frozen heap, where no
automatic collection looks at it (issue 17: at 10,000 load balancers the leftovers of verification
were the bottom of the apply's peak). Small plans skip the collection (a long-lived process pays a
full collection per call otherwise)."""

from __future__ import annotations

import gc
import sqlite3
import sys
from pathlib import Path

import pytest

from planner.emulator import Emulator
from planner.engine.pipeline import make_plan
from planner.state.backend import LocalBackend

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
from bench.engine import config_tf  # noqa: E402


def _planned(tmp_path, n):
    (tmp_path / "main.tf").write_text(config_tf(n))
    return make_plan(tmp_path, LocalBackend(tmp_path / "clbplan.tfstate").read(), verify=False)


def test_a_large_verification_leaves_no_garbage_and_closes_its_shadow(tmp_path, monkeypatch):
    from planner.engine.verify import verify_plan

    planned = _planned(tmp_path, 110)
    assert len(planned.plan.operations) >= 1000
    shadows: list = []
    original = Emulator.copy

    def copy(self):
        shadows.append(original(self))
        return shadows[-1]

    monkeypatch.setattr(Emulator, "copy", copy)
    gc.collect()
    gc.freeze()  # as make_plan runs it: nothing collects the shadow walk's cycles automatically
    try:
        verify_plan(planned.plan, planned.emulator, planned.refreshed, region=planned.region,
                    planned_values=planned.planned_values(), dependencies=planned.dependencies())
        assert planned.plan.verified is True
        left = gc.collect()
    finally:
        gc.unfreeze()
    assert left < 100, f"{left} objects of the shadow walk were still waiting for a collection"
    assert shadows
    with pytest.raises(sqlite3.ProgrammingError):  # closed: its in-memory database is freed
        shadows[0].store.conn.execute("SELECT 1")
