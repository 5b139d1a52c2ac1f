"""time: time_sleep really waits (on apply, never while verifying a plan), rotation leaves the state
when due, offsets and durations update in place."""

from __future__ import annotations

import time
from datetime import UTC, datetime

import pytest

from planner.providers.local import LocalEnv, LocalProvider
from planner.providers.local.clock import add_months, parse_duration
from planner.values import is_unknown
from tests.utility.helpers import actions, apply, plan, write


@pytest.mark.parametrize(("text", "seconds"), [("30s", 30), ("1h30m", 5400), ("1.5m", 90), ("250ms", 0.25),
                                               ("0", 0), ("-2s", -2)])
def test_go_durations(text, seconds):
    assert parse_duration(text) == pytest.approx(seconds)


@pytest.mark.parametrize("bad", ["30", "1d", "", "s", "1h 30m"])
def test_bad_durations_are_refused(bad):
    with pytest.raises(ValueError):
        parse_duration(bad)


def test_months_overflow_like_go():
    assert add_months(datetime(2026, 1, 31, tzinfo=UTC), 1) == datetime(2026, 3, 3, tzinfo=UTC)


def test_time_sleep_waits_on_create_and_destroy_but_not_while_planning(tmp_path):
    write(tmp_path, 'resource "time_sleep" "w" {\n  create_duration  = "400ms"\n  destroy_duration = "300ms"\n}\n')
    t0 = time.monotonic()
    planned = plan(tmp_path)  # verification runs the create on a copy: no wait
    assert time.monotonic() - t0 < 0.4
    t0 = time.monotonic()
    _, state, result = apply(tmp_path, planned)
    assert time.monotonic() - t0 >= 0.4 and result.api_calls == 0
    assert actions(plan(tmp_path)) == {}
    write(tmp_path, 'resource "time_sleep" "w" {\n  create_duration  = "500ms"\n  destroy_duration = "300ms"\n}\n')
    assert actions(plan(tmp_path)) == {"time_sleep.w": ["update"]}  # a duration alone: in place
    t0 = time.monotonic()
    apply(tmp_path, plan(tmp_path, destroy=True))
    assert time.monotonic() - t0 >= 0.3


def test_time_sleep_needs_a_duration(tmp_path):
    from planner.diagnostics import DiagnosticsError

    write(tmp_path, 'resource "time_sleep" "w" {}\n')
    with pytest.raises(DiagnosticsError, match="no duration given"):
        plan(tmp_path)


def test_time_static_offset_and_triggers(tmp_path):
    cfg = '''
resource "time_static" "t" {
  rfc3339  = "2026-01-31T10:00:00Z"
  triggers = { v = "%s" }
}
resource "time_offset" "o" {
  base_rfc3339 = "2026-01-31T10:00:00Z"
  offset_months = %d
}
'''
    write(tmp_path, cfg % ("1", 1))
    _, state, _ = apply(tmp_path)
    by = {a.type: rs.attributes for a, rs in state.resources.items()}
    assert by["time_static"]["unix"] == 1769853600 and by["time_static"]["month"] == 1
    assert by["time_offset"]["rfc3339"] == "2026-03-03T10:00:00Z"
    write(tmp_path, cfg % ("2", 2))
    planned = plan(tmp_path)
    assert actions(planned) == {"time_static.t": ["delete", "create"], "time_offset.o": ["update"]}
    off = next(c for c in planned.plan.changes if c.address.type == "time_offset")
    assert is_unknown(off.after["rfc3339"])
    _, state, _ = apply(tmp_path, planned)
    by = {a.type: rs.attributes for a, rs in state.resources.items()}
    assert by["time_offset"]["rfc3339"] == "2026-03-31T10:00:00Z"


def test_time_rotating_leaves_state_when_due():
    h = LocalProvider(LocalEnv(now=lambda: datetime(2026, 2, 10, tzinfo=UTC))).handler("time_rotating")
    made = h.create({"rfc3339": "2026-01-01T00:00:00Z", "rotation_days": 30}, None)
    assert made["rotation_rfc3339"] == "2026-01-31T00:00:00Z"
    assert h.read(made) is None  # due: the next plan creates it again
    fresh = h.create({"rfc3339": "2026-02-01T00:00:00Z", "rotation_days": 30}, None)
    assert h.read(fresh) == fresh
