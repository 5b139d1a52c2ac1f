"""Group nodes in the ordering, on hand-built states (fake schema): whole-resource dependencies
recorded without a key (older states), the cascade of deleted load balancers, and cycles."""

from __future__ import annotations

import networkx as nx
import pytest
from plan_fixtures import config, inst, rstate, state

from planner.diagnostics import DiagnosticsError
from planner.plan.build import plan_from
from planner.plan.model import group_node_id, is_group_node

LB_ATTRS = {"load_balancer_name": "web", "address": "47.1.1.1", "address_type": "internet",
            "load_balancer_spec": "slb.s1.small", "delete_protection": "off"}


def _graph(plan) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(op.id for op in plan.operations)
    g.add_edges_from((e.before, e.after) for e in plan.edges)
    return g


def test_unkeyed_recorded_dependency_deletes_users_first_through_one_group():
    # five groups each recorded "alicloud_slb_load_balancer.lb" (every instance) as a dependency,
    # and stay (their LB stays): their deletes go before every LB delete; one group node, not 5 x 5
    lbs = [rstate(f'alicloud_slb_load_balancer.lb["k{i}"]', f"lb-{i}", {**LB_ATTRS, "load_balancer_name": f"k{i}"})
           for i in range(5)]
    groups = [rstate(f"alicloud_slb_server_group.g{i}", f"rsp-{i}", {"load_balancer_id": "lb-x", "name": f"g{i}"},
                     deps=["alicloud_slb_load_balancer.lb"]) for i in range(5)]
    p = plan_from(config(), state(*lbs, *groups))
    gid = group_node_id("alicloud_slb_load_balancer.lb", "before-delete")
    g = _graph(p)
    assert gid in g and g.in_degree(gid) == 5 and g.out_degree(gid) == 5
    assert len(p.edges) == 10
    for i in range(5):
        for j in range(5):
            assert nx.has_path(g, f"alicloud_slb_server_group.g{i}:delete",
                               f'alicloud_slb_load_balancer.lb["k{j}"]:delete')


def test_cascaded_children_do_not_join_the_load_balancers_group():
    # children of deleted LBs recorded every LB instance (lb[each.key] in an older state): they go
    # with their own LB (no call), and must not order the LBs against each other
    lbs = [rstate(f'alicloud_slb_load_balancer.lb["k{i}"]', f"lb-{i}", {**LB_ATTRS, "load_balancer_name": f"k{i}"})
           for i in range(5)]
    groups = [rstate(f'alicloud_slb_server_group.g["k{i}"]', f"rsp-{i}",
                     {"load_balancer_id": f"lb-{i}", "name": f"g{i}"}, deps=["alicloud_slb_load_balancer.lb"])
              for i in range(5)]
    p = plan_from(config(), state(*lbs, *groups))
    assert not any(is_group_node(e.before) or is_group_node(e.after) for e in p.edges)
    assert all(op.cascaded for op in p.operations if op.address.type == "alicloud_slb_server_group")
    for i in range(5):
        assert any(e.before == f'alicloud_slb_load_balancer.lb["k{i}"]:delete'
                   and e.after == f'alicloud_slb_server_group.g["k{i}"]:delete' for e in p.edges)
    assert len(p.edges) == 5


def test_a_cycle_through_a_group_names_an_operation():
    # every group references every LB, and the LBs reference one of the groups: a real cycle
    lbs = [inst(f"alicloud_slb_load_balancer.lb[{i}]", {"load_balancer_spec": "slb.s1.small"},
                deps=["alicloud_slb_server_group.g[0]"]) for i in range(4)]
    groups = [inst(f"alicloud_slb_server_group.g[{i}]", {"load_balancer_id": "lb-1", "name": f"g{i}"},
                   deps=[f"alicloud_slb_load_balancer.lb[{j}]" for j in range(4)]) for i in range(2)]
    with pytest.raises(DiagnosticsError) as e:
        plan_from(config(*lbs, *groups), state())
    d = e.value.diagnostics[0]
    assert "Cycle" in d.summary and "references alicloud_slb_load_balancer.lb" in d.detail
