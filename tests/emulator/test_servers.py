"""Default server group, VServer groups and master-slave groups."""

from __future__ import annotations

import json

from .conftest import expect


def bs(*items: dict) -> str:
    return json.dumps(list(items))


def test_default_group_add_set_remove(cloud):
    lb = cloud.lb()
    a, b = cloud.instances[:2]
    r = cloud.slb("AddBackendServers", LoadBalancerId=lb, BackendServers=bs(
        {"ServerId": a, "Weight": 50}, {"ServerId": b}, {"ServerId": a, "Weight": 1}))  # duplicate: first wins
    got = r["BackendServers"]["BackendServer"]
    assert [(s["ServerId"], s["Weight"], s["Type"]) for s in got] == [(a, 50, "ecs"), (b, 100, "ecs")]
    assert "ServerIp" not in got[0]  # write responses carry no address (as the SDK model says)
    shown = cloud.slb("DescribeLoadBalancerAttribute", LoadBalancerId=lb)["BackendServers"]["BackendServer"]
    assert shown[0]["ServerIp"].startswith("192.168.")
    expect(lambda: cloud.slb("AddBackendServers", LoadBalancerId=lb, BackendServers=bs({"ServerId": a})),
           "InvalidParameter", "The specified BackendServers is invalid.")
    cloud.slb("SetBackendServers", LoadBalancerId=lb, BackendServers=bs({"ServerId": a, "Weight": 0}))
    cloud.slb("RemoveBackendServers", LoadBalancerId=lb,
              BackendServers=bs({"ServerId": b}, {"ServerId": "i-notamember"}))  # non-members ignored
    d = cloud.slb("DescribeLoadBalancerAttribute", LoadBalancerId=lb)["BackendServers"]["BackendServer"]
    assert [(s["ServerId"], s["Weight"]) for s in d] == [(a, 0)]


def test_server_rules(cloud):
    lb = cloud.lb()
    too_many = bs(*[{"ServerId": cloud.instances[0], "Port": p} for p in range(1, 22)])
    expect(lambda: cloud.slb("AddBackendServers", LoadBalancerId=lb, BackendServers=too_many),
           "TooManyBackendServers", "The total number of input real servers exceeds max supported number: 20")
    expect(lambda: cloud.slb("AddBackendServers", LoadBalancerId=lb,
                             BackendServers=bs({"ServerId": cloud.instances[0], "Weight": 101})),
           "InvalidWeight.Malformed", "A specified weight is not valid.")
    expect(lambda: cloud.slb("AddBackendServers", LoadBalancerId=lb,
                             BackendServers=bs({"ServerId": "i-ghost"})), "ObtainIpFail",
           "The specified BackendServers is invalid; some of the specified backend servers do not exist or are "
           "not running.")
    expect(lambda: cloud.slb("AddBackendServers", LoadBalancerId=lb,
                             BackendServers=bs({"ServerId": cloud.instances[0], "Type": "vm"})),
           "BackendServer.InvalidType")
    cloud.emu.call("Ecs", "StopInstance", {"InstanceId": cloud.instances[3]})
    expect(lambda: cloud.slb("AddBackendServers", LoadBalancerId=lb,
                             BackendServers=bs({"ServerId": cloud.instances[3]})), "ObtainIpFail")
    expect(lambda: cloud.slb("CreateVServerGroup", LoadBalancerId=lb,
                             BackendServers=bs({"ServerId": cloud.instances[0], "Port": 0})), "InvalidParameter",
           "The specified BackendServers is invalid, as the Port value should be in [1, 65535].")
    expect(lambda: cloud.slb("CreateVServerGroup", LoadBalancerId=lb,
                             BackendServers=bs({"ServerId": cloud.instances[0]})), "InvalidParameter")


def test_servers_must_share_the_vpc(cloud):
    emu = cloud.emu
    vpc2 = emu.call("Vpc", "CreateVpc", {"CidrBlock": "172.16.0.0/12"})["VpcId"]
    vsw2 = emu.call("Vpc", "CreateVSwitch", {"VpcId": vpc2, "ZoneId": "cn-hangzhou-i",
                                             "CidrBlock": "172.16.0.0/24"})["VSwitchId"]
    sg2 = emu.call("Ecs", "CreateSecurityGroup", {"VpcId": vpc2})["SecurityGroupId"]
    far = emu.call("Ecs", "RunInstances", {"VSwitchId": vsw2, "SecurityGroupId": sg2, "ImageId":
                                           "aliyun_3_x64_20G_alibase_20240528.vhd",
                                           "InstanceType": "ecs.c6.large"})["InstanceIdSets"]["InstanceIdSet"][0]
    lb = cloud.lb()
    expect(lambda: cloud.slb("AddBackendServers", LoadBalancerId=lb, BackendServers=bs({"ServerId": far})),
           "InvalidBackendServers.Inconsistent",
           "All BackendServers on one Specified LoadBalancer have to be in the same vpc or all classic")
    # an internet instance without a VPC takes the VPC of its first backend
    inet = cloud.slb("CreateLoadBalancer", LoadBalancerSpec="slb.s1.small")["LoadBalancerId"]
    cloud.slb("AddBackendServers", LoadBalancerId=inet, BackendServers=bs({"ServerId": far}))
    expect(lambda: cloud.slb("CreateVServerGroup", LoadBalancerId=inet,
                             BackendServers=bs({"ServerId": cloud.instances[0], "Port": 80})),
           "InvalidBackendServers.Inconsistent")


def test_eni_backends(cloud):
    lb = cloud.lb()
    primary, secondary = cloud.eni_ips
    g = cloud.vsg(lb, [{"ServerId": cloud.eni, "Type": "eni", "Port": 80},
                       {"ServerId": cloud.eni, "Type": "eni", "Port": 80, "ServerIp": secondary}])
    got = cloud.slb("DescribeVServerGroupAttribute", VServerGroupId=g)["BackendServers"]["BackendServer"]
    assert [(s["ServerIp"], s["Type"]) for s in got] == [(primary, "eni"), (secondary, "eni")]
    expect(lambda: cloud.vsg(lb, [{"ServerId": cloud.eni, "Type": "eni", "Port": 80, "ServerIp": "192.168.99.9"}]),
           "InvalidParameter", "The specified BackendServers is invalid.")
    expect(lambda: cloud.vsg(lb, [{"ServerId": "eni-ghost", "Type": "eni", "Port": 80}]),
           "ResourceNotFound.vServers", "The specified enis eni-ghost does not exist.", 404)
    # an ENI not attached to a running instance cannot serve
    free = cloud.emu.call("Ecs", "CreateNetworkInterface", {"VSwitchId": cloud.vsw,
                                                            "SecurityGroupId": cloud.sg})["NetworkInterfaceId"]
    expect(lambda: cloud.vsg(lb, [{"ServerId": free, "Type": "eni", "Port": 80}]), "ObtainIpFail")


def test_vserver_group_membership(cloud):
    lb = cloud.lb()
    a, b, c = cloud.instances[:3]
    g = cloud.vsg(lb, [{"ServerId": a, "Port": 80}], VServerGroupName="web")
    expect(lambda: cloud.vsg(lb, [{"ServerId": a, "Port": 80}, {"ServerId": a, "Port": 80}]), "InvalidParameter",
           "The specified BackendServers contain duplicated value of ServerID and Port.")
    cloud.slb("AddVServerGroupBackendServers", VServerGroupId=g, BackendServers=bs(
        {"ServerId": a, "Port": 81}, {"ServerId": b, "Port": 80, "Weight": 30}))
    expect(lambda: cloud.slb("AddVServerGroupBackendServers", VServerGroupId=g,
                             BackendServers=bs({"ServerId": b, "Port": 80})), "InvalidParameter",
           "The specified BackendServers contain duplicated value of ServerID and Port.")
    cloud.slb("SetVServerGroupAttribute", VServerGroupId=g, VServerGroupName="web2",
              BackendServers=bs({"ServerId": b, "Port": 80, "Weight": 7}, {"ServerId": c, "Port": 80, "Weight": 9}))
    cloud.slb("ModifyVServerGroupBackendServers", VServerGroupId=g, OldBackendServers=bs({"ServerId": a, "Port": 81}),
              NewBackendServers=bs({"ServerId": c, "Port": 82}))
    cloud.slb("RemoveVServerGroupBackendServers", VServerGroupId=g,
              BackendServers=bs({"ServerId": a, "Port": 80}, {"ServerId": c, "Port": 999}))
    d = cloud.slb("DescribeVServerGroupAttribute", VServerGroupId=g)
    assert d["VServerGroupName"] == "web2" and d["LoadBalancerId"] == lb
    assert [(s["ServerId"], s["Port"], s["Weight"]) for s in d["BackendServers"]["BackendServer"]] == [
        (b, 80, 7), (c, 82, 100)]
    expect(lambda: cloud.slb("SetVServerGroupAttribute", VServerGroupId=g), "MissingParameter",
           "The VServerGroupName or BackendServers is required at lease one.")
    expect(lambda: cloud.slb("ModifyVServerGroupBackendServers", VServerGroupId=g,
                             NewBackendServers=bs({"ServerId": b, "Port": 80})), "InvalidParameter",
           "The specified BackendServers contain duplicated value of ServerID and Port.")


def test_group_in_use_cannot_be_deleted(cloud):
    lb = cloud.lb()
    g = cloud.vsg(lb)
    other = cloud.vsg(lb)
    cloud.tcp(lb, VServerGroupId=g)
    expect(lambda: cloud.slb("DeleteVServerGroup", VServerGroupId=g), "RspoolVipExist",
           "there are vips associating with this vServer group.", 400)
    cloud.http(lb, 8080, VServerGroupId=other)
    cloud.slb("CreateRules", LoadBalancerId=lb, ListenerPort=8080,
              RuleList=json.dumps([{"RuleName": "r", "Url": "/x", "VServerGroupId": g}]))
    cloud.slb("DeleteLoadBalancerListener", LoadBalancerId=lb, ListenerPort=80)
    expect(lambda: cloud.slb("DeleteVServerGroup", VServerGroupId=g), "RspoolRuleExist",
           "there are rules associating with this vServer group.")
    groups = cloud.slb("DescribeVServerGroups", LoadBalancerId=lb, IncludeRule=True, IncludeListener=True)
    assoc = {x["VServerGroupId"]: x["AssociatedObjects"] for x in groups["VServerGroups"]["VServerGroup"]}
    assert assoc[g]["Rules"]["Rule"][0]["RuleName"] == "r" and assoc[g]["Listeners"]["Listener"] == []
    assert assoc[other]["Listeners"]["Listener"] == [{"Protocol": "http", "Port": 8080}]
    cloud.slb("DeleteLoadBalancerListener", LoadBalancerId=lb, ListenerPort=8080)  # takes its rules
    cloud.slb("DeleteVServerGroup", VServerGroupId=g)
    expect(lambda: cloud.slb("DeleteVServerGroup", VServerGroupId=g), "InvalidParameter",
           "The specified VServerGroupId does not exist.", 404)


def test_master_slave_group_rules(cloud):
    lb = cloud.lb()
    a, b = cloud.instances[:2]
    m = {"ServerId": a, "Port": 80, "ServerType": "Master"}
    s = {"ServerId": b, "Port": 80, "ServerType": "Slave"}

    def create(*servers):
        return cloud.slb("CreateMasterSlaveServerGroup", LoadBalancerId=lb, MasterSlaveBackendServers=bs(*servers),
                         MasterSlaveServerGroupName="ms")

    expect(lambda: create(m), "BACKEND_SERVERS_NUM_MUST_BE_TWO", "Backend servers num must be 2.")
    expect(lambda: create(m, dict(s, ServerType="Master")),
           "BACKEND_SERVERS_CAN_ONLY_CONTAIN_ONE_MASTER_AND_ONE_SLAVE")
    expect(lambda: create(m, dict(s, ServerId=a)), "BACKEND_SERVERS_HAVE_SAME_PORT_AND_SERVERID")
    expect(lambda: create(m, dict(s, ServerId="")), "BACKEND_SERVER_ID_CAN_NOT_EMPTY")
    expect(lambda: create(m, {"ServerId": b, "ServerType": "Slave"}), "BACKEND_SERVER_PORT_CAN_NOT_EMPTY")
    expect(lambda: create(m, dict(s, ServerType="Backup")), "INVALID_SERVER_TYPE")
    gid = create(m, s)["MasterSlaveServerGroupId"]
    d = cloud.slb("DescribeMasterSlaveServerGroupAttribute", MasterSlaveServerGroupId=gid)
    assert [x["ServerType"] for x in d["MasterSlaveBackendServers"]["MasterSlaveBackendServer"]] == ["Master", "Slave"]
    cloud.slb("CreateLoadBalancerUDPListener", LoadBalancerId=lb, ListenerPort=53, Bandwidth=-1,
              MasterSlaveServerGroupId=gid)
    lst = cloud.slb("DescribeMasterSlaveServerGroups", LoadBalancerId=lb, IncludeListener=True)
    assert lst["MasterSlaveServerGroups"]["MasterSlaveServerGroup"][0]["AssociatedObjects"]["Listeners"][
        "Listener"] == [{"Protocol": "udp", "Port": 53}]
    expect(lambda: cloud.slb("DeleteMasterSlaveServerGroup", MasterSlaveServerGroupId=gid), "RspoolVipExist")
    cloud.slb("DeleteLoadBalancerListener", LoadBalancerId=lb, ListenerPort=53)
    cloud.slb("DeleteMasterSlaveServerGroup", MasterSlaveServerGroupId=gid)


def test_a_server_may_be_in_many_groups(cloud):
    lb = cloud.lb()
    a = cloud.instances[0]
    g1 = cloud.vsg(lb, [{"ServerId": a, "Port": 80}])
    g2 = cloud.vsg(lb, [{"ServerId": a, "Port": 80}])
    cloud.slb("AddBackendServers", LoadBalancerId=lb, BackendServers=bs({"ServerId": a}))
    assert g1 != g2


def test_describe_health_status(cloud):
    lb = cloud.lb()
    g = cloud.vsg(lb)
    cloud.tcp(lb, 80, VServerGroupId=g)
    cloud.slb("AddBackendServers", LoadBalancerId=lb, BackendServers=bs({"ServerId": cloud.instances[2]}))
    cloud.tcp(lb, 81, BackendServerPort=8080)
    cloud.slb("StartLoadBalancerListener", LoadBalancerId=lb, ListenerPort=80)
    r = cloud.slb("DescribeHealthStatus", LoadBalancerId=lb)["BackendServers"]["BackendServer"]
    by_port = {(x["ListenerPort"], x["ServerId"]): (x["Port"], x["ServerHealthStatus"]) for x in r}
    assert by_port[(80, cloud.instances[0])] == (80, "normal")
    assert by_port[(81, cloud.instances[2])] == (8080, "unavailable")
    one = cloud.slb("DescribeHealthStatus", LoadBalancerId=lb, ListenerPort=81)["BackendServers"]["BackendServer"]
    assert len(one) == 1


def test_released_instance_leaves_groups(cloud):
    lb = cloud.lb()
    a, b = cloud.instances[2:4]
    g = cloud.vsg(lb, [{"ServerId": a, "Port": 80}, {"ServerId": b, "Port": 80}])
    cloud.slb("AddBackendServers", LoadBalancerId=lb, BackendServers=bs({"ServerId": a}, {"ServerId": b}))
    cloud.emu.call("Ecs", "DeleteInstance", {"InstanceId": a, "Force": True})
    got = cloud.slb("DescribeVServerGroupAttribute", VServerGroupId=g)["BackendServers"]["BackendServer"]
    assert [s["ServerId"] for s in got] == [b]
    d = cloud.slb("DescribeLoadBalancerAttribute", LoadBalancerId=lb)["BackendServers"]["BackendServer"]
    assert [s["ServerId"] for s in d] == [b]
