"""`clbplan output` prints object and list outputs as indented HCL, as `terraform output` does."""

from __future__ import annotations

import os

from click.testing import CliRunner

from planner.cli.main import cli

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


def _run(cwd, *args):
    old = os.getcwd()
    os.chdir(cwd)
    try:
        return CliRunner().invoke(cli, list(args), catch_exceptions=False)
    finally:
        os.chdir(old)


def test_outputs_print_as_indented_hcl(tmp_path):
    (tmp_path / "main.tf").write_text(CONFIG)
    assert _run(tmp_path, "apply", "-auto-approve", "-input=false").exit_code == 0
    r = _run(tmp_path, "output", "lb")
    # what `terraform output lb` printed for the same value (Terraform 1.11)
    assert r.stdout == '{\n  "name" = "web"\n  "ports" = [\n    80,\n    443,\n  ]\n}\n'
    r = _run(tmp_path, "output")
    assert r.stdout.startswith("lb") and "= {\n  \"name\" = \"web\"\n  \"ports\" = [\n" in r.stdout
    assert "secret = <sensitive>" in r.stdout and "hunter2" not in r.stdout
