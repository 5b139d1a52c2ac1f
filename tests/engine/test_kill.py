"""SIGKILL ``clbplan apply`` at several points, run it again, and the cloud and state agree exactly.

This is the crash-safety promise of DESIGN.md section 5, checked from the outside, the way a user
meets it: the real CLI in a subprocess, a real SIGKILL, the embedded cloud on disk. After the
re-run: every cloud object is in the state exactly once, nothing was created twice (the cloud holds
exactly what the configuration asks for, members included), and the next
``plan -detailed-exitcode`` exits 0.

The emulator is slowed down by 20 ms per call (a fault setting, through ``faulty_cli.py``) so that a
kill lands in the middle of the apply and not after it; progress lines on stderr (one per finished
operation) tell the test how far the apply got.
"""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .stack import (
    assert_cloud_matches_state,
    cli_env,
    cloud_counts,
    expected_members,
    expected_objects,
    member_counts,
    run_cli,
    state_doc,
    write_stack,
)

FAULTY_CLI = Path(__file__).with_name("faulty_cli.py")
PROGRESS = re.compile(r"^\[(\d+)/(\d+) ")
SLOW = "latency=0.02"


def apply_and_kill(workdir: Path, after_ops: int, extra_delay: float = 0.0, *args: str) -> int:
    """Start ``clbplan apply -auto-approve``, SIGKILL it once ``after_ops`` operations reported
    done (plus ``extra_delay`` seconds, to land inside the next call rather than between calls).
    Returns how many operations had reported done; fails if the apply ended before the kill."""
    env = cli_env()
    env["CLBPLAN_TEST_FAULTS"] = SLOW
    proc = subprocess.Popen([sys.executable, str(FAULTY_CLI), "apply", "-auto-approve", *args],
                            cwd=str(workdir), env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                            text=True)
    done = 0
    tail: list[str] = []
    try:
        assert proc.stderr is not None
        for line in proc.stderr:
            tail = (tail + [line])[-20:]
            if PROGRESS.match(line):
                done += 1
                if done >= after_ops:
                    if extra_delay:
                        time.sleep(extra_delay)
                    proc.send_signal(signal.SIGKILL)
                    break
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        if proc.stderr is not None:
            proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL, (
        f"apply was not killed mid-way (exit {proc.returncode} after {done} operations):\n" + "".join(tail))
    return done


def finish_and_check(workdir: Path, lbs: int = 3, rules: int = 2) -> None:
    """The user's next steps after a crash: apply again, then plan must show nothing to do."""
    again = run_cli(workdir, "apply", "-auto-approve")
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-3000:]
    assert_cloud_matches_state(workdir, expected_objects(lbs=lbs, rules=rules))
    assert member_counts(workdir) == expected_members(lbs=lbs, rules=rules)
    plan = run_cli(workdir, "plan", "-detailed-exitcode")
    assert plan.returncode == 0, f"plan after recovery is not empty (exit {plan.returncode}):\n" + \
        plan.stdout[-3000:] + plan.stderr[-2000:]


@pytest.mark.parametrize(("after_ops", "extra_delay"), [(1, 0.0), (12, 0.011), (30, 0.005)],
                         ids=["first-op", "mid-groups", "mid-listeners"])
def test_first_apply_killed_then_reapplied_converges(tmp_path: Path, after_ops: int, extra_delay: float) -> None:
    """Killed during the very first apply (no state written by a finished run yet)."""
    work = write_stack(tmp_path / "cfg")
    done = apply_and_kill(work, after_ops, extra_delay)
    assert done == after_ops
    made = sum(cloud_counts(work).values())
    assert 0 < made < sum(expected_objects().values()), "the kill should leave a half-built cloud"
    finish_and_check(work)


def test_killed_twice_in_a_row_then_reapplied_converges(tmp_path: Path) -> None:
    """The run that recovers a killed apply is itself killed; the third run still converges."""
    work = write_stack(tmp_path / "cfg")
    apply_and_kill(work, 8, 0.007)
    apply_and_kill(work, 6, 0.013)  # counts only this run's operations (the rest of the first plan)
    finish_and_check(work)


def test_update_apply_killed_then_reapplied_converges(tmp_path: Path) -> None:
    """Killed while growing an existing deployment (a state file with serial > 0 exists)."""
    work = write_stack(tmp_path / "cfg")
    first = run_cli(work, "apply", "-auto-approve")
    assert first.returncode == 0, first.stderr[-3000:]
    serial = state_doc(work)["serial"]
    write_stack(work, lbs=5, rules=3)  # 2 more LBs with everything on them, 1 more rule on every LB
    apply_and_kill(work, 10, 0.009)
    assert state_doc(work)["serial"] >= serial
    finish_and_check(work, lbs=5, rules=3)


def test_destroy_killed_then_rerun_leaves_nothing(tmp_path: Path) -> None:
    """Killed while destroying: the re-run deletes what is left and forgets nothing it deleted."""
    work = write_stack(tmp_path / "cfg")
    first = run_cli(work, "apply", "-auto-approve")
    assert first.returncode == 0, first.stderr[-3000:]
    env = cli_env()
    env["CLBPLAN_TEST_FAULTS"] = SLOW
    proc = subprocess.Popen([sys.executable, str(FAULTY_CLI), "destroy", "-auto-approve"], cwd=str(work),
                            env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    done = 0
    assert proc.stderr is not None
    for line in proc.stderr:
        if PROGRESS.match(line):
            done += 1
            if done >= 6:
                proc.send_signal(signal.SIGKILL)
                break
    proc.wait(timeout=60)
    proc.stderr.close()
    assert proc.returncode == -signal.SIGKILL
    left = sum(cloud_counts(work).values())
    assert 0 < left < sum(expected_objects().values())
    again = run_cli(work, "destroy", "-auto-approve")
    assert again.returncode == 0, again.stdout[-2000:] + again.stderr[-3000:]
    assert sum(cloud_counts(work).values()) == 0, cloud_counts(work)
    assert state_doc(work).get("resources") == []
    plan = run_cli(work, "plan", "-destroy", "-detailed-exitcode")
    assert plan.returncode == 0, plan.stdout[-2000:] + plan.stderr[-2000:]
