"""Static data sources: answers match the emulator catalogue and honour the filters."""

from __future__ import annotations

import pytest

from planner.schema import read_data_source
from planner.values import UNKNOWN


def test_zones_of_cn_hangzhou() -> None:
    out = read_data_source("alicloud_zones", {"available_resource_creation": "VSwitch"})
    assert out["ids"] == ["cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k"]
    assert out["zones"][0]["id"] == "cn-hangzhou-h"
    assert out["available_resource_creation"] == "VSwitch"  # inputs echoed
    assert out["id"]


def test_instance_types_filter_by_cores_and_memory() -> None:
    out = read_data_source("alicloud_instance_types", {"cpu_core_count": 2, "memory_size": 8})
    assert "ecs.g6.large" in out["ids"]
    assert all(t["cpu_core_count"] == 2 and t["memory_size"] == 8 for t in out["instance_types"])
    none = read_data_source("alicloud_instance_types", {"cpu_core_count": 96})
    assert none["ids"] == [] and none["instance_types"] == []


def test_images_most_recent_ubuntu() -> None:
    out = read_data_source("alicloud_images", {"name_regex": "^ubuntu", "most_recent": True, "owners": "system"})
    assert out["ids"] == ["ubuntu_22_04_x64_20G_alibase_20240508.vhd"]
    assert out["images"][0]["os_type"] == "linux"


def test_unknown_inputs_defer_the_read() -> None:
    assert read_data_source("alicloud_instance_types", {"availability_zone": UNKNOWN}) is None


def test_unsupported_data_source() -> None:
    assert read_data_source("alicloud_slb_load_balancers", {}) is None


def test_bad_regex_is_a_sentence() -> None:
    with pytest.raises(ValueError, match="name_regex is not a valid regular expression"):
        read_data_source("alicloud_images", {"name_regex": "(["})


def test_catalogue_matches_the_emulator() -> None:
    """Data sources must only name zones, types and images the emulator can create."""
    from planner.emulator import catalogue
    from planner.schema import datasources

    assert datasources.ZONES == catalogue.zones(datasources.REGION)
    for tid, _family, cores, mem, enis, ips in datasources.INSTANCE_TYPES:
        spec = catalogue.instance_type(None, tid)
        assert spec is not None
        assert (cores, mem, enis, ips) == (spec["CpuCoreCount"], spec["MemorySize"], spec["EniQuantity"],
                                           spec["EniPrivateIpAddressQuantity"])
    for i in datasources.IMAGES:
        assert catalogue.image(None, datasources.REGION, i[0]) is not None
