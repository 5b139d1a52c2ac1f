"""Data sources alicloud_zones, alicloud_instance_types, alicloud_images, answered from a fixed catalogue.

Examples look up a zone, an instance type and an image before creating instances. Reading them
needs no cloud: the catalogue below matches the emulator's fixed one (region cn-hangzhou), so
configurations evaluate the same offline, in plan, and against the emulator.
"""

from __future__ import annotations

import hashlib
import json
import re
from typing import Any

from planner.schema._dsl import OC, C, O, table
from planner.schema.base import ResourceSchema
from planner.values import contains_unknown

REGION = "cn-hangzhou"
ZONES = ("cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k")
RESOURCE_CREATION = ("Instance", "Disk", "VSwitch", "Slb")
DISK_CATEGORIES = ("cloud_efficiency", "cloud_ssd", "cloud_essd")

# id, family, cores, memory (GiB), ENIs it can hold, private IPs per ENI
INSTANCE_TYPES: tuple[tuple[str, str, int, float, int, int], ...] = (
    ("ecs.t6-c1m1.large", "ecs.t6", 2, 2.0, 2, 2),
    ("ecs.g6.large", "ecs.g6", 2, 8.0, 2, 6),
    ("ecs.g6.xlarge", "ecs.g6", 4, 16.0, 3, 10),
    ("ecs.c6.large", "ecs.c6", 2, 4.0, 2, 6),
    ("ecs.c6.xlarge", "ecs.c6", 4, 8.0, 3, 10),
    ("ecs.g7.large", "ecs.g7", 2, 8.0, 3, 6),
)

# id, name, os_type, os_name, platform, architecture, creation time (same ids as the emulator's catalogue)
IMAGES: tuple[tuple[str, str, str, str, str, str, str], ...] = (
    ("ubuntu_22_04_x64_20G_alibase_20240508.vhd", "ubuntu_22_04_x64_20G_alibase_20240508.vhd", "linux",
     "Ubuntu 22.04 64 bit", "Ubuntu", "x86_64", "2024-05-08T00:00:00Z"),
    ("aliyun_3_x64_20G_alibase_20240528.vhd", "aliyun_3_x64_20G_alibase_20240528.vhd", "linux",
     "Alibaba Cloud Linux 3.2104 LTS 64 bit", "Aliyun", "x86_64", "2024-05-28T00:00:00Z"),
    ("centos_7_9_x64_20G_alibase_20240403.vhd", "centos_7_9_x64_20G_alibase_20240403.vhd", "linux",
     "CentOS 7.9 64 bit", "CentOS", "x86_64", "2024-04-03T00:00:00Z"),
    ("win2022_21H2_x64_dtc_en-us_40G_alibase_20240515.vhd", "win2022_21H2_x64_dtc_en-us_40G_alibase_20240515.vhd",
     "windows", "Windows Server 2022 Datacenter", "Windows Server 2022", "x86_64", "2024-05-15T00:00:00Z"),
)

COMMON = (O("output_file"),)

ZONES_SCHEMA = ResourceSchema("alicloud_zones", table(
    O("available_resource_creation", one_of=RESOURCE_CREATION + ("IoOptimized", "Rds", "Redis", "MongoDB",
                                                                 "HBase", "PolarDB", "Gpdb")),
    O("available_instance_type"),
    O("available_disk_category", one_of=DISK_CATEGORIES + ("cloud",)),
    O("available_slb_address_type", one_of=("vpc", "classic_internet", "classic_intranet")),
    O("available_slb_address_ip_version", one_of=("ipv4", "ipv6")),
    O("network_type", one_of=("Vpc", "Classic")),
    O("instance_charge_type", default="PostPaid", one_of=("PrePaid", "PostPaid")),
    O("spot_strategy", default="NoSpot"),
    O("multi", "bool", default=False),
    O("enable_details", "bool", default=False),
    *COMMON,
    C("ids", "list(string)"), C("zones", "list(map(string))"),
), mode="data", description="Zones of the region.")

INSTANCE_TYPES_SCHEMA = ResourceSchema("alicloud_instance_types", table(
    O("availability_zone"),
    O("cpu_core_count", "number"),
    O("memory_size", "number"),
    O("instance_type_family"),
    O("eni_amount", "number"),
    O("network_type", one_of=("Vpc", "Classic")),
    O("instance_charge_type", default="PostPaid", one_of=("PrePaid", "PostPaid")),
    O("spot_strategy", default="NoSpot"),
    O("system_disk_category"),
    O("sorted_by", one_of=("CPU", "Memory", "Price")),
    O("is_outdated", "bool"),
    O("image_id"),
    *COMMON,
    C("ids", "list(string)"), C("instance_types", "list(map(string))"),
), mode="data", description="Instance types on sale.")

IMAGES_SCHEMA = ResourceSchema("alicloud_images", table(
    O("name_regex"),
    O("most_recent", "bool", default=False),
    O("owners", one_of=("system", "self", "others", "marketplace")),
    O("os_type", one_of=("linux", "windows")),
    O("architecture", one_of=("i386", "x86_64", "arm64")),
    O("instance_type"),
    O("status"),
    OC("image_name"),
    *COMMON,
    C("ids", "list(string)"), C("images", "list(map(string))"),
), mode="data", description="Images available to instances.")


def _hash_id(values: list[str]) -> str:
    """The provider's dataResourceIdHash: a stable id derived from the result ids."""
    return str(int(hashlib.sha256(json.dumps(values).encode()).hexdigest()[:8], 16))


def _zones(attrs: dict[str, Any]) -> dict[str, Any]:
    zones = list(ZONES)
    itype = attrs.get("available_instance_type")
    if itype and itype not in {t[0] for t in INSTANCE_TYPES}:
        zones = []
    if attrs.get("network_type") == "Classic":
        zones = []
    items = [{
        "id": z,
        "local_name": f"华东1 可用区 {z[-1].upper()}",
        "available_instance_types": [t[0] for t in INSTANCE_TYPES],
        "available_resource_creation": list(RESOURCE_CREATION),
        "available_disk_categories": list(DISK_CATEGORIES),
        "multi_zone_ids": [],
        "slb_slave_zone_ids": [o for o in ZONES if o != z][:1],
    } for z in zones]
    return {"ids": zones, "zones": items, "id": _hash_id(zones)}


def _instance_types(attrs: dict[str, Any]) -> dict[str, Any]:
    items = []
    for tid, family, cores, mem, enis, ips in INSTANCE_TYPES:
        if attrs.get("cpu_core_count") not in (None, cores):
            continue
        if attrs.get("memory_size") is not None and float(attrs["memory_size"]) != mem:
            continue
        if attrs.get("instance_type_family") not in (None, family):
            continue
        if attrs.get("eni_amount") is not None and enis < int(attrs["eni_amount"]):
            continue
        if attrs.get("availability_zone") not in (None, *ZONES):
            continue
        items.append({
            "id": tid, "family": family, "cpu_core_count": cores, "memory_size": mem,
            "eni_amount": enis, "eni_private_ip_address_quantity": ips,
            "availability_zones": list(ZONES), "price": "",
            "gpu": {"amount": "0", "category": ""}, "burstable_instance": {"initial_credit": "", "baseline_credit": ""},
            "local_storage": {"capacity": "", "amount": "", "category": ""},
        })
    if attrs.get("sorted_by") == "CPU":
        items.sort(key=lambda t: (t["cpu_core_count"], t["id"]))
    elif attrs.get("sorted_by") == "Memory":
        items.sort(key=lambda t: (t["memory_size"], t["id"]))
    ids = [t["id"] for t in items]
    return {"ids": ids, "instance_types": items, "id": _hash_id(ids)}


def _images(attrs: dict[str, Any]) -> dict[str, Any] | None:
    regex = attrs.get("name_regex")
    rx = re.compile(regex) if regex else None
    items = []
    for iid, name, os_type, os_name, platform, arch, created in IMAGES:
        if rx and not rx.search(name):
            continue
        if attrs.get("os_type") not in (None, os_type):
            continue
        if attrs.get("architecture") not in (None, arch):
            continue
        if attrs.get("owners") not in (None, "system"):
            continue
        items.append({
            "id": iid, "image_id": iid, "name": name, "image_name": name, "os_type": os_type,
            "os_name": os_name, "os_name_en": os_name, "platform": platform, "architecture": arch,
            "creation_time": created, "image_owner_alias": "system", "status": "Available", "size": 20,
            "state": "Available", "is_self_shared": "", "progress": "100%",
        })
    items.sort(key=lambda i: i["creation_time"], reverse=True)
    if attrs.get("most_recent") and items:
        items = items[:1]
    ids = [i["id"] for i in items]
    return {"ids": ids, "images": items, "id": _hash_id(ids)}


READERS = {"alicloud_zones": _zones, "alicloud_instance_types": _instance_types, "alicloud_images": _images}


def read_data_source(type_name: str, attrs: dict[str, Any]) -> dict[str, Any] | None:
    """The data source's attributes (inputs echoed, results filled); None when it cannot be read now.

    None means: an unsupported type, or an input that is still unknown (read it after apply,
    like Terraform defers a data source that depends on a resource not yet created).
    An invalid ``name_regex`` raises ValueError with a sentence fit for a diagnostic.
    """
    reader = READERS.get(type_name)
    if reader is None or contains_unknown(attrs):
        return None
    if type_name == "alicloud_images" and attrs.get("name_regex"):
        try:
            re.compile(attrs["name_regex"])
        except re.error as exc:
            raise ValueError(f"name_regex is not a valid regular expression: {exc}") from None
    result = reader(attrs)
    if result is None:
        return None
    out = dict(attrs)
    out.update(result)
    return out


def _local_reader(type_name: str) -> Any:
    """The utility providers' data sources read files on this machine (planner.providers.local)."""
    def read(attrs: dict[str, Any]) -> dict[str, Any]:
        from planner.providers.local.files import DATA_READERS

        return DATA_READERS[type_name](attrs)
    return read


READERS.update({t: _local_reader(t) for t in ("local_file", "local_sensitive_file", "terraform_remote_state")})
