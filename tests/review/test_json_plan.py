"""``show -json FILE`` / ``plan -json``: Terraform's JSON plan representation, checked by schema and goldens."""

from __future__ import annotations

import json
from pathlib import Path

import jsonschema
import pytest

from planner.addresses import ResourceAddress
from planner.state.backend import LocalBackend
from tests.scenarios.scenario_runner import SCENARIOS
from tests.support.review import check_golden, normalise_json, run, scenario_work

SCHEMA = json.loads((Path(__file__).parent / "plan.schema.json").read_text())
VALIDATOR = jsonschema.Draft202012Validator(SCHEMA)


def _show_json(work: Path, tmp_path: Path, *extra) -> dict:
    plan_file = tmp_path / "saved.plan"
    r = run("plan", work, "-out", plan_file, *extra)
    assert r.exit_code == 0, r.output
    r = run("show", plan_file, "-json")
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def _errors(doc: dict) -> list[str]:
    return [f"{'/'.join(map(str, e.absolute_path))}: {e.message}" for e in VALIDATOR.iter_errors(doc)]


def test_schema_is_valid_and_rejects_a_broken_document():
    jsonschema.Draft202012Validator.check_schema(SCHEMA)
    assert _errors({"format_version": "1.2"})  # a document missing everything must fail


@pytest.mark.parametrize("name", SCENARIOS)
def test_every_scenario_show_json_matches_the_schema(name, tmp_path):
    work = scenario_work(tmp_path, name)
    doc = _show_json(work, tmp_path)
    assert _errors(doc) == []
    # the plan JSON agrees with the human plan's counts and with itself
    summary = doc["clbplan"]["summary"]
    replaced = sum(1 for c in doc["resource_changes"] if len(c["change"]["actions"]) == 2)
    assert summary["replace"] == replaced
    assert doc["applyable"] == summary["has_changes"]
    ops = {o["id"] for o in doc["clbplan"]["operations"]}
    assert all(e["before"] in ops and e["after"] in ops for e in doc["clbplan"]["edges"])
    assert run("plan", work, "-json").exit_code == 0  # plan -json streams the machine-readable UI


def test_replace_case_exact_fields(tmp_path):
    work = scenario_work(tmp_path, "listener_port_change")
    doc = _show_json(work, tmp_path)
    listener = next(c for c in doc["resource_changes"] if c["address"] == "alicloud_slb_listener.tcp")
    assert listener["change"]["actions"] == ["delete", "create"]
    assert listener["change"]["replace_paths"] == [["frontend_port"]]
    assert listener["action_reason"] == "replace_because_cannot_update"
    assert listener["change"]["after_unknown"]["id"] is True
    picked = {"resource_change": listener,
              "operations": doc["clbplan"]["operations"],
              "summary": doc["clbplan"]["summary"],
              "api_call_estimate": doc["clbplan"]["api_call_estimate"],
              "applyable": doc["applyable"], "complete": doc["complete"], "errored": doc["errored"],
              "format_version": doc["format_version"]}
    check_golden("replace_listener_port_change.json", normalise_json(picked) + "\n")


def test_drift_case_exact_fields(tmp_path):
    work = scenario_work(tmp_path, "default_group_weights")
    from tests.scenarios.scenario_runner import HERE, use_config

    use_config(work, HERE / "default_group_weights" / "before")
    state = LocalBackend(work / "clbplan.tfstate").read()
    rs = state.resources[ResourceAddress.parse("alicloud_slb_backend_server.default")]
    first = rs.attributes["backend_servers"][0]["server_id"]
    r = run("emulator", "call", "SetBackendServers", f"LoadBalancerId={rs.id}",
            "BackendServers=" + json.dumps([{"ServerId": first, "Weight": "30"}]),
            "-state", work / ".clbplan" / "emulator.sqlite")
    assert r.exit_code == 0, r.output
    doc = _show_json(work, tmp_path)
    assert _errors(doc) == []
    assert [d["address"] for d in doc["resource_drift"]] == ["alicloud_slb_backend_server.default"]
    assert doc["relevant_attributes"] == [{"resource": "alicloud_slb_backend_server.default",
                                           "attribute": ["backend_servers"]}]
    picked = {"resource_drift": doc["resource_drift"], "relevant_attributes": doc["relevant_attributes"],
              "resource_change": next(c for c in doc["resource_changes"]
                                      if c["address"] == "alicloud_slb_backend_server.default")}
    # the cloud lists servers in its own order: name them by role, then compare as sets
    second = rs.attributes["backend_servers"][1]["server_id"]
    text = json.dumps(picked).replace(first, "i-DRIFTED").replace(second, "i-OTHER")
    check_golden("drift_default_group_weights.json", normalise_json(_sorted_items(json.loads(text))) + "\n")


def _sorted_items(value):
    """Lists of objects in a canonical order (set-like blocks such as backend_servers)."""
    if isinstance(value, dict):
        return {k: _sorted_items(v) for k, v in value.items()}
    if isinstance(value, list):
        items = [_sorted_items(v) for v in value]
        if items and all(isinstance(v, dict) for v in items):
            return sorted(items, key=lambda v: json.dumps(v, sort_keys=True))
        return items
    return value


def test_sensitive_values_are_masked_and_flagged(tmp_path):
    from test_planfile import SECRET_TF

    (tmp_path / "main.tf").write_text(SECRET_TF)
    r = run("plan", tmp_path, "-json", "-out", tmp_path / "p.plan", env={"TF_VAR_lb_name": "s3cr3t-name"})
    assert r.exit_code == 0, r.output
    assert "s3cr3t-name" not in r.output  # the machine-readable UI stream
    r = run("show", tmp_path / "p.plan", "-json", env={"TF_VAR_lb_name": "s3cr3t-name"})
    assert r.exit_code == 0, r.output
    assert "s3cr3t-name" not in r.output  # the representation
    doc = json.loads(r.output)
    assert _errors(doc) == []
    lb = next(c for c in doc["resource_changes"] if c["address"] == "alicloud_slb_load_balancer.web")
    assert lb["change"]["after"]["load_balancer_name"] == "(sensitive value)"
    # the deprecated alias "name" carries the same value once known, so it is sensitive too
    assert lb["change"]["after_sensitive"] == {"load_balancer_name": True, "name": True}
    assert doc["variables"]["lb_name"] == {"value": "(sensitive value)"}


@pytest.mark.parametrize("flags", [("-refresh-only",), ("-target=alicloud_slb_listener.http",),
                                   ("-exclude=alicloud_slb_server_group.app",), ("-destroy",),
                                   ("-replace=alicloud_slb_load_balancer.web",)])
def test_flag_variants_match_the_schema(flags, tmp_path):
    work = scenario_work(tmp_path, "create_full_stack")
    run("apply", work, "-auto-approve")
    doc = _show_json(work, tmp_path, *flags)
    assert _errors(doc) == []
    assert doc["complete"] is not any(f.startswith(("-target", "-exclude")) for f in flags)
