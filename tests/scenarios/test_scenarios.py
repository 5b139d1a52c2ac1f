"""Golden scenarios: apply ``before`` to a fresh emulator, plan ``after`` and compare the plan text
with ``plan.txt`` (CLBPLAN_UPDATE_GOLDEN=1 rewrites it), apply it, and expect an empty next plan.
Module folders beside the .tf files are copied too; an optional ``targets`` file holds -target/
-exclude lines the plans of ``after`` are made with."""

from __future__ import annotations

import os
import shutil

import pytest
from scenario_runner import HERE, SCENARIOS, apply_dir, plan_dir, plan_text, scenario_targets, use_config


@pytest.mark.parametrize("name", SCENARIOS)
def test_scenario(name, tmp_path):
    folder = HERE / name
    work = tmp_path / "work"
    work.mkdir()
    use_config(work, folder / "before")
    _, result = apply_dir(work)
    assert not result.failures, f"applying before/ failed: {result.failures}"

    use_config(work, folder / "after")
    targets, excludes = scenario_targets(folder)  # an optional ``targets`` file: a -target/-exclude plan
    planned = plan_dir(work, targets=targets, excludes=excludes)
    assert planned.plan.verified in (True, None)
    text = plan_text(planned)
    golden = folder / "plan.txt"
    if os.environ.get("CLBPLAN_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert golden.exists(), f"{golden} is missing: run with CLBPLAN_UPDATE_GOLDEN=1 and review it"
    assert text == golden.read_text(), f"plan text differs from {golden} (CLBPLAN_UPDATE_GOLDEN=1 to rewrite)"

    _, result = apply_dir(work, planned)
    assert not result.failures, f"applying after/ failed: {result.failures}"
    again = plan_dir(work, targets=targets, excludes=excludes)
    assert not again.plan.has_changes, plan_text(again)
    shutil.rmtree(work / ".clbplan", ignore_errors=True)
