"""Helpers for configuration tests: write .tf snippets to a temp dir, evaluate without the schema layer."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from planner.config import evaluation as evaluate_mod
from planner.config import load_configuration
from planner.config.expr import Evaluator, Scope
from planner.config.hclparse import parse_expression


@pytest.fixture
def no_schema(monkeypatch):
    """Evaluator tests must not depend on the schema helper's rules: switch its hooks off."""
    monkeypatch.setattr(evaluate_mod, "_schema_api", lambda: (None, None, None, None))


@pytest.fixture
def write_tf(tmp_path):
    def write(files: dict[str, str] | str, sub: str = "cfg") -> Path:
        d = tmp_path / sub
        d.mkdir(exist_ok=True)
        if isinstance(files, str):
            files = {"main.tf": files}
        for name, text in files.items():
            (d / name).write_text(textwrap.dedent(text).lstrip("\n"))
        return d
    return write


@pytest.fixture
def load(write_tf, no_schema):
    """Write files and evaluate them (schema layer off); returns the Configuration."""
    def run(files, **kwargs):
        d = write_tf(files)
        kwargs.setdefault("env", {})
        return load_configuration(d, **kwargs)
    return run


def _eval_expr(src: str, names: dict | None = None):
    """Evaluate one expression with ``names`` as its global roots (var, local, ...)."""
    roots = names or {}

    def root(n):
        return roots[n.name]
    return Evaluator(".").ev(parse_expression(src), Scope(root))


@pytest.fixture
def eval_expr():
    return _eval_expr
