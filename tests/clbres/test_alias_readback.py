"""Deprecated alias attributes the provider still sets read back with the provider's value
(issue 14, "Why": ``alicloud_vpc.name`` and friends were null)."""

from __future__ import annotations

from pathlib import Path

from tests.clbres.helpers import apply_dir, plan_dir

CONFIG = '''
resource "alicloud_vpc" "main" {
  vpc_name   = "%(vpc)s"
  cidr_block = "172.16.0.0/12"
}

resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "172.16.0.0/24"
  zone_id      = "cn-hangzhou-h"
  vswitch_name = "alias-vsw"
}

resource "alicloud_security_group" "main" {
  security_group_name = "alias-sg"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_slb_load_balancer" "lb" {
  load_balancer_name = "alias-lb"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s2.small"
}

resource "alicloud_slb" "old" {
  load_balancer_name = "alias-old"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s1.small"
}

output "vpc_name" {
  value = alicloud_vpc.main.name
}

output "others" {
  value = [alicloud_vswitch.main.name, alicloud_vswitch.main.availability_zone,
           alicloud_security_group.main.name, alicloud_slb_load_balancer.lb.name,
           alicloud_slb_load_balancer.lb.specification, alicloud_slb.old.name]
}
'''


def test_alias_attributes_read_back_and_follow_renames(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CONFIG % {"vpc": "alias-vpc"})
    _, outputs = apply_dir(tmp_path)
    assert outputs["vpc_name"] == "alias-vpc"
    assert outputs["others"] == ["alias-vsw", "cn-hangzhou-h", "alias-sg", "alias-lb", "slb.s2.small", "alias-old"]
    assert not plan_dir(tmp_path).plan.has_changes

    (tmp_path / "main.tf").write_text(CONFIG % {"vpc": "alias-vpc-2"})
    changed = [c for c in plan_dir(tmp_path).plan.changes if c.action.value != "no-op"]
    assert [str(c.address) for c in changed] == ["alicloud_vpc.main"]
    assert changed[0].after["name"] == "alias-vpc-2"  # the alias follows the rename in the plan
    _, outputs = apply_dir(tmp_path)
    assert outputs["vpc_name"] == "alias-vpc-2"
    assert not plan_dir(tmp_path).plan.has_changes


def test_deprecated_slb_type_plans_like_the_canonical_one(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CONFIG % {"vpc": "alias-vpc"})
    planned = plan_dir(tmp_path)
    by_type = {c.address.type: c for c in planned.plan.changes}
    old, new = by_type["alicloud_slb"], by_type["alicloud_slb_load_balancer"]
    assert old.action == new.action
    assert set(old.after) == set(new.after)
