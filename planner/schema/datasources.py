"""Schemas of the catalogue data sources alicloud_zones, alicloud_instance_types, alicloud_images.

They are read through the provider like every alicloud data source
(``planner.providers.alicloud.data_sources``), from the emulator's catalogue of the provider's region
(``planner/emulator/catalogue``). ``read_data_source`` here reads only the local utility data
sources (files on this machine).
"""

from __future__ import annotations

import re
from typing import Any

from planner.schema._dsl import OC, C, O, table
from planner.schema.base import ResourceSchema
from planner.values import contains_unknown

RESOURCE_CREATION = ("Instance", "Disk", "VSwitch", "Slb")
DISK_CATEGORIES = ("cloud_efficiency", "cloud_ssd", "cloud_essd")

COMMON = (O("output_file"),)

ZONES_SCHEMA = ResourceSchema("alicloud_zones", table(
    O("available_resource_creation", one_of=RESOURCE_CREATION + ("IoOptimized", "Rds", "Redis", "MongoDB",
                                                                 "HBase", "PolarDB", "Gpdb", "KVStore",
                                                                 "FunctionCompute", "Elasticsearch", "ADB")),
    O("available_instance_type"),
    O("available_disk_category", one_of=DISK_CATEGORIES + ("cloud", "all", "ephemeral_ssd", "local_disk")),
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
    O("instance_type"),
    O("gpu_amount", "number"),
    O("gpu_spec"),
    O("kubernetes_node_role", one_of=("Master", "Worker")),
    O("minimum_eni_private_ip_address_quantity", "number"),
    O("minimum_eni_ipv6_address_quantity", "number"),
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
    O("status", default="Available"),
    OC("image_name"),
    O("image_id"),
    O("image_owner_id"),
    O("image_family"),
    O("usage", one_of=("instance", "none")),
    O("snapshot_id"),
    O("resource_group_id"),
    O("action_type", one_of=("CreateEcs", "ChangeOS")),
    O("is_support_io_optimized", "bool"),
    O("is_support_cloud_init", "bool"),
    O("dry_run", "bool"),
    O("tags", "map(string)"),
    *COMMON,
    C("ids", "list(string)"), C("images", "list(map(string))"),
), mode="data", description="Images available to instances.")


READERS: dict = {}


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
