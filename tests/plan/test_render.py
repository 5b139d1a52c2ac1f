"""The human plan text: Terraform's conventions plus the ordered operations with reasons."""

from __future__ import annotations

from plan_fixtures import config, inst, rstate, state

from planner.plan.build import plan_from
from planner.render.text import render_plan, render_state

LB = "alicloud_slb_load_balancer.web"
LB_ATTRS = {"load_balancer_name": "web", "address": "47.1.1.1", "address_type": "internet",
            "load_balancer_spec": "slb.s1.small", "delete_protection": "off"}


def lst(port, proto="tcp"):
    return {"load_balancer_id": "lb-1", "frontend_port": port, "protocol": proto, "backend_port": 8080,
            "bandwidth": -1, "server_group_id": None, "master_slave_server_group_id": None,
            "listener_forward": "off", "forward_port": None, "description": None}


def make():
    prior = state(rstate(LB, "lb-1", LB_ATTRS), rstate("alicloud_slb_listener.a", "lb-1:tcp:80", lst(80)),
                  rstate("alicloud_slb_server_certificate.c", "cert-1", {"name": "c", "private_key": "KEY"}))
    cfg = config(inst(LB, {"load_balancer_spec": "slb.s2.small", "delete_protection": "off"}),
                 inst("alicloud_slb_listener.a", lst(81)), inst("alicloud_slb_listener.n", lst(82, "http")))
    return plan_from(cfg, prior), prior


def test_headers_markers_and_summary_follow_terraform():
    text = render_plan(make()[0])
    assert "  # alicloud_slb_listener.a must be replaced\n" in text
    assert "-/+ resource \"alicloud_slb_listener\" \"a\" {\n" in text
    assert "      ~ frontend_port = 80 -> 81 # forces replacement\n" in text
    assert "      ~ id            = \"lb-1:tcp:80\" -> (known after apply)\n" in text
    assert "  # alicloud_slb_listener.n will be created\n" in text
    assert "  # alicloud_slb_load_balancer.web will be updated in-place\n" in text
    assert "  # alicloud_slb_server_certificate.c will be destroyed\n" in text
    assert "  # (alicloud_slb_server_certificate.c is not in the configuration)\n" in text
    assert text.endswith("Plan: 2 to add, 1 to change, 2 to destroy.\n")


def test_sensitive_values_never_appear():
    plan, prior = make()
    text = render_plan(plan)
    assert "KEY" not in text and "private_key = (sensitive value) -> null" in text
    shown = render_state(prior)
    assert "KEY" not in shown and "(sensitive value)" in shown


def test_operations_are_listed_in_order_with_the_reason_for_their_place():
    text = render_plan(make()[0])
    ops = text.split("Operations, in order:\n", 1)[1]
    assert ops.index("delete alicloud_slb_listener.a") < ops.index("create alicloud_slb_listener.a")
    assert "after 2: replace: the old object is deleted first" in ops


def test_no_changes_message_and_determinism():
    prior = state(rstate(LB, "lb-1", LB_ATTRS))
    plan = plan_from(config(inst(LB, {"load_balancer_spec": "slb.s1.small", "delete_protection": "off"})), prior)
    text = render_plan(plan)
    assert text.startswith("No changes. Your infrastructure matches the configuration.\n")
    assert render_plan(make()[0]) == render_plan(make()[0])
