"""Arguments of the network objects that clbplan refused although the provider accepts them: the
VPC's dns_hostname_status / force_delete / route propagation, the vSwitch's is_default, the ENI's
source_dest_check / delete_on_release, and the ECS spellings on the older alicloud_network_interface
(the provider serves both names with one schema). They validate without warnings, apply, and re-plan
empty."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from tests.utility.helpers import actions, apply, plan, write

CONFIG = '''
resource "alicloud_vpc" "main" {
  vpc_name                                    = "args"
  cidr_block                                  = "10.90.0.0/16"
  dns_hostname_status                         = "ENABLED"
  force_delete                                = true
  system_route_table_route_propagation_enable = true
}

resource "alicloud_vswitch" "main" {
  vpc_id     = alicloud_vpc.main.id
  cidr_block = "10.90.1.0/24"
  zone_id    = "cn-hangzhou-h"
  is_default = false
}

resource "alicloud_security_group" "main" {
  security_group_name = "args"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_ecs_network_interface" "new" {
  vswitch_id         = alicloud_vswitch.main.id
  security_group_ids = [alicloud_security_group.main.id]
  source_dest_check  = false
  delete_on_release  = true
}

resource "alicloud_network_interface" "old" {
  vswitch_id             = alicloud_vswitch.main.id
  network_interface_name = "old-name-new-spelling"
  security_group_ids     = [alicloud_security_group.main.id]
  primary_ip_address     = "10.90.1.20"
  source_dest_check      = true
}

output "old_eni" {
  value = [alicloud_network_interface.old.name, alicloud_network_interface.old.private_ip,
           alicloud_network_interface.old.status]
}
'''


def test_validate_accepts_them_without_warnings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, CONFIG)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["validate"])
    assert res.exit_code == 0, res.output
    assert "warning" not in res.output.lower(), res.output


def test_they_apply_and_replan_empty(tmp_path: Path) -> None:
    write(tmp_path, CONFIG)
    _planned, state, _ = apply(tmp_path)
    assert state.outputs["old_eni"]["value"] == ["old-name-new-spelling", "10.90.1.20", "Available"]
    vpc = next(rs for a, rs in state.resources.items() if a.type == "alicloud_vpc")
    assert vpc.attributes["dns_hostname_status"] == "ENABLED"
    assert actions(plan(tmp_path)) == {}


def test_both_spellings_at_once_is_an_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    write(tmp_path, CONFIG.replace('network_interface_name = "old-name-new-spelling"',
                                   'network_interface_name = "a"\n  name = "b"'))
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["validate"])
    assert res.exit_code == 1
    assert 'it is another spelling of "name"' in res.output


INSTANCE = '''
resource "alicloud_vpc" "main" {
  cidr_block = "10.91.0.0/16"
}

resource "alicloud_vswitch" "main" {
  vpc_id     = alicloud_vpc.main.id
  cidr_block = "10.91.1.0/24"
  zone_id    = "cn-hangzhou-h"
}

resource "alicloud_security_group" "main" {
  vpc_id = alicloud_vpc.main.id
}

resource "alicloud_instance" "web" {
  image_id                     = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type                = "ecs.g6.large"
  vswitch_id                   = alicloud_vswitch.main.id
  security_groups              = [alicloud_security_group.main.id]
  system_disk_bursting_enabled = false
  enable_high_density_mode     = false
  spot_interruption_behavior   = "Terminate"
  %s
  image_options {
    login_as_non_root = false
  }
  cpu_options {
    threads_per_core = 2
  }
}
'''


def test_instance_arguments_of_the_provider_apply_and_replan_empty(tmp_path: Path) -> None:
    write(tmp_path, INSTANCE % "")
    apply(tmp_path)
    assert actions(plan(tmp_path)) == {}


@pytest.mark.parametrize("line,version", [('subnet_id = "vsw-bp1aaaaaaaaaaaaaaaaa"', "1.210.0"),
                                          ('io_optimized = "optimized"', "1.213.1")])
def test_arguments_the_provider_removed_fail_naming_them(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                         line: str, version: str) -> None:
    write(tmp_path, INSTANCE % line)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["validate"])
    assert res.exit_code == 1, res.output
    name = line.split()[0]
    assert f'Argument "{name}" was removed from' in res.output
    assert f"removed from provider version {version}" in res.output
