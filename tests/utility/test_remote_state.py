"""data "terraform_remote_state" with the local backend: outputs of another configuration's state,
clbplan's own or Terraform's (format 4), read as data.terraform_remote_state.NAME.outputs.OUTPUT."""

from __future__ import annotations

import json

from click.testing import CliRunner

from planner.cli.main import cli
from tests.utility.helpers import apply, write

TF_V4 = {"version": 4, "terraform_version": "1.11.4", "serial": 7, "lineage": "x",
         "outputs": {"vpc_id": {"value": "vpc-123", "type": "string"},
                     "zones": {"value": ["cn-hangzhou-h", "cn-hangzhou-i"], "type": ["list", "string"]}},
         "resources": [], "check_results": None}

USE = '''
data "terraform_remote_state" "net" {
  backend = "local"
  config = {
    path = "%s"
  }
  defaults = { owner = "nobody" }
}
resource "terraform_data" "x" {
  input = {
    vpc   = data.terraform_remote_state.net.outputs.vpc_id
    zone  = data.terraform_remote_state.net.outputs.zones[1]
    owner = data.terraform_remote_state.net.outputs.owner
  }
}
output "vpc" { value = data.terraform_remote_state.net.outputs.vpc_id }
'''


def test_reads_a_terraform_v4_state(tmp_path):
    (tmp_path / "network").mkdir()
    (tmp_path / "network" / "terraform.tfstate").write_text(json.dumps(TF_V4))
    write(tmp_path, USE % "network/terraform.tfstate")
    _, state, _ = apply(tmp_path)
    rs = next(iter(state.resources.values()))
    assert rs.attributes["output"] == {"vpc": "vpc-123", "zone": "cn-hangzhou-i", "owner": "nobody"}
    assert state.outputs["vpc"]["value"] == "vpc-123"


def test_reads_a_clbplan_state_written_by_another_configuration(tmp_path):
    net = tmp_path / "net"
    net.mkdir()
    write(net, 'output "vpc_id" { value = "vpc-abc" }\noutput "zones" { value = ["a", "b"] }\n')
    apply(net)
    app = tmp_path / "app"
    app.mkdir()
    write(app, USE % "../net/clbplan.tfstate")
    _, state, _ = apply(app)
    assert state.outputs["vpc"]["value"] == "vpc-abc"


def test_missing_state_and_other_backends_are_located_errors(tmp_path):
    write(tmp_path, USE % "nowhere.tfstate")
    r = CliRunner().invoke(cli, ["plan", str(tmp_path)])
    assert r.exit_code == 1 and "Unable to find remote state" in r.output and "main.tf:2" in r.output
    write(tmp_path, 'data "terraform_remote_state" "s" {\n  backend = "s3"\n}\n')
    r = CliRunner().invoke(cli, ["plan", str(tmp_path)])
    assert r.exit_code == 1 and "local" in r.output and "Traceback" not in r.output
