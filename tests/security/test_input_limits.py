"""Threat: a mistaken or hostile input makes clbplan drop resources, eat all memory, or crash.

Every case here ends in exit 1 with a message that names the file and line and says what to do,
within 1 GiB of address space, with no traceback and the state untouched:

* a dangling ``.tf`` symlink or a symlink loop used to be skipped silently, so the plan destroyed
  everything that file declared;
* ``count = 1e9``, ``for_each`` over 10^6 keys, ``setproduct`` of three 1,000-element lists, a
  template that doubles itself 30 times, a list that nests itself 45 times, squaring a number 45
  times, ``format("%999999999d")``, a YAML "billion laughs" used to end in MemoryError ("This is
  a bug") or run for minutes; each is now refused naming the limit (docs/limits.md);
* a template that includes itself, a non-UTF-8 ``.tfvars`` file and a binary file given to
  ``apply`` used to print "This is a bug in clbplan";
* a 0-byte state file next to a good backup was read as "no state" (the next apply created
  everything a second time) and the backup then rotated to the empty file.
"""

from __future__ import annotations

import os
import resource
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GIB = 2**30

LB = """
resource "alicloud_slb_load_balancer" "web" {
  load_balancer_name   = "web"
  address_type         = "internet"
  internet_charge_type = "PayByTraffic"
  load_balancer_spec   = "slb.s1.small"
}
"""

ACL = """
resource "alicloud_slb_acl" "office" {
  name = "office"
}
"""


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (GIB, GIB))


def run(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "planner.cli.main", *args], cwd=cwd, capture_output=True,
                          text=True, timeout=120, preexec_fn=_cap_memory,
                          env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})


def assert_located_error(p: subprocess.CompletedProcess, *needles: str) -> str:
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    assert "This is a bug" not in out and "Traceback" not in out and "MemoryError" not in out, out
    for n in needles:
        assert n in out, out
    return out


@pytest.mark.parametrize("make_link", ["dangling", "loop"])
def test_unreadable_tf_symlink_is_an_error_not_a_silent_destroy(tmp_path: Path, make_link: str) -> None:
    (tmp_path / "lb.tf").write_text(LB)
    (tmp_path / "acl.tf").write_text(ACL)
    assert run(tmp_path, "apply", "-auto-approve").returncode == 0
    before = (tmp_path / "clbplan.tfstate").read_bytes()
    (tmp_path / "acl.tf").unlink()
    if make_link == "dangling":
        (tmp_path / "acl.tf").symlink_to("shared/acl.tf")  # e.g. a submodule not checked out
        why = "symbolic link to shared/acl.tf, which does not exist"
    else:
        (tmp_path / "acl.tf").symlink_to("acl.tf")
        why = "symbolic link that loops"
    for cmd in (["plan"], ["apply", "-auto-approve"], ["validate"]):
        out = assert_located_error(run(tmp_path, *cmd), "acl.tf:1", "Failed to read file", why, "fix or remove")
        assert "destroy" not in out.lower() or "0 to destroy" in out
    assert (tmp_path / "clbplan.tfstate").read_bytes() == before  # nothing written, nothing lost


def test_a_folder_named_like_a_tf_file_is_skipped_as_terraform_does(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(LB)
    (tmp_path / "modules.tf").mkdir()
    p = run(tmp_path, "plan")
    assert p.returncode == 0 and "1 to add" in p.stdout, p.stdout + p.stderr


def _doubling_template(n: int) -> str:
    lines = ['locals {', '  a0 = "xxxxxxxxxxxxxxxx"']
    lines += [f'  a{i} = "${{local.a{i - 1}}}${{local.a{i - 1}}}"' for i in range(1, n)]
    return "\n".join(lines) + f'\n}}\noutput "o" {{ value = length(local.a{n - 1}) }}\n'


def _doubling_list(n: int) -> str:
    lines = ['locals {', '  a0 = ["x"]'] + [f"  a{i} = [local.a{i - 1}, local.a{i - 1}]" for i in range(1, n)]
    return "\n".join(lines) + f'\n}}\noutput "o" {{ value = jsonencode(local.a{n - 1}) }}\n'


def _squaring(n: int) -> str:
    lines = ["locals {", "  a0 = 3"] + [f"  a{i} = local.a{i - 1} * local.a{i - 1}" for i in range(1, n)]
    return "\n".join(lines) + f'\n}}\noutput "o" {{ value = local.a{n - 1} }}\n'


BILLION_LAUGHS = "\\n".join(
    ["a: &a [x,x,x,x,x,x,x,x,x]"]
    + [f"{c}: &{c} [{', '.join(['*' + p] * 9)}]" for p, c in zip("abcdefgh", "bcdefghi", strict=True)])

HOSTILE = {
    "count": ('resource "terraform_data" "x" {\n  count = 1e9\n}\n',
              "main.tf:2", '"count" asks for 1,000,000,000 instances', "limit is 50,000"),
    "for_each": ('resource "terraform_data" "x" {\n'
                 '  for_each = toset(flatten([for i in range(1000) : [for j in range(1000) : "${i}-${j}"]]))\n}\n',
                 "main.tf:2", "1,000,000", "limit"),
    "setproduct": ('locals {\n  p = setproduct(range(1000), range(1000), range(1000))\n}\n'
                   'output "o" { value = length(local.p) }\n',
                   "main.tf:2", '"setproduct"', "1,000,000,000 elements", "limit is 1,000,000"),
    "doubling_template": (_doubling_template(30), "main.tf:", "16,777,216 characters"),
    "doubling_list": (_doubling_list(45), "main.tf:", "1,000,000 elements"),
    "squaring": (_squaring(45), "main.tf:", "100,000 bits"),
    "format_width": ('output "o" { value = length(format("%999999999d", 1)) }\n',
                     "main.tf:1", '"format"', "999,999,999"),
    "billion_laughs": (f'output "o" {{ value = yamldecode("{BILLION_LAUGHS}") }}\n',
                       "main.tf:1", "aliases expand to more than 1,000,000 elements"),
    "iterations": ('locals {\n  n = [for i in range(1000) : [for j in range(1000) : [for k in range(3) : k]]]\n}\n'
                   'output "o" { value = length(local.n) }\n',
                   "main.tf:", "2,000,000 iterations"),
}


@pytest.mark.parametrize("case", sorted(HOSTILE))
def test_hostile_sizes_end_in_a_located_error_naming_the_limit(tmp_path: Path, case: str) -> None:
    text, *needles = HOSTILE[case]
    (tmp_path / "main.tf").write_text(text)
    out = assert_located_error(run(tmp_path, "plan"), "Configuration limit exceeded" if case != "billion_laughs"
                               else "yamldecode", *needles)
    if case != "billion_laughs":
        assert "docs/limits.md" in out
    assert not (tmp_path / "clbplan.tfstate").exists()


def test_a_template_that_includes_itself_is_refused_as_terraform_does(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('output "o" { value = templatefile("${path.module}/t.tpl", {}) }\n')
    (tmp_path / "t.tpl").write_text('${templatefile("t.tpl", {})}\n')
    assert_located_error(run(tmp_path, "plan"), "main.tf:1", "cannot recursively call templatefile")


def test_a_tfvars_file_that_is_not_utf8_is_a_located_error(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text('variable "n" {\n  type = string\n}\n')
    (tmp_path / "bad.tfvars").write_bytes(b'n = "caf\xe9"\n')
    assert_located_error(run(tmp_path, "plan", "-var-file=bad.tfvars"), "bad.tfvars:1", "not valid UTF-8",
                         "save the file as UTF-8")


@pytest.mark.parametrize("content", [b"\x83\x00binary junk", b"hello, not json\n", b""])
def test_apply_of_a_file_that_is_not_a_plan_says_so(tmp_path: Path, content: bytes) -> None:
    (tmp_path / "main.tf").write_text(LB)
    (tmp_path / "p.plan").write_bytes(content)
    for cmd in (["apply", "p.plan"], ["show", "p.plan"]):
        assert_located_error(run(tmp_path, *cmd), "Failed to read plan file p.plan", "clbplan plan -out=FILE")
    assert not (tmp_path / "clbplan.tfstate").exists()


def _two_applies(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(LB)
    assert run(tmp_path, "apply", "-auto-approve").returncode == 0
    (tmp_path / "main.tf").write_text(LB + ACL)
    assert run(tmp_path, "apply", "-auto-approve").returncode == 0  # the backup now holds the load balancer


@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_a_damaged_state_next_to_a_good_backup_is_refused_and_the_backup_kept(tmp_path: Path, damage: str) -> None:
    _two_applies(tmp_path)
    state, backup = tmp_path / "clbplan.tfstate", tmp_path / "clbplan.tfstate.backup"
    good = state.read_bytes()
    kept = backup.read_bytes()
    assert b"alicloud_slb_load_balancer" in kept
    state.write_bytes(b"" if damage == "empty" else good[: len(good) // 2])
    for cmd in (["plan"], ["apply", "-auto-approve"], ["state", "list"]):
        out = assert_located_error(run(tmp_path, *cmd), "clbplan.tfstate", f"cp {backup}")
        if damage == "empty":
            assert "is empty (0 bytes)" in out and "clbplan.tfstate.backup is not" in out, out
        assert "create" not in out.split("error")[0], out  # nothing was applied before the refusal
    assert backup.read_bytes() == kept  # never replaced by the damaged file
    assert state.stat().st_size == (0 if damage == "empty" else len(good) // 2)
    # the way out the message gives works: the restored backup still tracks the load balancer
    (tmp_path / "clbplan.tfstate").write_bytes(kept)
    (tmp_path / "main.tf").write_text(LB)
    p = run(tmp_path, "plan")
    assert p.returncode == 0 and "No changes" in p.stdout, p.stdout + p.stderr


def test_an_empty_state_file_never_replaces_the_backup(tmp_path: Path) -> None:
    from planner.state.backend import LocalBackend
    from planner.state.model import State

    state, backup = tmp_path / "s.tfstate", tmp_path / "s.tfstate.backup"
    backup.write_text('{"version": 4, "serial": 3, "lineage": "x", "resources": [], "outputs": {}}')
    state.write_bytes(b"")
    LocalBackend(state).replace(State(lineage="y"))  # state push over a truncated file
    assert "x" in backup.read_text() and '"lineage": "y"' in state.read_text()
