"""The JSON plan's ``configuration`` and envelope as Terraform writes them: one compact line,
``terraform_version`` the language level, and ``expressions`` with ``references`` (what checkov's
connection checks and policy engines read), compared with Terraform 1.11's own output."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from planner.version import CLBPLAN_VERSION, TERRAFORM_LANGUAGE_VERSION
from tests.support.review import run, scenario_work

HERE = Path(__file__).parent / "tf_configuration"
EXPECTED = json.loads((HERE / "expected.json").read_text())


def _show(work: Path, tmp_path: Path) -> str:
    plan_file = tmp_path / "saved.plan"
    r = run("plan", work, "-out", plan_file)
    assert r.exit_code == 0, r.output
    r = run("show", plan_file, "-json")
    assert r.exit_code == 0, r.output
    return r.output


def _ours(tmp_path: Path) -> dict:
    work = tmp_path / "config"
    shutil.copytree(HERE / "config", work)
    doc = json.loads(_show(work, tmp_path))
    return doc["configuration"]


def _unmask(conf: dict) -> dict:
    # the one deliberate difference: a sensitive variable's default is never written
    secret = conf["root_module"]["variables"]["secret"]
    assert secret == {"default": "(sensitive value)", "sensitive": True}
    secret["default"] = "s3cr3t"
    return conf


def test_configuration_equals_terraforms(tmp_path):
    assert _unmask(_ours(tmp_path)) == EXPECTED


@pytest.mark.skipif(shutil.which("terraform") is None, reason="the terraform binary is not on this machine")
def test_configuration_equals_live_terraform(tmp_path):
    from tests.review.tf_configuration.record import terraform_configuration

    assert _unmask(_ours(tmp_path)) == terraform_configuration()


def test_show_json_is_one_compact_line_with_terraforms_version_fields(tmp_path):
    work = scenario_work(tmp_path, "listener_port_change")
    text = _show(work, tmp_path)
    assert text.count("\n") == 1 and text.endswith("}\n")
    assert ", " not in text[:200] and ": " not in text[:200]  # compact separators, as json.Marshal
    doc = json.loads(text)
    assert doc["terraform_version"] == TERRAFORM_LANGUAGE_VERSION
    assert doc["prior_state"]["terraform_version"] == TERRAFORM_LANGUAGE_VERSION
    assert doc["clbplan"]["version"] == CLBPLAN_VERSION


def test_alicloud_listener_references_its_load_balancer(tmp_path):
    work = scenario_work(tmp_path, "listener_port_change")
    conf = json.loads(_show(work, tmp_path))["configuration"]
    listener = next(r for r in conf["root_module"]["resources"] if r["address"] == "alicloud_slb_listener.tcp")
    assert listener["expressions"]["load_balancer_id"] == {
        "references": ["alicloud_slb_load_balancer.web.id", "alicloud_slb_load_balancer.web"]}
    assert listener["expressions"]["server_group_id"] == {
        "references": ["alicloud_slb_server_group.app.id", "alicloud_slb_server_group.app"]}
    assert listener["expressions"]["frontend_port"] == {"constant_value": 3307}
    assert listener["expressions"]["bandwidth"] == {"constant_value": -1}
    assert conf["provider_config"]["alicloud"]["full_name"] == "registry.terraform.io/aliyun/alicloud"
