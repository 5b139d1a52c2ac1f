"""The minimal VPC and ECS products CLB rules rely on."""

from __future__ import annotations

from .conftest import IMAGE, expect


def vpc_call(cloud, action, **p):
    return cloud.emu.call("Vpc", action, p)


def ecs_call(cloud, action, **p):
    return cloud.emu.call("Ecs", action, p)


def test_vpc_and_vswitch_lifecycle(cloud):
    vpcs = vpc_call(cloud, "DescribeVpcs")["Vpcs"]["Vpc"]
    assert vpcs[0]["VSwitchIds"] == {"VSwitchId": [cloud.vsw]} and vpcs[0]["CidrBlock"] == "192.168.0.0/16"
    a = vpc_call(cloud, "DescribeVSwitchAttributes", VSwitchId=cloud.vsw)
    assert (a["VpcId"], a["ZoneId"], a["CidrBlock"]) == (cloud.vpc, "cn-hangzhou-h", "192.168.0.0/20")
    assert a["AvailableIpAddressCount"] == 4096 - 4 - 6  # 4 instances, ENI primary + 1 secondary
    expect(lambda: vpc_call(cloud, "CreateVSwitch", VpcId=cloud.vpc, ZoneId="cn-hangzhou-i", CidrBlock="10.0.0.0/24"),
           "InvalidVSwitchCidr.Mismatch")
    expect(lambda: vpc_call(cloud, "CreateVSwitch", VpcId=cloud.vpc, ZoneId="cn-hangzhou-i",
                            CidrBlock="192.168.1.0/24"), "InvalidCidrBlock.Overlapped")
    expect(lambda: vpc_call(cloud, "CreateVSwitch", VpcId=cloud.vpc, ZoneId="cn-hangzhou-z",
                            CidrBlock="192.168.64.0/24"), "InvalidZoneId.NotFound")
    expect(lambda: vpc_call(cloud, "CreateVSwitch", VpcId=cloud.vpc, ZoneId="cn-hangzhou-i", CidrBlock="192.168.64.1/24"),
           "InvalidCidrBlock.Malformed")
    vsw = vpc_call(cloud, "CreateVSwitch", VpcId=cloud.vpc, ZoneId="cn-hangzhou-k",
                   CidrBlock="192.168.64.0/24")["VSwitchId"]
    assert [v["VSwitchId"] for v in vpc_call(cloud, "DescribeVSwitches", ZoneId="cn-hangzhou-k")["VSwitches"]["VSwitch"]] \
        == [vsw]
    expect(lambda: vpc_call(cloud, "DeleteVSwitch", VSwitchId=cloud.vsw), "DependencyViolation")
    expect(lambda: vpc_call(cloud, "DeleteVpc", VpcId=cloud.vpc), "DependencyViolation")
    vpc_call(cloud, "DeleteVSwitch", VSwitchId=vsw)
    expect(lambda: vpc_call(cloud, "DescribeVSwitchAttributes", VSwitchId=vsw), "InvalidVSwitchId.NotExist")
    empty = vpc_call(cloud, "CreateVpc")["VpcId"]
    vpc_call(cloud, "DeleteVpc", VpcId=empty)
    expect(lambda: vpc_call(cloud, "DeleteVpc", VpcId=empty), "InvalidVpcId.NotFound")


def test_instances(cloud):
    r = ecs_call(cloud, "DescribeInstances", VpcId=cloud.vpc, PageSize=2)
    assert r["TotalCount"] == 4 and len(r["Instances"]["Instance"]) == 2
    one = ecs_call(cloud, "DescribeInstances", InstanceIds=f'["{cloud.instances[0]}"]')["Instances"]["Instance"][0]
    assert one["Status"] == "Running" and one["VpcAttributes"]["VSwitchId"] == cloud.vsw
    assert one["NetworkInterfaces"]["NetworkInterface"][0]["NetworkInterfaceId"] == cloud.eni
    created = ecs_call(cloud, "CreateInstance", VSwitchId=cloud.vsw, SecurityGroupId=cloud.sg, ImageId=IMAGE,
                       InstanceType="ecs.c6.large", PrivateIpAddress="192.168.8.8")["InstanceId"]
    inst = ecs_call(cloud, "DescribeInstances", InstanceIds=[created])["Instances"]["Instance"][0]
    assert inst["Status"] == "Stopped" and inst["VpcAttributes"]["PrivateIpAddress"]["IpAddress"] == ["192.168.8.8"]
    expect(lambda: ecs_call(cloud, "StopInstance", InstanceId=created), "IncorrectInstanceStatus")
    ecs_call(cloud, "StartInstance", InstanceId=created)
    expect(lambda: ecs_call(cloud, "DeleteInstance", InstanceId=created), "IncorrectInstanceStatus")
    ecs_call(cloud, "DeleteInstance", InstanceId=created, Force=True)
    expect(lambda: ecs_call(cloud, "StartInstance", InstanceId=created), "InvalidInstanceId.NotFound")
    expect(lambda: ecs_call(cloud, "RunInstances", VSwitchId=cloud.vsw, SecurityGroupId=cloud.sg, ImageId=IMAGE,
                            InstanceType="ecs.huge"), "InvalidInstanceType.NotFound")
    expect(lambda: ecs_call(cloud, "RunInstances", VSwitchId=cloud.vsw, SecurityGroupId=cloud.sg, ImageId="img-x",
                            InstanceType="ecs.g6.large"), "InvalidImageId.NotFound")
    expect(lambda: ecs_call(cloud, "RunInstances", VSwitchId=cloud.vsw, SecurityGroupId=cloud.sg, ImageId=IMAGE,
                            InstanceType="ecs.g6.large", PrivateIpAddress="192.168.8.8", ZoneId="cn-hangzhou-j"),
           "InvalidVSwitchId.MismatchZone")


def test_security_groups(cloud):
    other_vpc = vpc_call(cloud, "CreateVpc", CidrBlock="172.16.0.0/12")["VpcId"]
    sg2 = ecs_call(cloud, "CreateSecurityGroup", VpcId=other_vpc)["SecurityGroupId"]
    expect(lambda: ecs_call(cloud, "RunInstances", VSwitchId=cloud.vsw, SecurityGroupId=sg2, ImageId=IMAGE,
                            InstanceType="ecs.g6.large"), "InvalidSecurityGroup.VpcMismatch")
    assert ecs_call(cloud, "DescribeSecurityGroups", VpcId=other_vpc)["SecurityGroups"]["SecurityGroup"][0][
        "SecurityGroupId"] == sg2
    expect(lambda: ecs_call(cloud, "DeleteSecurityGroup", SecurityGroupId=cloud.sg), "DependencyViolation")
    ecs_call(cloud, "DeleteSecurityGroup", SecurityGroupId=sg2)
    expect(lambda: ecs_call(cloud, "DeleteSecurityGroup", SecurityGroupId=sg2), "InvalidSecurityGroupId.NotFound")


def test_enis(cloud):
    eni = ecs_call(cloud, "CreateNetworkInterface", VSwitchId=cloud.vsw, SecurityGroupId=cloud.sg,
                   PrimaryIpAddress="192.168.9.9")["NetworkInterfaceId"]
    r = ecs_call(cloud, "AssignPrivateIpAddresses", NetworkInterfaceId=eni, SecondaryPrivateIpAddressCount=2)
    assert len(r["AssignedPrivateIpAddressesSet"]["PrivateIpSet"]["PrivateIpAddress"]) == 2
    ecs_call(cloud, "AssignPrivateIpAddresses", NetworkInterfaceId=eni, **{"PrivateIpAddress.1": "192.168.9.10"})
    expect(lambda: ecs_call(cloud, "AssignPrivateIpAddresses", NetworkInterfaceId=eni,
                            **{"PrivateIpAddress.1": "192.168.9.10"}), "InvalidIpAddress.AlreadyUsed")
    ecs_call(cloud, "UnassignPrivateIpAddresses", NetworkInterfaceId=eni, **{"PrivateIpAddress.1": "192.168.9.10"})
    expect(lambda: ecs_call(cloud, "UnassignPrivateIpAddresses", NetworkInterfaceId=eni,
                            **{"PrivateIpAddress.1": "192.168.9.9"}), "InvalidPrivateIpAddress.Mismatch")
    # ecs.g6.large: 2 ENIs including the primary NIC, so only one secondary ENI fits
    expect(lambda: ecs_call(cloud, "AttachNetworkInterface", NetworkInterfaceId=eni, InstanceId=cloud.instances[0]),
           "InvalidOperation.EniCountExceeded")
    ecs_call(cloud, "AttachNetworkInterface", NetworkInterfaceId=eni, InstanceId=cloud.instances[1])
    expect(lambda: ecs_call(cloud, "DeleteNetworkInterface", NetworkInterfaceId=eni), "InvalidOperation.InvalidEniState")
    expect(lambda: ecs_call(cloud, "DeleteInstance", InstanceId=cloud.instances[1], Force=True), "DependencyViolation")
    d = ecs_call(cloud, "DescribeNetworkInterfaces", InstanceId=cloud.instances[1])["NetworkInterfaceSets"][
        "NetworkInterfaceSet"]
    assert d[0]["Status"] == "InUse" and len(d[0]["PrivateIpSets"]["PrivateIpSet"]) == 3
    ecs_call(cloud, "DetachNetworkInterface", NetworkInterfaceId=eni, InstanceId=cloud.instances[1])
    ecs_call(cloud, "DeleteNetworkInterface", NetworkInterfaceId=eni)
    # its addresses are free again
    again = ecs_call(cloud, "CreateNetworkInterface", VSwitchId=cloud.vsw, SecurityGroupId=cloud.sg,
                     PrimaryIpAddress="192.168.9.9")
    assert again["PrimaryIpAddress"] == "192.168.9.9"



def test_eni_created_with_chosen_secondary_addresses(cloud):
    """alicloud_ecs_network_interface.private_ip_addresses arrives as PrivateIpAddress.N on create."""
    r = ecs_call(cloud, "CreateNetworkInterface", VSwitchId=cloud.vsw, SecurityGroupId=cloud.sg,
                 PrimaryIpAddress="192.168.10.1", **{"PrivateIpAddress.1": "192.168.10.2",
                                                     "PrivateIpAddress.2": "192.168.10.3"})
    ips = [(x["PrivateIpAddress"], x["Primary"]) for x in r["PrivateIpSets"]["PrivateIpSet"]]
    assert ips == [("192.168.10.1", True), ("192.168.10.2", False), ("192.168.10.3", False)]
    # taken addresses and the count together are refused, and a refused create takes no address
    expect(lambda: ecs_call(cloud, "CreateNetworkInterface", VSwitchId=cloud.vsw, SecurityGroupId=cloud.sg,
                            **{"PrivateIpAddress.1": "192.168.10.4", "PrivateIpAddress.2": "192.168.10.3"}),
           "InvalidIpAddress.AlreadyUsed")
    expect(lambda: ecs_call(cloud, "CreateNetworkInterface", VSwitchId=cloud.vsw, SecurityGroupId=cloud.sg,
                            SecondaryPrivateIpAddressCount=1, **{"PrivateIpAddress.1": "192.168.10.5"}),
           "InvalidParameter")
    again = ecs_call(cloud, "CreateNetworkInterface", VSwitchId=cloud.vsw, SecurityGroupId=cloud.sg,
                     PrimaryIpAddress="192.168.10.4")
    assert again["PrimaryIpAddress"] == "192.168.10.4"

def test_catalogue(cloud):
    zones = ecs_call(cloud, "DescribeZones")["Zones"]["Zone"]
    selling = [z["ZoneId"] for z in zones if z["AvailableInstanceTypes"]["InstanceTypes"]]
    assert selling == ["cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k"]
    # retired zones are still listed, selling nothing (how the provider sees a retirement)
    assert {z["ZoneId"] for z in zones} - set(selling) == {"cn-hangzhou-b", "cn-hangzhou-e", "cn-hangzhou-f",
                                                            "cn-hangzhou-g"}
    types = ecs_call(cloud, "DescribeInstanceTypes", InstanceTypeFamily="ecs.g6")["InstanceTypes"]["InstanceType"]
    assert "ecs.g6.large" in {t["InstanceTypeId"] for t in types}
    assert ecs_call(cloud, "DescribeImages", ImageId=IMAGE)["Images"]["Image"][0]["OSType"] == "linux"


def test_modify_attributes_and_ecs_tags(cloud):
    vpc_call(cloud, "ModifyVpcAttribute", VpcId=cloud.vpc, VpcName="prod", Description="main")
    v = vpc_call(cloud, "DescribeVpcs", VpcId=cloud.vpc)["Vpcs"]["Vpc"][0]
    assert (v["VpcName"], v["Description"]) == ("prod", "main")
    vpc_call(cloud, "ModifyVSwitchAttribute", VSwitchId=cloud.vsw, VSwitchName="a")
    assert vpc_call(cloud, "DescribeVSwitchAttributes", VSwitchId=cloud.vsw)["VSwitchName"] == "a"
    ecs_call(cloud, "ModifySecurityGroupAttribute", SecurityGroupId=cloud.sg, SecurityGroupName="web")
    assert ecs_call(cloud, "DescribeSecurityGroups")["SecurityGroups"]["SecurityGroup"][0]["SecurityGroupName"] == "web"
    iid = cloud.instances[0]
    ecs_call(cloud, "ModifyInstanceAttribute", InstanceId=iid, InstanceName="box", HostName="box1")
    ecs_call(cloud, "TagResources", ResourceType="instance", **{"ResourceId.1": iid, "Tag.1.Key": "a", "Tag.1.Value": "1",
                                                                "Tag.2.Key": "b", "Tag.2.Value": "2"})
    ecs_call(cloud, "UntagResources", ResourceType="instance", **{"ResourceId.1": iid, "TagKey.1": "a"})
    inst = ecs_call(cloud, "DescribeInstances", InstanceIds=[iid])["Instances"]["Instance"][0]
    assert (inst["InstanceName"], inst["HostName"]) == ("box", "box1")
    assert inst["Tags"] == {"Tag": [{"TagKey": "b", "TagValue": "2"}]}
    expect(lambda: ecs_call(cloud, "TagResources", ResourceType="instance",
                            **{"ResourceId.1": "i-ghost", "Tag.1.Key": "a"}), "InvalidResourceId.NotFound", status=404)
    other_vpc = vpc_call(cloud, "CreateVpc", CidrBlock="172.16.0.0/12")["VpcId"]
    far_sg = ecs_call(cloud, "CreateSecurityGroup", VpcId=other_vpc)["SecurityGroupId"]
    expect(lambda: ecs_call(cloud, "ModifyNetworkInterfaceAttribute", NetworkInterfaceId=cloud.eni,
                            **{"SecurityGroupId.1": far_sg}), "InvalidSecurityGroup.VpcMismatch")


def test_describe_network_interfaces_token_paging(cloud):
    for _ in range(12):
        ecs_call(cloud, "CreateNetworkInterface", VSwitchId=cloud.vsw, SecurityGroupId=cloud.sg)
    seen, token = [], None
    while True:
        kw = {"MaxResults": 10}
        if token:
            kw["NextToken"] = token
        r = ecs_call(cloud, "DescribeNetworkInterfaces", **kw)
        seen += [e["NetworkInterfaceId"] for e in r["NetworkInterfaceSets"]["NetworkInterfaceSet"]]
        token = r["NextToken"]
        if not token:
            break
    assert len(seen) == 13 and len(set(seen)) == 13
