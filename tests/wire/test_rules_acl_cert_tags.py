"""ACLs, server certificates, HTTPS listeners, tags, instance billing changes and VPC/ECS deletes:
success paths and rules, asserted identically in-process and through the SDK over signed HTTP."""

from __future__ import annotations

import json
from typing import Any

import pytest

from .conftest import Failure
from .test_rules import World, fails

CERT = "-----BEGIN CERTIFICATE-----\nMIIBszCCAVmgAwIBAgIUZW11bGF0b3I=\n-----END CERTIFICATE-----\n"
KEY = "-----BEGIN RSA PRIVATE KEY-----\nMIIEpAIBAAKCAQEAemulator+/=\n-----END RSA PRIVATE KEY-----\n"


@pytest.fixture
def world(cloud: Any) -> World:
    return World(cloud, instances=1)


def _acl(cloud: Any, name: str = "office") -> str:
    return cloud.call("CreateAccessControlList", {"AclName": name})["AclId"]


def _entries(*cidrs: str) -> str:
    return json.dumps([{"entry": c, "comment": f"net {i}"} for i, c in enumerate(cidrs)])


def test_acl_lifecycle(cloud, world):
    acl = _acl(cloud)
    cloud.call("AddAccessControlListEntry", {"AclId": acl, "AclEntrys": _entries("10.0.0.0/8", "192.168.1.1/32")})
    cloud.call("SetAccessControlListAttribute", {"AclId": acl, "AclName": "office-2"})
    attr = cloud.call("DescribeAccessControlListAttribute", {"AclId": acl})
    assert attr["AclName"] == "office-2"
    assert sorted(e["AclEntryIP"] for e in attr["AclEntrys"]["AclEntry"]) == ["10.0.0.0/8", "192.168.1.1/32"]
    cloud.call("RemoveAccessControlListEntry", {"AclId": acl, "AclEntrys": _entries("10.0.0.0/8")})
    attr = cloud.call("DescribeAccessControlListAttribute", {"AclId": acl})
    assert [e["AclEntryIP"] for e in attr["AclEntrys"]["AclEntry"]] == ["192.168.1.1/32"]
    listed = cloud.call("DescribeAccessControlLists", {})
    assert [a["AclId"] for a in listed["Acls"]["Acl"]] == [acl]
    cloud.call("DeleteAccessControlList", {"AclId": acl})
    assert fails(cloud, "DescribeAccessControlListAttribute", {"AclId": acl}) == Failure(
        "AclNotExist", "Acl does not exist.", 400)


def test_acl_bound_to_a_listener_cannot_be_deleted(cloud, world):
    acl = _acl(cloud)
    world.listener("tcp", 80, BackendServerPort=80, AclStatus="on", AclType="white", AclId=acl)
    assert fails(cloud, "DeleteAccessControlList", {"AclId": acl}) == Failure(
        "OperationFailed.AclBindedWithVip", "The ACL has binded with vip.", 400)
    attr = cloud.call("DescribeAccessControlListAttribute", {"AclId": acl})
    assert len(attr["RelatedListeners"]["RelatedListener"]) == 1


def test_acl_entry_rules(cloud, world):
    acl = _acl(cloud)
    assert fails(cloud, "RemoveAccessControlListEntry", {"AclId": acl, "AclEntrys": _entries("10.0.0.0/8")}) == \
        Failure("AclEntryEmpty", "Acl does not have any entry.", 400)
    cloud.call("AddAccessControlListEntry", {"AclId": acl, "AclEntrys": _entries("10.0.0.0/8")})
    assert fails(cloud, "AddAccessControlListEntry", {"AclId": acl, "AclEntrys": _entries("10.0.0.0/8")}) == \
        Failure("InvalidParam.AclEntryExists", "The specified aclEntry already exists in the acl.", 400)


def test_unknown_acl_on_a_listener(cloud, world):
    f = fails(cloud, "CreateLoadBalancerTCPListener", {"LoadBalancerId": world.lb, "ListenerPort": 80,
                                                       "BackendServerPort": 80, "Bandwidth": -1,
                                                       "AclStatus": "on", "AclType": "white",
                                                       "AclId": "acl-doesnotexist"})
    assert f == Failure("AclNotExist", "Acl does not exist.", 400)


def test_certificate_and_https_listener(cloud, world):
    cert = cloud.call("UploadServerCertificate", {"ServerCertificate": CERT, "PrivateKey": KEY,
                                                  "ServerCertificateName": "site"})["ServerCertificateId"]
    cloud.call("SetServerCertificateName", {"ServerCertificateId": cert, "ServerCertificateName": "site-2"})
    listed = cloud.call("DescribeServerCertificates", {"ServerCertificateId": cert})
    assert listed["ServerCertificates"]["ServerCertificate"][0]["ServerCertificateName"] == "site-2"
    world.listener("https", 443, BackendServerPort=80, ServerCertificateId=cert)
    cloud.call("SetLoadBalancerHTTPSListenerAttribute", {"LoadBalancerId": world.lb, "ListenerPort": 443,
                                                         "StickySession": "off", "HealthCheck": "off",
                                                         "Gzip": "off"})
    attr = cloud.call("DescribeLoadBalancerHTTPSListenerAttribute", {"LoadBalancerId": world.lb,
                                                                      "ListenerPort": 443})
    assert attr["ServerCertificateId"] == cert and attr["Gzip"] == "off"
    assert fails(cloud, "DeleteServerCertificate", {"ServerCertificateId": cert}) == Failure(
        "CertificateAndPrivateKeyIsRefered", "The specified certificate is bound to listeners. You cannot delete it.",
        400)
    cloud.call("DeleteLoadBalancerListener", {"LoadBalancerId": world.lb, "ListenerPort": 443})
    cloud.call("DeleteServerCertificate", {"ServerCertificateId": cert})


def test_https_listener_with_unknown_certificate(cloud, world):
    f = fails(cloud, "CreateLoadBalancerHTTPSListener", {"LoadBalancerId": world.lb, "ListenerPort": 443,
                                                         "BackendServerPort": 80, "Bandwidth": -1,
                                                         "StickySession": "off", "HealthCheck": "off",
                                                         "ServerCertificateId": "123_abc_cn-hangzhou"})
    assert f == Failure("CertificateNotExist", "The specified CertificateId does not exist.", 400)


def test_tags_new_and_legacy_apis(cloud, world):
    cloud.call("TagResources", {"ResourceType": "instance", "ResourceId.1": world.lb,
                                "Tag.1.Key": "env", "Tag.1.Value": "prod", "Tag.2.Key": "team", "Tag.2.Value": "web"})
    listed = cloud.call("ListTagResources", {"ResourceType": "instance", "ResourceId.1": world.lb})
    pairs = sorted((t["TagKey"], t["TagValue"]) for t in listed["TagResources"]["TagResource"])
    assert pairs == [("env", "prod"), ("team", "web")]
    cloud.call("UntagResources", {"ResourceType": "instance", "ResourceId.1": world.lb, "TagKey.1": "team"})
    listed = cloud.call("ListTagResources", {"ResourceType": "instance", "ResourceId.1": world.lb})
    assert [t["TagKey"] for t in listed["TagResources"]["TagResource"]] == ["env"]
    cloud.call("AddTags", {"LoadBalancerId": world.lb, "Tags": json.dumps([{"TagKey": "tier", "TagValue": "1"}])})
    described = cloud.call("DescribeTags", {"LoadBalancerId": world.lb})
    assert ("tier", "1") in {(t["TagKey"], t["TagValue"]) for t in described["TagSets"]["TagSet"]}
    cloud.call("RemoveTags", {"LoadBalancerId": world.lb, "Tags": json.dumps([{"TagKey": "tier", "TagValue": "1"}])})
    described = cloud.call("DescribeTags", {"LoadBalancerId": world.lb})
    assert "tier" not in {t["TagKey"] for t in described["TagSets"]["TagSet"]}


def test_tag_call_without_resource_or_tag(cloud, world):
    assert fails(cloud, "ListTagResources", {"ResourceType": "instance"}) == Failure(
        "MissingParam.TagOrResourceId", "The parameter Tag or ResourceId is required at least one.", 400)
    assert fails(cloud, "TagResources", {"ResourceType": "bucket", "ResourceId.1": world.lb, "Tag.1.Key": "a",
                                         "Tag.1.Value": "b"}) == Failure(
        "InvalidParam.ResourceType", "The specified ResourceType is invalid.", 400)


def test_instance_billing_changes(cloud, world):
    internet = cloud.call("CreateLoadBalancer", {"LoadBalancerName": "pub", "LoadBalancerSpec": "slb.s1.small",
                                                 "AddressType": "internet"})["LoadBalancerId"]
    cloud.call("ModifyLoadBalancerInternetSpec", {"LoadBalancerId": internet, "InternetChargeType": "paybybandwidth",
                                                  "Bandwidth": 10})
    attr = cloud.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": internet})
    assert attr["InternetChargeType"] == "paybybandwidth" and int(attr["Bandwidth"]) == 10
    cloud.call("ModifyLoadBalancerPayType", {"LoadBalancerId": internet, "PayType": "PrePay"})
    assert cloud.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": internet})["PayType"] == "PrePay"
    cloud.call("ModifyLoadBalancerInstanceChargeType", {"LoadBalancerId": world.lb, "InstanceChargeType": "PayByCLCU"})
    assert cloud.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": world.lb})["InstanceChargeType"] == \
        "PayByCLCU"
    f = fails(cloud, "ModifyLoadBalancerInstanceSpec", {"LoadBalancerId": world.lb, "LoadBalancerSpec": "slb.s2.small"})
    assert (f.code, f.status) == ("OperationDenied.PayByCLCU", 400)


def test_vpc_and_ecs_teardown_order(cloud, world):
    assert fails(cloud, "DeleteVpc", {"VpcId": world.vpc}, "Vpc") == Failure(
        "DependencyViolation", "Specified object has dependent resources.", 400)
    eni = cloud.call("CreateNetworkInterface", {"VSwitchId": world.vsw, "SecurityGroupId": world.sg,
                                                "SecondaryPrivateIpAddressCount": 1}, "Ecs")["NetworkInterfaceId"]
    assigned = cloud.call("AssignPrivateIpAddresses", {"NetworkInterfaceId": eni, "SecondaryPrivateIpAddressCount": 1},
                          "Ecs")
    ips = assigned["AssignedPrivateIpAddressesSet"]["PrivateIpSet"]["PrivateIpAddress"]
    cloud.call("UnassignPrivateIpAddresses", {"NetworkInterfaceId": eni, "PrivateIpAddress.1": ips[0]}, "Ecs")
    cloud.call("AttachNetworkInterface", {"NetworkInterfaceId": eni, "InstanceId": world.ecs[0]}, "Ecs")
    cloud.call("DetachNetworkInterface", {"NetworkInterfaceId": eni, "InstanceId": world.ecs[0]}, "Ecs")
    cloud.call("DeleteNetworkInterface", {"NetworkInterfaceId": eni}, "Ecs")
    stopped = cloud.call("CreateInstance", {"InstanceType": "ecs.g6.large",
                                            "ImageId": "aliyun_3_x64_20G_alibase_20240528.vhd",
                                            "VSwitchId": world.vsw, "SecurityGroupId": world.sg}, "Ecs")["InstanceId"]
    assert cloud.call("DescribeInstanceTypes", {}, "Ecs")["InstanceTypes"]["InstanceType"]
    assert cloud.call("DescribeImages", {}, "Ecs")["Images"]["Image"]
    assert cloud.call("DescribeSecurityGroups", {"VpcId": world.vpc}, "Ecs")["SecurityGroups"]["SecurityGroup"]
    cloud.call("DeleteLoadBalancer", {"LoadBalancerId": world.lb})
    cloud.call("DeleteInstance", {"InstanceId": stopped}, "Ecs")
    cloud.call("DeleteInstance", {"InstanceId": world.ecs[0], "Force": "true"}, "Ecs")
    cloud.call("DeleteSecurityGroup", {"SecurityGroupId": world.sg}, "Ecs")
    cloud.call("DeleteVSwitch", {"VSwitchId": world.vsw}, "Vpc")
    cloud.call("DeleteVpc", {"VpcId": world.vpc}, "Vpc")
    assert cloud.call("DescribeVpcs", {}, "Vpc")["Vpcs"]["Vpc"] == []


def test_vpc_and_ecs_renames(cloud, world):
    """The attribute updates the provider issues for a name/description change, read back as written."""
    cloud.call("ModifyVpcAttribute", {"VpcId": world.vpc, "VpcName": "renamed-vpc", "Description": "d1"}, "Vpc")
    vpc = cloud.call("DescribeVpcs", {"VpcId": world.vpc}, "Vpc")["Vpcs"]["Vpc"][0]
    assert (vpc["VpcName"], vpc["Description"]) == ("renamed-vpc", "d1")
    cloud.call("ModifyVSwitchAttribute", {"VSwitchId": world.vsw, "VSwitchName": "renamed-vsw"}, "Vpc")
    vsw = cloud.call("DescribeVSwitches", {"VpcId": world.vpc}, "Vpc")["VSwitches"]["VSwitch"][0]
    assert vsw["VSwitchName"] == "renamed-vsw"
    cloud.call("ModifySecurityGroupAttribute", {"SecurityGroupId": world.sg, "SecurityGroupName": "web-sg"}, "Ecs")
    sg = cloud.call("DescribeSecurityGroups", {"VpcId": world.vpc}, "Ecs")["SecurityGroups"]["SecurityGroup"][0]
    assert sg["SecurityGroupName"] == "web-sg"
    cloud.call("ModifyInstanceAttribute", {"InstanceId": world.ecs[0], "InstanceName": "web-1"}, "Ecs")
    inst = cloud.call("DescribeInstances", {"VpcId": world.vpc}, "Ecs")["Instances"]["Instance"][0]
    assert inst["InstanceName"] == "web-1"
    eni = cloud.call("CreateNetworkInterface", {"VSwitchId": world.vsw, "SecurityGroupId": world.sg},
                     "Ecs")["NetworkInterfaceId"]
    cloud.call("ModifyNetworkInterfaceAttribute", {"NetworkInterfaceId": eni, "NetworkInterfaceName": "eni-web"},
               "Ecs")
    enis = cloud.call("DescribeNetworkInterfaces", {"VpcId": world.vpc}, "Ecs")
    assert [e["NetworkInterfaceName"] for e in enis["NetworkInterfaceSets"]["NetworkInterfaceSet"]] == ["eni-web"]


def test_renaming_a_missing_vpc_is_not_found(cloud, world):
    f = fails(cloud, "ModifyVpcAttribute", {"VpcId": "vpc-missing", "VpcName": "x"}, "Vpc")
    assert (f.code, f.status) == ("InvalidVpcId.NotFound", 404)
