"""Module addresses everywhere a user meets them: plan text, the JSON plan (Terraform's shape:
``module_address``, ``child_modules``, ``module_calls``), Markdown, ``graph``, ``state list/show/
mv/rm``, ``import`` and ``-target/-exclude/-replace``. terraform_data configurations, real CLI."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from planner.state.backend import LocalBackend
from tests.support.modules import run

FILES = {
    "main.tf": 'module "pool" {\n  source = "./modules/pool"\n  count  = 2\n  name   = "p${count.index}"\n}\n\n'
               'resource "terraform_data" "root" {\n  input = module.pool[0].id\n}\n\n'
               'output "names" {\n  value = module.pool[*].name\n}\n',
    "modules/pool/main.tf": 'variable "name" {\n  type = string\n}\n\n'
                            'resource "terraform_data" "lb" {\n  input = var.name\n}\n\n'
                            'module "sub" {\n  source = "./sub"\n  x      = terraform_data.lb.output\n}\n\n'
                            'output "id" {\n  value = terraform_data.lb.id\n}\n\n'
                            'output "name" {\n  value = var.name\n}\n',
    "modules/pool/sub/main.tf": 'variable "x" {}\n\nresource "terraform_data" "s" {\n  input = var.x\n}\n',
}
ALL = ["module.pool[0].module.sub.terraform_data.s", "module.pool[0].terraform_data.lb",
       "module.pool[1].module.sub.terraform_data.s", "module.pool[1].terraform_data.lb", "terraform_data.root"]


@pytest.fixture
def work(tmp_path: Path) -> Path:
    for name, text in FILES.items():
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)
    return tmp_path


def ok(args: list[str], work: Path, monkeypatch) -> str:
    r = run(args, work, monkeypatch)
    assert r.exit_code == 0, r.output
    return r.output


def plan_json(args: list[str], work: Path, monkeypatch) -> str:
    """The JSON plan representation: plan -out, then show -json (plan -json streams the UI)."""
    ok(["plan", "-out=.addresses.plan", *args], work, monkeypatch)
    try:
        return ok(["show", "-json", ".addresses.plan"], work, monkeypatch)
    finally:
        (work / ".addresses.plan").unlink()


def planned(args: list[str], work: Path, monkeypatch) -> list[str]:
    doc = json.loads(plan_json(list(args), work, monkeypatch))
    return sorted(c["address"] for c in doc["resource_changes"] if c["change"]["actions"] != ["no-op"])


def test_json_plan_has_terraforms_module_shape(work, monkeypatch) -> None:
    doc = json.loads(plan_json([], work, monkeypatch))
    # Terraform 1.11.4's order for this configuration: root first, then by module depth and path
    assert [c["address"] for c in doc["resource_changes"]] == [
        "terraform_data.root", "module.pool[0].terraform_data.lb", "module.pool[1].terraform_data.lb",
        "module.pool[0].module.sub.terraform_data.s", "module.pool[1].module.sub.terraform_data.s"]
    by = {c["address"]: c for c in doc["resource_changes"]}
    assert by["module.pool[1].module.sub.terraform_data.s"]["module_address"] == "module.pool[1].module.sub"
    assert by["module.pool[0].terraform_data.lb"]["module_address"] == "module.pool[0]"
    assert "module_address" not in by["terraform_data.root"]
    root = doc["planned_values"]["root_module"]
    assert [r["address"] for r in root["resources"]] == ["terraform_data.root"]
    kids = root["child_modules"]
    assert [k["address"] for k in kids] == ["module.pool[0]", "module.pool[1]"]
    assert [r["address"] for r in kids[0]["resources"]] == ["module.pool[0].terraform_data.lb"]
    assert [k["address"] for k in kids[0]["child_modules"]] == ["module.pool[0].module.sub"]
    assert kids[0]["child_modules"][0]["resources"][0]["address"] == "module.pool[0].module.sub.terraform_data.s"
    calls = doc["configuration"]["root_module"]["module_calls"]
    assert calls["pool"]["source"] == "./modules/pool"
    assert calls["pool"]["count_expression"] == {"constant_value": 2}
    assert [r["address"] for r in calls["pool"]["module"]["resources"]] == ["terraform_data.lb"]
    assert calls["pool"]["module"]["module_calls"]["sub"]["module"]["variables"] == {"x": {}}
    assert [r["address"] for r in doc["configuration"]["root_module"]["resources"]] == ["terraform_data.root"]
    # after apply, prior_state nests the same way
    ok(["apply", "-auto-approve"], work, monkeypatch)
    (work / "modules/pool/main.tf").write_text(FILES["modules/pool/main.tf"].replace("var.name\n}", "upper(var.name)\n}"))
    doc = json.loads(plan_json([], work, monkeypatch))
    prior = doc["prior_state"]["values"]["root_module"]
    assert [k["address"] for k in prior["child_modules"]] == ["module.pool[0]", "module.pool[1]"]
    assert prior["child_modules"][1]["child_modules"][0]["address"] == "module.pool[1].module.sub"


def test_text_markdown_and_graph_name_module_instances(work, monkeypatch) -> None:
    text = ok(["plan", "-no-color", "-out=p.plan"], work, monkeypatch)
    assert "  # module.pool[1].module.sub.terraform_data.s will be created" in text
    assert "create module.pool[0].module.sub.terraform_data.s" in text
    md = ok(["show", "-markdown", "p.plan"], work, monkeypatch)
    assert "<code>module.pool[1].terraform_data.lb</code>" in md
    dot = ok(["graph"], work, monkeypatch)
    assert 'subgraph "cluster_module.pool[0]" {' in dot
    assert 'subgraph "cluster_module.pool[0].module.sub" {' in dot
    assert '"module.pool[0].module.sub.terraform_data.s" -> "module.pool[0].terraform_data.lb"' in dot


@pytest.mark.parametrize(("flag", "expected"), [
    ("-target=module.pool", ALL[:4]),
    ("-target=module.pool[1]", ["module.pool[1].module.sub.terraform_data.s", "module.pool[1].terraform_data.lb"]),
    ("-target=module.pool[0].module.sub", ["module.pool[0].module.sub.terraform_data.s",
                                           "module.pool[0].terraform_data.lb"]),
    ("-target=module.pool[1].terraform_data.lb", ["module.pool[1].terraform_data.lb"]),
    ("-exclude=module.pool[0]", ["module.pool[1].module.sub.terraform_data.s", "module.pool[1].terraform_data.lb"]),
])
def test_target_and_exclude_take_module_addresses(flag, expected, work, monkeypatch) -> None:
    assert planned([flag], work, monkeypatch) == expected


def test_replace_a_resource_in_a_module_and_refuse_a_module(work, monkeypatch) -> None:
    ok(["apply", "-auto-approve"], work, monkeypatch)
    doc = json.loads(plan_json(["-replace=module.pool[1].terraform_data.lb"], work, monkeypatch))
    by = {c["address"]: c for c in doc["resource_changes"]}
    assert by["module.pool[1].terraform_data.lb"]["change"]["actions"] == ["delete", "create"]
    assert by["module.pool[1].terraform_data.lb"]["action_reason"] == "replace_by_request"
    r = run(["plan", "-replace=module.pool"], work, monkeypatch)
    assert r.exit_code == 1
    assert "-replace names a resource instance, not a module" in r.output


def test_state_commands_on_module_addresses(work, monkeypatch) -> None:
    ok(["apply", "-auto-approve"], work, monkeypatch)
    assert ok(["state", "list"], work, monkeypatch).split() == ALL
    assert ok(["state", "list", "module.pool[1]"], work, monkeypatch).split() == ALL[2:4]
    assert ok(["state", "list", "module.pool"], work, monkeypatch).split() == ALL[:4]
    shown = ok(["state", "show", "module.pool[1].module.sub.terraform_data.s"], work, monkeypatch)
    assert shown.startswith("# module.pool[1].module.sub.terraform_data.s:\nresource \"terraform_data\" \"s\" {")
    ids = {str(a): rs.id for a, rs in LocalBackend(work / "clbplan.tfstate").read().resources.items()}
    # a resource out of a module and back in
    ok(["state", "mv", "module.pool[0].terraform_data.lb", "terraform_data.lb"], work, monkeypatch)
    ok(["state", "mv", "terraform_data.lb", "module.pool[0].terraform_data.lb"], work, monkeypatch)
    # a whole module instance, then every instance of a call
    ok(["state", "mv", "module.pool[1]", "module.spare"], work, monkeypatch)
    assert ok(["state", "list", "module.spare"], work, monkeypatch).split() == [
        "module.spare.module.sub.terraform_data.s", "module.spare.terraform_data.lb"]
    ok(["state", "mv", "module.spare", "module.pool[1]"], work, monkeypatch)
    ok(["state", "mv", "module.pool", "module.tank"], work, monkeypatch)
    after = {str(a): rs.id for a, rs in LocalBackend(work / "clbplan.tfstate").read().resources.items()}
    assert after == {a.replace("module.pool", "module.tank"): i for a, i in ids.items()}
    ok(["state", "mv", "module.tank", "module.pool"], work, monkeypatch)
    ok(["plan", "-detailed-exitcode"], work, monkeypatch)  # the moves above changed nothing real
    out = ok(["state", "rm", "module.pool[0].module.sub"], work, monkeypatch)
    assert "Removed module.pool[0].module.sub.terraform_data.s" in out
    assert "module.pool[0].module.sub.terraform_data.s" not in ok(["state", "list"], work, monkeypatch)


def test_import_to_a_module_address(work, monkeypatch) -> None:
    out = ok(["import", "module.pool[1].terraform_data.lb", "imported-1"], work, monkeypatch)
    assert "Import successful!" in out
    shown = ok(["state", "show", "module.pool[1].terraform_data.lb"], work, monkeypatch)
    assert 'id = "imported-1"' in shown
    doc = json.loads((work / "clbplan.tfstate").read_text())
    (r,) = doc["resources"]  # Terraform's format 4: the module instance and the provider's source
    assert (r["module"], r["provider"]) == ("module.pool[1]", 'module.pool.provider["terraform.io/builtin/terraform"]')
    r = run(["import", "module.pool[2].terraform_data.lb", "x"], work, monkeypatch)
    assert r.exit_code == 1
    assert "Import to non-existent resource address" in r.output
    assert "module.pool[2] calls" in r.output
