"""The real ``clbplan apply`` against a misbehaving cloud still converges, exactly once.

The embedded emulator is started with its fault injector on (through ``faulty_cli.py``): every load
balancer stays busy ("configuring") for 50 ms after each write, 10% of writes fail transiently
(503 ServiceUnavailable), some are throttled, and some committed writes lose their response. A
user must see none of it: apply exits 0, the cloud holds exactly what the configuration asks for
(a lost create response never becomes a second object), the state names every object once, and the
next plan is empty. Each run prints which faults fired, and the test checks they did fire.
"""

from __future__ import annotations

import re
import subprocess
import sys
from collections import Counter
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
    write_stack,
)

FAULTY_CLI = Path(__file__).with_name("faulty_cli.py")
FAULTS = "busy=0.05,transient=0.1,lost=0.05,throttle=0.02"


def run_faulty(workdir: Path, spec: str, *args: str) -> tuple[subprocess.CompletedProcess, Counter]:
    """Run the CLI with ``spec`` faults; return the result and the faults that fired."""
    env = cli_env()
    env["CLBPLAN_TEST_FAULTS"] = spec
    proc = subprocess.run([sys.executable, str(FAULTY_CLI), *args], cwd=str(workdir), env=env,
                          capture_output=True, text=True, timeout=180)
    fired: Counter = Counter()
    for line in proc.stderr.splitlines():
        if line.startswith("FAULTS"):
            fired = Counter({k: int(v) for k, v in re.findall(r"(\S+)=(\d+)", line)})
    return proc, fired


def check_converged(workdir: Path, lbs: int = 3, rules: int = 2) -> None:
    assert_cloud_matches_state(workdir, expected_objects(lbs=lbs, rules=rules))
    assert member_counts(workdir) == expected_members(lbs=lbs, rules=rules)
    plan = run_cli(workdir, "plan", "-detailed-exitcode")
    assert plan.returncode == 0, f"plan after a faulty apply is not empty (exit {plan.returncode}):\n" + \
        plan.stdout[-3000:] + plan.stderr[-2000:]


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_create_under_busy_transient_and_lost_responses_converges(tmp_path: Path, seed: int) -> None:
    work = write_stack(tmp_path / "cfg")
    proc, fired = run_faulty(work, f"{FAULTS},seed={seed}", "apply", "-auto-approve")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "Apply complete!" in proc.stdout
    # the faults really fired: busy refusals, 503s and lost responses were all survived
    assert fired["ServiceUnavailable"] >= 1, fired
    assert fired["ResponseLost"] >= 1, fired
    assert sum(n for code, n in fired.items() if code not in ("ServiceUnavailable", "ResponseLost",
                                                               "Throttling.User")) >= 1, fired
    check_converged(work)


def test_growing_apply_with_faulty_reads_too_converges(tmp_path: Path) -> None:
    """Refresh and member reconciliation read through the same faults (reads=1)."""
    work = write_stack(tmp_path / "cfg")
    first = run_cli(work, "apply", "-auto-approve")
    assert first.returncode == 0, first.stderr[-3000:]
    write_stack(work, lbs=5, rules=3)
    proc, fired = run_faulty(work, f"{FAULTS},reads=1,seed=11", "apply", "-auto-approve")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert sum(fired.values()) >= 3, fired
    check_converged(work, lbs=5, rules=3)


def test_destroy_under_faults_leaves_nothing(tmp_path: Path) -> None:
    work = write_stack(tmp_path / "cfg")
    first = run_cli(work, "apply", "-auto-approve")
    assert first.returncode == 0, first.stderr[-3000:]
    proc, fired = run_faulty(work, f"{FAULTS},seed=5", "destroy", "-auto-approve")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert sum(fired.values()) >= 1, fired
    assert sum(cloud_counts(work).values()) == 0, cloud_counts(work)
    plan = run_cli(work, "plan", "-destroy", "-detailed-exitcode")
    assert plan.returncode == 0, plan.stdout[-2000:] + plan.stderr[-2000:]
