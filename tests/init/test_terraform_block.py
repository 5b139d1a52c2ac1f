"""The ``terraform {}`` block: required_version against clbplan's language level, required_providers
against the providers clbplan has, the backend it keeps state with. Each mistake is located, exit 1."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from planner.config.version_constraints import Constraints, Version
from planner.version import TERRAFORM_LANGUAGE_VERSION


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    d = tmp_path / "cfg"
    d.mkdir()
    monkeypatch.chdir(d)
    return d


def files(d: Path) -> list[str]:
    return sorted(str(p.relative_to(d)) for p in d.rglob("*") if ".clbplan" not in p.parts)


# ---- version constraints (hashicorp/go-version semantics) ----------------------------------------

@pytest.mark.parametrize("constraint, version, ok", [
    ("~> 1.11", "1.99.0", True), ("~> 1.11", "2.0.0", False), ("~> 1.11.0", "1.11.9", True),
    ("~> 1.11.0", "1.12.0", False), ("~> 1", "1.99", True), ("~> 1", "2.0", False),
    (">= 1.2, < 2.0", "1.9.9", True), (">= 1.2, < 2.0", "2.0.0", False), ("!= 1.2.3", "1.2.3", False),
    ("1.2", "1.2.0", True), ("= 1.2.0", "1.2.1", False), ("> 1.0", "1.0.0", False), ("<= 1.0", "1.0", True),
    (">= 1.0", "1.3.0-beta", False), ("1.3.0-beta", "1.3.0-beta", True), ("", "0.0.1", True),
])
def test_constraints(constraint: str, version: str, ok: bool) -> None:
    assert Constraints.parse(constraint).allows(version) is ok


def test_newest_matching_and_ordering() -> None:
    assert Constraints.parse("~> 1.1").newest(["1.0.0", "1.10.0", "1.9.0", "2.0.0", "1.11.0-rc1", "x"]) == "1.10.0"
    assert Version.parse("1.0.0-alpha") < Version.parse("1.0.0-alpha.1") < Version.parse("1.0.0-beta") \
        < Version.parse("1.0.0")
    assert Constraints.parse(">= 9").newest(["1.0.0"]) is None


# ---- required_version ---------------------------------------------------------------------------

def test_required_version_met_and_unmet(workdir) -> None:
    major_minor = ".".join(TERRAFORM_LANGUAGE_VERSION.split(".")[:2])
    (workdir / "main.tf").write_text(f'terraform {{\n  required_version = "~> {major_minor}"\n}}\n')
    assert run("validate").exit_code == 0
    (workdir / "main.tf").write_text('terraform {\n  required_version = ">= 1.12, < 2"\n}\n')
    for cmd in ("validate", "plan", "init"):
        before = [f for f in files(workdir) if not f.endswith(".lock")]
        result = run(cmd)
        assert result.exit_code == 1, (cmd, result.output)
        assert "main.tf:2:22: error: Unsupported Terraform Core version" in result.stderr
        assert f"clbplan implements the language of Terraform {TERRAFORM_LANGUAGE_VERSION}" in result.stderr
        # (plan takes the state lock before it reads the configuration; the lock file is all it leaves)
        assert [f for f in files(workdir) if not f.endswith(".lock")] == before, cmd


def test_required_version_in_a_module_is_checked_too(workdir) -> None:
    (workdir / "m").mkdir()
    (workdir / "m" / "main.tf").write_text('terraform {\n  required_version = "< 1.0"\n}\n')
    (workdir / "main.tf").write_text('module "m" {\n  source = "./m"\n}\n')
    result = run("init")
    assert result.exit_code == 1
    assert "m/main.tf:2:22: error: Unsupported Terraform Core version" in result.stderr
    assert not (workdir / ".terraform").exists()


def test_malformed_required_version(workdir) -> None:
    (workdir / "main.tf").write_text('terraform {\n  required_version = "at least one"\n}\n')
    result = run("validate")
    assert result.exit_code == 1
    assert "main.tf:2:22: error: Invalid required_version constraint" in result.stderr


# ---- required_providers -------------------------------------------------------------------------

SUPPORTED = '''terraform {
  required_providers {
    alicloud = {
      source  = "aliyun/alicloud"
      version = ">= 1.200.0"
    }
    random = {
      source = "hashicorp/random"
    }
    null      = { source = "hashicorp/null" }
    time      = { source = "hashicorp/time" }
    tls       = { source = "hashicorp/tls" }
    local     = { source = "hashicorp/local" }
  }
}
'''


def test_supported_providers_are_accepted(workdir) -> None:
    (workdir / "main.tf").write_text(SUPPORTED)
    result = run("validate")
    assert result.exit_code == 0, result.output
    result = run("init")
    assert result.exit_code == 0, result.output
    assert "- aliyun/alicloud 1.289.0 is built in to clbplan" in result.stdout
    assert "- hashicorp/tls is built in to clbplan" in result.stdout


def test_unknown_provider_is_a_located_error_listing_the_supported_ones(workdir) -> None:
    (workdir / "main.tf").write_text(SUPPORTED.replace('    local     = { source = "hashicorp/local" }\n',
                                                       '    aws = {\n      source = "hashicorp/aws"\n    }\n'))
    for cmd in ("validate", "init"):
        result = run(cmd)
        assert result.exit_code == 1
        assert 'main.tf:13:11: error: Provider "hashicorp/aws" is not supported' in result.stderr
        assert "aliyun/alicloud, hashicorp/random, hashicorp/null, hashicorp/time, hashicorp/tls, hashicorp/local" \
               in result.stderr
    assert not (workdir / ".terraform").exists()


def test_resource_of_an_unknown_provider_fails_init(workdir) -> None:
    (workdir / "main.tf").write_text('resource "aws_instance" "x" {\n}\n')
    result = run("init")
    assert result.exit_code == 1
    assert 'main.tf:1:1: error: Provider "aws" is not supported' in result.stderr


def test_old_alicloud_pin_is_a_warning_not_an_error(workdir) -> None:
    (workdir / "main.tf").write_text('terraform {\n  required_providers {\n    alicloud = {\n'
                                     '      source  = "aliyun/alicloud"\n      version = "1.150.0"\n    }\n  }\n}\n')
    result = run("validate")
    assert result.exit_code == 0
    assert "warning: alicloud provider version constraint not met" in result.stderr


def test_json_configuration_terraform_block(workdir) -> None:
    (workdir / "main.tf.json").write_text(
        '{"terraform": {"required_version": ">= 1.0", "required_providers": {"alicloud": '
        '{"source": "aliyun/alicloud"}, "google": {"source": "hashicorp/google"}}, '
        '"backend": {"local": {"path": "s/x.tfstate"}}}}')
    result = run("validate")
    assert result.exit_code == 1
    assert 'Provider "hashicorp/google" is not supported' in result.stderr


# ---- backend ------------------------------------------------------------------------------------

@pytest.mark.parametrize("kind", ["oss", "s3", "remote"])
def test_unsupported_backend_is_a_located_error_naming_clbplans_backends(workdir, kind) -> None:
    (workdir / "main.tf").write_text(f'terraform {{\n  backend "{kind}" {{\n    bucket = "b"\n  }}\n}}\n\n'
                                     'resource "alicloud_slb_acl" "a" {\n  name = "a"\n}\n')
    for cmd in (["init"], ["plan"], ["apply", "-auto-approve"]):
        before = files(workdir)
        result = run(*cmd)
        assert result.exit_code == 1, (cmd, result.output)
        assert f'main.tf:2:3: error: Unsupported backend "{kind}"' in result.stderr
        assert 'The backends clbplan has are: "local"' in result.stderr
        assert files(workdir) == before, cmd
        assert not list(workdir.glob("*.tfstate*"))


def test_cloud_block_and_variables_in_backend_are_errors(workdir) -> None:
    (workdir / "main.tf").write_text('terraform {\n  cloud {\n    organization = "o"\n  }\n}\n')
    result = run("plan")
    assert result.exit_code == 1
    assert "main.tf:2:3: error: HCP Terraform is not supported" in result.stderr
    (workdir / "main.tf").write_text('terraform {\n  backend "local" {\n    path = var.p\n  }\n}\n')
    result = run("plan")
    assert result.exit_code == 1
    assert "main.tf:3:12: error: Variables not allowed" in result.stderr


def test_local_backend_path_is_where_the_state_goes(workdir) -> None:
    (workdir / "main.tf").write_text('terraform {\n  backend "local" {\n    path = "state/prod.tfstate"\n  }\n}\n\n'
                                     'resource "alicloud_slb_acl" "a" {\n  name = "a"\n}\n')
    result = run("init")
    assert result.exit_code == 0, result.output
    assert 'Successfully configured the backend "local"!' in result.stdout
    assert "- local backend: state in state/prod.tfstate" in result.stdout
    result = run("apply", "-auto-approve")
    assert result.exit_code == 0, result.output
    assert (workdir / "state" / "prod.tfstate").is_file()
    assert not (workdir / "clbplan.tfstate").exists()
    result = run("plan", "-detailed-exitcode")
    assert result.exit_code == 0, result.output  # the state was found again: nothing to do


def test_default_backend_is_reported(workdir) -> None:
    (workdir / "main.tf").write_text('output "x" {\n  value = 1\n}\n')
    result = run("init")
    assert result.exit_code == 0
    assert "Initializing the backend...\n- local backend: state in clbplan.tfstate\n" in result.stdout
    assert "Successfully configured" not in result.stdout
