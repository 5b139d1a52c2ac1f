"""The catalogue as users meet it: real ids accepted per region, and `clbplan emulator seed` for
a company's own images and instance types."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from planner.emulator import Emulator
from planner.emulator.errors import CloudError


def _network(emu: Emulator, region: str, zone: str) -> tuple[str, str]:
    vpc = emu.call("Vpc", "CreateVpc", {"RegionId": region, "CidrBlock": "10.0.0.0/16"})["VpcId"]
    vsw = emu.call("Vpc", "CreateVSwitch", {"RegionId": region, "VpcId": vpc, "ZoneId": zone,
                                            "CidrBlock": "10.0.1.0/24"})["VSwitchId"]
    sg = emu.call("Ecs", "CreateSecurityGroup", {"RegionId": region, "VpcId": vpc})["SecurityGroupId"]
    return vsw, sg


@pytest.mark.parametrize("image,itype", [
    ("aliyun_3_x64_20G_alibase_20240819.vhd", "ecs.g9i.large"),
    ("ubuntu_18_04_64_20G_alibase_20190624.vhd", "ecs.n4.small"),
    ("win2019_1809_x64_dtc_zh-cn_40G_alibase_20230811.vhd", "ecs.t5-lc1m2.small"),
])
def test_real_images_and_types_run(image, itype):
    emu = Emulator(None)
    vsw, sg = _network(emu, "cn-beijing", "cn-beijing-h")
    iid = emu.call("Ecs", "RunInstances", {"RegionId": "cn-beijing", "ImageId": image, "InstanceType": itype,
                                           "VSwitchId": vsw, "SecurityGroupId": sg})["InstanceIdSets"]["InstanceIdSet"][0]
    inst = emu.call("Ecs", "DescribeInstances", {"RegionId": "cn-beijing"})["Instances"]["Instance"][0]
    assert inst["InstanceId"] == iid and inst["ZoneId"] == "cn-beijing-h" and inst["InstanceType"] == itype


def test_zones_are_per_region():
    emu = Emulator(None)
    vpc = emu.call("Vpc", "CreateVpc", {"RegionId": "cn-beijing", "CidrBlock": "10.0.0.0/16"})["VpcId"]
    with pytest.raises(CloudError) as e:  # a Hangzhou zone for a Beijing VPC
        emu.call("Vpc", "CreateVSwitch", {"RegionId": "cn-beijing", "VpcId": vpc, "ZoneId": "cn-hangzhou-h",
                                          "CidrBlock": "10.0.1.0/24"})
    assert e.value.code == "InvalidZoneId.NotFound"
    with pytest.raises(CloudError) as e:  # a retired zone sells nothing
        emu.call("Vpc", "CreateVSwitch", {"RegionId": "cn-hangzhou",
                                          "VpcId": emu.call("Vpc", "CreateVpc", {"CidrBlock": "10.0.0.0/16"})["VpcId"],
                                          "ZoneId": "cn-hangzhou-b", "CidrBlock": "10.0.1.0/24"})
    assert e.value.code == "InvalidZoneId.NotFound"
    with pytest.raises(CloudError) as e:  # the VPC lives in Beijing, not in Hangzhou
        emu.call("Vpc", "CreateVSwitch", {"RegionId": "cn-hangzhou", "VpcId": vpc, "ZoneId": "cn-hangzhou-h",
                                          "CidrBlock": "10.0.1.0/24"})
    assert e.value.code == "InvalidVpcId.NotFound"


def test_unknown_image_and_type_are_refused():
    emu = Emulator(None)
    vsw, sg = _network(emu, "cn-hangzhou", "cn-hangzhou-h")
    for image, itype, code in (("m-notthere", "ecs.g6.large", "InvalidImageId.NotFound"),
                               ("aliyun_3_x64_20G_alibase_20240819.vhd", "ecs.g99.large",
                                "InvalidInstanceType.NotFound")):
        with pytest.raises(CloudError) as e:
            emu.call("Ecs", "RunInstances", {"ImageId": image, "InstanceType": itype, "VSwitchId": vsw,
                                             "SecurityGroupId": sg})
        assert e.value.code == code


def test_seed_command_adds_own_image_and_type(tmp_path: Path):
    state = str(tmp_path / "cloud.sqlite")
    seed = tmp_path / "seed.json"
    seed.write_text(json.dumps({
        "images": [{"ImageId": "m-bp1acme0001", "ImageName": "acme-base-2026-11", "OSName": "Acme Linux 9",
                    "CreationTime": "2026-11-02T10:00:00Z", "RegionId": "cn-hangzhou"}],
        "instance_types": [{"InstanceTypeId": "ecs.g9x.large", "CpuCoreCount": 2, "MemorySize": 8,
                            "EniQuantity": 3, "EniPrivateIpAddressQuantity": 10}]}))
    got = CliRunner().invoke(cli, ["emulator", "seed", str(seed), "--state", state])
    assert got.exit_code == 0, got.output
    assert "Seeded 1 image(s) and 1 instance type(s)" in got.output
    emu = Emulator(state)
    try:
        mine = emu.call("Ecs", "DescribeImages", {"ImageOwnerAlias": "self"})["Images"]["Image"]
        assert [(i["ImageId"], i["ImageName"], i["ImageOwnerAlias"]) for i in mine] == [
            ("m-bp1acme0001", "acme-base-2026-11", "self")]
        assert emu.call("Ecs", "DescribeImages", {"RegionId": "cn-beijing", "ImageOwnerAlias": "self"}
                        )["Images"]["Image"] == []  # seeded for Hangzhou only
        vsw, sg = _network(emu, "cn-hangzhou", "cn-hangzhou-i")
        emu.call("Ecs", "RunInstances", {"ImageId": "m-bp1acme0001", "InstanceType": "ecs.g9x.large",
                                         "VSwitchId": vsw, "SecurityGroupId": sg})
        t = emu.call("Ecs", "DescribeInstanceTypes", {"InstanceTypes.1": "ecs.g9x.large"})["InstanceTypes"]
        assert t["InstanceType"][0]["InstanceTypeFamily"] == "ecs.g9x"
    finally:
        emu.close()


@pytest.mark.parametrize("content,message", [
    ("{not json", "not valid JSON"),
    ('{"images": [{"ImageName": "x"}]}', 'images[0]: each image needs a non-empty "ImageId"'),
    ('{"instance_types": [{"InstanceTypeId": "g6", "CpuCoreCount": 2, "MemorySize": 8}]}',
     "instance_types[0]: InstanceTypeId 'g6' is not of the form ecs.<family>.<size>"),
    ('{"images": [{"ImageId": "m-1", "RegionId": "mars-1"}]}', "RegionId 'mars-1' is not a region"),
])
def test_seed_refuses_bad_files_whole(tmp_path: Path, content: str, message: str):
    state = str(tmp_path / "cloud.sqlite")
    seed = tmp_path / "seed.json"
    seed.write_text('{"images": [{"ImageId": "m-good"}], "instance_types": []}')
    assert CliRunner().invoke(cli, ["emulator", "seed", str(seed), "--state", state]).exit_code == 0
    seed.write_text(content)
    got = CliRunner().invoke(cli, ["emulator", "seed", str(seed), "--state", state])
    assert got.exit_code == 1
    assert message in got.output and "Traceback" not in got.output
    emu = Emulator(state)
    try:  # nothing half-seeded: the good image from before is there, nothing else
        ids = [i["ImageId"] for i in emu.call("Ecs", "DescribeImages", {"ImageOwnerAlias": "self"})["Images"]["Image"]]
        assert ids == ["m-good"]
    finally:
        emu.close()
