"""random and null: values made once and kept; keepers/triggers replace exactly as the real providers'
RequiresReplaceIfValuesNotNull does (terraform-provider-random mapplanmodifiers)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from planner.schema.utility import keepers_replace
from planner.values import is_unknown
from tests.utility.helpers import actions, apply, plan, write


@pytest.mark.parametrize(("before", "after", "replace"), [
    (None, None, False),
    ({"a": "1"}, {"a": "1"}, False),
    ({"a": "1"}, {"a": "2"}, True),            # a changed value
    ({"a": "1"}, {"a": "1", "b": "2"}, True),  # a key added with a value
    ({"a": "1"}, {"a": "1", "b": None}, False),  # a key added with null
    ({"a": "1", "b": "2"}, {"a": "1"}, True),  # a key removed
    (None, {"a": None}, False),                # null -> a map of nulls
    (None, {}, False),
    (None, {"a": "1"}, True),
    ({"a": "1"}, None, True),                  # every key removed
    ({}, None, False),
])
def test_keepers_replace_like_the_random_provider(before, after, replace):
    assert keepers_replace(before, after) is replace


def _random(keepers: str) -> str:
    return f'''
resource "random_id" "suffix" {{
  byte_length = 4
  prefix      = "web-"
  keepers     = {keepers}
}}
resource "random_integer" "port" {{
  min     = 8000
  max     = 8999
  seed    = "listener"
  keepers = {keepers}
}}
resource "null_resource" "deploy" {{
  triggers = {keepers}
}}
output "port" {{ value = random_integer.port.result }}
'''


def test_keepers_and_triggers_change_replaces_and_a_null_key_does_not(tmp_path):
    write(tmp_path, _random('{ release = "1" }'))
    planned = plan(tmp_path)
    rid = next(c for c in planned.plan.changes if c.address.type == "random_id")
    assert is_unknown(rid.after["hex"]) and is_unknown(rid.after["id"])
    _, state, result = apply(tmp_path, planned)
    assert result.api_calls == 0
    ids = {str(a): rs.id for a, rs in state.resources.items()}
    hexv = next(rs for a, rs in state.resources.items() if a.type == "random_id").attributes["hex"]
    assert hexv.startswith("web-") and len(hexv) == 4 + 8
    assert actions(plan(tmp_path)) == {}

    write(tmp_path, _random('{ release = "1", extra = null }'))
    assert actions(plan(tmp_path)) == {a: ["update"] for a in ids}  # no replacement

    write(tmp_path, _random('{ release = "2" }'))
    planned = plan(tmp_path)
    assert actions(planned) == {a: ["delete", "create"] for a in ids}
    assert all(c.replace_paths in ([["keepers"]], [["triggers"]]) for c in planned.plan.changes)
    _, state, _ = apply(tmp_path, planned)
    new = {str(a): rs.id for a, rs in state.resources.items()}
    assert new["random_id.suffix"] != ids["random_id.suffix"]
    # seeded: the same seed gives the same number again
    assert new["random_integer.port"] == ids["random_integer.port"]


def test_every_random_argument_forces_replacement(tmp_path):
    write(tmp_path, 'resource "random_string" "s" {\n  length = 8\n}\n')
    apply(tmp_path)
    write(tmp_path, 'resource "random_string" "s" {\n  length = 9\n}\n')
    planned = plan(tmp_path)
    assert actions(planned) == {"random_string.s": ["delete", "create"]}
    assert planned.plan.changes[0].replace_paths == [["length"]]


def test_random_string_and_password_honour_their_character_rules(tmp_path):
    write(tmp_path, '''
resource "random_string" "s" {
  length      = 40
  special     = false
  upper       = false
  min_numeric = 5
}
resource "random_password" "p" {
  length           = 30
  override_special = "_%"
  min_special      = 3
}
resource "random_shuffle" "z" {
  input        = ["a", "b", "c", "d"]
  result_count = 6
  seed         = "x"
}
resource "random_pet" "pet" {
  length    = 3
  separator = "."
}
resource "random_uuid" "u" {}
''')
    _, state, _ = apply(tmp_path)
    by = {a.type: rs for a, rs in state.resources.items()}
    s = by["random_string"].attributes["result"]
    assert len(s) == 40 and s == by["random_string"].id
    assert all(c.islower() or c.isdigit() for c in s) and sum(c.isdigit() for c in s) >= 5
    p = by["random_password"].attributes
    assert by["random_password"].id == "none" and len(p["result"]) == 30
    assert sum(c in "_%" for c in p["result"]) >= 3 and not set(p["result"]) - set(
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_%")
    import bcrypt
    assert bcrypt.checkpw(p["result"].encode(), p["bcrypt_hash"].encode())
    z = by["random_shuffle"].attributes["result"]
    assert len(z) == 6 and set(z[:4]) == {"a", "b", "c", "d"}
    assert len(by["random_pet"].id.split(".")) == 3
    assert by["random_uuid"].id == by["random_uuid"].attributes["result"]


def test_random_password_result_is_sensitive_everywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    write(tmp_path, 'resource "random_password" "p" {\n  length = 24\n}\n'
                    'output "pw" {\n  value     = random_password.p.result\n  sensitive = true\n}\n')
    r = CliRunner().invoke(cli, ["apply", "-auto-approve"])
    assert r.exit_code == 0, r.output
    secret = json.loads((tmp_path / "clbplan.tfstate").read_text())
    secret = next(x for x in secret["resources"] if x["type"] == "random_password")["instances"][0]["attributes"]["result"]
    assert secret not in r.output
    r = CliRunner().invoke(cli, ["state", "show", "random_password.p"])
    assert r.exit_code == 0 and secret not in r.output and "(sensitive value)" in r.output
    r = CliRunner().invoke(cli, ["plan", "-out", "p.plan"])
    r = CliRunner().invoke(cli, ["show", "-json", "p.plan"])
    assert secret not in r.output


def test_an_impossible_random_integer_is_refused_at_plan_time(tmp_path):
    write(tmp_path, 'resource "random_integer" "n" {\n  min = 10\n  max = 1\n}\n')
    r = CliRunner().invoke(cli, ["plan", str(tmp_path)])
    assert r.exit_code == 1
    assert "min (10) must be smaller than or equal to max (1)" in r.output
    assert "Traceback" not in r.output
