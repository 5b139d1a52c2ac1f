"""Module semantics agree with Terraform's: nested modules, count/for_each on modules, moved and
removed blocks, and a two-step transition with replacements, all made of ``terraform_data``.

Each case (tests/modules/agreement/<case>/step1, step2) is applied step by step through clbplan;
the planned ``(address, actions, previous_address)`` rows of every step and the output values after
every apply must equal what Terraform gave, recorded in ``expected.json`` by ``record.py`` (so this
runs where terraform is absent). Where terraform is installed, the recording is also re-checked
live, so a fixture cannot drift from the binary it claims to come from.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from tests.support.agreement import CASES_DIR, TERRAFORM, case_names, run_clbplan, run_terraform

CASES = case_names()


def expected(case: str) -> dict:
    return json.loads((CASES_DIR / case / "expected.json").read_text())


def test_every_case_is_recorded() -> None:
    assert set(CASES) >= {"nested_modules", "count_and_for_each", "moved_blocks", "two_step_transition"}
    for case in CASES:
        doc = expected(case)
        assert doc["terraform_version"].startswith("1.")
        assert len(doc["steps"]) >= 2, f"{case}: a two-step transition needs at least step1 and step2"


@pytest.mark.parametrize("case", CASES)
def test_clbplan_plans_and_outputs_as_terraform_did(case, tmp_path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TF_WORKSPACE", raising=False)
    runner = CliRunner()

    def invoke(args: list[str]) -> tuple[int, str]:
        r = runner.invoke(cli, args)
        return r.exit_code, r.output

    got = run_clbplan(case, tmp_path, invoke)
    want = expected(case)
    for g, w in zip(got["steps"], want["steps"], strict=True):
        assert g["changes"] == w["changes"], f"{case} {w['step']}: planned changes differ from Terraform's"
        assert g["outputs"] == w["outputs"], f"{case} {w['step']}: outputs differ from Terraform's"


@pytest.mark.skipif(TERRAFORM is None, reason="the terraform binary is not installed")
@pytest.mark.parametrize("case", CASES)
def test_recording_still_matches_the_terraform_binary(case) -> None:
    live = run_terraform(case)
    assert live["steps"] == expected(case)["steps"], \
        f"terraform now answers differently for {case}: re-record with tests/modules/agreement/record.py"
