"""A Rego policy (tests/ui/policies/clb.rego, OPA's language, run by regopy) decides on
``clbplan show -json PLANFILE`` as it would on ``terraform show -json``: a plan with a create, a
replace and a delete passes when every listener is health-checked and behind an ACL, and is denied
with one message per violation otherwise. The listener-to-load-balancer link comes from the JSON
plan's ``configuration`` references (the new load balancer's id is unknown at plan time).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from regopy import Interpreter

from tests.support.cli import invoke_in as _clbplan

POLICY = Path(__file__).resolve().parent / "policies" / "clb.rego"

# Applied first: an internet-facing load balancer with an HTTP listener (health-checked, behind
# the office ACL) and a legacy listener the next plans delete.
BASE = """
provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_slb_load_balancer" "web" {
  load_balancer_name = "web"
  address_type       = "internet"
  load_balancer_spec = "slb.s1.small"
}

resource "alicloud_slb_acl" "office" {
  name = "office"
  entry_list {
    entry   = "203.0.113.0/24"
    comment = "office"
  }
}

resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  frontend_port    = 80
  backend_port     = 8080
  protocol         = "http"
  bandwidth        = 10
  health_check     = "on"
  acl_status       = "on"
  acl_type         = "white"
  acl_ids          = [alicloud_slb_acl.office.id]
}

resource "alicloud_slb_listener" "legacy" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  frontend_port    = 8000
  backend_port     = 8000
  protocol         = "tcp"
  bandwidth        = 10
  acl_status       = "on"
  acl_type         = "white"
  acl_ids          = [alicloud_slb_acl.office.id]
}
"""

# Compliant: the HTTP listener moves to port 81 (a replace), a TCP listener is added (a create),
# the legacy one goes (a delete); every listener is health-checked and behind the office ACL.
COMPLIANT = """
provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_slb_load_balancer" "web" {
  load_balancer_name = "web"
  address_type       = "internet"
  load_balancer_spec = "slb.s1.small"
}

resource "alicloud_slb_acl" "office" {
  name = "office"
  entry_list {
    entry   = "203.0.113.0/24"
    comment = "office"
  }
}

resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  frontend_port    = 81
  backend_port     = 8080
  protocol         = "http"
  bandwidth        = 10
  health_check     = "on"
  acl_status       = "on"
  acl_type         = "white"
  acl_ids          = [alicloud_slb_acl.office.id]
}

resource "alicloud_slb_listener" "ssh" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  frontend_port    = 22
  backend_port     = 22
  protocol         = "tcp"
  bandwidth        = 10
  acl_status       = "on"
  acl_type         = "white"
  acl_ids          = [alicloud_slb_acl.office.id]
}
"""

# Not compliant: the same create, replace and delete, but the replaced HTTP listener turns its
# health check off and the new TCP listener on the internet-facing load balancer has no ACL.
NONCOMPLIANT = """
provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_slb_load_balancer" "web" {
  load_balancer_name = "web"
  address_type       = "internet"
  load_balancer_spec = "slb.s1.small"
}

resource "alicloud_slb_acl" "office" {
  name = "office"
  entry_list {
    entry   = "203.0.113.0/24"
    comment = "office"
  }
}

resource "alicloud_slb_listener" "http" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  frontend_port    = 81
  backend_port     = 8080
  protocol         = "http"
  bandwidth        = 10
  health_check     = "off"
  acl_status       = "on"
  acl_type         = "white"
  acl_ids          = [alicloud_slb_acl.office.id]
}

resource "alicloud_slb_listener" "ssh" {
  load_balancer_id = alicloud_slb_load_balancer.web.id
  frontend_port    = 22
  backend_port     = 22
  protocol         = "tcp"
  bandwidth        = 10
}
"""


def _plan_json(tmp_path: Path, config: str) -> dict:
    """Apply BASE, then plan ``config`` to a file and return ``show -json`` of it, parsed."""
    (tmp_path / "main.tf").write_text(BASE)
    assert _clbplan(tmp_path, "apply", "-auto-approve", "-input=false").exit_code == 0
    (tmp_path / "main.tf").write_text(config)
    assert _clbplan(tmp_path, "plan", "-input=false", "-out=p.plan").exit_code == 0
    shown = _clbplan(tmp_path, "show", "-json", "p.plan")
    assert shown.exit_code == 0, shown.output
    return json.loads(shown.stdout)


def _deny(plan: dict) -> set[str]:
    rego = Interpreter()
    rego.add_module("clb", POLICY.read_text())
    rego.set_input_term(json.dumps(plan))
    out = rego.query("data.clbplan.policy.deny")
    assert out.ok(), str(out)
    return set(json.loads(str(out))["expressions"][0])  # the query's value: the set of messages


def _actions(plan: dict) -> dict[str, list[str]]:
    return {rc["address"]: rc["change"]["actions"] for rc in plan["resource_changes"]
            if rc["change"]["actions"] != ["no-op"]}


WANT_ACTIONS = {"alicloud_slb_listener.http": ["delete", "create"], "alicloud_slb_listener.legacy": ["delete"],
                "alicloud_slb_listener.ssh": ["create"]}


def test_compliant_plan_passes(tmp_path):
    plan = _plan_json(tmp_path, COMPLIANT)
    assert _actions(plan) == WANT_ACTIONS  # a create, a replace and a delete
    assert _deny(plan) == set()


def test_noncompliant_plan_is_denied_with_one_message_per_violation(tmp_path):
    plan = _plan_json(tmp_path, NONCOMPLIANT)
    assert _actions(plan) == WANT_ACTIONS
    assert _deny(plan) == {
        'alicloud_slb_listener.http: listener without health check (health_check = "off")',
        "alicloud_slb_listener.ssh: listener of internet-facing alicloud_slb_load_balancer.web has no access "
        'control list (acl_status = "on")',
    }


@pytest.mark.parametrize("config", ["COMPLIANT", "NONCOMPLIANT"])
def test_policy_reads_the_listeners_load_balancer_from_configuration_references(tmp_path, config):
    """Without the references the ACL rule could not connect a listener to its load balancer."""
    plan = _plan_json(tmp_path, globals()[config])
    refs = {r["address"]: r["expressions"]["load_balancer_id"]["references"]
            for r in plan["configuration"]["root_module"]["resources"] if r["type"] == "alicloud_slb_listener"}
    assert refs["alicloud_slb_listener.ssh"] == ["alicloud_slb_load_balancer.web.id", "alicloud_slb_load_balancer.web"]
    for r in plan["configuration"]["root_module"]["resources"]:
        r.get("expressions", {}).pop("load_balancer_id", None)
    assert not any("internet-facing" in m for m in _deny(plan))
