"""Threat: an input a user (or a pull request) controls reaches "This is a bug in clbplan".

The process edge (``planner/cli/main.py``, ``ClbplanGroup.invoke``) turns any exception it does
not know into "Error: <Type>: ... This is a bug in clbplan" and exit 1: a crash, not a message the
user can act on. A hunt fed every option and file a user controls with malformed values (the
report lists them): -var values, -var-file/.tfvars(.json), -target, -replace, import addresses and
ids, workspace names (argument and TF_WORKSPACE), state subcommand addresses, state push files,
the backend block, moved/removed/import blocks, .terraform/modules/modules.json,
.terraform.lock.hcl, plan files given to apply/show, console input, -parallelism, -lock-timeout.

Found on the old code, each "This is a bug": a -var list nested 3,000 deep and a .tfvars.json
nested 5,000 deep (RecursionError); a .tfvars.json number of 5,000 digits (ValueError); a
workspace name of 300 characters (OSError: File name too long); a modules.json nested 5,000 deep
(RecursionError) or not UTF-8 (UnicodeDecodeError); ``backend "local" { path = "/proc/x/y" }``
(FileNotFoundError) and a path holding "\\u0000" (ValueError: embedded null byte); a plan file
nested 100,000 deep (RecursionError); a console expression nested 5,000 deep (RecursionError).
Also found: the workspace names "." and ".." were accepted, and ".." wrote its state at the top of
the checkout (``terraform.tfstate`` beside the default workspace's), "." into terraform.tfstate.d.

Each now ends in exit 1 with a located message; ``test_the_hunts_other_inputs_stay_located``
keeps the inputs that were already handled from regressing.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.support.cli import invoke_in

ROOT = Path(__file__).resolve().parents[2]

VARS = """
variable "l" {
  type    = list(string)
  default = []
}
variable "n" {
  type    = number
  default = 1
}
"""


@pytest.fixture(scope="module")
def applied(tmp_path_factory: pytest.TempPathFactory) -> Path:
    work = tmp_path_factory.mktemp("input-errors")
    shutil.copytree(ROOT / "examples" / "vserver-groups", work, dirs_exist_ok=True)
    (work / "vars.tf").write_text(VARS)
    r = invoke_in(work, "apply", "-auto-approve", "-no-color")
    assert r.exit_code == 0, r.output
    return work


@pytest.fixture
def work(applied: Path, tmp_path: Path) -> Path:
    """A copy of the applied checkout (state and cloud included) for one test to damage."""
    w = tmp_path / "w"
    shutil.copytree(applied, w, symlinks=True)
    return w


def located(w: Path, *args: str, input: str | None = None) -> str:
    old = os.getcwd()
    os.chdir(w)
    try:
        from click.testing import CliRunner

        from planner.cli.main import cli

        r = CliRunner().invoke(cli, [*args], catch_exceptions=False, input=input)
    finally:
        os.chdir(old)
    out = r.output
    assert "This is a bug" not in out and "Traceback" not in out, out
    assert r.exit_code == 1, out
    assert "error" in out.lower(), out
    return out


def test_a_var_nested_thousands_deep(work: Path) -> None:
    out = located(work, "plan", "-refresh=false", "-var", "l=" + "[" * 3000 + "]" * 3000)
    assert "<value for var.l from -var>" in out and "nests brackets more than 100 levels deep" in out, out


def test_a_tfvars_json_nested_thousands_deep(work: Path) -> None:
    (work / "d.tfvars.json").write_text('{"l": ' + "[" * 5000 + "]" * 5000 + "}")
    out = located(work, "plan", "-refresh=false", "-var-file=d.tfvars.json")
    assert "d.tfvars.json:1:" in out and "Expression too deeply nested" in out, out


def test_a_tfvars_json_number_too_long_to_read(work: Path) -> None:
    (work / "d.tfvars.json").write_text('{"n": 1' + "0" * 5000 + "}")
    out = located(work, "plan", "-refresh=false", "-var-file=d.tfvars.json")
    assert "d.tfvars.json:1:1" in out and "Invalid JSON in variables file" in out and "4300 digits" in out, out


@pytest.mark.parametrize("name, why", [
    ("x" * 300, "a workspace name of 300 bytes is too long: clbplan's limit is 200 bytes"),
    ("..", "'..' is not a valid workspace name: it names a folder, not a workspace"),
    (".", "'.' is not a valid workspace name: it names a folder, not a workspace"),
])
def test_a_workspace_name_that_cannot_be_a_folder(work: Path, name: str, why: str) -> None:
    before = sorted(p.name for p in work.iterdir())
    for cmd in ("new", "select"):
        out = located(work, "workspace", cmd, name)
        assert why in out, out
    assert sorted(p.name for p in work.iterdir()) == before  # no terraform.tfstate beside the checkout's


MODULE = 'module "m" {\n  source = "./mod"\n}\n'


@pytest.mark.parametrize("content, needle", [
    ("[" * 5000 + "]" * 5000, "too deep or too large a number"),
    (b"\xff\xfe{}", "is not UTF-8 text (byte 0)"),
])
def test_a_damaged_module_manifest(work: Path, content: str | bytes, needle: str) -> None:
    (work / "mod.tf").write_text(MODULE)
    (work / "mod").mkdir()
    (work / "mod" / "main.tf").write_text('output "x" {\n  value = 1\n}\n')
    manifest = work / ".terraform" / "modules" / "modules.json"
    manifest.parent.mkdir(parents=True)
    manifest.write_bytes(content if isinstance(content, bytes) else content.encode())
    out = located(work, "plan", "-refresh=false")
    assert "Failed to read module manifest" in out and ".terraform/modules/modules.json" in out and needle in out, out


@pytest.mark.parametrize("path, needle", [
    ("/proc/x/y.tfstate", "cannot create the folder /proc/x of the state file /proc/x/y.tfstate"),
    ("a\\u0000b", 'The local backend\'s "path" contains a NUL character'),
])
def test_a_backend_path_that_cannot_be_a_file(work: Path, path: str, needle: str) -> None:
    (work / "backend.tf").write_text(f'terraform {{\n  backend "local" {{\n    path = "{path}"\n  }}\n}}\n')
    out = located(work, "plan", "-refresh=false")
    assert needle in out, out


def test_a_plan_file_nested_thousands_deep(work: Path) -> None:
    (work / "p.plan").write_text("[" * 100_000 + "]" * 100_000)
    for cmd in (["apply", "p.plan"], ["show", "p.plan"]):
        out = located(work, *cmd)
        assert "Failed to read plan file p.plan" in out and "nests too deeply" in out, out


def test_a_console_expression_nested_thousands_deep(work: Path) -> None:
    out = located(work, "console", input="[" * 5000 + "]" * 5000 + "\n")
    assert "Expression too deeply nested" in out and "limit is 100 levels" in out, out


GUARD = [
    ["plan", "-refresh=false", "-var", "n=abc"],
    ["plan", "-refresh=false", "-var", "l={a=1}"],
    ["plan", "-refresh=false", "-var", "n=" + "9" * 5000],
    ["plan", "-refresh=false", "-var", "nope=1"],
    ["plan", "-refresh=false", "-target", "alicloud_vpc.main["],
    ["plan", "-refresh=false", "-target", "alicloud_instance.app[1e99]"],
    ["plan", "-refresh=false", "-target", "alicloud_vpc.main[" + "9" * 5000 + "]"],
    ["plan", "-refresh=false", "-replace", "alicloud_vpc.main.id"],
    ["plan", "-refresh=false", "-replace", "data.alicloud_zones.default"],
    ["import", "alicloud_slb_listener.web_http", "a:b:c:d"],
    ["import", "alicloud_slb_server_group_server_attachment.admin_app_a", "rsp-x:i-y:notaport"],
    ["import", "alicloud_vpc.main[", "x"],
    ["state", "show", "alicloud_instance.app[*]"],
    ["state", "mv", "alicloud_vpc.main", "alicloud_vswitch.x"],
    ["plan", "-parallelism=-5"],
    ["plan", "-lock-timeout=abc"],
    ["plan", "-state=.clbplan"],
]


@pytest.mark.parametrize("args", GUARD, ids=lambda a: " ".join(a)[:60])
def test_the_hunts_other_inputs_stay_located(applied: Path, args: list[str]) -> None:
    before = (applied / "clbplan.tfstate").read_bytes()
    located(applied, *args)
    assert (applied / "clbplan.tfstate").read_bytes() == before
