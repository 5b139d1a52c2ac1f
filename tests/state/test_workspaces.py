"""Workspaces (local backend): Terraform's layout and messages; every command uses the selected one."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from planner.state.backend import LocalBackend

CONFIG = '''
resource "terraform_data" "env" {
  input = "lb-${terraform.workspace}"
}
output "env" { value = terraform.workspace }
'''


@pytest.fixture
def work(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TF_WORKSPACE", raising=False)
    (tmp_path / "main.tf").write_text(CONFIG)
    return tmp_path


def run(*args: str, env: dict | None = None):
    return CliRunner().invoke(cli, list(args), env=env)


def test_new_select_list_show_delete_as_terraform_lays_them_out(work: Path) -> None:
    assert run("workspace", "show").output == "default\n"
    r = run("workspace", "new", "blue")
    assert r.exit_code == 0 and 'Created and switched to workspace "blue"!' in r.output
    assert (work / "terraform.tfstate.d" / "blue").is_dir()
    assert (work / ".terraform" / "environment").read_text() == "blue"  # no newline, as Terraform writes it
    assert run("workspace", "list").output == "  default\n* blue\n\n"
    r = run("workspace", "new", "blue")
    assert r.exit_code == 1 and 'Workspace "blue" already exists' in r.output
    r = run("workspace", "select", "green")
    assert r.exit_code == 1 and "doesn't exist" in r.output
    r = run("workspace", "select", "-or-create", "green")
    assert r.exit_code == 0 and 'Switched to workspace "green".' in r.output
    r = run("workspace", "delete", "green")
    assert r.exit_code == 1 and "active workspace" in r.output
    assert run("workspace", "select", "default").exit_code == 0
    r = run("workspace", "delete", "green")
    assert r.exit_code == 0 and 'Deleted workspace "green"!' in r.output
    assert run("workspace", "list").output == "* default\n  blue\n\n"
    r = run("workspace", "delete", "default")
    assert r.exit_code == 1
    r = run("workspace", "new", "no/slash")
    assert r.exit_code == 1 and "not a valid workspace name" in r.output


def test_each_workspace_applies_its_own_state(work: Path) -> None:
    assert run("apply", "-auto-approve").exit_code == 0
    assert run("workspace", "new", "prod").exit_code == 0
    r = run("apply", "-auto-approve")
    assert r.exit_code == 0 and "1 added" in r.output, r.output  # a new, empty state: not the default's
    prod = LocalBackend(work / "terraform.tfstate.d" / "prod" / "terraform.tfstate").read()
    assert prod.outputs["env"]["value"] == "prod"
    assert next(iter(prod.resources.values())).attributes["input"] == "lb-prod"
    default = LocalBackend(work / "clbplan.tfstate").read()
    assert default.outputs["env"]["value"] == "default"
    assert run("state", "list").output == "terraform_data.env\n"
    assert json.loads(run("output", "-json").output)["env"]["value"] == "prod"
    r = run("workspace", "delete", "prod")
    assert r.exit_code == 1  # the active one
    run("workspace", "select", "default")
    r = run("workspace", "delete", "prod")
    assert r.exit_code == 1 and "Workspace is not empty" in r.output and "terraform_data.env" in r.output
    assert (work / "terraform.tfstate.d" / "prod" / "terraform.tfstate").exists()  # nothing lost
    r = run("workspace", "delete", "-force", "prod")
    assert r.exit_code == 0


def test_tf_workspace_selects_the_state_not_only_the_expression(work: Path) -> None:
    assert run("apply", "-auto-approve").exit_code == 0
    env = {"TF_WORKSPACE": "staging"}
    r = run("plan", env=env)
    # planned against staging's (empty) state: a create, never an in-place change of default's object
    assert r.exit_code == 0 and "1 to add, 0 to change" in r.output, r.output
    assert run("apply", "-auto-approve", env=env).exit_code == 0
    assert LocalBackend(work / "terraform.tfstate.d" / "staging" / "terraform.tfstate").read().outputs[
        "env"]["value"] == "staging"
    assert LocalBackend(work / "clbplan.tfstate").read().outputs["env"]["value"] == "default"
    assert run("workspace", "show", env=env).output == "staging\n"
    r = run("workspace", "select", "default", env=env)
    assert r.exit_code == 1 and "TF_WORKSPACE" in r.output
    r = run("plan", env={"TF_WORKSPACE": "bad/name"})
    assert r.exit_code == 1 and "Invalid workspace name set using TF_WORKSPACE" in r.output


def test_an_unimplemented_backend_is_an_error_not_a_local_file(work: Path) -> None:
    (work / "backend.tf").write_text('terraform {\n  backend "s3" {\n    bucket = "b"\n  }\n}\n')
    for args in (["plan"], ["apply", "-auto-approve"], ["state", "list"], ["workspace", "list"]):
        r = run(*args)
        assert r.exit_code == 1 and 'Unsupported backend "s3"' in r.output, (args, r.output)
    assert not (work / "clbplan.tfstate").exists()
