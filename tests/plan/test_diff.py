"""The diff: what a user sees as create/update/replace/delete/no-op, and why."""

from __future__ import annotations

import pytest
from plan_fixtures import A, config, inst, rstate, state

from planner.diagnostics import DiagnosticsError
from planner.plan.build import plan_from
from planner.plan.diff import Differ, detect_drift, refreshed_state
from planner.plan.model import Action
from planner.values import UNKNOWN

LB = "alicloud_slb_load_balancer.web"
LB_ATTRS = {"load_balancer_name": "web", "address": "47.1.1.1", "address_type": "internet",
            "load_balancer_spec": "slb.s1.small", "delete_protection": "off"}
L_ATTRS = {"load_balancer_id": "lb-1", "frontend_port": 80, "protocol": "http", "backend_port": 8080,
           "bandwidth": -1, "server_group_id": None, "master_slave_server_group_id": None,
           "listener_forward": "off", "forward_port": None, "description": None}


def one(changes, addr):
    return next(c for c in changes if str(c.address) == addr)


def test_create_has_unknown_id_and_computed_values():
    cfg = config(inst(LB, {"load_balancer_spec": "slb.s1.small", "delete_protection": "off"}))
    ch = one(Differ(state()).diff(cfg), LB)
    assert ch.action is Action.CREATE
    assert ch.after["id"] is UNKNOWN and ch.after["address"] is UNKNOWN
    assert ch.after["load_balancer_spec"] == "slb.s1.small"
    assert ch.before is None


def test_unset_optional_computed_keeps_prior_value_so_no_change():
    prior = state(rstate(LB, "lb-1", LB_ATTRS))
    cfg = config(inst(LB, {"load_balancer_spec": "slb.s1.small", "delete_protection": "off"}))
    ch = one(Differ(prior).diff(cfg), LB)
    assert ch.action is Action.NOOP
    assert ch.after["address"] == "47.1.1.1" and ch.after["id"] == "lb-1"


def test_update_in_place_names_the_changed_attributes():
    prior = state(rstate(LB, "lb-1", LB_ATTRS))
    cfg = config(inst(LB, {"load_balancer_spec": "slb.s2.small", "delete_protection": "off"}))
    ch = one(Differ(prior).diff(cfg), LB)
    assert ch.action is Action.UPDATE
    assert "load_balancer_spec" in ch.reason
    assert ch.after["id"] == "lb-1"


def test_force_new_change_is_a_delete_first_replace_with_paths():
    prior = state(rstate("alicloud_slb_listener.http", "lb-1:http:80", L_ATTRS))
    cfg = config(inst("alicloud_slb_listener.http", {**L_ATTRS, "frontend_port": 81, "bandwidth": None}))
    ch = one(Differ(prior).diff(cfg), "alicloud_slb_listener.http")
    assert ch.action is Action.DELETE_THEN_CREATE
    assert ch.replace_paths == [["frontend_port"]]
    assert ch.action_reason == "replace_because_cannot_update"
    assert "frontend_port 80 -> 81" in ch.reason
    assert ch.after["id"] is UNKNOWN and ch.after["bandwidth"] is UNKNOWN


def test_lifecycle_create_before_destroy_flips_the_replace():
    prior = state(rstate("alicloud_slb_listener.http", "lb-1:http:80", L_ATTRS))
    cfg = config(inst("alicloud_slb_listener.http", {**L_ATTRS, "backend_port": 9090},
                      create_before_destroy=True))
    ch = one(Differ(prior).diff(cfg), "alicloud_slb_listener.http")
    assert ch.action is Action.CREATE_THEN_DELETE
    assert ch.action.actions == ["create", "delete"]


@pytest.mark.parametrize("ignore", [["frontend_port", "description"], ["*"]])
def test_ignore_changes_pins_prior_values(ignore):
    prior = state(rstate("alicloud_slb_listener.http", "lb-1:http:80", L_ATTRS))
    cfg = config(inst("alicloud_slb_listener.http", {**L_ATTRS, "frontend_port": 81, "description": "x"},
                      ignore_changes=ignore))
    ch = one(Differ(prior).diff(cfg), "alicloud_slb_listener.http")
    assert ch.action is Action.NOOP


def test_prevent_destroy_is_a_located_plan_error():
    prior = state(rstate("alicloud_slb_listener.http", "lb-1:http:80", L_ATTRS))
    cfg = config(inst("alicloud_slb_listener.http", {**L_ATTRS, "protocol": "tcp"}, line=7,
                      prevent_destroy=True))
    with pytest.raises(DiagnosticsError) as e:
        plan_from(cfg, prior)  # checked on the plan's changes, after the action upgrades
    d = e.value.diagnostics[0]
    assert d.summary == "Instance cannot be destroyed"
    assert (d.pos.filename, d.pos.line) == ("main.tf", 7)
    assert "prevent_destroy" in d.detail


def test_resource_not_in_config_is_deleted_with_terraform_reason():
    prior = state(rstate(LB, "lb-1", LB_ATTRS), rstate("alicloud_slb_listener.x[1]", "lb-1:tcp:81", L_ATTRS))
    cfg = config(inst(LB, {"load_balancer_spec": "slb.s1.small"}),
                 inst("alicloud_slb_listener.x[0]", L_ATTRS))
    changes = Differ(prior).diff(cfg)
    gone = one(changes, "alicloud_slb_listener.x[1]")
    assert gone.action is Action.DELETE and gone.action_reason == "delete_because_count_index"
    prior2 = state(rstate("alicloud_slb_listener.old", "lb-1:tcp:81", L_ATTRS))
    gone2 = one(Differ(prior2).diff(config()), "alicloud_slb_listener.old")
    assert gone2.action_reason == "delete_because_no_resource_config"
    assert gone2.reason == "alicloud_slb_listener.old is not in the configuration"


def test_resolver_gives_real_ids_for_kept_objects_and_unknown_for_replaced():
    prior = state(rstate(LB, "lb-1", LB_ATTRS),
                  rstate("alicloud_slb_server_group.g", "rsp-1", {"load_balancer_id": "lb-1", "name": "g"}))
    d = Differ(prior)
    kept = d.resolve(inst(LB, {"load_balancer_spec": "slb.s1.small", "delete_protection": "off"}))
    assert kept["id"] == "lb-1" and kept["address"] == "47.1.1.1"
    replaced = d.resolve(inst(LB, {"load_balancer_spec": "slb.s1.small", "address_type": "intranet"}))
    assert replaced["id"] is UNKNOWN
    new = d.resolve(inst("alicloud_slb_server_group.h", {"load_balancer_id": "lb-1", "name": "h"}))
    assert new["id"] is UNKNOWN and new["name"] == "h"


def test_set_blocks_compare_without_order_and_sensitive_names_are_carried():
    servers = [{"server_ids": ["i-1"], "port": 80, "weight": 100}, {"server_ids": ["i-2"], "port": 80, "weight": 0}]
    prior = state(rstate("alicloud_slb_server_group.g", "rsp-1",
                         {"load_balancer_id": "lb-1", "name": "g", "servers": servers}))
    cfg = config(inst("alicloud_slb_server_group.g",
                      {"load_balancer_id": "lb-1", "name": "g", "servers": list(reversed(servers))}))
    assert one(Differ(prior).diff(cfg), "alicloud_slb_server_group.g").action is Action.NOOP
    cert = one(Differ(state()).diff(config(inst("alicloud_slb_server_certificate.c", {"name": "c",
                                                                                      "private_key": "K"}))),
               "alicloud_slb_server_certificate.c")
    assert "private_key" in cert.sensitive


def test_weight_change_in_a_group_is_an_update():
    servers = [{"server_ids": ["i-1"], "port": 80, "weight": 100}]
    prior = state(rstate("alicloud_slb_server_group.g", "rsp-1",
                         {"load_balancer_id": "lb-1", "name": "g", "servers": servers}))
    cfg = config(inst("alicloud_slb_server_group.g", {"load_balancer_id": "lb-1", "name": "g",
                                                      "servers": [{**servers[0], "weight": 0}]}))
    ch = one(Differ(prior).diff(cfg), "alicloud_slb_server_group.g")
    assert ch.action is Action.UPDATE and "servers" in ch.reason


def test_drift_lists_attributes_changed_outside_and_deleted_objects():
    prior = state(rstate(LB, "lb-1", LB_ATTRS), rstate("alicloud_slb_server_group.g", "rsp-1", {"name": "g"}))
    refreshed = {A(LB): {**LB_ATTRS, "id": "lb-1", "load_balancer_spec": "slb.s2.small"},
                 A("alicloud_slb_server_group.g"): None}
    drift = detect_drift(prior, refreshed)
    assert [(str(d.address), d.changed) for d in drift] == [
        ("alicloud_slb_load_balancer.web", ["load_balancer_spec"]),
        ("alicloud_slb_server_group.g", ["*"]),
    ]
    st = refreshed_state(prior, refreshed)
    assert list(map(str, st.resources)) == [LB]
    assert st.resources[A(LB)].attributes["load_balancer_spec"] == "slb.s2.small"
    assert (st.lineage, st.serial) == (prior.lineage, prior.serial)


def test_refreshed_state_takes_the_refresh_results_over_without_copying_them():
    """A plan hands its refresh results to the refreshed state (100,000 dicts at 10,000 load
    balancers were copied and kept twice): the state is the same as with copies, the result
    dicts are its attributes, and a dict given for two addresses still gives both their ids."""
    prior = state(rstate(LB, "lb-1", LB_ATTRS), rstate("alicloud_slb_load_balancer.b", "lb-2", LB_ATTRS))
    shared = {**LB_ATTRS, "id": "lb-9", "load_balancer_spec": "slb.s2.small"}
    results = {A(LB): shared, A("alicloud_slb_load_balancer.b"): shared}
    copied = refreshed_state(prior, {a: dict(v) for a, v in results.items()})
    taken = refreshed_state(prior, results, take=True)
    assert {a: (r.id, r.attributes) for a, r in taken.resources.items()} == \
        {a: (r.id, r.attributes) for a, r in copied.resources.items()}
    assert [r.id for r in taken.resources.values()] == ["lb-9", "lb-9"]
    assert taken.resources[A(LB)].attributes is shared and "id" not in shared


def test_an_unchanged_refresh_keeps_the_state_objects_instead_of_a_second_copy():
    """A no-change refresh at 10,000 load balancers held two equal copies of 100,000 objects (the state
    read and the cloud's answers) for the rest of the run: an object the cloud reports exactly as the
    state holds it is now the same object in both states. A changed value, another id, or a value of
    another type (``1`` for ``True``) still takes the cloud's answer."""
    same = rstate(LB, "lb-1", LB_ATTRS)
    renamed = rstate("alicloud_slb_load_balancer.b", "lb-2", {**LB_ATTRS, "address_type": "intranet"})
    typed = rstate("alicloud_slb_load_balancer.c", "lb-3", {**LB_ATTRS, "delete_protection": True})
    reid = rstate("alicloud_slb_load_balancer.d", "lb-4", LB_ATTRS)
    prior = state(same, renamed, typed, reid)
    results = {A(LB): {**LB_ATTRS, "id": "lb-1"},
               A("alicloud_slb_load_balancer.b"): {**LB_ATTRS, "address_type": "internet", "id": "lb-2"},
               A("alicloud_slb_load_balancer.c"): {**LB_ATTRS, "delete_protection": 1, "id": "lb-3"},
               A("alicloud_slb_load_balancer.d"): {**LB_ATTRS, "id": "lb-44"}}
    expected = refreshed_state(prior, {a: dict(v) for a, v in results.items()})
    st = refreshed_state(prior, results, take=True)
    assert {a: (r.id, r.attributes) for a, r in st.resources.items()} == \
        {a: (r.id, r.attributes) for a, r in expected.resources.items()}
    assert st.resources[A(LB)] is same
    assert [st.resources[a] is prior.resources[a] for a in list(prior.resources)[1:]] == [False, False, False]
    assert st.resources[A("alicloud_slb_load_balancer.c")].attributes["delete_protection"] == 1
    assert type(st.resources[A("alicloud_slb_load_balancer.c")].attributes["delete_protection"]) is int
    assert st.resources[A("alicloud_slb_load_balancer.d")].id == "lb-44"
