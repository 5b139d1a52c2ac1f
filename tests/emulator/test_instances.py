"""Load balancer instance actions and their rules."""

from __future__ import annotations

import pytest

from .conftest import expect


def test_create_intranet_lb_allocates_from_vswitch(cloud):
    r = cloud.slb("CreateLoadBalancer", VSwitchId=cloud.vsw, LoadBalancerSpec="slb.s2.small",
                  LoadBalancerName="web-1", **{"Tag.1.Key": "env", "Tag.1.Value": "prod"})
    assert r["NetworkType"] == "vpc" and r["VpcId"] == cloud.vpc and r["Address"].startswith("192.168.")
    d = cloud.slb("DescribeLoadBalancerAttribute", LoadBalancerId=r["LoadBalancerId"])
    assert d["AddressType"] == "intranet" and d["LoadBalancerStatus"] == "active"
    assert d["LoadBalancerSpec"] == "slb.s2.small" and d["DeleteProtection"] == "off"
    assert d["MasterZoneId"] == "cn-hangzhou-h" and d["Tags"] == {"Tag": [{"TagKey": "env", "TagValue": "prod"}]}
    assert d["ListenerPortsAndProtocal"] == {"ListenerPortAndProtocal": []}


def test_create_internet_lb(cloud):
    r = cloud.slb("CreateLoadBalancer", LoadBalancerSpec="slb.s1.small", AddressType="internet",
                  InternetChargeType="paybybandwidth", Bandwidth=10)
    d = cloud.slb("DescribeLoadBalancerAttribute", LoadBalancerId=r["LoadBalancerId"])
    assert d["AddressType"] == "internet" and d["Bandwidth"] == 10 and d["NetworkType"] == "classic"


def test_address_rules(cloud):
    r = cloud.slb("CreateLoadBalancer", VSwitchId=cloud.vsw, LoadBalancerSpec="slb.s1.small", Address="192.168.3.3")
    assert r["Address"] == "192.168.3.3"
    expect(lambda: cloud.slb("CreateLoadBalancer", VSwitchId=cloud.vsw, LoadBalancerSpec="slb.s1.small",
                             Address="192.168.3.3"), "InvalidParameter", "The vpc Ip is exist.")
    expect(lambda: cloud.slb("CreateLoadBalancer", VSwitchId=cloud.vsw, LoadBalancerSpec="slb.s1.small",
                             Address="10.0.0.1"), "InvalidParameter",
           "Illegal parameter. The IP address is not in subnet.")


def test_vswitch_exhaustion():
    from planner.emulator import Emulator

    emu = Emulator()
    vpc = emu.call("Vpc", "CreateVpc", {"CidrBlock": "10.0.0.0/8"})["VpcId"]
    vsw = emu.call("Vpc", "CreateVSwitch", {"VpcId": vpc, "ZoneId": "cn-hangzhou-i", "CidrBlock": "10.1.0.0/29"})
    for _ in range(4):  # /29: 8 addresses, network + 3 reserved at the end
        emu.call("Slb", "CreateLoadBalancer", {"VSwitchId": vsw["VSwitchId"], "LoadBalancerSpec": "slb.s1.small"})
    expect(lambda: emu.call("Slb", "CreateLoadBalancer", {"VSwitchId": vsw["VSwitchId"],
                                                          "LoadBalancerSpec": "slb.s1.small"}),
           "VSwitchAvailableIpNotExist", "The specified VSwitch has no availabe ip.")


def test_create_rules(cloud):
    expect(lambda: cloud.slb("CreateLoadBalancer", VSwitchId=cloud.vsw), "ShareSlbHaltSales",
           "The share instance has been discontinued.", 400)
    expect(lambda: cloud.slb("CreateLoadBalancer", VSwitchId="vsw-nope", LoadBalancerSpec="slb.s1.small"),
           "VSwitchNotExist")
    expect(lambda: cloud.slb("CreateLoadBalancer", AddressType="intranet", AddressIPVersion="ipv6",
                             LoadBalancerSpec="slb.s1.small"), "InvalidParameter.Mismatch")
    expect(lambda: cloud.slb("CreateLoadBalancer", LoadBalancerSpec="slb.s1.small",
                             InternetChargeType="paybybandwidth", Bandwidth=6000), "InvalidParameter.Bandwidth")
    expect(lambda: cloud.slb("CreateLoadBalancer", InstanceChargeType="PayByCLCU",
                             InternetChargeType="paybybandwidth", Bandwidth=5),
           "Instance.InternetChargeTypeNotAllowed")
    expect(lambda: cloud.slb("CreateLoadBalancer", LoadBalancerSpec="slb.s1.small", LoadBalancerName="9bad"),
           "InvalidParameter", "The Lb Name is Not supported.")
    expect(lambda: cloud.slb("CreateLoadBalancer", LoadBalancerSpec="slb.s1.small",
                             ModificationProtectionStatus="Locked"), "InvalidParam.ModificationProtectionStatus")
    expect(lambda: cloud.slb("CreateLoadBalancer", LoadBalancerSpec="slb.s1.small", InstanceChargeType="Monthly"),
           "IllegalParam.InstanceChargeType")
    tags = {f"Tag.{i}.Key": f"k{i}" for i in range(1, 22)}
    expect(lambda: cloud.slb("CreateLoadBalancer", LoadBalancerSpec="slb.s1.small", **tags), "SizeLimitExceeded.Tag")
    expect(lambda: cloud.slb("CreateLoadBalancer", LoadBalancerSpec="slb.s1.small",
                             **{"Tag.1.Key": "aliyun-x"}), "InvalidParam.TagKey")
    assert cloud.slb("DescribeLoadBalancers")["TotalCount"] == 0


def test_pay_by_lcu_reports_elastic_spec(cloud):
    lb = cloud.slb("CreateLoadBalancer", InstanceChargeType="PayByCLCU")["LoadBalancerId"]
    d = cloud.slb("DescribeLoadBalancerAttribute", LoadBalancerId=lb)
    assert d["LoadBalancerSpec"] == "slb.lcu.elastic" and d["InstanceChargeType"] == "PayByCLCU"
    expect(lambda: cloud.slb("ModifyLoadBalancerInstanceSpec", LoadBalancerId=lb, LoadBalancerSpec="slb.s2.small"),
           "OperationDenied.PayByCLCU")
    expect(lambda: cloud.slb("ModifyLoadBalancerInstanceChargeType", LoadBalancerId=lb,
                             InstanceChargeType="PayBySpec"), "Forbidden.LcuToSpec")


def test_delete_protection_blocks_delete(cloud):
    lb = cloud.lb(DeleteProtection="on")
    expect(lambda: cloud.slb("DeleteLoadBalancer", LoadBalancerId=lb), "OperationDenied.DeleteProtectionIsOn",
           "The loadbalancer can not be deleted due to DeleteProtection is enabled.", 400)
    cloud.slb("SetLoadBalancerDeleteProtection", LoadBalancerId=lb, DeleteProtection="off")
    cloud.slb("DeleteLoadBalancer", LoadBalancerId=lb)
    expect(lambda: cloud.slb("DescribeLoadBalancerAttribute", LoadBalancerId=lb),
           "InvalidLoadBalancerId.NotFound", "The specified LoadBalancerId does not exist.")


def test_delete_cascades_to_children_and_frees_address(cloud):
    lb = cloud.lb(Address="192.168.5.5")
    g = cloud.vsg(lb)
    cloud.http(lb, VServerGroupId=g)
    import json
    rid = cloud.slb("CreateRules", LoadBalancerId=lb, ListenerPort=80, RuleList=json.dumps(
        [{"RuleName": "r1", "Domain": "a.example.com", "VServerGroupId": g}]))["Rules"]["Rule"][0]["RuleId"]
    ms = cloud.slb("CreateMasterSlaveServerGroup", LoadBalancerId=lb, MasterSlaveBackendServers=json.dumps(
        [{"ServerId": cloud.instances[0], "Port": 1, "ServerType": "Master"},
         {"ServerId": cloud.instances[1], "Port": 1, "ServerType": "Slave"}]))["MasterSlaveServerGroupId"]
    cloud.slb("DeleteLoadBalancer", LoadBalancerId=lb)
    expect(lambda: cloud.slb("DescribeVServerGroupAttribute", VServerGroupId=g), "InvalidParameter",
           "The specified VServerGroupId does not exist.", 404)
    expect(lambda: cloud.slb("DescribeRuleAttribute", RuleId=rid), "InvalidRuleId.NotFound", status=404)
    expect(lambda: cloud.slb("DescribeMasterSlaveServerGroupAttribute", MasterSlaveServerGroupId=ms),
           "InvalidParameter", "The specified MasterSlaveGroupId does not exist")
    assert cloud.slb("DescribeLoadBalancerListeners")["Listeners"] == []
    assert cloud.slb("CreateLoadBalancer", VSwitchId=cloud.vsw, LoadBalancerSpec="slb.s1.small",
                     Address="192.168.5.5")["Address"] == "192.168.5.5"


def test_prepay_rules(cloud):
    lb = cloud.slb("CreateLoadBalancer", LoadBalancerSpec="slb.s1.small", PayType="PrePay", AddressType="internet",
                   InternetChargeType="paybybandwidth", Bandwidth=5)
    assert lb["OrderId"] > 0
    expect(lambda: cloud.slb("DeleteLoadBalancer", LoadBalancerId=lb["LoadBalancerId"]), "InvalidChargeType")
    expect(lambda: cloud.slb("SetLoadBalancerDeleteProtection", LoadBalancerId=lb["LoadBalancerId"],
                             DeleteProtection="on"), "OperationUnsupported.DeleteProtectionForPrePayInstance")


def test_set_family(cloud):
    lb = cloud.lb()
    cloud.slb("SetLoadBalancerStatus", LoadBalancerId=lb, LoadBalancerStatus="inactive")
    cloud.slb("SetLoadBalancerName", LoadBalancerId=lb, LoadBalancerName="renamed")
    cloud.slb("SetLoadBalancerModificationProtection", LoadBalancerId=lb,
              ModificationProtectionStatus="ConsoleProtection", ModificationProtectionReason="managed")
    cloud.slb("ModifyLoadBalancerInstanceSpec", LoadBalancerId=lb, LoadBalancerSpec="slb.s3.small")
    d = cloud.slb("DescribeLoadBalancerAttribute", LoadBalancerId=lb)
    assert (d["LoadBalancerStatus"], d["LoadBalancerName"], d["ModificationProtectionReason"],
            d["LoadBalancerSpec"]) == ("inactive", "renamed", "managed", "slb.s3.small")
    cloud.slb("SetLoadBalancerModificationProtection", LoadBalancerId=lb, ModificationProtectionStatus="NonProtection")
    assert cloud.slb("DescribeLoadBalancerAttribute", LoadBalancerId=lb)["ModificationProtectionReason"] == ""
    expect(lambda: cloud.slb("SetLoadBalancerStatus", LoadBalancerId=lb, LoadBalancerStatus="locked"),
           "InvalidParameter")
    expect(lambda: cloud.slb("ModifyLoadBalancerInternetSpec", LoadBalancerId=lb,
                             InternetChargeType="paybybandwidth", Bandwidth=5), "ActionNotAllowed",
           "The Intranet LB's InternetChargeType is not allowed change to paybybandwidth.")
    expect(lambda: cloud.slb("ModifyLoadBalancerInstanceSpec", LoadBalancerId=lb, LoadBalancerSpec="slb.x"),
           "ModifySpecNotAllowed")
    cloud.slb("ModifyLoadBalancerInstanceChargeType", LoadBalancerId=lb, InstanceChargeType="PayByCLCU")
    assert cloud.slb("DescribeLoadBalancerAttribute", LoadBalancerId=lb)["LoadBalancerSpec"] == "slb.lcu.elastic"


def test_internet_spec_and_pay_type(cloud):
    lb = cloud.slb("CreateLoadBalancer", LoadBalancerSpec="slb.s1.small")["LoadBalancerId"]
    expect(lambda: cloud.slb("ModifyLoadBalancerPayType", LoadBalancerId=lb, PayType="PrePay"), "Operation.NotAllowed",
           "Cannot change internet payByTraffic loadBalancer from PayOnDemand to PrePay.")
    cloud.slb("ModifyLoadBalancerInternetSpec", LoadBalancerId=lb, InternetChargeType="paybybandwidth", Bandwidth=20)
    d = cloud.slb("DescribeLoadBalancerAttribute", LoadBalancerId=lb)
    assert (d["InternetChargeType"], d["Bandwidth"]) == ("paybybandwidth", 20)
    assert cloud.slb("ModifyLoadBalancerPayType", LoadBalancerId=lb, PayType="PrePay")["OrderId"]


@pytest.mark.parametrize("size", [1, 3, 100])
def test_describe_load_balancers_paging(cloud, size):
    ids = [cloud.lb(LoadBalancerName=f"lb{i}") for i in range(7)]
    seen = []
    page = 1
    while True:
        r = cloud.slb("DescribeLoadBalancers", PageSize=size, PageNumber=page)
        assert r["TotalCount"] == 7 and r["PageSize"] == size and r["PageNumber"] == page
        items = r["LoadBalancers"]["LoadBalancer"]
        if not items:
            break
        seen += [x["LoadBalancerId"] for x in items]
        page += 1
    assert seen == ids
    expect(lambda: cloud.slb("DescribeLoadBalancers", PageSize=101), "InvalidParameter")


def test_describe_load_balancers_filters(cloud):
    a = cloud.lb(LoadBalancerName="alpha", **{"Tag.1.Key": "team", "Tag.1.Value": "x"})
    b = cloud.lb(LoadBalancerName="beta")
    internet = cloud.slb("CreateLoadBalancer", LoadBalancerSpec="slb.s1.small")["LoadBalancerId"]
    import json
    cloud.slb("AddBackendServers", LoadBalancerId=b, BackendServers=json.dumps([{"ServerId": cloud.instances[3]}]))

    def ids(**kw):
        return [x["LoadBalancerId"] for x in cloud.slb("DescribeLoadBalancers", **kw)["LoadBalancers"]["LoadBalancer"]]

    assert ids(LoadBalancerId=f"{a},{internet}") == [a, internet]
    assert ids(LoadBalancerName="beta") == [b]
    assert ids(AddressType="internet") == [internet]
    assert ids(VpcId=cloud.vpc) == [a, b]
    assert ids(**{"Tag.1.Key": "team"}) == [a]
    assert ids(Tags=json.dumps([{"TagKey": "team", "TagValue": "x"}])) == [a]
    assert ids(ServerId=cloud.instances[3]) == [b]
    expect(lambda: cloud.slb("DescribeLoadBalancers", Tags="{bad"), "InvalidTag")


def test_regions_are_isolated(cloud):
    import json

    lb = cloud.lb()
    sh = {"RegionId": "cn-shanghai"}
    expect(lambda: cloud.emu.call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb, **sh}),
           "InvalidLoadBalancerId.NotFound")
    assert cloud.emu.call("Slb", "DescribeLoadBalancers", sh)["TotalCount"] == 0
    # a server of another region cannot serve a hangzhou load balancer
    vpc = cloud.emu.call("Vpc", "CreateVpc", {**sh, "CidrBlock": "10.0.0.0/8"})["VpcId"]
    zone = cloud.emu.call("Ecs", "DescribeZones", sh)["Zones"]["Zone"][0]["ZoneId"]
    assert zone.startswith("cn-shanghai")
    vsw = cloud.emu.call("Vpc", "CreateVSwitch", {**sh, "VpcId": vpc, "ZoneId": zone,
                                                  "CidrBlock": "10.0.0.0/24"})["VSwitchId"]
    sg = cloud.emu.call("Ecs", "CreateSecurityGroup", {**sh, "VpcId": vpc})["SecurityGroupId"]
    far = cloud.emu.call("Ecs", "RunInstances", {**sh, "VSwitchId": vsw, "SecurityGroupId": sg,
                                                 "ImageId": "aliyun_3_x64_20G_alibase_20240528.vhd",
                                                 "InstanceType": "ecs.g6.large"})["InstanceIdSets"]["InstanceIdSet"][0]
    expect(lambda: cloud.slb("AddBackendServers", LoadBalancerId=lb, BackendServers=json.dumps([{"ServerId": far}])),
           "ObtainIpFail")
    # and a hangzhou vSwitch is unknown in shanghai
    expect(lambda: cloud.emu.call("Slb", "CreateLoadBalancer", {**sh, "VSwitchId": cloud.vsw,
                                                                "LoadBalancerSpec": "slb.s1.small"}),
           "VSwitchNotExist")
