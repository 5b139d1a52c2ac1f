"""Objects around CLB (issue 14 item 2): security group rules, key pairs, EIPs and their
associations, asserted identically in-process and through the official SDK over signed HTTP."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import Failure
from .test_rules import World, fails

PUB = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFgjDddyg4rtemDbAlWgnMfnqHB0dkt/ImGzJIYrGdYt wire-test"


@pytest.fixture
def world(cloud: Any) -> World:
    return World(cloud, instances=1)


def _rule(sg: str, **kw: Any) -> dict[str, Any]:
    return {"SecurityGroupId": sg, "IpProtocol": "tcp", "PortRange": "443/443", "SourceCidrIp": "0.0.0.0/0", **kw}


def _perms(cloud: Any, sg: str, direction: str = "all") -> list[dict]:
    r = cloud.call("DescribeSecurityGroupAttribute", {"SecurityGroupId": sg, "Direction": direction}, "Ecs")
    return r["Permissions"]["Permission"]


def test_security_group_rule_lifecycle(cloud, world):
    cloud.call("AuthorizeSecurityGroup", _rule(world.sg, Description="https"), "Ecs")
    cloud.call("AuthorizeSecurityGroupEgress", {"SecurityGroupId": world.sg, "IpProtocol": "all",
                                                "PortRange": "-1/-1", "DestCidrIp": "10.0.0.0/8",
                                                "Policy": "drop", "Priority": 100}, "Ecs")
    (ing,) = _perms(cloud, world.sg, "ingress")
    assert (ing["IpProtocol"], ing["PortRange"], ing["SourceCidrIp"], ing["Policy"], ing["Priority"],
            ing["NicType"], ing["Description"]) == ("TCP", "443/443", "0.0.0.0/0", "Accept", "1", "intranet", "https")
    assert ing["SecurityGroupRuleId"].startswith("sgr-")
    (eg,) = _perms(cloud, world.sg, "egress")
    assert (eg["IpProtocol"], eg["DestCidrIp"], eg["Policy"], eg["Priority"]) == ("ALL", "10.0.0.0/8", "Drop", "100")
    cloud.call("ModifySecurityGroupRule", _rule(world.sg, Description="web"), "Ecs")
    assert _perms(cloud, world.sg, "ingress")[0]["Description"] == "web"
    egress = {"SecurityGroupId": world.sg, "IpProtocol": "all", "PortRange": "-1/-1", "DestCidrIp": "10.0.0.0/8",
              "Policy": "drop", "Priority": 100}
    cloud.call("ModifySecurityGroupEgressRule", {**egress, "Description": "deny private"}, "Ecs")
    assert _perms(cloud, world.sg, "egress")[0]["Description"] == "deny private"
    assert fails(cloud, "ModifySecurityGroupEgressRule", {**egress, "Priority": 99, "Description": "x"},
                 "Ecs").code == "InvalidSecurityGroupRule.NotFound"
    cloud.call("RevokeSecurityGroup", _rule(world.sg), "Ecs")
    cloud.call("RevokeSecurityGroup", _rule(world.sg), "Ecs")  # already gone: not an error
    cloud.call("RevokeSecurityGroupEgress", {"SecurityGroupId": world.sg, "IpProtocol": "all", "PortRange": "-1/-1",
                                             "DestCidrIp": "10.0.0.0/8", "Policy": "drop", "Priority": 100}, "Ecs")
    assert _perms(cloud, world.sg) == []


def test_security_group_rule_refusals(cloud, world):
    cloud.call("AuthorizeSecurityGroup", _rule(world.sg), "Ecs")
    # the same rule again, even with another description
    assert fails(cloud, "AuthorizeSecurityGroup", _rule(world.sg, Description="again"), "Ecs") == Failure(
        "InvalidPermission.Duplicate", "The specified rule exists already.", 400)
    # another priority or policy is another rule
    cloud.call("AuthorizeSecurityGroup", _rule(world.sg, Priority=2), "Ecs")
    assert fails(cloud, "AuthorizeSecurityGroup", _rule(world.sg, PortRange="-1/-1"), "Ecs").code == \
        "InvalidIpPortRange.Malformed"
    assert fails(cloud, "AuthorizeSecurityGroup", _rule(world.sg, IpProtocol="icmp"), "Ecs").code == \
        "InvalidIpPortRange.Malformed"
    assert fails(cloud, "AuthorizeSecurityGroup", _rule(world.sg, IpProtocol="sctp"), "Ecs").code == \
        "InvalidIpProtocol.Malformed"
    assert fails(cloud, "AuthorizeSecurityGroup", _rule(world.sg, NicType="internet"), "Ecs").code == \
        "InvalidNicType.ValueNotSupported"
    assert fails(cloud, "AuthorizeSecurityGroup", _rule(world.sg, SourceCidrIp="10.0.0.300/8"), "Ecs").code == \
        "InvalidSourceCidrIp.Malformed"
    by_group = {k: v for k, v in _rule(world.sg, SourceGroupId="sg-nope").items() if k != "SourceCidrIp"}
    assert fails(cloud, "AuthorizeSecurityGroup", by_group, "Ecs").code == "InvalidSecurityGroupId.NotFound"


def test_security_group_rule_limit_is_200(cloud, world):
    for port in range(1, 201):
        cloud.call("AuthorizeSecurityGroup", _rule(world.sg, PortRange=f"{port}/{port}"), "Ecs")
    assert fails(cloud, "AuthorizeSecurityGroup", _rule(world.sg, PortRange="999/999"), "Ecs") == Failure(
        "AuthorizationLimitExceed", "The limit of authorization records in the security group reaches.", 400)


def test_group_named_by_another_groups_rule_cannot_be_deleted(cloud, world):
    other = cloud.call("CreateSecurityGroup", {"VpcId": world.vpc}, "Ecs")["SecurityGroupId"]
    cloud.call("AuthorizeSecurityGroup", {"SecurityGroupId": world.sg, "IpProtocol": "tcp", "PortRange": "22/22",
                                          "SourceGroupId": other}, "Ecs")
    assert fails(cloud, "DeleteSecurityGroup", {"SecurityGroupId": other}, "Ecs").code == "DependencyViolation"
    cloud.call("RevokeSecurityGroup", {"SecurityGroupId": world.sg, "IpProtocol": "tcp", "PortRange": "22/22",
                                       "SourceGroupId": other}, "Ecs")
    cloud.call("DeleteSecurityGroup", {"SecurityGroupId": other}, "Ecs")


def test_key_pairs(cloud, world):
    made = cloud.call("CreateKeyPair", {"KeyPairName": "deploy"}, "Ecs")
    assert made["PrivateKeyBody"].startswith("-----BEGIN RSA PRIVATE KEY-----")
    imported = cloud.call("ImportKeyPair", {"KeyPairName": "laptop", "PublicKeyBody": PUB}, "Ecs")
    assert imported["KeyPairName"] == "laptop" and "PrivateKeyBody" not in imported
    assert fails(cloud, "ImportKeyPair", {"KeyPairName": "laptop", "PublicKeyBody": PUB}, "Ecs") == Failure(
        "KeyPair.AlreadyExist", "The key pair already exist.", 400)
    assert fails(cloud, "ImportKeyPair", {"KeyPairName": "bad", "PublicKeyBody": "not a key"}, "Ecs").code == \
        "InvalidPublicKeyBody.Malformed"
    assert fails(cloud, "CreateKeyPair", {"KeyPairName": "1starts-with-digit"}, "Ecs").code == \
        "InvalidKeyPairName.Malformed"
    listed = cloud.call("DescribeKeyPairs", {}, "Ecs")["KeyPairs"]["KeyPair"]
    assert sorted(k["KeyPairName"] for k in listed) == ["deploy", "laptop"]
    # an instance names an existing key pair only
    assert fails(cloud, "RunInstances", {"InstanceType": "ecs.g6.large", "ImageId": "aliyun_3_x64_20G_alibase_20240528.vhd",
                                         "VSwitchId": world.vsw, "SecurityGroupId": world.sg,
                                         "KeyPairName": "missing"}, "Ecs").code == "InvalidKeyPairName.NotFound"
    (iid,) = world.run_instances(1)
    cloud.call("AttachKeyPair", {"KeyPairName": "laptop", "InstanceIds": f'["{iid}"]'}, "Ecs")
    (inst,) = cloud.call("DescribeInstances", {"InstanceIds": f'["{iid}"]'}, "Ecs")["Instances"]["Instance"]
    assert inst["KeyPairName"] == "laptop"
    assert fails(cloud, "AttachKeyPair", {"KeyPairName": "nope", "InstanceIds": f'["{iid}"]'}, "Ecs").code == \
        "InvalidKeyPairName.NotFound"
    cloud.call("DetachKeyPair", {"KeyPairName": "laptop", "InstanceIds": f'["{iid}"]'}, "Ecs")
    (inst,) = cloud.call("DescribeInstances", {"InstanceIds": f'["{iid}"]'}, "Ecs")["Instances"]["Instance"]
    assert inst["KeyPairName"] == ""
    cloud.call("DeleteKeyPairs", {"KeyPairNames": '["deploy", "laptop", "never-existed"]'}, "Ecs")
    assert cloud.call("DescribeKeyPairs", {}, "Ecs")["KeyPairs"]["KeyPair"] == []


def _eip(cloud: Any, **kw: Any) -> str:
    return cloud.call("AllocateEipAddress", {"Bandwidth": 5, **kw}, "Vpc")["AllocationId"]


def _eip_state(cloud: Any, eid: str) -> dict:
    (e,) = cloud.call("DescribeEipAddresses", {"AllocationId": eid}, "Vpc")["EipAddresses"]["EipAddress"]
    return e


def test_eip_bound_to_an_intranet_load_balancer(cloud, world):
    eid = _eip(cloud, Name="web", InternetChargeType="PayByTraffic")
    e = _eip_state(cloud, eid)
    assert (e["Status"], e["Bandwidth"], e["InternetChargeType"], e["Name"]) == ("Available", "5", "PayByTraffic", "web")
    cloud.call("ModifyEipAddressAttribute", {"AllocationId": eid, "Bandwidth": 20, "Description": "lb"}, "Vpc")
    cloud.call("AssociateEipAddress", {"AllocationId": eid, "InstanceId": world.lb, "InstanceType": "SlbInstance"},
               "Vpc")
    e = _eip_state(cloud, eid)
    assert (e["Status"], e["InstanceId"], e["InstanceType"], e["Bandwidth"]) == ("InUse", world.lb, "SlbInstance", "20")
    # one EIP per load balancer; a bound EIP is neither re-bound nor released
    other = _eip(cloud)
    assert fails(cloud, "AssociateEipAddress", {"AllocationId": other, "InstanceId": world.lb,
                                                "InstanceType": "SlbInstance"}, "Vpc").code == \
        "InvalidAssociation.Duplicated"
    assert fails(cloud, "AssociateEipAddress", {"AllocationId": eid, "InstanceId": world.ecs[0]}, "Vpc") == Failure(
        "IncorrectEipStatus", "The current status of the resource does not support this operation.", 400)
    assert fails(cloud, "ReleaseEipAddress", {"AllocationId": eid}, "Vpc").code == "IncorrectEipStatus"
    cloud.call("UnassociateEipAddress", {"AllocationId": eid, "InstanceId": world.lb, "InstanceType": "SlbInstance"},
               "Vpc")
    assert fails(cloud, "UnassociateEipAddress", {"AllocationId": eid, "InstanceId": world.lb}, "Vpc").code == \
        "IncorrectEipStatus"
    cloud.call("ReleaseEipAddress", {"AllocationId": eid}, "Vpc")
    assert fails(cloud, "ReleaseEipAddress", {"AllocationId": eid}, "Vpc") == Failure(
        "InvalidAllocationId.NotFound", "Specified allocation ID is not found", 404)


def test_eip_refuses_an_internet_load_balancer(cloud, world):
    internet = cloud.call("CreateLoadBalancer", {"LoadBalancerName": "pub", "LoadBalancerSpec": "slb.s1.small"})
    eid = _eip(cloud)
    f = fails(cloud, "AssociateEipAddress", {"AllocationId": eid, "InstanceId": internet["LoadBalancerId"],
                                             "InstanceType": "SlbInstance"}, "Vpc")
    assert f.code == "InvalidParameter" and "only an intranet load balancer" in f.message
    # an ECS instance (the default type) takes it; deleting the instance frees the EIP
    cloud.call("AssociateEipAddress", {"AllocationId": eid, "InstanceId": world.ecs[0]}, "Vpc")
    assert _eip_state(cloud, eid)["InstanceType"] == "EcsInstance"
    cloud.call("DeleteInstance", {"InstanceId": world.ecs[0], "Force": "true"}, "Ecs")
    assert _eip_state(cloud, eid)["Status"] == "Available"


def test_eip_deletion_protection_and_limits(cloud, world):
    assert fails(cloud, "AllocateEipAddress", {"Bandwidth": 500}, "Vpc").code == "InvalidBandwidth.Malformed"
    eid = _eip(cloud)
    cloud.call("DeletionProtection", {"Type": "EIP", "InstanceId": eid, "ProtectionEnable": "true"}, "Vpc")
    assert _eip_state(cloud, eid)["DeletionProtection"] is True
    assert fails(cloud, "ReleaseEipAddress", {"AllocationId": eid}, "Vpc").code == "OperationFailed.DeletionProtection"
    cloud.call("DeletionProtection", {"Type": "EIP", "InstanceId": eid, "ProtectionEnable": "false"}, "Vpc")
    cloud.call("ReleaseEipAddress", {"AllocationId": eid}, "Vpc")


def test_vpc_product_tags(cloud, world):
    eid = _eip(cloud)
    for rtype, rid in (("VPC", world.vpc), ("VSWITCH", world.vsw), ("EIP", eid)):
        cloud.call("TagResources", {"ResourceType": rtype, "ResourceId.1": rid, "Tag.1.Key": "env",
                                    "Tag.1.Value": "dev", "Tag.2.Key": "team", "Tag.2.Value": "web"}, "Vpc")
        cloud.call("UnTagResources", {"ResourceType": rtype, "ResourceId.1": rid, "TagKey.1": "team"}, "Vpc")
        rows = cloud.call("ListTagResources", {"ResourceType": rtype, "ResourceId.1": rid}, "Vpc")
        assert [(r["TagKey"], r["TagValue"]) for r in rows["TagResources"]["TagResource"]] == [("env", "dev")]
    (vpc,) = cloud.call("DescribeVpcs", {"VpcId": world.vpc}, "Vpc")["Vpcs"]["Vpc"]
    assert vpc["Tags"]["Tag"] == [{"TagKey": "env", "TagValue": "dev"}]
    assert fails(cloud, "TagResources", {"ResourceType": "ROUTER", "ResourceId.1": world.vpc, "Tag.1.Key": "a",
                                         "Tag.1.Value": "b"}, "Vpc").code == "InvalidResourceType.NotSupported"


def test_instance_security_groups_and_spec_change(cloud, world):
    iid = world.ecs[0]
    other = cloud.call("CreateSecurityGroup", {"VpcId": world.vpc}, "Ecs")["SecurityGroupId"]
    cloud.call("JoinSecurityGroup", {"InstanceId": iid, "SecurityGroupId": other}, "Ecs")
    assert fails(cloud, "JoinSecurityGroup", {"InstanceId": iid, "SecurityGroupId": other}, "Ecs").code == \
        "InvalidInstanceId.AlreadyExists"
    cloud.call("LeaveSecurityGroup", {"InstanceId": iid, "SecurityGroupId": world.sg}, "Ecs")
    assert fails(cloud, "LeaveSecurityGroup", {"InstanceId": iid, "SecurityGroupId": other}, "Ecs") == Failure(
        "InstanceLastSecurityGroup", "The security group is the last one of the instance.", 400)
    # a running pay-as-you-go instance changes type only when stopped
    assert fails(cloud, "ModifyInstanceSpec", {"InstanceId": iid, "InstanceType": "ecs.g6.xlarge"}, "Ecs").code == \
        "IncorrectInstanceStatus"
    cloud.call("StopInstance", {"InstanceId": iid}, "Ecs")
    cloud.call("ModifyInstanceSpec", {"InstanceId": iid, "InstanceType": "ecs.g6.xlarge"}, "Ecs")
    (inst,) = cloud.call("DescribeInstances", {"InstanceIds": f'["{iid}"]'}, "Ecs")["Instances"]["Instance"]
    assert inst["InstanceType"] == "ecs.g6.xlarge" and inst["SecurityGroupIds"]["SecurityGroupId"] == [other]


def test_instance_moved_to_another_vswitch_and_vpc(cloud, world):
    """What `-replace=alicloud_vpc.main` needs from the cloud: a stopped instance changes vSwitch, and
    VPC only with that VPC's security groups (issue 11 item 6)."""
    iid = world.ecs[0]
    same_vpc = cloud.call("CreateVSwitch", {"VpcId": world.vpc, "ZoneId": "cn-hangzhou-h",
                                            "CidrBlock": "172.16.2.0/24"}, "Vpc")["VSwitchId"]
    assert fails(cloud, "ModifyInstanceVpcAttribute", {"InstanceId": iid, "VSwitchId": same_vpc}, "Ecs").code == \
        "IncorrectInstanceStatus"
    cloud.call("StopInstance", {"InstanceId": iid}, "Ecs")
    cloud.call("ModifyInstanceVpcAttribute", {"InstanceId": iid, "VSwitchId": same_vpc}, "Ecs")
    (inst,) = cloud.call("DescribeInstances", {"InstanceIds": f'["{iid}"]'}, "Ecs")["Instances"]["Instance"]
    assert inst["VpcAttributes"]["VSwitchId"] == same_vpc
    assert inst["VpcAttributes"]["PrivateIpAddress"]["IpAddress"][0].startswith("172.16.2.")

    other_vpc = cloud.call("CreateVpc", {"CidrBlock": "10.0.0.0/8"}, "Vpc")["VpcId"]
    other_vsw = cloud.call("CreateVSwitch", {"VpcId": other_vpc, "ZoneId": "cn-hangzhou-h",
                                             "CidrBlock": "10.1.0.0/24"}, "Vpc")["VSwitchId"]
    other_sg = cloud.call("CreateSecurityGroup", {"VpcId": other_vpc}, "Ecs")["SecurityGroupId"]
    # another VPC needs its id and that VPC's groups
    assert fails(cloud, "ModifyInstanceVpcAttribute", {"InstanceId": iid, "VSwitchId": other_vsw}, "Ecs").code == \
        "InvalidParameter"
    assert fails(cloud, "ModifyInstanceVpcAttribute", {"InstanceId": iid, "VSwitchId": other_vsw, "VpcId": other_vpc,
                                                       "SecurityGroupId.1": world.sg}, "Ecs").code == \
        "InvalidSecurityGroup.VpcMismatch"
    cloud.call("ModifyInstanceVpcAttribute", {"InstanceId": iid, "VSwitchId": other_vsw, "VpcId": other_vpc,
                                              "SecurityGroupId.1": other_sg}, "Ecs")
    (inst,) = cloud.call("DescribeInstances", {"InstanceIds": f'["{iid}"]'}, "Ecs")["Instances"]["Instance"]
    assert (inst["VpcAttributes"]["VpcId"], inst["SecurityGroupIds"]["SecurityGroupId"]) == (other_vpc, [other_sg])
