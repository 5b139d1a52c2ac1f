"""Policy engines read clbplan's plan as they read Terraform's (issue 16, item 9).

A team that gates pull requests with checkov or terraform-compliance points them at
`show -json plan.out`. The fixture is a plan with a create, a replace and a delete
(fixtures/v1 applied, then fixtures/v2 planned). Checkov must give the same verdict on that plan as
on v2's `.tf` files, including a connection check, which checkov can only draw from the plan's
`configuration` references; terraform-compliance must fail exactly the scenarios the feature file
means to fail, naming the offending resources.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from tests.support.cli import invoke_in
from tests.support.policy_tools import policy_tools_bin, tool_env

FIXTURES = Path(__file__).parent / "fixtures"
Verdict = tuple[str, str, str]


@pytest.fixture(scope="module")
def tools() -> Path:
    return policy_tools_bin()


@pytest.fixture(scope="module")
def plan_json(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("policy")
    shutil.copy(FIXTURES / "v1" / "main.tf", work / "main.tf")
    applied = invoke_in(work, "apply", "-auto-approve", "-no-color")
    assert applied.exit_code == 0, applied.output
    shutil.copy(FIXTURES / "v2" / "main.tf", work / "main.tf")
    planned = invoke_in(work, "plan", "-no-color", "-out", "plan.out")
    assert planned.exit_code == 0, planned.output
    shown = invoke_in(work, "show", "-json", "plan.out")
    assert shown.exit_code == 0, shown.output
    path = work / "plan.json"
    path.write_text(shown.output)
    return path


def _checkov(tools: Path, *target: str) -> set[Verdict]:
    done = subprocess.run(
        [str(tools / "checkov"), "--skip-download", "--compact", "-o", "json",
         "--external-checks-dir", str(FIXTURES / "checks"), *target],
        capture_output=True, text=True, env=tool_env(), timeout=600,
    )
    # checkov exits 1 when a check fails; anything else is a crash of the run itself
    assert done.returncode in (0, 1), done.stderr[-3000:]
    report = json.loads(done.stdout)
    results = report["results"]
    assert not results.get("parsing_errors"), results["parsing_errors"]
    return {(c["check_id"], c["resource"], "passed") for c in results["passed_checks"]} | {
        (c["check_id"], c["resource"], "failed") for c in results["failed_checks"]
    }


def test_the_plan_creates_replaces_and_deletes(plan_json: Path) -> None:
    actions = {rc["address"]: rc["change"]["actions"] for rc in json.loads(plan_json.read_text())["resource_changes"]}
    assert actions["alicloud_security_group_rule.ssh"] == ["create"]
    assert actions["alicloud_security_group_rule.https"] in (["delete", "create"], ["create", "delete"])
    assert actions["alicloud_security_group_rule.rdp"] == ["delete"]


def test_checkov_gives_the_plan_the_verdict_it_gives_the_tf_files(tools: Path, plan_json: Path) -> None:
    on_files = _checkov(tools, "-d", str(FIXTURES / "v2"), "--framework", "terraform")
    on_plan = _checkov(tools, "-f", str(plan_json), "--framework", "terraform_plan")
    assert on_plan == on_files
    # and the verdict is the one the fixture was written to get
    assert {v for v in on_plan if v[2] == "failed"} == {
        ("CKV_ALI_2", "alicloud_security_group_rule.ssh", "failed"),  # SSH open to 0.0.0.0/0
        ("CKV_ALI_33", "alicloud_slb_tls_cipher_policy.legacy", "failed"),  # TLSv1.0 allowed
        ("CKV2_CLB_1", "alicloud_slb_listener.tcp", "failed"),  # connection check: no VServer group
    }
    assert ("CKV2_CLB_1", "alicloud_slb_listener.http", "passed") in on_plan
    assert ("CKV_ALI_33", "alicloud_slb_tls_cipher_policy.modern", "passed") in on_plan


def test_checkov_connection_check_reads_the_plan_references(tools: Path, plan_json: Path, tmp_path: Path) -> None:
    """The listener passes only through `configuration...expressions.server_group_id.references`."""
    plan = json.loads(plan_json.read_text())
    for resource in plan["configuration"]["root_module"]["resources"]:
        for expression in resource.get("expressions", {}).values():
            if isinstance(expression, dict) and "references" in expression:
                expression["references"] = []
    stripped = tmp_path / "stripped.json"
    stripped.write_text(json.dumps(plan))
    verdicts = _checkov(tools, "-f", str(stripped), "--framework", "terraform_plan", "--check", "CKV2_CLB_1")
    assert ("CKV2_CLB_1", "alicloud_slb_listener.http", "failed") in verdicts


def test_terraform_compliance_fails_the_scenarios_meant_to_fail(tools: Path, plan_json: Path) -> None:
    done = subprocess.run(
        [str(tools / "terraform-compliance"), "--no-ansi", "-p", str(plan_json), "-f", str(FIXTURES / "features")],
        capture_output=True, text=True, env=tool_env(), timeout=600,
    )
    out = done.stdout + done.stderr
    assert done.returncode == 1, out[-3000:]
    assert "3 scenarios (1 passed, 2 failed)" in out, out[-3000:]
    failures = [line.strip() for line in out.splitlines() if line.strip().startswith("Failure:") and "alicloud" in line]
    assert any("alicloud_security_group_rule.ssh" in f and "0.0.0.0/0" in f for f in failures), failures
    assert any("alicloud_slb_listener.tcp" in f and "server_group_id" in f for f in failures), failures
    # the HTTPS rule is open to the world too, but on 8443: the scenario's When steps leave it out
    assert not any("alicloud_security_group_rule.https" in f for f in failures), failures
