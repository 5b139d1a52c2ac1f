"""Outputs keep the type Terraform gives them: a ``list(string)`` variable's output is
``["list","string"]``, ``toset`` gives a set, ``tomap`` a map, a literal list stays a tuple.

A script that reads ``output -json`` (or the state) sees the same type as with Terraform; the
expected answer was recorded from terraform 1.11.4 (``python -m tests.console.record_output_types``).
"""

from __future__ import annotations

import json
import shutil

import pytest

from tests.console.record_output_types import CHANGED, COMMANDS, CONFIG, EXPECTED, terraform_outputs
from tests.support.cli import invoke_in as _run

RECORDED = json.loads(EXPECTED.read_text())


@pytest.fixture(scope="module")
def applied(tmp_path_factory):
    work = tmp_path_factory.mktemp("typed-outputs")
    (work / "main.tf").write_text(CONFIG.lstrip())
    r = _run(work, "apply", "-auto-approve", "-input=false")
    assert r.exit_code == 0, r.output
    return work


def test_output_json_types_are_terraforms_byte_for_byte(applied):
    """Read back from the state file: the declared types survive the round trip."""
    assert _run(applied, "output", "-json").stdout == RECORDED["-json"]


@pytest.mark.parametrize("args", [c for c in COMMANDS if c != "-json"])
def test_output_prints_typed_values_as_terraform(applied, args):
    """`terraform output` shows a list as tolist([...]), a map as tomap({...}), a typed null as
    tonumber(null): the same text from clbplan, read back from the state."""
    assert _run(applied, "output", *args.split()).stdout == RECORDED[args]


def test_state_records_the_declared_types(applied):
    outputs = json.loads((applied / "clbplan.tfstate").read_text())["outputs"]
    assert outputs["var_list"]["type"] == ["list", "string"]
    assert outputs["var_map"]["type"] == ["map", "number"]
    assert outputs["var_set"]["type"] == ["set", "string"]
    assert outputs["var_optobj"]["type"] == ["object", {"name": "string", "size": "number"}]
    assert outputs["tolist"]["type"] == ["list", "string"] and outputs["concat"]["type"][0] == "tuple"
    assert "nullv" not in outputs  # Terraform records no null output


def test_apply_json_outputs_message_carries_the_types(tmp_path):
    (tmp_path / "main.tf").write_text(CONFIG.lstrip())
    r = _run(tmp_path, "apply", "-json", "-auto-approve")
    msgs = [json.loads(line) for line in r.stdout.splitlines() if line.strip()]
    outs = [m for m in msgs if m["type"] == "outputs"][-1]["outputs"]  # the applied values, not the plan's
    want = json.loads(RECORDED["-json"])
    assert {k: v["type"] for k, v in outs.items()} == {k: v["type"] for k, v in want.items()}


def test_no_change_apply_keeps_the_state_as_it_is(applied):
    """The types are part of what a no-change apply compares: an unchanged run rewrites nothing."""
    before = (applied / "clbplan.tfstate").read_bytes()
    assert _run(applied, "apply", "-auto-approve", "-input=false").exit_code == 0
    assert (applied / "clbplan.tfstate").read_bytes() == before


def test_json_plan_planned_outputs_carry_terraforms_types(tmp_path):
    """`show -json PLANFILE`: planned_values.outputs with type and value, in Terraform's key order."""
    (tmp_path / "main.tf").write_text(CONFIG.lstrip())
    assert _run(tmp_path, "apply", "-auto-approve", "-input=false").exit_code == 0
    (tmp_path / "main.tf").write_text(CHANGED.lstrip())
    assert _run(tmp_path, "plan", "-input=false", "-out=p.plan").exit_code == 0
    ours = json.loads(_run(tmp_path, "show", "-json", "p.plan").stdout)["planned_values"]["outputs"]
    want = json.loads(RECORDED["show -json: planned_values.outputs"])
    assert ours == want
    assert [list(v) for v in ours.values()] == [list(v) for v in want.values()]


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_recorded_answer_still_matches_terraform():
    assert terraform_outputs() == RECORDED
