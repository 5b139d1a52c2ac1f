"""Objects around CLB (issue 14 item 2): security group rules and key pairs are accepted, checked
with the cloud's rules before any call, applied on the embedded emulator and re-plan empty."""

from __future__ import annotations

import os
import stat
from pathlib import Path

from click.testing import CliRunner

from planner.cli.main import cli

from .helpers import apply_dir, plan_dir

NET = '''
resource "alicloud_vpc" "main" {
  vpc_name   = "around"
  cidr_block = "10.40.0.0/16"
}

resource "alicloud_vswitch" "main" {
  vpc_id     = alicloud_vpc.main.id
  cidr_block = "10.40.1.0/24"
  zone_id    = "cn-hangzhou-h"
}

resource "alicloud_security_group" "web" {
  security_group_name = "web"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_security_group" "bastion" {
  security_group_name = "bastion"
  vpc_id              = alicloud_vpc.main.id
}
'''

PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFgjDddyg4rtemDbAlWgnMfnqHB0dkt/ImGzJIYrGdYt laptop"


def _validate(tmp_path: Path, text: str) -> tuple[int, str]:
    (tmp_path / "main.tf").write_text(text)
    res = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    assert "Traceback" not in res.output
    return res.exit_code, res.output


def test_rule_port_range_must_fit_the_protocol(tmp_path: Path) -> None:
    code, out = _validate(tmp_path, NET + '''
resource "alicloud_security_group_rule" "https" {
  type              = "ingress"
  ip_protocol       = "tcp"
  security_group_id = alicloud_security_group.web.id
  cidr_ip           = "0.0.0.0/0"
}

resource "alicloud_security_group_rule" "ping" {
  type              = "ingress"
  ip_protocol       = "icmp"
  port_range        = "8/8"
  security_group_id = alicloud_security_group.web.id
  cidr_ip           = "0.0.0.0/0"
}

resource "alicloud_security_group_rule" "nobody" {
  type              = "egress"
  ip_protocol       = "all"
  security_group_id = alicloud_security_group.web.id
}
''')
    assert code == 1
    assert "alicloud_security_group_rule.https: port_range '-1/-1' does not fit ip_protocol 'tcp'" in out
    assert "tcp takes ports 1 to 65535" in out
    assert 'icmp has no ports: use port_range = "-1/-1"' in out
    assert "alicloud_security_group_rule.nobody: the rule names no peer" in out


def test_duplicate_rules_are_refused_before_apply(tmp_path: Path) -> None:
    code, out = _validate(tmp_path, NET + '''
resource "alicloud_security_group_rule" "a" {
  type              = "ingress"
  ip_protocol       = "tcp"
  port_range        = "443/443"
  security_group_id = alicloud_security_group.web.id
  cidr_ip           = "0.0.0.0/0"
  description       = "https"
}

resource "alicloud_security_group_rule" "b" {
  type              = "ingress"
  ip_protocol       = "tcp"
  port_range        = "443/443"
  security_group_id = alicloud_security_group.web.id
  cidr_ip           = "0.0.0.0/0"
  description       = "the same rule, another description"
}
''')
    assert code == 1
    assert ("alicloud_security_group_rule.b: alicloud_security_group_rule.a already authorizes the same rule in "
            "alicloud_security_group.web") in out
    assert "InvalidPermission.Duplicate" in out


def test_rules_and_key_pairs_apply_and_converge(tmp_path: Path) -> None:
    key_file = tmp_path / "keys" / "deploy.pem"
    (tmp_path / "main.tf").write_text(NET + f'''
resource "alicloud_security_group_rule" "https" {{
  type              = "ingress"
  ip_protocol       = "tcp"
  nic_type          = "intranet"
  policy            = "accept"
  port_range        = "443/443"
  priority          = 1
  security_group_id = alicloud_security_group.web.id
  cidr_ip           = "0.0.0.0/0"
  description       = "https from anywhere"
}}

resource "alicloud_security_group_rule" "ssh_from_bastion" {{
  type                     = "ingress"
  ip_protocol              = "tcp"
  port_range               = "22/22"
  security_group_id        = alicloud_security_group.web.id
  source_security_group_id = alicloud_security_group.bastion.id
}}

resource "alicloud_security_group_rule" "deny_out" {{
  type              = "egress"
  ip_protocol       = "all"
  policy            = "drop"
  priority          = 100
  security_group_id = alicloud_security_group.web.id
  cidr_ip           = "192.168.0.0/16"
}}

resource "alicloud_ecs_key_pair" "deploy" {{
  key_pair_name = "deploy"
  key_file      = "{key_file}"
}}

resource "alicloud_key_pair" "laptop" {{
  key_name   = "laptop"
  public_key = "{PUB}"
}}

resource "alicloud_instance" "web" {{
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.web.id]
  key_name        = alicloud_ecs_key_pair.deploy.key_pair_name
}}

output "fingerprints" {{
  value = [alicloud_ecs_key_pair.deploy.finger_print, alicloud_key_pair.laptop.finger_print]
}}

output "rule_id" {{
  value = alicloud_security_group_rule.https.id
}}
''')
    planned, outputs = apply_dir(tmp_path)
    assert all(len(fp) == 32 for fp in outputs["fingerprints"])
    assert outputs["rule_id"].endswith(":ingress:tcp:443/443:intranet:0.0.0.0/0:accept:1")
    # the private key of the cloud-made pair was saved once, readable by the owner only
    assert key_file.read_text().startswith("-----BEGIN RSA PRIVATE KEY-----")
    assert stat.S_IMODE(os.stat(key_file).st_mode) == 0o400
    assert not plan_dir(tmp_path).plan.has_changes

    # a description changes in place; a port is ForceNew
    text = (tmp_path / "main.tf").read_text()
    text = text.replace('"https from anywhere"', '"https"').replace('"22/22"', '"2222/2222"')
    (tmp_path / "main.tf").write_text(text)
    planned = plan_dir(tmp_path)
    actions = {str(c.address): c.action.value for c in planned.plan.changes if c.action.value != "no-op"}
    assert actions == {"alicloud_security_group_rule.https": "update",
                       "alicloud_security_group_rule.ssh_from_bastion": "delete-create"}
    apply_dir(tmp_path)
    assert not plan_dir(tmp_path).plan.has_changes


LBS = '''
resource "alicloud_slb_load_balancer" "public" {
  load_balancer_name = "public"
  address_type       = "internet"
  load_balancer_spec = "slb.s1.small"
}

resource "alicloud_slb_load_balancer" "private" {
  load_balancer_name = "private"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s1.small"
}

resource "alicloud_eip_address" "a" {
  address_name = "a"
}

resource "alicloud_eip_address" "b" {
  address_name = "b"
}
'''


def test_eip_rules_are_checked_before_apply(tmp_path: Path) -> None:
    code, out = _validate(tmp_path, NET + LBS + '''
resource "alicloud_eip_association" "public" {
  allocation_id = alicloud_eip_address.a.id
  instance_id   = alicloud_slb_load_balancer.public.id
}

resource "alicloud_eip_association" "private" {
  allocation_id = alicloud_eip_address.b.id
  instance_id   = alicloud_slb_load_balancer.private.id
  instance_type = "EcsInstance"
}

resource "alicloud_eip_association" "again" {
  allocation_id = alicloud_eip_address.a.id
  instance_id   = alicloud_slb_load_balancer.private.id
}
''')
    assert code == 1
    assert ("alicloud_eip_association.public: alicloud_slb_load_balancer.public is an internet load balancer: "
            "an EIP binds only to an intranet one") in out
    assert 'instance_type "EcsInstance" does not match alicloud_slb_load_balancer.private' in out
    assert ("alicloud_eip_association.again: alicloud_slb_load_balancer.private already gets an EIP from "
            "alicloud_eip_association.private") in out
    assert "alicloud_eip_address.a is already bound by alicloud_eip_association.public" in out


def test_eip_on_intranet_lb_applies_and_moves(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(NET + LBS.replace('address_type       = "internet"', 'address_type       = '
                                                        '"intranet"\n  vswitch_id         = alicloud_vswitch.main.id') + '''
resource "alicloud_eip_association" "lb" {
  allocation_id = alicloud_eip_address.a.id
  instance_id   = alicloud_slb_load_balancer.private.id
}

output "ip" {
  value = alicloud_eip_address.a.ip_address
}
''')
    _, outputs = apply_dir(tmp_path)
    assert outputs["ip"].startswith("47.")
    assert not plan_dir(tmp_path).plan.has_changes
    # moved to the other load balancer: the old binding goes before the new one is made
    (tmp_path / "main.tf").write_text((tmp_path / "main.tf").read_text().replace(
        "instance_id   = alicloud_slb_load_balancer.private.id", "instance_id   = alicloud_slb_load_balancer.public.id"))
    planned = plan_dir(tmp_path)
    ops = [f"{op.kind.value} {op.address}" for op in planned.plan.operations]
    assert ops == ["delete alicloud_eip_association.lb", "create alicloud_eip_association.lb"]
    apply_dir(tmp_path)
    assert not plan_dir(tmp_path).plan.has_changes
    # a bandwidth change is in place
    (tmp_path / "main.tf").write_text((tmp_path / "main.tf").read_text().replace(
        'address_name = "a"', 'address_name = "a"\n  bandwidth    = "20"'))
    planned = plan_dir(tmp_path)
    assert [f"{op.kind.value} {op.address}" for op in planned.plan.operations] == ["update alicloud_eip_address.a"]
    apply_dir(tmp_path)
    assert not plan_dir(tmp_path).plan.has_changes


def test_common_network_and_instance_arguments_are_accepted_and_converge(tmp_path: Path) -> None:
    """Arguments real configurations set on the VPC, vSwitch, security group, instance and ENI
    (they were refused as unknown before)."""
    (tmp_path / "main.tf").write_text('''
resource "alicloud_vpc" "main" {
  vpc_name             = "args"
  cidr_block           = "10.50.0.0/16"
  classic_link_enabled = false
  enable_ipv6          = false
}

resource "alicloud_vswitch" "main" {
  vpc_id     = alicloud_vpc.main.id
  cidr_block = "10.50.1.0/24"
  zone_id    = "cn-hangzhou-h"
}

resource "alicloud_security_group" "main" {
  name                = "args"
  vpc_id              = alicloud_vpc.main.id
  inner_access_policy = "Accept"
}

resource "alicloud_instance" "web" {
  image_id                            = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type                       = "ecs.g6.large"
  vswitch_id                          = alicloud_vswitch.main.id
  security_groups                     = [alicloud_security_group.main.id]
  credit_specification                = "Standard"
  system_disk_encrypted               = true
  system_disk_auto_snapshot_policy_id = "sp-bp1aaaaaaaaaaaaaaaaa"
  renewal_status                      = "Normal"
  include_data_disks                  = true
  http_tokens                         = "required"
  http_endpoint                       = "enabled"
  maintenance_action                  = "AutoRecover"
  password_inherit                    = false
  data_disks {
    size                 = 40
    category             = "cloud_essd"
    kms_key_id           = "key-hzz1234567890"
    delete_with_instance = true
  }
  maintenance_time {
    start_time = "02:00:00Z"
    end_time   = "04:00:00Z"
  }
}

resource "alicloud_ecs_network_interface" "extra" {
  vswitch_id         = alicloud_vswitch.main.id
  security_group_ids = [alicloud_security_group.main.id]
  ipv4_prefix_count  = 0
}
''')
    res = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    assert res.exit_code == 0, res.output
    assert 'rename it to "security_group_name"' in res.output  # name: the old spelling, warned once
    apply_dir(tmp_path)
    again = plan_dir(tmp_path)
    assert not again.plan.has_changes


def test_instance_key_pair_changes_in_place(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(NET + f'''
resource "alicloud_key_pair" "old" {{
  key_name   = "old"
  public_key = "{PUB}"
}}

resource "alicloud_ecs_key_pair" "new" {{
  key_pair_name = "new"
  public_key    = "{PUB}"
}}

resource "alicloud_instance" "web" {{
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.web.id]
  key_name        = alicloud_key_pair.old.key_name
}}
''')
    apply_dir(tmp_path)
    assert not plan_dir(tmp_path).plan.has_changes
    (tmp_path / "main.tf").write_text((tmp_path / "main.tf").read_text().replace(
        "key_name        = alicloud_key_pair.old.key_name", "key_name        = alicloud_ecs_key_pair.new.key_pair_name"))
    planned = plan_dir(tmp_path)
    assert [f"{op.kind.value} {op.address}" for op in planned.plan.operations] == ["update alicloud_instance.web"]
    apply_dir(tmp_path)
    after = plan_dir(tmp_path)
    assert not after.plan.has_changes
    inst = next(r for a, r in after.refreshed.resources.items() if str(a) == "alicloud_instance.web")
    assert inst.attributes["key_name"] == "new"


def test_network_tags_change_in_place(tmp_path: Path) -> None:
    """Before, a tag on a VPC or vSwitch was dropped by the cloud, and a tag change on a security group
    or ENI was never sent: each planned an update forever."""
    (tmp_path / "main.tf").write_text('''
resource "alicloud_vpc" "v" {
  vpc_name   = "tags"
  cidr_block = "10.70.0.0/16"
  tags       = { env = "dev" }
}

resource "alicloud_vswitch" "s" {
  vpc_id     = alicloud_vpc.v.id
  cidr_block = "10.70.1.0/24"
  zone_id    = "cn-hangzhou-h"
  tags       = { env = "dev" }
}

resource "alicloud_eip_address" "e" {
  tags = { env = "dev" }
}

resource "alicloud_security_group" "g" {
  vpc_id = alicloud_vpc.v.id
  tags   = { env = "dev" }
}

resource "alicloud_ecs_network_interface" "n" {
  vswitch_id         = alicloud_vswitch.s.id
  security_group_ids = [alicloud_security_group.g.id]
  tags               = { env = "dev" }
}

resource "alicloud_ecs_key_pair" "k" {
  key_pair_name = "tagged"
  tags          = { env = "dev" }
}
''')
    apply_dir(tmp_path)
    assert not plan_dir(tmp_path).plan.has_changes
    (tmp_path / "main.tf").write_text((tmp_path / "main.tf").read_text().replace(
        '{ env = "dev" }', '{ team = "web" }'))
    planned = plan_dir(tmp_path)
    assert sorted(f"{op.kind.value} {op.address}" for op in planned.plan.operations) == [
        "update alicloud_ecs_key_pair.k", "update alicloud_ecs_network_interface.n", "update alicloud_eip_address.e",
        "update alicloud_security_group.g", "update alicloud_vpc.v", "update alicloud_vswitch.s"]
    apply_dir(tmp_path)
    after = plan_dir(tmp_path)
    assert not after.plan.has_changes
    assert all(r.attributes.get("tags") == {"team": "web"} for r in after.refreshed.resources.values())


def test_instance_groups_type_and_bandwidth_change_in_place(tmp_path: Path) -> None:
    """Before, changing an instance's security groups or type planned an update that changed nothing."""
    (tmp_path / "main.tf").write_text(NET + '''
resource "alicloud_instance" "web" {
  image_id                   = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type              = "ecs.g6.large"
  vswitch_id                 = alicloud_vswitch.main.id
  security_groups            = [alicloud_security_group.web.id]
  internet_max_bandwidth_out = 0
}
''')
    apply_dir(tmp_path)
    text = (tmp_path / "main.tf").read_text()
    text = text.replace("[alicloud_security_group.web.id]", "[alicloud_security_group.bastion.id]")
    text = text.replace('"ecs.g6.large"', '"ecs.g6.xlarge"').replace("= 0\n", "= 10\n")
    (tmp_path / "main.tf").write_text(text)
    planned = plan_dir(tmp_path)
    assert [f"{op.kind.value} {op.address}" for op in planned.plan.operations] == ["update alicloud_instance.web"]
    apply_dir(tmp_path)
    after = plan_dir(tmp_path)
    assert not after.plan.has_changes
    inst = next(r for a, r in after.refreshed.resources.items() if str(a) == "alicloud_instance.web")
    assert inst.attributes["instance_type"] == "ecs.g6.xlarge" and inst.attributes["status"] == "Running"
