"""``moved`` and ``removed`` blocks, through the real CLI on terraform_data configurations.

A move is planned at the new address only (a no-op or an update, never delete + create), the
object keeps its id, and the state holds it at the new address after apply. ``removed`` with
``destroy = false`` forgets the object. Bad moves are located errors that write nothing.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.state.backend import LocalBackend
from tests.support.modules import run

CHILD = 'variable "v" {\n  type = string\n}\n\nresource "terraform_data" "inner" {\n  input = var.v\n}\n'


def write(root: Path, files: dict[str, str]) -> None:
    for old in root.glob("*.tf"):
        old.unlink()
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def state_ids(root: Path) -> dict[str, str]:
    state = LocalBackend(root / "clbplan.tfstate").read()
    return {str(a): rs.id for a, rs in state.resources.items()}


def apply(root: Path, monkeypatch) -> None:
    r = run(["apply", "-auto-approve", "-no-color"], root, monkeypatch)
    assert r.exit_code == 0, r.output


def plan_json(root: Path, monkeypatch) -> dict:
    r = run(["plan", "-out=.moves.plan"], root, monkeypatch)
    assert r.exit_code == 0, r.output
    r = run(["show", "-json", ".moves.plan"], root, monkeypatch)
    (root / ".moves.plan").unlink()
    assert r.exit_code == 0, r.output
    return json.loads(r.output)


def actions(doc: dict) -> dict[str, tuple]:
    return {c["address"]: (tuple(c["change"]["actions"]), c.get("previous_address"))
            for c in doc["resource_changes"]}


def converged(root: Path, monkeypatch) -> None:
    r = run(["plan", "-detailed-exitcode", "-no-color"], root, monkeypatch)
    assert r.exit_code == 0, r.output


def test_rename_with_update_is_one_update_and_keeps_the_object(tmp_path, monkeypatch) -> None:
    write(tmp_path, {"main.tf": 'resource "terraform_data" "a" {\n  input = "x"\n}\n'})
    apply(tmp_path, monkeypatch)
    old_id = state_ids(tmp_path)["terraform_data.a"]
    write(tmp_path, {"main.tf": 'resource "terraform_data" "b" {\n  input = "x2"\n}\n\n'
                                'moved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n'})
    r = run(["plan", "-no-color"], tmp_path, monkeypatch)
    assert r.exit_code == 0, r.output
    assert "# terraform_data.b will be updated in-place\n  # (moved from terraform_data.a)" in r.output
    assert "destroy" not in r.output.split("Plan:")[0]
    assert "Plan: 0 to add, 1 to change, 0 to destroy." in r.output
    assert actions(plan_json(tmp_path, monkeypatch)) == {"terraform_data.b": (("update",), "terraform_data.a")}
    apply(tmp_path, monkeypatch)
    assert state_ids(tmp_path) == {"terraform_data.b": old_id}
    converged(tmp_path, monkeypatch)


def test_move_into_a_module_is_a_no_op_move(tmp_path, monkeypatch) -> None:
    write(tmp_path, {"main.tf": 'resource "terraform_data" "c" {\n  input = "z"\n}\n', "m/main.tf": CHILD})
    apply(tmp_path, monkeypatch)
    old_id = state_ids(tmp_path)["terraform_data.c"]
    write(tmp_path, {"main.tf": 'module "m" {\n  source = "./m"\n  v      = "z"\n}\n\n'
                                'moved {\n  from = terraform_data.c\n  to   = module.m.terraform_data.inner\n}\n'})
    r = run(["plan", "-no-color", "-detailed-exitcode"], tmp_path, monkeypatch)
    assert r.exit_code == 2, r.output  # a move is a change to apply, as in Terraform
    assert "# terraform_data.c has moved to module.m.terraform_data.inner" in r.output
    assert "Plan: 0 to add, 0 to change, 0 to destroy." in r.output
    doc = plan_json(tmp_path, monkeypatch)
    (ch,) = doc["resource_changes"]
    assert (ch["address"], ch["previous_address"], ch["module_address"], ch["change"]["actions"]) == \
        ("module.m.terraform_data.inner", "terraform_data.c", "module.m", ["no-op"])
    assert doc["applyable"] is True
    apply(tmp_path, monkeypatch)
    assert state_ids(tmp_path) == {"module.m.terraform_data.inner": old_id}
    converged(tmp_path, monkeypatch)
    # and out of the module again
    write(tmp_path, {"main.tf": 'resource "terraform_data" "c" {\n  input = "z"\n}\n\n'
                                'moved {\n  from = module.m.terraform_data.inner\n  to   = terraform_data.c\n}\n'})
    assert actions(plan_json(tmp_path, monkeypatch)) == {
        "terraform_data.c": (("no-op",), "module.m.terraform_data.inner")}
    apply(tmp_path, monkeypatch)
    assert state_ids(tmp_path) == {"terraform_data.c": old_id}


def test_count_index_to_for_each_key(tmp_path, monkeypatch) -> None:
    write(tmp_path, {"main.tf": 'resource "terraform_data" "d" {\n  count = 2\n  input = "d${count.index}"\n}\n'})
    apply(tmp_path, monkeypatch)
    ids = state_ids(tmp_path)
    write(tmp_path, {"main.tf": 'resource "terraform_data" "d" {\n  for_each = toset(["a", "b"])\n'
                                '  input    = "d${each.key == "a" ? 0 : 1}"\n}\n\n'
                                'moved {\n  from = terraform_data.d[0]\n  to   = terraform_data.d["a"]\n}\n'
                                'moved {\n  from = terraform_data.d[1]\n  to   = terraform_data.d["b"]\n}\n'})
    assert actions(plan_json(tmp_path, monkeypatch)) == {
        'terraform_data.d["a"]': (("no-op",), "terraform_data.d[0]"),
        'terraform_data.d["b"]': (("no-op",), "terraform_data.d[1]")}
    apply(tmp_path, monkeypatch)
    assert state_ids(tmp_path) == {'terraform_data.d["a"]': ids["terraform_data.d[0]"],
                                   'terraform_data.d["b"]': ids["terraform_data.d[1]"]}
    converged(tmp_path, monkeypatch)


def test_module_rename_moves_every_instance_and_nested_resource(tmp_path, monkeypatch) -> None:
    sub = 'resource "terraform_data" "s" {\n  input = "s"\n}\n'
    child = CHILD + '\nmodule "sub" {\n  source = "./sub"\n}\n'
    write(tmp_path, {"main.tf": 'module "old" {\n  source = "./m"\n  count  = 2\n  v      = "i${count.index}"\n}\n',
                     "m/main.tf": child, "m/sub/main.tf": sub})
    apply(tmp_path, monkeypatch)
    ids = state_ids(tmp_path)
    assert len(ids) == 4
    write(tmp_path, {"main.tf": 'module "new" {\n  source = "./m"\n  count  = 2\n  v      = "i${count.index}"\n}\n\n'
                                'moved {\n  from = module.old\n  to   = module.new\n}\n'})
    got = actions(plan_json(tmp_path, monkeypatch))
    assert got == {a.replace("module.old", "module.new"): (("no-op",), a) for a in ids}
    apply(tmp_path, monkeypatch)
    assert state_ids(tmp_path) == {a.replace("module.old", "module.new"): i for a, i in ids.items()}
    converged(tmp_path, monkeypatch)


def test_chained_moves_and_implied_count_move(tmp_path, monkeypatch) -> None:
    write(tmp_path, {"main.tf": 'resource "terraform_data" "a" {\n  input = 1\n}\n'
                                'resource "terraform_data" "k" {\n  input = 2\n}\n'})
    apply(tmp_path, monkeypatch)
    ids = state_ids(tmp_path)
    write(tmp_path, {"main.tf": 'resource "terraform_data" "c" {\n  input = 1\n}\n'
                                'moved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n'
                                'moved {\n  from = terraform_data.b\n  to   = terraform_data.c\n}\n'
                                'resource "terraform_data" "k" {\n  count = 1\n  input = 2\n}\n'})
    assert actions(plan_json(tmp_path, monkeypatch)) == {
        "terraform_data.c": (("no-op",), "terraform_data.a"),
        "terraform_data.k[0]": (("no-op",), "terraform_data.k")}
    apply(tmp_path, monkeypatch)
    assert state_ids(tmp_path) == {"terraform_data.c": ids["terraform_data.a"],
                                   "terraform_data.k[0]": ids["terraform_data.k"]}


def test_implied_count_moves_without_any_moved_block(tmp_path, monkeypatch) -> None:
    """Adding count to a block (and taking it away again) keeps the object, with no moved block at all:
    the plan that finds no moved block still looks for implied moves before keeping every address."""
    write(tmp_path, {"main.tf": 'resource "terraform_data" "k" {\n  input = 2\n}\n'
                                'resource "terraform_data" "other" {\n  for_each = toset(["a"])\n  input = 3\n}\n'})
    apply(tmp_path, monkeypatch)
    ids = state_ids(tmp_path)
    write(tmp_path, {"main.tf": 'resource "terraform_data" "k" {\n  count = 1\n  input = 2\n}\n'
                                'resource "terraform_data" "other" {\n  for_each = toset(["a"])\n  input = 3\n}\n'})
    assert actions(plan_json(tmp_path, monkeypatch)) == {
        "terraform_data.k[0]": (("no-op",), "terraform_data.k"),
        'terraform_data.other["a"]': (("no-op",), None)}
    apply(tmp_path, monkeypatch)
    assert state_ids(tmp_path)["terraform_data.k[0]"] == ids["terraform_data.k"]
    write(tmp_path, {"main.tf": 'resource "terraform_data" "k" {\n  input = 2\n}\n'
                                'resource "terraform_data" "other" {\n  for_each = toset(["a"])\n  input = 3\n}\n'})
    assert actions(plan_json(tmp_path, monkeypatch))["terraform_data.k"] == (("no-op",), "terraform_data.k[0]")
    apply(tmp_path, monkeypatch)
    assert state_ids(tmp_path)["terraform_data.k"] == ids["terraform_data.k"]


def test_removed_with_destroy_false_forgets_without_deleting(tmp_path, monkeypatch) -> None:
    write(tmp_path, {"main.tf": 'resource "terraform_data" "keep" {\n  input = 1\n}\n'
                                'resource "terraform_data" "gone" {\n  input = 2\n}\n'})
    apply(tmp_path, monkeypatch)
    write(tmp_path, {"main.tf": 'resource "terraform_data" "keep" {\n  input = 1\n}\n'
                                'removed {\n  from = terraform_data.gone\n  lifecycle {\n    destroy = false\n  }\n}\n'})
    r = run(["plan", "-no-color", "-detailed-exitcode"], tmp_path, monkeypatch)
    assert r.exit_code == 2, r.output
    assert " # terraform_data.gone will no longer be managed by clbplan, but will not be destroyed" in r.output
    assert " . resource \"terraform_data\" \"gone\" {" in r.output
    assert "Warning: Some objects will no longer be managed by clbplan" in r.output
    assert "Plan: 0 to add, 0 to change, 0 to destroy." in r.output
    doc = plan_json(tmp_path, monkeypatch)
    (ch,) = [c for c in doc["resource_changes"] if c["address"] == "terraform_data.gone"]
    assert ch["change"]["actions"] == ["forget"]
    assert ch["action_reason"] == "delete_because_no_resource_config"
    r = run(["apply", "-auto-approve", "-no-color"], tmp_path, monkeypatch)
    assert r.exit_code == 0, r.output
    assert "0 destroyed" in r.output
    assert set(state_ids(tmp_path)) == {"terraform_data.keep"}
    converged(tmp_path, monkeypatch)


def test_removed_with_destroy_true_destroys(tmp_path, monkeypatch) -> None:
    write(tmp_path, {"main.tf": 'resource "terraform_data" "gone" {\n  input = 2\n}\n'})
    apply(tmp_path, monkeypatch)
    write(tmp_path, {"main.tf": 'removed {\n  from = terraform_data.gone\n}\n'})
    assert actions(plan_json(tmp_path, monkeypatch)) == {"terraform_data.gone": (("delete",), None)}


def test_saved_plan_with_a_move_applies(tmp_path, monkeypatch) -> None:
    write(tmp_path, {"main.tf": 'resource "terraform_data" "a" {\n  input = "x"\n}\n'})
    apply(tmp_path, monkeypatch)
    old_id = state_ids(tmp_path)["terraform_data.a"]
    write(tmp_path, {"main.tf": 'resource "terraform_data" "b" {\n  input = "x"\n}\n'
                                'moved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n'})
    r = run(["plan", "-out=p.plan", "-no-color"], tmp_path, monkeypatch)
    assert r.exit_code == 0, r.output
    r = run(["show", "-json", "p.plan"], tmp_path, monkeypatch)
    assert json.loads(r.output)["resource_changes"][0]["previous_address"] == "terraform_data.a"
    r = run(["apply", "p.plan"], tmp_path, monkeypatch)
    assert r.exit_code == 0, r.output
    assert state_ids(tmp_path) == {"terraform_data.b": old_id}


BAD = [
    ("target-exists",
     'resource "terraform_data" "a" {\n  input = 1\n}\nresource "terraform_data" "b" {\n  input = 2\n}\n',
     'resource "terraform_data" "b" {\n  input = 2\n}\n\nmoved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n',
     "Moved object target already exists", "main.tf:6:3", "clbplan state rm terraform_data.b"),
    ("cross-type",
     'resource "terraform_data" "a" {\n  input = 1\n}\n',
     'resource "null_resource" "a" {\n}\n\nmoved {\n  from = terraform_data.a\n  to   = null_resource.a\n}\n',
     "Resource type mismatch", "main.tf:5:3", "which is a resource of a different type"),
    ("still-exists",
     'resource "terraform_data" "a" {\n  input = 1\n}\n',
     'resource "terraform_data" "a" {\n  input = 1\n}\nresource "terraform_data" "b" {\n  input = 1\n}\n\n'
     'moved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n',
     "Moved object still exists", "main.tf:9:3", "still declared at main.tf:1"),
    ("instance-still-exists",
     'resource "terraform_data" "a" {\n  count = 2\n  input = 1\n}\n',
     'resource "terraform_data" "a" {\n  count = 2\n  input = 1\n}\n\n'
     'moved {\n  from = terraform_data.a[1]\n  to   = terraform_data.a[5]\n}\n',
     "Moved object still exists", "main.tf:7:3", "terraform_data.a[1]"),
    ("module-and-resource",
     'resource "terraform_data" "a" {\n  input = 1\n}\n',
     'moved {\n  from = terraform_data.a\n  to   = module.m\n}\n',
     "Invalid moved block", "main.tf:2:3", "one is a module"),
    ("removed-still-declared",
     'resource "terraform_data" "a" {\n  input = 1\n}\n',
     'resource "terraform_data" "a" {\n  input = 1\n}\n\nremoved {\n  from = terraform_data.a\n'
     '  lifecycle {\n    destroy = false\n  }\n}\n',
     "Removed resource still exists", "main.tf:6:3", "still declared at main.tf:1"),
    ("not-an-address",
     'resource "terraform_data" "a" {\n  input = 1\n}\n',
     'moved {\n  from = "terraform_data.a"\n  to   = terraform_data.b\n}\n',
     'Invalid address in moved block "from"', "main.tf:2:3", "static address"),
]


@pytest.mark.parametrize("case", BAD, ids=[c[0] for c in BAD])
@pytest.mark.parametrize("command", [["plan"], ["apply", "-auto-approve"]])
def test_bad_moves_are_located_errors_that_write_nothing(case, command, tmp_path, monkeypatch) -> None:
    _name, before, after, summary, where, detail = case
    write(tmp_path, {"main.tf": before})
    apply(tmp_path, monkeypatch)
    state_before = (tmp_path / "clbplan.tfstate").read_bytes()
    write(tmp_path, {"main.tf": after})
    r = run([*command, "-no-color"], tmp_path, monkeypatch)
    assert r.exit_code == 1, r.output
    assert "Traceback" not in r.output
    lines = [ln for ln in r.output.splitlines() if f"error: {summary}" in ln]
    assert len(lines) == 1, r.output
    assert where in lines[0], r.output
    assert detail in r.output
    assert (tmp_path / "clbplan.tfstate").read_bytes() == state_before


def test_validate_reports_bad_moved_blocks(tmp_path, monkeypatch) -> None:
    write(tmp_path, {"main.tf": 'resource "terraform_data" "a" {\n  input = 1\n}\n\n'
                                'moved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n'})
    r = run(["validate", "-no-color"], tmp_path, monkeypatch)
    assert r.exit_code == 1, r.output
    assert "main.tf:6:3: error: Moved object still exists" in r.output


def test_move_and_forget_plans_match_the_json_plan_schema(tmp_path, monkeypatch) -> None:
    import jsonschema

    schema = json.loads((Path(__file__).parents[1] / "review" / "plan.schema.json").read_text())
    write(tmp_path, {"main.tf": 'resource "terraform_data" "a" {\n  input = 1\n}\n'
                                'resource "terraform_data" "b" {\n  input = 2\n}\n', "m/main.tf": CHILD})
    apply(tmp_path, monkeypatch)
    write(tmp_path, {"main.tf": 'module "m" {\n  source = "./m"\n  v      = "1"\n}\n'
                                'moved {\n  from = terraform_data.a\n  to   = module.m.terraform_data.inner\n}\n'
                                'removed {\n  from = terraform_data.b\n  lifecycle {\n    destroy = false\n  }\n}\n'})
    doc = plan_json(tmp_path, monkeypatch)
    errors = [e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(doc)]
    assert errors == []
    assert actions(doc) == {"module.m.terraform_data.inner": (("update",), "terraform_data.a"),
                            "terraform_data.b": (("forget",), None)}


def test_removed_module_is_forgotten_whole(tmp_path, monkeypatch) -> None:
    write(tmp_path, {"main.tf": 'module "m" {\n  source = "./m"\n  count  = 2\n  v      = "a"\n}\n'
                                'resource "terraform_data" "keep" {\n  input = 1\n}\n', "m/main.tf": CHILD})
    apply(tmp_path, monkeypatch)
    write(tmp_path, {"main.tf": 'removed {\n  from = module.m\n  lifecycle {\n    destroy = false\n  }\n}\n'
                                'resource "terraform_data" "keep" {\n  input = 1\n}\n'})
    assert actions(plan_json(tmp_path, monkeypatch)) == {
        "module.m[0].terraform_data.inner": (("forget",), None),
        "module.m[1].terraform_data.inner": (("forget",), None),
        "terraform_data.keep": (("no-op",), None)}
    apply(tmp_path, monkeypatch)
    assert set(state_ids(tmp_path)) == {"terraform_data.keep"}


def test_refresh_only_records_moves_and_forgets_nothing(tmp_path, monkeypatch) -> None:
    write(tmp_path, {"main.tf": 'resource "terraform_data" "a" {\n  input = 1\n}\n'
                                'resource "terraform_data" "g" {\n  input = 1\n}\n'})
    apply(tmp_path, monkeypatch)
    ids = state_ids(tmp_path)
    write(tmp_path, {"main.tf": 'resource "terraform_data" "b" {\n  input = 1\n}\n'
                                'moved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n'
                                'removed {\n  from = terraform_data.g\n  lifecycle {\n    destroy = false\n  }\n}\n'})
    r = run(["plan", "-refresh-only", "-no-color", "-detailed-exitcode"], tmp_path, monkeypatch)
    assert r.exit_code == 2, r.output
    assert "# terraform_data.a has moved to terraform_data.b" in r.output
    r = run(["apply", "-refresh-only", "-auto-approve", "-no-color"], tmp_path, monkeypatch)
    assert r.exit_code == 0, r.output
    assert state_ids(tmp_path) == {"terraform_data.b": ids["terraform_data.a"], "terraform_data.g": ids["terraform_data.g"]}


def test_destroy_after_a_move_destroys_at_the_new_address(tmp_path, monkeypatch) -> None:
    write(tmp_path, {"main.tf": 'resource "terraform_data" "a" {\n  input = 1\n}\n'})
    apply(tmp_path, monkeypatch)
    write(tmp_path, {"main.tf": 'resource "terraform_data" "b" {\n  input = 1\n}\n'
                                'moved {\n  from = terraform_data.a\n  to   = terraform_data.b\n}\n'})
    r = run(["destroy", "-auto-approve", "-no-color"], tmp_path, monkeypatch)
    assert r.exit_code == 0, r.output
    assert "Destroy complete! Resources: 1 destroyed." in r.output or "1 destroyed" in r.output
    assert state_ids(tmp_path) == {}
