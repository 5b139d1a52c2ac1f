"""Plans are true: for random configurations A and B, apply A, plan B, apply it, and check that

* the plan passed shadow verification,
* the operations executed are exactly the operations planned (nothing failed, skipped or added),
* the next plan is empty,
* the cloud holds exactly what the state says (no orphan, no duplicate, nothing lost),

first on a well-behaved cloud, then with busy windows, transient faults, throttling and lost
responses. Invalid configurations must be refused at plan time with a located diagnostic.

Quick profile: explicit small ``max_examples`` here; the long campaign is bench/campaign.py.
"""

from __future__ import annotations

import re
import shutil
import tempfile
from pathlib import Path

from click.testing import CliRunner
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from planner.cli.main import cli
from planner.emulator.faults import FaultConfig
from tests.convergence import harness
from tests.convergence.gen import (
    EXPECT,
    HypothesisDraw,
    gen_config,
    gen_invalid,
    mutate,
    render,
    write_config,
)

# Derandomized (the same examples every CI run, so a red build is reproducible) and without the
# shrink phase: one example costs about half a second, and shrinking a transition took over five
# minutes; the failure is reported with its full A and B, and bench/campaign.py does the triage.
QUICK = settings(max_examples=12, deadline=None, derandomize=True, database=None,
                 phases=[Phase.explicit, Phase.generate],
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@st.composite
def transitions(draw: st.DrawFn) -> tuple[str, str]:
    """(A, B) as .tf text: B edits A half the time (re-points, swaps, drains), else is redrawn."""
    d = HypothesisDraw(draw)
    a = gen_config(d)
    b = mutate(d, a) if d.boolean() else gen_config(d)
    return render(a), render(b)


def _workdir() -> Path:
    # hypothesis runs many examples per test: a fresh directory each, removed afterwards
    return Path(tempfile.mkdtemp(prefix="clbplan-conv-"))


@QUICK
@given(transitions())
def test_random_transition_converges(ab: tuple[str, str]) -> None:
    work = _workdir()
    try:
        harness.run_transition(work, *ab)
    finally:
        shutil.rmtree(work, ignore_errors=True)


FAULTS = FaultConfig(busy_window=0.002, transient_rate=0.1, throttle_rate=0.05, lost_response_rate=0.05,
                     seed=11)


@settings(QUICK, max_examples=8)
@given(transitions(), st.integers(0, 2**16))
def test_random_transition_converges_under_faults(ab: tuple[str, str], seed: int) -> None:
    """Busy windows, 10% transient errors, throttling and lost responses: the same promises hold,
    and no object exists twice in the cloud (a lost create response must not create again)."""
    work = _workdir()
    try:
        faults = FaultConfig(**{**FAULTS.__dict__, "seed": seed})
        harness.run_transition(work, *ab, faults=faults)
    finally:
        shutil.rmtree(work, ignore_errors=True)


LOCATED = re.compile(r"main\.tf:\d+:\d+: error: ")


@settings(QUICK, max_examples=20)
@given(st.data())
def test_invalid_configuration_refused_at_plan_time(data: st.DataObject) -> None:
    """Exit 1 with a located diagnostic naming the broken rule, no traceback, nothing created."""
    kind, text = gen_invalid(HypothesisDraw(data))
    work = _workdir()
    try:
        write_config(text, work)
        result = CliRunner().invoke(cli, ["plan", str(work)])
        assert result.exit_code == 1, (kind, result.output)
        assert "Traceback" not in result.output, result.output
        located = [line for line in result.output.splitlines() if LOCATED.search(line)]
        assert located, f"{kind}: no file:line:col diagnostic in\n{result.output}"
        assert any(EXPECT[kind].lower() in line.lower() for line in result.output.splitlines()), \
            f"{kind}: expected a diagnostic about {EXPECT[kind]!r}, got\n{result.output}"
        assert not [o for o in harness.cloud_objects(work) if o[0] in harness.KIND_TYPES], \
            "plan must not create anything"
    finally:
        shutil.rmtree(work, ignore_errors=True)


def test_checker_sees_orphans_and_duplicates(tmp_path: Path) -> None:
    """The cloud-vs-state check itself can fail: an object the state forgot, and a second LB with
    the same name made behind clbplan's back, are both reported."""
    from planner.emulator import Emulator, default_emulator_path
    from tests.convergence.gen import LB, Config

    cfg = Config(["cmp-s0", "cmp-s1", "cmp-s2", "cmp-s3"], lbs=[LB("lb0", "cmp-lb0", "internet", "slb.s1.small", "off")])
    write_config(cfg, tmp_path)
    assert not harness.apply(tmp_path).failures
    harness.check_cloud_matches_state(tmp_path)
    emu = Emulator(default_emulator_path(tmp_path))
    emu.call("Slb", "CreateLoadBalancer", {"RegionId": "cn-hangzhou", "LoadBalancerName": "cmp-lb0",
                                           "AddressType": "internet", "LoadBalancerSpec": "slb.s1.small"})
    emu.close()
    try:
        harness.check_cloud_matches_state(tmp_path)
    except harness.TransitionFailure as e:
        assert "orphan" in str(e) and "duplicate" in str(e), str(e)
    else:
        raise AssertionError("an orphaned duplicate load balancer went unnoticed")
