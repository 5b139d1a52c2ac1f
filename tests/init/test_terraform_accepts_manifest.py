"""Terraform itself accepts what ``clbplan init`` installed, and clbplan accepts what terraform installed.

With the registry stopped, ``terraform get`` must find every module already installed (it prints
nothing and fetches nothing; a wrong record would make it try the network and fail) and
``terraform validate`` must load the whole tree. The modules use only outputs and
``terraform_data``, so terraform needs no provider plugin. Skipped where terraform is absent; the
manifest terraform 1.11.4 writes for the same layout is checked byte for byte in
test_init_modules.py either way.
"""

from __future__ import annotations

import os
import shutil
import subprocess

import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from tests.init.conftest import tar_gz

TERRAFORM = shutil.which("terraform")
pytestmark = pytest.mark.skipif(TERRAFORM is None, reason="the terraform binary is not installed")

SLB = {
    "main.tf": 'module "listener" {\n  source = "./modules/listener"\n}\n\nmodule "vpc" {\n'
               '  source  = "alibaba/vpc/alicloud"\n  version = "~> 1.0"\n}\n\nresource "terraform_data" "lb" {\n'
               '  input = "slb"\n}\n',
    "modules/listener/main.tf": 'resource "terraform_data" "listener" {\n  input = 80\n}\n',
}
VPC = {"main.tf": 'resource "terraform_data" "vpc" {\n  input = "10.0.0.0/8"\n}\n'}


def terraform(*args: str, cwd, env=None) -> subprocess.CompletedProcess:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("TF_")}
    full_env.update({"TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1", **(env or {})})
    return subprocess.run([TERRAFORM, *args, "-no-color"], cwd=cwd, env=full_env, capture_output=True, text=True,
                          timeout=120)


def _config(workdir, git_repo, tmp_path) -> None:
    (tmp_path / "pkg.tar.gz").write_bytes(tar_gz({"main.tf": "", "modules/x/main.tf": VPC["main.tf"]}))
    (workdir / "modules" / "local").mkdir(parents=True)
    (workdir / "modules" / "local" / "main.tf").write_text('resource "terraform_data" "l" {\n}\n')
    (workdir / "main.tf").write_text(
        'module "slb" {\n  source  = "alibaba/slb/alicloud"\n  version = ">= 1.0"\n}\n\n'
        f'module "git" {{\n  source = "git::file://{git_repo}?ref=v1.0"\n}}\n\n'
        f'module "arch" {{\n  source = "{tmp_path}/pkg.tar.gz//modules/x"\n}}\n\n'
        'module "here" {\n  source = "./modules/local"\n}\n')


def test_terraform_accepts_the_modules_clbplan_installed(registry, git_repo, tmp_path, monkeypatch):
    registry.add("alibaba", "slb", "alicloud", "1.2.3", SLB)
    registry.add("alibaba", "vpc", "alicloud", "1.0.5", VPC)
    workdir = tmp_path / "cfg"
    workdir.mkdir()
    _config(workdir, git_repo, tmp_path)
    monkeypatch.chdir(workdir)
    result = CliRunner().invoke(cli, ["init"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    manifest = (workdir / ".terraform/modules/modules.json").read_bytes()
    registry.stop()  # from here on, anything terraform tries to download fails
    dead = tmp_path / "dead.tfrc"
    dead.write_text('host "registry.terraform.io" {\n  services = {\n    "modules.v1" = "http://127.0.0.1:9/v1/"\n'
                    "  }\n}\n")
    env = {"TF_CLI_CONFIG_FILE": str(dead)}
    got = terraform("get", cwd=workdir, env=env)
    assert got.returncode == 0, got.stdout + got.stderr
    assert "Downloading" not in got.stdout, got.stdout  # every module was found installed
    valid = terraform("validate", cwd=workdir, env=env)
    assert valid.returncode == 0, valid.stdout + valid.stderr
    assert "Success! The configuration is valid." in valid.stdout
    # terraform rewrote the manifest from what it found: the same bytes clbplan wrote
    assert (workdir / ".terraform/modules/modules.json").read_bytes() == manifest


def test_clbplan_uses_the_modules_terraform_installed(registry, git_repo, tmp_path, monkeypatch):
    registry.add("alibaba", "slb", "alicloud", "1.2.3", SLB)
    registry.add("alibaba", "vpc", "alicloud", "1.0.5", VPC)
    workdir = tmp_path / "cfg"
    workdir.mkdir()
    _config(workdir, git_repo, tmp_path)
    got = terraform("get", cwd=workdir, env={"TF_CLI_CONFIG_FILE": os.environ["TF_CLI_CONFIG_FILE"]})
    assert got.returncode == 0, got.stdout + got.stderr
    manifest = (workdir / ".terraform/modules/modules.json").read_bytes()
    registry.stop()
    monkeypatch.chdir(workdir)
    result = CliRunner().invoke(cli, ["init"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert "Downloading" not in result.stdout
    assert (workdir / ".terraform/modules/modules.json").read_bytes() == manifest
