"""State format 4: Terraform reads what clbplan writes, clbplan plans against what Terraform wrote.

The ``terraform`` binary, where present, is the oracle (``state list``, ``output``, ``show``,
``apply`` of ``terraform_data``); what it wrote is recorded under ``fixtures/`` so the reading side
is tested everywhere. Terraform cannot ``show`` alicloud resources offline (it needs the provider's
schema), so the alicloud round trip uses ``state list`` / ``output`` and the attribute-level
round trip uses ``terraform_data``, which is built into Terraform.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from planner.state.backend import LocalBackend

FIXTURES = Path(__file__).parent / "fixtures"
TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="the terraform binary is not installed")

CONFIG = '''
provider "alicloud" {
  region = "cn-hangzhou"
}
resource "alicloud_vpc" "main" {
  vpc_name   = "v4-vpc"
  cidr_block = "10.20.0.0/16"
}
resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "10.20.1.0/24"
  zone_id      = "cn-hangzhou-h"
  vswitch_name = "v4-vsw"
}
resource "alicloud_slb_load_balancer" "web" {
  load_balancer_name = "v4-web"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s1.small"
}
resource "alicloud_slb_listener" "http" {
  count            = 2
  load_balancer_id = alicloud_slb_load_balancer.web.id
  frontend_port    = 80 + count.index
  backend_port     = 8080
  protocol         = "http"
  bandwidth        = 10
}
resource "terraform_data" "tag" {
  input = { lb = alicloud_slb_load_balancer.web.id, ports = [80, 81] }
}
output "lb_id" { value = alicloud_slb_load_balancer.web.id }
output "ports" { value = alicloud_slb_listener.http[*].frontend_port }
'''

ADDRESSES = ["alicloud_slb_listener.http[0]", "alicloud_slb_listener.http[1]", "alicloud_slb_load_balancer.web",
             "alicloud_vpc.main", "alicloud_vswitch.main", "terraform_data.tag"]


def run(*args: str):
    return CliRunner().invoke(cli, list(args))


def terraform(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {**os.environ, "TF_CLI_CONFIG_FILE": "/dev/null", "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    return subprocess.run([TERRAFORM, *args], cwd=cwd, env=env, capture_output=True, text=True, timeout=120)


@pytest.fixture
def applied(tmp_path: Path) -> Path:
    (tmp_path / "main.tf").write_text(CONFIG)
    r = run("apply", "-auto-approve", str(tmp_path), "-state", str(tmp_path / "clbplan.tfstate"))
    assert r.exit_code == 0, r.output
    return tmp_path


def test_clbplan_writes_format_4_grouped_by_resource(applied: Path) -> None:
    doc = json.loads((applied / "clbplan.tfstate").read_text())
    assert doc["version"] == 4 and doc["terraform_version"] and doc["serial"] >= 1
    listeners = next(r for r in doc["resources"] if r["type"] == "alicloud_slb_listener")
    assert [i["index_key"] for i in listeners["instances"]] == [0, 1]
    lb = next(r for r in doc["resources"] if r["type"] == "alicloud_slb_load_balancer")
    lb_id = lb["instances"][0]["attributes"]["id"]
    assert lb_id.startswith("lb-")
    assert listeners["instances"][0]["attributes"]["load_balancer_id"] == lb_id
    assert listeners["instances"][0]["dependencies"] == ["alicloud_slb_load_balancer.web"]
    tag = next(r for r in doc["resources"] if r["type"] == "terraform_data")
    assert tag["provider"] == 'provider["terraform.io/builtin/terraform"]'
    # terraform_data's input is dynamically typed: Terraform stores it with its type
    assert tag["instances"][0]["attributes"]["input"] == {
        "value": {"lb": lb_id, "ports": [80, 81]},
        "type": ["object", {"lb": "string", "ports": ["tuple", ["number", "number"]]}]}
    assert doc["outputs"]["ports"] == {"value": [80, 81], "type": ["tuple", ["number", "number"]]}


@needs_terraform
def test_terraform_lists_clbplans_resources_and_outputs(applied: Path, tmp_path_factory) -> None:
    elsewhere = tmp_path_factory.mktemp("tf")  # no configuration: terraform only reads the state
    r = terraform(elsewhere, "state", "list", f"-state={applied / 'clbplan.tfstate'}")
    assert r.returncode == 0, r.stderr
    assert r.stdout.split() == ADDRESSES
    r = terraform(elsewhere, "output", "-json", f"-state={applied / 'clbplan.tfstate'}")
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["ports"]["value"] == [80, 81]


@needs_terraform
def test_terraform_show_reads_clbplans_attributes(tmp_path: Path, tmp_path_factory) -> None:
    (tmp_path / "main.tf").write_text('resource "terraform_data" "web" {\n'
                                      '  input = { name = "web", ports = [80, 443] }\n}\n')
    r = run("apply", "-auto-approve", str(tmp_path), "-state", str(tmp_path / "clbplan.tfstate"))
    assert r.exit_code == 0, r.output
    elsewhere = tmp_path_factory.mktemp("tf")
    r = terraform(elsewhere, "show", "-no-color", str(tmp_path / "clbplan.tfstate"))
    assert r.returncode == 0, r.stderr
    assert "# terraform_data.web:" in r.stdout and '"web"' in r.stdout and "443" in r.stdout
    r = terraform(elsewhere, "show", "-json", str(tmp_path / "clbplan.tfstate"))
    values = json.loads(r.stdout)["values"]["root_module"]["resources"][0]["values"]
    assert values["input"] == {"name": "web", "ports": [80, 443]}


def _plan_text(directory: Path, *extra: str) -> str:
    r = run("plan", str(directory), *extra)
    assert r.exit_code == 0, r.output
    return r.output


def test_terraform_data_state_recorded_from_terraform_plans_empty(tmp_path: Path) -> None:
    """fixtures/terraform_data.tfstate was written by `terraform apply` (1.11.4) of fixtures/terraform_data.tf."""
    shutil.copy(FIXTURES / "terraform_data.tf", tmp_path / "main.tf")
    shutil.copy(FIXTURES / "terraform_data.tfstate", tmp_path / "terraform.tfstate")
    before = (tmp_path / "terraform.tfstate").read_bytes()
    out = _plan_text(tmp_path)
    assert "No changes." in out, out
    assert (tmp_path / "terraform.tfstate").read_bytes() == before  # a plan writes nothing
    assert not (tmp_path / "clbplan.tfstate").exists()


@needs_terraform
def test_fixture_matches_what_terraform_writes_today(tmp_path: Path) -> None:
    shutil.copy(FIXTURES / "terraform_data.tf", tmp_path / "main.tf")
    r = terraform(tmp_path, "apply", "-auto-approve", "-input=false", "-no-color")
    assert r.returncode == 0, r.stderr
    fresh = json.loads((tmp_path / "terraform.tfstate").read_text())
    recorded = json.loads((FIXTURES / "terraform_data.tfstate").read_text())

    def shape(doc):
        return [(r["type"], r["name"], r["provider"], [sorted(i) for i in r["instances"]],
                 [sorted(i["attributes"]) for i in r["instances"]]) for r in doc["resources"]]

    assert shape(fresh) == shape(recorded)
    out = _plan_text(tmp_path)
    assert "No changes." in out, out
    # and Terraform plans empty on the state after clbplan rewrote it (apply with no changes)
    r = run("apply", "-auto-approve", str(tmp_path))
    assert r.exit_code == 0, r.output
    r = terraform(tmp_path, "plan", "-detailed-exitcode", "-input=false", "-no-color")
    assert r.returncode == 0, r.stdout + r.stderr


def _as_terraform_wrote_it(doc: dict) -> dict:
    """clbplan's state document reshaped to what Terraform itself writes: no clbplan fields, Terraform's
    dependencies only, another lineage; plus a resource of a type clbplan does not manage."""
    doc = json.loads(json.dumps(doc))
    doc.pop("clbplan_version", None)
    doc["lineage"] = "0b7c4c1e-5d8f-4f9a-a2a1-3c1d2e4f5a6b"
    doc["terraform_version"] = "1.11.4"
    for r in doc["resources"]:
        for inst in r["instances"]:
            inst.pop("clbplan_dependencies", None)
    doc["resources"].append({"mode": "managed", "type": "alicloud_oss_bucket", "name": "logs",
                             "provider": 'provider["registry.terraform.io/aliyun/alicloud"]',
                             "instances": [{"schema_version": 0, "attributes": {"id": "logs-bucket", "bucket": "logs"},
                                            "sensitive_attributes": [], "private": "eyJzY2hlbWFfdmVyc2lvbiI6IjAifQ=="}]})
    doc["resources"].sort(key=lambda r: (r.get("module", ""), r["mode"], r["type"], r["name"]))
    return doc


def test_a_terraform_state_for_the_same_cloud_plans_empty_and_keeps_other_types(applied: Path) -> None:
    ours = applied / "clbplan.tfstate"
    doc = _as_terraform_wrote_it(json.loads(ours.read_text()))
    ours.unlink()
    tf_state = applied / "terraform.tfstate"
    tf_state.write_text(json.dumps(doc, indent=2) + "\n")
    r = run("plan", str(applied))
    assert r.exit_code == 0, r.output
    assert "No changes." in r.output and "import" not in r.output.lower()
    assert r.stderr.count("alicloud_oss_bucket.logs") == 1 and "kept in the state untouched" in r.stderr
    r = run("state", "list", "-state", str(tf_state))
    assert r.exit_code == 0 and r.stdout.split() == ADDRESSES
    # an apply that changes something keeps the foreign resource byte-for-byte, and the lineage
    (applied / "main.tf").write_text(CONFIG.replace("bandwidth        = 10", "bandwidth        = 20"))
    r = run("apply", "-auto-approve", str(applied))
    assert r.exit_code == 0, r.output
    assert "2 changed" in r.output
    after = json.loads(tf_state.read_text())
    assert after["lineage"] == doc["lineage"] and after["serial"] > doc["serial"]
    bucket = [x for x in after["resources"] if x["type"] == "alicloud_oss_bucket"]
    assert bucket == [x for x in doc["resources"] if x["type"] == "alicloud_oss_bucket"]
    assert not (applied / "clbplan.tfstate").exists()
    r = run("plan", "-detailed-exitcode", str(applied))
    assert r.exit_code == 0, r.output


def test_both_state_files_present_is_an_error_not_a_guess(applied: Path) -> None:
    shutil.copy(applied / "clbplan.tfstate", applied / "terraform.tfstate")
    r = run("plan", str(applied))
    assert r.exit_code == 1 and "Two state files" in r.output and "Traceback" not in r.output


def test_clbplans_older_format_is_still_read_and_upgraded_on_write(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('resource "terraform_data" "x" {\n  input = "hello"\n}\n')
    legacy = {"version": 1, "serial": 3, "lineage": "5f1d0a3e-0000-4000-8000-000000000001",
              "clbplan_version": "0.1.0",
              "resources": [{"address": "terraform_data.x", "mode": "managed", "type": "terraform_data",
                             "name": "x", "index": None, "provider": "terraform", "id": "abc",
                             "attributes": {"input": "hello", "output": "hello", "triggers_replace": None},
                             "dependencies": []}],
              "outputs": {}}
    (tmp_path / "clbplan.tfstate").write_text(json.dumps(legacy))
    r = run("plan", str(tmp_path))
    assert r.exit_code == 0 and "No changes." in r.output, r.output
    st = LocalBackend(tmp_path / "clbplan.tfstate").read()
    st.outputs["o"] = {"value": 1, "sensitive": False}
    LocalBackend(tmp_path / "clbplan.tfstate").write(st)
    doc = json.loads((tmp_path / "clbplan.tfstate").read_text())
    assert doc["version"] == 4 and doc["serial"] == 4 and doc["lineage"] == legacy["lineage"]
    assert doc["resources"][0]["instances"][0]["attributes"]["id"] == "abc"


INSTANCE_CONFIG = CONFIG.split('resource "alicloud_slb_load_balancer"')[0] + '''
resource "alicloud_security_group" "app" {
  security_group_name = "v4-sg"
  vpc_id              = alicloud_vpc.main.id
}
resource "alicloud_instance" "app" {
  instance_name   = "v4-app"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.app.id]
}
'''


def test_attributes_the_provider_removed_are_dropped_from_an_older_state_not_planned_away(tmp_path: Path) -> None:
    """A state written before the provider removed ``subnet_id``/``io_optimized`` (provider < 1.210.0,
    or clbplan before it followed that removal) holds them on every ECS instance. Terraform's state
    upgrade drops attributes the schema no longer has, so such a state plans empty; it must not plan
    one "subnet_id -> null" update per instance (10,000 of them on the 10k benchmark's old state)."""
    (tmp_path / "main.tf").write_text(INSTANCE_CONFIG)
    r = run("apply", "-auto-approve", str(tmp_path))
    assert r.exit_code == 0, r.output
    path = tmp_path / "clbplan.tfstate"
    doc = json.loads(path.read_text())
    inst = next(x for x in doc["resources"] if x["type"] == "alicloud_instance")["instances"][0]["attributes"]
    inst["subnet_id"] = inst["vswitch_id"]
    inst["io_optimized"] = "optimized"
    path.write_text(json.dumps(doc, indent=2) + "\n")
    r = run("plan", "-detailed-exitcode", str(tmp_path))
    assert r.exit_code == 0, r.output
    assert "No changes." in r.output and "subnet_id" not in r.output
    # the next state written no longer carries their old values (as after Terraform's state upgrade)
    (tmp_path / "main.tf").write_text(INSTANCE_CONFIG.replace('"v4-app"', '"v4-app2"'))
    r = run("apply", "-auto-approve", str(tmp_path))
    assert r.exit_code == 0 and "1 changed" in r.output, r.output
    doc = json.loads(path.read_text())
    inst = next(x for x in doc["resources"] if x["type"] == "alicloud_instance")["instances"][0]["attributes"]
    assert inst.get("subnet_id") is None and inst.get("io_optimized") is None and inst["instance_name"] == "v4-app2"


def test_dependency_addresses_remembered_while_encoding_stay_bounded_in_a_long_lived_process(monkeypatch) -> None:
    """Encoding remembers each dependency's config address (a 10,000-LB state names 650,000 of them); a
    process that writes the states of many configurations (the test suite, a library user) must not keep
    every one it ever met, and what it still writes must be right."""
    from planner.addresses import ResourceAddress
    from planner.state import tfstate

    monkeypatch.setattr(tfstate, "_CONFIG_ADDRESSES", {})
    monkeypatch.setattr(tfstate, "_CONFIG_ADDRESSES_KEPT", 50)
    for i in range(500):
        addr = ResourceAddress("alicloud_slb_listener", f"l{i}", "k", "managed", (("m", i),))
        assert tfstate._config_address(addr) == f'module.m.alicloud_slb_listener.l{i}'
        assert len(tfstate._CONFIG_ADDRESSES) <= 50
