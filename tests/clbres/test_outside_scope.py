"""Services clbplan does not manage: one clear, located message per type, and "did you mean" only
for likely typos (issue 14, items 4 and 6)."""

from __future__ import annotations

from pathlib import Path

from click.testing import CliRunner

from planner.cli.main import cli
from planner.schema.conform import edit_distance, suggest
from planner.schema.registry import type_names

CONFIG = '''
resource "alicloud_nas_file_system" "fs" {
  count         = 3
  protocol_type = "NFS"
}

resource "alicloud_nas_file_system" "other" {
  protocol_type = "NFS"
}

resource "alicloud_db_instance" "db" {
  engine         = "MySQL"
  engine_version = "8.0"
}

data "alicloud_oss_buckets" "b" {}

resource "alicloud_slb_listner" "typo" {
  frontend_port = 80
}
'''


def _validate(tmp_path: Path) -> tuple[int, str]:
    (tmp_path / "main.tf").write_text(CONFIG)
    res = CliRunner().invoke(cli, ["validate", str(tmp_path)])
    return res.exit_code, res.output


def test_outside_types_get_one_located_message_each(tmp_path: Path) -> None:
    code, out = _validate(tmp_path)
    assert code == 1
    assert "Traceback" not in out
    # one message for the NAS type, however many blocks and instances use it, at its first block
    assert out.count('"alicloud_nas_file_system" is outside what clbplan manages') == 1
    assert 'main.tf:2:1: error: resource type "alicloud_nas_file_system" is outside' in out
    assert out.count('"alicloud_db_instance" is outside what clbplan manages') == 1
    assert 'data source "alicloud_oss_buckets" is outside what clbplan manages' in out
    # what it is and what to do instead
    assert "clbplan manages Classic Load Balancer (CLB) and the network and compute objects around it" in out
    assert "alicloud_db_instance (ApsaraDB RDS) is outside that" in out
    assert 'separate Terraform configuration' in out and 'terraform_remote_state' in out
    # never an unrelated suggestion
    assert "did you mean \"alicloud_slb_listener\"?" in out  # only for the real typo
    assert out.count("did you mean") == 1


def test_suggestions_only_within_a_small_edit_distance() -> None:
    managed = type_names()
    assert suggest("alicloud_nas_file_system", managed) is None
    assert suggest("alicloud_db_instance", managed) is None
    assert suggest("alicloud_slb_listner", managed) == "alicloud_slb_listener"
    assert suggest("alicloud_vpcs", managed) == "alicloud_vpc"
    assert edit_distance("kitten", "sitting") == 3
    assert suggest("health_chek", ["health_check", "healthy_threshold"]) == "health_check"
    assert suggest("port", ["server_group_id", "weight"]) is None
