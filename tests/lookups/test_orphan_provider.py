"""A resource left in the state under a provider alias whose block was removed: Terraform refuses
to plan ("Provider configuration not present") instead of reaching the object through another
configuration. clbplan used to delete it through the default provider, in the default region."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.diagnostics import DiagnosticsError
from planner.emulator import Emulator
from planner.engine.pipeline import apply_plan, make_plan
from planner.state.backend import LocalBackend

FIXTURE = Path(__file__).parent / "fixtures" / "terraform_orphan_provider.txt"  # terraform 1.11.4's answer

BEIJING = '''
provider "alicloud" {
  alias  = "bj"
  region = "cn-beijing"
}
'''

VPC_IN_BEIJING = '''
resource "alicloud_vpc" "bj" {
  provider   = alicloud.bj
  vpc_name   = "in-beijing"
  cidr_block = "10.1.0.0/16"
}
'''

DEFAULT_ONLY = '''
resource "alicloud_vpc" "home" {
  vpc_name   = "at-home"
  cidr_block = "10.0.0.0/16"
}
'''


def _apply(work: Path, **kw) -> None:
    backend = LocalBackend(work / "clbplan.tfstate")
    planned = make_plan(work, backend.read(), env={}, **kw)
    state = planned.refreshed
    assert not apply_plan(planned, state, parallelism=2).failures
    backend.write(state)


def _vpcs(work: Path, region: str) -> list[str]:
    with Emulator(work / ".clbplan" / "emulator.sqlite") as emu:
        got = emu.call("Vpc", "DescribeVpcs", {"RegionId": region})
    return sorted(v["VpcName"] for v in got["Vpcs"]["Vpc"])


def _words(text: str) -> str:
    return " ".join(text.split())


def _terraform_detail(address: str, provider: str) -> str:
    """Terraform's recorded detail, with our resource and provider address in place of its own."""
    text = FIXTURE.read_text().split("\n", 2)[2]
    text = text.replace("terraform_data.a", address)
    return _words(text.replace('provider["terraform.io/builtin/terraform"].x', provider))


@pytest.fixture
def applied(tmp_path: Path) -> Path:
    (tmp_path / "main.tf").write_text(BEIJING + VPC_IN_BEIJING + DEFAULT_ONLY)
    _apply(tmp_path)
    assert _vpcs(tmp_path, "cn-beijing") == ["in-beijing"]
    (tmp_path / "main.tf").write_text(DEFAULT_ONLY)  # the alias block and its resource both removed
    return tmp_path


@pytest.mark.parametrize("mode", ["plan", "destroy", "refresh_only", "no_refresh"])
def test_removed_alias_stops_the_run_with_terraforms_error(applied: Path, mode: str) -> None:
    kw = {"plan": {}, "destroy": {"destroy": True}, "refresh_only": {"refresh_only": True},
          "no_refresh": {"refresh": False}}[mode]
    with pytest.raises(DiagnosticsError) as e:
        make_plan(applied, LocalBackend(applied / "clbplan.tfstate").read(), env={}, **kw)
    (d,) = e.value.diagnostics
    assert d.summary == "Provider configuration not present"
    assert _words(d.detail) == _terraform_detail(
        "alicloud_vpc.bj", 'provider["registry.terraform.io/aliyun/alicloud"].bj')
    assert "alias" in d.hint and "bj" in d.hint
    # nothing was deleted anywhere: not in Beijing, and not in the default region either
    assert _vpcs(applied, "cn-beijing") == ["in-beijing"]
    assert _vpcs(applied, "cn-hangzhou") == ["at-home"]


def test_cli_plan_and_destroy_exit_1_naming_resource_and_provider(applied: Path,
                                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    from planner.cli.main import cli

    monkeypatch.chdir(applied)
    for args in (["plan"], ["destroy", "-auto-approve"], ["apply", "-refresh-only", "-auto-approve"]):
        res = CliRunner().invoke(cli, args)
        assert res.exit_code == 1, res.output
        assert "Provider configuration not present" in res.output
        assert "alicloud_vpc.bj (orphan)" in res.output
        assert 'provider["registry.terraform.io/aliyun/alicloud"].bj' in res.output
        assert "Traceback" not in res.output
    assert _vpcs(applied, "cn-beijing") == ["in-beijing"]


def test_re_adding_the_block_destroys_in_the_alias_region(applied: Path) -> None:
    (applied / "main.tf").write_text(BEIJING + DEFAULT_ONLY)
    _apply(applied)
    assert _vpcs(applied, "cn-beijing") == []
    assert _vpcs(applied, "cn-hangzhou") == ["at-home"]
    (applied / "main.tf").write_text(DEFAULT_ONLY)  # now the block can go
    planned = make_plan(applied, LocalBackend(applied / "clbplan.tfstate").read(), env={})
    assert not planned.plan.operations


def test_a_resource_still_configured_uses_its_blocks_provider(tmp_path: Path) -> None:
    """As Terraform: a resource whose block remains (now without the alias) is no orphan; its
    configuration's provider serves it and the plan goes on."""
    (tmp_path / "main.tf").write_text(
        'provider "alicloud" {\n  alias  = "hz"\n  region = "cn-hangzhou"\n}\n'
        + DEFAULT_ONLY.replace('vpc_name', 'provider = alicloud.hz\n  vpc_name'))
    _apply(tmp_path)
    (tmp_path / "main.tf").write_text(DEFAULT_ONLY)
    planned = make_plan(tmp_path, LocalBackend(tmp_path / "clbplan.tfstate").read(), env={})
    assert not [op for op in planned.plan.operations]


@pytest.mark.skipif(shutil.which("terraform") is None, reason="the terraform binary is not installed")
def test_fixture_is_what_terraform_says(tmp_path: Path) -> None:
    """Re-record Terraform's answer for the same situation and compare it with the fixture."""
    def tf(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(["terraform", *args, "-no-color", "-input=false"], cwd=tmp_path,
                              capture_output=True, text=True, timeout=120)

    (tmp_path / "main.tf").write_text('provider "terraform" {\n  alias = "x"\n}\n\n'
                                      'resource "terraform_data" "a" {\n  provider = terraform.x\n'
                                      '  input    = "hi"\n}\n')
    assert tf("init").returncode == 0
    assert tf("apply", "-auto-approve").returncode == 0
    (tmp_path / "main.tf").write_text('output "o" {\n  value = 1\n}\n')
    got = tf("plan")
    assert got.returncode == 1
    error = re.search(r"Error: Provider configuration not present.*?again\.", got.stderr, re.S)
    assert error is not None, got.stderr
    assert _words(error.group(0)) == _words(FIXTURE.read_text())


def test_a_renamed_alias_serves_its_resources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Renaming ``alicloud.bj`` to ``alicloud.beijing`` (same region) changes nothing in the cloud:
    the resource's block names its provider, as in Terraform. Refreshing through the recorded key
    used to find the VPC missing in the default region and plan a duplicate in Beijing."""
    from planner.cli.main import cli
    from planner.state.tfstate import flat_instances

    (tmp_path / "main.tf").write_text(BEIJING + VPC_IN_BEIJING)
    _apply(tmp_path)
    renamed = (BEIJING + VPC_IN_BEIJING).replace('alias  = "bj"', 'alias  = "beijing"') \
        .replace("alicloud.bj", "alicloud.beijing")
    (tmp_path / "main.tf").write_text(renamed)
    planned = make_plan(tmp_path, LocalBackend(tmp_path / "clbplan.tfstate").read(), env={})
    assert not planned.plan.has_changes and not planned.plan.drift
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["apply", "-auto-approve"])
    assert res.exit_code == 0, res.output
    doc = json.loads((tmp_path / "clbplan.tfstate").read_text())
    assert [r["provider"] for r in doc["resources"]] == ['provider["registry.terraform.io/aliyun/alicloud"].beijing']
    assert len(flat_instances(doc)) == 1
    # the state now names the new alias: removing the resource destroys it in Beijing
    (tmp_path / "main.tf").write_text(renamed.split("resource")[0])
    _apply(tmp_path)
    assert _vpcs(tmp_path, "cn-beijing") == []
