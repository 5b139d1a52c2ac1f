"""Replacing what a listener uses (issue 11 item 6): created new first, listener re-pointed, old one
deleted, instead of a cycle; the local objects behind it follow it create-first."""

from __future__ import annotations

from planner.addresses import ResourceAddress
from tests.utility.helpers import actions, apply, plan, write

ACL = '''
resource "alicloud_slb_load_balancer" "lb" {
  load_balancer_name   = "acl-replace"
  address_type         = "internet"
  internet_charge_type = "PayByTraffic"
  load_balancer_spec   = "slb.s2.small"
}
resource "alicloud_slb_acl" "office" {
  name       = "%s"
  entry_list {
    entry   = "10.10.0.0/16"
    comment = "office"
  }
}
resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  protocol         = "http"
  frontend_port    = 80
  backend_port     = 80
  bandwidth        = 10
  acl_status       = "on"
  acl_type         = "white"
  acl_ids          = [alicloud_slb_acl.office.id]
}
'''


def _order(planned) -> list[str]:
    return [f"{op.kind.value} {op.address}" for op in planned.plan.operations]


def test_replacing_an_acl_a_listener_uses_creates_first_and_repoints(tmp_path):
    write(tmp_path, ACL % "office-v1")
    apply(tmp_path)
    write(tmp_path, ACL % "office-v2")
    planned = plan(tmp_path, replace=[ResourceAddress.parse("alicloud_slb_acl.office")])
    assert actions(planned)["alicloud_slb_acl.office"] == ["create", "delete"]
    order = _order(planned)
    assert order.index("create alicloud_slb_acl.office") < order.index("update alicloud_slb_listener.http") \
        < order.index("delete alicloud_slb_acl.office")
    assert planned.plan.verified
    apply(tmp_path, planned)
    assert actions(plan(tmp_path)) == {}


def test_a_replaced_local_value_behind_a_listener_is_no_cycle(tmp_path):
    cfg = '''
resource "alicloud_slb_load_balancer" "lb" {
  load_balancer_name   = "td-replace"
  address_type         = "internet"
  internet_charge_type = "PayByTraffic"
  load_balancer_spec   = "slb.s2.small"
}
resource "terraform_data" "port" {
  input            = 10
  triggers_replace = "%s"
}
resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.lb.id
  protocol         = "http"
  frontend_port    = 80
  backend_port     = 80
  bandwidth        = terraform_data.port.output
}
'''
    write(tmp_path, cfg % "a")
    apply(tmp_path)
    write(tmp_path, cfg % "b")
    planned = plan(tmp_path)
    assert _order(planned) == ["delete terraform_data.port", "create terraform_data.port",
                               "update alicloud_slb_listener.http"]
    apply(tmp_path, planned)
    assert actions(plan(tmp_path)) == {}
