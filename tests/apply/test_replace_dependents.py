"""``-replace`` of a resource others depend on (issue 11, item 6).

Replacing the VPC replaces what must be re-created in it (its vSwitch, its security group, the load
balancer in that vSwitch and, with it, its listener) and moves the ECS instance into the new vSwitch
and group (the provider's ModifyInstanceVpcAttribute on the stopped instance), in an order the cloud
accepts: the new VPC, vSwitch and group first, the instance moved, then the old group, vSwitch and
VPC deleted. The plan is verified on the shadow cloud, applied, and the next plan has no changes.
It used to be refused by verification (the instance was "updated in place" into the new group while
the provider never moved it out of the old vSwitch: InvalidSecurityGroup.VpcMismatch).
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
resource "alicloud_vpc" "main" {
  vpc_name   = "v"
  cidr_block = "10.0.0.0/8"
}

resource "alicloud_vswitch" "a" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "10.1.0.0/16"
  zone_id      = "cn-hangzhou-h"
  vswitch_name = "a"
}

resource "alicloud_security_group" "app" {
  security_group_name = "sg"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_instance" "app" {
  instance_name   = "app"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.a.id
  security_groups = [alicloud_security_group.app.id]
}

resource "alicloud_slb_load_balancer" "lb" {
  load_balancer_name = "lb"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.a.id
  load_balancer_spec = "slb.s1.small"
}

resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  frontend_port    = 80
  backend_port     = 8080
  protocol         = "http"
  bandwidth        = 10
  health_check     = "off"
}
"""


def run(cwd: Path, *args: str, ok: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run([sys.executable, "-m", "planner.cli.main", *args], cwd=cwd, capture_output=True, text=True,
                       timeout=300, env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})
    assert (p.returncode == 0) == ok, p.stdout + p.stderr
    return p


def ids(cwd: Path) -> dict[str, dict]:
    from planner.state.tfstate import flat_instances

    doc = json.loads((cwd / "clbplan.tfstate").read_text())
    return {f'{i["type"]}.{i["name"]}': i["attributes"] for i in flat_instances(doc)}


def steps(plan_text: str) -> list[str]:
    return re.findall(r"^ +\d+\. (\w+ \S+)", plan_text.split("Operations, in order:")[1], re.M)


@pytest.mark.parametrize("target", ["alicloud_vpc.main"])
def test_replace_of_a_network_with_dependents_plans_verifies_and_applies(tmp_path: Path, target: str) -> None:
    (tmp_path / "main.tf").write_text(CONFIG)
    run(tmp_path, "apply", "-auto-approve")
    before = ids(tmp_path)
    plan = run(tmp_path, "plan", f"-replace={target}").stdout
    assert "Verified: every step below was run" in plan
    order = steps(plan)
    pos = {s: i for i, s in enumerate(order)}
    assert pos["create alicloud_vswitch.a"] < pos["update alicloud_instance.app"] < pos["delete alicloud_vswitch.a"]
    assert pos["delete alicloud_slb_load_balancer.lb"] < pos["delete alicloud_vswitch.a"]
    if target == "alicloud_vpc.main":
        assert "5 to add, 1 to change, 5 to destroy" in plan
        assert pos["create alicloud_vpc.main"] < pos["create alicloud_vswitch.a"]
        assert pos["create alicloud_security_group.app"] < pos["update alicloud_instance.app"] \
            < pos["delete alicloud_security_group.app"]
        assert order[-1] in ("delete alicloud_vpc.main", "create alicloud_slb_listener.http")
        assert pos["delete alicloud_vpc.main"] > pos["delete alicloud_vswitch.a"]
    run(tmp_path, "apply", "-auto-approve", f"-replace={target}")
    after = ids(tmp_path)
    assert after["alicloud_vswitch.a"]["id"] != before["alicloud_vswitch.a"]["id"]
    assert after["alicloud_instance.app"]["id"] == before["alicloud_instance.app"]["id"]  # moved, not re-created
    assert after["alicloud_instance.app"]["vswitch_id"] == after["alicloud_vswitch.a"]["id"]
    assert after["alicloud_instance.app"]["security_groups"] == [after["alicloud_security_group.app"]["id"]]
    assert after["alicloud_instance.app"]["status"] == "Running"
    if target == "alicloud_vpc.main":
        assert after["alicloud_vpc.main"]["id"] != before["alicloud_vpc.main"]["id"]
    assert "No changes" in run(tmp_path, "plan").stdout  # what the cloud holds is what was planned


def test_replace_of_a_vswitch_that_cannot_be_replaced_in_place_is_refused_with_the_rule(tmp_path: Path) -> None:
    """The same CIDR block in the same VPC: the new vSwitch cannot exist beside the old one, and the
    old one cannot be deleted while the instance is in it. Refused at plan time, naming the rule."""
    (tmp_path / "main.tf").write_text(CONFIG)
    run(tmp_path, "apply", "-auto-approve")
    before = (tmp_path / "clbplan.tfstate").read_bytes()
    p = run(tmp_path, "plan", "-replace=alicloud_vswitch.a", ok=False)
    assert p.returncode == 1 and "Traceback" not in p.stderr
    assert "InvalidCidrBlock.Overlapped" in p.stderr and "alicloud_instance.app" in p.stderr
    assert "nothing was applied" in p.stderr
    assert (tmp_path / "clbplan.tfstate").read_bytes() == before


def test_moving_an_instance_to_another_vswitch_of_its_vpc_really_moves_it(tmp_path: Path) -> None:
    """vswitch_id of an instance updates in place (as in the provider); the update used to be planned
    and reported done while the provider sent no call, so the next plan showed the same change again."""
    (tmp_path / "main.tf").write_text(CONFIG)
    run(tmp_path, "apply", "-auto-approve")
    moved = CONFIG.replace("vswitch_id      = alicloud_vswitch.a.id", "vswitch_id      = alicloud_vswitch.b.id") + """
resource "alicloud_vswitch" "b" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "10.2.0.0/16"
  zone_id      = "cn-hangzhou-h"
  vswitch_name = "b"
}
"""
    (tmp_path / "main.tf").write_text(moved)
    assert "1 to add, 1 to change, 0 to destroy" in run(tmp_path, "apply", "-auto-approve").stdout
    after = ids(tmp_path)
    assert after["alicloud_instance.app"]["vswitch_id"] == after["alicloud_vswitch.b"]["id"]
    assert after["alicloud_instance.app"]["private_ip"].startswith("10.2.")
    assert "No changes" in run(tmp_path, "plan").stdout
