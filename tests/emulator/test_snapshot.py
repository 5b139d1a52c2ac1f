"""A cloud handed to another process as bytes (``Emulator.snapshot`` / ``Emulator.restored``): what a
forked rehearsal part works on."""

from __future__ import annotations

from pathlib import Path

from planner.emulator.core import Emulator


def test_a_copy_of_a_cloud_file_restored_from_its_bytes_takes_calls(tmp_path: Path) -> None:
    cloud = Emulator(tmp_path / "cloud.db")  # on a file: WAL mode, which the bytes of its copy record
    vpc = cloud.call("Vpc", "CreateVpc", {"CidrBlock": "10.0.0.0/8", "ClientToken": "t-1"})["VpcId"]
    shadow = cloud.copy()
    restored = Emulator.restored(shadow.snapshot(), region=shadow.region)
    # the same cloud: the VPC is there, and an idempotency token of the original still answers
    assert restored.call("Vpc", "DescribeVpcs", {"VpcId": vpc})["Vpcs"]["Vpc"][0]["VpcId"] == vpc
    assert restored.call("Vpc", "CreateVpc", {"CidrBlock": "10.0.0.0/8", "ClientToken": "t-1"})["VpcId"] == vpc
    # and an independent one: what it makes is in neither the shadow nor the file
    restored.call("Vpc", "CreateVSwitch", {"VpcId": vpc, "CidrBlock": "10.0.0.0/20", "ZoneId": "cn-hangzhou-h"})
    for other in (shadow, cloud):
        assert other.call("Vpc", "DescribeVSwitches", {"VpcId": vpc})["VSwitches"]["VSwitch"] == []
