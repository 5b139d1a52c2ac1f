"""Every plan test runs with a small fake schema (see plan_fixtures.py)."""

from __future__ import annotations

import pytest
from plan_fixtures import FAKE_SCHEMAS


@pytest.fixture(autouse=True)
def fake_schema(request, monkeypatch):
    if getattr(request.module, "USES_REAL_SCHEMA", False):
        return
    monkeypatch.setattr("planner.plan.diff.get_schema", lambda t, mode="managed": FAKE_SCHEMAS.get(t))
