"""``terraform.workspace`` and ``path.module`` inside modules, as Terraform gives them: the workspace
is the run's (TF_WORKSPACE, else "default") at every depth; ``path.module`` of an installed registry
module is its folder under .terraform/modules, and of a local module inside it, that folder's child."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from planner.cli.main import cli
from planner.state.tfstate import flat_instances

FILES = {
    "main.tf": 'module "a" {\n  source = "./a"\n}\n\noutput "seen" {\n  value = module.a.seen\n}\n',
    "a/main.tf": 'module "b" {\n  source = "./b"\n}\n\nresource "terraform_data" "tag" {\n'
                 '  input = "${terraform.workspace}/a"\n}\n\noutput "seen" {\n'
                 '  value = [terraform_data.tag.output, module.b.seen]\n}\n',
    "a/b/main.tf": 'output "seen" {\n  value = "${terraform.workspace}@${path.module}"\n}\n',
}


def _write(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        p = root / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(text)


def _apply(root: Path, monkeypatch, env: dict) -> dict:
    monkeypatch.chdir(root)
    r = CliRunner().invoke(cli, ["apply", "-auto-approve", "-no-color"], env=env)
    assert r.exit_code == 0, r.output
    workspace = env.get("TF_WORKSPACE")
    path = root / "terraform.tfstate.d" / workspace / "terraform.tfstate" if workspace else root / "clbplan.tfstate"
    return json.loads(path.read_text())


def test_workspace_reaches_every_module_depth(tmp_path, monkeypatch) -> None:
    _write(tmp_path, FILES)
    doc = _apply(tmp_path, monkeypatch, {"TF_WORKSPACE": "staging"})
    assert doc["outputs"]["seen"]["value"] == ["staging/a", "staging@a/b"]
    (res,) = flat_instances(doc)
    assert (res["module"], res["attributes"]["input"]["value"]) == ("module.a", "staging/a")  # dynamic, as Terraform writes it


def test_default_workspace_when_none_is_selected(tmp_path, monkeypatch) -> None:
    _write(tmp_path, FILES)
    monkeypatch.delenv("TF_WORKSPACE", raising=False)
    doc = _apply(tmp_path, monkeypatch, {})
    assert doc["outputs"]["seen"]["value"] == ["default/a", "default@a/b"]


def test_path_module_of_installed_registry_modules(copy_fixture, monkeypatch) -> None:
    root = copy_fixture("registry-config")
    (root / ".terraform/modules/slb/where.tf").write_text(
        'output "where" {\n  value = [path.module, module.listener["8080"].where]\n}\n')
    (root / ".terraform/modules/slb/modules/listener/where.tf").write_text(
        'output "where" {\n  value = path.module\n}\n')
    (root / "where.tf").write_text('output "slb_where" {\n  value = module.slb.where\n}\n')
    monkeypatch.delenv("TF_WORKSPACE", raising=False)
    doc = _apply(root, monkeypatch, {})
    assert doc["outputs"]["slb_where"]["value"] == [".terraform/modules/slb", ".terraform/modules/slb/modules/listener"]


REGISTRY_LAYOUT = {
    "main.tf": 'module "slb" {\n  source  = "alibaba/slb/alicloud"\n  version = "2.1.0"\n}\n\n'
               'output "w" {\n  value = module.slb.where\n}\n',
    ".terraform/modules/slb/main.tf": 'module "listener" {\n  source = "./modules/listener"\n}\n\n'
                                      'output "where" {\n  value = [path.module, module.listener.where, '
                                      'terraform.workspace]\n}\n',
    ".terraform/modules/slb/modules/listener/main.tf": 'output "where" {\n  value = path.module\n}\n',
    ".terraform/modules/modules.json": json.dumps({"Modules": [
        {"Key": "", "Source": "", "Dir": "."},
        {"Key": "slb", "Source": "registry.terraform.io/alibaba/slb/alicloud", "Version": "2.1.0",
         "Dir": ".terraform/modules/slb"},
        {"Key": "slb.listener", "Source": "./modules/listener", "Dir": ".terraform/modules/slb/modules/listener"}]}),
}
# what terraform 1.11.4 planned for REGISTRY_LAYOUT (run offline: the modules need no provider)
TERRAFORM_SAYS = [".terraform/modules/slb", ".terraform/modules/slb/modules/listener", "default"]


def test_registry_layout_paths_agree_with_terraform(tmp_path, monkeypatch) -> None:
    _write(tmp_path, REGISTRY_LAYOUT)
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("TF_WORKSPACE", raising=False)
    r = CliRunner().invoke(cli, ["plan", "-out=p"])
    assert r.exit_code == 0, r.output
    r = CliRunner().invoke(cli, ["show", "-json", "p"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output)["planned_values"]["outputs"]["w"]["value"] == TERRAFORM_SAYS


def test_registry_layout_recording_matches_the_terraform_binary(tmp_path) -> None:
    import os
    import shutil
    import subprocess

    import pytest

    exe = shutil.which("terraform")
    if exe is None:
        pytest.skip("the terraform binary is not installed")
    _write(tmp_path, REGISTRY_LAYOUT)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    env.update({"CHECKPOINT_DISABLE": "1", "TF_CLI_CONFIG_FILE": os.devnull})
    for args in (["plan", "-input=false", "-no-color", "-out=p"], ["show", "-json", "p"]):
        proc = subprocess.run([exe, *args], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["planned_values"]["outputs"]["w"]["value"] == TERRAFORM_SAYS
