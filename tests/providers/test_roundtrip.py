"""Every resource type against the in-process emulator: create -> read back equals what was
planned (no spurious diff), update, delete, import."""

from __future__ import annotations

from pathlib import Path

import pytest
from provider_helpers import LISTENER_BASE, assert_matches, new_lb

from planner.providers.base import NotFoundError

DATA = Path(__file__).parent / "data"


@pytest.fixture
def net(provider, ctx):
    """A VPC, a vSwitch, a security group and four running instances, made through the handlers."""
    vpc = provider.handler("alicloud_vpc").create({"vpc_name": "main", "cidr_block": "172.16.0.0/12"}, ctx)
    vsw = provider.handler("alicloud_vswitch").create(
        {"vpc_id": vpc["id"], "cidr_block": "172.16.0.0/21", "zone_id": "cn-hangzhou-h", "vswitch_name": "a"}, ctx)
    sg = provider.handler("alicloud_security_group").create(
        {"vpc_id": vpc["id"], "security_group_name": "web-sg"}, ctx)
    inst = provider.handler("alicloud_instance")
    servers = [inst.create({"image_id": "ubuntu_22_04_x64_20G_alibase_20240508.vhd", "instance_type": "ecs.g6.large",
                            "vswitch_id": vsw["id"], "security_groups": [sg["id"]], "instance_name": f"web-{i}"},
                           ctx) for i in range(4)]
    return {"vpc": vpc, "vswitch": vsw, "sg": sg, "servers": servers}


def test_network_and_instances_round_trip(provider, ctx, net):
    for type_name, key in (("alicloud_vpc", "vpc"), ("alicloud_vswitch", "vswitch"),
                           ("alicloud_security_group", "sg")):
        h = provider.handler(type_name)
        assert h.read_many([net[key]], ctx) == [net[key]]
    inst = provider.handler("alicloud_instance")
    got = inst.read_many(net["servers"], ctx)
    assert got == net["servers"]
    assert all(s["status"] == "Running" and s["private_ip"].startswith("172.16.") for s in got)
    stopped = inst.update(got[0], dict(got[0], status="Stopped"), ctx)
    assert stopped["status"] == "Stopped"
    assert inst.read_many([got[0]], ctx)[0]["status"] == "Stopped"
    inst.delete(stopped, ctx)
    assert inst.read_many([stopped, got[1]], ctx) == [None, got[1]]


def test_load_balancer_create_update_delete_import(provider, ctx):
    h = provider.handler("alicloud_slb_load_balancer")
    lb = new_lb(provider, ctx, tags={"env": "prod"}, delete_protection="on")
    assert lb["id"].startswith("lb-") and lb["status"] == "active"
    assert h.read_many([lb], ctx) == [lb]
    # the deprecated aliases follow their canonical attributes, as the planner plans them
    upd = dict(lb, load_balancer_name="web-2", tags={"env": "dev", "team": "edge"}, load_balancer_spec="slb.s3.small",
               name="web-2", specification="slb.s3.small")
    got = h.update(lb, upd, ctx)
    assert_matches(upd, got)
    assert h.import_(lb["id"], ctx)["load_balancer_name"] == "web-2"
    # delete protection is on: the handler turns it off first instead of failing
    h.delete(got, ctx)
    assert h.read_many([got], ctx) == [None]
    with pytest.raises(NotFoundError):
        h.import_(lb["id"], ctx)


def test_intranet_load_balancer_in_a_vswitch(provider, ctx, net):
    lb = new_lb(provider, ctx, address_type="intranet", vswitch_id=net["vswitch"]["id"])
    assert lb["address"].startswith("172.16.")


@pytest.fixture
def cert(provider, ctx):
    planned = {"name": "www", "server_certificate": (DATA / "cert.pem").read_text(),
               "private_key": (DATA / "key.pem").read_text()}
    got = provider.handler("alicloud_slb_server_certificate").create(planned, ctx)
    assert_matches(planned, got)
    return got


@pytest.mark.parametrize("protocol", ["tcp", "udp", "http", "https"])
def test_listener_each_protocol_round_trips_and_runs(provider, ctx, cert, protocol):
    lb = new_lb(provider, ctx)
    h = provider.handler("alicloud_slb_listener")
    planned = dict(LISTENER_BASE, load_balancer_id=lb["id"], frontend_port=443 if protocol == "https" else 80,
                   protocol=protocol, backend_port=8080, bandwidth=10, description="front door")
    if protocol == "https":
        planned["server_certificate_id"] = cert["id"]
    if protocol in ("http", "https"):
        planned.update(sticky_session="on", sticky_session_type="insert", cookie_timeout=600,
                       health_check_http_code="http_2xx,http_3xx", health_check_uri="/health",
                       x_forwarded_for=[{"retrive_slb_ip": True, "retrive_slb_id": False, "retrive_slb_proto": True}])
    if protocol == "tcp":
        planned.update(persistence_timeout=30, established_timeout=600)
    got = h.create(planned, ctx)
    assert got["id"] == f"{lb['id']}:{protocol}:{planned['frontend_port']}"
    assert_matches(planned, got)
    listed = h.read_many([got], ctx)[0]
    assert_matches(planned, listed)
    st = ctx.read("Slb", f"DescribeLoadBalancer{protocol.upper()}ListenerAttribute",
                  {"LoadBalancerId": lb["id"], "ListenerPort": planned["frontend_port"]})
    assert st["Status"] == "running"
    # update in place: scheduler, thresholds, description
    upd = dict(got, scheduler="rr", healthy_threshold=5, description="changed")
    after = h.update(got, upd, ctx)
    assert_matches(upd, after)
    assert h.import_(got["id"], ctx)["scheduler"] == "rr"
    h.delete(after, ctx)
    assert h.read_many([after], ctx) == [None]


def test_listener_switches_between_groups(provider, ctx, net):
    lb = new_lb(provider, ctx)
    sg_h = provider.handler("alicloud_slb_server_group")
    s = net["servers"]
    a = sg_h.create({"load_balancer_id": lb["id"], "name": "a",
                     "servers": [{"server_ids": [s[0]["id"]], "port": 80, "weight": 100, "type": "ecs"}]}, ctx)
    b = sg_h.create({"load_balancer_id": lb["id"], "name": "b",
                     "servers": [{"server_ids": [s[1]["id"]], "port": 80, "weight": 100, "type": "ecs"}]}, ctx)
    h = provider.handler("alicloud_slb_listener")
    li = h.create(dict(LISTENER_BASE, load_balancer_id=lb["id"], frontend_port=80, protocol="tcp", bandwidth=-1,
                       server_group_id=a["id"]), ctx)
    assert li["server_group_id"] == a["id"]
    li2 = h.update(li, dict(li, server_group_id=b["id"]), ctx)
    assert li2["server_group_id"] == b["id"]
    sg_h.delete(a, ctx)  # re-pointed first, so the old group is free (no RspoolVipExist)
    assert sg_h.read_many([a], ctx) == [None]


def test_server_group_batches_members_and_diffs(provider, ctx, net, transport):
    lb = new_lb(provider, ctx)
    h = provider.handler("alicloud_slb_server_group")
    ids = [x["id"] for x in net["servers"]]
    # 4 servers x 6 ports = 24 members: more than one call's worth (20)
    planned = {"load_balancer_id": lb["id"], "name": "pool", "tags": {"app": "web"},
               "servers": [{"server_ids": ids, "port": p, "weight": 50, "type": "ecs"} for p in range(8001, 8007)]}
    transport.calls.clear()
    got = h.create(planned, ctx)
    assert_matches(planned, got)
    assert transport.calls["CreateVServerGroup"] == 1 and transport.calls["AddVServerGroupBackendServers"] == 1
    assert h.read_many([got], ctx) == [got]
    # weight to 0 for one port, one port dropped, one added
    servers = [{"server_ids": ids, "port": p, "weight": 0 if p == 8001 else 50, "type": "ecs"}
               for p in range(8001, 8006)] + [{"server_ids": ids[:2], "port": 9000, "weight": 10, "type": "ecs"}]
    upd = dict(got, name="pool-2", servers=servers)
    transport.calls.clear()
    after = h.update(got, upd, ctx)
    assert_matches(upd, after)
    # 4 removed + 2 added fold into one Modify (2 pairs) + one Remove; weights + rename in one Set
    assert transport.calls["ModifyVServerGroupBackendServers"] == 1
    assert transport.calls["RemoveVServerGroupBackendServers"] == 1
    assert transport.calls["SetVServerGroupAttribute"] == 1
    assert transport.calls["AddVServerGroupBackendServers"] == 0
    assert h.import_(got["id"], ctx)["name"] == "pool-2"
    h.delete(after, ctx)
    assert h.read_many([after], ctx) == [None]


def test_server_group_attachments_read_one_describe_per_group(provider, ctx, net, transport):
    lb = new_lb(provider, ctx)
    grp = provider.handler("alicloud_slb_server_group").create({"load_balancer_id": lb["id"], "name": "g"}, ctx)
    h = provider.handler("alicloud_slb_server_group_server_attachment")
    atts = []
    for i, s in enumerate(net["servers"]):
        planned = {"server_group_id": grp["id"], "server_id": s["id"], "port": 8080, "weight": i * 10,
                   "type": "ecs", "description": f"node-{i}"}
        got = h.create(planned, ctx)
        assert got["id"] == f"{grp['id']}:{s['id']}:8080"
        assert_matches(planned, got)
        atts.append(got)
    transport.calls.clear()
    assert h.read_many(atts, ctx) == atts
    assert transport.calls["DescribeVServerGroupAttribute"] == 1
    h.delete(atts[0], ctx)
    assert h.read_many(atts[:2], ctx) == [None, atts[1]]
    assert h.import_(atts[1]["id"], ctx) == {k: v for k, v in atts[1].items()}


def test_default_group_backend_servers(provider, ctx, net):
    lb = new_lb(provider, ctx)
    h = provider.handler("alicloud_slb_backend_server")
    s = net["servers"]
    planned = {"load_balancer_id": lb["id"], "backend_servers": [
        {"server_id": s[0]["id"], "weight": 100, "type": "ecs"}, {"server_id": s[1]["id"], "weight": 0, "type": "ecs"}]}
    got = h.create(planned, ctx)
    assert got["id"] == lb["id"]
    assert_matches(planned, got)
    upd = dict(got, backend_servers=[{"server_id": s[1]["id"], "weight": 30, "type": "ecs"},
                                     {"server_id": s[2]["id"], "weight": 100, "type": "ecs"}])
    after = h.update(got, upd, ctx)
    assert_matches(upd, after)
    h.delete(after, ctx)
    assert h.read_many([after], ctx)[0]["backend_servers"] == []
    assert h.import_(lb["id"], ctx)["load_balancer_id"] == lb["id"]


def test_master_slave_group_behind_tcp_listener(provider, ctx, net):
    lb = new_lb(provider, ctx)
    s = net["servers"]
    h = provider.handler("alicloud_slb_master_slave_server_group")
    planned = {"load_balancer_id": lb["id"], "name": "ms", "servers": [
        {"server_id": s[0]["id"], "port": 3306, "weight": 100, "type": "ecs", "server_type": "Master"},
        {"server_id": s[1]["id"], "port": 3306, "weight": 100, "type": "ecs", "server_type": "Slave"}]}
    got = h.create(planned, ctx)
    assert_matches(planned, got)
    li = provider.handler("alicloud_slb_listener").create(dict(
        LISTENER_BASE, load_balancer_id=lb["id"], frontend_port=3306, protocol="tcp", bandwidth=-1,
        master_slave_server_group_id=got["id"]), ctx)
    assert li["master_slave_server_group_id"] == got["id"]
    assert h.read_many([got], ctx) == [got]
    assert h.import_(got["id"], ctx)["name"] == "ms"


def test_rules_bulk_read_per_listener(provider, ctx, net, transport):
    lb = new_lb(provider, ctx)
    grp = provider.handler("alicloud_slb_server_group").create({"load_balancer_id": lb["id"], "name": "g"}, ctx)
    provider.handler("alicloud_slb_listener").create(dict(
        LISTENER_BASE, load_balancer_id=lb["id"], frontend_port=80, protocol="http", backend_port=80,
        bandwidth=-1), ctx)
    h = provider.handler("alicloud_slb_rule")
    rules = []
    for i, (dom, url) in enumerate([("www.example.com", "/a"), ("www.example.com", "/b"), ("api.example.com", None)]):
        planned = {"load_balancer_id": lb["id"], "frontend_port": 80, "name": f"r{i}", "domain": dom, "url": url,
                   "server_group_id": grp["id"], "listener_sync": "on"}
        got = h.create(planned, ctx)
        assert got["id"].startswith("rule-")
        assert_matches(planned, got)
        rules.append(got)
    own = h.update(rules[0], dict(rules[0], listener_sync="off", scheduler="rr", sticky_session="off",
                                  health_check="on", health_check_uri="/ping", health_check_interval=5,
                                  healthy_threshold=3, unhealthy_threshold=3, health_check_timeout=5,
                                  health_check_http_code="http_2xx"), ctx)
    assert own["listener_sync"] == "off" and own["scheduler"] == "rr" and own["health_check_uri"] == "/ping"
    rules[0] = own
    transport.calls.clear()
    assert h.read_many(rules, ctx) == rules
    assert transport.calls["DescribeRules"] == 1
    h.delete(rules[1], ctx)
    assert h.read_many(rules[1:2], ctx) == [None]
    assert h.import_(rules[2]["id"], ctx)["domain"] == "api.example.com"


def test_acl_entries_and_entry_attachments(provider, ctx):
    h = provider.handler("alicloud_slb_acl")
    planned = {"name": "office", "ip_version": "ipv4", "entry_list": [
        {"entry": "10.0.0.0/24", "comment": "hq"}, {"entry": "192.168.1.0/24", "comment": "vpn"}]}
    acl = h.create(planned, ctx)
    assert_matches(planned, acl)
    upd = dict(acl, name="office-2", entry_list=[{"entry": "10.0.0.0/24", "comment": "hq"},
                                                 {"entry": "172.16.5.0/24", "comment": "lab"}])
    after = h.update(acl, upd, ctx)
    assert_matches(upd, after)
    att_h = provider.handler("alicloud_slb_acl_entry_attachment")
    att = att_h.create({"acl_id": acl["id"], "entry": "10.9.9.0/24", "comment": "extra"}, ctx)
    assert att["id"] == f"{acl['id']}:10.9.9.0/24"
    assert att_h.read_many([att], ctx) == [att]
    att_h.delete(att, ctx)
    assert att_h.read_many([att], ctx) == [None]
    assert h.import_(acl["id"], ctx)["name"] == "office-2"
    h.delete(after, ctx)
    assert h.read_many([after], ctx) == [None]


def test_certificate_rename_and_delete(provider, ctx, cert):
    h = provider.handler("alicloud_slb_server_certificate")
    got = h.update(cert, dict(cert, name="www-2"), ctx)
    assert got["name"] == "www-2" and got["private_key"] == cert["private_key"]
    h.delete(got, ctx)
    assert h.read_many([got], ctx) == [None]


def test_eni_with_secondary_ips_and_attachment(provider, ctx, net):
    h = provider.handler("alicloud_ecs_network_interface")
    planned = {"vswitch_id": net["vswitch"]["id"], "security_group_ids": [net["sg"]["id"]],
               "network_interface_name": "eni-a", "secondary_private_ip_address_count": 2}
    eni = h.create(planned, ctx)
    assert_matches(planned, eni)
    assert len(eni["private_ip_addresses"]) == 2 and eni["primary_ip_address"].startswith("172.16.")
    att_h = provider.handler("alicloud_ecs_network_interface_attachment")
    att = att_h.create({"network_interface_id": eni["id"], "instance_id": net["servers"][0]["id"]}, ctx)
    assert att_h.read_many([att], ctx) == [att]
    old = provider.handler("alicloud_network_interface").create(
        {"vswitch_id": net["vswitch"]["id"], "security_groups": [net["sg"]["id"]], "name": "eni-b"}, ctx)
    assert old["name"] == "eni-b" and old["private_ip"].startswith("172.16.")
    att_h.delete(att, ctx)
    assert att_h.read_many([att], ctx) == [None]


def test_delete_protection_turned_on_outside_clbplan_is_handled(provider, ctx):
    h = provider.handler("alicloud_slb_load_balancer")
    lb = new_lb(provider, ctx)
    ctx.write("Slb", "SetLoadBalancerDeleteProtection", {"LoadBalancerId": lb["id"], "DeleteProtection": "on"})
    h.delete(lb, ctx)  # prior says "off": the refusal is answered by turning it off, then deleting
    assert h.read_many([lb], ctx) == [None]


def test_deleting_a_load_balancer_takes_its_children(provider, ctx, net, transport):
    lb = new_lb(provider, ctx)
    grp = provider.handler("alicloud_slb_server_group").create({"load_balancer_id": lb["id"], "name": "g"}, ctx)
    li = provider.handler("alicloud_slb_listener").create(dict(
        LISTENER_BASE, load_balancer_id=lb["id"], frontend_port=80, protocol="tcp", bandwidth=-1,
        server_group_id=grp["id"]), ctx)
    transport.calls.clear()
    provider.handler("alicloud_slb_load_balancer").delete(lb, ctx)
    assert dict(transport.calls) == {"DeleteLoadBalancer": 1}
    assert provider.handler("alicloud_slb_listener").read_many([li], ctx) == [None]
    assert provider.handler("alicloud_slb_server_group").read_many([grp], ctx) == [None]


def test_default_group_takes_one_eni_twice_by_private_ip(provider, ctx, net):
    lb = new_lb(provider, ctx, load_balancer_spec="slb.s1.small")  # ENI backends need a guaranteed spec
    eni = provider.handler("alicloud_ecs_network_interface").create(
        {"vswitch_id": net["vswitch"]["id"], "security_group_ids": [net["sg"]["id"]],
         "secondary_private_ip_address_count": 1}, ctx)
    provider.handler("alicloud_ecs_network_interface_attachment").create(
        {"network_interface_id": eni["id"], "instance_id": net["servers"][0]["id"]}, ctx)
    h = provider.handler("alicloud_slb_backend_server")
    planned = {"load_balancer_id": lb["id"], "backend_servers": [
        {"server_id": eni["id"], "type": "eni", "server_ip": eni["primary_ip_address"], "weight": 100},
        {"server_id": eni["id"], "type": "eni", "server_ip": eni["private_ip_addresses"][0], "weight": 50}]}
    got = h.create(planned, ctx)
    assert_matches(planned, got)
    assert h.read_many([got], ctx) == [got]


def test_listener_that_cannot_start_is_taken_back(provider, ctx, emulator, monkeypatch):
    from planner.providers.errors import ApiError

    lb = new_lb(provider, ctx)
    real = emulator.call

    def refuse_start(product, action, params):
        if action == "StartLoadBalancerListener":
            from planner.emulator.errors import CloudError
            raise CloudError("Operation.NotAllowed", "The specified listener is not allowed to operate.", 400)
        return real(product, action, params)

    monkeypatch.setattr(emulator, "call", refuse_start)
    h = provider.handler("alicloud_slb_listener")
    planned = dict(LISTENER_BASE, load_balancer_id=lb["id"], frontend_port=80, protocol="tcp", backend_port=80,
                   bandwidth=-1)
    with pytest.raises(ApiError, match="Operation.NotAllowed"):
        h.create(planned, ctx)
    monkeypatch.setattr(emulator, "call", real)
    assert h.read_many([dict(planned, id=f"{lb['id']}:tcp:80")], ctx) == [None]


def test_http_listener_redirecting_to_https(provider, ctx, cert):
    lb = new_lb(provider, ctx)
    h = provider.handler("alicloud_slb_listener")
    https = h.create(dict(LISTENER_BASE, load_balancer_id=lb["id"], frontend_port=443, protocol="https",
                          backend_port=80, bandwidth=-1, server_certificate_id=cert["id"]), ctx)
    planned = dict(LISTENER_BASE, load_balancer_id=lb["id"], frontend_port=80, protocol="http",
                   listener_forward="on", forward_port=443, bandwidth=-1)
    redirect = h.create(planned, ctx)
    assert redirect["listener_forward"] == "on" and redirect["forward_port"] == 443
    assert h.read_many([redirect, https], ctx) == [redirect, https]
    h.delete(redirect, ctx)  # the redirecting listener goes first (ListenerForwardExist otherwise)
    h.delete(https, ctx)
    assert h.read_many([redirect, https], ctx) == [None, None]


@pytest.mark.parametrize("protocol", ["tcp", "udp"])
def test_listener_switches_between_vserver_and_master_slave_group(provider, ctx, net, protocol):
    lb = new_lb(provider, ctx)
    s = net["servers"]
    grp = provider.handler("alicloud_slb_server_group").create({"load_balancer_id": lb["id"], "name": "g", "servers": [
        {"server_ids": [s[0]["id"]], "port": 80, "weight": 100, "type": "ecs"}]}, ctx)
    ms = provider.handler("alicloud_slb_master_slave_server_group").create({
        "load_balancer_id": lb["id"], "name": "ms", "servers": [
            {"server_id": s[0]["id"], "port": 80, "weight": 100, "type": "ecs", "server_type": "Master"},
            {"server_id": s[1]["id"], "port": 80, "weight": 100, "type": "ecs", "server_type": "Slave"}]}, ctx)
    h = provider.handler("alicloud_slb_listener")
    li = h.create(dict(LISTENER_BASE, load_balancer_id=lb["id"], frontend_port=80, protocol=protocol, bandwidth=-1,
                       server_group_id=grp["id"]), ctx)
    to_ms = h.update(li, dict(li, server_group_id=None, master_slave_server_group_id=ms["id"]), ctx)
    assert to_ms["master_slave_server_group_id"] == ms["id"] and to_ms["server_group_id"] is None
    back = h.update(to_ms, dict(to_ms, server_group_id=grp["id"], master_slave_server_group_id=None), ctx)
    assert back["server_group_id"] == grp["id"] and back["master_slave_server_group_id"] is None


@pytest.mark.parametrize("protocol", ["tcp", "http"])
def test_import_fills_what_the_api_does_not_report_with_schema_defaults(provider, ctx, protocol):
    """An imported listener equals what a minimal configuration plans (conform fills the same
    defaults), so the first plan after `clbplan import` is empty."""
    from planner.schema import get_schema

    lb = new_lb(provider, ctx)
    planned = {"load_balancer_id": lb["id"], "frontend_port": 80, "protocol": protocol, "backend_port": 8080,
               "bandwidth": -1}
    schema = get_schema("alicloud_slb_listener")
    for name, attr in schema.attributes.items():
        if attr.default is not None and name not in planned:
            planned[name] = attr.default
    created = provider.handler("alicloud_slb_listener").create(planned, ctx)
    imported = provider.handler("alicloud_slb_listener").import_(created["id"], ctx)
    assert_matches(planned, imported)
    lb_imported = provider.handler("alicloud_slb_load_balancer").import_(lb["id"], ctx)
    assert lb_imported["bandwidth"] == 1 and lb_imported["delete_protection"] == "off"


def test_load_balancer_billing_and_protection_updates(provider, ctx):
    h = provider.handler("alicloud_slb_load_balancer")
    lb = new_lb(provider, ctx)
    upd = dict(lb, internet_charge_type="PayByBandwidth", bandwidth=20,
               modification_protection_status="ConsoleProtection", modification_protection_reason="managed",
               status="inactive")
    got = h.update(lb, upd, ctx)
    assert_matches({k: upd[k] for k in ("internet_charge_type", "bandwidth", "modification_protection_status",
                                        "modification_protection_reason", "status")}, got)
    back = h.update(got, dict(got, modification_protection_status="NonProtection",
                              modification_protection_reason=None, status="active"), ctx)
    assert back["modification_protection_status"] == "NonProtection" and back["status"] == "active"
    assert back["modification_protection_reason"] is None


def test_network_teardown_in_dependency_order(provider, ctx, net):
    for s in net["servers"]:
        provider.handler("alicloud_instance").delete(s, ctx)
    for type_name, key in (("alicloud_security_group", "sg"), ("alicloud_vswitch", "vswitch"), ("alicloud_vpc", "vpc")):
        h = provider.handler(type_name)
        h.delete(net[key], ctx)
        assert h.read_many([net[key]], ctx) == [None]
        h.delete(net[key], ctx)  # already gone: still fine
