"""Minimal VPC product: VPCs and vSwitches, and private IP allocation from a vSwitch's CIDR.

CLB needs them for intranet addresses (allocated from the vSwitch), for the "servers must be in
the instance's VPC" rule, and because the Terraform provider calls DescribeVSwitchAttributes.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Callable
from typing import Any

from planner.emulator.actions.common import DEFAULT_RESOURCE_GROUP, zones_of
from planner.emulator.codes import err
from planner.emulator.params import Params
from planner.emulator.registry import Ctx, action

RESERVED_TAIL = 3  # the last three addresses of a vSwitch are the cloud's


def _net(cidr: str, code: str = "InvalidCidrBlock.Malformed") -> ipaddress.IPv4Network:
    try:
        return ipaddress.ip_network(cidr.strip(), strict=True)  # type: ignore[return-value]
    except ValueError:
        raise err(code)


def get_vswitch(ctx: Ctx, vsw_id: str, *, code: str = "InvalidVSwitchId.NotExist") -> dict[str, Any]:
    v = ctx.store.get("vswitch", vsw_id)
    if v is None or v["RegionId"] != ctx.region:
        raise err(code)
    return v


def allocate_ip(ctx: Ctx, vsw: dict[str, Any], owner: str, wanted: str | None = None, *,
                not_in_subnet: Callable[[], Exception] | None = None, in_use: Callable[[], Exception] | None = None,
                exhausted: Callable[[], Exception] | None = None) -> str:
    """Take ``wanted`` (checked) or the next free address of the vSwitch."""
    net = ipaddress.ip_network(vsw["CidrBlock"])
    first, last = 1, net.num_addresses - 1 - RESERVED_TAIL
    st = ctx.store
    key = vsw["VSwitchId"]
    if wanted:
        try:
            addr = ipaddress.ip_address(wanted)
        except ValueError:
            raise not_in_subnet() if not_in_subnet else err("InvalidPrivateIpAddress.Mismatch")
        off = int(addr) - int(net.network_address)
        if addr not in net or not first <= off <= last:
            raise not_in_subnet() if not_in_subnet else err("InvalidPrivateIpAddress.Mismatch")
        if st.ip_owner(key, wanted) is not None:
            raise in_use() if in_use else err("InvalidIpAddress.AlreadyUsed")
        st.ip_take(key, wanted, owner)
        return wanted
    start = vsw.get("_next", first)
    span = last - first + 1
    for i in range(span):
        off = first + (start - first + i) % span
        ip = str(net.network_address + off)
        if st.ip_owner(key, ip) is None:
            st.ip_take(key, ip, owner)
            vsw["_next"] = off + 1 if off < last else first
            st.put("vswitch", key, vsw, region=vsw["RegionId"], lb_id=vsw["VpcId"])
            return ip
    raise exhausted() if exhausted else err("InvalidIpAddress.AlreadyUsed", "No private IP address is available in the vSwitch.")


def available_ips(ctx: Ctx, vsw: dict[str, Any]) -> int:
    net = ipaddress.ip_network(vsw["CidrBlock"])
    return max(0, net.num_addresses - 1 - RESERVED_TAIL) - ctx.store.ip_count(vsw["VSwitchId"])


def _page(p: Params, items: list[Any], default_size: int = 10, max_size: int = 50) -> tuple[list[Any], int, int]:
    num = p.int("PageNumber", 1, None, default=1)
    size = p.int("PageSize", 1, max_size, default=default_size)
    assert num is not None and size is not None
    return items[(num - 1) * size: num * size], num, size


def _vpc_out(ctx: Ctx, v: dict[str, Any]) -> dict[str, Any]:
    out = {k: val for k, val in v.items() if not k.startswith("_")}
    out["VSwitchIds"] = {"VSwitchId": ctx.store.ids("vswitch", lb_id=v["VpcId"])}
    return out


@action("Vpc", "CreateVpc")
def create_vpc(ctx: Ctx, p: Params) -> dict:
    cidr = p.get("CidrBlock", "172.16.0.0/12")
    assert cidr is not None
    net = _net(cidr)
    if net.prefixlen < 8 or net.prefixlen > 28:
        raise err("InvalidCidrBlock.Malformed")
    vpc_id = ctx.new_id("vpc-")
    doc = {"VpcId": vpc_id, "VpcName": p.get("VpcName", ""), "Description": p.get("Description", ""),
           "CidrBlock": str(net), "Status": "Available", "RegionId": ctx.region, "IsDefault": False,
           "VRouterId": ctx.new_id("vrt-"), "ResourceGroupId": p.get("ResourceGroupId", DEFAULT_RESOURCE_GROUP),
           "CreationTime": ctx.iso_now(), "Tags": {"Tag": [dict(t) for t in p.tags()]}}
    doc["RouteTableId"] = ctx.new_id("vtb-")
    ctx.store.put("vpc", vpc_id, doc, region=ctx.region)
    return {"VpcId": vpc_id, "VRouterId": doc["VRouterId"], "RouteTableId": doc["RouteTableId"],
            "ResourceGroupId": doc["ResourceGroupId"]}


@action("Vpc", "DescribeVpcs")
def describe_vpcs(ctx: Ctx, p: Params) -> dict:
    want = set(p.flat("VpcId"))
    name = p.get("VpcName")
    items = [v for v in ctx.store.docs("vpc", region=ctx.region)
             if (not want or v["VpcId"] in want) and (name is None or v["VpcName"] == name)]
    page, num, size = _page(p, items)
    return {"Vpcs": {"Vpc": [_vpc_out(ctx, v) for v in page]}, "TotalCount": len(items),
            "PageNumber": num, "PageSize": size}


@action("Vpc", "DeleteVpc")
def delete_vpc(ctx: Ctx, p: Params) -> dict:
    """- a VPC with vSwitches or security groups cannot be deleted (DependencyViolation)"""
    vpc_id = p.req("VpcId")
    v = ctx.store.get("vpc", vpc_id)
    if v is None or v["RegionId"] != ctx.region:
        raise err("InvalidVpcId.NotFound")
    if ctx.store.count("vswitch", lb_id=vpc_id) or ctx.store.count("sg", lb_id=vpc_id):
        raise err("DependencyViolation")
    ctx.store.delete("vpc", vpc_id)
    return {}


@action("Vpc", "CreateVSwitch")
def create_vswitch(ctx: Ctx, p: Params) -> dict:
    """- the CIDR must lie inside the VPC's CIDR and not overlap another vSwitch of the VPC
    - the zone must be one of the region's zones"""
    vpc_id = p.req("VpcId")
    zone = p.req("ZoneId")
    cidr = p.req("CidrBlock")
    vpc = ctx.store.get("vpc", vpc_id)
    if vpc is None or vpc["RegionId"] != ctx.region:
        raise err("InvalidVpcId.NotFound")
    if zone not in zones_of(ctx.region):
        raise err("InvalidZoneId.NotFound")
    net = _net(cidr)
    vnet = ipaddress.ip_network(vpc["CidrBlock"])
    if not net.subnet_of(vnet):  # type: ignore[arg-type]
        raise err("InvalidVSwitchCidr.Mismatch")
    if net.prefixlen > 29:
        raise err("InvalidCidrBlock.Malformed")
    for other in ctx.store.docs("vswitch", lb_id=vpc_id):
        if net.overlaps(ipaddress.ip_network(other["CidrBlock"])):
            raise err("InvalidCidrBlock.Overlapped")
    vsw_id = ctx.new_id("vsw-")
    doc = {"VSwitchId": vsw_id, "VpcId": vpc_id, "ZoneId": zone, "CidrBlock": str(net),
           "VSwitchName": p.get("VSwitchName", ""), "Description": p.get("Description", ""),
           "Status": "Available", "RegionId": ctx.region, "CreationTime": ctx.iso_now(), "IsDefault": False,
           "Tags": {"Tag": [dict(t) for t in p.tags()]}}
    ctx.store.put("vswitch", vsw_id, doc, region=ctx.region, lb_id=vpc_id)
    return {"VSwitchId": vsw_id}


def _vsw_out(ctx: Ctx, v: dict[str, Any]) -> dict[str, Any]:
    out = {k: val for k, val in v.items() if not k.startswith("_")}
    out["AvailableIpAddressCount"] = available_ips(ctx, v)
    return out


@action("Vpc", "DescribeVSwitches")
def describe_vswitches(ctx: Ctx, p: Params) -> dict:
    vpc_id = p.get("VpcId")
    want = set(p.flat("VSwitchId"))
    zone = p.get("ZoneId")
    items = [v for v in ctx.store.docs("vswitch", region=ctx.region)
             if (vpc_id is None or v["VpcId"] == vpc_id) and (not want or v["VSwitchId"] in want)
             and (zone is None or v["ZoneId"] == zone)]
    page, num, size = _page(p, items)
    return {"VSwitches": {"VSwitch": [_vsw_out(ctx, v) for v in page]}, "TotalCount": len(items),
            "PageNumber": num, "PageSize": size}


@action("Vpc", "DescribeVSwitchAttributes")
def describe_vswitch_attributes(ctx: Ctx, p: Params) -> dict:
    v = get_vswitch(ctx, p.req("VSwitchId"))
    return _vsw_out(ctx, v)


@action("Vpc", "DeleteVSwitch")
def delete_vswitch(ctx: Ctx, p: Params) -> dict:
    """- a vSwitch still holding addresses (instances, ENIs, load balancers) cannot be deleted"""
    v = get_vswitch(ctx, p.req("VSwitchId"))
    if ctx.store.ip_count(v["VSwitchId"]):
        raise err("DependencyViolation")
    ctx.store.delete("vswitch", v["VSwitchId"])
    return {}


@action("Vpc", "ModifyVpcAttribute")
def modify_vpc_attribute(ctx: Ctx, p: Params) -> dict:
    """- renames a VPC or changes its description"""
    vpc_id = p.req("VpcId")
    v = ctx.store.get("vpc", vpc_id)
    if v is None or v["RegionId"] != ctx.region:
        raise err("InvalidVpcId.NotFound")
    for k in ("VpcName", "Description"):
        if p.raw(k) is not None:
            v[k] = p.raw(k)
    ctx.store.put("vpc", vpc_id, v, region=ctx.region)
    return {}


@action("Vpc", "ModifyVSwitchAttribute")
def modify_vswitch_attribute(ctx: Ctx, p: Params) -> dict:
    """- renames a vSwitch or changes its description"""
    v = get_vswitch(ctx, p.req("VSwitchId"))
    for k in ("VSwitchName", "Description"):
        if p.raw(k) is not None:
            v[k] = p.raw(k)
    ctx.store.put("vswitch", v["VSwitchId"], v, region=ctx.region, lb_id=v["VpcId"])
    return {}
