"""One pass through every implemented action (success path), checking each CLB response against
the official SDK's response model: every field we return must be one the SDK knows, so a typo
or a wrong nesting shows up here rather than as a silently dropped field in the provider."""

from __future__ import annotations

import json
from typing import Any

import alibabacloud_slb20140515.models as slb_models

from planner.emulator import Emulator

from .conftest import IMAGE, build_network

# Fields we return on purpose that the SDK 3.3.31 models do not declare.
EXTRA_OK = {
    ("DescribeLoadBalancerAttribute", "InternetChargeTypeAlias"),
    ("DescribeServerCertificates", "ServerCertificates.ServerCertificate[].Tags"),
}


def unknown_fields(ours: Any, roundtrip: Any, path: str = "") -> list[str]:
    out: list[str] = []
    if isinstance(ours, dict):
        if not isinstance(roundtrip, dict):
            return [path or "<root>"]
        for k, v in ours.items():
            p = f"{path}.{k}" if path else k
            if k not in roundtrip:
                out.append(p)
            else:
                out += unknown_fields(v, roundtrip[k], p)
    elif isinstance(ours, list):
        if not isinstance(roundtrip, list) or len(roundtrip) != len(ours):
            return [path]
        for a, b in zip(ours, roundtrip, strict=True):
            out += unknown_fields(a, b, path + "[]")
    return out


class Tour:
    def __init__(self, emu: Emulator):
        self.emu = emu
        self.called: set[tuple[str, str]] = set()
        self.shape_problems: list[str] = []

    def __call__(self, product: str, action: str, **params: Any) -> dict:
        r = self.emu.call(product, action, params)
        assert r["RequestId"]
        self.called.add((product, action))
        if product == "Slb":
            model = getattr(slb_models, f"{action}ResponseBody", None)
            assert model is not None, action
            rt = model().from_map(dict(r)).to_map()
            self.shape_problems += [f"{action}: {f}" for f in unknown_fields(r, rt) if (action, f) not in EXTRA_OK]
        return r


def test_every_action_once_with_sdk_shapes():
    emu = Emulator()
    net = build_network(emu)
    t = Tour(emu)
    # --- VPC / ECS ------------------------------------------------------------------------
    vpc = t("Vpc", "CreateVpc", CidrBlock="10.0.0.0/8", VpcName="v")["VpcId"]
    t("Vpc", "DescribeVpcs", VpcId=vpc)
    vsw = t("Vpc", "CreateVSwitch", VpcId=vpc, ZoneId="cn-hangzhou-j", CidrBlock="10.1.0.0/24")["VSwitchId"]
    t("Vpc", "DescribeVSwitches", VpcId=vpc)
    t("Vpc", "DescribeVSwitchAttributes", VSwitchId=vsw)
    sg = t("Ecs", "CreateSecurityGroup", VpcId=vpc)["SecurityGroupId"]
    t("Ecs", "DescribeSecurityGroups", VpcId=vpc)
    t("Ecs", "DescribeZones")
    t("Ecs", "DescribeInstanceTypes")
    t("Ecs", "DescribeImages")
    t("Ecs", "DescribeRegions")
    t("Ecs", "DescribeAvailableResource", DestinationResource="InstanceType", Cores=1, Memory=2)
    t("Ecs", "DescribeInstanceTypeFamilies")
    t("Slb", "DescribeAvailableResource", AddressType="vpc")
    iid = t("Ecs", "CreateInstance", VSwitchId=vsw, SecurityGroupId=sg, ImageId=IMAGE,
            InstanceType="ecs.g6.large")["InstanceId"]
    t("Ecs", "StartInstance", InstanceId=iid)
    run = t("Ecs", "RunInstances", VSwitchId=vsw, SecurityGroupId=sg, ImageId=IMAGE, InstanceType="ecs.g6.xlarge")
    other = run["InstanceIdSets"]["InstanceIdSet"][0]
    t("Ecs", "DescribeInstances", VpcId=vpc)
    t("Ecs", "ModifyInstanceAttribute", InstanceId=other, InstanceName="web", Description="d")
    vsw_b = t("Vpc", "CreateVSwitch", VpcId=vpc, ZoneId="cn-hangzhou-j", CidrBlock="10.2.0.0/24")["VSwitchId"]
    t("Ecs", "StopInstance", InstanceId=other)
    t("Ecs", "ModifyInstanceVpcAttribute", InstanceId=other, VSwitchId=vsw_b, VpcId=vpc, **{"SecurityGroupId.1": sg})
    t("Ecs", "ModifyInstanceVpcAttribute", InstanceId=other, VSwitchId=vsw)
    t("Vpc", "DeleteVSwitch", VSwitchId=vsw_b)
    t("Ecs", "StartInstance", InstanceId=other)
    t("Ecs", "TagResources", ResourceType="instance", **{"ResourceId.1": other, "Tag.1.Key": "k", "Tag.1.Value": "v"})
    t("Ecs", "ListTagResources", ResourceType="instance", **{"ResourceId.1": other})
    t("Ecs", "UntagResources", ResourceType="instance", All=True, **{"ResourceId.1": other})
    t("Ecs", "ModifySecurityGroupAttribute", SecurityGroupId=sg, SecurityGroupName="sg2")
    sg2 = t("Ecs", "CreateSecurityGroup", VpcId=vpc)["SecurityGroupId"]
    t("Ecs", "JoinSecurityGroup", InstanceId=iid, SecurityGroupId=sg2)
    t("Ecs", "LeaveSecurityGroup", InstanceId=iid, SecurityGroupId=sg2)
    t("Ecs", "DeleteSecurityGroup", SecurityGroupId=sg2)
    t("Ecs", "ModifyInstanceSpec", InstanceId=iid, InternetMaxBandwidthOut=5)
    rule = {"SecurityGroupId": sg, "IpProtocol": "tcp", "PortRange": "443/443"}
    t("Ecs", "AuthorizeSecurityGroup", SourceCidrIp="0.0.0.0/0", **rule)
    t("Ecs", "AuthorizeSecurityGroupEgress", DestCidrIp="10.0.0.0/8", **rule)
    t("Ecs", "ModifySecurityGroupRule", SourceCidrIp="0.0.0.0/0", Description="https", **rule)
    t("Ecs", "ModifySecurityGroupEgressRule", DestCidrIp="10.0.0.0/8", Description="out", **rule)
    t("Ecs", "DescribeSecurityGroupAttribute", SecurityGroupId=sg)
    t("Ecs", "RevokeSecurityGroup", SourceCidrIp="0.0.0.0/0", **rule)
    t("Ecs", "RevokeSecurityGroupEgress", DestCidrIp="10.0.0.0/8", **rule)
    t("Ecs", "CreateKeyPair", KeyPairName="tour-made")
    t("Ecs", "ImportKeyPair", KeyPairName="tour-imported", PublicKeyBody="ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIFgjDddyg4rtemDbAlWgnMfnqHB0dkt/ImGzJIYrGdYt tour")
    t("Ecs", "DescribeKeyPairs", KeyPairName="tour-*")
    t("Ecs", "AttachKeyPair", KeyPairName="tour-made", InstanceIds=json.dumps([other]))
    t("Ecs", "DetachKeyPair", KeyPairName="tour-made", InstanceIds=json.dumps([other]))
    t("Ecs", "DeleteKeyPairs", KeyPairNames='["tour-made", "tour-imported"]')
    t("Vpc", "ModifyVpcAttribute", VpcId=vpc, VpcName="v2")
    t("Vpc", "ModifyVSwitchAttribute", VSwitchId=vsw, VSwitchName="s2")
    eni = t("Ecs", "CreateNetworkInterface", VSwitchId=vsw, SecurityGroupId=sg)["NetworkInterfaceId"]
    ips = t("Ecs", "AssignPrivateIpAddresses", NetworkInterfaceId=eni, SecondaryPrivateIpAddressCount=1)
    t("Ecs", "UnassignPrivateIpAddresses", NetworkInterfaceId=eni,
      **{"PrivateIpAddress.1": ips["AssignedPrivateIpAddressesSet"]["PrivateIpSet"]["PrivateIpAddress"][0]})
    t("Ecs", "ModifyNetworkInterfaceAttribute", NetworkInterfaceId=eni, NetworkInterfaceName="n",
      **{"SecurityGroupId.1": sg})
    t("Ecs", "AttachNetworkInterface", NetworkInterfaceId=eni, InstanceId=other)
    t("Ecs", "DescribeNetworkInterfaces", InstanceId=other)
    t("Ecs", "DetachNetworkInterface", NetworkInterfaceId=eni, InstanceId=other)
    t("Ecs", "DeleteNetworkInterface", NetworkInterfaceId=eni)
    t("Ecs", "StopInstance", InstanceId=iid)
    t("Ecs", "DeleteInstance", InstanceId=iid)
    t("Ecs", "DeleteInstance", InstanceId=other, Force=True)
    t("Ecs", "DeleteSecurityGroup", SecurityGroupId=sg)
    t("Vpc", "DeleteVSwitch", VSwitchId=vsw)
    t("Vpc", "DeleteVpc", VpcId=vpc)

    # --- CLB -----------------------------------------------------------------------------
    a, b = net.instances[:2]
    t("Slb", "DescribeZones")
    t("Slb", "DescribeRegions")
    lb = t("Slb", "CreateLoadBalancer", VSwitchId=net.vsw, LoadBalancerSpec="slb.s1.small",
           LoadBalancerName="tour")["LoadBalancerId"]
    inet = t("Slb", "CreateLoadBalancer", LoadBalancerSpec="slb.s1.small")["LoadBalancerId"]
    eip = t("Vpc", "AllocateEipAddress", Bandwidth=5, Name="tour")["AllocationId"]
    t("Vpc", "ModifyEipAddressAttribute", AllocationId=eip, Bandwidth=10)
    t("Vpc", "DeletionProtection", Type="EIP", InstanceId=eip, ProtectionEnable="false")
    t("Vpc", "AssociateEipAddress", AllocationId=eip, InstanceId=lb, InstanceType="SlbInstance")
    t("Vpc", "DescribeEipAddresses", AllocationId=eip)
    t("Vpc", "UnassociateEipAddress", AllocationId=eip, InstanceId=lb, InstanceType="SlbInstance")
    t("Vpc", "TagResources", ResourceType="EIP", **{"ResourceId.1": eip, "Tag.1.Key": "k", "Tag.1.Value": "v"})
    t("Vpc", "ListTagResources", ResourceType="EIP", **{"ResourceId.1": eip})
    t("Vpc", "UnTagResources", ResourceType="EIP", All=True, **{"ResourceId.1": eip})
    t("Vpc", "ReleaseEipAddress", AllocationId=eip)
    t("Slb", "DescribeLoadBalancers")
    t("Slb", "SetLoadBalancerName", LoadBalancerId=lb, LoadBalancerName="tour2")
    t("Slb", "SetLoadBalancerStatus", LoadBalancerId=lb, LoadBalancerStatus="active")
    t("Slb", "SetLoadBalancerDeleteProtection", LoadBalancerId=lb, DeleteProtection="on")
    t("Slb", "SetLoadBalancerModificationProtection", LoadBalancerId=lb,
      ModificationProtectionStatus="ConsoleProtection", ModificationProtectionReason="tour")
    t("Slb", "ModifyLoadBalancerInstanceSpec", LoadBalancerId=lb, LoadBalancerSpec="slb.s2.small")
    t("Slb", "ModifyLoadBalancerInternetSpec", LoadBalancerId=inet, InternetChargeType="paybybandwidth", Bandwidth=50)
    t("Slb", "ModifyLoadBalancerPayType", LoadBalancerId=inet, PayType="PrePay")
    clcu = t("Slb", "CreateLoadBalancer", LoadBalancerSpec="slb.s1.small")["LoadBalancerId"]
    t("Slb", "ModifyLoadBalancerInstanceChargeType", LoadBalancerId=clcu, InstanceChargeType="PayByCLCU")

    servers = json.dumps([{"ServerId": a, "Port": 80, "Weight": 100}, {"ServerId": b, "Port": 80, "Weight": 50}])
    g = t("Slb", "CreateVServerGroup", LoadBalancerId=lb, VServerGroupName="g", BackendServers=servers)["VServerGroupId"]
    g2 = t("Slb", "CreateVServerGroup", LoadBalancerId=lb, VServerGroupName="g2")["VServerGroupId"]
    t("Slb", "AddVServerGroupBackendServers", VServerGroupId=g2,
      BackendServers=json.dumps([{"ServerId": a, "Port": 81}]))
    t("Slb", "SetVServerGroupAttribute", VServerGroupId=g2, BackendServers=json.dumps([{"ServerId": a, "Port": 81,
                                                                                       "Weight": 5}]))
    t("Slb", "ModifyVServerGroupBackendServers", VServerGroupId=g2,
      OldBackendServers=json.dumps([{"ServerId": a, "Port": 81}]), NewBackendServers=json.dumps([{"ServerId": b,
                                                                                                  "Port": 82}]))
    t("Slb", "RemoveVServerGroupBackendServers", VServerGroupId=g2, BackendServers=json.dumps([{"ServerId": b,
                                                                                               "Port": 82}]))
    t("Slb", "DescribeVServerGroupAttribute", VServerGroupId=g)
    ms = t("Slb", "CreateMasterSlaveServerGroup", LoadBalancerId=lb, MasterSlaveServerGroupName="ms",
           MasterSlaveBackendServers=json.dumps([{"ServerId": a, "Port": 90, "ServerType": "Master"},
                                                 {"ServerId": b, "Port": 90, "ServerType": "Slave"}]))
    msid = ms["MasterSlaveServerGroupId"]
    t("Slb", "DescribeMasterSlaveServerGroupAttribute", MasterSlaveServerGroupId=msid)
    t("Slb", "AddBackendServers", LoadBalancerId=lb, BackendServers=json.dumps([{"ServerId": a}, {"ServerId": b}]))
    t("Slb", "SetBackendServers", LoadBalancerId=lb, BackendServers=json.dumps([{"ServerId": a, "Weight": 10}]))
    t("Slb", "RemoveBackendServers", LoadBalancerId=lb, BackendServers=json.dumps([{"ServerId": b}]))

    acl = t("Slb", "CreateAccessControlList", AclName="tour-acl")["AclId"]
    t("Slb", "AddAccessControlListEntry", AclId=acl, AclEntrys=json.dumps([{"entry": "10.0.0.0/8", "comment": "c"},
                                                                          {"entry": "11.0.0.0/8"}]))
    t("Slb", "RemoveAccessControlListEntry", AclId=acl, AclEntrys=json.dumps([{"entry": "11.0.0.0/8"}]))
    t("Slb", "SetAccessControlListAttribute", AclId=acl, AclName="tour-acl-2")
    t("Slb", "DescribeAccessControlLists")
    cert = t("Slb", "UploadServerCertificate", ServerCertificateName="tourcert",
             ServerCertificate="-----BEGIN CERTIFICATE-----\nx\n-----END CERTIFICATE-----",
             PrivateKey="-----BEGIN RSA PRIVATE KEY-----\nx\n-----END RSA PRIVATE KEY-----")["ServerCertificateId"]
    t("Slb", "SetServerCertificateName", ServerCertificateId=cert, ServerCertificateName="tourcert2")
    t("Slb", "DescribeServerCertificates")

    t("Slb", "CreateLoadBalancerTCPListener", LoadBalancerId=lb, ListenerPort=80, Bandwidth=-1, VServerGroupId=g,
      AclStatus="on", AclType="white", AclId=acl, Description="tcp80")
    t("Slb", "CreateLoadBalancerUDPListener", LoadBalancerId=lb, ListenerPort=53, Bandwidth=-1,
      MasterSlaveServerGroupId=msid)
    t("Slb", "CreateLoadBalancerHTTPSListener", LoadBalancerId=lb, ListenerPort=443, Bandwidth=-1,
      StickySession="on", StickySessionType="insert", CookieTimeout=100, HealthCheck="on", VServerGroupId=g,
      ServerCertificateId=cert)
    t("Slb", "CreateLoadBalancerHTTPListener", LoadBalancerId=lb, ListenerPort=8080, StickySession="off",
      HealthCheck="on", BackendServerPort=8080)
    t("Slb", "CreateLoadBalancerHTTPListener", LoadBalancerId=lb, ListenerPort=81, StickySession="off",
      HealthCheck="off", ListenerForward="on", ForwardPort=443)
    for port in (80, 53, 443, 8080):
        t("Slb", "StartLoadBalancerListener", LoadBalancerId=lb, ListenerPort=port)
    t("Slb", "StopLoadBalancerListener", LoadBalancerId=lb, ListenerPort=53)
    t("Slb", "SetLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80, Scheduler="rr")
    t("Slb", "SetLoadBalancerUDPListenerAttribute", LoadBalancerId=lb, ListenerPort=53, HealthCheckSwitch="off")
    t("Slb", "SetLoadBalancerHTTPListenerAttribute", LoadBalancerId=lb, ListenerPort=8080, Gzip="off")
    t("Slb", "SetLoadBalancerHTTPSListenerAttribute", LoadBalancerId=lb, ListenerPort=443, EnableHttp2="off")
    rules = t("Slb", "CreateRules", LoadBalancerId=lb, ListenerPort=443, RuleList=json.dumps(
        [{"RuleName": "r1", "Domain": "a.example.com", "Url": "/a", "VServerGroupId": g2},
         {"RuleName": "r2", "Url": "/b", "VServerGroupId": g}]))["Rules"]["Rule"]
    t("Slb", "SetRule", RuleId=rules[0]["RuleId"], ListenerSync="off", Scheduler="wrr", HealthCheck="off",
      StickySession="off")
    t("Slb", "DescribeRules", LoadBalancerId=lb, ListenerPort=443)
    t("Slb", "DescribeRuleAttribute", RuleId=rules[0]["RuleId"])
    t("Slb", "DescribeLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80)
    t("Slb", "DescribeLoadBalancerUDPListenerAttribute", LoadBalancerId=lb, ListenerPort=53)
    t("Slb", "DescribeLoadBalancerHTTPListenerAttribute", LoadBalancerId=lb, ListenerPort=8080)
    t("Slb", "DescribeLoadBalancerHTTPSListenerAttribute", LoadBalancerId=lb, ListenerPort=443)
    t("Slb", "DescribeLoadBalancerListeners", **{"LoadBalancerId.1": lb})
    t("Slb", "DescribeLoadBalancerAttribute", LoadBalancerId=lb)
    t("Slb", "DescribeHealthStatus", LoadBalancerId=lb)
    t("Slb", "DescribeVServerGroups", LoadBalancerId=lb, IncludeRule=True, IncludeListener=True)
    t("Slb", "DescribeMasterSlaveServerGroups", LoadBalancerId=lb, IncludeListener=True)
    t("Slb", "DescribeAccessControlListAttribute", AclId=acl)

    t("Slb", "TagResources", ResourceType="instance", **{"ResourceId.1": lb, "Tag.1.Key": "k", "Tag.1.Value": "v"})
    t("Slb", "ListTagResources", ResourceType="instance", **{"ResourceId.1": lb})
    t("Slb", "UntagResources", ResourceType="instance", **{"ResourceId.1": lb, "TagKey.1": "k"})
    t("Slb", "AddTags", LoadBalancerId=lb, Tags=json.dumps([{"TagKey": "a", "TagValue": "b"}]))
    t("Slb", "DescribeTags", LoadBalancerId=lb)
    t("Slb", "RemoveTags", LoadBalancerId=lb, Tags=json.dumps([{"TagKey": "a", "TagValue": "b"}]))

    # HTTPS objects beside the listener: CA certificate, domain extension, custom TLS policy
    ca = t("Slb", "UploadCACertificate", CACertificateName="tourca",
           CACertificate="-----BEGIN CERTIFICATE-----\nca\n-----END CERTIFICATE-----")["CACertificateId"]
    t("Slb", "SetCACertificateName", CACertificateId=ca, CACertificateName="tourca2")
    t("Slb", "DescribeCACertificates", CACertificateId=ca)
    policy = t("Slb", "CreateTLSCipherPolicy", Name="tour-policy", **{"TLSVersions.1": "TLSv1.2",
                                                                       "Ciphers.1": "AES128-GCM-SHA256"})
    policy = policy["TLSCipherPolicyId"]
    t("Slb", "SetTLSCipherPolicyAttribute", TLSCipherPolicyId=policy, Name="tour-policy-2")
    t("Slb", "SetLoadBalancerHTTPSListenerAttribute", LoadBalancerId=lb, ListenerPort=443, CACertificateId=ca,
      TLSCipherPolicy=policy)
    t("Slb", "ListTLSCipherPolicies", IncludeListener="true")
    de = t("Slb", "CreateDomainExtension", LoadBalancerId=lb, ListenerPort=443, Domain="*.example.com",
           ServerCertificateId=cert)["DomainExtensionId"]
    t("Slb", "SetDomainExtensionAttribute", DomainExtensionId=de, ServerCertificateId=cert)
    t("Slb", "DescribeDomainExtensions", LoadBalancerId=lb, ListenerPort=443)
    t("Slb", "DeleteDomainExtension", DomainExtensionId=de)
    t("Slb", "SetLoadBalancerHTTPSListenerAttribute", LoadBalancerId=lb, ListenerPort=443,
      TLSCipherPolicy="tls_cipher_policy_1_2")
    t("Slb", "DeleteTLSCipherPolicy", TLSCipherPolicyId=policy)

    t("Slb", "DeleteRules", RuleIds=json.dumps([r["RuleId"] for r in rules]))
    t("Slb", "DeleteLoadBalancerListener", LoadBalancerId=lb, ListenerPort=81)
    t("Slb", "DeleteLoadBalancerListener", LoadBalancerId=lb, ListenerPort=443)
    t("Slb", "DeleteServerCertificate", ServerCertificateId=cert)
    t("Slb", "DeleteCACertificate", CACertificateId=ca)
    t("Slb", "DeleteLoadBalancerListener", LoadBalancerId=lb, ListenerPort=53)
    t("Slb", "DeleteMasterSlaveServerGroup", MasterSlaveServerGroupId=msid)
    t("Slb", "DeleteLoadBalancerListener", LoadBalancerId=lb, ListenerPort=80)
    t("Slb", "DeleteAccessControlList", AclId=acl)
    t("Slb", "DeleteVServerGroup", VServerGroupId=g2)
    t("Slb", "SetLoadBalancerDeleteProtection", LoadBalancerId=lb, DeleteProtection="off")
    t("Slb", "DeleteLoadBalancer", LoadBalancerId=lb)

    missing = set(Emulator.actions()) - t.called
    assert not missing, f"actions never exercised: {sorted(missing)}"
    assert not t.shape_problems, t.shape_problems
