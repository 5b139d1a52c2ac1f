"""A few real kills in CI (bench/campaign.py runs fifty): SIGKILL ``clbplan apply`` part way, run
it again, and nothing is orphaned, duplicated or lost, and the next plan is empty."""

from __future__ import annotations

import pytest

from tests.convergence.kills import run_one_kill

# seeds whose plans are long enough for the kill to land mid-apply: one kills the first apply
# (all creates), the others kill a change on top of it (after k operations / after a delay)
SEEDS = (100000, 100003, 100004)


@pytest.mark.parametrize("seed", SEEDS)
def test_killed_apply_recovers_without_orphans_or_duplicates(seed: int) -> None:
    rec = run_one_kill(seed)
    assert rec["ok"], f"seed {seed}: {rec.get('step')}: {rec.get('error')}\n(work dir kept: {rec.get('workdir')})"
    assert rec["killed"], f"seed {seed}: the apply finished before the kill; pick a seed with a longer plan: {rec}"
    assert rec["mid_apply"], rec
