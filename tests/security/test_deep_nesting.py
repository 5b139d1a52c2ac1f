"""Threat: a configuration nested deeper than Python's stack crashes clbplan or never ends.

Each case ends in exit 1 within 10 s and 1 GiB of address space, with an error that names the
file, line and column and the limit (docs/limits.md), and no traceback:

* a ``.tf.json`` whose value nests 10,000 lists or objects deep used to print
  "RecursionError: maximum recursion depth exceeded ... This is a bug in clbplan";
* an HCL expression nesting 5,000 parentheses, function calls, for expressions, lists, objects
  or templates used to be reported at ``main.tf:1:1`` whatever line it was on (and a .tf.json
  of 500 levels passed the parser and crashed later); a chain of 5,000 ``+`` or ``? :`` has no
  brackets to count and is still refused at the longest line;
* a module whose source is its own folder (``./``), two modules calling each other, and a chain
  of 200 modules each calling the next: the first two are cycles, the third used to be called
  a "Module cycle" too with a 19,000-character detail; it now names the depth limit.
"""

from __future__ import annotations

import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
GIB = 2**30
N, M = 10_000, 5_000


def _cap_memory() -> None:
    resource.setrlimit(resource.RLIMIT_AS, (GIB, GIB))


def _plan_process(cwd: Path) -> tuple[subprocess.CompletedProcess, float]:
    started = time.monotonic()
    p = subprocess.run([sys.executable, "-m", "planner.cli.main", "plan", "-no-color"], cwd=cwd,
                       capture_output=True, text=True, timeout=120, preexec_fn=_cap_memory,
                       env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})
    return p, time.monotonic() - started


_STARTUP: list[float] = []


def _startup(tmp: Path) -> float:
    """What starting clbplan and planning nothing costs on this machine now (a loaded CI runner
    takes seconds): the 10 s budget is for the work on top of it."""
    if not _STARTUP:
        empty = tmp / "empty-config"
        empty.mkdir()
        _STARTUP.append(_plan_process(empty)[1])
    return _STARTUP[0]


def plan(cwd: Path) -> tuple[str, float]:
    base = _startup(cwd.parent)
    p, elapsed = _plan_process(cwd)
    out = p.stdout + p.stderr
    assert p.returncode == 1, out
    assert "This is a bug" not in out and "Traceback" not in out and "RecursionError" not in out, out
    assert elapsed < 10 + base, f"{elapsed:.1f}s (an empty plan took {base:.1f}s)"
    return out, elapsed


def _local(expr: str) -> str:
    return f"locals {{\n  a = {expr}\n}}\n"


DEEP = {
    "json lists": ("main.tf.json", '{"locals": {"a": ' + "[" * N + "1" + "]" * N + "}}", "main.tf.json:1:116"),
    "json objects": ("main.tf.json", '{"locals": {"a": ' + '{"k": ' * N + "1" + "}" * N + "}}", "main.tf.json:1:"),
    "parentheses": ("main.tf", _local("(" * M + "1" + ")" * M), "main.tf:2:106"),
    "function calls": ("main.tf", _local("max(" * M + "1" + ")" * M), "main.tf:2:"),
    "for expressions": ("main.tf", _local("[for x in " * M + "[1]" + " : x]" * M), "main.tf:2:"),
    "objects": ("main.tf", _local("{k = " * M + "1" + "}" * M), "main.tf:2:"),
    "templates": ("main.tf", _local('"${' * M + "1" + '}"' * M), "main.tf:2:"),
}


@pytest.mark.parametrize("name", sorted(DEEP))
def test_deep_brackets_are_refused_where_they_go_past_the_limit(tmp_path: Path, name: str) -> None:
    filename, text, where = DEEP[name]
    (tmp_path / filename).write_text(text)
    out, _ = plan(tmp_path)
    assert f"{where}" in out and "error: Expression too deeply nested" in out, out
    assert "nest more than 100 levels deep here; clbplan's limit is 100 levels" in out, out
    assert "docs/limits.md" in out


@pytest.mark.parametrize("expr", [" + ".join(["1"] * M), "true ? " * M + "1" + " : 2" * M])
def test_a_long_chain_without_brackets_is_refused_at_its_line(tmp_path: Path, expr: str) -> None:
    (tmp_path / "main.tf").write_text('variable "v" {\n  default = 1\n}\n\n' + _local(expr))
    out, _ = plan(tmp_path)
    assert "main.tf:6:1: error: Expression too deeply nested" in out, out
    assert "chains more operators or conditionals than clbplan can parse" in out, out


def test_nesting_within_the_limit_still_plans(tmp_path: Path) -> None:
    depth = 90  # a real configuration nests a dozen levels
    (tmp_path / "main.tf").write_text(_local("[" * depth + "1" + "]" * depth)
                                      + 'resource "terraform_data" "x" {\n  input = length(flatten(local.a)) + length(flatten(local.b))\n}\n')
    (tmp_path / "extra.tf.json").write_text(json.dumps({"locals": {"b": json.loads("[" * depth + "2" + "]" * depth)}}))
    p = subprocess.run([sys.executable, "-m", "planner.cli.main", "plan", "-no-color"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=120,
                       env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})
    assert p.returncode == 0 and "+ input  = 2" in p.stdout, p.stdout + p.stderr


def _module(d: Path, source: str, extra: str = "") -> None:
    d.mkdir(parents=True, exist_ok=True)
    (d / "main.tf").write_text(f'module "m" {{\n  source = "{source}"\n}}\n{extra}')


def test_a_module_that_calls_its_own_folder_is_a_cycle(tmp_path: Path) -> None:
    _module(tmp_path, "./")
    out, _ = plan(tmp_path)
    assert "main.tf:2:3: error: Module cycle" in out and "a module cannot call itself" in out, out


def test_two_modules_calling_each_other_are_a_cycle(tmp_path: Path) -> None:
    _module(tmp_path, "./a")
    _module(tmp_path / "a", "../b")
    _module(tmp_path / "b", "../a")
    out, _ = plan(tmp_path)
    assert "b/main.tf:2:3: error: Module cycle" in out, out


def test_a_chain_of_200_modules_names_the_depth_limit_not_a_cycle(tmp_path: Path) -> None:
    d = tmp_path
    _module(d, "./m")
    for _ in range(200):
        d = d / "m"
        _module(d, "./m")
    out, _ = plan(tmp_path)
    assert "error: Modules nested too deeply" in out and "Module cycle" not in out, out
    assert "would be module number 65" in out and "clbplan's limit is 64 levels" in out, out
    assert len(out) < 3000, len(out)  # the chain is shortened, not 19,000 characters
