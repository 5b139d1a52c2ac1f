"""The CLB rules, asserted identically in-process and through the official SDK over signed HTTP.

Every test runs twice (the ``cloud`` fixture): what a caller sees of an error -- code, message and
HTTP status -- must be the same on both paths, and must be the real API's (reference clb-api.md 10.1).
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import ApiFailed, Failure

SPEC = "slb.s1.small"


def fails(cloud: Any, action: str, params: dict[str, Any], product: str = "Slb") -> Failure:
    with pytest.raises(ApiFailed) as info:
        cloud.call(action, params, product)
    return info.value.failure


def servers(*items: dict[str, Any]) -> str:
    return json.dumps(list(items))


class World:
    """A VPC with a vSwitch, running ECS instances and one performance-guaranteed LB in it."""

    def __init__(self, cloud: Any, instances: int = 3):
        self.cloud = cloud
        self.vpc = cloud.call("CreateVpc", {"CidrBlock": "172.16.0.0/12", "VpcName": "main"}, "Vpc")["VpcId"]
        self.vsw = cloud.call("CreateVSwitch", {"VpcId": self.vpc, "ZoneId": "cn-hangzhou-h",
                                                "CidrBlock": "172.16.1.0/24"}, "Vpc")["VSwitchId"]
        self.sg = cloud.call("CreateSecurityGroup", {"VpcId": self.vpc}, "Ecs")["SecurityGroupId"]
        self.ecs = self.run_instances(instances)
        self.lb = self.new_lb("web")

    def run_instances(self, n: int, vsw: str | None = None, sg: str | None = None) -> list[str]:
        r = self.cloud.call("RunInstances", {"InstanceType": "ecs.g6.large",
                                             "ImageId": "aliyun_3_x64_20G_alibase_20240528.vhd",
                                             "VSwitchId": vsw or self.vsw, "SecurityGroupId": sg or self.sg,
                                             "Amount": n}, "Ecs")
        return list(r["InstanceIdSets"]["InstanceIdSet"])

    def new_lb(self, name: str) -> str:
        return self.cloud.call("CreateLoadBalancer", {"LoadBalancerName": name, "LoadBalancerSpec": SPEC,
                                                      "VSwitchId": self.vsw,
                                                      "AddressType": "intranet"})["LoadBalancerId"]

    def vsg(self, *ids: str, port: int = 80, lb: str | None = None) -> str:
        body = {"LoadBalancerId": lb or self.lb, "VServerGroupName": "g"}
        if ids:
            body["BackendServers"] = servers(*({"ServerId": i, "Port": port, "Weight": 100} for i in ids))
        return self.cloud.call("CreateVServerGroup", body)["VServerGroupId"]

    def listener(self, proto: str, port: int, **extra: Any) -> None:
        params: dict[str, Any] = {"LoadBalancerId": self.lb, "ListenerPort": port, "Bandwidth": -1}
        if proto in ("http", "https") and "StickySession" not in extra:
            params["StickySession"] = "off"
        if proto in ("http", "https") and "HealthCheck" not in extra:
            params["HealthCheck"] = "off"
        params.update(extra)
        self.cloud.call(f"CreateLoadBalancer{proto.upper()}Listener", params)


@pytest.fixture
def world(cloud: Any) -> World:
    return World(cloud)


# --- success paths ---------------------------------------------------------------------------

def test_load_balancer_lifecycle(cloud, world):
    lb = world.lb
    listed = cloud.call("DescribeLoadBalancers", {"LoadBalancerId": lb})
    assert [x["LoadBalancerId"] for x in listed["LoadBalancers"]["LoadBalancer"]] == [lb]
    cloud.call("SetLoadBalancerName", {"LoadBalancerId": lb, "LoadBalancerName": "renamed"})
    attr = cloud.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})
    assert attr["LoadBalancerName"] == "renamed"
    assert attr["VSwitchId"] == world.vsw and attr["VpcId"] == world.vpc
    cloud.call("SetLoadBalancerStatus", {"LoadBalancerId": lb, "LoadBalancerStatus": "inactive"})
    assert cloud.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})["LoadBalancerStatus"] == "inactive"
    cloud.call("SetLoadBalancerModificationProtection", {"LoadBalancerId": lb,
                                                         "ModificationProtectionStatus": "ConsoleProtection",
                                                         "ModificationProtectionReason": "managed"})
    cloud.call("ModifyLoadBalancerInstanceSpec", {"LoadBalancerId": lb, "LoadBalancerSpec": "slb.s2.small"})
    assert cloud.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})["LoadBalancerSpec"] == "slb.s2.small"
    zones = cloud.call("DescribeZones", {})
    assert zones["Zones"]["Zone"]
    assert cloud.call("DescribeRegions", {})["Regions"]["Region"]
    cloud.call("DeleteLoadBalancer", {"LoadBalancerId": lb})
    assert fails(cloud, "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb}) == Failure(
        "InvalidLoadBalancerId.NotFound", "The specified LoadBalancerId does not exist.", 400)


def test_listener_lifecycle_across_protocols(cloud, world):
    group = world.vsg(*world.ecs[:2])
    world.listener("tcp", 443, VServerGroupId=group)
    world.listener("udp", 53, BackendServerPort=53)
    world.listener("http", 80, BackendServerPort=8080)
    tcp = cloud.call("DescribeLoadBalancerTCPListenerAttribute", {"LoadBalancerId": world.lb, "ListenerPort": 443})
    assert tcp["Status"] == "stopped" and tcp["VServerGroupId"] == group
    cloud.call("StartLoadBalancerListener", {"LoadBalancerId": world.lb, "ListenerPort": 443})
    tcp = cloud.call("DescribeLoadBalancerTCPListenerAttribute", {"LoadBalancerId": world.lb, "ListenerPort": 443})
    assert tcp["Status"] == "running"
    cloud.call("SetLoadBalancerTCPListenerAttribute", {"LoadBalancerId": world.lb, "ListenerPort": 443,
                                                       "PersistenceTimeout": 60})
    assert cloud.call("DescribeLoadBalancerTCPListenerAttribute",
                      {"LoadBalancerId": world.lb, "ListenerPort": 443})["PersistenceTimeout"] in (60, "60")
    cloud.call("SetLoadBalancerUDPListenerAttribute", {"LoadBalancerId": world.lb, "ListenerPort": 53,
                                                       "Scheduler": "rr"})
    assert cloud.call("DescribeLoadBalancerUDPListenerAttribute",
                      {"LoadBalancerId": world.lb, "ListenerPort": 53})["Scheduler"] == "rr"
    cloud.call("SetLoadBalancerHTTPListenerAttribute", {"LoadBalancerId": world.lb, "ListenerPort": 80,
                                                        "StickySession": "off", "HealthCheck": "off",
                                                        "Gzip": "off"})
    http = cloud.call("DescribeLoadBalancerHTTPListenerAttribute", {"LoadBalancerId": world.lb, "ListenerPort": 80})
    assert http["Gzip"] == "off" and http["BackendServerPort"] in (8080, "8080")
    listed = cloud.call("DescribeLoadBalancerListeners", {"LoadBalancerId.1": world.lb})
    assert sorted(int(x["ListenerPort"]) for x in listed["Listeners"]) == [53, 80, 443]
    cloud.call("StopLoadBalancerListener", {"LoadBalancerId": world.lb, "ListenerPort": 443})
    cloud.call("DeleteLoadBalancerListener", {"LoadBalancerId": world.lb, "ListenerPort": 443})
    assert fails(cloud, "DeleteLoadBalancerListener", {"LoadBalancerId": world.lb, "ListenerPort": 443}) == Failure(
        "ResourceNotFound.Listener", "The specified listener is not found.", 404)
    cloud.call("DeleteVServerGroup", {"VServerGroupId": group})  # free once its listener is gone


def test_default_server_group(cloud, world):
    a, b, c = world.ecs
    added = cloud.call("AddBackendServers", {"LoadBalancerId": world.lb, "BackendServers": servers(
        {"ServerId": a, "Weight": 100}, {"ServerId": b, "Weight": 50})})
    assert sorted(s["ServerId"] for s in added["BackendServers"]["BackendServer"]) == sorted([a, b])
    cloud.call("SetBackendServers", {"LoadBalancerId": world.lb, "BackendServers": servers({"ServerId": b, "Weight": 0})})
    attr = cloud.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": world.lb})
    weights = {s["ServerId"]: int(s["Weight"]) for s in attr["BackendServers"]["BackendServer"]}
    assert weights == {a: 100, b: 0}
    cloud.call("RemoveBackendServers", {"LoadBalancerId": world.lb, "BackendServers": servers({"ServerId": a})})
    attr = cloud.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": world.lb})
    assert [s["ServerId"] for s in attr["BackendServers"]["BackendServer"]] == [b]
    world.listener("tcp", 22, BackendServerPort=22)
    health = cloud.call("DescribeHealthStatus", {"LoadBalancerId": world.lb})
    assert "BackendServers" in health
    assert c  # third instance unused here


def test_vserver_group_lifecycle(cloud, world):
    a, b, c = world.ecs
    group = world.vsg(a)
    cloud.call("AddVServerGroupBackendServers", {"VServerGroupId": group, "BackendServers": servers(
        {"ServerId": b, "Port": 80, "Weight": 10})})
    cloud.call("ModifyVServerGroupBackendServers", {
        "VServerGroupId": group,
        "OldBackendServers": servers({"ServerId": b, "Port": 80}),
        "NewBackendServers": servers({"ServerId": c, "Port": 81, "Weight": 20})})
    cloud.call("RemoveVServerGroupBackendServers", {"VServerGroupId": group,
                                                    "BackendServers": servers({"ServerId": a, "Port": 80})})
    cloud.call("SetVServerGroupAttribute", {"VServerGroupId": group, "VServerGroupName": "renamed"})
    attr = cloud.call("DescribeVServerGroupAttribute", {"VServerGroupId": group})
    assert attr["VServerGroupName"] == "renamed"
    assert [(s["ServerId"], int(s["Port"]), int(s["Weight"])) for s in attr["BackendServers"]["BackendServer"]] == [
        (c, 81, 20)]
    listed = cloud.call("DescribeVServerGroups", {"LoadBalancerId": world.lb})
    assert [g["VServerGroupId"] for g in listed["VServerGroups"]["VServerGroup"]] == [group]
    cloud.call("DeleteVServerGroup", {"VServerGroupId": group})
    assert cloud.call("DescribeVServerGroups", {"LoadBalancerId": world.lb})["VServerGroups"]["VServerGroup"] == []


def test_master_slave_group_lifecycle(cloud, world):
    a, b, _ = world.ecs
    created = cloud.call("CreateMasterSlaveServerGroup", {
        "LoadBalancerId": world.lb, "MasterSlaveServerGroupName": "ms",
        "MasterSlaveBackendServers": servers({"ServerId": a, "Port": 80, "ServerType": "Master"},
                                             {"ServerId": b, "Port": 80, "ServerType": "Slave"})})
    gid = created["MasterSlaveServerGroupId"]
    attr = cloud.call("DescribeMasterSlaveServerGroupAttribute", {"MasterSlaveServerGroupId": gid})
    kinds = {s["ServerId"]: s["ServerType"] for s in attr["MasterSlaveBackendServers"]["MasterSlaveBackendServer"]}
    assert kinds == {a: "Master", b: "Slave"}
    listed = cloud.call("DescribeMasterSlaveServerGroups", {"LoadBalancerId": world.lb})
    assert [g["MasterSlaveServerGroupId"]
            for g in listed["MasterSlaveServerGroups"]["MasterSlaveServerGroup"]] == [gid]
    world.listener("tcp", 3306, MasterSlaveServerGroupId=gid)
    assert fails(cloud, "DeleteMasterSlaveServerGroup", {"MasterSlaveServerGroupId": gid}) == Failure(
        "RspoolVipExist", "there are vips associating with this vServer group.", 400)
    cloud.call("DeleteLoadBalancerListener", {"LoadBalancerId": world.lb, "ListenerPort": 3306})
    cloud.call("DeleteMasterSlaveServerGroup", {"MasterSlaveServerGroupId": gid})


def test_forwarding_rules_lifecycle(cloud, world):
    group = world.vsg(*world.ecs[:2])
    world.listener("http", 80, BackendServerPort=80)
    created = cloud.call("CreateRules", {"LoadBalancerId": world.lb, "ListenerPort": 80, "RuleList": json.dumps([
        {"RuleName": "api", "Domain": "example.com", "Url": "/api", "VServerGroupId": group},
        {"RuleName": "img", "Domain": "img.example.com", "VServerGroupId": group}])})
    rules = created["Rules"]["Rule"]
    assert sorted(r["RuleName"] for r in rules) == ["api", "img"]
    rid = next(r["RuleId"] for r in rules if r["RuleName"] == "api")
    cloud.call("SetRule", {"RuleId": rid, "RuleName": "api-v2"})
    assert cloud.call("DescribeRuleAttribute", {"RuleId": rid})["RuleName"] == "api-v2"
    listed = cloud.call("DescribeRules", {"LoadBalancerId": world.lb, "ListenerPort": 80})
    assert sorted(r["RuleName"] for r in listed["Rules"]["Rule"]) == ["api-v2", "img"]
    cloud.call("DeleteRules", {"RuleIds": json.dumps([rid])})
    assert fails(cloud, "DescribeRuleAttribute", {"RuleId": rid}) == Failure(
        "InvalidRuleId.NotFound", "Rule does not exist.", 404)


def test_vpc_and_ecs_objects(cloud, world):
    assert [v["VpcId"] for v in cloud.call("DescribeVpcs", {}, "Vpc")["Vpcs"]["Vpc"]] == [world.vpc]
    vsw = cloud.call("DescribeVSwitchAttributes", {"VSwitchId": world.vsw}, "Vpc")
    assert vsw["VpcId"] == world.vpc
    assert len(cloud.call("DescribeVSwitches", {"VpcId": world.vpc}, "Vpc")["VSwitches"]["VSwitch"]) == 1
    instances = cloud.call("DescribeInstances", {"VpcId": world.vpc}, "Ecs")["Instances"]["Instance"]
    assert sorted(i["InstanceId"] for i in instances) == sorted(world.ecs)
    cloud.call("StopInstance", {"InstanceId": world.ecs[0]}, "Ecs")
    cloud.call("StartInstance", {"InstanceId": world.ecs[0]}, "Ecs")
    eni = cloud.call("CreateNetworkInterface", {"VSwitchId": world.vsw, "SecurityGroupId": world.sg}, "Ecs")
    cloud.call("AttachNetworkInterface", {"NetworkInterfaceId": eni["NetworkInterfaceId"],
                                          "InstanceId": world.ecs[0]}, "Ecs")
    enis = cloud.call("DescribeNetworkInterfaces", {"VpcId": world.vpc}, "Ecs")
    assert enis["NetworkInterfaceSets"]["NetworkInterfaceSet"][0]["InstanceId"] == world.ecs[0]


# --- rules -------------------------------------------------------------------------------------

def test_group_bound_to_a_listener_cannot_be_deleted(cloud, world):
    group = world.vsg(world.ecs[0])
    world.listener("tcp", 80, VServerGroupId=group)
    assert fails(cloud, "DeleteVServerGroup", {"VServerGroupId": group}) == Failure(
        "RspoolVipExist", "there are vips associating with this vServer group.", 400)
    # nothing changed: the group is still there
    assert cloud.call("DescribeVServerGroupAttribute", {"VServerGroupId": group})["VServerGroupId"] == group


def test_group_used_by_a_rule_cannot_be_deleted(cloud, world):
    group = world.vsg(world.ecs[0])
    world.listener("http", 80, BackendServerPort=80)
    cloud.call("CreateRules", {"LoadBalancerId": world.lb, "ListenerPort": 80, "RuleList": json.dumps(
        [{"RuleName": "r", "Domain": "a.example.com", "VServerGroupId": group}])})
    assert fails(cloud, "DeleteVServerGroup", {"VServerGroupId": group}) == Failure(
        "RspoolRuleExist", "there are rules associating with this vServer group.", 400)


@pytest.mark.parametrize("weight", [101, -1, "heavy"])
def test_weight_outside_0_to_100_is_malformed(cloud, world, weight):
    assert fails(cloud, "AddBackendServers", {"LoadBalancerId": world.lb, "BackendServers": servers(
        {"ServerId": world.ecs[0], "Weight": weight})}) == Failure(
        "InvalidWeight.Malformed", "A specified weight is not valid.", 400)


def test_more_than_20_servers_in_one_call(cloud, world):
    many = [{"ServerId": world.ecs[i % 3], "Port": 1000 + i, "Weight": 1} for i in range(21)]
    assert fails(cloud, "CreateVServerGroup", {"LoadBalancerId": world.lb, "VServerGroupName": "big",
                                               "BackendServers": json.dumps(many)}) == Failure(
        "TooManyBackendServers", "The total number of input real servers exceeds max supported number: 20", 400)


def test_server_that_is_stopped_or_missing_cannot_be_added(cloud, world):
    expected = Failure("ObtainIpFail", "The specified BackendServers is invalid; some of the specified backend "
                                       "servers do not exist or are not running.", 400)
    assert fails(cloud, "AddBackendServers", {"LoadBalancerId": world.lb, "BackendServers": servers(
        {"ServerId": "i-doesnotexist00000"})}) == expected
    cloud.call("StopInstance", {"InstanceId": world.ecs[0]}, "Ecs")
    assert fails(cloud, "AddBackendServers", {"LoadBalancerId": world.lb, "BackendServers": servers(
        {"ServerId": world.ecs[0]})}) == expected


def test_servers_of_another_vpc_are_inconsistent(cloud, world):
    vpc2 = cloud.call("CreateVpc", {"CidrBlock": "10.0.0.0/8"}, "Vpc")["VpcId"]
    vsw2 = cloud.call("CreateVSwitch", {"VpcId": vpc2, "ZoneId": "cn-hangzhou-h", "CidrBlock": "10.1.0.0/24"},
                      "Vpc")["VSwitchId"]
    sg2 = cloud.call("CreateSecurityGroup", {"VpcId": vpc2}, "Ecs")["SecurityGroupId"]
    other = world.run_instances(1, vsw2, sg2)[0]
    assert fails(cloud, "AddBackendServers", {"LoadBalancerId": world.lb, "BackendServers": servers(
        {"ServerId": other})}) == Failure(
        "InvalidBackendServers.Inconsistent",
        "All BackendServers on one Specified LoadBalancer have to be in the same vpc or all classic", 400)


def test_malformed_backend_servers_json(cloud, world):
    assert fails(cloud, "AddBackendServers", {"LoadBalancerId": world.lb, "BackendServers": "[{not json"}) == Failure(
        "BackendServersMalformed", "the specified parameter BackendServers is unavailable.", 400)


def test_bad_backend_port(cloud, world):
    assert fails(cloud, "CreateVServerGroup", {"LoadBalancerId": world.lb, "VServerGroupName": "g",
                                               "BackendServers": servers({"ServerId": world.ecs[0], "Port": 70000})}) \
        == Failure("InvalidParameter",
                   "The specified BackendServers is invalid, as the Port value should be in [1, 65535].", 400)


def test_at_most_50_listeners_per_instance(cloud, world):
    for port in range(1, 51):
        world.listener("tcp", port, BackendServerPort=port)
    assert fails(cloud, "CreateLoadBalancerTCPListener", {"LoadBalancerId": world.lb, "ListenerPort": 51,
                                                          "BackendServerPort": 51, "Bandwidth": -1}) == Failure(
        "ListenerNumberOverLimit", "The maximum number of listeners is exceeded.", 400)
    # a UDP listener counts too
    assert fails(cloud, "CreateLoadBalancerUDPListener", {"LoadBalancerId": world.lb, "ListenerPort": 51,
                                                          "BackendServerPort": 51, "Bandwidth": -1}).code == \
        "ListenerNumberOverLimit"


def test_listener_port_taken(cloud, world):
    world.listener("tcp", 80, BackendServerPort=80)
    f = fails(cloud, "CreateLoadBalancerHTTPListener", {"LoadBalancerId": world.lb, "ListenerPort": 80,
                                                        "BackendServerPort": 80, "Bandwidth": -1,
                                                        "StickySession": "off", "HealthCheck": "off"})
    assert (f.code, f.status) == ("ListenerAlreadyExists", 400)
    # TCP and UDP may share a port
    world.listener("udp", 80, BackendServerPort=80)


def test_listener_needs_a_backend_port_or_a_group(cloud, world):
    assert fails(cloud, "CreateLoadBalancerTCPListener", {"LoadBalancerId": world.lb, "ListenerPort": 80,
                                                          "Bandwidth": -1}) == Failure(
        "MissingParameter", "The BackendServerPort or VServerGroupId is required at lease one.", 400)


def test_master_slave_group_shape_rules(cloud, world):
    a, b, c = world.ecs
    base = {"LoadBalancerId": world.lb, "MasterSlaveServerGroupName": "ms"}
    three = servers({"ServerId": a, "Port": 80, "ServerType": "Master"},
                    {"ServerId": b, "Port": 80, "ServerType": "Slave"},
                    {"ServerId": c, "Port": 80, "ServerType": "Slave"})
    assert fails(cloud, "CreateMasterSlaveServerGroup", {**base, "MasterSlaveBackendServers": three}) == Failure(
        "BACKEND_SERVERS_NUM_MUST_BE_TWO", "Backend servers num must be 2.", 400)
    two_masters = servers({"ServerId": a, "Port": 80, "ServerType": "Master"},
                          {"ServerId": b, "Port": 80, "ServerType": "Master"})
    assert fails(cloud, "CreateMasterSlaveServerGroup", {**base, "MasterSlaveBackendServers": two_masters}) == \
        Failure("BACKEND_SERVERS_CAN_ONLY_CONTAIN_ONE_MASTER_AND_ONE_SLAVE",
                "Backend servers can only contain one master and one slave.", 400)


def test_master_slave_group_only_on_tcp_udp_and_not_with_a_vserver_group(cloud, world):
    a, b, _ = world.ecs
    gid = cloud.call("CreateMasterSlaveServerGroup", {
        "LoadBalancerId": world.lb, "MasterSlaveServerGroupName": "ms",
        "MasterSlaveBackendServers": servers({"ServerId": a, "Port": 80, "ServerType": "Master"},
                                             {"ServerId": b, "Port": 80, "ServerType": "Slave"})})[
        "MasterSlaveServerGroupId"]
    f = fails(cloud, "CreateLoadBalancerHTTPListener", {"LoadBalancerId": world.lb, "ListenerPort": 80,
                                                        "MasterSlaveServerGroupId": gid, "Bandwidth": -1,
                                                        "StickySession": "off", "HealthCheck": "off"})
    assert (f.code, f.status) == ("InvalidParameter.VServerGroupId", 400)
    assert f.message == "The MasterSlaveServerGroup can not be attached to HTTP or HTTPS listener."
    group = world.vsg(a)
    assert fails(cloud, "CreateLoadBalancerTCPListener", {"LoadBalancerId": world.lb, "ListenerPort": 81,
                                                          "VServerGroupId": group, "MasterSlaveServerGroupId": gid,
                                                          "Bandwidth": -1}) == Failure(
        "Abs.VServerGroupIdAndMasterSlaveServerGroupId.MissMatch",
        "The parameters VServerGroupId or MasterSlaveServerGroupId miss match.", 400)


def test_group_of_another_load_balancer_is_not_found(cloud, world):
    other_lb = world.new_lb("other")
    foreign = world.vsg(world.ecs[0], lb=other_lb)
    assert fails(cloud, "CreateLoadBalancerTCPListener", {"LoadBalancerId": world.lb, "ListenerPort": 80,
                                                          "VServerGroupId": foreign, "Bandwidth": -1}) == Failure(
        "InvalidParameter", "The specified VServerGroupId does not exist.", 404)


def test_delete_protection(cloud, world):
    cloud.call("SetLoadBalancerDeleteProtection", {"LoadBalancerId": world.lb, "DeleteProtection": "on"})
    assert fails(cloud, "DeleteLoadBalancer", {"LoadBalancerId": world.lb}) == Failure(
        "OperationDenied.DeleteProtectionIsOn",
        "The loadbalancer can not be deleted due to DeleteProtection is enabled.", 400)
    cloud.call("SetLoadBalancerDeleteProtection", {"LoadBalancerId": world.lb, "DeleteProtection": "off"})
    cloud.call("DeleteLoadBalancer", {"LoadBalancerId": world.lb})


def test_shared_instances_are_no_longer_sold(cloud, world):
    assert fails(cloud, "CreateLoadBalancer", {"LoadBalancerName": "shared", "VSwitchId": world.vsw}) == Failure(
        "ShareSlbHaltSales", "The share instance has been discontinued.", 400)


def test_eni_backend_needs_a_performance_guaranteed_instance(make_cloud, emulator):
    """A legacy shared instance (created before sales stopped) refuses ENI backends; a guaranteed one takes them."""
    from planner.emulator import Emulator

    world = World(make_cloud(emulator))
    eni = world.cloud.call("CreateNetworkInterface", {"VSwitchId": world.vsw, "SecurityGroupId": world.sg}, "Ecs")
    world.cloud.call("AttachNetworkInterface", {"NetworkInterfaceId": eni["NetworkInterfaceId"],
                                                "InstanceId": world.ecs[0]}, "Ecs")
    eni_server = servers({"ServerId": eni["NetworkInterfaceId"], "Type": "eni", "Port": 80,
                          "ServerIp": eni["PrimaryIpAddress"]})
    world.cloud.call("CreateVServerGroup", {"LoadBalancerId": world.lb, "VServerGroupName": "eni",
                                            "BackendServers": eni_server})
    # Make the instance a legacy shared one: dump, clear its spec, load into a fresh emulator.
    dump = emulator.dump()
    for row in dump["tables"]["objects"]:
        if row[1] == "lb" and row[2] == world.lb:
            doc = json.loads(row[5]) if isinstance(row[5], str) else row[5]
            doc["LoadBalancerSpec"] = ""
            row[5] = json.dumps(doc) if isinstance(row[5], str) else doc
    legacy = Emulator.from_dump(dump)
    try:
        cloud = make_cloud(legacy)
        f = fails(cloud, "CreateVServerGroup", {"LoadBalancerId": world.lb, "VServerGroupName": "eni2",
                                                "BackendServers": eni_server})
        assert (f.code, f.status) == ("InvalidParameterValue.SpecNotSupport", 400)
    finally:
        legacy.close()


def test_rules_only_on_http_listeners(cloud, world):
    group = world.vsg(world.ecs[0])
    world.listener("tcp", 443, BackendServerPort=443)
    rule = json.dumps([{"RuleName": "r", "Domain": "a.example.com", "VServerGroupId": group}])
    assert fails(cloud, "CreateRules", {"LoadBalancerId": world.lb, "ListenerPort": 443, "RuleList": rule}) == \
        Failure("RuleNotSupport", "Rule is not support in the tcp type listener.", 400)
    assert fails(cloud, "CreateRules", {"LoadBalancerId": world.lb, "ListenerPort": 8080, "RuleList": rule}) == \
        Failure("ListenerNotFound", "You have not created a listener for the specified port of the load balancer.",
                404)


def test_rule_domain_url_unique_and_at_most_40(cloud, world):
    group = world.vsg(world.ecs[0])
    world.listener("http", 80, BackendServerPort=80)

    def batch(start: int, n: int) -> str:
        return json.dumps([{"RuleName": f"r{i}", "Domain": f"d{i}.example.com", "VServerGroupId": group}
                           for i in range(start, start + n)])

    cloud.call("CreateRules", {"LoadBalancerId": world.lb, "ListenerPort": 80, "RuleList": batch(0, 1)})
    dup = json.dumps([{"RuleName": "again", "Domain": "d0.example.com", "VServerGroupId": group}])
    assert fails(cloud, "CreateRules", {"LoadBalancerId": world.lb, "ListenerPort": 80, "RuleList": dup}) == Failure(
        "DomainExist", "rule with same domain and url already exists in specified vip", 400)
    for start in range(1, 40, 10):
        cloud.call("CreateRules", {"LoadBalancerId": world.lb, "ListenerPort": 80,
                                   "RuleList": batch(start, min(10, 40 - start))})
    assert fails(cloud, "CreateRules", {"LoadBalancerId": world.lb, "ListenerPort": 80,
                                        "RuleList": batch(100, 1)}) == Failure(
        "TooManyRules", "the number of rules under specified vip is beyond maximum limit.", 400)


def test_malformed_rule_list(cloud, world):
    world.listener("http", 80, BackendServerPort=80)
    assert fails(cloud, "CreateRules", {"LoadBalancerId": world.lb, "ListenerPort": 80, "RuleList": "{oops"}) == \
        Failure("RuleListMalformed", "the specified parameter RuleList is unavailable.", 400)


def test_unknown_load_balancer(cloud):
    assert fails(cloud, "DeleteLoadBalancer", {"LoadBalancerId": "lb-bp1doesnotexist"}) == Failure(
        "InvalidLoadBalancerId.NotFound", "The specified LoadBalancerId does not exist.", 400)


def test_missing_required_parameter_is_the_gateways_missing_error(cloud):
    assert fails(cloud, "CreateVServerGroup", {"VServerGroupName": "g"}) == Failure(
        "MissingLoadBalancerId", "LoadBalancerId is mandatory for this action.", 400)


def test_unknown_action(cloud):
    assert fails(cloud, "MakeItFaster", {}) == Failure(
        "InvalidAction.NotFound", "Specified api is not found, please check your url and method.", 404)


def test_rejected_call_changes_nothing(cloud, world):
    group = world.vsg(world.ecs[0])
    before = cloud.call("DescribeVServerGroupAttribute", {"VServerGroupId": group})
    fails(cloud, "AddVServerGroupBackendServers", {"VServerGroupId": group, "BackendServers": servers(
        {"ServerId": world.ecs[1], "Port": 80}, {"ServerId": "i-missing000000000", "Port": 80})})
    after = cloud.call("DescribeVServerGroupAttribute", {"VServerGroupId": group})
    before.pop("RequestId"), after.pop("RequestId")
    assert after == before
