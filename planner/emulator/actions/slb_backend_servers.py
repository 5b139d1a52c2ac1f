"""Backend servers: the default server group, VServer groups and master-slave groups."""

from __future__ import annotations

import re
from typing import Any

from planner.emulator.actions.common import (
    BS_DUP,
    BS_INVALID,
    MSG_NOT_EXIST,
    VSG_NOT_EXIST,
    bind_servers,
    find_listener,
    get_lb,
    lb_param,
    listener_status,
    parse_servers,
    save_lb,
    server_out,
    skey,
    tags_out,
)
from planner.emulator.codes import err
from planner.emulator.params import Params
from planner.emulator.registry import Ctx, action

_GROUP_NAME = re.compile(r"^[A-Za-z0-9\u4e00-\u9fa5\-/._]{1,80}$")


def _check_group_name(name: str | None) -> None:
    if name is not None and not _GROUP_NAME.match(name):
        raise err("InvalidParameter", "The specified parameter VServerGroupName is not valid.")


def _dedupe(servers: list[dict[str, Any]], with_port: bool) -> list[dict[str, Any]]:
    """Duplicates inside one request: the first entry wins (the default group's real behaviour)."""
    seen: set[tuple] = set()
    out = []
    for s in servers:
        k = skey(s, with_port)
        if k not in seen:
            seen.add(k)
            out.append(s)
    return out


def _reject_dupes(servers: list[dict[str, Any]]) -> None:
    keys = [skey(s, True) for s in servers]
    if len(set(keys)) != len(keys):
        raise err("InvalidParameter", BS_DUP)


def _servers_out(servers: list[dict[str, Any]], with_ip: bool = False) -> dict[str, list[dict[str, Any]]]:
    return {"BackendServer": [server_out(s, with_ip=with_ip) for s in servers]}


# --- default server group -------------------------------------------------------------------

@action("Slb", "AddBackendServers")
def add_backend_servers(ctx: Ctx, p: Params) -> dict:
    """- at most 20 servers per call (TooManyBackendServers); weight 0-100 (InvalidWeight.Malformed)
    - servers must exist, be running and be in the instance's VPC (ObtainIpFail,
      InvalidBackendServers.Inconsistent); ENI/ECI only on guaranteed instances
    - duplicates inside one request: the first wins; a server already in the group is an error"""
    lb = lb_param(ctx, p)
    servers = _dedupe(parse_servers(p, "BackendServers", port_required=False), False)
    bind_servers(ctx, lb, servers)
    have = {skey(s, False) for s in lb["BackendServers"]}
    for s in servers:
        if skey(s, False) in have:
            raise err("InvalidParameter", BS_INVALID)
        s.pop("Port", None)
    lb["BackendServers"].extend(servers)
    save_lb(ctx, lb)
    return {"LoadBalancerId": lb["LoadBalancerId"], "BackendServers": _servers_out(lb["BackendServers"])}


@action("Slb", "SetBackendServers")
def set_backend_servers(ctx: Ctx, p: Params) -> dict:
    """- changes weight and description of servers already in the default group; others are ignored"""
    lb = lb_param(ctx, p)
    servers = parse_servers(p, "BackendServers", port_required=False)
    by_key = {skey(s, False): s for s in lb["BackendServers"]}
    by_id: dict[str, list[dict[str, Any]]] = {}
    for s in lb["BackendServers"]:
        by_id.setdefault(s["ServerId"], []).append(s)
    for s in servers:
        targets = [by_key[skey(s, False)]] if skey(s, False) in by_key else (
            by_id.get(s["ServerId"], []) if "ServerIp" not in s else [])
        for t in targets:
            t["Weight"] = s["Weight"]
            if "Description" in s:
                t["Description"] = s["Description"]
    save_lb(ctx, lb)
    return {"LoadBalancerId": lb["LoadBalancerId"], "BackendServers": _servers_out(lb["BackendServers"])}


@action("Slb", "RemoveBackendServers")
def remove_backend_servers(ctx: Ctx, p: Params) -> dict:
    """- servers not in the default group are silently ignored; at most 20 per call"""
    lb = lb_param(ctx, p)
    servers = parse_servers(p, "BackendServers", port_required=False)
    drop_keys = {skey(s, False) for s in servers if "ServerIp" in s}
    drop_ids = {s["ServerId"] for s in servers if "ServerIp" not in s}
    lb["BackendServers"] = [s for s in lb["BackendServers"]
                            if s["ServerId"] not in drop_ids and skey(s, False) not in drop_keys]
    save_lb(ctx, lb)
    return {"LoadBalancerId": lb["LoadBalancerId"], "BackendServers": _servers_out(lb["BackendServers"])}


def _group_members(ctx: Ctx, lb: dict[str, Any], lst: dict[str, Any]) -> list[tuple[dict[str, Any], int]]:
    if lst.get("VServerGroupId"):
        g = ctx.store.get("vsg", lst["VServerGroupId"])
        return [(s, s["Port"]) for s in (g["BackendServers"] if g else [])]
    if lst.get("MasterSlaveServerGroupId"):
        g = ctx.store.get("msg", lst["MasterSlaveServerGroupId"])
        return [(s, s["Port"]) for s in (g["MasterSlaveBackendServers"] if g else [])]
    port = lst.get("BackendServerPort")
    if port is None:
        return []
    return [(s, port) for s in lb["BackendServers"]]


@action("Slb", "DescribeHealthStatus")
def describe_health_status(ctx: Ctx, p: Params) -> dict:
    """- per listener (optionally one port/protocol; a shared port needs ListenerProtocol), the
      servers behind it: normal while the listener runs, unavailable otherwise"""
    lb = lb_param(ctx, p)
    if p.has("ListenerPort"):
        listeners = [find_listener(ctx, p, lb, not_found=lambda: err("InvalidParameter",
                                                               "The specified resource does not exist."))]
    else:
        listeners = ctx.store.docs("listener", lb_id=lb["LoadBalancerId"])
    out = []
    for lst in listeners:
        status = "normal" if listener_status(ctx, lst) == "running" and lst.get("HealthCheck", "on") == "on" \
            else "unavailable"
        for s, port in _group_members(ctx, lb, lst):
            out.append({"ServerId": s["ServerId"], "ServerIp": s.get("ServerIp", ""), "Port": port,
                        "ListenerPort": lst["ListenerPort"], "Protocol": lst["ListenerProtocol"],
                        "ServerHealthStatus": status})
    return {"BackendServers": {"BackendServer": out}}


# --- VServer groups ---------------------------------------------------------------------------

def get_vsg(ctx: Ctx, gid: str) -> dict[str, Any]:
    g = ctx.store.get("vsg", gid)
    if g is None or g["RegionId"] != ctx.region:
        raise err("InvalidParameter", VSG_NOT_EXIST, status=404)
    return g


def save_vsg(ctx: Ctx, g: dict[str, Any]) -> None:
    ctx.store.put("vsg", g["VServerGroupId"], g, region=g["RegionId"], lb_id=g["LoadBalancerId"])


@action("Slb", "CreateVServerGroup")
def create_vserver_group(ctx: Ctx, p: Params) -> dict:
    """- the instance must exist; name 1-80 characters
    - BackendServers: at most 20, each with Port 1-65535, weight 0-100, no duplicate (ServerId, Port)
    - servers exist, run, and are in the instance's VPC; ENI/ECI only on guaranteed instances"""
    lb = lb_param(ctx, p)
    name = p.get("VServerGroupName")
    _check_group_name(name)
    servers = parse_servers(p, "BackendServers", port_required=True, required=False)
    _reject_dupes(servers)
    bind_servers(ctx, lb, servers)
    gid = ctx.new_id("rsp-", 11)
    g = {"VServerGroupId": gid, "VServerGroupName": name or gid, "LoadBalancerId": lb["LoadBalancerId"],
         "BackendServers": servers, "CreateTime": ctx.iso_now(), "Tags": p.tags(), "RegionId": ctx.region}
    save_vsg(ctx, g)
    return {"VServerGroupId": gid, "BackendServers": _servers_out(servers)}


@action("Slb", "SetVServerGroupAttribute")
def set_vserver_group_attribute(ctx: Ctx, p: Params) -> dict:
    """- renames and changes weights of existing members only; needs a name or servers"""
    g = get_vsg(ctx, p.req("VServerGroupId"))
    name = p.get("VServerGroupName")
    if name is None and not p.has("BackendServers"):
        raise err("MissingParameter", "The VServerGroupName or BackendServers is required at lease one.")
    _check_group_name(name)
    if name is not None:
        g["VServerGroupName"] = name
    if p.has("BackendServers"):
        servers = parse_servers(p, "BackendServers", port_required=True)
        by_key = {skey(s, True): s for s in g["BackendServers"]}
        for s in servers:
            t = by_key.get(skey(s, True))
            if t is None and (s.get("Type", "ecs") == "ecs" or not s.get("ServerIp")):
                # no ServerIp in the request: (ServerId, Port) names the member, as in _remove
                t = next((m for m in g["BackendServers"]
                          if m["ServerId"] == s["ServerId"] and m["Port"] == s["Port"]), None)
            if t is not None:
                t["Weight"] = s["Weight"]
                if "Description" in s:
                    t["Description"] = s["Description"]
    save_vsg(ctx, g)
    return {"VServerGroupId": g["VServerGroupId"], "VServerGroupName": g["VServerGroupName"],
            "BackendServers": _servers_out(g["BackendServers"])}


@action("Slb", "AddVServerGroupBackendServers")
def add_vserver_group_backend_servers(ctx: Ctx, p: Params) -> dict:
    """- at most 20 per call; a (ServerId, Port) already in the group or repeated in the request:
      InvalidParameter (duplicated ServerID and Port); servers must exist, run, share the VPC"""
    g = get_vsg(ctx, p.req("VServerGroupId"))
    lb = get_lb(ctx, g["LoadBalancerId"])
    servers = parse_servers(p, "BackendServers", port_required=True)
    _reject_dupes(servers)
    bind_servers(ctx, lb, servers)
    have = {skey(s, True) for s in g["BackendServers"]}
    if any(skey(s, True) in have for s in servers):
        raise err("InvalidParameter", BS_DUP)
    g["BackendServers"].extend(servers)
    save_vsg(ctx, g)
    return {"VServerGroupId": g["VServerGroupId"], "BackendServers": _servers_out(g["BackendServers"])}


def _remove(g: dict[str, Any], servers: list[dict[str, Any]]) -> None:
    """A member is identified by (ServerId, Port), plus ServerIp only when the request names one (a
    multi-IP ENI). An ENI entry without ServerIp therefore removes that ENI on that port: the group
    stores the IP it resolved at add time, so an exact key match alone would silently keep it."""
    drop_keys = {skey(s, True) for s in servers}
    drop_any_ip = {(s["ServerId"], s["Port"]) for s in servers
                   if s.get("Type", "ecs") == "ecs" or not s.get("ServerIp")}
    g["BackendServers"] = [s for s in g["BackendServers"]
                           if skey(s, True) not in drop_keys
                           and (s["ServerId"], s["Port"]) not in drop_any_ip]


@action("Slb", "RemoveVServerGroupBackendServers")
def remove_vserver_group_backend_servers(ctx: Ctx, p: Params) -> dict:
    """- members not in the group are silently ignored; at most 20 per call"""
    g = get_vsg(ctx, p.req("VServerGroupId"))
    servers = parse_servers(p, "BackendServers", port_required=True)
    _remove(g, servers)
    save_vsg(ctx, g)
    return {"VServerGroupId": g["VServerGroupId"], "BackendServers": _servers_out(g["BackendServers"])}


@action("Slb", "ModifyVServerGroupBackendServers")
def modify_vserver_group_backend_servers(ctx: Ctx, p: Params) -> dict:
    """- replaces OldBackendServers by NewBackendServers (at most 20 each); the result may not
      hold the same (ServerId, Port) twice"""
    g = get_vsg(ctx, p.req("VServerGroupId"))
    lb = get_lb(ctx, g["LoadBalancerId"])
    old = parse_servers(p, "OldBackendServers", port_required=True, required=False)
    new = parse_servers(p, "NewBackendServers", port_required=True, required=False)
    _reject_dupes(new)
    bind_servers(ctx, lb, new)
    _remove(g, old)
    have = {skey(s, True) for s in g["BackendServers"]}
    if any(skey(s, True) in have for s in new):
        raise err("InvalidParameter", BS_DUP)
    g["BackendServers"].extend(new)
    save_vsg(ctx, g)
    return {"VServerGroupId": g["VServerGroupId"], "BackendServers": _servers_out(g["BackendServers"])}


@action("Slb", "DeleteVServerGroup")
def delete_vserver_group(ctx: Ctx, p: Params) -> dict:
    """- refused while a listener uses it (RspoolVipExist) or a rule does (RspoolRuleExist)"""
    g = get_vsg(ctx, p.req("VServerGroupId"))
    gid = g["VServerGroupId"]
    users = ctx.store.referrers("vsg", gid)
    if any(k == "listener" for k, _ in users):
        raise err("RspoolVipExist")
    if any(k == "rule" for k, _ in users):
        raise err("RspoolRuleExist")
    ctx.store.delete("vsg", gid)
    return {}


def _associated(ctx: Ctx, kind: str, gid: str, *, listeners: bool, rules: bool) -> dict[str, Any]:
    out: dict[str, Any] = {}
    users = ctx.store.referrers(kind, gid)
    if listeners:
        items = []
        for k, i in users:
            if k == "listener":
                lst = ctx.store.get("listener", i)
                if lst:
                    items.append({"Protocol": lst["ListenerProtocol"], "Port": lst["ListenerPort"]})
        out["Listeners"] = {"Listener": items}
    if rules:
        items = []
        for k, i in users:
            if k == "rule":
                r = ctx.store.get("rule", i)
                if r:
                    items.append({k2: r[k2] for k2 in ("RuleId", "RuleName", "Domain", "Url") if r.get(k2)})
        out["Rules"] = {"Rule": items}
    return out


@action("Slb", "DescribeVServerGroups")
def describe_vserver_groups(ctx: Ctx, p: Params) -> dict:
    """- IncludeListener / IncludeRule add AssociatedObjects; Description filters by name; Tag.N"""
    from planner.emulator.actions.slb_instances import match_tags

    lb = lb_param(ctx, p)
    inc_l = p.bool("IncludeListener")
    inc_r = p.bool("IncludeRule")
    desc = p.get("Description")
    want_tags = [(o["key"], o.get("value")) for o in p.flat_objects("Tag") if o.get("key")]
    out = []
    for g in ctx.store.docs("vsg", lb_id=lb["LoadBalancerId"]):
        if desc is not None and desc not in g["VServerGroupName"]:
            continue
        if want_tags and not match_tags(g, want_tags):
            continue
        item = {"VServerGroupId": g["VServerGroupId"], "VServerGroupName": g["VServerGroupName"],
                "ServerCount": len(g["BackendServers"]), "CreateTime": g["CreateTime"], "Tags": tags_out(g),
                "AssociatedObjects": _associated(ctx, "vsg", g["VServerGroupId"], listeners=inc_l, rules=inc_r)}
        out.append(item)
    return {"VServerGroups": {"VServerGroup": out}}


@action("Slb", "DescribeVServerGroupAttribute")
def describe_vserver_group_attribute(ctx: Ctx, p: Params) -> dict:
    g = get_vsg(ctx, p.req("VServerGroupId"))
    return {"VServerGroupId": g["VServerGroupId"], "VServerGroupName": g["VServerGroupName"],
            "LoadBalancerId": g["LoadBalancerId"], "BackendServers": _servers_out(g["BackendServers"], True),
            "CreateTime": g["CreateTime"], "Tags": tags_out(g)}


# --- master-slave groups ----------------------------------------------------------------------

def get_msg(ctx: Ctx, gid: str) -> dict[str, Any]:
    g = ctx.store.get("msg", gid)
    if g is None or g["RegionId"] != ctx.region:
        raise err("InvalidParameter", MSG_NOT_EXIST)
    return g


@action("Slb", "CreateMasterSlaveServerGroup")
def create_master_slave_server_group(ctx: Ctx, p: Params) -> dict:
    """- exactly two servers (BACKEND_SERVERS_NUM_MUST_BE_TWO), one Master and one Slave
    - each with ServerId and Port; the two may not share (ServerId, Port)
    - servers exist, run and are in the instance's VPC; no modify API exists"""
    lb = lb_param(ctx, p)
    name = p.get("MasterSlaveServerGroupName")
    _check_group_name(name)
    items = p.json_list("MasterSlaveBackendServers", malformed=lambda: err("BackendServersMalformed"))
    assert items is not None
    if len(items) != 2:
        raise err("BACKEND_SERVERS_NUM_MUST_BE_TWO")
    servers = parse_servers(p, "MasterSlaveBackendServers", port_required=True, ms=True)
    if sorted(s["ServerType"] for s in servers) != ["Master", "Slave"]:
        raise err("BACKEND_SERVERS_CAN_ONLY_CONTAIN_ONE_MASTER_AND_ONE_SLAVE")
    if skey(servers[0], True) == skey(servers[1], True):
        raise err("BACKEND_SERVERS_HAVE_SAME_PORT_AND_SERVERID")
    bind_servers(ctx, lb, servers)
    gid = ctx.new_id("rsp-", 11)
    g = {"MasterSlaveServerGroupId": gid, "MasterSlaveServerGroupName": name or gid,
         "LoadBalancerId": lb["LoadBalancerId"], "MasterSlaveBackendServers": servers,
         "CreateTime": ctx.iso_now(), "Tags": p.tags(), "RegionId": ctx.region}
    ctx.store.put("msg", gid, g, region=ctx.region, lb_id=lb["LoadBalancerId"])
    return {"MasterSlaveServerGroupId": gid,
            "MasterSlaveBackendServers": {"MasterSlaveBackendServer": [server_out(s, with_ip=False)
                                                                       for s in servers]}}


@action("Slb", "DeleteMasterSlaveServerGroup")
def delete_master_slave_server_group(ctx: Ctx, p: Params) -> dict:
    """- refused while a listener uses it (RspoolVipExist)"""
    g = get_msg(ctx, p.req("MasterSlaveServerGroupId"))
    if ctx.store.referrers("msg", g["MasterSlaveServerGroupId"], "listener"):
        raise err("RspoolVipExist")
    ctx.store.delete("msg", g["MasterSlaveServerGroupId"])
    return {}


@action("Slb", "DescribeMasterSlaveServerGroups")
def describe_master_slave_server_groups(ctx: Ctx, p: Params) -> dict:
    lb = lb_param(ctx, p)
    inc_l = p.bool("IncludeListener")
    desc = p.get("Description")
    out = []
    for g in ctx.store.docs("msg", lb_id=lb["LoadBalancerId"]):
        if desc is not None and desc not in g["MasterSlaveServerGroupName"]:
            continue
        out.append({"MasterSlaveServerGroupId": g["MasterSlaveServerGroupId"],
                    "MasterSlaveServerGroupName": g["MasterSlaveServerGroupName"], "CreateTime": g["CreateTime"],
                    "Tags": tags_out(g),
                    "AssociatedObjects": _associated(ctx, "msg", g["MasterSlaveServerGroupId"],
                                                     listeners=inc_l, rules=False)})
    return {"MasterSlaveServerGroups": {"MasterSlaveServerGroup": out}}


@action("Slb", "DescribeMasterSlaveServerGroupAttribute")
def describe_master_slave_server_group_attribute(ctx: Ctx, p: Params) -> dict:
    g = get_msg(ctx, p.req("MasterSlaveServerGroupId"))
    return {"MasterSlaveServerGroupId": g["MasterSlaveServerGroupId"],
            "MasterSlaveServerGroupName": g["MasterSlaveServerGroupName"], "LoadBalancerId": g["LoadBalancerId"],
            "MasterSlaveBackendServers": {"MasterSlaveBackendServer": [
                server_out(s, with_ip=False) for s in g["MasterSlaveBackendServers"]]},
            "CreateTime": g["CreateTime"], "Tags": tags_out(g)}
