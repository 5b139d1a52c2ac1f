"""The dispatcher: parameter parsing, errors, transactions, idempotency, persistence, copies."""

from __future__ import annotations

import json

import pytest

from planner.emulator import Emulator, ResponseLost, default_emulator_path
from planner.emulator.codes import ERRORS, err

from .conftest import build_network, expect


def test_response_carries_request_id_and_unknown_action_is_404(cloud):
    r = cloud.slb("DescribeZones")
    assert len(r["RequestId"]) == 36 and r["Zones"]["Zone"][0]["ZoneId"] == "cn-hangzhou-h"
    expect(lambda: cloud.slb("CreateTeapot"), "InvalidAction.NotFound", status=404)
    expect(lambda: cloud.emu.call("Rds", "DescribeZones", {}), "InvalidAction.NotFound")


def test_product_and_parameter_names_are_case_insensitive(cloud):
    lb = cloud.emu.call("slb", "CreateLoadBalancer", {"vswitchid": cloud.vsw, "LOADBALANCERSPEC": "slb.s1.small"})
    # the real API's own quirk: TCP create takes lower-case healthCheckInterval
    cloud.emu.call("SLB", "CreateLoadBalancerTCPListener", {
        "LoadBalancerId": lb["LoadBalancerId"], "ListenerPort": "81", "Bandwidth": "-1",
        "BackendServerPort": 80, "healthCheckInterval": "7"})
    d = cloud.slb("DescribeLoadBalancerTCPListenerAttribute", LoadBalancerId=lb["LoadBalancerId"], ListenerPort=81)
    assert d["HealthCheckInterval"] == 7


def test_missing_required_parameter_uses_gateway_convention(cloud):
    e = expect(lambda: cloud.slb("DescribeLoadBalancerAttribute"), "MissingLoadBalancerId", status=400)
    assert e.message == "LoadBalancerId is mandatory for this action."


def test_booleans_accept_python_and_wire_spellings(cloud):
    lb = cloud.lb()
    g = cloud.vsg(lb)
    cloud.tcp(lb, VServerGroupId=g)
    for flag in (True, "True", "true"):
        r = cloud.slb("DescribeVServerGroups", LoadBalancerId=lb, IncludeListener=flag)
        assert r["VServerGroups"]["VServerGroup"][0]["AssociatedObjects"]["Listeners"]["Listener"] == [
            {"Protocol": "tcp", "Port": 80}]
    r = cloud.slb("DescribeVServerGroups", LoadBalancerId=lb, IncludeListener=False)
    assert "Listeners" not in r["VServerGroups"]["VServerGroup"][0]["AssociatedObjects"]
    expect(lambda: cloud.slb("DescribeVServerGroups", LoadBalancerId=lb, IncludeListener="maybe"),
           "InvalidParameter")


@pytest.mark.parametrize("dialect", ["json", "single_quoted", "go_numbers"])
def test_three_json_dialects_for_backend_servers(cloud, dialect):
    a, b = cloud.instances[:2]
    text = {
        "json": json.dumps([{"ServerId": a, "Port": "80", "Weight": "100", "Type": "ecs"},
                            {"ServerId": b, "Port": "81", "Weight": "10", "Type": "ecs"}]),
        "single_quoted": f"[{{'ServerId':'{a}','Port':'80','Weight':'100', 'Type': 'ecs'}},"
                         f"{{'ServerId':'{b}','Port':'81','Weight':'10', 'Type': 'ecs'}}]",
        "go_numbers": f'[{{"Description":"x","Port":80,"ServerId":"{a}","Type":"ecs","Weight":100}},'
                      f'{{"Port":81,"ServerId":"{b}","Type":"ecs","Weight":10}}]',
    }[dialect]
    lb = cloud.lb()
    gid = cloud.slb("CreateVServerGroup", LoadBalancerId=lb, BackendServers=text)["VServerGroupId"]
    got = cloud.slb("DescribeVServerGroupAttribute", VServerGroupId=gid)["BackendServers"]["BackendServer"]
    assert [(s["ServerId"], s["Port"], s["Weight"]) for s in got] == [(a, 80, 100), (b, 81, 10)]


def test_malformed_json_is_backend_servers_malformed(cloud):
    lb = cloud.lb()
    expect(lambda: cloud.slb("CreateVServerGroup", LoadBalancerId=lb, BackendServers="[{oops"),
           "BackendServersMalformed", "the specified parameter BackendServers is unavailable.", 400)


def test_flattened_lists(cloud):
    lbs = [cloud.lb(), cloud.lb()]
    for lb in lbs:
        cloud.tcp(lb)
    r = cloud.emu.call("Slb", "DescribeLoadBalancerListeners", {"LoadBalancerId.1": lbs[0], "LoadBalancerId.2": lbs[1]})
    assert sorted(x["LoadBalancerId"] for x in r["Listeners"]) == sorted(lbs)
    cloud.emu.call("Slb", "TagResources", {"ResourceType": "instance", "ResourceId.1": lbs[0],
                                           "Tag.1.Key": "env", "Tag.1.Value": "prod"})
    r = cloud.slb("ListTagResources", ResourceType="instance", **{"ResourceId.1": lbs[0]})
    assert r["TagResources"]["TagResource"] == [
        {"ResourceType": "instance", "ResourceId": lbs[0], "TagKey": "env", "TagValue": "prod"}]


def test_unknown_parameters_are_ignored(cloud):
    lb = cloud.lb()
    # the provider sends HTTP-only parameters to TCP listeners; the gateway ignores them
    cloud.tcp(lb, Gzip="on", XForwardedFor="on", StickySession="on", Whatever="x")
    d = cloud.slb("DescribeLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80)
    assert "Gzip" not in d and "StickySession" not in d


def test_rejected_call_leaves_store_unchanged(cloud):
    lb = cloud.lb()
    g = cloud.vsg(lb)
    before = cloud.emu.dump()
    # this call validates and writes part of its work (the first server binding) before failing
    servers = [{"ServerId": cloud.instances[2], "Port": 90}, {"ServerId": "i-doesnotexist", "Port": 90}]
    expect(lambda: cloud.slb("AddVServerGroupBackendServers", VServerGroupId=g,
                             BackendServers=json.dumps(servers)), "ObtainIpFail")
    # a listener create that fails after checks passed
    expect(lambda: cloud.slb("CreateLoadBalancerHTTPSListener", LoadBalancerId=lb, ListenerPort=443,
                             Bandwidth=-1, StickySession="off", HealthCheck="on", BackendServerPort=80,
                             ServerCertificateId="nope"), "CertificateNotExist")
    assert cloud.emu.dump() == before
    # and the cache was not left holding the failed writes
    got = cloud.slb("DescribeVServerGroupAttribute", VServerGroupId=g)["BackendServers"]["BackendServer"]
    assert len(got) == 2


def test_client_token_idempotency(cloud):
    first = cloud.slb("CreateLoadBalancer", VSwitchId=cloud.vsw, LoadBalancerSpec="slb.s1.small", ClientToken="t-1")
    again = cloud.slb("CreateLoadBalancer", VSwitchId=cloud.vsw, LoadBalancerSpec="slb.s1.small", ClientToken="t-1")
    assert again["LoadBalancerId"] == first["LoadBalancerId"]
    assert again["RequestId"] != first["RequestId"]
    assert cloud.slb("DescribeLoadBalancers")["TotalCount"] == 1
    expect(lambda: cloud.slb("CreateLoadBalancer", VSwitchId=cloud.vsw, LoadBalancerSpec="slb.s2.small",
                             ClientToken="t-1"), "IdempotentParameterMismatch", status=400)


def test_a_client_token_saved_by_an_older_version_still_matches(cloud):
    """A cloud's file written before the parameters' digest went through orjson holds json's digest: a
    create re-issued with its token after an upgrade (recovery of a killed apply) gets the object it made."""
    import hashlib

    from planner.emulator.params import Params

    params = {"VSwitchId": cloud.vsw, "LoadBalancerSpec": "slb.s1.small"}
    first = cloud.slb("CreateLoadBalancer", ClientToken="t-old", **params)
    items = [kv for kv in Params(params).items() if kv[0] != "clienttoken"]
    older = hashlib.sha1(json.dumps(items).encode()).hexdigest()  # what the older version stored
    conn = cloud.emu.store.conn
    assert conn.execute("SELECT digest FROM tokens WHERE token='t-old'").fetchone()[0] != older
    conn.execute("UPDATE tokens SET digest=? WHERE token='t-old'", (older,))
    again = cloud.slb("CreateLoadBalancer", ClientToken="t-old", **params)
    assert again["LoadBalancerId"] == first["LoadBalancerId"]
    assert cloud.slb("DescribeLoadBalancers")["TotalCount"] == 1
    expect(lambda: cloud.slb("CreateLoadBalancer", VSwitchId=cloud.vsw, LoadBalancerSpec="slb.s2.small",
                             ClientToken="t-old"), "IdempotentParameterMismatch", status=400)
    assert cloud.slb("DescribeLoadBalancers")["TotalCount"] == 1
    # a different token creates a new one; a failed call does not burn its token
    expect(lambda: cloud.slb("CreateLoadBalancer", VSwitchId=cloud.vsw, ClientToken="t-2"), "ShareSlbHaltSales")
    cloud.slb("CreateLoadBalancer", VSwitchId=cloud.vsw, LoadBalancerSpec="slb.s1.small", ClientToken="t-2")
    assert cloud.slb("DescribeLoadBalancers")["TotalCount"] == 2


def test_persistence_across_reopen(tmp_path):
    path = tmp_path / "cloud.sqlite"
    emu = Emulator(path)
    c = build_network(emu)
    lb = c.lb(LoadBalancerName="keep-me")
    c.tcp(lb)
    emu.close()
    emu2 = Emulator(path)
    d = emu2.call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})
    assert d["LoadBalancerName"] == "keep-me" and d["ListenerPorts"]["ListenerPort"] == [80]
    # allocation state persisted too: the next address is not a reused one
    lb2 = emu2.call("Slb", "CreateLoadBalancer", {"VSwitchId": c.vsw, "LoadBalancerSpec": "slb.s1.small"})
    assert lb2["Address"] != d["Address"]
    emu2.close()


def test_default_path():
    assert str(default_emulator_path("/x/y")) == "/x/y/.clbplan/emulator.sqlite"


def test_copy_is_independent(cloud):
    lb = cloud.lb()
    shadow = cloud.emu.copy()
    shadow.call("Slb", "DeleteLoadBalancer", {"LoadBalancerId": lb})
    assert cloud.slb("DescribeLoadBalancers")["TotalCount"] == 1
    assert shadow.call("Slb", "DescribeLoadBalancers", {})["TotalCount"] == 0
    cloud.slb("SetLoadBalancerName", LoadBalancerId=lb, LoadBalancerName="changed")
    expect(lambda: shadow.call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb}),
           "InvalidLoadBalancerId.NotFound")


def test_dump_round_trip_and_reset(cloud):
    lb = cloud.lb()
    cloud.tcp(lb)
    d = cloud.emu.dump()
    json.dumps(d)  # JSON-able
    other = Emulator.from_dump(d)
    assert other.dump() == d
    assert other.call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})["LoadBalancerId"] == lb
    other.reset()
    assert other.call("Slb", "DescribeLoadBalancers", {})["TotalCount"] == 0
    other.close()


def test_actions_lists_every_product():
    acts = Emulator.actions()
    assert ("Slb", "CreateLoadBalancer") in acts and ("Vpc", "DescribeVSwitchAttributes") in acts
    assert ("Ecs", "RunInstances") in acts
    assert len(acts) >= 90


def test_error_table_has_a_class_per_code():
    e = err("RspoolVipExist")
    assert isinstance(e, ERRORS["RspoolVipExist"])
    assert (e.code, e.http_status, e.message) == ("RspoolVipExist", 400,
                                                  "there are vips associating with this vServer group.")


class _Recorder:
    """A fault injector that records what the dispatcher tells it."""

    def __init__(self, lose: bool = False):
        self.before: list[tuple] = []
        self.after: list[tuple] = []
        self.lose = lose

    def delay(self):
        pass

    def before_call(self, action, lb, is_write):
        self.before.append((action, lb, is_write))

    def after_commit(self, action, lb, is_write):
        self.after.append((action, lb, is_write))
        if self.lose and is_write:
            raise ResponseLost()

    def after_failure(self, action, lb, is_write):
        return None

    def reset(self):
        return None


def test_fault_hooks_get_the_target_load_balancer(cloud):
    lb = cloud.lb()
    g = cloud.vsg(lb)
    rec = _Recorder()
    cloud.emu.injector = rec
    cloud.slb("DescribeVServerGroupAttribute", VServerGroupId=g)
    cloud.slb("SetVServerGroupAttribute", VServerGroupId=g, VServerGroupName="x")
    assert rec.before == [("DescribeVServerGroupAttribute", lb, False), ("SetVServerGroupAttribute", lb, True)]
    assert rec.after == rec.before


def test_lost_response_still_commits(cloud):
    lb = cloud.lb()
    cloud.emu.injector = _Recorder(lose=True)
    with pytest.raises(ResponseLost):
        cloud.slb("SetLoadBalancerName", LoadBalancerId=lb, LoadBalancerName="committed")
    assert cloud.slb("DescribeLoadBalancerAttribute", LoadBalancerId=lb)["LoadBalancerName"] == "committed"


def test_busy_window_from_real_fault_config():
    from planner.emulator.faults import FaultConfig

    now = [1000.0]
    emu = Emulator(faults=FaultConfig(busy_window=5.0), clock=lambda: now[0])
    c = build_network(emu)
    lb = c.lb()
    e = expect(lambda: c.slb("SetLoadBalancerName", LoadBalancerId=lb, LoadBalancerName="x"),
               "ServiceIsConfiguring")
    assert e.http_status == 400
    now[0] += 6
    c.slb("SetLoadBalancerName", LoadBalancerId=lb, LoadBalancerName="x")


def test_listener_start_delay():
    from planner.emulator.faults import FaultConfig

    now = [1000.0]
    emu = Emulator(faults=FaultConfig(listener_start_delay=3.0), clock=lambda: now[0])
    c = build_network(emu)
    lb = c.lb()
    c.http(lb)
    c.slb("StartLoadBalancerListener", LoadBalancerId=lb, ListenerPort=80)
    d = c.slb("DescribeLoadBalancerHTTPListenerAttribute", LoadBalancerId=lb, ListenerPort=80)
    assert d["Status"] == "starting"
    expect(lambda: c.slb("SetLoadBalancerHTTPListenerAttribute", LoadBalancerId=lb, ListenerPort=80, Gzip="off"),
           "OperationFailed.ListenerStatusNotSupport")
    expect(lambda: c.slb("StartLoadBalancerListener", LoadBalancerId=lb, ListenerPort=80), "Operation.Deny")
    g = c.vsg(lb)
    expect(lambda: c.slb("CreateRules", LoadBalancerId=lb, ListenerPort=80,
                         RuleList=json.dumps([{"RuleName": "r", "Url": "/a", "VServerGroupId": g}])),
           "OperationFailed.ListenerStatusNotSupport")
    now[0] += 3
    d = c.slb("DescribeLoadBalancerHTTPListenerAttribute", LoadBalancerId=lb, ListenerPort=80)
    assert d["Status"] == "running"


def test_internal_errors_surface_as_internal_error(cloud, monkeypatch):
    from planner.emulator.registry import ACTIONS

    spec = ACTIONS[("Slb", "DescribeZones")]

    def boom(ctx, p):
        raise KeyError("bug")

    monkeypatch.setitem(ACTIONS, ("Slb", "DescribeZones"), type(spec)(spec.product, spec.name, boom, False))
    from planner.emulator import registry
    monkeypatch.setitem(registry._BY_LOWER, ("slb", "describezones"), ACTIONS[("Slb", "DescribeZones")])
    expect(lambda: cloud.slb("DescribeZones"), "InternalError", status=500)


def test_coverage_doc_is_current():
    from pathlib import Path

    from planner.emulator.coverage import render

    doc = Path(__file__).resolve().parents[2] / "docs" / "emulator-coverage.md"
    assert doc.read_text(encoding="utf-8") == render(), "run: python -m planner.emulator.coverage"
    text = render()
    for code in ("RspoolVipExist", "RspoolRuleExist", "ListenerForwardExist", "OperationFailed.AclBindedWithVip",
                 "CertificateAndPrivateKeyIsRefered", "OperationDenied.DeleteProtectionIsOn", "TooManyRules",
                 "BACKEND_SERVERS_NUM_MUST_BE_TWO", "ObtainIpFail", "TooManyBackendServers"):
        assert f"`{code}`" in text


def test_two_emulators_on_one_file_see_each_others_writes(tmp_path):
    path = tmp_path / "shared.sqlite"
    first = Emulator(path)
    c = build_network(first)
    lb = c.lb(LoadBalancerName="one")
    first.call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})  # cached in `first`
    second = Emulator(path)
    second.call("Slb", "SetLoadBalancerName", {"LoadBalancerId": lb, "LoadBalancerName": "two"})
    assert first.call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})["LoadBalancerName"] == "two"
    first.close()
    second.close()


def test_concurrent_calls_from_threads():
    import threading

    emu = Emulator()
    c = build_network(emu)
    errors: list[Exception] = []

    def worker():
        try:
            for _ in range(20):
                lb = c.lb()
                c.tcp(lb)
                emu.call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})
        except Exception as e:  # pragma: no cover - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert not errors
    lbs = emu.call("Slb", "DescribeLoadBalancers", {"PageSize": 100, "PageNumber": 2})
    assert lbs["TotalCount"] == 120
    addresses = [x["Address"] for p in (1, 2) for x in emu.call(
        "Slb", "DescribeLoadBalancers", {"PageSize": 100, "PageNumber": p})["LoadBalancers"]["LoadBalancer"]]
    assert len(set(addresses)) == 120


def test_copy_of_a_file_backed_cloud_is_in_memory_and_fault_free(tmp_path):
    from planner.emulator.faults import FaultConfig

    emu = Emulator(tmp_path / "c.sqlite", faults=FaultConfig(busy_window=60))
    c = build_network(emu)
    lb = c.lb()
    shadow = emu.copy()
    assert shadow.path is None
    # the original is busy after the create; the shadow has no faults
    shadow.call("Slb", "SetLoadBalancerName", {"LoadBalancerId": lb, "LoadBalancerName": "shadow"})
    assert emu.call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})["LoadBalancerName"] != "shadow"
    emu.close()
    shadow.close()


def test_dry_run_validates_without_changing_anything(cloud):
    lb = cloud.lb()
    before = cloud.emu.dump()
    expect(lambda: cloud.slb("CreateLoadBalancerTCPListener", LoadBalancerId=lb, ListenerPort=80, Bandwidth=-1,
                             BackendServerPort=80, DryRun=True), "DryRunOperation",
           "Request validation has been passed with DryRun flag set.", 400)
    expect(lambda: cloud.slb("CreateLoadBalancerTCPListener", LoadBalancerId=lb, ListenerPort=80, Bandwidth=-1,
                             DryRun="true"), "MissingParameter")  # a failing dry run reports the real error
    assert cloud.emu.dump() == before
    cloud.slb("CreateLoadBalancerTCPListener", LoadBalancerId=lb, ListenerPort=80, Bandwidth=-1,
              BackendServerPort=80, DryRun=False)


def test_injected_latency_is_slept_outside_the_emulator_lock(monkeypatch):
    """With latency outside the lock, parallel applies under latency overlap as against a real gateway
    (inside it, -parallelism 10 and 50 took the same 50 s for 100 load balancers)."""
    from planner.emulator import faults
    from planner.emulator.faults import FaultConfig

    emu = Emulator(faults=FaultConfig(latency=0.001))
    held: list[bool] = []
    monkeypatch.setattr(faults.time, "sleep", lambda s: held.append(emu._lock._is_owned()))
    emu.call("Slb", "DescribeRegions", {})
    assert held == [False]
