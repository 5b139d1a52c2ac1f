"""Drift made outside clbplan, and the exit codes a nightly CI job relies on."""

from __future__ import annotations

import json

from planner.addresses import ResourceAddress
from planner.state.backend import LocalBackend
from tests.support.review import plan_doc, run, scenario_work


def _drift_weight(work, weight: int) -> None:
    """Change one default-group server's weight behind clbplan's back, as an operator would."""
    state = LocalBackend(work / "clbplan.tfstate").read()
    rs = state.resources[ResourceAddress.parse("alicloud_slb_backend_server.default")]
    server = rs.attributes["backend_servers"][0]["server_id"]
    servers = json.dumps([{"ServerId": server, "Weight": str(weight)}])
    r = run("emulator", "call", "SetBackendServers", f"LoadBalancerId={rs.attributes['load_balancer_id']}",
            f"BackendServers={servers}", "-state", work / ".clbplan" / "emulator.sqlite")
    assert r.exit_code == 0, r.output


def test_weight_changed_outside_is_reported_and_accepted_by_refresh_only(tmp_path):
    work = scenario_work(tmp_path, "default_group_weights", apply_before=True)
    # back to the applied configuration, so the only difference is what happens outside clbplan
    from tests.scenarios.scenario_runner import HERE, use_config

    use_config(work, HERE / "default_group_weights" / "before")
    assert run("plan", work, "-detailed-exitcode").exit_code == 0

    _drift_weight(work, 50)
    r = run("plan", work, "-detailed-exitcode")
    assert r.exit_code == 2, r.output
    assert "Objects have changed outside of clbplan" in r.output
    assert "alicloud_slb_backend_server.default has changed" in r.output
    assert "weight = 100 }" in r.output and "weight = 50 }" in r.output  # the attribute, old and new
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in r.output

    r = run("plan", work, "-refresh-only", "-detailed-exitcode")
    assert r.exit_code == 2, r.output
    assert "This is a refresh-only plan" in r.output

    doc = plan_doc(work, "-refresh-only")
    assert {tuple(c["change"]["actions"]) for c in doc["resource_changes"]} == {("no-op",)}
    assert len(doc["resource_drift"]) == 1 and doc["applyable"] is True
    assert {"resource": "alicloud_slb_backend_server.default", "attribute": ["backend_servers"]} \
        in doc["relevant_attributes"]

    r = run("apply", work, "-refresh-only", "-auto-approve")
    assert r.exit_code == 0, r.output
    state = LocalBackend(work / "clbplan.tfstate").read()
    weights = sorted(s["weight"] for s in
                     state.resources[ResourceAddress.parse("alicloud_slb_backend_server.default")]
                     .attributes["backend_servers"])
    assert weights == [50, 100]  # the cloud's value is now recorded, nothing was changed in the cloud
    assert run("plan", work, "-refresh-only", "-detailed-exitcode").exit_code == 0
    # the configuration still says 100: a normal plan now is a pending change, not drift
    r = run("plan", work, "-detailed-exitcode")
    assert r.exit_code == 2 and "Objects have changed outside" not in r.output


def test_drift_the_plan_does_not_touch_is_only_shown_by_refresh_only(tmp_path):
    work = scenario_work(tmp_path, "weight_set_to_zero")
    from tests.scenarios.scenario_runner import HERE, use_config

    use_config(work, HERE / "weight_set_to_zero" / "before")
    state = LocalBackend(work / "clbplan.tfstate").read()
    lb = state.resources[ResourceAddress.parse("alicloud_slb_load_balancer.web")].id
    # modification protection is not set in the configuration: the plan keeps the cloud's value
    r = run("emulator", "call", "SetLoadBalancerModificationProtection", f"LoadBalancerId={lb}",
            "ModificationProtectionStatus=ConsoleProtection", "ModificationProtectionReason=edited-by-hand",
            "-state", work / ".clbplan" / "emulator.sqlite")
    assert r.exit_code == 0, r.output
    r = run("plan", work, "-detailed-exitcode")
    assert r.exit_code == 2, r.output  # the reason is not Computed: the configuration clears it
    drift_section = r.output.split("─" * 20)[0]
    assert "modification_protection_reason" in drift_section
    # the status is Optional+Computed and unset in the configuration: the plan keeps the cloud's value,
    # so that drift does not matter to this plan and is not shown with it
    assert "modification_protection_status" not in r.output
    r = run("plan", work, "-refresh-only", "-detailed-exitcode")
    assert r.exit_code == 2
    assert "modification_protection_status" in r.output and '"ConsoleProtection"' in r.output


def test_detailed_exitcode_is_1_never_2_for_an_error(tmp_path):
    work = scenario_work(tmp_path, "weight_set_to_zero", apply_before=False)  # 9 creates pending
    assert run("plan", work, "-detailed-exitcode").exit_code == 2
    (work / "broken.tf").write_text('resource "alicloud_slb_listener" "x" {\n  frontend_port = \n}\n')
    r = run("plan", work, "-detailed-exitcode")
    assert r.exit_code == 1 and "broken.tf:" in r.output and "Traceback" not in r.output
    (work / "broken.tf").unlink()
    r = run("plan", work, "-detailed-exitcode", "-target=not an address")
    assert r.exit_code == 1 and "Invalid -target address" in r.output
    r = run("plan", work, "-detailed-exitcode", "-refresh-only", "-replace=alicloud_vpc.main")
    assert r.exit_code == 1 and "Incompatible plan options" in r.output
