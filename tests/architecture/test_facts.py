"""Type facts and CLB limits live in planner/schema/facts.py only: a second copy drifts (the
listener limit of the schema rule and of the ordering rule were two numbers in two files)."""

from __future__ import annotations

import ast
from pathlib import Path

from planner.schema import facts

REPO = Path(__file__).resolve().parents[2]

#: each set of type names that facts.py defines, by its name there
TYPE_SETS = {name: value for name, value in vars(facts).items()
             if name.isupper() and isinstance(value, frozenset) and len(value) > 1}


def _literal_strings(node: ast.AST) -> frozenset[str] | None:
    """The strings of a set/tuple/list literal (or frozenset({...}) call) of string constants."""
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id == "frozenset" and node.args:
        node = node.args[0]
    if isinstance(node, (ast.Set, ast.Tuple, ast.List)) and node.elts and all(
            isinstance(e, ast.Constant) and isinstance(e.value, str) for e in node.elts):
        return frozenset(e.value for e in node.elts)
    return None


def repeated_type_sets(root: Path) -> list[str]:
    """Every literal outside facts.py (and the emulator, which is the cloud and imports nothing of
    the planner) that spells out one of facts.py's type sets."""
    out: set[str] = set()  # a frozenset({...}) call and its set literal are one finding
    for path in sorted((root / "planner").rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        if rel.startswith("planner/emulator/") or rel == "planner/schema/facts.py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), rel)):
            got = _literal_strings(node)
            for name, value in TYPE_SETS.items():
                if got is not None and value <= got:
                    out.add(f"{rel}:{node.lineno} spells out facts.{name}")
    return sorted(out)


def test_type_sets_are_spelled_out_only_in_facts() -> None:
    assert "LOAD_BALANCER_TYPES" in TYPE_SETS and "BACKEND_GROUP_TYPES" in TYPE_SETS
    problems = repeated_type_sets(REPO)
    assert not problems, "\n".join(problems)


def test_a_second_copy_is_found(tmp_path: Path) -> None:
    (tmp_path / "planner" / "apply").mkdir(parents=True)
    (tmp_path / "planner" / "apply" / "x.py").write_text('LB_TYPES = ("alicloud_slb_load_balancer", "alicloud_slb")\n')
    assert repeated_type_sets(tmp_path) == ["planner/apply/x.py:1 spells out facts.LOAD_BALANCER_TYPES"]
