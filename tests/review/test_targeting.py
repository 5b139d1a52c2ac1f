"""-target (with dependencies), -exclude (with dependents), -replace (forced), and the partial-plan warning."""

from __future__ import annotations

from tests.support.review import plan_doc, run, scenario_work


def _ops(doc: dict) -> list[str]:
    return [f"{o['kind']} {o['address']}" for o in doc["clbplan"]["operations"]]


def test_target_brings_its_dependencies_and_warns(tmp_path):
    work = scenario_work(tmp_path, "create_full_stack")
    doc = plan_doc(work, "-target=alicloud_slb_listener.http")
    assert doc["complete"] is False and doc["clbplan"]["partial"] is True
    assert _ops(doc) == ["create alicloud_slb_load_balancer.web", "create alicloud_slb_server_group.app",
                              "create alicloud_slb_listener.http"]

    r = run("plan", work, "-target=alicloud_slb_listener.http")
    assert "Warning: Resource targeting is in effect" in r.output
    assert "Plan: 3 to add, 0 to change, 0 to destroy." in r.output

    r = run("apply", work, "-target=alicloud_slb_listener.http", "-auto-approve")
    assert r.exit_code == 0, r.output
    assert "Apply complete! Resources: 3 added" in r.output
    # what was left out is still pending
    assert sorted(_ops(plan_doc(work))) == ["create alicloud_slb_rule.api", "create alicloud_slb_server_group.api"]


def test_target_follows_cloud_rule_edges_without_references(tmp_path):
    work = scenario_work(tmp_path, "rule_needs_listener_without_reference")
    doc = plan_doc(work, "-target=alicloud_slb_rule.api")
    # the rule has no reference to the listener, but the cloud needs the listener first
    assert "create alicloud_slb_listener.http" in _ops(doc)
    assert _ops(doc)[-1] == "create alicloud_slb_rule.api"


def test_exclude_removes_dependents(tmp_path):
    work = scenario_work(tmp_path, "create_full_stack")
    doc = plan_doc(work, "-exclude=alicloud_slb_server_group.app")
    ops = _ops(doc)
    # the listener uses the excluded group and the rule needs the listener: both are left out
    assert ops == ["create alicloud_slb_load_balancer.web", "create alicloud_slb_server_group.api"]
    assert doc["complete"] is False


def test_replace_forces_a_replacement_and_updates_what_references_it(tmp_path):
    work = scenario_work(tmp_path, "weight_set_to_zero")
    from tests.scenarios.scenario_runner import HERE, use_config

    use_config(work, HERE / "weight_set_to_zero" / "before")
    assert run("plan", work, "-detailed-exitcode").exit_code == 0
    doc = plan_doc(work, "-replace=alicloud_slb_server_group.app")
    by_addr = {c["address"]: c for c in doc["resource_changes"]}
    group = by_addr["alicloud_slb_server_group.app"]
    assert group["action_reason"] == "replace_by_request"
    assert group["change"]["actions"] in (["delete", "create"], ["create", "delete"])
    listener = by_addr["alicloud_slb_listener.http"]
    assert listener["change"]["actions"] == ["update"]
    assert listener["change"]["after_unknown"].get("server_group_id") is True
    assert doc["complete"] is True

    r = run("apply", work, "-replace=alicloud_slb_server_group.app", "-auto-approve")
    assert r.exit_code == 0, r.output
    assert run("plan", work, "-detailed-exitcode").exit_code == 0

    r = run("plan", work, "-replace=alicloud_slb_server_group.nope")
    assert r.exit_code == 1 and "no such resource instance" in r.output
