"""Property test: any sequence of (valid or invalid) calls keeps the cloud consistent, and every
rejected call leaves it exactly as it was."""

from __future__ import annotations

import json

from hypothesis import given
from hypothesis import strategies as st

from planner.emulator import CloudError, Emulator

from .conftest import build_network

OPS = ["lb", "vsg", "msg", "tcp", "udp", "http", "start", "del_listener", "del_vsg", "del_msg", "rule",
       "del_rule", "add_servers", "remove_servers", "set_listener_group", "del_lb", "protect", "acl", "bind_acl",
       "del_acl", "http_rule_host"]


def _pick(seq: list, i: int):
    return seq[i % len(seq)] if seq else "missing-id"


def _invariants(emu: Emulator) -> None:
    st_ = emu.store
    for lst in st_.iter_kind("listener"):
        lb = lst["LoadBalancerId"]
        assert st_.get("lb", lb) is not None
        for kind, key in (("vsg", "VServerGroupId"), ("msg", "MasterSlaveServerGroupId")):
            if lst.get(key):
                g = st_.get(kind, lst[key])
                assert g is not None and g["LoadBalancerId"] == lb
        for acl in lst.get("AclIds", []):
            assert st_.get("acl", acl) is not None
        assert ("BackendServerPort" in lst or lst.get("VServerGroupId") or lst.get("MasterSlaveServerGroupId")
                or lst.get("ListenerForward") == "on")
    for r in st_.iter_kind("rule"):
        assert st_.get("listener", r["_listener"]) is not None
        g = st_.get("vsg", r["VServerGroupId"])
        assert g is not None and g["LoadBalancerId"] == r["LoadBalancerId"]
    for lb in st_.iter_kind("lb"):
        assert st_.count("listener", lb_id=lb["LoadBalancerId"]) <= 50
    for kind in ("vsg", "msg"):
        for g in st_.iter_kind(kind):
            assert st_.get("lb", g["LoadBalancerId"]) is not None


@given(st.lists(st.tuples(st.sampled_from(OPS), st.integers(0, 7), st.integers(0, 7)), min_size=5, max_size=40))
def test_random_call_sequences_stay_consistent(ops):
    emu = Emulator()
    c = build_network(emu)
    # a populated starting point, so most generated calls reach the rules rather than "not found"
    lbs = [c.lb(), c.lb()]
    vsgs = [c.vsg(lb) for lb in lbs for _ in range(2)]
    msgs = [emu.call("Slb", "CreateMasterSlaveServerGroup", {
        "LoadBalancerId": lb, "MasterSlaveBackendServers": json.dumps(
            [{"ServerId": c.instances[0], "Port": 90, "ServerType": "Master"},
             {"ServerId": c.instances[1], "Port": 90, "ServerType": "Slave"}])})["MasterSlaveServerGroupId"]
            for lb in lbs]
    acls = [emu.call("Slb", "CreateAccessControlList", {"AclName": f"seed{n}"})["AclId"] for n in range(2)]
    rules: list[str] = []
    for op, i, j in ops:
        lb = _pick(lbs, i)
        port = 80 + j % 3
        server = {"ServerId": c.instances[j % 4], "Port": 80 + i % 2}
        calls = {
            "lb": ("CreateLoadBalancer", {"VSwitchId": c.vsw, "LoadBalancerSpec": "slb.s1.small"}),
            "vsg": ("CreateVServerGroup", {"LoadBalancerId": lb, "BackendServers": json.dumps([server])}),
            "msg": ("CreateMasterSlaveServerGroup", {"LoadBalancerId": lb, "MasterSlaveBackendServers": json.dumps(
                [dict(server, ServerType="Master"), {"ServerId": c.instances[(j + 1) % 4], "Port": 81,
                                                     "ServerType": "Slave"}])}),
            "tcp": ("CreateLoadBalancerTCPListener", {"LoadBalancerId": lb, "ListenerPort": port, "Bandwidth": -1,
                                                      "VServerGroupId": _pick(vsgs, j) if i % 2 else None,
                                                      "BackendServerPort": None if i % 2 else 80}),
            "udp": ("CreateLoadBalancerUDPListener", {"LoadBalancerId": lb, "ListenerPort": port, "Bandwidth": -1,
                                                      "MasterSlaveServerGroupId": _pick(msgs, j)}),
            "http": ("CreateLoadBalancerHTTPListener", {"LoadBalancerId": lb, "ListenerPort": port, "StickySession": "off",
                                                        "HealthCheck": "on", "VServerGroupId": _pick(vsgs, j)}),
            "start": ("StartLoadBalancerListener", {"LoadBalancerId": lb, "ListenerPort": port}),
            "del_listener": ("DeleteLoadBalancerListener", {"LoadBalancerId": lb, "ListenerPort": port}),
            "del_vsg": ("DeleteVServerGroup", {"VServerGroupId": _pick(vsgs, j)}),
            "del_msg": ("DeleteMasterSlaveServerGroup", {"MasterSlaveServerGroupId": _pick(msgs, j)}),
            "rule": ("CreateRules", {"LoadBalancerId": lb, "ListenerPort": 90 + j % 2, "RuleList": json.dumps(
                [{"RuleName": f"r{i}{j}", "Url": f"/p{i}/{j}", "VServerGroupId": _pick(vsgs, i)}])}),
            "del_rule": ("DeleteRules", {"RuleIds": json.dumps([_pick(rules, j)])}),
            "add_servers": ("AddVServerGroupBackendServers", {"VServerGroupId": _pick(vsgs, i),
                                                              "BackendServers": json.dumps([server])}),
            "remove_servers": ("RemoveVServerGroupBackendServers", {"VServerGroupId": _pick(vsgs, i),
                                                                    "BackendServers": json.dumps([server])}),
            "set_listener_group": ("SetLoadBalancerTCPListenerAttribute", {
                "LoadBalancerId": lb, "ListenerPort": port, "VServerGroup": "on" if j % 2 else "off",
                "VServerGroupId": _pick(vsgs, i) if j % 2 else None}),
            "del_lb": ("DeleteLoadBalancer", {"LoadBalancerId": lb}),
            "protect": ("SetLoadBalancerDeleteProtection", {"LoadBalancerId": lb,
                                                            "DeleteProtection": "on" if j % 2 else "off"}),
            "acl": ("CreateAccessControlList", {"AclName": f"acl{i}{j}"}),
            "http_rule_host": ("CreateLoadBalancerHTTPListener", {"LoadBalancerId": lb, "ListenerPort": 90 + j % 2,
                                                                  "StickySession": "off", "HealthCheck": "off",
                                                                  "BackendServerPort": 80}),
            "bind_acl": ("SetLoadBalancerTCPListenerAttribute", {"LoadBalancerId": lb, "ListenerPort": port,
                                                                 "AclStatus": "on", "AclType": "white",
                                                                 "AclId": _pick(acls, j)}),
            "del_acl": ("DeleteAccessControlList", {"AclId": _pick(acls, j)}),
        }
        action, params = calls[op]
        params = {k: v for k, v in params.items() if v is not None}
        before = emu.dump()
        try:
            r = emu.call("Slb", action, params)
        except CloudError as e:
            assert e.http_status in (400, 404), (action, e.code, e.message)
            assert emu.dump() == before, f"{action} was refused ({e.code}) but changed the cloud"
            continue
        if action == "CreateLoadBalancer":
            lbs.append(r["LoadBalancerId"])
        elif action == "CreateVServerGroup":
            vsgs.append(r["VServerGroupId"])
        elif action == "CreateMasterSlaveServerGroup":
            msgs.append(r["MasterSlaveServerGroupId"])
        elif action == "CreateRules":
            rules += [x["RuleId"] for x in r["Rules"]["Rule"]]
        elif action == "CreateAccessControlList":
            acls.append(r["AclId"])
        _invariants(emu)
    emu.close()
