"""The catalogue's read actions: what the provider's lookup data sources call.

ECS DescribeRegions, DescribeZones, DescribeAvailableResource, DescribeInstanceTypes,
DescribeInstanceTypeFamilies, DescribeImages and SLB DescribeAvailableResource, all per region
(the RegionId of the call), answered from ``planner.emulator.catalogue`` plus what was seeded.
"""

from __future__ import annotations

from typing import Any

from planner.emulator import catalogue
from planner.emulator.actions.common import zones_of
from planner.emulator.codes import err
from planner.emulator.params import Params
from planner.emulator.registry import Ctx, action, copy_doc

DISK_CATEGORIES = ("cloud_efficiency", "cloud_ssd", "cloud_essd", "cloud_auto", "cloud_essd_entry")
RESOURCE_CREATION = ("Instance", "Disk", "VSwitch", "IoOptimized", "DedicatedHost")


def _region_zones(ctx: Ctx) -> list[dict[str, Any]]:
    """Every zone of the call's region: catalogue zones (with retired ones), or the fallback list."""
    docs = catalogue.zone_docs(ctx.region)
    if docs:
        return docs
    return [{"ZoneId": z, "LocalName": z, "OnSale": True} for z in zones_of(ctx.region)]


@action("Ecs", "DescribeRegions")
def ecs_describe_regions(ctx: Ctx, p: Params) -> dict:
    """- every public region of the catalogue; LocalName in zh-CN unless AcceptLanguage=en-US"""
    english = (p.get("AcceptLanguage") or "zh-CN").lower().startswith("en")
    out = []
    for rid in catalogue.region_ids():
        r = catalogue.region(rid)
        assert r is not None
        out.append({"RegionId": rid, "LocalName": r["LocalNameEn"] if english else r["LocalName"],
                    "RegionEndpoint": r["RegionEndpoint"], "Status": r["Status"]})
    return {"Regions": {"Region": out}}


@action("Ecs", "DescribeZones")
def ecs_describe_zones(ctx: Ctx, p: Params) -> dict:
    """- the call's region's zones; a retired zone is listed with no instance types or disks
    - Verbose=false leaves out the instance-type lists"""
    verbose = p.bool("Verbose", True)
    types = sorted(catalogue.instance_types(ctx.store))
    out = []
    for z in _region_zones(ctx):
        sold = z["OnSale"]
        doc: dict[str, Any] = {
            "ZoneId": z["ZoneId"], "LocalName": z["LocalName"], "ZoneType": "AvailabilityZone",
            "AvailableResourceCreation": {"ResourceTypes": list(RESOURCE_CREATION) if sold else []},
            "AvailableDiskCategories": {"DiskCategories": list(DISK_CATEGORIES) if sold else []},
            "AvailableVolumeCategories": {"VolumeCategories": ["san_ssd", "san_efficiency"] if sold else []},
        }
        if verbose:
            doc["AvailableInstanceTypes"] = {"InstanceTypes": types if sold else []}
        out.append(doc)
    return {"Zones": {"Zone": out}}


def _number(p: Params, name: str) -> float | None:
    v = p.get(name)
    if v is None or v == "":
        return None
    try:
        return float(v)
    except ValueError:
        raise err("InvalidParameter", f"The specified parameter {name} is not valid.") from None


@action("Ecs", "DescribeAvailableResource")
def ecs_describe_available_resource(ctx: Ctx, p: Params) -> dict:
    """- DestinationResource Zone | InstanceType | SystemDisk | DataDisk; ZoneId, InstanceType,
      Cores, Memory, NetworkCategory (vpc/classic: classic is sold nowhere now) filters
    - a retired zone answers Status SoldOut"""
    dest = p.enum("DestinationResource", ("Zone", "IoOptimized", "InstanceType", "SystemDisk", "DataDisk",
                                          "Network", "DedicatedHost", "ddh", "InstanceTypeFamily"),
                  required=True)
    zone_want = p.get("ZoneId")
    zones = _region_zones(ctx)
    if zone_want is not None:
        zones = [z for z in zones if z["ZoneId"] == zone_want]
        if not zones:
            raise err("InvalidZoneId.NotFound")
    cores, memory = _number(p, "Cores"), _number(p, "Memory")
    want_type = p.get("InstanceType")
    network = (p.get("NetworkCategory") or "vpc").lower()
    types = catalogue.instance_types(ctx.store)
    chosen = sorted(t for t, d in types.items()
                    if (cores is None or d["CpuCoreCount"] == cores)
                    and (memory is None or d["MemorySize"] == memory)
                    and (want_type is None or t == want_type))
    out = []
    for z in zones:
        status = "Available" if z["OnSale"] and network == "vpc" else "SoldOut"
        stock = "WithStock" if status == "Available" else "WithoutStock"
        if dest == "Zone":
            resources = [{"Type": "Zone", "SupportedResources": {"SupportedResource": [
                {"Value": z["ZoneId"], "Status": status, "StatusCategory": stock}]}}]
        elif dest in ("InstanceType", "InstanceTypeFamily"):
            names = chosen if dest == "InstanceType" else sorted({types[t]["InstanceTypeFamily"] for t in chosen})
            resources = [{"Type": dest, "SupportedResources": {"SupportedResource": [
                {"Value": n, "Status": status, "StatusCategory": stock} for n in names]}}]
        elif dest in ("SystemDisk", "DataDisk"):
            resources = [{"Type": dest, "SupportedResources": {"SupportedResource": [
                {"Value": c, "Status": status, "StatusCategory": stock, "Min": 20, "Max": 32768, "Unit": "GiB"}
                for c in DISK_CATEGORIES]}}]
        else:
            resources = [{"Type": dest, "SupportedResources": {"SupportedResource": [
                {"Value": "vpc", "Status": status, "StatusCategory": stock}]}}]
        if dest != "Zone" and status == "SoldOut":
            continue
        out.append({"ZoneId": z["ZoneId"], "RegionId": ctx.region, "Status": status, "StatusCategory": stock,
                    "AvailableResources": {"AvailableResource": resources}})
    return {"AvailableZones": {"AvailableZone": out}}


@action("Ecs", "DescribeInstanceTypes")
def describe_instance_types(ctx: Ctx, p: Params) -> dict:
    """- InstanceTypes.N, InstanceTypeFamily, MinimumEniPrivateIpAddressQuantity,
      MinimumCpuCoreCount/MaximumCpuCoreCount, MinimumMemorySize/MaximumMemorySize filters
    - MaxResults (1-100, default 100) and NextToken paging, in id order"""
    want = set(p.flat("InstanceTypes"))
    family = p.get("InstanceTypeFamily")
    min_ips = p.int("MinimumEniPrivateIpAddressQuantity", 0, None)
    lo_cpu, hi_cpu = p.int("MinimumCpuCoreCount", 0, None), p.int("MaximumCpuCoreCount", 0, None)
    lo_mem, hi_mem = _number(p, "MinimumMemorySize"), _number(p, "MaximumMemorySize")
    items = [copy_doc(d) for t, d in sorted(catalogue.instance_types(ctx.store).items())
             if (not want or t in want) and (family is None or d["InstanceTypeFamily"] == family)
             and (min_ips is None or d["EniPrivateIpAddressQuantity"] >= min_ips)
             and (lo_cpu is None or d["CpuCoreCount"] >= lo_cpu) and (hi_cpu is None or d["CpuCoreCount"] <= hi_cpu)
             and (lo_mem is None or d["MemorySize"] >= lo_mem) and (hi_mem is None or d["MemorySize"] <= hi_mem)]
    size = p.int("MaxResults", 1, 100, default=100)
    assert size is not None
    token = p.get("NextToken")
    try:
        start = int(token, 16) if token else 0
    except ValueError:
        raise err("InvalidParameter", "The specified parameter NextToken is not valid.") from None
    page = items[start:start + size]
    nxt = format(start + size, "x") if start + size < len(items) else ""
    return {"InstanceTypes": {"InstanceType": page}, "NextToken": nxt}


@action("Ecs", "DescribeInstanceTypeFamilies")
def describe_instance_type_families(ctx: Ctx, p: Params) -> dict:
    fams = sorted({d["InstanceTypeFamily"] for d in catalogue.instance_types(ctx.store).values()})
    return {"InstanceTypeFamilies": {"InstanceTypeFamily": [
        {"InstanceTypeFamilyId": f, "Generation": ""} for f in fams]}}


def _image_tags(d: dict[str, Any]) -> dict[str, str]:
    tags = d.get("Tags") or {}
    if isinstance(tags, dict) and "Tag" in tags:
        return {t["TagKey"]: t["TagValue"] for t in tags["Tag"]}
    return dict(tags) if isinstance(tags, dict) else {}


@action("Ecs", "DescribeImages")
def describe_images(ctx: Ctx, p: Params) -> dict:
    """- ImageId (comma-separated), ImageName, ImageOwnerAlias (system|self|others|marketplace),
      OSType, Architecture, Status (default Available), ImageFamily, Usage, Tag.N filters
    - PageSize 1-100 (default 10), newest first"""
    ids = {i.strip() for i in (p.get("ImageId") or "").split(",") if i.strip()}
    owner = p.get("ImageOwnerAlias")
    if owner is not None and owner not in ("system", "self", "others", "marketplace", ""):
        raise err("InvalidImageOwnerAlias.ValueNotSupported",
                  "The specified parameter ImageOwnerAlias is not supported.")
    status = set((p.get("Status") or "Available").split(","))
    name = p.get("ImageName")
    filters = {"OSType": p.get("OSType"), "Architecture": p.get("Architecture"),
               "ImageFamily": p.get("ImageFamily"), "Usage": p.get("Usage")}
    tags = {t["Key"] if "Key" in t else t.get("TagKey"): t.get("Value", t.get("TagValue", ""))
            for t in p.flat_objects("Tag")}
    items = [d for d in catalogue.images(ctx.store, ctx.region)
             if (not ids or d["ImageId"] in ids) and (not owner or d["ImageOwnerAlias"] == owner)
             and d.get("Status", "Available") in status and (name is None or d["ImageName"] == name)
             and all(v is None or str(d.get(k, "")).lower() == v.lower() for k, v in filters.items())
             and all(_image_tags(d).get(k) == v for k, v in tags.items())]
    num = p.int("PageNumber", 1, None, default=1)
    size = p.int("PageSize", 1, 100, default=10)
    assert num is not None and size is not None
    page = [copy_doc({k: v for k, v in d.items() if k != "RegionId"}) for d in items[(num - 1) * size: num * size]]
    return {"Images": {"Image": page}, "TotalCount": len(items), "PageNumber": num, "PageSize": size,
            "RegionId": ctx.region}


@action("Slb", "DescribeAvailableResource")
def slb_describe_available_resource(ctx: Ctx, p: Params) -> dict:
    """- one entry per (MasterZoneId, SlaveZoneId) pair of the region, with the address types it
      sells; AddressType and AddressIPVersion filter"""
    addr_type = p.get("AddressType")
    ipv = p.get("AddressIPVersion")
    kinds = [(a, v) for a, v in catalogue.address_types()
             if (addr_type is None or a == addr_type) and (ipv is None or v == ipv)]
    pairs = catalogue.slb_zone_pairs(ctx.region)
    if not pairs and not catalogue.region(ctx.region):
        zs = zones_of(ctx.region)
        pairs = tuple((z, zs[(i + 1) % len(zs)]) for i, z in enumerate(zs))
    out = []
    if kinds:
        for master, slave in pairs:
            out.append({"MasterZoneId": master, "SlaveZoneId": slave, "SupportResources": {"SupportResource": [
                {"AddressType": a, "AddressIPVersion": v} for a, v in kinds]}})
    return {"AvailableResources": {"AvailableResource": out}}
