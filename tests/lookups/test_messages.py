"""An index into an empty lookup says which data source returned nothing, with which filters, in
which region, and what the region offers instead (validate reads the catalogue offline; plan reads
through the provider)."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import cli

CONFIG = '''
provider "alicloud" {
  region = "eu-central-1"
}

data "alicloud_instance_types" "odd" {
  cpu_core_count = 3
  memory_size    = 5
}

output "type" {
  value = data.alicloud_instance_types.odd.instance_types[0].id
}
'''


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_empty_lookup_indexed_names_the_cause(command: str, tmp_path: Path,
                                              monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main.tf").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, [command])
    assert res.exit_code == 1
    out = res.output
    assert "main.tf:12" in out and "Invalid index" in out and "Traceback" not in out
    assert ("data.alicloud_instance_types.odd: data source alicloud_instance_types returned no instance types "
            "in region eu-central-1 for cpu_core_count = 3,") in out
    assert "memory_size = 5" in out
    assert "the region offers: ecs." in out and "vCPU" in out


WRITTEN = '''
data "alicloud_images" "old" {
  name_regex = "^ubuntu_17.*64"
}

data "alicloud_images" "said_so" {
  name_regex = "^ubuntu_17.*64"
  status     = "Available"
}

data "alicloud_instance_types" "odd" {
  cpu_core_count = 3
  memory_size    = 5
}

output "img" {
  value = data.alicloud_images.old.ids[0]
}

output "img2" {
  value = data.alicloud_images.said_so.ids[0]
}

output "type" {
  value = data.alicloud_instance_types.odd.ids[0]
}
'''


@pytest.mark.parametrize("command", ["validate", "plan"])
def test_empty_lookup_lists_only_the_arguments_written(command: str, tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The schema's defaults (status = "Available", instance_charge_type = "PostPaid",
    spot_strategy = "NoSpot") were listed as if the user had filtered on them."""
    (tmp_path / "main.tf").write_text(WRITTEN)
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, [command])
    assert res.exit_code == 1
    out = res.output
    assert 'data.alicloud_images.old: data source alicloud_images returned no images in region cn-hangzhou ' \
           'for name_regex = "^ubuntu_17.*64"; the region offers: ubuntu_' in out
    # a default the user wrote is theirs: listed
    assert 'for name_regex = "^ubuntu_17.*64", status = "Available"; the region offers' in out
    assert "in region cn-hangzhou for cpu_core_count = 3, memory_size = 5; the region offers: ecs." in out
    for default in ("PostPaid", "NoSpot", "instance_charge_type", "spot_strategy"):
        assert default not in out
