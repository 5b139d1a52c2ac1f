"""Listeners of the four protocols: defaults, lifecycle, ports, bindings and their rules."""

from __future__ import annotations

import json

import pytest

from .conftest import expect


def test_tcp_defaults_match_reference(cloud):
    lb = cloud.lb()
    cloud.tcp(lb)
    d = cloud.slb("DescribeLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80)
    want = {"Status": "stopped", "Scheduler": "wrr", "Bandwidth": -1, "AclStatus": "off", "HealthCheck": "on",
            "HealthyThreshold": 3, "UnhealthyThreshold": 3, "HealthCheckConnectTimeout": 5,
            "HealthCheckInterval": 2, "HealthCheckType": "tcp", "HealthCheckHttpCode": "http_2xx",
            "PersistenceTimeout": 0, "EstablishedTimeout": 900, "ProxyProtocolV2Enabled": False,
            "BackendServerPort": 80, "ListenerPort": 80, "LoadBalancerId": lb}
    assert {k: d[k] for k in want} == want


def test_udp_defaults(cloud):
    lb = cloud.lb()
    cloud.slb("CreateLoadBalancerUDPListener", LoadBalancerId=lb, ListenerPort=53, Bandwidth=-1, BackendServerPort=53,
              healthCheckReq="hello", healthCheckExp="ok")
    d = cloud.slb("DescribeLoadBalancerUDPListenerAttribute", LoadBalancerId=lb, ListenerPort=53)
    assert (d["HealthCheckReq"], d["HealthCheckExp"], d["Scheduler"], d["HealthCheckInterval"]) == (
        "hello", "ok", "wrr", 2)
    assert "PersistenceTimeout" not in d and "HealthCheckType" not in d


def test_http_and_https_defaults(cloud):
    lb = cloud.lb()
    cloud.http(lb)
    d = cloud.slb("DescribeLoadBalancerHTTPListenerAttribute", LoadBalancerId=lb, ListenerPort=80)
    want = {"Bandwidth": -1, "StickySession": "off", "Gzip": "on", "XForwardedFor": "on", "XForwardedFor_SLBIP": "off",
            "XForwardedFor_SLBID": "off", "XForwardedFor_proto": "off", "IdleTimeout": 15, "RequestTimeout": 60,
            "ListenerForward": "off", "HealthCheckURI": "/", "HealthCheckTimeout": 5, "HealthCheckHttpCode": "http_2xx",
            "Rules": {"Rule": []}}
    assert {k: d[k] for k in want} == want
    cert = cloud.cert()
    cloud.slb("CreateLoadBalancerHTTPSListener", LoadBalancerId=lb, ListenerPort=443, Bandwidth=-1,
              StickySession="on", StickySessionType="insert", CookieTimeout=300, HealthCheck="off",
              BackendServerPort=443, ServerCertificateId=cert)
    d = cloud.slb("DescribeLoadBalancerHTTPSListenerAttribute", LoadBalancerId=lb, ListenerPort=443)
    assert (d["EnableHttp2"], d["TLSCipherPolicy"], d["ServerCertificateId"], d["CookieTimeout"]) == (
        "on", "tls_cipher_policy_1_0", cert, 300)


def test_http_create_requires_sticky_and_health_check(cloud):
    lb = cloud.lb()
    expect(lambda: cloud.slb("CreateLoadBalancerHTTPListener", LoadBalancerId=lb, ListenerPort=80,
                             BackendServerPort=80, HealthCheck="on"), "MissingStickySession")
    expect(lambda: cloud.slb("CreateLoadBalancerHTTPListener", LoadBalancerId=lb, ListenerPort=80,
                             BackendServerPort=80, StickySession="on", HealthCheck="on"), "MissingStickySessionType")
    expect(lambda: cloud.slb("CreateLoadBalancerHTTPSListener", LoadBalancerId=lb, ListenerPort=443, Bandwidth=-1,
                             BackendServerPort=80, StickySession="off", HealthCheck="on"),
           "MissingServerCertificateId")
    expect(lambda: cloud.slb("CreateLoadBalancerTCPListener", LoadBalancerId=lb, ListenerPort=80,
                             BackendServerPort=80), "MissingBandwidth")


def test_lifecycle_and_last_listener_turns_lb_inactive(cloud):
    lb = cloud.lb()
    cloud.tcp(lb)
    cloud.slb("StartLoadBalancerListener", LoadBalancerId=lb, ListenerPort=80)
    assert cloud.slb("DescribeLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80)["Status"] == "running"
    cloud.slb("StartLoadBalancerListener", LoadBalancerId=lb, ListenerPort=80)  # already running: no-op
    cloud.slb("StopLoadBalancerListener", LoadBalancerId=lb, ListenerPort=80)
    assert cloud.slb("DescribeLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80)["Status"] == "stopped"
    cloud.slb("DeleteLoadBalancerListener", LoadBalancerId=lb, ListenerPort=80)
    assert cloud.slb("DescribeLoadBalancerAttribute", LoadBalancerId=lb)["LoadBalancerStatus"] == "inactive"
    expect(lambda: cloud.slb("DeleteLoadBalancerListener", LoadBalancerId=lb, ListenerPort=80),
           "ResourceNotFound.Listener", "The specified listener is not found.", 404)
    expect(lambda: cloud.slb("DescribeLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80),
           "InvalidParameter", "The specified resource does not exist.", 400)


def test_locked_instance_refuses_start(cloud):
    from planner.emulator import Emulator

    lb = cloud.lb()
    cloud.tcp(lb)
    dump = cloud.emu.dump()
    for row in dump["tables"]["objects"]:
        if row[1] == "lb":
            doc = json.loads(row[5])
            doc["LoadBalancerStatus"] = "locked"
            row[5] = json.dumps(doc)
    locked = Emulator.from_dump(dump)
    expect(lambda: locked.call("Slb", "StartLoadBalancerListener", {"LoadBalancerId": lb, "ListenerPort": 80}),
           "Operation.NotAllowed")


def test_port_sharing_rules(cloud):
    lb = cloud.lb()
    cloud.tcp(lb, 80)
    expect(lambda: cloud.http(lb, 80), "ListenerAlreadyExists", "A listener with the specified port already exists")
    expect(lambda: cloud.tcp(lb, 80), "ListenerAlreadyExists")
    cloud.slb("CreateLoadBalancerUDPListener", LoadBalancerId=lb, ListenerPort=80, Bandwidth=-1, BackendServerPort=80)
    expect(lambda: cloud.slb("StartLoadBalancerListener", LoadBalancerId=lb, ListenerPort=80), "TooManyListeners",
           "More than 1 listener is found, please be more specified.")
    cloud.slb("StartLoadBalancerListener", LoadBalancerId=lb, ListenerPort=80, ListenerProtocol="udp")
    d = cloud.slb("DescribeLoadBalancerUDPListenerAttribute", LoadBalancerId=lb, ListenerPort=80)
    assert d["Status"] == "running"
    expect(lambda: cloud.slb("CreateLoadBalancerUDPListener", LoadBalancerId=lb, ListenerPort=4789, Bandwidth=-1,
                           BackendServerPort=80), "OperationDenied.SpecialListenerPortNotAllowed")
    expect(lambda: cloud.tcp(lb, 70000), "InvalidParameter", "The specified port is not valid.")


def test_at_most_50_listeners(cloud):
    lb = cloud.lb()
    for port in range(1, 51):
        cloud.tcp(lb, port)
    expect(lambda: cloud.tcp(lb, 51), "ListenerNumberOverLimit", "The maximum number of listeners is exceeded.")


def test_binding_rules(cloud):
    lb = cloud.lb()
    other = cloud.lb()
    g = cloud.vsg(lb)
    foreign = cloud.vsg(other)
    ms = cloud.slb("CreateMasterSlaveServerGroup", LoadBalancerId=lb, MasterSlaveBackendServers=json.dumps(
        [{"ServerId": cloud.instances[0], "Port": 80, "ServerType": "Master"},
         {"ServerId": cloud.instances[1], "Port": 80, "ServerType": "Slave"}]))["MasterSlaveServerGroupId"]
    expect(lambda: cloud.slb("CreateLoadBalancerTCPListener", LoadBalancerId=lb, ListenerPort=1, Bandwidth=-1),
           "MissingParameter", "The BackendServerPort or VServerGroupId is required at lease one.")
    expect(lambda: cloud.tcp(lb, 1, VServerGroupId=g, MasterSlaveServerGroupId=ms),
           "Abs.VServerGroupIdAndMasterSlaveServerGroupId.MissMatch",
           "The parameters VServerGroupId or MasterSlaveServerGroupId miss match.")
    expect(lambda: cloud.http(lb, 2, MasterSlaveServerGroupId=ms), "InvalidParameter.VServerGroupId",
           "The MasterSlaveServerGroup can not be attached to HTTP or HTTPS listener.")
    expect(lambda: cloud.tcp(lb, 3, VServerGroupId=foreign), "InvalidParameter",
           "The specified VServerGroupId does not exist.", 404)
    cloud.tcp(lb, 4, MasterSlaveServerGroupId=ms)
    cloud.tcp(lb, 5, VServerGroupId=g)
    cloud.http(lb, 6, VServerGroupId=g)  # one group serves many listeners


def test_set_listener_switches_groups(cloud):
    lb = cloud.lb()
    g1, g2 = cloud.vsg(lb), cloud.vsg(lb)
    cloud.tcp(lb, 80, VServerGroupId=g1)
    expect(lambda: cloud.slb("SetLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80,
                             VServerGroup="off"), "OperationFailed.ServerGroupInUse",
           "The VServerGroup or MasterSlaveServerGroup can not be close for this listener.")
    cloud.slb("SetLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80, VServerGroup="on",
              VServerGroupId=g2, Scheduler="rr", PersistenceTimeout=60)
    d = cloud.slb("DescribeLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80)
    assert (d["VServerGroupId"], d["Scheduler"], d["PersistenceTimeout"]) == (g2, "rr", 60)
    cloud.slb("DeleteVServerGroup", VServerGroupId=g1)  # no longer bound
    # re-sending the current group without the switch is accepted (the provider does this)
    cloud.slb("SetLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80, VServerGroupId=g2)
    cloud.tcp(lb, 81, VServerGroupId=g2, BackendServerPort=8080)
    cloud.slb("SetLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=81, VServerGroup="off")
    d = cloud.slb("DescribeLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=81)
    assert "VServerGroupId" not in d and d["BackendServerPort"] == 8080
    expect(lambda: cloud.slb("SetLoadBalancerUDPListenerAttribute", LoadBalancerId=lb, ListenerPort=80, Scheduler="rr"),
           "InvalidParameter", "The specified resource does not exist.")
    # moving a listener from a VServer group to a master-slave group in one call
    ms = cloud.slb("CreateMasterSlaveServerGroup", LoadBalancerId=lb, MasterSlaveBackendServers=json.dumps(
        [{"ServerId": cloud.instances[0], "Port": 80, "ServerType": "Master"},
         {"ServerId": cloud.instances[1], "Port": 80, "ServerType": "Slave"}]))["MasterSlaveServerGroupId"]
    cloud.slb("SetLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80, VServerGroup="off",
              MasterSlaveServerGroup="on", MasterSlaveServerGroupId=ms)
    d = cloud.slb("DescribeLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80)
    assert d["MasterSlaveServerGroupId"] == ms and "VServerGroupId" not in d
    expect(lambda: cloud.slb("SetLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80,
                             MasterSlaveServerGroup="off"), "OperationFailed.ServerGroupInUse")


@pytest.mark.parametrize("param,value", [
    ("HealthyThreshold", 11), ("HealthCheckInterval", 0), ("EstablishedTimeout", 5), ("PersistenceTimeout", 4000),
    ("Scheduler", "foo"), ("Bandwidth", 0), ("Bandwidth", 6000), ("HealthCheckType", "udp"),
    ("HealthCheckHttpCode", "http_6xx"), ("HealthCheckURI", "no-slash"),
])
def test_tcp_value_ranges(cloud, param, value):
    lb = cloud.lb()
    expect(lambda: cloud.tcp(lb, **{param: value}), "InvalidParameter")


def test_http_specific_errors(cloud):
    lb = cloud.lb()
    expect(lambda: cloud.http(lb, IdleTimeout=61), "InvalidParameter.IdleTimeout")
    expect(lambda: cloud.http(lb, RequestTimeout=181), "InvalidParameter.RequestTimeout")
    expect(lambda: cloud.http(lb, StickySession="on", StickySessionType="server", Cookie="$bad"), "InvalidParameter")
    cert = cloud.cert()
    expect(lambda: cloud.slb("CreateLoadBalancerHTTPSListener", LoadBalancerId=lb, ListenerPort=443, Bandwidth=-1,
                             StickySession="off", HealthCheck="off", BackendServerPort=80, ServerCertificateId=cert,
                             TLSCipherPolicy="tls_cipher_policy_9"), "InvalidTLSPolicyId.NotExist")


def test_guaranteed_only_schedulers(cloud):
    from planner.emulator import Emulator

    lb = cloud.lb()
    cloud.tcp(lb, 1, Scheduler="sch")
    cloud.slb("CreateLoadBalancerUDPListener", LoadBalancerId=lb, ListenerPort=2, Bandwidth=-1,
              BackendServerPort=2, Scheduler="qch")
    expect(lambda: cloud.http(lb, 3, Scheduler="sch"), "InvalidParameter")
    # a legacy shared-performance instance (cannot be created any more, but may exist)
    dump = cloud.emu.dump()
    for row in dump["tables"]["objects"]:
        if row[1] == "lb":
            doc = json.loads(row[5])
            doc["LoadBalancerSpec"] = ""
            row[5] = json.dumps(doc)
    shared = Emulator.from_dump(dump)
    expect(lambda: shared.call("Slb", "CreateLoadBalancerTCPListener", {
        "LoadBalancerId": lb, "ListenerPort": 9, "Bandwidth": -1, "BackendServerPort": 9, "Scheduler": "tch"}),
        "InvalidParameterValue.SpecNotSupport")
    expect(lambda: shared.call("Slb", "AddBackendServers", {
        "LoadBalancerId": lb, "BackendServers": json.dumps([{"ServerId": cloud.eni, "Type": "eni"}])}),
        "InvalidParameterValue.SpecNotSupport")


def test_http_redirect_to_https(cloud):
    lb = cloud.lb()
    cert = cloud.cert()
    expect(lambda: cloud.http(lb, 80, ListenerForward="on", ForwardPort=443), "InvalidParameter",
           "The specified ListenerPort or ForwardPort is invalid.")
    cloud.slb("CreateLoadBalancerHTTPSListener", LoadBalancerId=lb, ListenerPort=443, Bandwidth=-1,
              StickySession="off", HealthCheck="on", BackendServerPort=80, ServerCertificateId=cert)
    cloud.http(lb, 80, ListenerForward="on", ForwardPort=443)
    d = cloud.slb("DescribeLoadBalancerAttribute", LoadBalancerId=lb)
    assert {"ListenerPort": 80, "ListenerProtocol": "http", "ListenerForward": "on", "ForwardPort": 443} in \
        d["ListenerPortsAndProtocol"]["ListenerPortAndProtocol"]
    expect(lambda: cloud.slb("DeleteLoadBalancerListener", LoadBalancerId=lb, ListenerPort=443),
           "ListenerForwardExist", "The specified listener is forwarded by the other listener, the ListenerForward "
           "relationship should be deleted firstly.")
    expect(lambda: cloud.slb("DeleteServerCertificate", ServerCertificateId=cert), "CertificateAndPrivateKeyIsRefered",
           "The specified certificate is bound to listeners. You cannot delete it.")
    cloud.slb("DeleteLoadBalancerListener", LoadBalancerId=lb, ListenerPort=80)
    cloud.slb("DeleteLoadBalancerListener", LoadBalancerId=lb, ListenerPort=443)
    cloud.slb("DeleteServerCertificate", ServerCertificateId=cert)


def test_acl_binding_rules(cloud):
    lb = cloud.lb()
    acls = [cloud.slb("CreateAccessControlList", AclName=f"acl{i}")["AclId"] for i in range(4)]
    v6 = cloud.slb("CreateAccessControlList", AclName="v6", AddressIPVersion="ipv6")["AclId"]
    expect(lambda: cloud.tcp(lb, AclStatus="on", AclType="white", AclId=",".join(acls)),
           "QuotaLimitExceeds.AclAttachedToListener")
    expect(lambda: cloud.tcp(lb, AclStatus="on", AclType="white", AclId="acl-nope"), "AclNotExist", "Acl does not exist.")
    expect(lambda: cloud.tcp(lb, AclStatus="on", AclType="white", AclId=v6), "IpVersionConflict",
           "The ip version of this LoadBalancer and the Acl is conflict.")
    expect(lambda: cloud.tcp(lb, AclStatus="on", AclType="white"), "MissingAclId")
    cloud.tcp(lb, AclStatus="on", AclType="black", AclId=",".join(acls[:2]))
    d = cloud.slb("DescribeLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80)
    assert d["AclIds"] == {"AclId": acls[:2]} and d["AclType"] == "black"
    expect(lambda: cloud.slb("DeleteAccessControlList", AclId=acls[0]), "OperationFailed.AclBindedWithVip",
           "The ACL has binded with vip.")
    a = cloud.slb("DescribeAccessControlListAttribute", AclId=acls[0])
    assert a["RelatedListeners"]["RelatedListener"] == [
        {"LoadBalancerId": lb, "ListenerPort": 80, "Protocol": "tcp", "AclType": "black"}]
    cloud.slb("SetLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80, AclStatus="off", AclId=acls[2])
    cloud.slb("DeleteAccessControlList", AclId=acls[0])
    # an empty AclId unbinds everything (the provider does this before deleting the ACL)
    expect(lambda: cloud.slb("DeleteAccessControlList", AclId=acls[2]), "OperationFailed.AclBindedWithVip")
    cloud.slb("SetLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80, AclStatus="off", AclId="")
    d = cloud.slb("DescribeLoadBalancerTCPListenerAttribute", LoadBalancerId=lb, ListenerPort=80)
    assert d["AclIds"] == {"AclId": []} and "AclId" not in d
    cloud.slb("DeleteAccessControlList", AclId=acls[2])


def test_bandwidth_budget_of_pay_by_bandwidth_instance(cloud):
    lb = cloud.slb("CreateLoadBalancer", LoadBalancerSpec="slb.s1.small", InternetChargeType="paybybandwidth",
                   Bandwidth=10)["LoadBalancerId"]
    cloud.tcp(lb, 1, Bandwidth=6)
    expect(lambda: cloud.tcp(lb, 2, Bandwidth=5), "InvalidParameter",
           "The specified Bandwidth is invalid. It exceeds the maximum bandwidth available to the instance.")
    cloud.tcp(lb, 2, Bandwidth=4)


def test_describe_listeners_paging_and_configs(cloud):
    lbs = [cloud.lb() for _ in range(3)]
    for lb in lbs:
        for port in (1, 2, 3, 4, 5):
            cloud.tcp(lb, port, Description=f"d{port}")
    params = {f"LoadBalancerId.{i + 1}": lb for i, lb in enumerate(lbs)}
    seen, token = [], None
    while True:
        kw = dict(params, MaxResults=4)
        if token:
            kw["NextToken"] = token
        r = cloud.slb("DescribeLoadBalancerListeners", **kw)
        assert r["TotalCount"] == 15 and len(r["Listeners"]) <= 4
        seen += [(x["LoadBalancerId"], x["ListenerPort"]) for x in r["Listeners"]]
        token = r.get("NextToken")
        if not token:
            break
    assert seen == [(lb, p) for lb in lbs for p in (1, 2, 3, 4, 5)]
    one = cloud.slb("DescribeLoadBalancerListeners", ListenerPort=3, Description="d3", **params)["Listeners"]
    assert len(one) == 3 and one[0]["TCPListenerConfig"]["EstablishedTimeout"] == 900
    assert one[0]["TCPListenerConfig"]["ProxyProtocolV2Enabled"] == "false"
    expect(lambda: cloud.slb("DescribeLoadBalancerListeners", MaxResults=101), "InvalidParameter")
    expect(lambda: cloud.slb("DescribeLoadBalancerListeners", NextToken="zz"), "InvalidParam.NextToken")
    too_many = {f"LoadBalancerId.{i}": "lb-x" for i in range(1, 12)}
    expect(lambda: cloud.slb("DescribeLoadBalancerListeners", **too_many), "InvalidParameter")


def test_describe_all_listeners_of_the_region_pages_in_order(cloud):
    lbs = [cloud.lb() for _ in range(2)]
    for lb in lbs:
        for port in range(1, 8):
            cloud.tcp(lb, port)
    seen, token = [], None
    while True:
        r = cloud.slb("DescribeLoadBalancerListeners", MaxResults=5, **({"NextToken": token} if token else {}))
        assert r["TotalCount"] == 14
        seen += [(x["LoadBalancerId"], x["ListenerPort"]) for x in r["Listeners"]]
        token = r.get("NextToken")
        if not token:
            break
    assert seen == [(lb, p) for lb in lbs for p in range(1, 8)]
