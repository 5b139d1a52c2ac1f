"""Fixtures for the in-process emulator tests: a fresh cloud with a VPC, vSwitch, security
group, running instances and an attached ENI, so CLB rules can be exercised directly."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import pytest

from planner.emulator import CloudError, Emulator

IMAGE = "aliyun_3_x64_20G_alibase_20240528.vhd"


@dataclass
class Cloud:
    emu: Emulator
    vpc: str = ""
    vsw: str = ""
    sg: str = ""
    instances: list[str] = field(default_factory=list)
    eni: str = ""
    eni_ips: list[str] = field(default_factory=list)

    def slb(self, action: str, **params: Any) -> dict:
        return self.emu.call("Slb", action, params)

    def lb(self, **params: Any) -> str:
        params.setdefault("LoadBalancerSpec", "slb.s1.small")
        params.setdefault("VSwitchId", self.vsw)
        return self.slb("CreateLoadBalancer", **params)["LoadBalancerId"]

    def vsg(self, lb: str, servers: list[dict] | None = None, **params: Any) -> str:
        if servers is None:
            servers = [{"ServerId": i, "Port": 80, "Weight": 100} for i in self.instances[:2]]
        return self.slb("CreateVServerGroup", LoadBalancerId=lb, BackendServers=json.dumps(servers),
                        **params)["VServerGroupId"]

    def tcp(self, lb: str, port: int = 80, **params: Any) -> None:
        params.setdefault("Bandwidth", -1)
        if "VServerGroupId" not in params and "MasterSlaveServerGroupId" not in params:
            params.setdefault("BackendServerPort", 80)
        self.slb("CreateLoadBalancerTCPListener", LoadBalancerId=lb, ListenerPort=port, **params)

    def http(self, lb: str, port: int = 80, **params: Any) -> None:
        params.setdefault("StickySession", "off")
        params.setdefault("HealthCheck", "on")
        if "VServerGroupId" not in params and params.get("ListenerForward") != "on":
            params.setdefault("BackendServerPort", 80)
        self.slb("CreateLoadBalancerHTTPListener", LoadBalancerId=lb, ListenerPort=port, **params)

    def cert(self) -> str:
        return self.slb("UploadServerCertificate",
                        ServerCertificate="-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----",
                        PrivateKey="-----BEGIN RSA PRIVATE KEY-----\nMIIE\n-----END RSA PRIVATE KEY-----",
                        ServerCertificateName="c1")["ServerCertificateId"]


def expect(fn: Any, code: str, message: str | None = None, status: int | None = None) -> CloudError:
    """Run ``fn`` and assert it fails with exactly this code (and message/status when given)."""
    with pytest.raises(CloudError) as info:
        fn()
    e = info.value
    assert e.code == code, f"{e.code}: {e.message}"
    if message is not None:
        assert e.message == message
    if status is not None:
        assert e.http_status == status
    assert e.request_id
    return e


def build_network(emu: Emulator) -> Cloud:
    c = Cloud(emu)
    c.vpc = emu.call("Vpc", "CreateVpc", {"CidrBlock": "192.168.0.0/16"})["VpcId"]
    c.vsw = emu.call("Vpc", "CreateVSwitch", {"VpcId": c.vpc, "ZoneId": "cn-hangzhou-h",
                                              "CidrBlock": "192.168.0.0/20"})["VSwitchId"]
    c.sg = emu.call("Ecs", "CreateSecurityGroup", {"VpcId": c.vpc})["SecurityGroupId"]
    c.instances = emu.call("Ecs", "RunInstances", {
        "VSwitchId": c.vsw, "SecurityGroupId": c.sg, "ImageId": IMAGE, "InstanceType": "ecs.g6.large",
        "Amount": 4})["InstanceIdSets"]["InstanceIdSet"]
    eni = emu.call("Ecs", "CreateNetworkInterface", {"VSwitchId": c.vsw, "SecurityGroupId": c.sg,
                                                     "SecondaryPrivateIpAddressCount": 1})
    c.eni = eni["NetworkInterfaceId"]
    c.eni_ips = [x["PrivateIpAddress"] for x in eni["PrivateIpSets"]["PrivateIpSet"]]
    emu.call("Ecs", "AttachNetworkInterface", {"NetworkInterfaceId": c.eni, "InstanceId": c.instances[0]})
    return c


@pytest.fixture
def cloud() -> Cloud:
    emu = Emulator()
    try:
        yield build_network(emu)
    finally:
        emu.close()
