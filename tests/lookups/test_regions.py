"""Regions for real: the embedded emulator works in the provider's region (provider block,
ALICLOUD_REGION, ALIBABA_CLOUD_REGION_ID), lookups answer per region, and two provider aliases in
two regions apply in one configuration, each object created in its own region."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from planner.emulator import Emulator
from planner.engine.pipeline import apply_plan, final_outputs, make_plan
from planner.state.backend import LocalBackend

FAMILIES = ("cn-hangzhou", "cn-beijing", "ap-southeast-1", "eu-central-1", "us-west-1")

BODY = '''
data "alicloud_zones" "vsw" {
  available_resource_creation = "VSwitch"
}

data "alicloud_images" "linux" {
  name_regex  = "^aliyun_3_x64_20G_alibase_"
  most_recent = true
  owners      = "system"
}

data "alicloud_instance_types" "small" {
  availability_zone = data.alicloud_zones.vsw.zones[0].id
  cpu_core_count    = 2
  memory_size       = 4
}

resource "alicloud_vpc" "main" {
  vpc_name   = "regional"
  cidr_block = "10.0.0.0/16"
}

resource "alicloud_vswitch" "main" {
  vpc_id     = alicloud_vpc.main.id
  cidr_block = "10.0.1.0/24"
  zone_id    = data.alicloud_zones.vsw.zones[0].id
}

resource "alicloud_security_group" "main" {
  vpc_id = alicloud_vpc.main.id
}

resource "alicloud_instance" "web" {
  image_id        = data.alicloud_images.linux.ids[0]
  instance_type   = data.alicloud_instance_types.small.ids[0]
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.main.id]
}

resource "alicloud_slb_load_balancer" "lb" {
  load_balancer_name = "regional"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s1.small"
}

resource "alicloud_slb_backend_server" "web" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  backend_servers {
    server_id = alicloud_instance.web.id
    weight    = 100
  }
}

output "zone" {
  value = alicloud_vswitch.main.zone_id
}
'''


def _apply(work: Path, env: dict[str, str]) -> dict[str, Any]:
    backend = LocalBackend(work / "clbplan.tfstate")
    planned = make_plan(work, backend.read(), env=env)
    assert planned.plan.verified is True
    state = planned.refreshed
    result = apply_plan(planned, state, parallelism=2)
    assert not result.failures, result.failures
    state.outputs = final_outputs(planned, state, env=env)
    backend.write(state)
    again = make_plan(work, backend.read(), env=env)
    assert not [op for op in again.plan.operations], "the second plan is not empty"
    return state.outputs


def _regions_in_cloud(work: Path) -> dict[str, set[str]]:
    """kind (lb, vpc, vswitch, instance, sg...) -> regions of the objects the emulator holds."""
    with Emulator(work / ".clbplan" / "emulator.sqlite") as emu:
        rows = emu.dump()["tables"]["objects"]
    out: dict[str, set[str]] = {}
    for _rowid, kind, _id, region, *_rest in rows:
        if region:
            out.setdefault(kind, set()).add(region)
    return out


@pytest.mark.parametrize("region", FAMILIES)
def test_region_family_from_the_provider_block(region: str, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(f'provider "alicloud" {{\n  region = "{region}"\n}}\n' + BODY)
    out = _apply(tmp_path, env={})
    assert out["zone"]["value"].startswith(region)
    assert _regions_in_cloud(tmp_path)["lb"] == {region}


@pytest.mark.parametrize("region", FAMILIES)
def test_region_family_from_alicloud_region(region: str, tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('provider "alicloud" {}\n' + BODY)
    out = _apply(tmp_path, env={"ALICLOUD_REGION": region})
    assert out["zone"]["value"].startswith(region)
    assert _regions_in_cloud(tmp_path)["vswitch"] == {region}


def test_alibaba_cloud_region_id_and_precedence(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(BODY)  # no provider block at all
    out = _apply(tmp_path, env={"ALIBABA_CLOUD_REGION_ID": "eu-central-1"})
    assert out["zone"]["value"].startswith("eu-central-1")
    other = tmp_path / "both"
    other.mkdir()
    (other / "main.tf").write_text(BODY)
    out = _apply(other, env={"ALICLOUD_REGION": "cn-beijing", "ALIBABA_CLOUD_REGION_ID": "eu-central-1"})
    assert out["zone"]["value"].startswith("cn-beijing")  # ALICLOUD_REGION first, as the provider reads it


def test_cli_honours_alicloud_region(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.cli.main import cli

    (tmp_path / "main.tf").write_text(BODY)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("ALICLOUD_REGION", "ap-southeast-1")
    res = CliRunner().invoke(cli, ["apply", "-auto-approve"])
    assert res.exit_code == 0, res.output
    assert 'zone = "ap-southeast-1' in res.output
    assert _regions_in_cloud(tmp_path)["instance"] == {"ap-southeast-1"}


TWO_REGIONS = '''
provider "alicloud" {
  alias  = "bj"
  region = "cn-beijing"
}

provider "alicloud" {
  alias  = "sg"
  region = "ap-southeast-1"
}

data "alicloud_zones" "bj" {
  provider                    = alicloud.bj
  available_resource_creation = "VSwitch"
}

data "alicloud_zones" "sg" {
  provider                    = alicloud.sg
  available_resource_creation = "VSwitch"
}

resource "alicloud_vpc" "bj" {
  provider   = alicloud.bj
  cidr_block = "10.1.0.0/16"
}

resource "alicloud_vswitch" "bj" {
  provider   = alicloud.bj
  vpc_id     = alicloud_vpc.bj.id
  cidr_block = "10.1.1.0/24"
  zone_id    = data.alicloud_zones.bj.zones[0].id
}

resource "alicloud_slb_load_balancer" "bj" {
  provider           = alicloud.bj
  load_balancer_name = "beijing"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.bj.id
  load_balancer_spec = "slb.s1.small"
}

resource "alicloud_vpc" "sg" {
  provider   = alicloud.sg
  cidr_block = "10.2.0.0/16"
}

resource "alicloud_vswitch" "sg" {
  provider   = alicloud.sg
  vpc_id     = alicloud_vpc.sg.id
  cidr_block = "10.2.1.0/24"
  zone_id    = data.alicloud_zones.sg.zones[0].id
}

resource "alicloud_slb_load_balancer" "sg" {
  provider           = alicloud.sg
  load_balancer_name = "singapore"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.sg.id
  load_balancer_spec = "slb.s1.small"
}

resource "alicloud_slb_listener" "sg" {
  provider         = alicloud.sg
  load_balancer_id = alicloud_slb_load_balancer.sg.id
  protocol         = "tcp"
  frontend_port    = 443
  backend_port     = 8443
  bandwidth        = -1
}

data "alicloud_slb_load_balancers" "sg" {
  provider = alicloud.sg
  ids      = [alicloud_slb_load_balancer.sg.id]
}

output "zones" {
  value = [alicloud_vswitch.bj.zone_id, alicloud_vswitch.sg.zone_id]
}

output "found_in_singapore" {
  value = data.alicloud_slb_load_balancers.sg.names
}
'''


def test_two_aliases_in_two_regions_apply(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(TWO_REGIONS)
    out = _apply(tmp_path, env={})
    bj, sg = out["zones"]["value"]
    assert bj.startswith("cn-beijing-") and sg.startswith("ap-southeast-1")
    assert out["found_in_singapore"]["value"] == ["singapore"]
    assert _regions_in_cloud(tmp_path)["lb"] == {"cn-beijing", "ap-southeast-1"}
    with Emulator(tmp_path / ".clbplan" / "emulator.sqlite") as emu:
        sg_lbs = emu.call("Slb", "DescribeLoadBalancers", {"RegionId": "ap-southeast-1"})
        hz_lbs = emu.call("Slb", "DescribeLoadBalancers", {"RegionId": "cn-hangzhou"})
    assert [lb["LoadBalancerName"] for lb in sg_lbs["LoadBalancers"]["LoadBalancer"]] == ["singapore"]
    assert hz_lbs["LoadBalancers"]["LoadBalancer"] == []
    # destroy goes to each object's region too
    backend = LocalBackend(tmp_path / "clbplan.tfstate")
    planned = make_plan(tmp_path, backend.read(), env={}, destroy=True)
    state = planned.refreshed
    assert not apply_plan(planned, state, parallelism=2).failures
    assert state.resources == {}
