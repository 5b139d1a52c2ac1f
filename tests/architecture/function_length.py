"""The function-length rule of ``planner`` (issue 10): no function longer than ``LIMIT`` lines.

A function is counted from its ``def`` line (decorators excluded) to its last line, docstring and
blank lines included, as ``ast`` reports them (``end_lineno - lineno + 1``); methods and nested
functions count on their own, and a nested function's lines count in its parent too.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

LIMIT = 80

#: Functions allowed to be longer, as (path under the root, qualified name), each with why. Keep it
#: short: a new entry needs the same kind of reason.
EXEMPT: frozenset[tuple[str, str]] = frozenset({
    # The emulator's action handlers: one handler mirrors one cloud API action, checking its
    # parameters in the order the real API does; splitting them would scatter that order.
    ("planner/emulator/actions/slb_listeners.py", "_apply"),
    ("planner/emulator/actions/slb_instances.py", "create_load_balancer"),
    # The listener parameter map: one flat table from each listener argument to its API parameter,
    # read top to bottom beside the provider's documentation.
    ("planner/providers/alicloud/slb_listener.py", "ListenerHandler._params"),
})


@dataclass(frozen=True)
class LongFunction:
    path: str  # relative to the root, with "/" separators
    name: str  # qualified: Class.method, outer.inner
    lines: int

    def __str__(self) -> str:
        return f"{self.path}:{self.name}:{self.lines}"


def functions(source: str, filename: str = "<source>") -> Iterator[tuple[str, int]]:
    """Every function of ``source`` as (qualified name, line count)."""
    def visit(node: ast.AST, prefix: str) -> Iterator[tuple[str, int]]:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef)):
                name = prefix + child.name
                yield name, (child.end_lineno or child.lineno) - child.lineno + 1
                yield from visit(child, name + ".")
            elif isinstance(child, ast.ClassDef):
                yield from visit(child, prefix + child.name + ".")
            else:
                yield from visit(child, prefix)

    yield from visit(ast.parse(source, filename=filename), "")


def long_functions(root: Path, package: str = "planner", limit: int = LIMIT,
                   exempt: frozenset[tuple[str, str]] = EXEMPT) -> list[LongFunction]:
    """The functions of ``package`` under ``root`` longer than ``limit`` lines and not in ``exempt``."""
    found: list[LongFunction] = []
    for path in sorted((root / package).rglob("*.py")):
        rel = path.relative_to(root).as_posix()
        for name, lines in functions(path.read_text(encoding="utf-8"), str(path)):
            if lines > limit and (rel, name) not in exempt:
                found.append(LongFunction(rel, name, lines))
    return found
