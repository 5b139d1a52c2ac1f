"""``clbplan init`` installs modules exactly where and as ``terraform init`` does, from a loopback
registry, local git repositories and local archives; reuses what is installed; fails cleanly."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from tests.init.conftest import tar_gz, zip_bytes

SLB_123 = {
    "main.tf": 'module "listener" {\n  source = "./modules/listener"\n}\n\nmodule "vpc" {\n'
               '  source  = "alibaba/vpc/alicloud"\n  version = "~> 1.0"\n}\n\noutput "version" {\n'
               '  value = "1.2.3"\n}\n',
    "modules/listener/main.tf": 'output "port" {\n  value = 80\n}\n',
}
VPC = {"main.tf": 'output "cidr" {\n  value = "10.0.0.0/8"\n}\n'}


def run(*args: str):
    return CliRunner().invoke(cli, list(args), catch_exceptions=False)


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)
    return path


def tree(path: Path) -> list[str]:
    return sorted(str(p.relative_to(path)) for p in path.rglob("*"))


@pytest.fixture
def workdir(tmp_path, monkeypatch):
    d = tmp_path / "cfg"
    d.mkdir()
    monkeypatch.chdir(d)
    monkeypatch.delenv("TF_IN_AUTOMATION", raising=False)
    return d


def registry_with_slb(registry):
    registry.add("alibaba", "slb", "alicloud", "1.1.0", SLB_123)
    registry.add("alibaba", "slb", "alicloud", "1.2.3", SLB_123)
    registry.add("alibaba", "slb", "alicloud", "2.0.0", SLB_123)
    registry.add("alibaba", "slb", "alicloud", "1.3.0-beta", SLB_123)
    registry.add("alibaba", "vpc", "alicloud", "1.0.5", VPC)
    registry.add("alibaba", "vpc", "alicloud", "1.1.0-beta", VPC)
    return registry


def test_registry_modules_install_as_terraform_lays_them_out(registry, workdir):
    registry_with_slb(registry)
    write(workdir / "main.tf", 'module "slb" {\n  source  = "alibaba/slb/alicloud"\n  version = ">= 1.1, < 2.0"\n}\n')
    result = run("init")
    assert result.exit_code == 0, result.output
    # the newest release inside the constraint (not 2.0.0, not the 1.3.0-beta pre-release); nested registry
    # module inside a registry module; local sub-module recorded inside its parent's package
    manifest = (workdir / ".terraform/modules/modules.json").read_text()
    assert manifest == (
        '{"Modules":[{"Key":"","Source":"","Dir":"."},'
        '{"Key":"slb","Source":"registry.terraform.io/alibaba/slb/alicloud","Version":"1.2.3",'
        '"Dir":".terraform/modules/slb"},'
        '{"Key":"slb.listener","Source":"./modules/listener","Dir":".terraform/modules/slb/modules/listener"},'
        '{"Key":"slb.vpc","Source":"registry.terraform.io/alibaba/vpc/alicloud","Version":"1.0.5",'
        '"Dir":".terraform/modules/slb.vpc"}]}')
    assert (workdir / ".terraform/modules/slb/modules/listener/main.tf").is_file()
    assert (workdir / ".terraform/modules/slb.vpc/main.tf").read_text() == VPC["main.tf"]
    out = result.stdout
    assert "Initializing modules...\nDownloading registry.terraform.io/alibaba/slb/alicloud 1.2.3 for slb...\n" \
           "- slb in .terraform/modules/slb\n- slb.listener in .terraform/modules/slb/modules/listener\n" in out
    assert "- slb.vpc in .terraform/modules/slb.vpc" in out
    assert "clbplan has been successfully initialized!" in out
    assert 'Try running "clbplan plan"' in out
    # the protocol as terraform speaks it: versions, then download; the client says which language it speaks
    assert "/terraform/modules/v1/alibaba/slb/alicloud/versions" in registry.requests
    assert "/terraform/modules/v1/alibaba/slb/alicloud/1.2.3/download" in registry.requests
    api = [h for p, h in zip(registry.requests, registry.headers, strict=True) if p.startswith("/terraform/")]
    assert api and all(h.get("X-Terraform-Version") == "1.11.4" for h in api)
    assert not [p for p in workdir.iterdir() if p.name.startswith(".clbplan-init-")]


def test_second_init_reuses_installed_modules_without_the_network(registry, workdir):
    registry_with_slb(registry)
    write(workdir / "main.tf", 'module "slb" {\n  source  = "alibaba/slb/alicloud"\n  version = "~> 1.1"\n}\n')
    assert run("init").exit_code == 0
    manifest = (workdir / ".terraform/modules/modules.json").read_bytes()
    mtime = os.stat(workdir / ".terraform/modules/slb/main.tf").st_mtime_ns
    registry.stop()
    result = run("init")
    assert result.exit_code == 0, result.output
    assert "Downloading" not in result.stdout
    assert (workdir / ".terraform/modules/modules.json").read_bytes() == manifest
    assert os.stat(workdir / ".terraform/modules/slb/main.tf").st_mtime_ns == mtime


def test_changed_constraint_and_upgrade_fetch_again(registry, workdir):
    registry_with_slb(registry)
    write(workdir / "main.tf", 'module "slb" {\n  source  = "alibaba/slb/alicloud"\n  version = "1.1.0"\n}\n')
    assert run("init").exit_code == 0
    assert '"Version":"1.1.0"' in (workdir / ".terraform/modules/modules.json").read_text()
    write(workdir / "main.tf", 'module "slb" {\n  source  = "alibaba/slb/alicloud"\n  version = ">= 1.2"\n}\n')
    result = run("init")
    assert result.exit_code == 0, result.output
    assert "Downloading registry.terraform.io/alibaba/slb/alicloud 2.0.0 for slb..." in result.stdout
    assert '"Version":"2.0.0"' in (workdir / ".terraform/modules/modules.json").read_text()
    registry.requests.clear()
    assert run("init", "-upgrade").exit_code == 0
    assert "/terraform/modules/v1/alibaba/slb/alicloud/versions" in registry.requests


def test_prerelease_is_chosen_only_when_asked_for_exactly(registry, workdir):
    registry_with_slb(registry)
    write(workdir / "main.tf", 'module "vpc" {\n  source  = "alibaba/vpc/alicloud"\n  version = "1.1.0-beta"\n}\n')
    result = run("init")
    assert result.exit_code == 0, result.output
    assert '"Version":"1.1.0-beta"' in (workdir / ".terraform/modules/modules.json").read_text()


def test_registry_host_and_subdir_and_absolute_download_address(registry, workdir):
    registry.get_style = "absolute"
    registry.add("acme", "lb", "alicloud", "0.9.0", {"main.tf": "", "modules/acl/main.tf": 'output "a" {\n  value = 1\n}\n'})
    write(workdir / "main.tf", 'module "acl" {\n  source = "regs.example.test/acme/lb/alicloud//modules/acl"\n}\n')
    result = run("init")
    assert result.exit_code == 0, result.output
    data = json.loads((workdir / ".terraform/modules/modules.json").read_text())
    assert data["Modules"][1] == {"Key": "acl", "Source": "regs.example.test/acme/lb/alicloud//modules/acl",
                                  "Version": "0.9.0", "Dir": ".terraform/modules/acl/modules/acl"}


def test_service_discovery_over_https(tls_registry, workdir):
    """No CLI host block: the base URL comes from https://HOST/.well-known/terraform.json."""
    tls_registry.add("alibaba", "vpc", "alicloud", "1.0.5", VPC)
    host = f"localhost:{tls_registry.port}"
    write(workdir / "main.tf", f'module "vpc" {{\n  source = "{host}/alibaba/vpc/alicloud"\n}}\n')
    result = run("init")
    assert result.exit_code == 0, result.output
    assert tls_registry.requests[0] == "/.well-known/terraform.json"
    rec = json.loads((workdir / ".terraform/modules/modules.json").read_text())["Modules"][1]
    assert rec == {"Key": "vpc", "Source": f"{host}/alibaba/vpc/alicloud", "Version": "1.0.5",
                   "Dir": ".terraform/modules/vpc"}


def test_bearer_token_goes_to_its_registry_api_only_and_is_never_printed(registry, workdir, monkeypatch):
    registry.add("acme", "lb", "alicloud", "0.9.0", {"main.tf": ""})
    registry.add("alibaba", "vpc", "alicloud", "1.0.5", VPC)
    monkeypatch.setenv("TF_TOKEN_regs_example_test", "s3cr3t-token")
    write(workdir / "main.tf", 'module "lb" {\n  source = "regs.example.test/acme/lb/alicloud"\n}\n\n'
                               'module "vpc" {\n  source = "alibaba/vpc/alicloud"\n}\n')
    result = run("init")
    assert result.exit_code == 0, result.output
    auth = {p: h.get("Authorization") for p, h in zip(registry.requests, registry.headers, strict=True)}
    assert auth["/terraform/modules/v1/acme/lb/alicloud/versions"] == "Bearer s3cr3t-token"
    assert auth["/terraform/modules/v1/acme/lb/alicloud/0.9.0/download"] == "Bearer s3cr3t-token"
    assert auth["/files/acme/lb/alicloud/0.9.0/pkg.tar.gz"] is None  # not with the package download
    assert auth["/terraform/modules/v1/alibaba/vpc/alicloud/versions"] is None  # another host's module
    assert "s3cr3t" not in result.output


def test_git_sources_with_ref_and_subdir(git_repo, workdir):
    url = f"git::file://{git_repo}"
    write(workdir / "main.tf", f'module "g" {{\n  source = "{url}?ref=v1.0"\n}}\n\n'
                               f'module "gs" {{\n  source = "{url}//sub?ref=v1.0"\n}}\n\n'
                               f'module "head" {{\n  source = "{url}"\n}}\n')
    result = run("init")
    assert result.exit_code == 0, result.output
    data = json.loads((workdir / ".terraform/modules/modules.json").read_text())
    assert data["Modules"] == [
        {"Key": "", "Source": "", "Dir": "."},
        {"Key": "g", "Source": f"{url}?ref=v1.0", "Dir": ".terraform/modules/g"},
        {"Key": "g.inner", "Source": "./sub", "Dir": ".terraform/modules/g/sub"},
        {"Key": "gs", "Source": f"{url}//sub?ref=v1.0", "Dir": ".terraform/modules/gs/sub"},
        {"Key": "head", "Source": url, "Dir": ".terraform/modules/head"},
    ]
    assert '"one"' in (workdir / ".terraform/modules/g/main.tf").read_text()  # the tag, not the branch head
    assert '"two"' in (workdir / ".terraform/modules/head/main.tf").read_text()
    assert f"Downloading {url}?ref=v1.0 for gs..." in result.stdout


def test_local_archives_and_local_paths(tmp_path, workdir):
    pkg = {"main.tf": 'output "root" {\n  value = 1\n}\n', "modules/x/main.tf": 'output "x" {\n  value = 2\n}\n'}
    (tmp_path / "m.tar.gz").write_bytes(tar_gz(pkg))
    (tmp_path / "m.zip").write_bytes(zip_bytes(pkg))
    write(workdir / "modules/lb/main.tf", 'module "sub" {\n  source = "./sub"\n}\n')
    write(workdir / "modules/lb/sub/main.tf", 'output "s" {\n  value = 3\n}\n')
    write(workdir / "main.tf", f'module "t" {{\n  source = "{tmp_path}/m.tar.gz//modules/x"\n}}\n\n'
                               f'module "z" {{\n  source = "{tmp_path}/m.zip"\n}}\n\n'
                               'module "pool" {\n  source = "./modules/lb"\n}\n')
    result = run("init")
    assert result.exit_code == 0, result.output
    assert (workdir / ".terraform/modules/modules.json").read_text() == (
        '{"Modules":[{"Key":"","Source":"","Dir":"."},'
        '{"Key":"pool","Source":"./modules/lb","Dir":"modules/lb"},'
        '{"Key":"pool.sub","Source":"./sub","Dir":"modules/lb/sub"},'
        f'{{"Key":"t","Source":"file://{tmp_path}/m.tar.gz//modules/x","Dir":".terraform/modules/t/modules/x"}},'
        f'{{"Key":"z","Source":"file://{tmp_path}/m.zip","Dir":".terraform/modules/z"}}]}}')
    # local paths are recorded, not copied
    assert not (workdir / ".terraform/modules/pool").exists()
    assert "- pool in modules/lb\n- pool.sub in modules/lb/sub\n" in result.stdout


def test_manifest_written_by_terraform_is_used_as_it_is(workdir):
    """A .terraform/modules left by `terraform init` (this manifest is the one terraform 1.11.4 wrote for
    this layout): nothing is fetched, the file is kept byte for byte."""
    recorded = ('{"Modules":[{"Key":"","Source":"","Dir":"."},{"Key":"slb","Source":"registry.terraform.io/alibaba/'
                'slb/alicloud","Version":"1.2.3","Dir":".terraform/modules/slb"},{"Key":"slb.listener","Source":'
                '"./modules/listener","Dir":".terraform/modules/slb/modules/listener"},{"Key":"slb.vpc","Source":'
                '"registry.terraform.io/alibaba/vpc/alicloud","Version":"1.0.5","Dir":".terraform/modules/slb.vpc"}]}')
    write(workdir / ".terraform/modules/modules.json", recorded)
    for name, text in SLB_123.items():
        write(workdir / ".terraform/modules/slb" / name, text)
    write(workdir / ".terraform/modules/slb.vpc/main.tf", VPC["main.tf"])
    write(workdir / "main.tf", 'module "slb" {\n  source  = "alibaba/slb/alicloud"\n  version = ">= 1.1, < 2.0"\n}\n')
    result = run("init")  # no registry at all: TF_CLI_CONFIG_FILE is unset and nothing is reachable
    assert result.exit_code == 0, result.output
    assert "Downloading" not in result.stdout
    assert (workdir / ".terraform/modules/modules.json").read_text() == recorded


def test_in_automation_there_are_no_next_steps(workdir, monkeypatch):
    write(workdir / "main.tf", 'output "x" {\n  value = 1\n}\n')
    monkeypatch.setenv("TF_IN_AUTOMATION", "1")
    result = run("init")
    assert result.exit_code == 0, result.output
    assert "clbplan has been successfully initialized!" in result.stdout
    assert "clbplan plan" not in result.stdout
    # no module calls: no manifest, as terraform
    assert not (workdir / ".terraform").exists()


# ---- bad input: one located error per module call, exit 1, nothing written ----------------------

def assert_nothing_written(workdir: Path, before: list[str]) -> None:
    assert tree(workdir) == before


@pytest.mark.parametrize("case", ["unreachable", "no_version", "unknown_module", "bad_ref", "missing_dir",
                                  "version_on_git", "bad_constraint", "not_an_address", "missing_subdir"])
def test_a_module_that_cannot_be_installed_is_a_located_error(case, registry, git_repo, workdir):
    registry_with_slb(registry)
    source = {
        "unreachable": 'source = "localhost:9/alibaba/slb/alicloud"',
        "no_version": 'source  = "alibaba/slb/alicloud"\n  version = ">= 3.0"',
        "unknown_module": 'source = "alibaba/nothing/alicloud"',
        "bad_ref": f'source = "git::file://{git_repo}?ref=v9.9"',
        "missing_dir": 'source = "./modules/nope"',
        "version_on_git": f'source  = "git::file://{git_repo}"\n  version = "1.0"',
        "bad_constraint": 'source  = "alibaba/slb/alicloud"\n  version = "newest"',
        "not_an_address": 'source = "modules/lb"',
        "missing_subdir": f'source = "git::file://{git_repo}//nothing?ref=v1.0"',
    }[case]
    # a good module beside the bad one: it must not be installed either (nothing half-written)
    write(workdir / "main.tf", 'module "good" {\n  source = "alibaba/vpc/alicloud"\n}\n\n'
                               f'module "broken" {{\n  {source}\n}}\n')
    before = tree(workdir)
    result = run("init")
    assert result.exit_code == 1, result.output
    err = result.stderr
    assert "main.tf:6:" in err or "main.tf:7:" in err, err
    assert '"broken"' in err
    assert "Traceback" not in result.output
    expected = {
        "unreachable": "Module registry unreachable",
        "no_version": 'no version of registry.terraform.io/alibaba/slb/alicloud that matches ">= 3.0"',
        "unknown_module": "Module not found in the registry",
        "bad_ref": 'has no branch, tag or commit "v9.9"',
        "missing_dir": "modules/nope",
        "version_on_git": "only registry modules have versions",
        "bad_constraint": "'newest' is not a version number",
        "not_an_address": "must start with ./ or ../",
        "missing_subdir": "no directory 'nothing'",
    }[case]
    assert expected in err, err
    if case not in ("missing_dir", "version_on_git", "bad_constraint", "not_an_address"):
        assert "source" in err and ("alibaba" in err or "git::" in err)
    assert_nothing_written(workdir, before)


def test_failed_init_keeps_what_was_installed_before(registry, workdir):
    registry_with_slb(registry)
    write(workdir / "main.tf", 'module "vpc" {\n  source = "alibaba/vpc/alicloud"\n}\n')
    assert run("init").exit_code == 0
    before = {p: p.read_bytes() for p in (workdir / ".terraform").rglob("*") if p.is_file()}
    write(workdir / "main.tf", 'module "vpc" {\n  source = "alibaba/vpc/alicloud"\n}\n\n'
                               'module "x" {\n  source = "alibaba/gone/alicloud"\n}\n')
    assert run("init").exit_code == 1
    after = {p: p.read_bytes() for p in (workdir / ".terraform").rglob("*") if p.is_file()}
    assert after == before


def test_module_cycle_and_duplicate_calls(workdir):
    write(workdir / "main.tf", 'module "self" {\n  source = "./"\n}\n\nmodule "self" {\n  source = "./m"\n}\n')
    result = run("init")
    assert result.exit_code == 1
    assert "main.tf:2:12: error: Module cycle" in result.stderr
    assert "main.tf:5:1: error: Duplicate module call" in result.stderr
    assert not (workdir / ".terraform").exists()


def test_unsafe_archive_is_refused(tmp_path, workdir):
    import io
    import tarfile

    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as t:
        data = b"owned"
        info = tarfile.TarInfo("../../escaped.txt")
        info.size = len(data)
        t.addfile(info, io.BytesIO(data))
    (tmp_path / "evil.tar.gz").write_bytes(buf.getvalue())
    write(workdir / "main.tf", f'module "e" {{\n  source = "{tmp_path}/evil.tar.gz"\n}}\n')
    result = run("init")
    assert result.exit_code == 1
    assert "Unsafe module archive" in result.stderr
    assert not (tmp_path / "escaped.txt").exists() and not (workdir.parent / "escaped.txt").exists()
    assert not (workdir / ".terraform").exists()
