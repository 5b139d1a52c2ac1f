"""The real ``clbplan apply`` against a misbehaving cloud still converges, exactly once.

The cloud's fault injector is on: every load balancer stays busy ("configuring") for 50 ms after
each write, 10% of writes fail transiently (503 ServiceUnavailable), some are throttled, and some
committed writes lose their response. A user must see none of it: apply exits 0, the cloud holds
exactly what the configuration asks for (a lost create response never becomes a second object), the
state names every object once, and the next plan is empty. Each run reports which faults fired, and
the test checks they did fire.

In-process the embedded emulator gets the faults through ``faulty_cli.py``. Over HTTP (``mode="http"``,
marker ``wire``) they are configured on ``clbplan emulator serve -faults``: a lost response is then a
socket the server closes unanswered after committing, which the CLI meets as a transport error.
"""

from __future__ import annotations

import pytest

from .stack import (
    EngineCloud,
    apply_ok,
    assert_converged,
    cloud_counts,
)

FAULTS = "busy=0.05,transient=0.1,lost=0.05,throttle=0.02"
INPROCESS = pytest.param("inprocess", id="inprocess")
HTTP = pytest.param("http", id="http", marks=pytest.mark.wire)


def check_converged(cloud: EngineCloud, lbs: int = 3, rules: int = 2) -> None:
    """With the faults off: cloud == state exactly and a plan has nothing to do."""
    cloud.use_faults("")
    assert_converged(cloud, "a faulty apply", lbs=lbs, rules=rules)


@pytest.mark.parametrize(("mode", "seed"), [
    pytest.param("inprocess", 1, id="inprocess-seed1"),
    pytest.param("inprocess", 2, id="inprocess-seed2"),
    pytest.param("inprocess", 3, id="inprocess-seed3"),
    pytest.param("http", 1, id="http-seed1", marks=pytest.mark.wire),
])
def test_create_under_busy_transient_and_lost_responses_converges(cloud: EngineCloud, seed: int) -> None:
    cloud.write()
    cloud.use_faults(f"{FAULTS},seed={seed}")
    proc, fired = cloud.run("apply", "-auto-approve")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert "Apply complete!" in proc.stdout
    # the faults really fired: busy refusals, 503s and lost responses were all survived
    assert fired["transient"] >= 1, fired
    assert fired["lost"] >= 1, fired
    assert fired["busy"] >= 1, fired
    check_converged(cloud)


def test_growing_apply_with_faulty_reads_too_converges(cloud: EngineCloud) -> None:
    """Refresh and member reconciliation read through the same faults (reads=1)."""
    cloud.write()
    apply_ok(cloud)
    cloud.write(lbs=5, rules=3)
    cloud.use_faults(f"{FAULTS},reads=1,seed=11")
    proc, fired = cloud.run("apply", "-auto-approve")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert sum(fired.values()) >= 3, fired
    check_converged(cloud, lbs=5, rules=3)


@pytest.mark.parametrize("mode", [INPROCESS, HTTP])
def test_destroy_under_faults_leaves_nothing(cloud: EngineCloud) -> None:
    cloud.write()
    apply_ok(cloud)
    cloud.use_faults(f"{FAULTS},seed=5")
    proc, fired = cloud.run("destroy", "-auto-approve")
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    assert sum(fired.values()) >= 1, fired
    cloud.use_faults("")
    assert sum(cloud_counts(cloud).values()) == 0, cloud_counts(cloud)
    plan, _ = cloud.run("plan", "-destroy", "-detailed-exitcode")
    assert plan.returncode == 0, plan.stdout[-2000:] + plan.stderr[-2000:]
