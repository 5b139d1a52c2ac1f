"""Threat: an interrupted apply claims success.

Ctrl-C (SIGINT, also what CI sends when a job is cancelled) during ``apply`` used to stop
gracefully and then print "Apply complete!" and exit 0, so a pipeline carried on as if everything
had been applied. Terraform says the run was interrupted and exits 1; a second Ctrl-C exits at once.
Tested with a real process and real signals.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from planner.state.tfstate import flat_instances
from tests.support.timing import TIMING

pytestmark = TIMING

ROOT = Path(__file__).resolve().parents[2]

# quick is created at once; slow takes 3 s; after waits for slow (so it is skipped on Ctrl-C)
CONFIG = """
resource "alicloud_slb_acl" "quick" {
  name = "quick"
}

resource "time_sleep" "slow" {
  create_duration  = "3s"
  destroy_duration = "3s"
}

resource "alicloud_slb_acl" "after" {
  name       = "after"
  depends_on = [time_sleep.slow]
}
"""


def _start(cwd: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "planner.cli.main", *args], cwd=cwd, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})


def _wait_for(proc: subprocess.Popen, needle: str, timeout: float = 60) -> str:
    """Read stdout lines until one holds ``needle`` (the progress lines are on stdout, as Terraform's)."""
    assert proc.stdout is not None
    seen = ""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        seen += line
        if needle in line:
            return seen
    raise AssertionError(f"never saw {needle!r}; stdout so far:\n{seen}")


def _addresses(cwd: Path) -> set[str]:
    doc = json.loads((cwd / "clbplan.tfstate").read_text())
    return {f"{r['type']}.{r['name']}" for r in flat_instances(doc)}


def test_ctrl_c_during_apply_says_interrupted_saves_state_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CONFIG)
    proc = _start(tmp_path, "apply", "-auto-approve")
    before = _wait_for(proc, "alicloud_slb_acl.quick: Creation complete after")
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    out = before + out
    assert proc.returncode == 1, out + err
    assert "Apply complete" not in out
    assert "Interrupt received" in err
    assert "Apply interrupted" in err
    assert "done: create time_sleep.slow" in err  # the operation in flight finished
    assert "skipped: create alicloud_slb_acl.after" in err  # nothing new started
    assert "state was saved" in err
    assert "Traceback" not in err
    assert _addresses(tmp_path) == {"alicloud_slb_acl.quick", "time_sleep.slow"}
    # the next apply finishes the rest
    done = subprocess.run([sys.executable, "-m", "planner.cli.main", "apply", "-auto-approve"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    assert "1 added" in done.stdout


def test_second_ctrl_c_exits_at_once_and_the_next_apply_recovers(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CONFIG)
    proc = _start(tmp_path, "apply", "-auto-approve")
    _wait_for(proc, "alicloud_slb_acl.quick: Creation complete after")
    proc.send_signal(signal.SIGINT)
    time.sleep(0.3)
    sent = time.monotonic()
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=30)
    assert time.monotonic() - sent < 1.5, "the second Ctrl-C did not stop at once"
    assert proc.returncode == 1
    assert "Two interrupts received" in err and "Apply complete" not in out
    assert "Traceback" not in err
    again = subprocess.run([sys.executable, "-m", "planner.cli.main", "apply", "-auto-approve"], cwd=tmp_path,
                           capture_output=True, text=True, timeout=120,
                           env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})
    assert again.returncode == 0, again.stdout + again.stderr
    assert _addresses(tmp_path) == {"alicloud_slb_acl.quick", "time_sleep.slow", "alicloud_slb_acl.after"}


def test_ctrl_c_during_destroy_says_interrupted_and_exits_1(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CONFIG)
    done = subprocess.run([sys.executable, "-m", "planner.cli.main", "apply", "-auto-approve"], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})
    assert done.returncode == 0, done.stderr
    proc = _start(tmp_path, "destroy", "-auto-approve")
    # after is deleted first, then slow (3 s); quick goes at once: interrupt while slow is in flight
    before = _wait_for(proc, "alicloud_slb_acl.after: Destruction complete after")
    time.sleep(0.3)
    proc.send_signal(signal.SIGINT)
    out, err = proc.communicate(timeout=60)
    out = before + out
    assert proc.returncode == 1, out + err
    assert "Destroy complete" not in out
    assert "Interrupt received" in err and "Destroy interrupted" in err and "state was saved" in err
