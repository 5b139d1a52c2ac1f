"""The import contract (tests/architecture/contract.py) holds for planner, and catches a wrong import."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.architecture.contract import RULES, check

REPO = Path(__file__).resolve().parents[2]


def test_planner_keeps_its_import_contract() -> None:
    problems = check(REPO)
    assert not problems, "import contract broken:\n" + "\n".join(map(str, problems))


def _tree(tmp_path: Path, files: dict[str, str]) -> Path:
    """A throwaway ``planner`` package with only ``files`` (path -> source)."""
    for rel, text in {"planner/__init__.py": "", **files}.items():
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        for parent in p.relative_to(tmp_path).parents:
            init = tmp_path / parent / "__init__.py"
            if parent != Path(".") and not init.exists():
                init.write_text("")
        p.write_text(text)
    return tmp_path


@pytest.mark.parametrize(("files", "rule", "imported"), [
    ({"planner/emulator/core.py": "from planner.plan.model import Plan\n"},
     "the emulator imports nothing of the planner", "planner.plan.model"),
    ({"planner/emulator/actions/x.py": "def f():\n    import planner.plan.diff\n"},  # inside a function
     "the emulator imports nothing of the planner", "planner.plan.diff"),
    ({"planner/plan/ordering.py": "from ..apply.executor import Executor\n"},  # relative
     "plan does not import apply, engine or cli", "planner.apply.executor"),
    ({"planner/plan/build.py": "from planner import engine\n"},
     "plan does not import apply, engine or cli", "planner.engine"),
    ({"planner/plan/planfile.py": "def f():\n    from planner.render.json_plan import plan_json\n"},
     "plan does not import render", "planner.render.json_plan"),
    ({"planner/providers/base.py": "from planner.plan.model import Operation\n"},
     "providers do not import plan", "planner.plan.model"),
    ({"planner/engine/run.py": "from planner.cli.common import EXIT_OK\n"},
     "nothing imports cli", "planner.cli.common"),
])
def test_a_wrong_import_is_reported_with_file_line_and_rule(tmp_path, files, rule, imported) -> None:
    root = _tree(tmp_path, files)
    problems = check(root)
    assert [(p.rule, p.imported) for p in problems if p.imported == imported] == [(rule, imported)], problems
    (path, _), = files.items()
    assert str(problems[0].path) == path and problems[0].line >= 1


def test_allowed_imports_are_not_reported(tmp_path) -> None:
    root = _tree(tmp_path, {
        "planner/emulator/core.py": "from planner.emulator.errors import ApiError\nfrom . import store\n",
        "planner/cli/main.py": "from planner.cli.common import EXIT_OK\nfrom planner.engine.run import run\n",
        "planner/plan/build.py": "from planner.plan.diff import Differ\n",
        "planner/providers/base.py": "from planner.state.model import State\n",
    })
    assert check(root) == []


def test_every_rule_is_exercised() -> None:
    """A rule added to the contract gets a failing example above."""
    assert {r.name for r in RULES} == {
        "the emulator imports nothing of the planner", "plan does not import apply, engine or cli",
        "plan does not import render", "providers do not import plan", "nothing imports cli"}
