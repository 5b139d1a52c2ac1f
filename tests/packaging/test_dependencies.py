"""Dependencies as used (issue 16, item 11): what the code imports is what pyproject.toml declares.

A CI script installs ``pip install .`` for a user and ``pip install -e '.[test]'`` for the suite, so:

* every third-party module that ``planner/`` imports must come from a distribution in ``dependencies``
  (otherwise a plain install fails at run time, as the official SDK once did behind a ``[wire]`` extra);
* every third-party module that ``tests/`` or ``bench/`` imports must come from ``dependencies`` or the
  ``test`` extra (otherwise tests skip or fail on a fresh clone);
* nothing is declared that no code imports, except the tools CI runs as commands (listed below, each with
  the reason).

Imports are read with ``ast`` (function-level and guarded imports count: they run on some path), and import
names are mapped to distributions with ``importlib.metadata.packages_distributions``, so a distribution
whose import name differs (``python-hcl2`` -> ``hcl2``, ``PyYAML`` -> ``yaml``) is matched exactly.
"""

from __future__ import annotations

import ast
import re
import sys
import tomllib
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]

#: declared but never imported, on purpose: the command CI runs (``.ci/run`` ends with ``ruff check``)
COMMAND_ONLY = {"ruff": ".ci/run and the landing checks run `ruff check planner tests bench`",
                "pytest-xdist": "a pytest plugin: pyproject's addopts `-n auto` runs the suite on every core"}


def _canonical(name: str) -> str:
    """PEP 503 normalised distribution name (``PyYAML`` == ``pyyaml``, ``python_hcl2`` == ``python-hcl2``)."""
    return re.sub(r"[-_.]+", "-", name).lower()


def _requirement_name(spec: str) -> str:
    """The distribution name of a PEP 508 requirement string (``psycopg[binary]>=3.1`` -> ``psycopg``)."""
    match = re.match(r"\s*([A-Za-z0-9][A-Za-z0-9._-]*)", spec)
    assert match, f"pyproject.toml: cannot read the requirement {spec!r}"
    return _canonical(match.group(1))


def _declared() -> tuple[set[str], set[str]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    runtime = {_requirement_name(s) for s in project["dependencies"]}
    test = {_requirement_name(s) for s in project["optional-dependencies"]["test"]}
    return runtime, test


def _local_modules() -> set[str]:
    """Top-level names that resolve to files of this repository (tests put their own folders on sys.path)."""
    names = {"planner", "tests", "bench"}
    for path in ROOT.rglob("*.py"):
        rel = path.relative_to(ROOT)
        if rel.parts[0] in {".venv", ".git", ".clbplan", "build"}:
            continue
        names.add(path.stem)
        names.update(rel.parts[:-1])
    return names


def _imports(folder: str) -> dict[str, set[str]]:
    """Top-level module name -> files (relative) importing it, for every absolute import under folder."""
    found: dict[str, set[str]] = {}
    for path in sorted((ROOT / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        for node in ast.walk(tree):
            if isinstance(node, ast.Import):
                modules = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules = [node.module]
            else:
                continue
            for module in modules:
                found.setdefault(module.split(".")[0], set()).add(str(path.relative_to(ROOT)))
    return found


def _third_party(folder: str) -> dict[str, set[str]]:
    local = _local_modules()
    return {name: files for name, files in _imports(folder).items()
            if name not in sys.stdlib_module_names and name not in local}


def _distributions(import_name: str, where: set[str]) -> set[str]:
    dists = packages_distributions().get(import_name)
    if not dists:
        pytest.fail(f"`import {import_name}` ({', '.join(sorted(where))}) comes from no installed distribution: "
                    "install it and declare it in pyproject.toml")
    return {_canonical(d) for d in dists}


def _undeclared(folder: str, allowed: set[str]) -> list[str]:
    problems = []
    for name, files in sorted(_third_party(folder).items()):
        dists = _distributions(name, files)
        if not dists & allowed:
            problems.append(f"`import {name}` (distribution {', '.join(sorted(dists))}) in "
                            f"{', '.join(sorted(files)[:3])} is not declared")
    return problems


def test_planner_imports_only_runtime_dependencies() -> None:
    runtime, _ = _declared()
    problems = _undeclared("planner", runtime)
    assert not problems, "add these to [project] dependencies in pyproject.toml:\n" + "\n".join(problems)


def test_tests_and_bench_import_only_declared_packages() -> None:
    runtime, test = _declared()
    problems = _undeclared("tests", runtime | test) + _undeclared("bench", runtime | test)
    assert not problems, "add these to the `test` extra in pyproject.toml:\n" + "\n".join(problems)


def test_every_runtime_dependency_is_imported_by_planner() -> None:
    runtime, _ = _declared()
    used = set()
    for name, files in _third_party("planner").items():
        used |= _distributions(name, files)
    unused = sorted(runtime - used)
    assert not unused, (f"declared in [project] dependencies but never imported by planner/: {unused}; "
                        "remove them, or move them to the `test` extra if only tests use them")


def test_every_test_extra_is_imported_or_run_as_a_command() -> None:
    runtime, test = _declared()
    used = set()
    for folder in ("tests", "bench"):
        for name, files in _third_party(folder).items():
            used |= _distributions(name, files)
    unused = sorted(test - used - set(COMMAND_ONLY))
    assert not unused, f"declared in the `test` extra but never imported by tests/ or bench/: {unused}"
    duplicated = sorted(test & runtime)
    assert not duplicated, f"already runtime dependencies, drop them from the `test` extra: {duplicated}"


def test_official_sdk_is_a_plain_dependency() -> None:
    """A served emulator or a real endpoint must work after `pip install clbplan`: no SDK behind an extra."""
    runtime, _ = _declared()
    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    assert {"alibabacloud-tea-openapi", "darabonba-core"} <= runtime
    assert set(project["optional-dependencies"]) == {"test"}, "only the `test` extra: no feature hides behind one"
