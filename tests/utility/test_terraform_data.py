"""terraform_data: the built-in resource with no cloud behind it, planned and applied as Terraform does
(reference terraform-interop.md 10.1), with no API call."""

from __future__ import annotations

import json

from click.testing import CliRunner

from planner.cli.main import cli
from planner.state.backend import LocalBackend
from planner.values import is_unknown
from tests.utility.helpers import actions, apply, plan, write

CONFIG = '''
resource "terraform_data" "a" {
  input            = %s
  triggers_replace = %s
}
output "out" { value = terraform_data.a.output }
'''


def test_apply_replans_empty_with_output_equal_to_input_and_no_api_call(tmp_path):
    write(tmp_path, CONFIG % ('{ name = "web", ports = [80, 443] }', '"v1"'))
    planned = plan(tmp_path)
    ch = planned.plan.changes[0]
    assert actions(planned) == {"terraform_data.a": ["create"]}
    assert is_unknown(ch.after["output"]) and is_unknown(ch.after["id"])
    _, state, result = apply(tmp_path, planned)
    assert result.api_calls == 0
    rs = state.resources[ch.address]
    assert rs.provider == "terraform"
    assert rs.attributes["output"] == {"name": "web", "ports": [80, 443]}
    assert state.outputs["out"]["value"] == {"name": "web", "ports": [80, 443]}
    again = plan(tmp_path)
    assert actions(again) == {}
    assert again.provider.calls == 0


def test_input_change_is_an_update_that_keeps_the_id(tmp_path):
    write(tmp_path, CONFIG % ('"a"', '"v1"'))
    _, state, _ = apply(tmp_path)
    old_id = next(iter(state.resources.values())).id
    write(tmp_path, CONFIG % ('"b"', '"v1"'))
    planned = plan(tmp_path)
    assert actions(planned) == {"terraform_data.a": ["update"]}
    assert is_unknown(planned.plan.changes[0].after["output"])
    _, state, _ = apply(tmp_path, planned)
    rs = next(iter(state.resources.values()))
    assert rs.id == old_id and rs.attributes["output"] == "b"


def test_triggers_replace_change_replaces_even_a_type_change(tmp_path):
    write(tmp_path, CONFIG % ('"a"', '"1"'))
    apply(tmp_path)
    write(tmp_path, CONFIG % ('"a"', "1"))
    planned = plan(tmp_path)
    ch = planned.plan.changes[0]
    assert actions(planned) == {"terraform_data.a": ["delete", "create"]}
    assert ch.replace_paths == [["triggers_replace"]]
    assert ch.action_reason == "replace_because_cannot_update"


def test_refresh_keeps_state_values_and_destroy_forgets(tmp_path):
    write(tmp_path, CONFIG % ('"a"', "null"))
    _, state, _ = apply(tmp_path)
    rs = next(iter(state.resources.values()))
    refreshed = plan(tmp_path).refreshed.resources[rs.address]
    def strip(a):
        return {k: v for k, v in a.items() if k != "id"}
    assert strip(refreshed.attributes) == strip(rs.attributes) and refreshed.id == rs.id
    planned = plan(tmp_path, destroy=True)
    assert actions(planned) == {"terraform_data.a": ["delete"]}
    _, state, _ = apply(tmp_path, planned)
    assert state.resources == {}


def test_saved_plan_json_state_show_and_apply_through_the_cli(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, CONFIG % ('"hello"', '["x"]'))
    r = CliRunner().invoke(cli, ["plan", "-out", "p.plan"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["show", "-json", "p.plan"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.output)
    rc = doc["resource_changes"][0]
    assert rc["provider_name"] == "terraform.io/builtin/terraform"
    assert rc["change"]["actions"] == ["create"]
    assert rc["change"]["after_unknown"]["output"] is True
    r = CliRunner().invoke(cli, ["apply", "p.plan"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["state", "show", "terraform_data.a"])
    assert r.exit_code == 0, r.output
    assert 'output           = "hello"' in r.output
    state = LocalBackend(tmp_path / "clbplan.tfstate").read()
    assert next(iter(state.resources.values())).attributes["input"] == "hello"
    r = CliRunner().invoke(cli, ["plan", "-detailed-exitcode"])
    assert r.exit_code == 0, r.output


def test_a_utility_provider_block_is_accepted(tmp_path):
    write(tmp_path, 'provider "random" {}\nprovider "null" {}\n' + CONFIG % ('"a"', "null"))
    assert actions(plan(tmp_path)) == {"terraform_data.a": ["create"]}
