"""`clbplan output` prints object and list outputs as indented HCL, as `terraform output` does."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import invoke_in as _run

CONFIG = """
resource "terraform_data" "lb" {
  input = "web"
}
output "lb" {
  value = { name = terraform_data.lb.output, ports = [80, 443] }
}
output "secret" {
  value     = "hunter2"
  sensitive = true
}
"""


def test_outputs_print_as_indented_hcl(tmp_path):
    (tmp_path / "main.tf").write_text(CONFIG)
    assert _run(tmp_path, "apply", "-auto-approve", "-input=false").exit_code == 0
    r = _run(tmp_path, "output", "lb")
    # what `terraform output lb` printed for the same value (Terraform 1.11)
    assert r.stdout == '{\n  "name" = "web"\n  "ports" = [\n    80,\n    443,\n  ]\n}\n'
    r = _run(tmp_path, "output")
    assert r.stdout.startswith("lb") and "= {\n  \"name\" = \"web\"\n  \"ports\" = [\n" in r.stdout
    assert "secret = <sensitive>" in r.stdout and "hunter2" not in r.stdout


# Literal outputs only: their cty types are inferred from the values. (Declared types, such as an
# output of a `list(string)` variable, are checked in test_output_types.py.)
JSON_CONFIG = """
resource "terraform_data" "lb" {
  input = "web"
}
output "tuple" { value = ["x", 1, true] }
output "obj" {
  value = { b = 1, a = terraform_data.lb.output, n = null, nested = { z = [80, 443] } }
}
output "num" { value = 3 }
output "empty" { value = [] }
output "flag" { value = false }
output "sec" {
  value     = "hidden"
  sensitive = true
}
"""

# `terraform output -json` and `terraform output -json NAME` (Terraform 1.11.4) on JSON_CONFIG
RECORDED = json.loads((Path(__file__).parent / "terraform_output_json.json").read_text())


def _applied(tmp_path) -> Path:
    (tmp_path / "main.tf").write_text(JSON_CONFIG)
    assert _run(tmp_path, "apply", "-auto-approve", "-input=false").exit_code == 0
    return tmp_path


def test_output_json_is_terraforms_byte_for_byte(tmp_path):
    """A script that parses `output -json` reads the same types (tuple, object, dynamic) and layout."""
    work = _applied(tmp_path)
    assert _run(work, "output", "-json").stdout == RECORDED["output -json"]


def test_output_json_name_is_compact_as_terraforms(tmp_path):
    work = _applied(tmp_path)
    for name, text in RECORDED["output -json NAME"].items():
        assert _run(work, "output", "-json", name).stdout == text, name


@pytest.mark.skipif(shutil.which("terraform") is None, reason="terraform is not installed")
def test_recorded_output_json_still_matches_terraform(tmp_path):
    (tmp_path / "main.tf").write_text(JSON_CONFIG)
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    for args in (["init", "-input=false"], ["apply", "-auto-approve", "-input=false"]):
        subprocess.run(["terraform", *args], cwd=tmp_path, env=env, capture_output=True, check=True)
    live = subprocess.run(["terraform", "output", "-json"], cwd=tmp_path, env=env, capture_output=True,
                          text=True, check=True).stdout
    assert live == RECORDED["output -json"]
