"""The alicloud data sources, read through the provider's transport like any resource.

Each reader takes the call context (transport, region, retries) and the data source's evaluated
arguments, makes the API calls the provider makes (paging in bulk where the API pages), applies the
provider's client-side filters (``ids``, ``name_regex``...) and returns the computed attributes:
``ids``, ``names`` and the object list under the provider's name. An empty result is not an error
(as in the provider); ``empty_lookup_note`` explains one when a configuration then indexes it.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import re
from collections.abc import Callable, Collection, Iterator, Mapping
from pathlib import Path
from typing import Any

from planner.providers.alicloud.common import ECS, SLB, VPC, dumps, items, parse_tags, str_list, tag_params
from planner.providers.base import CallContext, ProviderError

Reader = Callable[[CallContext, dict], dict]
READERS: dict[str, Reader] = {}

# the result list each data source fills, and what one element is called in messages
RESULT_LIST: dict[str, tuple[str, str]] = {}


def reader(type_name: str, result: str, noun: str) -> Callable[[Reader], Reader]:
    def deco(fn: Reader) -> Reader:
        READERS[type_name] = fn
        RESULT_LIST[type_name] = (result, noun)
        return fn
    return deco


# --- shared pieces ---------------------------------------------------------------------------------

def hash_id(values: list[str]) -> str:
    """The provider's dataResourceIdHash: a stable id derived from the result ids."""
    return str(int(hashlib.sha256(json.dumps(values).encode()).hexdigest()[:8], 16))


def _regex(attrs: Mapping[str, Any], key: str = "name_regex") -> re.Pattern[str] | None:
    rx = attrs.get(key)
    if not rx:
        return None
    try:
        return re.compile(rx)
    except re.error as exc:
        raise ProviderError(f"{key} is not a valid regular expression: {exc}") from None


def _pages(ctx: CallContext, product: str, action: str, params: Mapping[str, Any], *path: str,
           size: int = 50) -> Iterator[dict]:
    """Every item of a PageNumber/PageSize-paged describe, one call per page."""
    num = 1
    while True:
        resp = ctx.read(product, action, {**params, "PageNumber": num, "PageSize": size})
        got = items(resp, *path)
        yield from got
        total = resp.get("TotalCount")
        if not got or len(got) < size or (isinstance(total, int) and num * size >= total):
            return
        num += 1


def _tokens(ctx: CallContext, product: str, action: str, params: Mapping[str, Any], *path: str,
            size: int = 100) -> Iterator[dict]:
    """Every item of a NextToken-paged describe."""
    token = ""
    while True:
        p = {**params, "MaxResults": size}
        if token:
            p["NextToken"] = token
        resp = ctx.read(product, action, p)
        yield from items(resp, *path)
        token = resp.get("NextToken") or ""
        if not token:
            return


def _select(attrs: Mapping[str, Any], objs: list[dict], id_key: str, name_key: str | None) -> list[dict]:
    """The provider's client-side filters: ``ids`` (when given) and ``name_regex`` on the name."""
    want = attrs.get("ids")
    want_set = set(want) if isinstance(want, list) and want else None
    rx = _regex(attrs)
    out = []
    for o in objs:
        if want_set is not None and str(o.get(id_key)) not in want_set:
            continue
        if rx is not None and name_key is not None and not rx.search(str(o.get(name_key) or "")):
            continue
        out.append(o)
    return out


def _finish(attrs: Mapping[str, Any], result: str, objs: list[dict], *, names: bool = True,
            ids: list[str] | None = None) -> dict:
    out: dict[str, Any] = {result: objs}
    out["ids"] = ids if ids is not None else [str(o["id"]) for o in objs]
    if names:
        out["names"] = [str(o.get("name") or "") for o in objs]
    out["id"] = hash_id(out["ids"])
    _write_output(attrs, objs)
    return out


def _write_output(attrs: Mapping[str, Any], objs: list[dict]) -> None:
    """``output_file``: the result list as JSON, written atomically (the provider writes the list)."""
    path = attrs.get("output_file")
    if not path:
        return
    from planner.workdir import resolve

    target = Path(resolve(str(path)))
    tmp = target.with_name(f".{target.name}.tmp")
    tmp.write_text(json.dumps(objs, indent=2, ensure_ascii=False, default=str) + "\n")
    tmp.replace(target)


def _tags_filter(attrs: Mapping[str, Any]) -> dict[str, str]:
    tags = attrs.get("tags")
    return tag_params(tags) if isinstance(tags, Mapping) and tags else {}


def _tags_match(obj_tags: Mapping[str, str], want: Any) -> bool:
    if not isinstance(want, Mapping) or not want:
        return True
    return all(obj_tags.get(str(k)) == str(v) for k, v in want.items())


# --- catalogue ---------------------------------------------------------------------------------------

@reader("alicloud_regions", "regions", "region")
def read_regions(ctx: CallContext, a: dict) -> dict:
    regions = items(ctx.read(ECS, "DescribeRegions", {}), "Regions", "Region")
    name, current = a.get("name"), a.get("current")
    if current:
        if name and name != ctx.region:
            raise ProviderError(f"name doesn't match current region: {ctx.region}, please input again.")
        name = ctx.region
    out = [{"id": r["RegionId"], "region_id": r["RegionId"], "local_name": r.get("LocalName", "")}
           for r in regions if not name or r["RegionId"] == name]
    if not out:
        raise ProviderError("Your query region returned no results. Please change your search criteria and "
                            "try again.")
    res = _finish(a, "regions", out, names=False)
    if name:
        res["name"] = name
    res["current"] = bool(current)
    return res


def _slb_pairs(ctx: CallContext, a: Mapping[str, Any], address_type: Any) -> list[dict]:
    p: dict[str, Any] = {}
    if address_type:
        p["AddressType"] = address_type
    if a.get("available_slb_address_ip_version"):
        p["AddressIPVersion"] = a["available_slb_address_ip_version"]
    return items(ctx.read(SLB, "DescribeAvailableResource", p), "AvailableResources", "AvailableResource")


@reader("alicloud_zones", "zones", "zone")
def read_zones(ctx: CallContext, a: dict) -> dict:
    p: dict[str, Any] = {"DestinationResource": "Zone", "IoOptimized": "optimized",
                         "InstanceChargeType": a.get("instance_charge_type") or "PostPaid",
                         "SpotStrategy": a.get("spot_strategy") or "NoSpot"}
    if a.get("network_type"):
        p["NetworkCategory"] = a["network_type"]
    avail = items(ctx.read(ECS, "DescribeAvailableResource", p), "AvailableZones", "AvailableZone")
    selling = {z["ZoneId"] for z in avail if z.get("Status") != "SoldOut"}
    zones = items(ctx.read(ECS, "DescribeZones", {"InstanceChargeType": p["InstanceChargeType"],
                                                  "SpotStrategy": p["SpotStrategy"]}), "Zones", "Zone")
    if not zones:
        raise ProviderError(f"There are no availability zones in the region: {ctx.region}.")
    slb_slaves: dict[str, list[str]] | None = None
    if a.get("available_resource_creation") == "Slb":
        pairs = _slb_pairs(ctx, a, a.get("available_slb_address_type"))
        if pairs:  # the provider filters only when the SLB call returned pairs
            slb_slaves = {}
            for pr in pairs:
                slaves = slb_slaves.setdefault(pr["MasterZoneId"], [])
                if pr.get("SlaveZoneId"):
                    slaves.append(pr["SlaveZoneId"])
    itype, disk = a.get("available_instance_type"), a.get("available_disk_category")
    details = bool(a.get("enable_details"))
    out = []
    for z in sorted(zones, key=lambda z: z["ZoneId"]):
        zid = z["ZoneId"]
        types = str_list((z.get("AvailableInstanceTypes") or {}).get("InstanceTypes"))
        disks = str_list((z.get("AvailableDiskCategories") or {}).get("DiskCategories"))
        if zid not in selling or not types or not disks:
            continue
        if itype and itype not in types:
            continue
        if disk and disk != "all" and disk not in disks:
            continue
        if slb_slaves is not None and zid not in slb_slaves:
            continue
        creation = str_list((z.get("AvailableResourceCreation") or {}).get("ResourceTypes"))
        out.append({
            "id": zid, "local_name": z.get("LocalName", "") if details else "",
            "available_instance_types": types if details else [],
            "available_resource_creation": creation if details else [],
            "available_disk_categories": disks if details else [],
            "multi_zone_ids": [],
            "slb_slave_zone_ids": sorted(slb_slaves.get(zid, [])) if slb_slaves is not None else [],
        })
    return _finish(a, "zones", out, names=False)


@reader("alicloud_slb_zones", "zones", "zone")
def read_slb_zones(ctx: CallContext, a: dict) -> dict:
    at = a.get("available_slb_address_type")
    pairs = _slb_pairs(ctx, a, at.lower() if isinstance(at, str) else None)
    out = []
    for pr in pairs:
        if a.get("master_zone_id") and pr["MasterZoneId"] != a["master_zone_id"]:
            continue
        if a.get("slave_zone_id") and pr.get("SlaveZoneId") != a["slave_zone_id"]:
            continue
        res = [{"address_type": r.get("AddressType"), "address_ip_version": r.get("AddressIPVersion")}
               for r in items(pr, "SupportResources", "SupportResource")]
        out.append({"id": pr["MasterZoneId"], "master_zone_id": pr["MasterZoneId"],
                    "slave_zone_id": pr.get("SlaveZoneId", ""), "slb_slave_zone_ids": [pr.get("SlaveZoneId", "")],
                    "supported_resources": res})
    return _finish(a, "zones", out, names=False)


@reader("alicloud_instance_types", "instance_types", "instance type")
def read_instance_types(ctx: CallContext, a: dict) -> dict:
    p: dict[str, Any] = {"DestinationResource": "InstanceType",
                         "IoOptimized": "none" if a.get("is_outdated") else "optimized",
                         "InstanceChargeType": a.get("instance_charge_type") or "PostPaid",
                         "SpotStrategy": a.get("spot_strategy") or "NoSpot"}
    for arg, param in (("network_type", "NetworkCategory"), ("system_disk_category", "SystemDiskCategory"),
                       ("cpu_core_count", "Cores"), ("memory_size", "Memory")):
        if a.get(arg) not in (None, "", 0):
            p[param] = a[arg]
    avail = items(ctx.read(ECS, "DescribeAvailableResource", p), "AvailableZones", "AvailableZone")
    selling = [z for z in avail if z.get("Status") != "SoldOut"]
    if not selling:
        raise ProviderError(f"There is no availability resources in the region {ctx.region}. Please choose "
                            "another region.")
    want_zone = a.get("availability_zone")
    if want_zone and want_zone not in {z["ZoneId"] for z in selling}:
        raise ProviderError(f"Availability zone {want_zone} status is not available in the region {ctx.region}. "
                            f"Expected availability zones: {', '.join(sorted(z['ZoneId'] for z in selling))}.")
    zones_of: dict[str, list[str]] = {}
    for z in selling:
        if want_zone and z["ZoneId"] != want_zone:
            continue
        for r in items(z, "AvailableResources", "AvailableResource"):
            for s in items(r, "SupportedResources", "SupportedResource"):
                if s.get("Status") != "SoldOut":
                    zones_of.setdefault(s["Value"], []).append(z["ZoneId"])
    q: dict[str, Any] = {}
    if a.get("instance_type_family"):
        q["InstanceTypeFamily"] = a["instance_type_family"]
    if a.get("instance_type"):
        q["InstanceTypes.1"] = a["instance_type"]
    if a.get("minimum_eni_private_ip_address_quantity"):
        q["MinimumEniPrivateIpAddressQuantity"] = a["minimum_eni_private_ip_address_quantity"]
    out = []
    for t in _tokens(ctx, ECS, "DescribeInstanceTypes", q, "InstanceTypes", "InstanceType"):
        tid = t["InstanceTypeId"]
        if tid not in zones_of:
            continue
        if a.get("cpu_core_count") and int(t["CpuCoreCount"]) != int(a["cpu_core_count"]):
            continue
        if a.get("memory_size") and float(t["MemorySize"]) != float(a["memory_size"]):
            continue
        if a.get("eni_amount") and int(t.get("EniQuantity") or 0) < int(a["eni_amount"]):
            continue
        if a.get("gpu_amount") and int(t.get("GPUAmount") or 0) != int(a["gpu_amount"]):
            continue
        role = a.get("kubernetes_node_role")
        if role and (t["InstanceTypeFamily"] == "ecs.t5" or t["CpuCoreCount"] < 2 or t["MemorySize"] < 4
                     or (role == "Master" and t["InstanceTypeFamily"].startswith("ecs.gn"))):
            continue
        out.append({
            "id": tid, "family": t["InstanceTypeFamily"], "cpu_core_count": int(t["CpuCoreCount"]),
            "memory_size": float(t["MemorySize"]), "price": "",
            "availability_zones": sorted(set(zones_of[tid])),
            "gpu": {"amount": str(t.get("GPUAmount") or 0), "category": t.get("GPUSpec") or ""},
            "burstable_instance": {"initial_credit": str(t.get("InitialCredit") or ""),
                                   "baseline_credit": str(t.get("BaselineCredit") or "")},
            "eni_amount": int(t.get("EniQuantity") or 0), "eni_quantity": int(t.get("EniQuantity") or 0),
            "eni_private_ip_address_quantity": int(t.get("EniPrivateIpAddressQuantity") or 0),
            "local_storage": {"capacity": str(t.get("LocalStorageCapacity") or "0"),
                              "amount": str(t.get("LocalStorageAmount") or ""),
                              "category": t.get("LocalStorageCategory") or ""},
        })
    if a.get("sorted_by") == "CPU":
        out.sort(key=lambda t: t["cpu_core_count"])
    elif a.get("sorted_by") == "Memory":
        out.sort(key=lambda t: t["memory_size"])
    return _finish(a, "instance_types", out, names=False)


@reader("alicloud_images", "images", "image")
def read_images(ctx: CallContext, a: dict) -> dict:
    rx = _regex(a)
    p: dict[str, Any] = {"Status": a.get("status") or "Available"}
    for arg, param in (("owners", "ImageOwnerAlias"), ("image_id", "ImageId"), ("image_name", "ImageName"),
                       ("os_type", "OSType"), ("architecture", "Architecture"), ("image_family", "ImageFamily"),
                       ("usage", "Usage"), ("instance_type", "InstanceType"),
                       ("resource_group_id", "ResourceGroupId")):
        if a.get(arg):
            p[param] = a[arg]
    p.update(_tags_filter(a))
    # the provider pages by 100 and stops at a page shorter than 50
    found: list[dict] = []
    num = 1
    while True:
        page = items(ctx.read(ECS, "DescribeImages", {**p, "PageNumber": num, "PageSize": 100}), "Images", "Image")
        found.extend(page)
        if len(page) < 50:
            break
        num += 1
    out = []
    for i in found:
        name = i.get("ImageName") or ""
        if not name or (rx is not None and not rx.search(name)):
            continue
        out.append({
            "id": i["ImageId"], "image_id": i["ImageId"], "name": name, "image_name": name,
            "architecture": i.get("Architecture", ""), "creation_time": i.get("CreationTime", ""),
            "description": i.get("Description", ""), "image_owner_alias": i.get("ImageOwnerAlias", ""),
            "os_type": i.get("OSType", ""), "os_name": i.get("OSName", ""), "os_name_en": i.get("OSNameEn", ""),
            "platform": i.get("Platform", ""), "status": i.get("Status", ""), "state": i.get("Status", ""),
            "size": int(i.get("Size") or 0), "image_family": i.get("ImageFamily", ""),
            "image_version": i.get("ImageVersion", ""), "progress": i.get("Progress", "100%"),
            "usage": i.get("Usage", "instance"), "product_code": i.get("ProductCode", ""),
            "is_self_shared": str(i.get("IsSelfShared", "")), "is_copied": bool(i.get("IsCopied", False)),
            "is_subscribed": bool(i.get("IsSubscribed", False)),
            "is_support_io_optimized": bool(i.get("IsSupportIoOptimized", True)),
            "tags": parse_tags(i.get("Tags")),
        })
    if a.get("most_recent") and len(out) > 1:
        out = [max(out, key=lambda i: i["creation_time"])]
    return _finish(a, "images", out, names=False)


# --- CLB -----------------------------------------------------------------------------------------

_PAY = {"PayOnDemand": "PayAsYouGo", "PrePay": "Subscription"}


def _lb_object(lb: dict) -> dict:
    tags = parse_tags(lb.get("Tags"))
    return {
        "id": lb["LoadBalancerId"], "load_balancer_id": lb["LoadBalancerId"], "name": lb.get("LoadBalancerName", ""),
        "load_balancer_name": lb.get("LoadBalancerName", ""), "address": lb.get("Address", ""),
        "address_ip_version": lb.get("AddressIPVersion", "ipv4"), "address_type": lb.get("AddressType", ""),
        "create_time_stamp": lb.get("CreateTimeStamp", 0), "master_zone_id": lb.get("MasterZoneId", ""),
        "slave_zone_id": lb.get("SlaveZoneId", ""),
        "modification_protection_reason": lb.get("ModificationProtectionReason", ""),
        "modification_protection_status": lb.get("ModificationProtectionStatus", ""),
        "network_type": lb.get("NetworkType", ""), "payment_type": _PAY.get(lb.get("PayType", ""), ""),
        "region_id_alias": lb.get("RegionIdAlias", ""), "resource_group_id": lb.get("ResourceGroupId", ""),
        "status": lb.get("LoadBalancerStatus", ""), "vswitch_id": lb.get("VSwitchId", ""),
        "vpc_id": lb.get("VpcId", ""), "tags": tags, "load_balancer_spec": "",
        "internet_charge_type": "", "bandwidth": 0, "delete_protection": "", "backend_servers": [],
        "listener_ports_and_protocol": [],
    }


def _slb_object(lb: dict) -> dict:
    """An element of the deprecated ``slbs`` list (``internet`` is always false, as in the provider)."""
    return {"id": lb["LoadBalancerId"], "region_id": lb.get("RegionIdAlias", ""),
            "master_availability_zone": lb.get("MasterZoneId", ""),
            "slave_availability_zone": lb.get("SlaveZoneId", ""), "status": lb.get("LoadBalancerStatus", ""),
            "name": lb.get("LoadBalancerName", ""), "network_type": lb.get("NetworkType", ""),
            "vpc_id": lb.get("VpcId", ""), "vswitch_id": lb.get("VSwitchId", ""), "address": lb.get("Address", ""),
            "internet": False, "creation_time": lb.get("CreateTime", ""), "tags": parse_tags(lb.get("Tags"))}


def read_load_balancers(ctx: CallContext, a: dict) -> dict:
    p: dict[str, Any] = {}
    for arg, param in (("address", "Address"), ("address_ip_version", "AddressIPVersion"),
                       ("address_type", "AddressType"), ("load_balancer_name", "LoadBalancerName"),
                       ("master_zone_id", "MasterZoneId"), ("slave_zone_id", "SlaveZoneId"),
                       ("network_type", "NetworkType"), ("resource_group_id", "ResourceGroupId"),
                       ("server_id", "ServerId"), ("server_intranet_address", "ServerIntranetAddress"),
                       ("status", "LoadBalancerStatus"), ("vswitch_id", "VSwitchId"), ("vpc_id", "VpcId")):
        if a.get(arg):
            p[param] = a[arg]
    if a.get("internet_charge_type"):
        p["InternetChargeType"] = str(a["internet_charge_type"]).lower()
    if a.get("payment_type"):
        p["PayType"] = {"PayAsYouGo": "PayOnDemand", "Subscription": "PrePay"}[a["payment_type"]]
    if a.get("tags"):
        p["Tags"] = dumps([{"TagKey": k, "TagValue": v} for k, v in sorted(a["tags"].items())])
    size = int(a.get("page_size") or 100)
    total = 0
    if a.get("page_number"):
        resp = ctx.read(SLB, "DescribeLoadBalancers", {**p, "PageNumber": int(a["page_number"]), "PageSize": size})
        lbs, total = items(resp, "LoadBalancers", "LoadBalancer"), int(resp.get("TotalCount") or 0)
    else:
        lbs = []
        num = 1
        while True:
            resp = ctx.read(SLB, "DescribeLoadBalancers", {**p, "PageNumber": num, "PageSize": size})
            page = items(resp, "LoadBalancers", "LoadBalancer")
            lbs.extend(page)
            total = int(resp.get("TotalCount") or 0)
            if len(page) < size:
                break
            num += 1
        lbs = _select(a, lbs, "LoadBalancerId", "LoadBalancerName")
    balancers = [_lb_object(lb) for lb in lbs]
    if a.get("enable_details"):
        for b in balancers:
            d = ctx.read(SLB, "DescribeLoadBalancerAttribute", {"LoadBalancerId": b["id"]})
            b.update({
                "load_balancer_spec": d.get("LoadBalancerSpec", ""), "bandwidth": int(d.get("Bandwidth") or 0),
                "internet_charge_type": {"paybybandwidth": "PayByBandwidth", "paybytraffic": "PayByTraffic"}.get(
                    str(d.get("InternetChargeType", "")).lower(), d.get("InternetChargeType", "")),
                "delete_protection": d.get("DeleteProtection", ""),
                "backend_servers": [{"server_id": s.get("ServerId"), "weight": int(s.get("Weight") or 0),
                                     "type": s.get("Type", "ecs"), "description": s.get("Description", "")}
                                    for s in items(d, "BackendServers", "BackendServer")],
                "listener_ports_and_protocol": [
                    {"listener_port": int(x.get("ListenerPort") or 0), "listener_protocol": x.get("ListenerProtocol"),
                     "forward_port": int(x.get("ForwardPort") or 0), "listener_forward": x.get("ListenerForward", ""),
                     "description": x.get("Description", "")}
                    for x in items(d, "ListenerPortsAndProtocol", "ListenerPortAndProtocol")],
            })
    res = _finish(a, "balancers", balancers)
    res["slbs"] = [_slb_object(lb) for lb in lbs]
    res["total_count"] = total
    return res


READERS["alicloud_slb_load_balancers"] = read_load_balancers
READERS["alicloud_slbs"] = read_load_balancers
RESULT_LIST["alicloud_slb_load_balancers"] = ("balancers", "load balancer")
RESULT_LIST["alicloud_slbs"] = ("slbs", "load balancer")


@reader("alicloud_slb_listeners", "slb_listeners", "listener")
def read_listeners(ctx: CallContext, a: dict) -> dict:
    lb = a["load_balancer_id"]
    rx = _regex(a, "description_regex")
    found = list(_tokens(ctx, SLB, "DescribeLoadBalancerListeners", {"LoadBalancerId.1": lb}, "Listeners"))
    out = []
    for x in found:
        proto, port = str(x.get("ListenerProtocol", "")).lower(), int(x.get("ListenerPort") or 0)
        if a.get("protocol") and proto != a["protocol"]:
            continue
        if a.get("frontend_port") and port != int(a["frontend_port"]):
            continue
        if rx is not None and not rx.search(str(x.get("Description") or "")):
            continue
        sub = x.get(f"{proto.upper()}ListenerConfig") or {}
        out.append({
            "id": f"{lb}:{proto}:{port}", "frontend_port": port, "backend_port": int(x.get("BackendServerPort") or 0),
            "protocol": proto, "status": x.get("Status", ""), "bandwidth": int(x.get("Bandwidth") or 0),
            "scheduler": x.get("Scheduler", ""), "server_group_id": x.get("VServerGroupId", ""),
            "description": x.get("Description", ""), "acl_status": x.get("AclStatus", "off"),
            "acl_type": x.get("AclType", ""), "acl_id": x.get("AclId", ""),
            "health_check": sub.get("HealthCheck", ""), "sticky_session": sub.get("StickySession", ""),
            "ssl_certificate_id": sub.get("ServerCertificateId", ""),
            "x_forwarded_for": sub.get("XForwardedFor", ""),
        })
    return _finish(a, "slb_listeners", out, names=False)


def _servers(obj: dict, key: str = "BackendServers", item: str = "BackendServer") -> list[dict]:
    return [{"instance_id": s.get("ServerId"), "weight": int(s.get("Weight") or 0),
             "port": int(s.get("Port") or 0), "type": s.get("Type", "ecs"),
             "server_type": s.get("ServerType", ""), "server_ip": s.get("ServerIp", ""),
             "description": s.get("Description", "")} for s in items(obj, key, item)]


@reader("alicloud_slb_server_groups", "slb_server_groups", "server group")
def read_server_groups(ctx: CallContext, a: dict) -> dict:
    lb = a["load_balancer_id"]
    groups = items(ctx.read(SLB, "DescribeVServerGroups", {"LoadBalancerId": lb}), "VServerGroups", "VServerGroup")
    groups = _select(a, groups, "VServerGroupId", "VServerGroupName")
    out = []
    for g in groups:
        d = ctx.read(SLB, "DescribeVServerGroupAttribute", {"VServerGroupId": g["VServerGroupId"]})
        out.append({"id": g["VServerGroupId"], "name": g.get("VServerGroupName", ""),
                    "servers": _servers(d), "tags": parse_tags(g.get("Tags"))})
    return _finish(a, "slb_server_groups", out)


@reader("alicloud_slb_master_slave_server_groups", "groups", "master-slave server group")
def read_master_slave_groups(ctx: CallContext, a: dict) -> dict:
    lb = a["load_balancer_id"]
    groups = items(ctx.read(SLB, "DescribeMasterSlaveServerGroups", {"LoadBalancerId": lb}),
                   "MasterSlaveServerGroups", "MasterSlaveServerGroup")
    groups = _select(a, groups, "MasterSlaveServerGroupId", "MasterSlaveServerGroupName")
    out = []
    for g in groups:
        d = ctx.read(SLB, "DescribeMasterSlaveServerGroupAttribute",
                     {"MasterSlaveServerGroupId": g["MasterSlaveServerGroupId"]})
        servers = _servers(d, "MasterSlaveBackendServers", "MasterSlaveBackendServer")
        for s, raw in zip(servers, items(d, "MasterSlaveBackendServers", "MasterSlaveBackendServer"), strict=True):
            s["server_type"] = raw.get("ServerType", "")
        out.append({"id": g["MasterSlaveServerGroupId"], "name": g.get("MasterSlaveServerGroupName", ""),
                    "servers": servers})
    return _finish(a, "groups", out)


@reader("alicloud_slb_backend_servers", "backend_servers", "backend server")
def read_backend_servers(ctx: CallContext, a: dict) -> dict:
    d = ctx.read(SLB, "DescribeLoadBalancerAttribute", {"LoadBalancerId": a["load_balancer_id"]})
    servers = _select(a, items(d, "BackendServers", "BackendServer"), "ServerId", None)
    out = [{"id": s.get("ServerId"), "weight": int(s.get("Weight") or 0), "server_type": s.get("Type", "ecs"),
            "server_ip": s.get("ServerIp", ""), "description": s.get("Description", "")} for s in servers]
    return _finish(a, "backend_servers", out, names=False)


@reader("alicloud_slb_rules", "slb_rules", "rule")
def read_rules(ctx: CallContext, a: dict) -> dict:
    rules = items(ctx.read(SLB, "DescribeRules", {"LoadBalancerId": a["load_balancer_id"],
                                                  "ListenerPort": a["frontend_port"]}), "Rules", "Rule")
    rules = _select(a, rules, "RuleId", "RuleName")
    out = [{"id": r["RuleId"], "name": r.get("RuleName", ""), "domain": r.get("Domain", ""),
            "url": r.get("Url", ""), "server_group_id": r.get("VServerGroupId", "")} for r in rules]
    return _finish(a, "slb_rules", out)


@reader("alicloud_slb_acls", "acls", "access control list")
def read_acls(ctx: CallContext, a: dict) -> dict:
    p: dict[str, Any] = dict(_tags_filter(a))
    if a.get("resource_group_id"):
        p["ResourceGroupId"] = a["resource_group_id"]
    acls = _select(a, list(_pages(ctx, SLB, "DescribeAccessControlLists", p, "Acls", "Acl")), "AclId", "AclName")
    from planner.providers.alicloud.slb_acl import read_acl

    out = []
    for acl in acls:
        got = read_acl(ctx, acl["AclId"])
        if got is None:
            continue
        attr, entries = got
        related = [{"load_balancer_id": r.get("LoadBalancerId"), "frontend_port": int(r.get("ListenerPort") or 0),
                    "protocol": r.get("Protocol", ""), "acl_type": r.get("AclType", "")}
                   for r in items(attr, "RelatedListeners", "RelatedListener")]
        out.append({"id": acl["AclId"], "name": acl.get("AclName", ""), "ip_version": acl.get("AddressIPVersion", ""),
                    "entry_list": [{"entry": e.get("AclEntryIP"), "comment": e.get("AclEntryComment", "")}
                                   for e in entries],
                    "related_listeners": related, "tags": parse_tags(acl.get("Tags")),
                    "resource_group_id": acl.get("ResourceGroupId", "")})
    return _finish(a, "acls", out)


@reader("alicloud_slb_server_certificates", "certificates", "server certificate")
def read_server_certificates(ctx: CallContext, a: dict) -> dict:
    p: dict[str, Any] = dict(_tags_filter(a))
    certs = items(ctx.read(SLB, "DescribeServerCertificates", p), "ServerCertificates", "ServerCertificate")
    certs = [c for c in _select(a, certs, "ServerCertificateId", "ServerCertificateName")
             if _tags_match(parse_tags(c.get("Tags")), a.get("tags"))]
    out = [{"id": c["ServerCertificateId"], "name": c.get("ServerCertificateName", ""),
            "fingerprint": c.get("Fingerprint", ""), "common_name": c.get("CommonName", ""),
            "subject_alternative_names": str_list((c.get("SubjectAlternativeNames") or {}).get(
                "SubjectAlternativeName")),
            "expired_time": c.get("ExpireTime", ""), "expired_timestamp": c.get("ExpireTimeStamp", 0),
            "created_time": c.get("CreateTime", ""), "created_timestamp": c.get("CreateTimeStamp", 0),
            "alicloud_certificate_id": c.get("AliCloudCertificateId", ""),
            "alicloud_certificate_name": c.get("AliCloudCertificateName", ""),
            "is_alicloud_certificate": c.get("IsAliCloudCertificate") == 1,
            "resource_group_id": c.get("ResourceGroupId", ""), "tags": parse_tags(c.get("Tags"))}
           for c in certs]
    return _finish(a, "certificates", out)


@reader("alicloud_slb_ca_certificates", "certificates", "CA certificate")
def read_ca_certificates(ctx: CallContext, a: dict) -> dict:
    p: dict[str, Any] = dict(_tags_filter(a))
    if a.get("resource_group_id"):
        p["ResourceGroupId"] = a["resource_group_id"]
    certs = items(ctx.read(SLB, "DescribeCACertificates", p), "CACertificates", "CACertificate")
    certs = [c for c in _select(a, certs, "CACertificateId", "CACertificateName")
             if _tags_match(parse_tags(c.get("Tags")), a.get("tags"))]
    out = [{"id": c["CACertificateId"], "name": c.get("CACertificateName", ""),
            "ca_certificate_name": c.get("CACertificateName", ""),
            "fingerprint": c.get("Fingerprint", ""), "common_name": c.get("CommonName", ""),
            "expired_time": c.get("ExpireTime", ""), "expired_timestamp": c.get("ExpireTimeStamp", 0),
            "created_time": c.get("CreateTime", ""), "created_timestamp": c.get("CreateTimeStamp", 0),
            "resource_group_id": c.get("ResourceGroupId", ""), "region_id": c.get("RegionId", ctx.region),
            "tags": parse_tags(c.get("Tags"))} for c in certs]
    return _finish(a, "certificates", out)


@reader("alicloud_slb_domain_extensions", "extensions", "domain extension")
def read_domain_extensions(ctx: CallContext, a: dict) -> dict:
    exts = items(ctx.read(SLB, "DescribeDomainExtensions", {"LoadBalancerId": a["load_balancer_id"],
                                                            "ListenerPort": a["frontend_port"]}),
                 "DomainExtensions", "DomainExtension")
    exts = _select(a, exts, "DomainExtensionId", None)
    out = [{"id": e["DomainExtensionId"], "domain": e.get("Domain", ""),
            "server_certificate_id": e.get("ServerCertificateId", "")} for e in exts]
    return _finish(a, "extensions", out, names=False)


# --- VPC and ECS -----------------------------------------------------------------------------------

@reader("alicloud_vpcs", "vpcs", "VPC")
def read_vpcs(ctx: CallContext, a: dict) -> dict:
    p: dict[str, Any] = {}
    for arg, param in (("vpc_name", "VpcName"), ("resource_group_id", "ResourceGroupId")):
        if a.get(arg):
            p[param] = a[arg]
    if a.get("is_default") is not None:
        p["IsDefault"] = bool(a["is_default"])
    vpcs = _select(a, list(_pages(ctx, VPC, "DescribeVpcs", p, "Vpcs", "Vpc")), "VpcId", "VpcName")
    out = []
    for v in vpcs:
        tags = parse_tags(v.get("Tags"))
        vsw = str_list((v.get("VSwitchIds") or {}).get("VSwitchId"))
        if a.get("cidr_block") and v.get("CidrBlock") != a["cidr_block"]:
            continue
        if a.get("status") and v.get("Status") != a["status"]:
            continue
        if a.get("vswitch_id") and a["vswitch_id"] not in vsw:
            continue
        if not _tags_match(tags, a.get("tags")):
            continue
        out.append({"id": v["VpcId"], "vpc_id": v["VpcId"], "name": v.get("VpcName", ""),
                    "vpc_name": v.get("VpcName", ""), "cidr_block": v.get("CidrBlock", ""),
                    "status": v.get("Status", ""), "is_default": bool(v.get("IsDefault", False)),
                    "description": v.get("Description", ""), "region_id": v.get("RegionId", ctx.region),
                    "vrouter_id": v.get("VRouterId", ""), "router_id": v.get("VRouterId", ""),
                    "vswitch_ids": vsw, "creation_time": v.get("CreationTime", ""),
                    "resource_group_id": v.get("ResourceGroupId", ""), "tags": tags})
    res = _finish(a, "vpcs", out)
    res["total_count"] = len(vpcs)
    return res


@reader("alicloud_vswitches", "vswitches", "vSwitch")
def read_vswitches(ctx: CallContext, a: dict) -> dict:
    p: dict[str, Any] = {}
    for arg, param in (("vpc_id", "VpcId"), ("zone_id", "ZoneId"), ("vswitch_name", "VSwitchName"),
                       ("resource_group_id", "ResourceGroupId")):
        if a.get(arg):
            p[param] = a[arg]
    found = _select(a, list(_pages(ctx, VPC, "DescribeVSwitches", p, "VSwitches", "VSwitch")),
                    "VSwitchId", "VSwitchName")
    out = []
    for v in found:
        tags = parse_tags(v.get("Tags"))
        if a.get("cidr_block") and v.get("CidrBlock") != a["cidr_block"]:
            continue
        if a.get("vswitch_name") and v.get("VSwitchName") != a["vswitch_name"]:
            continue
        if a.get("status") and v.get("Status") != a["status"]:
            continue
        if a.get("is_default") is not None and bool(v.get("IsDefault", False)) != bool(a["is_default"]):
            continue
        if not _tags_match(tags, a.get("tags")):
            continue
        out.append({"id": v["VSwitchId"], "vswitch_id": v["VSwitchId"], "name": v.get("VSwitchName", ""),
                    "vswitch_name": v.get("VSwitchName", ""), "vpc_id": v.get("VpcId", ""),
                    "zone_id": v.get("ZoneId", ""), "cidr_block": v.get("CidrBlock", ""),
                    "status": v.get("Status", ""), "is_default": bool(v.get("IsDefault", False)),
                    "description": v.get("Description", ""),
                    "available_ip_address_count": int(v.get("AvailableIpAddressCount") or 0),
                    "creation_time": v.get("CreationTime", ""), "resource_group_id": v.get("ResourceGroupId", ""),
                    "tags": tags})
    res = _finish(a, "vswitches", out)
    res["total_count"] = len(found)
    return res


@reader("alicloud_security_groups", "groups", "security group")
def read_security_groups(ctx: CallContext, a: dict) -> dict:
    p: dict[str, Any] = {}
    if a.get("vpc_id"):
        p["VpcId"] = a["vpc_id"]
    found = _select(a, list(_pages(ctx, ECS, "DescribeSecurityGroups", p, "SecurityGroups", "SecurityGroup")),
                    "SecurityGroupId", "SecurityGroupName")
    out = []
    for g in found:
        tags = parse_tags(g.get("Tags"))
        if not _tags_match(tags, a.get("tags")):
            continue
        gtype = g.get("SecurityGroupType") or "normal"
        if a.get("security_group_type") and gtype != a["security_group_type"]:
            continue
        out.append({"id": g["SecurityGroupId"], "name": g.get("SecurityGroupName", ""),
                    "security_group_name": g.get("SecurityGroupName", ""), "vpc_id": g.get("VpcId", ""),
                    "description": g.get("Description", ""), "security_group_type": gtype,
                    "inner_access": bool(g.get("InnerAccess", True)), "creation_time": g.get("CreationTime", ""),
                    "resource_group_id": g.get("ResourceGroupId", ""), "tags": tags})
    res = _finish(a, "groups", out)
    res["total_count"] = len(found)
    return res


@reader("alicloud_instances", "instances", "instance")
def read_instances(ctx: CallContext, a: dict) -> dict:
    p: dict[str, Any] = {}
    for arg, param in (("vpc_id", "VpcId"), ("vswitch_id", "VSwitchId"), ("availability_zone", "ZoneId"),
                       ("status", "Status"), ("image_id", "ImageId"), ("instance_name", "InstanceName"),
                       ("resource_group_id", "ResourceGroupId")):
        if a.get(arg):
            p[param] = a[arg]
    if isinstance(a.get("ids"), list) and a["ids"]:
        p["InstanceIds"] = dumps(a["ids"])
    found = _select(a, list(_pages(ctx, ECS, "DescribeInstances", p, "Instances", "Instance", size=100)),
                    "InstanceId", "InstanceName")
    out = []
    for i in found:
        tags = parse_tags(i.get("Tags"))
        if not _tags_match(tags, a.get("tags")):
            continue
        if a.get("image_id") and i.get("ImageId") != a["image_id"]:
            continue
        vpc = i.get("VpcAttributes") or {}
        out.append({"id": i["InstanceId"], "name": i.get("InstanceName", ""),
                    "instance_name": i.get("InstanceName", ""), "status": i.get("Status", ""),
                    "region_id": i.get("RegionId", ctx.region), "availability_zone": i.get("ZoneId", ""),
                    "instance_type": i.get("InstanceType", ""), "image_id": i.get("ImageId", ""),
                    "vpc_id": vpc.get("VpcId", ""), "vswitch_id": vpc.get("VSwitchId", ""),
                    "private_ip": (str_list((vpc.get("PrivateIpAddress") or {}).get("IpAddress")) or [""])[0],
                    "security_groups": str_list((i.get("SecurityGroupIds") or {}).get("SecurityGroupId")),
                    "description": i.get("Description", ""), "instance_charge_type": i.get("InstanceChargeType", ""),
                    "internet_charge_type": i.get("InternetChargeType", ""),
                    "creation_time": i.get("CreationTime", ""), "resource_group_id": i.get("ResourceGroupId", ""),
                    "tags": tags})
    res = _finish(a, "instances", out)
    res["total_count"] = len(found)
    return res


@reader("alicloud_network_interfaces", "interfaces", "network interface")
def read_network_interfaces(ctx: CallContext, a: dict) -> dict:
    p: dict[str, Any] = {}
    for arg, param in (("vpc_id", "VpcId"), ("vswitch_id", "VSwitchId"), ("instance_id", "InstanceId"),
                       ("security_group_id", "SecurityGroupId"), ("type", "Type"),
                       ("network_interface_name", "NetworkInterfaceName"), ("status", "Status"),
                       ("private_ip", "PrimaryIpAddress"), ("resource_group_id", "ResourceGroupId")):
        if a.get(arg):
            p[param] = a[arg]
    found = _select(a, list(_tokens(ctx, ECS, "DescribeNetworkInterfaces", p, "NetworkInterfaceSets",
                                    "NetworkInterfaceSet")),
                    "NetworkInterfaceId", "NetworkInterfaceName")
    out = []
    for e in found:
        tags = parse_tags(e.get("Tags"))
        if not _tags_match(tags, a.get("tags")):
            continue
        if a.get("private_ip") and e.get("PrivateIpAddress") != a["private_ip"]:
            continue
        if a.get("type") and e.get("Type") != a["type"]:
            continue
        ips = [x.get("PrivateIpAddress") for x in items(e, "PrivateIpSets", "PrivateIpSet") if not x.get("Primary")]
        out.append({"id": e["NetworkInterfaceId"], "name": e.get("NetworkInterfaceName", ""),
                    "status": e.get("Status", ""), "vpc_id": e.get("VpcId", ""), "vswitch_id": e.get("VSwitchId", ""),
                    "zone_id": e.get("ZoneId", ""), "public_ip": "", "private_ip": e.get("PrivateIpAddress", ""),
                    "private_ips": ips, "mac": e.get("MacAddress", ""),
                    "security_groups": str_list((e.get("SecurityGroupIds") or {}).get("SecurityGroupId")),
                    "description": e.get("Description", ""), "instance_id": e.get("InstanceId", ""),
                    "creation_time": e.get("CreationTime", ""), "resource_group_id": e.get("ResourceGroupId", ""),
                    "tags": tags})
    res = _finish(a, "interfaces", out)
    res["total_count"] = len(found)
    return res


# --- the entry point and the messages --------------------------------------------------------------

def read_data_source(ctx: CallContext, type_name: str, attrs: Mapping[str, Any]) -> dict:
    """The data source's computed attributes, read through ``ctx`` (ProviderError/ApiError on failure)."""
    fn = READERS.get(type_name)
    if fn is None:
        raise ProviderError(f"the alicloud provider has no data source {type_name!r}")
    return fn(ctx, dict(attrs))


_FILTER_SKIP = {"output_file", "id", "enable_details"}


def describe_filters(attrs: Mapping[str, Any]) -> str:
    """``name_regex = "^ubuntu_18.*64", owners = "system"``: the arguments a lookup was given."""
    parts = []
    for k, v in sorted(attrs.items()):
        if k in _FILTER_SKIP or v in (None, "", [], {}) or v is False:
            continue
        parts.append(f"{k} = {json.dumps(v, ensure_ascii=False)}")
    return ", ".join(parts) or "no filters"


def suggestions(ctx: CallContext, type_name: str, attrs: Mapping[str, Any], limit: int = 5) -> list[str]:
    """What the region offers instead of an empty catalogue lookup: nearest image names, instance types."""
    if type_name == "alicloud_images":
        loose = {k: v for k, v in attrs.items() if k in ("owners", "os_type", "architecture")}
        names = read_images(ctx, dict(loose))["ids"]
        pattern = str(attrs.get("name_regex") or "")
        key = re.sub(r"[\^$.*+?()\[\]\\|{}]", "", pattern)
        near = difflib.get_close_matches(key, names, n=limit, cutoff=0.0) if key else []
        if key:
            prefix = [n for n in names if n.startswith(key.rstrip("_")[:8])]
            near = sorted(set(prefix), reverse=True)[:limit] or near
        return near or sorted(names, reverse=True)[:limit]
    if type_name == "alicloud_instance_types":
        everything = read_instance_types(ctx, {k: v for k, v in attrs.items()
                                               if k in ("availability_zone", "network_type")})["instance_types"]
        cores, mem, fam = attrs.get("cpu_core_count"), attrs.get("memory_size"), attrs.get("instance_type_family")

        def distance(t: dict) -> tuple:
            return (0 if not fam or t["family"] == fam else 1,
                    abs(t["cpu_core_count"] - float(cores)) if cores else 0,
                    abs(t["memory_size"] - float(mem)) if mem else 0,
                    max(0, int(attrs.get("eni_amount") or 0) - t["eni_amount"]), t["id"])
        return [f"{t['id']} ({t['cpu_core_count']} vCPU, {t['memory_size']:g} GiB, {t['eni_amount']} ENIs)"
                for t in sorted(everything, key=distance)[:limit]]
    if type_name in ("alicloud_zones", "alicloud_slb_zones"):
        return read_zones(ctx, {})["ids"][:limit]
    return []


def empty_lookup_note(ctx: CallContext, type_name: str, attrs: Mapping[str, Any],
                      written: Collection[str] | None = None) -> str:
    """The sentence an index into an empty lookup adds: which filters, in which region, what instead.
    ``written``: the arguments the user wrote; the schema's defaults (``status = "Available"``) are
    not what they asked for and only hide the filter that emptied the answer."""
    noun = RESULT_LIST.get(type_name, ("", "object"))[1]
    shown = attrs if written is None else {k: v for k, v in attrs.items() if k in written}
    note = (f"data source {type_name} returned no {noun}s in region {ctx.region} for "
            f"{describe_filters(shown)}")
    try:
        near = suggestions(ctx, type_name, attrs)
    except Exception:  # noqa: BLE001 - a suggestion is a courtesy; never fail the message on it
        near = []
    if near:
        note += f"; the region offers: {', '.join(near)}"
    return note + "."


__all__ = ["READERS", "RESULT_LIST", "describe_filters", "empty_lookup_note", "read_data_source"]
