"""Saved plans: applied exactly as reviewed, refused when stale or for another state, no secrets inside."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.addresses import ResourceAddress
from planner.plan.model import Action, Plan, ResourceChange
from planner.plan.planfile import decode_plan, encode_plan, read_plan_file, write_plan_file
from planner.render.json_plan import decision_view
from planner.state.backend import LocalBackend
from planner.values import UNKNOWN
from tests.support.progress import executed as executed_ops
from tests.support.review import SCENARIOS, run, scenario_work


def _lb_id(work: Path) -> str:
    state = LocalBackend(work / "clbplan.tfstate").read()
    return state.resources[ResourceAddress.parse("alicloud_slb_load_balancer.web")].id


def test_saved_plan_applies_exactly_the_reviewed_operations(tmp_path):
    work = scenario_work(tmp_path, "listener_replaced_rules_recreated")
    plan_file = tmp_path / "reviewed.plan"
    r = run("plan", work, f"-out={plan_file}")
    assert r.exit_code == 0, r.output
    assert f"clbplan apply {plan_file}" in r.output
    reviewed = [(o["kind"], o["address"]) for o in json.loads(plan_file.read_text())["clbplan"]["operations"]]
    assert reviewed and any(k == "delete" for k, _ in reviewed) and any(k == "create" for k, _ in reviewed)

    r = run("apply", plan_file)  # no prompt: a saved plan was already reviewed
    assert r.exit_code == 0, r.output
    assert "Do you want to perform these actions?" not in r.output
    executed = executed_ops(r.output)
    assert sorted(executed) == sorted(reviewed)
    assert run("plan", work, "-detailed-exitcode").exit_code == 0


def test_saved_plan_applied_twice_is_stale(tmp_path):
    work = scenario_work(tmp_path, "weight_set_to_zero")
    plan_file = tmp_path / "p.plan"
    assert run("plan", work, "-out", plan_file).exit_code == 0
    assert run("apply", plan_file).exit_code == 0
    r = run("apply", plan_file)
    assert r.exit_code == 1
    assert "Saved plan is stale" in r.output and "serial" in r.output
    assert "Traceback" not in r.output


def test_cloud_changed_since_the_plan_is_stale_and_nothing_is_applied(tmp_path):
    work = scenario_work(tmp_path, "weight_set_to_zero")
    plan_file = tmp_path / "p.plan"
    assert run("plan", work, "-out", plan_file).exit_code == 0
    lb = _lb_id(work)
    r = run("emulator", "call", "SetLoadBalancerName", f"LoadBalancerId={lb}", "LoadBalancerName=renamed",
            "-state", work / ".clbplan" / "emulator.sqlite")
    assert r.exit_code == 0, r.output
    before = (work / "clbplan.tfstate").read_text()
    r = run("apply", plan_file)
    assert r.exit_code == 1
    assert "Saved plan is stale" in r.output and "cloud changed" in r.output
    assert (work / "clbplan.tfstate").read_text() == before


def test_plan_for_another_state_does_not_match(tmp_path):
    work = scenario_work(tmp_path, "weight_set_to_zero")
    plan_file = tmp_path / "p.plan"
    assert run("plan", work, "-out", plan_file).exit_code == 0
    other = tmp_path / "other"
    other.mkdir()
    (other / "main.tf").write_text((SCENARIOS / "weight_set_to_zero" / "before" / "main.tf").read_text())
    assert run("apply", other, "-auto-approve").exit_code == 0
    r = run("apply", plan_file, "-state", other / "clbplan.tfstate")
    assert r.exit_code == 1
    # refused before reading it: the plan names the state it was made for (issue 11)
    assert "Saved plan was made for another backend" in r.output and str(other / "clbplan.tfstate") in r.output


def test_changed_configuration_does_not_match(tmp_path):
    work = scenario_work(tmp_path, "weight_set_to_zero")
    plan_file = tmp_path / "p.plan"
    assert run("plan", work, "-out", plan_file).exit_code == 0
    with open(work / "main.tf", "a") as f:
        f.write("\n# an edit after review\n")
    r = run("apply", plan_file)
    assert r.exit_code == 1 and "does not match the configuration" in r.output


SECRET_TF = '''
variable "lb_name" {
  type      = string
  sensitive = true
}

provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_vpc" "main" {
  vpc_name   = "sec-vpc"
  cidr_block = "172.16.0.0/12"
}

resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "172.16.0.0/24"
  zone_id      = "cn-hangzhou-h"
  vswitch_name = "sec-vsw"
}

resource "alicloud_slb_load_balancer" "web" {
  load_balancer_name = var.lb_name
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s2.small"
}
'''


def test_secrets_are_not_stored_and_must_match_at_apply(tmp_path):
    (tmp_path / "main.tf").write_text(SECRET_TF)
    plan_file = tmp_path / "s.plan"
    secret = "hunter2-very-secret-name"
    r = run("plan", tmp_path, "-out", plan_file, env={"TF_VAR_lb_name": secret})
    assert r.exit_code == 0, r.output
    assert secret not in plan_file.read_text()
    assert secret not in run("show", plan_file, "-json").output
    assert oct(plan_file.stat().st_mode & 0o777) == "0o600"

    r = run("apply", plan_file, env={"TF_VAR_lb_name": "something-else"})
    assert r.exit_code == 1 and "does not match the variables" in r.output and "var.lb_name" in r.output
    r = run("apply", plan_file, env={"TF_VAR_lb_name": secret})
    assert r.exit_code == 0, r.output
    state = LocalBackend(tmp_path / "clbplan.tfstate").read()
    lb = state.resources[ResourceAddress.parse("alicloud_slb_load_balancer.web")]
    assert lb.attributes["load_balancer_name"] == secret  # re-evaluated, not a digest


def test_unknown_values_round_trip():
    addr = ResourceAddress.parse("alicloud_slb_listener.l")
    ch = ResourceChange(addr, Action.CREATE, None,
                        {"id": UNKNOWN, "frontend_port": 80, "rules": [UNKNOWN, {"a": UNKNOWN}]})
    plan = Plan(changes=[ch], operations=[], edges=[])
    back = decode_plan(json.loads(json.dumps(encode_plan(plan, "salt"))))
    after = back.changes[0].after
    assert after["id"] is UNKNOWN and after["rules"][0] is UNKNOWN and after["rules"][1]["a"] is UNKNOWN
    assert after["frontend_port"] == 80


def test_write_is_atomic(tmp_path):
    path = tmp_path / "p.plan"
    write_plan_file(path, {"ok": 1})
    with pytest.raises(TypeError):
        write_plan_file(path, {"bad": object()})
    assert json.loads(path.read_text()) == {"ok": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["p.plan"]  # no temp file left behind


def test_not_a_plan_file_is_a_clear_error(tmp_path):
    junk = tmp_path / "junk.plan"
    junk.write_text('{"format_version": "1.2"}')
    r = run("show", junk)
    assert r.exit_code == 1 and "is not a clbplan saved plan" in r.output
    with pytest.raises(Exception, match="not a clbplan saved plan"):
        read_plan_file(junk, decision_view)


def test_saved_destroy_and_refresh_only_plans(tmp_path):
    work = scenario_work(tmp_path, "weight_set_to_zero")
    from tests.scenarios.scenario_runner import HERE, use_config

    use_config(work, HERE / "weight_set_to_zero" / "before")
    lb = _lb_id(work)
    r = run("emulator", "call", "SetLoadBalancerName", f"LoadBalancerId={lb}", "LoadBalancerName=by-hand",
            "-state", work / ".clbplan" / "emulator.sqlite")
    assert r.exit_code == 0, r.output
    refresh_plan = tmp_path / "refresh.plan"
    r = run("plan", work, "-refresh-only", "-out", refresh_plan, "-detailed-exitcode")
    assert r.exit_code == 2 and "by-hand" in r.output
    assert "This is a refresh-only plan" in run("show", refresh_plan).output
    r = run("apply", refresh_plan)
    assert r.exit_code == 0, r.output
    state = LocalBackend(work / "clbplan.tfstate").read()
    assert state.resources[ResourceAddress.parse("alicloud_slb_load_balancer.web")] \
        .attributes["load_balancer_name"] == "by-hand"  # accepted into the state, cloud untouched

    destroy_plan = tmp_path / "destroy.plan"
    assert run("plan", work, "-destroy", "-out", destroy_plan).exit_code == 0
    md = run("show", destroy_plan, "-markdown").output
    assert "9 to destroy" in md and "**destroy**" in md
    r = run("apply", destroy_plan)
    assert r.exit_code == 0, r.output
    assert "Destroy complete!" in r.output
    assert not LocalBackend(work / "clbplan.tfstate").read().resources


def test_secret_from_a_variable_stays_out_of_later_plan_files(tmp_path):
    (tmp_path / "main.tf").write_text(SECRET_TF)
    secret = "another-secret-lb-name"
    env = {"TF_VAR_lb_name": secret}
    assert run("apply", tmp_path, "-auto-approve", env=env).exit_code == 0
    # now the secret is in the prior state and, after a change by hand, in the drift as well
    lb = _lb_id(tmp_path)
    r = run("emulator", "call", "SetLoadBalancerName", f"LoadBalancerId={lb}", "LoadBalancerName=by-hand-name",
            "-state", tmp_path / ".clbplan" / "emulator.sqlite")
    assert r.exit_code == 0, r.output
    plan_file = tmp_path / "later.plan"
    r = run("plan", tmp_path, "-out", plan_file, env=env)
    assert r.exit_code == 0, r.output
    text = plan_file.read_text()
    assert secret not in text
    assert secret not in run("show", plan_file).output
    assert run("apply", plan_file, env=env).exit_code == 0

    refresh_plan = tmp_path / "refresh.plan"
    r = run("emulator", "call", "SetLoadBalancerName", f"LoadBalancerId={lb}", "LoadBalancerName=" + secret + "-2",
            "-state", tmp_path / ".clbplan" / "emulator.sqlite")
    r = run("plan", tmp_path, "-refresh-only", "-out", refresh_plan, env=env)
    assert r.exit_code == 0 and secret not in r.output and "(sensitive value)" in r.output
    assert secret not in refresh_plan.read_text()


def test_show_of_a_state_file_shows_the_state(tmp_path):
    work = scenario_work(tmp_path, "weight_set_to_zero")
    r = run("show", work / "clbplan.tfstate")
    assert r.exit_code == 0 and "# alicloud_slb_load_balancer.web:" in r.output
    assert json.loads(run("show", work / "clbplan.tfstate", "-json").output)["resources"]
