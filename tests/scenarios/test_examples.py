"""Every example in examples/ as a golden scenario: from an empty cloud, the plan text is the reviewed one
(``examples/<name>.txt``; CLBPLAN_UPDATE_GOLDEN=1 rewrites it), the apply succeeds, the next plan is
empty, and destroy leaves nothing behind. examples/ci talks to a served emulator and runs in
tests/review/test_ci_example.py and tests/transport/test_cli_http.py instead."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from scenario_runner import HERE, apply_dir, plan_dir, plan_text

from tests.support.examples import copy_clean

EXAMPLES_DIR = HERE.parent.parent / "examples"
EXAMPLES = sorted(d.name for d in EXAMPLES_DIR.iterdir() if d.is_dir() and any(d.glob("*.tf")) and d.name != "ci")


def test_every_example_is_covered() -> None:
    assert len(EXAMPLES) >= 7


@pytest.mark.parametrize("name", EXAMPLES)
def test_example_applies_from_empty_and_converges(name: str, tmp_path: Path) -> None:
    work = tmp_path / name
    copy_clean(EXAMPLES_DIR / name, work)
    planned = plan_dir(work)
    assert planned.plan.verified is True
    text = plan_text(planned)
    golden = HERE / "examples" / f"{name}.txt"
    if os.environ.get("CLBPLAN_UPDATE_GOLDEN") == "1":
        golden.write_text(text)
    assert golden.exists(), f"{golden} is missing: run with CLBPLAN_UPDATE_GOLDEN=1 and review it"
    assert text == golden.read_text(), f"plan text differs from {golden} (CLBPLAN_UPDATE_GOLDEN=1 to rewrite)"

    _, result = apply_dir(work, planned)
    assert not result.failures, result.failures
    again = plan_dir(work)
    assert not again.plan.has_changes, plan_text(again)

    gone = plan_dir(work, destroy=True)
    _, result = apply_dir(work, gone)
    assert not result.failures, result.failures
    assert not plan_dir(work, destroy=True).plan.has_changes
