"""``clbplan version [-json]`` and ``clbplan providers``, read as a script that knows terraform's would."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from planner import __version__
from planner.cli.main import cli
from planner.version import ALICLOUD_PROVIDER_VERSION, TERRAFORM_LANGUAGE_VERSION


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def test_version_text() -> None:
    result = run("version")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"clbplan v{__version__}"
    assert lines[1] == f"implements the language of Terraform v{TERRAFORM_LANGUAGE_VERSION}"
    assert lines[2].startswith("on linux_") or lines[2].startswith("on ")
    assert f"+ provider registry.terraform.io/aliyun/alicloud v{ALICLOUD_PROVIDER_VERSION}" in lines[3]
    assert "81c43b6727a0" in lines[3]


def test_version_json_has_terraforms_keys_and_clbplans() -> None:
    result = run("version", "-json")
    assert result.exit_code == 0
    doc = json.loads(result.stdout)
    # the keys `terraform version -json` has, so scripts parsing it keep working
    assert set(doc) >= {"terraform_version", "platform", "provider_selections", "terraform_outdated"}
    assert doc["terraform_version"] == TERRAFORM_LANGUAGE_VERSION == "1.11.4"
    assert doc["clbplan_version"] == __version__
    assert doc["provider_selections"] == {"registry.terraform.io/aliyun/alicloud": ALICLOUD_PROVIDER_VERSION}
    assert doc["alicloud_provider_schema"]["commit"] == "81c43b6727a0"


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    d = tmp_path / "cfg"
    d.mkdir()
    monkeypatch.chdir(d)
    return d


def test_providers_tree_of_configuration_and_modules(workdir) -> None:
    (workdir / "main.tf").write_text(
        'terraform {\n  required_providers {\n    alicloud = {\n      source  = "aliyun/alicloud"\n'
        '      version = ">= 1.200.0"\n    }\n  }\n}\n\nresource "random_id" "x" {\n  byte_length = 2\n}\n\n'
        'module "a" {\n  source = "./mods/a"\n}\n\nmodule "c" {\n  source = "./mods/c"\n}\n')
    (workdir / "mods/a/b").mkdir(parents=True)
    (workdir / "mods/c").mkdir(parents=True)
    (workdir / "mods/a/main.tf").write_text(
        'terraform {\n  required_providers {\n    tls = {\n      source  = "hashicorp/tls"\n      version = "~> 4.0"\n'
        '    }\n  }\n}\n\nresource "terraform_data" "y" {\n}\n\nmodule "b" {\n  source = "./b"\n}\n')
    (workdir / "mods/a/b/main.tf").write_text('resource "null_resource" "z" {\n}\n')
    (workdir / "mods/c/main.tf").write_text('resource "alicloud_slb_acl" "c" {\n  name = "c"\n}\n')
    result = run("providers")
    assert result.exit_code == 0, result.output
    assert result.stdout == (
        "\nProviders required by configuration:\n"
        ".\n"
        "├── provider[registry.terraform.io/aliyun/alicloud] >= 1.200.0\n"
        "├── provider[registry.terraform.io/hashicorp/random]\n"
        "├── module.a\n"
        "│   ├── provider[registry.terraform.io/hashicorp/tls] ~> 4.0\n"
        "│   ├── provider[terraform.io/builtin/terraform]\n"
        "│   └── module.b\n"
        "│       └── provider[registry.terraform.io/hashicorp/null]\n"
        "└── module.c\n"
        "    └── provider[registry.terraform.io/hashicorp/alicloud]\n")


def test_providers_lists_the_states_providers(workdir) -> None:
    (workdir / "main.tf").write_text('resource "alicloud_slb_acl" "a" {\n  name = "a"\n}\n')
    assert run("apply", "-auto-approve").exit_code == 0
    result = run("providers")
    assert result.exit_code == 0
    assert result.stdout.endswith("Providers required by state:\n\n    provider[registry.terraform.io/hashicorp/alicloud]"
                                  "\n\n")


def test_providers_needs_remote_modules_installed(workdir) -> None:
    (workdir / "main.tf").write_text('module "slb" {\n  source = "alibaba/slb/alicloud"\n}\n')
    result = run("providers")
    assert result.exit_code == 1
    assert "main.tf:2:12: error: Module not installed" in result.stderr
    assert "run clbplan init" in result.stderr
    assert not (workdir / ".terraform").exists()
