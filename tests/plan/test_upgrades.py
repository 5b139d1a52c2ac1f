"""The action upgrades: they return new changes (the diff's stay as they were), and
``prevent_destroy`` is checked on what they decided."""

from __future__ import annotations

import dataclasses

import pytest
from plan_fixtures import config, inst, rstate, state

from planner.diagnostics import DiagnosticsError
from planner.plan.build import plan_from
from planner.plan.diff import Differ
from planner.plan.model import Action
from planner.plan.ordering import order_changes

LB = "alicloud_slb_load_balancer.web"
LB_ATTRS = {"load_balancer_name": "web", "address": "47.1.1.1", "address_type": "internet",
            "load_balancer_spec": "slb.s1.small", "delete_protection": "off"}
LB_CFG = {"load_balancer_spec": "slb.s1.small", "delete_protection": "off"}
RULE = {"load_balancer_id": "lb-1", "frontend_port": 80, "name": "r", "url": "/api", "server_group_id": "rsp-1"}


def lst(proto: str) -> dict:
    return {"load_balancer_id": "lb-1", "frontend_port": 80, "protocol": proto, "backend_port": 8080,
            "bandwidth": -1, "server_group_id": None, "master_slave_server_group_id": None,
            "listener_forward": "off", "forward_port": None, "description": None}


PRIOR = state(rstate(LB, "lb-1", LB_ATTRS), rstate("alicloud_slb_listener.http", "lb-1:http:80", lst("http")),
              rstate("alicloud_slb_rule.r", "rule-1", RULE))


def _listener_to_https(**rule_lifecycle):
    """The listener goes from http to https on port 80 (a replace); the rule is unchanged."""
    return config(inst(LB, LB_CFG), inst("alicloud_slb_listener.http", lst("https")),
                  inst("alicloud_slb_rule.r", RULE, line=9, **rule_lifecycle))


def test_prevent_destroy_refuses_a_rule_replaced_because_its_listener_is():
    # the diff sees the rule unchanged; only the upgrade replaces it (its listener takes it along).
    # The check used to run on the diff's actions, so this plan went through and destroyed the rule.
    with pytest.raises(DiagnosticsError) as e:
        plan_from(_listener_to_https(prevent_destroy=True), PRIOR)
    (d,) = e.value.diagnostics
    assert d.summary == "Instance cannot be destroyed"
    assert (d.pos.filename, d.pos.line) == ("main.tf", 9)
    assert "Resource alicloud_slb_rule.r has lifecycle.prevent_destroy set" in d.detail
    assert "its listener alicloud_slb_listener.http is replaced" in d.detail


def test_the_upgrades_return_new_changes_and_leave_the_diffs_alone():
    cfg = _listener_to_https()
    changes = Differ(PRIOR).diff(cfg)
    before = [dataclasses.replace(c, after=dict(c.after or {})) for c in changes]
    ordered = order_changes(changes, cfg, PRIOR)
    assert changes == before  # same actions, reasons and planned values as the diff made them
    rule = next(c for c in changes if c.address.name == "r")
    upgraded = next(c for c in ordered.changes if c.address.name == "r")
    assert rule.action is Action.NOOP
    assert upgraded.action is Action.DELETE_THEN_CREATE and upgraded is not rule
    assert upgraded.action_reason == "replace_because_cannot_update"
    # the operations carry the upgraded change, so apply and the renderers see the replace
    assert {op.change.action for op in ordered.operations if op.address.name == "r"} == {Action.DELETE_THEN_CREATE}
