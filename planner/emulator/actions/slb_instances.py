"""CLB instance actions: create, delete (with its children), describe, and the Set/Modify family."""

from __future__ import annotations

import re
from typing import Any

from planner.emulator.actions.common import (
    DEFAULT_RESOURCE_GROUP,
    GUARANTEED_SPECS,
    LCU_SPEC,
    get_lb,
    lb_param,
    save_lb,
    server_out,
    tags_out,
    zones_of,
)
from planner.emulator.actions.vpc import allocate_ip, get_vswitch
from planner.emulator.actions.vpc_eip import release_bindings
from planner.emulator.codes import err
from planner.emulator.params import Params
from planner.emulator.registry import Ctx, action

_LB_NAME = re.compile(r"^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9\u4e00-\u9fa5._/-]{0,79}$")
_REASON = re.compile(r"^[A-Za-z\u4e00-\u9fa5][A-Za-z0-9\u4e00-\u9fa5._-]{0,79}$")


def _check_name(name: str) -> None:
    if not _LB_NAME.match(name):
        raise err("InvalidParameter", "The Lb Name is Not supported.")


def _internet_ip(ctx: Ctx) -> str:
    n = ctx.store.next_counter("internet_ip")
    base = (47 << 24) | (96 << 16)  # 47.96.0.0/12, the region's public pool
    return ".".join(str((base + n) >> s & 255) for s in (24, 16, 8, 0))


@action("Slb", "CreateLoadBalancer")
def create_load_balancer(ctx: Ctx, p: Params) -> dict:
    """- PayBySpec without LoadBalancerSpec is a shared instance: ShareSlbHaltSales
    - PayByCLCU reports spec slb.lcu.elastic and only allows paybytraffic
    - VSwitchId must exist (VSwitchNotExist); VpcId, when given, must be the vSwitch's VPC
    - intranet address allocated from the vSwitch CIDR; a given Address must lie in it and be free
    - IPv6 cannot be intranet (InvalidParameter.Mismatch)
    - Bandwidth 1-5120 for paybybandwidth (InvalidParameter.Bandwidth)
    - names 1-80 chars starting with a letter; at most 20 tags"""
    charge = p.enum("InstanceChargeType", ("PayBySpec", "PayByCLCU"), default="PayBySpec",
                    error=lambda: err("IllegalParam.InstanceChargeType"))
    spec = p.get("LoadBalancerSpec")
    internet_charge = p.enum("InternetChargeType", ("paybytraffic", "paybybandwidth"), default="paybytraffic",
                             error=lambda: err("Instance.InternetChargeTypeNotAllowed"))
    if charge == "PayByCLCU":
        spec = LCU_SPEC
        if internet_charge != "paybytraffic":
            raise err("Instance.InternetChargeTypeNotAllowed")
    elif not spec:
        raise err("ShareSlbHaltSales")
    elif spec not in GUARANTEED_SPECS:
        raise err("InvalidParameter", "The specified parameter LoadBalancerSpec is not valid.")
    pay_type = p.enum("PayType", ("PayOnDemand", "PrePay"), default="PayOnDemand")
    ipv = p.enum("AddressIPVersion", ("ipv4", "ipv6"), default="ipv4")
    vsw_id = p.get("VSwitchId")
    addr_type = p.enum("AddressType", ("internet", "intranet"), default="intranet" if vsw_id else "internet")
    if ipv == "ipv6" and addr_type == "intranet":
        raise err("InvalidParameter.Mismatch")
    bandwidth = -1
    if internet_charge == "paybybandwidth":
        bw = p.int("Bandwidth", 1, 5120, error=lambda: err("InvalidParameter.Bandwidth"))
        if bw is None:
            raise err("InvalidParameter.Bandwidth")
        bandwidth = bw
    else:
        p.int("Bandwidth", 1, 5120, error=lambda: err("InvalidParameter.Bandwidth"))
    delete_protection = p.onoff("DeleteProtection", default="off")
    mp_status = p.enum("ModificationProtectionStatus", ("NonProtection", "ConsoleProtection"),
                       default="NonProtection", error=lambda: err("InvalidParam.ModificationProtectionStatus"))
    mp_reason = p.get("ModificationProtectionReason", "")
    assert mp_reason is not None
    if mp_status == "ConsoleProtection" and mp_reason and not _REASON.match(mp_reason):
        raise err("InvalidParam.ModificationProtectionReason")
    if mp_status == "NonProtection":
        mp_reason = ""
    tags = p.tags()
    zones = zones_of(ctx.region)
    master = p.get("MasterZoneId")
    slave = p.get("SlaveZoneId")
    for z in (master, slave):
        if z is not None and z not in zones:
            raise err("InvalidParameter", "The site is not exist.")

    lb_id = ctx.new_id("lb-", 20)
    vpc_id, network = "", "classic"
    vsw = None
    if vsw_id:
        vsw = get_vswitch(ctx, vsw_id, code="VSwitchNotExist")
        want_vpc = p.get("VpcId")
        if want_vpc:
            if ctx.store.get("vpc", want_vpc) is None:
                raise err("InvalidVpcId.NotExist")
            if want_vpc != vsw["VpcId"]:
                raise err("InvalidVSwitchId.NotFound")
        vpc_id, network = vsw["VpcId"], "vpc"
        master = master or vsw["ZoneId"]
    master = master or zones[0]
    if slave is None:
        slave = next(z for z in zones if z != master)
    if addr_type == "intranet" and vsw is not None:
        address = allocate_ip(ctx, vsw, lb_id, p.get("Address"),
                              not_in_subnet=lambda: err("InvalidParameter", "Illegal parameter. The IP address is not in subnet."),
                              in_use=lambda: err("InvalidParameter", "The vpc Ip is exist."),
                              exhausted=lambda: err("VSwitchAvailableIpNotExist"))
    elif addr_type == "intranet":
        n = ctx.store.next_counter("classic_ip")
        address = f"10.{(n >> 16) & 255}.{(n >> 8) & 255}.{n & 255}"
    elif ipv == "ipv6":
        n = ctx.store.next_counter("ipv6")
        address = f"2408:4000:1000::{n:x}"
    else:
        address = _internet_ip(ctx)
    name = p.get("LoadBalancerName")
    if name is not None:
        _check_name(name)
    else:
        name = "auto_named_slb"
    rg = p.get("ResourceGroupId", DEFAULT_RESOURCE_GROUP)
    lb: dict[str, Any] = {
        "LoadBalancerId": lb_id, "LoadBalancerName": name, "LoadBalancerStatus": "active",
        "Address": address, "AddressType": addr_type, "AddressIPVersion": ipv, "NetworkType": network,
        "VpcId": vpc_id, "VSwitchId": vsw_id or "", "LoadBalancerSpec": spec, "InstanceChargeType": charge,
        "InternetChargeType": internet_charge, "Bandwidth": bandwidth, "PayType": pay_type,
        "MasterZoneId": master, "SlaveZoneId": slave, "DeleteProtection": delete_protection,
        "ModificationProtectionStatus": mp_status, "ModificationProtectionReason": mp_reason,
        "ResourceGroupId": rg, "RegionId": ctx.region, "RegionIdAlias": ctx.region,
        "CreateTime": ctx.iso_now(), "CreateTimeStamp": ctx.ms_now(), "Tags": tags, "BackendServers": [],
    }
    save_lb(ctx, lb)
    out = {"LoadBalancerId": lb_id, "Address": address, "AddressIPVersion": ipv, "LoadBalancerName": name,
           "NetworkType": network, "VpcId": vpc_id, "VSwitchId": vsw_id or "", "ResourceGroupId": rg}
    if pay_type == "PrePay":
        out["OrderId"] = ctx.store.next_counter("order", 20000000000)
    return out


@action("Slb", "DeleteLoadBalancer")
def delete_load_balancer(ctx: Ctx, p: Params) -> dict:
    """- DeleteProtection on: OperationDenied.DeleteProtectionIsOn
    - prepaid instances cannot be deleted (InvalidChargeType)
    - listeners, rules, domain extensions, VServer and master-slave groups, tags and the address go
      with it"""
    lb = lb_param(ctx, p)
    if lb["DeleteProtection"] == "on":
        raise err("OperationDenied.DeleteProtectionIsOn")
    if lb["PayType"] == "PrePay":
        raise err("InvalidChargeType")
    st = ctx.store
    lb_id = lb["LoadBalancerId"]
    for kind in ("rule", "domainext", "listener", "vsg", "msg"):
        for i in st.ids(kind, lb_id=lb_id):
            st.delete(kind, i)
    release_bindings(ctx, "lb", lb_id)
    st.ip_release_owner(lb_id)
    st.delete("lb", lb_id)
    return {}


def _summary(ctx: Ctx, lb: dict[str, Any]) -> dict[str, Any]:
    keys = ("LoadBalancerId", "LoadBalancerName", "LoadBalancerStatus", "Address", "AddressType",
            "AddressIPVersion", "NetworkType", "VpcId", "VSwitchId", "LoadBalancerSpec", "InstanceChargeType",
            "InternetChargeType", "Bandwidth", "PayType", "MasterZoneId", "SlaveZoneId", "DeleteProtection",
            "ModificationProtectionStatus", "ModificationProtectionReason", "ResourceGroupId", "RegionId",
            "RegionIdAlias", "CreateTime", "CreateTimeStamp")
    out = {k: lb[k] for k in keys}
    out["InternetChargeTypeAlias"] = lb["InternetChargeType"]
    out["Tags"] = tags_out(lb)
    return out


def _tag_filter(p: Params) -> list[tuple[str, str | None]]:
    want: list[tuple[str, str | None]] = []
    for obj in p.flat_objects("Tag"):
        if obj.get("key"):
            want.append((obj["key"], obj.get("value")))
    raw = p.get("Tags")
    if raw:
        from planner.emulator.params import parse_json_list
        try:
            val = parse_json_list(raw)
        except ValueError:
            raise err("InvalidTag")
        items = val if isinstance(val, list) else [val]
        for it in items:
            if not isinstance(it, dict):
                raise err("InvalidTag")
            low = {str(k).lower(): v for k, v in it.items()}
            key = low.get("tagkey") or low.get("key")
            if not key:
                raise err("InvalidTag")
            v = low.get("tagvalue", low.get("value"))
            want.append((str(key), None if v is None else str(v)))
    return want


def match_tags(doc: dict[str, Any], want: list[tuple[str, str | None]]) -> bool:
    have = {t["TagKey"]: t["TagValue"] for t in doc.get("Tags", [])}
    return all(k in have and (v is None or have[k] == v) for k, v in want)


@action("Slb", "DescribeLoadBalancers")
def describe_load_balancers(ctx: Ctx, p: Params) -> dict:
    """- LoadBalancerId / LoadBalancerName: at most 10 comma-separated values
    - PageSize 1-100 (default 10), PageNumber from 1; filters on address, network, VPC, zone,
      status, pay type, resource group, tags, backend ServerId"""
    st = ctx.store
    size = p.int("PageSize", 1, 100, default=10)
    num = p.int("PageNumber", 1, None, default=1)
    assert size is not None and num is not None
    ids = [x.strip() for x in (p.get("LoadBalancerId") or "").split(",") if x.strip()]
    names = [x.strip() for x in (p.get("LoadBalancerName") or "").split(",") if x.strip()]
    if len(ids) > 10 or len(names) > 10:
        raise err("InvalidParameter", "The specified parameter LoadBalancerId is not valid.")
    filters = {k: p.get(k) for k in ("Address", "AddressType", "AddressIPVersion", "NetworkType", "VpcId",
                                     "VSwitchId", "MasterZoneId", "SlaveZoneId", "PayType",
                                     "InternetChargeType", "LoadBalancerStatus", "ResourceGroupId")}
    filters = {k: v for k, v in filters.items() if v is not None}
    tags = _tag_filter(p)
    server = p.get("ServerId")
    if ids:
        docs = [d for d in (st.get("lb", i) for i in ids) if d is not None and d["RegionId"] == ctx.region]
    elif not (names or filters or tags or server):
        total = st.count("lb", region=ctx.region)
        page_ids = st.ids("lb", region=ctx.region, limit=size, offset=(num - 1) * size)
        page = [st.get("lb", i) for i in page_ids]
        return {"LoadBalancers": {"LoadBalancer": [_summary(ctx, d) for d in page if d]},
                "TotalCount": total, "PageNumber": num, "PageSize": size}
    else:
        docs = st.docs("lb", region=ctx.region)
    out = []
    for d in docs:
        if names and d["LoadBalancerName"] not in names:
            continue
        if any(str(d.get(k, "")) != v for k, v in filters.items()):
            continue
        if tags and not match_tags(d, tags):
            continue
        if server and not _has_server(ctx, d, server):
            continue
        out.append(d)
    page = out[(num - 1) * size: num * size]
    return {"LoadBalancers": {"LoadBalancer": [_summary(ctx, d) for d in page]}, "TotalCount": len(out),
            "PageNumber": num, "PageSize": size}


def _has_server(ctx: Ctx, lb: dict[str, Any], server: str) -> bool:
    if any(s["ServerId"] == server for s in lb["BackendServers"]):
        return True
    for kind, field in (("vsg", "BackendServers"), ("msg", "MasterSlaveBackendServers")):
        for g in ctx.store.docs(kind, lb_id=lb["LoadBalancerId"]):
            if any(s["ServerId"] == server for s in g[field]):
                return True
    return False


# what DescribeLoadBalancerAttribute shows of each listener
_LISTENER_FIELDS = ("ListenerPort", "ListenerProtocol", "ListenerForward", "ForwardPort", "Description")


@action("Slb", "DescribeLoadBalancerAttribute")
def describe_load_balancer_attribute(ctx: Ctx, p: Params) -> dict:
    """- the default server group, listener ports and protocols (also under the legacy misspelt
      ListenerPortsAndProtocal key) and the tags of the instance"""
    lb = lb_param(ctx, p)
    out = _summary(ctx, lb)
    listeners = sorted(ctx.store.fields("listener", _LISTENER_FIELDS, lb_id=lb["LoadBalancerId"]),
                       key=lambda x: (x["ListenerPort"], x["ListenerProtocol"]))
    out["ListenerPorts"] = {"ListenerPort": sorted({x["ListenerPort"] for x in listeners})}
    out["ListenerPortsAndProtocal"] = {"ListenerPortAndProtocal": [
        {"ListenerPort": x["ListenerPort"], "ListenerProtocal": x["ListenerProtocol"]} for x in listeners]}
    pp = []
    for x in listeners:
        item: dict[str, Any] = {"ListenerPort": x["ListenerPort"], "ListenerProtocol": x["ListenerProtocol"]}
        if x["ListenerProtocol"] == "http":
            item["ListenerForward"] = x.get("ListenerForward", "off")
            if x.get("ListenerForward") == "on":
                item["ForwardPort"] = x["ForwardPort"]
        if x.get("Description"):
            item["Description"] = x["Description"]
        pp.append(item)
    out["ListenerPortsAndProtocol"] = {"ListenerPortAndProtocol": pp}
    out["BackendServers"] = {"BackendServer": [server_out(s) for s in lb["BackendServers"]]}
    return out


@action("Slb", "SetLoadBalancerStatus")
def set_load_balancer_status(ctx: Ctx, p: Params) -> dict:
    """- LoadBalancerStatus must be active or inactive"""
    lb = lb_param(ctx, p)
    lb["LoadBalancerStatus"] = p.enum("LoadBalancerStatus", ("active", "inactive"), required=True)
    save_lb(ctx, lb)
    return {}


@action("Slb", "SetLoadBalancerName")
def set_load_balancer_name(ctx: Ctx, p: Params) -> dict:
    """- names are 1-80 characters and start with a letter ("The Lb Name is Not supported.")"""
    lb = lb_param(ctx, p)
    name = p.req("LoadBalancerName")
    _check_name(name)
    lb["LoadBalancerName"] = name
    save_lb(ctx, lb)
    return {}


@action("Slb", "SetLoadBalancerDeleteProtection")
def set_load_balancer_delete_protection(ctx: Ctx, p: Params) -> dict:
    """- prepaid instances do not support delete protection"""
    lb = lb_param(ctx, p)
    value = p.onoff("DeleteProtection", required=True)
    if lb["PayType"] == "PrePay":
        raise err("OperationUnsupported.DeleteProtectionForPrePayInstance")
    lb["DeleteProtection"] = value
    save_lb(ctx, lb)
    return {}


@action("Slb", "SetLoadBalancerModificationProtection")
def set_load_balancer_modification_protection(ctx: Ctx, p: Params) -> dict:
    """- NonProtection clears the reason; a reason is 1-80 characters starting with a letter"""
    lb = lb_param(ctx, p)
    status = p.enum("ModificationProtectionStatus", ("NonProtection", "ConsoleProtection"), required=True,
                    error=lambda: err("InvalidParam.ModificationProtectionStatus"))
    reason = p.get("ModificationProtectionReason", "")
    assert reason is not None
    if status == "ConsoleProtection" and reason and not _REASON.match(reason):
        raise err("InvalidParam.ModificationProtectionReason")
    lb["ModificationProtectionStatus"] = status
    lb["ModificationProtectionReason"] = reason if status == "ConsoleProtection" else ""
    save_lb(ctx, lb)
    return {}


@action("Slb", "ModifyLoadBalancerInstanceSpec")
def modify_load_balancer_instance_spec(ctx: Ctx, p: Params) -> dict:
    """- pay-by-LCU instances have no spec (OperationDenied.PayByCLCU)
    - the spec must be a guaranteed-performance one (ModifySpecNotAllowed)"""
    lb = lb_param(ctx, p)
    spec = p.req("LoadBalancerSpec")
    if lb["InstanceChargeType"] == "PayByCLCU":
        raise err("OperationDenied.PayByCLCU")
    if spec not in GUARANTEED_SPECS:
        raise err("ModifySpecNotAllowed")
    if lb["PayType"] == "PrePay" and lb["LoadBalancerSpec"] and \
            GUARANTEED_SPECS.index(spec) < GUARANTEED_SPECS.index(lb["LoadBalancerSpec"]):
        raise err("ModifySpecNotAllowed")
    lb["LoadBalancerSpec"] = spec
    save_lb(ctx, lb)
    out: dict[str, Any] = {}
    if lb["PayType"] == "PrePay":
        out["OrderId"] = ctx.store.next_counter("order", 20000000000)
    return out


@action("Slb", "ModifyLoadBalancerInternetSpec")
def modify_load_balancer_internet_spec(ctx: Ctx, p: Params) -> dict:
    """- pay-by-LCU instances: OperationDenied.PayByCLCU
    - an intranet instance cannot become paybybandwidth (ActionNotAllowed)
    - Bandwidth 1-5000"""
    lb = lb_param(ctx, p)
    charge = p.enum("InternetChargeType", ("paybytraffic", "paybybandwidth"),
                    error=lambda: err("Instance.InternetChargeTypeNotAllowed"))
    bw = p.int("Bandwidth", 1, 5000, error=lambda: err("InvalidParameter.Bandwidth"))
    if lb["InstanceChargeType"] == "PayByCLCU":
        raise err("OperationDenied.PayByCLCU")
    if charge == "paybybandwidth" and lb["AddressType"] == "intranet":
        raise err("ActionNotAllowed", "The Intranet LB's InternetChargeType is not allowed change to "
                                      "paybybandwidth.")
    if charge:
        lb["InternetChargeType"] = charge
    if lb["InternetChargeType"] == "paybybandwidth":
        if bw is not None:
            lb["Bandwidth"] = bw
        elif lb["Bandwidth"] == -1:
            raise err("InvalidParameter.Bandwidth")
    else:
        lb["Bandwidth"] = -1
    save_lb(ctx, lb)
    return {}


@action("Slb", "ModifyLoadBalancerPayType")
def modify_load_balancer_pay_type(ctx: Ctx, p: Params) -> dict:
    """- only PayOnDemand -> PrePay; an internet paybytraffic instance cannot switch"""
    lb = lb_param(ctx, p)
    pay = p.enum("PayType", ("PayOnDemand", "PrePay"), required=True)
    if pay == lb["PayType"] or pay == "PayOnDemand":
        raise err("Operation.NotAllowed", "The specified PayType is not allowed for this instance.")
    if lb["AddressType"] == "internet" and lb["InternetChargeType"] == "paybytraffic":
        raise err("Operation.NotAllowed", "Cannot change internet payByTraffic loadBalancer from PayOnDemand "
                                          "to PrePay.")
    lb["PayType"] = pay
    lb["DeleteProtection"] = "off"
    save_lb(ctx, lb)
    return {"OrderId": ctx.store.next_counter("order", 20000000000)}


@action("Slb", "ModifyLoadBalancerInstanceChargeType")
def modify_load_balancer_instance_charge_type(ctx: Ctx, p: Params) -> dict:
    """- only PayBySpec -> PayByCLCU (Forbidden.LcuToSpec the other way)"""
    lb = lb_param(ctx, p)
    charge = p.enum("InstanceChargeType", ("PayBySpec", "PayByCLCU"), required=True,
                    error=lambda: err("IllegalParam.InstanceChargeType"))
    if lb["InstanceChargeType"] == "PayByCLCU" and charge == "PayBySpec":
        raise err("Forbidden.LcuToSpec")
    if charge == "PayByCLCU" and lb["InstanceChargeType"] != "PayByCLCU":
        if lb["InternetChargeType"] != "paybytraffic":
            raise err("OperationDenied.PayByCLCU")
        lb["InstanceChargeType"] = "PayByCLCU"
        lb["LoadBalancerSpec"] = LCU_SPEC
        save_lb(ctx, lb)
    return {}


@action("Slb", "DescribeZones")
def describe_zones(ctx: Ctx, p: Params) -> dict:
    zones = zones_of(ctx.region)
    return {"Zones": {"Zone": [
        {"ZoneId": z, "LocalName": z, "SlaveZones": {"SlaveZone": [
            {"ZoneId": s, "LocalName": s} for s in zones if s != z]}} for z in zones]}}


@action("Slb", "DescribeRegions")
def describe_regions(ctx: Ctx, p: Params) -> dict:
    return {"Regions": {"Region": [{"RegionId": ctx.region, "LocalName": ctx.region,
                                    "RegionEndpoint": "slb.aliyuncs.com"}]}}


__all__ = ["get_lb", "match_tags"]
