"""The plan's "Changes to Outputs:" section is Terraform's, line for line.

The cases of record_outputs.py (create, update, delete, only outputs, destroy, lists, maps, sensitive,
unknown values, and apply's and destroy's confirmation plans) were run through terraform 1.11.4 into
expected_outputs.json; clbplan runs the same steps and must print the same section after the summary
line (Terraform's product name and line wrapping aside in the closing note).
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from planner.render.output_diff import ONLY_OUTPUTS_NOTE
from tests.support.cli import invoke_in as _clbplan
from tests.ui.record import normalise
from tests.ui.record_outputs import CASES, EXPECTED, run_case, terraform_env

RECORDED = json.loads(EXPECTED.read_text())
HEADER = "Changes to Outputs:"
TERRAFORM_NOTE = ("You can apply this plan to save these new output values to the Terraform\n"
                  "state, without changing any real infrastructure.")


def outputs_section(stdout: str) -> str | None:
    """From "Changes to Outputs:" to the end of its lines (the block ends at a blank line, or at the
    first progress line of an apply); None when the plan has no such section."""
    lines = stdout.splitlines()
    if HEADER not in lines:
        return None
    start = lines.index(HEADER)
    end = start + 1
    while end < len(lines) and lines[end] and not lines[end].startswith("terraform_data."):
        end += 1
    return "\n".join(lines[start:end])


def replay(name: str, tmp_path) -> dict:
    out = {}
    for i, (config, args) in enumerate(CASES[name]):
        (tmp_path / "main.tf").write_text(config.lstrip())
        r = _clbplan(tmp_path, *args)
        out = {"exit": r.exit_code, "stdout": normalise(r.stdout)}
        if i < len(CASES[name]) - 1:
            assert r.exit_code == 0, r.stdout
    return out


@pytest.mark.parametrize("name", list(CASES))
def test_outputs_section_is_terraforms(name, tmp_path, monkeypatch):
    monkeypatch.setenv("TF_IN_AUTOMATION", "1")
    tf, ours = RECORDED[name], replay(name, tmp_path)
    assert ours["exit"] == tf["exit"] == 0, ours["stdout"]
    assert outputs_section(ours["stdout"]) == outputs_section(tf["stdout"]), ours["stdout"]
    assert "s3cr3t" not in ours["stdout"] and "0ther" not in ours["stdout"]


@pytest.mark.parametrize("name", [n for n in CASES if HEADER in RECORDED[n]["stdout"]])
def test_section_follows_the_summary_or_stands_alone(name, tmp_path, monkeypatch):
    """After "Plan: ..." and one blank line; with no resource change, alone and followed by the note."""
    monkeypatch.setenv("TF_IN_AUTOMATION", "1")
    tf, ours = RECORDED[name]["stdout"], replay(name, tmp_path)["stdout"]
    if "\nPlan: " in tf:
        assert "\nPlan: " in ours and ours.index(HEADER) > ours.index("\nPlan: ")
        assert ours[ours.index("\nPlan: ") + 1:].split("\n", 2)[1:2] == [""]
        assert ours.split("\n")[ours.split("\n").index(HEADER) - 1] == ""
        assert ONLY_OUTPUTS_NOTE not in ours
    else:
        assert "\nPlan: " not in ours and "No changes." not in ours
        assert TERRAFORM_NOTE in tf
        assert ours.startswith(HEADER) or f"\n{HEADER}" in ours
        assert f"\n\n{ONLY_OUTPUTS_NOTE}\n" in ours


def test_only_output_changes_are_changes_for_detailed_exitcode(tmp_path, monkeypatch):
    """Terraform's plan -detailed-exitcode exits 2 when only outputs change: applying saves them."""
    monkeypatch.setenv("TF_IN_AUTOMATION", "1")
    steps = CASES["only_outputs"]
    (tmp_path / "main.tf").write_text(steps[0][0].lstrip())
    assert _clbplan(tmp_path, *steps[0][1]).exit_code == 0
    assert _clbplan(tmp_path, "plan", "-detailed-exitcode").exit_code == 0
    (tmp_path / "main.tf").write_text(steps[1][0].lstrip())
    assert _clbplan(tmp_path, "plan", "-detailed-exitcode").exit_code == 2


def test_saved_plan_shows_the_same_outputs_section(tmp_path, monkeypatch):
    """``show PLANFILE`` prints what ``plan`` printed, outputs included."""
    monkeypatch.setenv("TF_IN_AUTOMATION", "1")
    steps = CASES["update"]
    (tmp_path / "main.tf").write_text(steps[0][0].lstrip())
    assert _clbplan(tmp_path, *steps[0][1]).exit_code == 0
    (tmp_path / "main.tf").write_text(steps[1][0].lstrip())
    planned = _clbplan(tmp_path, "plan", "-no-color", "-out=p.plan")
    shown = _clbplan(tmp_path, "show", "p.plan")
    assert outputs_section(normalise(shown.stdout)) == outputs_section(RECORDED["update"]["stdout"])
    assert outputs_section(shown.stdout) == outputs_section(planned.stdout)


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
@pytest.mark.parametrize("name", ["update", "lists"])
def test_recording_still_matches_terraform(name, tmp_path):
    env = terraform_env(tmp_path)
    work = tmp_path / "w"
    work.mkdir()
    (work / "main.tf").write_text(CASES[name][0][0].lstrip())
    subprocess.run(["terraform", "init", "-input=false"], cwd=work, env=env, capture_output=True, check=True)
    assert run_case(CASES[name], ["terraform"], env, work) == RECORDED[name]


@pytest.mark.parametrize("name", ["apply_update", "apply_only_outputs"])
def test_apply_ends_with_terraforms_outputs_section(name, tmp_path, monkeypatch):
    """Also when only outputs changed (no resource was touched): Terraform lists the outputs."""
    monkeypatch.setenv("TF_IN_AUTOMATION", "1")
    tf, ours = RECORDED[name]["stdout"], replay(name, tmp_path)["stdout"]
    assert ours[ours.index("\nApply complete!"):] == tf[tf.index("\nApply complete!"):]


def test_apply_asks_before_saving_only_new_output_values(tmp_path):
    """As Terraform: a plan that only changes outputs is still a plan to approve; "no" saves nothing."""
    import os as _os

    from click.testing import CliRunner

    from planner.cli.main import cli

    steps = CASES["only_outputs"]
    (tmp_path / "main.tf").write_text(steps[0][0].lstrip())
    assert _clbplan(tmp_path, *steps[0][1]).exit_code == 0
    saved = (tmp_path / "clbplan.tfstate").read_bytes()
    (tmp_path / "main.tf").write_text(steps[1][0].lstrip())
    old = _os.getcwd()
    _os.chdir(tmp_path)
    try:
        declined = CliRunner().invoke(cli, ["apply", "-no-color"], input="no\n")
        assert declined.exit_code == 1 and "Do you want to perform these actions?" in declined.output
        assert (tmp_path / "clbplan.tfstate").read_bytes() == saved
        accepted = CliRunner().invoke(cli, ["apply", "-no-color"], input="yes\n")
    finally:
        _os.chdir(old)
    assert accepted.exit_code == 0, accepted.output
    assert 'name = "web-2"' in _clbplan(tmp_path, "output").stdout


def test_json_plan_of_only_output_changes_is_applyable(tmp_path):
    steps = CASES["only_outputs"]
    (tmp_path / "main.tf").write_text(steps[0][0].lstrip())
    assert _clbplan(tmp_path, *steps[0][1]).exit_code == 0
    (tmp_path / "main.tf").write_text(steps[1][0].lstrip())
    assert _clbplan(tmp_path, "plan", "-out=p.plan").exit_code == 0
    doc = json.loads(_clbplan(tmp_path, "show", "-json", "p.plan").stdout)
    assert doc["applyable"] is True
    assert {k: v["actions"] for k, v in doc["output_changes"].items() if v["actions"] != ["no-op"]} == {
        "added": ["create"], "count": ["delete"], "name": ["update"], "ports": ["update"]}


def test_removing_every_output_empties_the_states_outputs(tmp_path):
    """Without any output block the apply no longer evaluates the configuration again for outputs (issue
    17: a performance change, measured in bench/RESULTS.md); what this checks is that the state's outputs
    are still emptied when the last output block goes."""
    resource = 'resource "terraform_data" "web" {\n  input = "web-1"\n}\n'
    (tmp_path / "main.tf").write_text(resource + 'output "name" {\n  value = terraform_data.web.output\n}\n')
    assert _clbplan(tmp_path, "apply", "-auto-approve", "-no-color", "-input=false").exit_code == 0
    assert json.loads((tmp_path / "clbplan.tfstate").read_text())["outputs"]["name"]["value"] == "web-1"
    (tmp_path / "main.tf").write_text(resource)
    r = _clbplan(tmp_path, "apply", "-auto-approve", "-no-color", "-input=false")
    assert r.exit_code == 0, r.stdout
    assert "Outputs:" not in r.stdout.split("Apply complete!")[1]
    assert json.loads((tmp_path / "clbplan.tfstate").read_text())["outputs"] == {}
    listed = _clbplan(tmp_path, "output")
    assert "No outputs found" in listed.output
