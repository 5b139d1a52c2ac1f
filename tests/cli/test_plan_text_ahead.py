"""A large plan's text rendered by a child while the plan is verified reads exactly as the text rendered
after it, and a plan the verification refuses is never shown."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.bench_scripts import load

bench_engine = load("engine")

pytestmark = pytest.mark.skipif(not hasattr(os, "fork"), reason="the text is rendered in a forked child")

# a load balancer group naming an instance the cloud does not have: the verification refuses it
REFUSED = bench_engine.config_tf(6) + '''
resource "alicloud_slb_server_group" "missing" {
  load_balancer_id = alicloud_slb_load_balancer.lb["lb00003"].id
  name             = "missing"
  servers {
    server_ids = ["i-bp1nosuchserver03"]
    port       = 80
    weight     = 100
  }
}
'''


def _clbplan(work: Path, ahead: str, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "CLBPLAN_TEXT_AHEAD": ahead, "TF_LOG": "INFO", "NO_COLOR": "1"}
    return subprocess.run([sys.executable, "-m", "planner.cli.main", *args, "-no-color"], cwd=work, env=env,
                          capture_output=True, text=True, timeout=600)


def _both(tmp_path: Path, main_tf: str, *args: str) -> tuple[subprocess.CompletedProcess, ...]:
    """The command with the text rendered after the verification, then ahead of it (fresh workdirs)."""
    outs = []
    for ahead in ("0", "always"):
        work = tmp_path / ahead
        work.mkdir()
        (work / "main.tf").write_text(main_tf)
        outs.append(_clbplan(work, ahead, *args))
    return tuple(outs)


def test_plan_text_rendered_ahead_is_the_same_text(tmp_path: Path) -> None:
    after, ahead = _both(tmp_path, bench_engine.config_tf(6), "plan")
    assert "plan text: rendered by process" in ahead.stderr and "plan text:" not in after.stderr
    assert after.returncode == ahead.returncode == 0
    assert "Verified: every step below was run" in ahead.stdout
    assert ahead.stdout == after.stdout


def test_apply_shows_the_text_rendered_ahead_before_its_progress(tmp_path: Path) -> None:
    after, ahead = _both(tmp_path, bench_engine.config_tf(3), "apply", "-auto-approve")
    assert after.returncode == ahead.returncode == 0, ahead.stderr
    assert "plan text: rendered by process" in ahead.stderr

    def plan_part(out: str) -> str:
        return out[:out.index("\nPlan: ")]

    assert plan_part(ahead.stdout) == plan_part(after.stdout)
    assert "Apply complete! Resources: " in ahead.stdout


def test_a_refused_plan_is_not_shown(tmp_path: Path) -> None:
    after, ahead = _both(tmp_path, REFUSED, "plan")
    assert "plan text: rendered by process" in ahead.stderr
    assert after.returncode == ahead.returncode == 1
    assert "Plan verification failed" in ahead.stderr
    assert "Plan: " not in ahead.stdout and "Verified" not in ahead.stdout
    assert ahead.stdout == after.stdout
