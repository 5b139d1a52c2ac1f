"""The emulated cloud's catalogue: regions and zones, instance types, public images, CLB specs.

The facts are data, not code: ``regions.json``, ``instance_types.json``, ``images.json`` and
``clb.json`` beside this module, each with a ``version`` and the ``sources`` it was compiled from
(README.md says which rule fills what no published list gives). This module only loads them
(once, lazily) and answers lookups per region, adding what a user seeded into one cloud with
``clbplan emulator seed FILE``: seeded images and instance types live in the emulator's own store
(kinds ``seed_image`` / ``seed_itype``), so a served cloud, an embedded one and the planner's shadow
copy all see them.
"""

from __future__ import annotations

import json
import re
from functools import cache
from pathlib import Path
from typing import Any

HERE = Path(__file__).parent
SEED_IMAGE = "seed_image"
SEED_ITYPE = "seed_itype"
ALL_REGIONS = "*"


@cache
def _load(name: str) -> dict[str, Any]:
    return json.loads((HERE / name).read_text(encoding="utf-8"))


# --- regions and zones --------------------------------------------------------------------

@cache
def _regions() -> dict[str, dict[str, Any]]:
    return {r["RegionId"]: r for r in _load("regions.json")["regions"]}


def region_ids() -> list[str]:
    """Every public region the catalogue knows, in the catalogue's (DescribeRegions) order."""
    return list(_regions())


def region(region_id: str) -> dict[str, Any] | None:
    return _regions().get(region_id)


def zones(region_id: str, *, on_sale_only: bool = True) -> tuple[str, ...]:
    """The region's zone ids, sorted; retired zones (still listed, selling nothing) only on request."""
    r = _regions().get(region_id)
    if r is None:
        return ()
    return tuple(z["ZoneId"] for z in r["Zones"] if z["OnSale"] or not on_sale_only)


def zone_docs(region_id: str) -> list[dict[str, Any]]:
    r = _regions().get(region_id)
    return [dict(z) for z in r["Zones"]] if r else []


# --- instance types -----------------------------------------------------------------------

_FAMILY_SUFFIX = re.compile(r"-l?c\d+[mgd]\d+$")


def family_of(type_id: str) -> str:
    """``ecs.t5-lc1m2.small`` -> ``ecs.t5``; ``ecs.g6.large`` -> ``ecs.g6`` (DescribeInstanceTypes' rule)."""
    parts = type_id.split(".")
    if len(parts) < 3:
        return type_id
    return f"{parts[0]}.{_FAMILY_SUFFIX.sub('', parts[1])}"


def _type_doc(tid: str, t: dict[str, Any]) -> dict[str, Any]:
    return {"InstanceTypeId": tid, "InstanceTypeFamily": t.get("Family") or family_of(tid),
            "CpuCoreCount": int(t["CpuCoreCount"]), "MemorySize": float(t["MemorySize"]),
            "EniQuantity": int(t["EniQuantity"]),
            "EniPrivateIpAddressQuantity": int(t["EniPrivateIpAddressQuantity"]),
            "EniIpv6AddressQuantity": 1 if int(t["EniQuantity"]) > 1 else 0,
            "InstanceFamilyLevel": t.get("Level", "EnterpriseLevel"), "GPUAmount": int(t.get("GPUAmount", 0)),
            "GPUSpec": t.get("GPUSpec", ""), "LocalStorageCategory": "", "NvmeSupport": "unsupported",
            "PrimaryEniQueueNumber": min(int(t["CpuCoreCount"]), 32),
            "SecondaryEniQueueNumber": min(int(t["CpuCoreCount"]), 16),
            "MaximumQueueNumberPerEni": min(int(t["CpuCoreCount"]), 32),
            "TotalEniQueueQuantity": min(int(t["CpuCoreCount"]), 32) * 2}


@cache
def _builtin_types() -> dict[str, dict[str, Any]]:
    return {tid: _type_doc(tid, t) for tid, t in _load("instance_types.json")["types"].items()}


def instance_types(store: Any = None) -> dict[str, dict[str, Any]]:
    """Every instance type (built in, then seeded ones), id -> DescribeInstanceTypes item."""
    out = dict(_builtin_types())
    if store is not None:
        for d in store.docs(SEED_ITYPE):
            out[d["InstanceTypeId"]] = d
    return out


def instance_type(store: Any, type_id: str) -> dict[str, Any] | None:
    got = _builtin_types().get(type_id)
    if got is None and store is not None:
        got = store.get(SEED_ITYPE, type_id)
    return got


# --- images -------------------------------------------------------------------------------

def _image_doc(d: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in d.items() if k != "sources"}
    size = int(out.get("Size", 20))
    out.setdefault("ImageName", out["ImageId"])
    out.setdefault("ImageOwnerAlias", "system")
    out.setdefault("Status", "Available")
    out.setdefault("Progress", "100%")
    out.setdefault("Usage", "instance")
    out.setdefault("IsSupportIoOptimized", True)
    out.setdefault("IsSupportCloudinit", True)
    out.setdefault("IsCopied", False)
    out.setdefault("IsSelfShared", "")
    out.setdefault("IsSubscribed", False)
    out.setdefault("ProductCode", "")
    out.setdefault("Description", "")
    out.setdefault("Platform", "")
    out.setdefault("Architecture", "x86_64")
    out.setdefault("OSType", "linux")
    out.setdefault("OSNameEn", out.get("OSName", ""))
    out.setdefault("ImageVersion", "")
    out.setdefault("ImageFamily", "")
    out["Size"] = size
    out.setdefault("DiskDeviceMappings", {"DiskDeviceMapping": [
        {"Device": "/dev/xvda", "Size": str(size), "SnapshotId": "", "Type": "system"}]})
    return out


@cache
def _builtin_images() -> tuple[dict[str, Any], ...]:
    return tuple(_image_doc(d) for d in _load("images.json")["images"])


@cache
def _builtin_image_index() -> dict[str, dict[str, Any]]:
    return {d["ImageId"]: d for d in _builtin_images()}


def images(store: Any, region_id: str) -> list[dict[str, Any]]:
    """The images of a region, newest first: system images, then what was seeded for it."""
    out = list(_builtin_images())
    if store is not None:
        seeded = [d for d in store.docs(SEED_IMAGE) if d.get("RegionId") in (region_id, ALL_REGIONS)]
        out = sorted(seeded + out, key=lambda d: (d.get("CreationTime", ""), d["ImageId"]), reverse=True)
    return out


def image(store: Any, region_id: str, image_id: str) -> dict[str, Any] | None:
    got = _builtin_image_index().get(image_id)
    if got is None and store is not None:
        d = store.get(SEED_IMAGE, f"{region_id}/{image_id}") or store.get(SEED_IMAGE, f"{ALL_REGIONS}/{image_id}")
        got = d
    return got


# --- CLB ------------------------------------------------------------------------------------

def clb_specs() -> tuple[str, ...]:
    return tuple(s["LoadBalancerSpec"] for s in _load("clb.json")["specs"])


@cache
def slb_zone_pairs(region_id: str) -> tuple[tuple[str, str], ...]:
    """(master, slave) pairs SLB DescribeAvailableResource reports; the rule is in clb.json/README."""
    on_sale = zones(region_id)
    if not on_sale:
        return ()
    if len(on_sale) == 1:
        return ((on_sale[0], ""),)
    clb = _load("clb.json")
    sep = "-" if region_id.startswith("cn-") else ""
    known = [(f"{region_id}{sep}{m}", f"{region_id}{sep}{s}") for m, s in clb["pairs_2021"].get(region_id, [])]
    pairs = [(m, s) for m, s in known if m in on_sale and s in on_sale]
    masters = {m for m, _ in pairs}
    for i, z in enumerate(on_sale):
        if z in masters:
            continue
        for j in (i - 1, i + 1):
            if 0 <= j < len(on_sale):
                pairs.append((z, on_sale[j]))
    return tuple(sorted(pairs))


def address_types() -> list[tuple[str, str]]:
    return [(a, v) for a, v in _load("clb.json")["address_types"]]


# --- seeding --------------------------------------------------------------------------------

_IMAGE_REQUIRED = ("ImageId",)
_ITYPE_REQUIRED = ("InstanceTypeId", "CpuCoreCount", "MemorySize")


class SeedError(ValueError):
    """A seed file entry that cannot be used; the message names the entry and the field."""


def seed(store: Any, doc: Any) -> tuple[int, int]:
    """Add a seed document's images and instance types to ``store`` (inside the caller's transaction).

    ``{"images": [{"ImageId": "m-...", "ImageName": ..., "OSName": ..., "RegionId": "cn-hangzhou" | "*"}],
    "instance_types": [{"InstanceTypeId": "ecs.x.large", "CpuCoreCount": 2, "MemorySize": 8, ...}]}``.
    Returns (images, instance types) added. Raises SeedError naming the first bad entry.
    """
    if not isinstance(doc, dict) or not set(doc) <= {"images", "instance_types"}:
        raise SeedError('a seed file is a JSON object with "images" and/or "instance_types" lists')
    imgs = doc.get("images") or []
    types = doc.get("instance_types") or []
    if not isinstance(imgs, list) or not isinstance(types, list):
        raise SeedError('"images" and "instance_types" must be lists')
    for n, it in enumerate(imgs):
        where = f"images[{n}]"
        if not isinstance(it, dict) or any(not isinstance(it.get(k), str) or not it.get(k) for k in _IMAGE_REQUIRED):
            raise SeedError(f'{where}: each image needs a non-empty "ImageId" string')
        reg = it.get("RegionId", ALL_REGIONS)
        if reg != ALL_REGIONS and reg not in _regions():
            raise SeedError(f'{where}: RegionId {reg!r} is not a region of the catalogue (or "*" for every region)')
        if it.get("OSType", "linux") not in ("linux", "windows"):
            raise SeedError(f'{where}: OSType must be "linux" or "windows"')
        if it.get("Architecture", "x86_64") not in ("x86_64", "arm64", "i386"):
            raise SeedError(f'{where}: Architecture must be x86_64, arm64 or i386')
        d = _image_doc({"ImageOwnerAlias": "self", "CreationTime": "1970-01-01T00:00:00Z", **it})
        d["RegionId"] = reg
        store.put(SEED_IMAGE, f"{reg}/{d['ImageId']}", d, region=None if reg == ALL_REGIONS else reg)
    for n, it in enumerate(types):
        where = f"instance_types[{n}]"
        if not isinstance(it, dict) or any(k not in it for k in _ITYPE_REQUIRED):
            raise SeedError(f"{where}: each instance type needs {', '.join(_ITYPE_REQUIRED)}")
        tid = it["InstanceTypeId"]
        if not isinstance(tid, str) or not re.fullmatch(r"ecs\.[A-Za-z0-9-]+\.[A-Za-z0-9]+", tid):
            raise SeedError(f"{where}: InstanceTypeId {tid!r} is not of the form ecs.<family>.<size>")
        try:
            t = {"CpuCoreCount": int(it["CpuCoreCount"]), "MemorySize": float(it["MemorySize"]),
                 "EniQuantity": int(it.get("EniQuantity", 2)),
                 "EniPrivateIpAddressQuantity": int(it.get("EniPrivateIpAddressQuantity", 6)),
                 "Family": it.get("InstanceTypeFamily") or family_of(tid),
                 "Level": it.get("InstanceFamilyLevel", "EnterpriseLevel")}
        except (TypeError, ValueError):
            raise SeedError(f"{where}: CpuCoreCount, MemorySize, EniQuantity and "
                            "EniPrivateIpAddressQuantity must be numbers") from None
        if t["CpuCoreCount"] < 1 or t["MemorySize"] <= 0 or t["EniQuantity"] < 1:
            raise SeedError(f"{where}: CpuCoreCount, MemorySize and EniQuantity must be positive")
        store.put(SEED_ITYPE, tid, _type_doc(tid, t))
    return len(imgs), len(types)


def sizes() -> dict[str, dict[str, int]]:
    """Per region: zones on sale, instance types sold, images offered (docs/emulator-coverage.md)."""
    n_types = len(_builtin_types())
    n_images = len(_builtin_images())
    return {rid: {"zones": len(zones(rid)), "retired_zones": len(zones(rid, on_sale_only=False)) - len(zones(rid)),
                  "instance_types": n_types, "images": n_images, "slb_zone_pairs": len(slb_zone_pairs(rid))}
            for rid in region_ids()}


def sources() -> dict[str, dict[str, str]]:
    """Each data file's version and sources, for the coverage document."""
    return {name: {"version": _load(name)["version"], **_load(name)["sources"]}
            for name in ("regions.json", "instance_types.json", "images.json", "clb.json")}
