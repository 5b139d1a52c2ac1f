"""The import contract of ``planner``, checked by walking the AST of every module.

Why by hand rather than import-linter: the rules are five lines, the walk is twenty, and it needs
no import graph library; it reads imports anywhere in a module (inside functions too, where a
wrong import hides best) without importing anything.

A rule forbids modules under ``source`` to import modules under any of ``forbidden``; ``allowed``
lists prefixes a forbidden one may still use (the emulator imports itself).
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class Rule:
    name: str
    source: str  # a package ("planner.emulator") or "*" for every module not under ``forbidden``
    forbidden: tuple[str, ...]
    allowed: tuple[str, ...] = ()


#: The layers (see docs/architecture.md): data flows one way, the emulator stands apart, and the
#: CLI is the process edge that nothing else may lean on.
RULES: tuple[Rule, ...] = (
    Rule("the emulator imports nothing of the planner", "planner.emulator", ("planner",),
         allowed=("planner.emulator",)),
    Rule("plan does not import apply, engine or cli", "planner.plan",
         ("planner.apply", "planner.engine", "planner.cli")),
    # the views of a plan are built from it, never the other way: a caller hands plan/ what it needs
    # of a view (planfile.py gets the JSON view from the CLI)
    Rule("plan does not import render", "planner.plan", ("planner.render",)),
    Rule("providers do not import plan", "planner.providers", ("planner.plan",)),
    Rule("nothing imports cli", "*", ("planner.cli",)),
)


@dataclass(frozen=True)
class Violation:
    rule: str
    module: str
    imported: str
    path: Path
    line: int

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.module} imports {self.imported} ({self.rule})"


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def module_name(root: Path, path: Path) -> str:
    """``root/planner/plan/model.py`` -> ``planner.plan.model`` (``__init__`` names its package)."""
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def imports_of(path: Path, module: str) -> Iterator[tuple[str, int]]:
    """Every module ``path`` imports, absolute, with its line: ``from . import x`` resolved, and
    ``from a import b`` counted as ``a.b`` too (``b`` may be a submodule)."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield alias.name, node.lineno
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")
                anchor = anchor[:len(anchor) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield base, node.lineno
            for alias in node.names:
                yield f"{base}.{alias.name}", node.lineno


def check(root: Path, rules: tuple[Rule, ...] = RULES, package: str = "planner") -> list[Violation]:
    """All violations of ``rules`` by the modules of ``package`` under ``root``."""
    found: list[Violation] = []
    for path in sorted((root / package).rglob("*.py")):
        module = module_name(root, path)
        seen: set[tuple[str, str]] = set()
        for imported, line in imports_of(path, module):
            for rule in rules:
                if rule.source == "*":
                    applies = not any(_under(module, f) for f in rule.forbidden)
                else:
                    applies = _under(module, rule.source)
                if not applies or any(_under(imported, a) for a in rule.allowed):
                    continue
                if any(_under(imported, f) for f in rule.forbidden) and (rule.name, imported) not in seen:
                    seen.add((rule.name, imported))
                    found.append(Violation(rule.name, module, imported, path.relative_to(root), line))
    return found
