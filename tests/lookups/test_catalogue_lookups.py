"""The catalogue lookups real configurations use, against what the published lists say.

Each read goes through the provider (``planner.providers.alicloud.data_sources``) to the emulator's
catalogue; expectations come from the published image and instance-type lists recorded in
``planner/emulator/catalogue`` (see its README for the sources).
"""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest

from planner.providers.base import ProviderError

Lookup = Callable[..., dict]


def test_ubuntu_18_regex_selects_the_1804_builds(lookup: Lookup) -> None:
    got = lookup("alicloud_images", name_regex="^ubuntu_18.*64")
    # the 2019 build with the old "64" arch spelling and the later x64 builds (reference 3.5)
    assert "ubuntu_18_04_64_20G_alibase_20190624.vhd" in got["ids"]
    assert "ubuntu_18_04_x64_20G_alibase_20200521.vhd" in got["ids"]
    assert all(i.startswith("ubuntu_18") for i in got["ids"])
    assert all(img["os_type"] == "linux" and img["image_owner_alias"] == "system" for img in got["images"])
    assert got["ids"] == [img["id"] for img in got["images"]] and got["id"]


def test_aliyun_3_9_regex(lookup: Lookup) -> None:
    got = lookup("alicloud_images", name_regex="^aliyun_3_9_x64_20G_*")
    assert "aliyun_3_9_x64_20G_alibase_20231219.vhd" in got["ids"]  # the id the provider's tests use
    assert got["ids"] and all(i.startswith("aliyun_3_9_x64_20G") for i in got["ids"])
    assert not any(i.startswith("aliyun_3_x64") for i in got["ids"])


def test_most_recent_keeps_the_newest_build(lookup: Lookup) -> None:
    every = lookup("alicloud_images", name_regex="^ubuntu_18.*64")["images"]
    newest = max(every, key=lambda i: i["creation_time"])
    got = lookup("alicloud_images", name_regex="^ubuntu_18.*64", most_recent=True)
    assert got["ids"] == [newest["id"]] == ["ubuntu_18_04_x64_20G_alibase_20240528.vhd"]
    al3 = lookup("alicloud_images", name_regex="^aliyun_3_x64_20G_alibase_", most_recent=True)
    assert len(al3["ids"]) == 1 and al3["ids"][0] >= "aliyun_3_x64_20G_alibase_20240819.vhd"


def test_owners_system_leaves_out_custom_images(lookup: Lookup, emulator) -> None:
    emulator.seed({"images": [{"ImageId": "m-bp1acme0001", "ImageName": "ubuntu_18_acme_base_x64",
                               "OSName": "Acme Ubuntu", "OSType": "linux", "Architecture": "x86_64",
                               "CreationTime": "2026-11-02T10:00:00Z", "RegionId": "cn-hangzhou"}]})
    system = lookup("alicloud_images", name_regex="^ubuntu_18.*64", owners="system")
    assert "m-bp1acme0001" not in system["ids"] and system["ids"]
    assert {i["image_owner_alias"] for i in system["images"]} == {"system"}
    own = lookup("alicloud_images", name_regex="^ubuntu_18", owners="self")
    assert own["ids"] == ["m-bp1acme0001"]


def test_one_core_two_gib(lookup: Lookup) -> None:
    got = lookup("alicloud_instance_types", cpu_core_count=1, memory_size=2)
    # the 1 vCPU / 2 GiB types of the published tables
    assert {"ecs.n4.small", "ecs.t5-lc1m2.small"} <= set(got["ids"])
    assert all(t["cpu_core_count"] == 1 and t["memory_size"] == 2.0 for t in got["instance_types"])
    assert got["instance_types"][0]["availability_zones"] == ["cn-hangzhou-h", "cn-hangzhou-i",
                                                              "cn-hangzhou-j", "cn-hangzhou-k"]


def test_family_g6_with_published_quotas(lookup: Lookup) -> None:
    got = {t["id"]: t for t in lookup("alicloud_instance_types", instance_type_family="ecs.g6")["instance_types"]}
    assert {"ecs.g6.large", "ecs.g6.xlarge", "ecs.g6.2xlarge", "ecs.g6.26xlarge"} <= set(got)
    assert all(t["family"] == "ecs.g6" for t in got.values())
    # published: g6.large 2 vCPU 8 GiB, 2 ENIs of 6 IPs; g6.xlarge 4/16, 3 ENIs of 10 IPs
    assert (got["ecs.g6.large"]["cpu_core_count"], got["ecs.g6.large"]["memory_size"],
            got["ecs.g6.large"]["eni_amount"], got["ecs.g6.large"]["eni_private_ip_address_quantity"]) == (2, 8.0, 2, 6)
    assert (got["ecs.g6.xlarge"]["eni_amount"], got["ecs.g6.xlarge"]["eni_private_ip_address_quantity"]) == (3, 10)


def test_eni_amount_is_a_minimum(lookup: Lookup) -> None:
    two = lookup("alicloud_instance_types", eni_amount=2)
    assert two["ids"] and all(t["eni_amount"] >= 2 for t in two["instance_types"])
    four = lookup("alicloud_instance_types", eni_amount=4, cpu_core_count=2)
    assert four["ids"] == [] or all(t["eni_amount"] >= 4 for t in four["instance_types"])
    g6_2 = lookup("alicloud_instance_types", instance_type_family="ecs.g6", eni_amount=3)
    assert "ecs.g6.large" not in g6_2["ids"] and "ecs.g6.xlarge" in g6_2["ids"]


def test_sorted_by_cpu_and_unknown_zone(lookup: Lookup) -> None:
    got = lookup("alicloud_instance_types", instance_type_family="ecs.g6", sorted_by="CPU")
    cores = [t["cpu_core_count"] for t in got["instance_types"]]
    assert cores == sorted(cores)
    with pytest.raises(ProviderError, match="cn-hangzhou-z status is not available in the region cn-hangzhou"):
        lookup("alicloud_instance_types", availability_zone="cn-hangzhou-z")


def test_zones_per_region_and_filters(lookup: Lookup) -> None:
    hz = lookup("alicloud_zones", available_resource_creation="VSwitch")
    assert hz["ids"] == ["cn-hangzhou-h", "cn-hangzhou-i", "cn-hangzhou-j", "cn-hangzhou-k"]  # b/e/f/g retired
    bj = lookup("alicloud_zones", region="cn-beijing", available_resource_creation="VSwitch")
    assert bj["ids"] and all(z.startswith("cn-beijing-") for z in bj["ids"])
    sg = lookup("alicloud_zones", region="ap-southeast-1", available_instance_type="ecs.g6.large")
    assert sg["ids"] and all(re.fullmatch(r"ap-southeast-1[a-z]", z) for z in sg["ids"])
    assert lookup("alicloud_zones", available_instance_type="ecs.nosuch.large")["ids"] == []
    assert lookup("alicloud_zones", network_type="Classic")["ids"] == []  # classic is sold nowhere now
    slb = lookup("alicloud_zones", region="eu-central-1", available_resource_creation="Slb")
    assert slb["ids"] and all(z["slb_slave_zone_ids"] is not None for z in slb["zones"])
    detailed = lookup("alicloud_zones", enable_details=True)
    assert "ecs.g6.large" in detailed["zones"][0]["available_instance_types"]
    assert lookup("alicloud_zones")["zones"][0]["available_instance_types"] == []  # details off


def test_regions(lookup: Lookup) -> None:
    every = lookup("alicloud_regions")
    assert {"cn-hangzhou", "cn-beijing", "ap-southeast-1", "eu-central-1", "us-west-1"} <= set(every["ids"])
    cur = lookup("alicloud_regions", region="us-west-1", current=True)
    assert cur["ids"] == ["us-west-1"] and cur["regions"][0]["local_name"]
    with pytest.raises(ProviderError, match="name doesn't match current region"):
        lookup("alicloud_regions", current=True, name="cn-beijing")
    with pytest.raises(ProviderError, match="returned no results"):
        lookup("alicloud_regions", name="xx-nowhere-1")


def test_slb_zones_pairs(lookup: Lookup) -> None:
    got = lookup("alicloud_slb_zones", region="cn-hangzhou", available_slb_address_type="vpc")
    assert got["zones"] and all(z["id"] == z["master_zone_id"] for z in got["zones"])
    assert {"address_type": "vpc", "address_ip_version": "ipv4"} in got["zones"][0]["supported_resources"]
    one = lookup("alicloud_slb_zones", master_zone_id=got["ids"][0])
    assert set(one["ids"]) == {got["ids"][0]}


def test_empty_lookup_explains_itself(lookup: Lookup) -> None:
    got = lookup("alicloud_images", name_regex="^ubuntu_17.*64", owners="system")
    note = got["__lookup_note__"]
    assert note.startswith('data source alicloud_images returned no images in region cn-hangzhou for '
                           'name_regex = "^ubuntu_17.*64", owners = "system"')
    assert "the region offers: ubuntu_" in note
    types = lookup("alicloud_instance_types", cpu_core_count=3, memory_size=5)
    assert "cpu_core_count = 3, memory_size = 5" in types["__lookup_note__"]
    assert "vCPU" in types["__lookup_note__"]


def test_bad_regex_is_a_sentence(lookup: Lookup) -> None:
    with pytest.raises(ProviderError, match="name_regex is not a valid regular expression"):
        lookup("alicloud_images", name_regex="([")
