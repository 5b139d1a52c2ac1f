"""The catalogue's read actions, in-process and through the official SDK over HTTP: per region,
paged as the real API pages, with the filters the provider's lookup data sources send."""

from __future__ import annotations

import pytest

from .conftest import ApiFailed


def test_regions_and_zones_per_region(cloud):
    regions = cloud.call("DescribeRegions", {}, "Ecs")["Regions"]["Region"]
    ids = [r["RegionId"] for r in regions]
    assert {"cn-hangzhou", "cn-beijing", "ap-southeast-1", "eu-central-1", "us-west-1"} <= set(ids)
    hz = next(r for r in regions if r["RegionId"] == "cn-hangzhou")
    assert hz["LocalName"] == "华东1（杭州）"  # zh-CN, the API default the provider gets
    en = cloud.call("DescribeRegions", {"AcceptLanguage": "en-US"}, "Ecs")["Regions"]["Region"]
    assert next(r for r in en if r["RegionId"] == "cn-hangzhou")["LocalName"] == "China (Hangzhou)"
    bj = cloud.call("DescribeZones", {"RegionId": "cn-beijing", "Verbose": "false"}, "Ecs")["Zones"]["Zone"]
    assert [z["ZoneId"] for z in bj][:3] == ["cn-beijing-a", "cn-beijing-b", "cn-beijing-c"]
    sg = cloud.call("DescribeZones", {"RegionId": "ap-southeast-1", "Verbose": "false"}, "Ecs")["Zones"]["Zone"]
    assert [z["ZoneId"] for z in sg] == ["ap-southeast-1a", "ap-southeast-1b", "ap-southeast-1c"]


def test_available_resource_ecs_and_slb(cloud):
    got = cloud.call("DescribeAvailableResource", {"RegionId": "cn-hangzhou", "DestinationResource": "Zone"},
                     "Ecs")["AvailableZones"]["AvailableZone"]
    status = {z["ZoneId"]: z["Status"] for z in got}
    assert status["cn-hangzhou-h"] == "Available" and status["cn-hangzhou-b"] == "SoldOut"
    types = cloud.call("DescribeAvailableResource", {"RegionId": "cn-beijing", "ZoneId": "cn-beijing-h",
                                                     "DestinationResource": "InstanceType", "Cores": "1",
                                                     "Memory": "2"}, "Ecs")["AvailableZones"]["AvailableZone"]
    values = {s["Value"] for s in types[0]["AvailableResources"]["AvailableResource"][0]
              ["SupportedResources"]["SupportedResource"]}
    assert {"ecs.n4.small", "ecs.t5-lc1m2.small"} <= values
    with pytest.raises(ApiFailed) as e:
        cloud.call("DescribeAvailableResource", {"RegionId": "cn-beijing", "ZoneId": "cn-hangzhou-h",
                                                 "DestinationResource": "InstanceType"}, "Ecs")
    assert e.value.failure.code == "InvalidZoneId.NotFound"
    pairs = cloud.call("DescribeAvailableResource", {"RegionId": "eu-central-1", "AddressType": "vpc"}
                       )["AvailableResources"]["AvailableResource"]
    assert [(p["MasterZoneId"], p["SlaveZoneId"]) for p in pairs] == [("eu-central-1a", "eu-central-1b"),
                                                                      ("eu-central-1b", "eu-central-1a")]
    assert pairs[0]["SupportResources"]["SupportResource"] == [{"AddressType": "vpc", "AddressIPVersion": "ipv4"}]


def test_instance_types_page_by_token(cloud):
    seen: list[str] = []
    token = ""
    pages = 0
    while True:
        params = {"MaxResults": "100"} | ({"NextToken": token} if token else {})
        got = cloud.call("DescribeInstanceTypes", params, "Ecs")
        seen += [t["InstanceTypeId"] for t in got["InstanceTypes"]["InstanceType"]]
        pages += 1
        token = got.get("NextToken") or ""
        if not token:
            break
    assert pages > 5 and len(seen) == len(set(seen))
    assert {"ecs.g9i.large", "ecs.n4.small", "ecs.sn1ne.large", "ecs.u1-c1m2.large", "ecs.e-c1m1.large"} <= set(seen)
    g6 = cloud.call("DescribeInstanceTypes", {"InstanceTypeFamily": "ecs.g6"}, "Ecs")["InstanceTypes"]["InstanceType"]
    large = next(t for t in g6 if t["InstanceTypeId"] == "ecs.g6.large")
    assert (large["CpuCoreCount"], large["MemorySize"], large["EniQuantity"], large["EniPrivateIpAddressQuantity"]) \
        == (2, 8.0, 2, 6)
    fams = cloud.call("DescribeInstanceTypeFamilies", {}, "Ecs")["InstanceTypeFamilies"]["InstanceTypeFamily"]
    assert {"ecs.g6", "ecs.t5", "ecs.n4", "ecs.c9i"} <= {f["InstanceTypeFamilyId"] for f in fams}


def test_images_filter_and_page(cloud):
    first = cloud.call("DescribeImages", {"RegionId": "eu-central-1", "ImageOwnerAlias": "system",
                                          "OSType": "windows", "PageSize": "100"}, "Ecs")
    assert first["TotalCount"] == len(first["Images"]["Image"]) > 3
    assert all(i["OSType"] == "windows" and i["Size"] == 40 for i in first["Images"]["Image"])
    one = cloud.call("DescribeImages", {"ImageId": "aliyun_3_x64_20G_alibase_20240819.vhd"}, "Ecs")["Images"]["Image"]
    assert one[0]["OSName"] == "Alibaba Cloud Linux  3.2104 LTS 64位" and one[0]["ImageOwnerAlias"] == "system"
    page2 = cloud.call("DescribeImages", {"PageSize": "50", "PageNumber": "2"}, "Ecs")
    assert len(page2["Images"]["Image"]) == 50 and page2["TotalCount"] > 150
