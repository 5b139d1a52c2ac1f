"""Each ordering rule, asserted on the operation graph (edges and their reasons)."""

from __future__ import annotations

import networkx as nx
import pytest
from plan_fixtures import config, inst, rstate, state

from planner.diagnostics import DiagnosticsError
from planner.plan.build import plan_from
from planner.plan.model import Action
from planner.plan.ordering import order_changes
from planner.values import UNKNOWN

LB = "alicloud_slb_load_balancer.web"
LB_ATTRS = {"load_balancer_name": "web", "address": "47.1.1.1", "address_type": "internet",
            "load_balancer_spec": "slb.s1.small", "delete_protection": "off"}
LB_CFG = {"load_balancer_spec": "slb.s1.small", "delete_protection": "off"}


def lst(port=80, proto="http", group=None, lb="lb-1", **kw):
    return {"load_balancer_id": lb, "frontend_port": port, "protocol": proto, "backend_port": 8080,
            "bandwidth": -1, "server_group_id": group, "master_slave_server_group_id": None,
            "listener_forward": "off", "forward_port": None, "description": None, **kw}


def grp(name="g", lb="lb-1"):
    return {"load_balancer_id": lb, "name": name}


def order(plan) -> list[str]:
    return [op.id for op in plan.operations]


def runs_before(plan, a: str, b: str) -> bool:
    ids = order(plan)
    return ids.index(a) < ids.index(b)


def graph(plan) -> nx.DiGraph:
    g = nx.DiGraph()
    g.add_nodes_from(order(plan))
    g.add_edges_from((e.before, e.after) for e in plan.edges)
    return g


def edge_reason(plan, a, b) -> str:
    return next(e.reason for e in plan.edges if (e.before, e.after) == (a, b))


def test_create_follows_references_lb_group_listener():
    cfg = config(
        inst(LB, LB_CFG),
        inst("alicloud_slb_server_group.g", grp(lb=UNKNOWN), deps=[LB]),
        inst("alicloud_slb_listener.http", lst(lb=UNKNOWN, group=UNKNOWN), deps=[LB, "alicloud_slb_server_group.g"]),
    )
    p = plan_from(cfg, state())
    assert order(p) == ["alicloud_slb_load_balancer.web:create", "alicloud_slb_server_group.g:create",
                        "alicloud_slb_listener.http:create"]
    assert "references" in edge_reason(p, "alicloud_slb_server_group.g:create",
                                       "alicloud_slb_listener.http:create")
    # children of a new load balancer serialise on its address until it has an id
    assert {op.load_balancer for op in p.operations} == {"new:alicloud_slb_load_balancer.web"}


def test_orphans_are_deleted_in_reverse_dependency_order_with_cascade_off():
    prior = state(
        rstate(LB, "lb-1", LB_ATTRS),
        rstate("alicloud_slb_server_group.g", "rsp-1", grp(), deps=[LB]),
        rstate("alicloud_slb_listener.http", "lb-1:http:80", lst(group="rsp-1"),
               deps=[LB, "alicloud_slb_server_group.g"]),
    )
    p = plan_from(config(inst(LB, LB_CFG)), prior)
    assert order(p) == ["alicloud_slb_listener.http:delete", "alicloud_slb_server_group.g:delete"]
    assert all(not op.cascaded and op.load_balancer == "lb-1" for op in p.operations)


def test_repoint_listener_before_deleting_the_old_group_and_after_creating_the_new():
    prior = state(
        rstate(LB, "lb-1", LB_ATTRS),
        rstate("alicloud_slb_server_group.a", "rsp-a", grp("a"), deps=[LB]),
        rstate("alicloud_slb_listener.http", "lb-1:http:80", lst(group="rsp-a"),
               deps=[LB, "alicloud_slb_server_group.a"]),
    )
    cfg = config(inst(LB, LB_CFG),
                 inst("alicloud_slb_server_group.b", grp("b"), deps=[LB]),
                 inst("alicloud_slb_listener.http", lst(group=None), deps=[LB, "alicloud_slb_server_group.b"]))
    cfg.resources[next(iter(a for a in cfg.resources if a.name == "http"))].attributes["server_group_id"] = None
    p = plan_from(cfg, prior)
    upd, new, old = ("alicloud_slb_listener.http:update", "alicloud_slb_server_group.b:create",
                     "alicloud_slb_server_group.a:delete")
    assert runs_before(p, new, upd) and runs_before(p, upd, old)
    assert "re-pointed off alicloud_slb_server_group.a" in edge_reason(p, upd, old)


def test_bound_group_replaced_is_created_first_without_lifecycle_flag():
    servers = [{"server_id": "i-1", "port": 80, "server_type": "Master"},
               {"server_id": "i-2", "port": 80, "server_type": "Slave"}]
    prior = state(
        rstate(LB, "lb-1", LB_ATTRS),
        rstate("alicloud_slb_master_slave_server_group.ms", "rsp-ms", {**grp("ms"), "servers": servers}, deps=[LB]),
        rstate("alicloud_slb_listener.tcp", "lb-1:tcp:80",
               lst(proto="tcp", master_slave_server_group_id="rsp-ms"),
               deps=[LB, "alicloud_slb_master_slave_server_group.ms"]),
    )
    new_servers = [dict(servers[0], port=81), dict(servers[1], port=81)]
    from planner.plan.diff import Differ
    d = Differ(prior)
    ms = d.resolve(inst("alicloud_slb_master_slave_server_group.ms", {**grp("ms"), "servers": new_servers},
                        deps=[LB]))
    cfg = config(inst(LB, LB_CFG),
                 inst("alicloud_slb_master_slave_server_group.ms", {**grp("ms"), "servers": new_servers},
                      deps=[LB]),
                 inst("alicloud_slb_listener.tcp", lst(proto="tcp", master_slave_server_group_id=ms["id"]),
                      deps=[LB, "alicloud_slb_master_slave_server_group.ms"]))
    p = plan_from(cfg, prior, differ=d)
    ch = next(c for c in p.changes if c.address.name == "ms")
    assert ch.action is Action.CREATE_THEN_DELETE and "RspoolVipExist" in ch.reason
    assert order(p) == ["alicloud_slb_master_slave_server_group.ms:create", "alicloud_slb_listener.tcp:update",
                        "alicloud_slb_master_slave_server_group.ms:delete"]


def test_rule_waits_for_listener_on_same_port_without_a_reference():
    cfg = config(
        inst("alicloud_slb_listener.http", lst()),
        inst("alicloud_slb_server_group.g", grp()),
        inst("alicloud_slb_rule.r", {"load_balancer_id": "lb-1", "frontend_port": 80, "name": "r",
                                     "url": "/api", "server_group_id": "rsp-1"}),
    )
    prior = state(rstate(LB, "lb-1", LB_ATTRS), rstate("alicloud_slb_server_group.g", "rsp-1", grp()))
    p = plan_from(cfg, prior)
    a, b = "alicloud_slb_listener.http:create", "alicloud_slb_rule.r:create"
    assert runs_before(p, a, b)
    assert "is a rule of alicloud_slb_listener.http" in edge_reason(p, a, b)


def test_rules_are_deleted_before_their_listener_and_recreated_when_it_is_replaced():
    rule = {"load_balancer_id": "lb-1", "frontend_port": 80, "name": "r", "url": "/api", "server_group_id": "rsp-1"}
    prior = state(rstate(LB, "lb-1", LB_ATTRS),
                  rstate("alicloud_slb_listener.http", "lb-1:http:80", lst()),
                  rstate("alicloud_slb_rule.r", "rule-1", rule))
    # listener goes from http to https on the same port: replaced; the rule, unchanged in config, goes too
    cfg = config(inst(LB, LB_CFG), inst("alicloud_slb_listener.http", lst(proto="https")),
                 inst("alicloud_slb_rule.r", rule))
    p = plan_from(cfg, prior)
    r = next(c for c in p.changes if c.address.name == "r")
    assert r.action is Action.DELETE_THEN_CREATE and "listener alicloud_slb_listener.http is replaced" in r.reason
    assert order(p) == ["alicloud_slb_rule.r:delete", "alicloud_slb_listener.http:delete",
                        "alicloud_slb_listener.http:create", "alicloud_slb_rule.r:create"]


def test_two_listeners_swapping_ports_delete_both_before_creating():
    prior = state(rstate(LB, "lb-1", LB_ATTRS),
                  rstate("alicloud_slb_listener.a", "lb-1:tcp:80", lst(80, "tcp")),
                  rstate("alicloud_slb_listener.b", "lb-1:tcp:81", lst(81, "tcp")))
    cfg = config(inst(LB, LB_CFG), inst("alicloud_slb_listener.a", lst(81, "tcp"), create_before_destroy=True),
                 inst("alicloud_slb_listener.b", lst(80, "tcp")))
    p = plan_from(cfg, prior)
    assert all(c.action is Action.DELETE_THEN_CREATE for c in p.changes if c.type == "alicloud_slb_listener")
    for d in ("a", "b"):
        for c in ("a", "b"):
            assert runs_before(p, f"alicloud_slb_listener.{d}:delete", f"alicloud_slb_listener.{c}:create")
    assert "frees its port" in edge_reason(p, "alicloud_slb_listener.b:delete", "alicloud_slb_listener.a:create")


def test_capacity_deletes_run_before_creates_on_a_full_load_balancer():
    prior = state(rstate(LB, "lb-1", LB_ATTRS), *[
        rstate(f"alicloud_slb_listener.l[{i}]", f"lb-1:tcp:{1000 + i}", lst(1000 + i, "tcp")) for i in range(50)
    ])
    keep = [inst(f"alicloud_slb_listener.l[{i}]", lst(1000 + i, "tcp")) for i in range(45)]
    new = [inst(f"alicloud_slb_listener.n[{i}]", lst(2000 + i, "tcp")) for i in range(5)]
    p = plan_from(config(inst(LB, LB_CFG), *keep, *new), prior)
    ids = order(p)
    last_delete = max(i for i, x in enumerate(ids) if x.endswith(":delete"))
    first_create = min(i for i, x in enumerate(ids) if x.endswith(":create"))
    assert last_delete < first_create
    g = graph(p)
    assert g.has_edge("alicloud_slb_listener.l[49]:delete", "alicloud_slb_listener.n[0]:create")
    assert "at most 50 listeners" in edge_reason(p, "alicloud_slb_listener.l[49]:delete",
                                                 "alicloud_slb_listener.n[0]:create")


def test_rules_still_order_the_few_changes_of_a_mostly_unchanged_plan():
    """The rules start from the operations, not from every object: a port swap, a full load
    balancer and a replaced listener with its rule are ordered as when they are the whole plan,
    beside 40 unchanged load balancers with their listeners and rules."""
    rule = {"load_balancer_id": "lb-1", "frontend_port": 80, "name": "r", "domain": "a.example.com",
            "url": "/", "server_group_id": None}
    prior_objs, cfg_objs = [], []
    for n in range(40):  # untouched: no operation, so no edge may start or end at them
        lb, lid = f"alicloud_slb_load_balancer.other[{n}]", f"lb-o{n}"
        prior_objs += [rstate(lb, lid, {**LB_ATTRS, "load_balancer_name": f"o{n}"}),
                       rstate(f"alicloud_slb_listener.other[{n}]", f"{lid}:http:80", lst(80, lb=lid)),
                       rstate(f"alicloud_slb_rule.other[{n}]", f"rule-o{n}", {**rule, "load_balancer_id": lid})]
        cfg_objs += [inst(lb, {**LB_CFG, "load_balancer_name": f"o{n}"}),
                     inst(f"alicloud_slb_listener.other[{n}]", lst(80, lb=lid)),
                     inst(f"alicloud_slb_rule.other[{n}]", {**rule, "load_balancer_id": lid})]
    full = [rstate(f"alicloud_slb_listener.l[{i}]", f"lb-1:tcp:{1000 + i}", lst(1000 + i, "tcp")) for i in range(46)]
    prior = state(rstate(LB, "lb-1", LB_ATTRS), *prior_objs, *full,
                  rstate("alicloud_slb_listener.a", "lb-1:tcp:80", lst(80, "tcp")),
                  rstate("alicloud_slb_listener.b", "lb-1:tcp:81", lst(81, "tcp")),
                  rstate("alicloud_slb_listener.http", "lb-1:http:90", lst(90)),
                  rstate("alicloud_slb_rule.r", "rule-1", {**rule, "frontend_port": 90}))
    cfg = config(inst(LB, LB_CFG), *cfg_objs,
                 *[inst(f"alicloud_slb_listener.l[{i}]", lst(1000 + i, "tcp")) for i in range(45)],
                 inst("alicloud_slb_listener.n", lst(2000, "tcp")),
                 inst("alicloud_slb_listener.a", lst(81, "tcp"), create_before_destroy=True),
                 inst("alicloud_slb_listener.b", lst(80, "tcp")),
                 inst("alicloud_slb_listener.http", lst(90, proto="https")),
                 inst("alicloud_slb_rule.r", {**rule, "frontend_port": 90}))
    p = plan_from(cfg, prior)
    assert all("other" not in op.id for op in p.operations)
    assert "frees its port" in edge_reason(p, "alicloud_slb_listener.b:delete", "alicloud_slb_listener.a:create")
    assert "at most 50 listeners" in edge_reason(p, "alicloud_slb_listener.l[45]:delete",
                                                 "alicloud_slb_listener.n:create")
    assert "is a rule of" in edge_reason(p, "alicloud_slb_listener.http:create", "alicloud_slb_rule.r:create")
    assert "rules go before their listener" in edge_reason(p, "alicloud_slb_rule.r:delete",
                                                           "alicloud_slb_listener.http:delete")


def test_children_of_a_deleted_load_balancer_are_cascaded():
    prior = state(
        rstate(LB, "lb-1", {**LB_ATTRS, "delete_protection": "on"}),
        rstate("alicloud_slb_server_group.g", "rsp-1", grp(), deps=[LB]),
        rstate("alicloud_slb_listener.http", "lb-1:http:80", lst(group="rsp-1"),
               deps=[LB, "alicloud_slb_server_group.g"]),
        rstate("alicloud_slb_rule.r", "rule-1", {"load_balancer_id": "lb-1", "frontend_port": 80,
                                                 "server_group_id": "rsp-1", "name": "r"}),
    )
    p = plan_from(config(), prior)
    ids = order(p)
    assert ids[0] == "alicloud_slb_load_balancer.web:delete"
    children = [op for op in p.operations if op.address.type != "alicloud_slb_load_balancer"]
    assert children and all(op.cascaded for op in children)
    assert p.counts == (0, 0, 4)


def test_group_attachments_share_a_batch_key():
    prior = state(rstate("alicloud_slb_server_group.g", "rsp-1", grp()))
    cfg = config(inst("alicloud_slb_server_group.g", grp()), *[
        inst(f"alicloud_slb_server_group_server_attachment.s[{i}]",
             {"server_group_id": "rsp-1", "server_id": f"i-{i}", "port": 80}) for i in range(3)])
    p = plan_from(cfg, prior)
    assert {op.batch_key for op in p.operations} == {"servers:rsp-1"}


def test_cycle_is_a_plan_error_naming_the_steps():
    cfg = config(inst("alicloud_slb_server_group.a", grp("a"), deps=["alicloud_slb_server_group.b"]),
                 inst("alicloud_slb_server_group.b", grp("b"), deps=["alicloud_slb_server_group.a"]))
    from planner.plan.diff import Differ
    changes = Differ(state()).diff(cfg)
    with pytest.raises(DiagnosticsError) as e:
        order_changes(changes, cfg, state())
    assert e.value.diagnostics[0].pos is not None and e.value.diagnostics[0].pos.filename == "main.tf"
    text = e.value.diagnostics[0].detail
    assert text.startswith("Cycle: ") and "alicloud_slb_server_group.a:create" in text and "references" in text


def test_order_is_deterministic():
    cfg = config(inst(LB, LB_CFG), *[inst(f"alicloud_slb_listener.l{i}", lst(80 + i, "tcp", lb=None), deps=[LB])
                                     for i in range(8)])
    first = order(plan_from(cfg, state()))
    for _ in range(3):
        assert order(plan_from(cfg, state())) == first


def test_redirecting_http_listener_follows_its_https_target_both_ways():
    target = lst(443, "https")
    redirect = lst(80, "http", listener_forward="on", forward_port=443)
    p = plan_from(config(inst(LB, LB_CFG), inst("alicloud_slb_listener.https", target),
                         inst("alicloud_slb_listener.redirect", redirect)),
                  state(rstate(LB, "lb-1", LB_ATTRS)))
    assert runs_before(p, "alicloud_slb_listener.https:create", "alicloud_slb_listener.redirect:create")
    prior = state(rstate(LB, "lb-1", LB_ATTRS), rstate("alicloud_slb_listener.https", "lb-1:https:443", target),
                  rstate("alicloud_slb_listener.redirect", "lb-1:http:80", redirect))
    p = plan_from(config(inst(LB, LB_CFG)), prior)
    # deleting the target first would be refused (ListenerForwardExist)
    assert order(p) == ["alicloud_slb_listener.redirect:delete", "alicloud_slb_listener.https:delete"]


def test_whole_lb_replacement_cascades_old_children_then_rebuilds():
    prior = state(rstate(LB, "lb-1", LB_ATTRS),
                  rstate("alicloud_slb_server_group.g", "rsp-1", grp(), deps=[LB]),
                  rstate("alicloud_slb_listener.http", "lb-1:http:80", lst(group="rsp-1"),
                         deps=[LB, "alicloud_slb_server_group.g"]))
    from planner.plan.diff import Differ
    d = Differ(prior)
    lb = d.resolve(inst(LB, {**LB_CFG, "address_type": "intranet"}))
    g = d.resolve(inst("alicloud_slb_server_group.g", grp(lb=lb["id"]), deps=[LB]))
    cfg = config(inst(LB, {**LB_CFG, "address_type": "intranet"}),
                 inst("alicloud_slb_server_group.g", grp(lb=lb["id"]), deps=[LB]),
                 inst("alicloud_slb_listener.http", lst(lb=lb["id"], group=g["id"]),
                      deps=[LB, "alicloud_slb_server_group.g"]))
    p = plan_from(cfg, prior, differ=d)
    ids = order(p)
    assert ids[0] == "alicloud_slb_load_balancer.web:delete"
    assert all(op.cascaded for op in p.operations if op.kind.value == "delete" and op.address.type != LB.split(".")[0])
    assert ids.index("alicloud_slb_load_balancer.web:create") < ids.index("alicloud_slb_server_group.g:create") \
        < ids.index("alicloud_slb_listener.http:create")
    assert p.counts == (3, 0, 3)
