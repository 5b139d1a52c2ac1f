"""Expression conformance: clbplan evaluates every corpus expression as Terraform 1.11 does.

expected.json holds Terraform's own answers (value and type, or the error), recorded by record.py;
the first test compares clbplan with it and needs no binary, the last re-asks Terraform and is
skipped where the binary is absent.
"""

from __future__ import annotations

import shutil
from typing import Any

import pytest

from planner.config.expr import EvalError, Evaluator, Scope
from planner.config.hclparse import SyntaxProblem, parse_expression
from planner.config.types import SetValue
from planner.values import UNKNOWN

from .corpus import HERE, kind_of_type, load_fixture, read_corpus, same_value

FIXTURE = load_fixture()
CASES = FIXTURE["cases"]


def evaluate(expr: str) -> Any:
    """One corpus expression through clbplan's parser and evaluator, files read from this directory."""
    def no_globals(n):
        raise EvalError("Reference to undeclared name", n.name, n.line, n.col)
    return Evaluator(str(HERE)).ev(parse_expression(expr), Scope(no_globals))


def clbplan_kind(v: Any) -> str:
    if v is None:
        return "null"
    if isinstance(v, bool):
        return "bool"
    if isinstance(v, (int, float)):
        return "number"
    if isinstance(v, str):
        return "string"
    if isinstance(v, SetValue):
        return "set"
    if isinstance(v, list):
        return "sequence"
    return "mapping"


def test_corpus_is_large_and_recorded():
    entries = read_corpus()
    assert len(entries) >= 300
    families = {name.rsplit("_", 1)[0] for name, _ in entries}
    assert {"string", "collection", "number", "encoding", "filesystem", "datetime", "hash", "network", "conv",
            "splat", "for", "template", "cond", "null", "set", "format", "regex"} <= families
    assert {n: e for n, e in entries} == {n: c["expr"] for n, c in CASES.items()}, \
        "corpus.txt changed: run tests/config/conformance/record.py"
    assert sum("error" in c for c in CASES.values()) >= 40


@pytest.mark.parametrize("name", sorted(CASES))
def test_expression_matches_terraform(name, monkeypatch):
    case = CASES[name]
    monkeypatch.chdir(HERE)
    if "known_difference" in case:
        pytest.xfail(case["known_difference"])
    if "error" in case:
        with pytest.raises((EvalError, SyntaxProblem)):
            got = evaluate(case["expr"])
            print("clbplan gave", repr(got))
        return
    got = evaluate(case["expr"])
    assert got is not UNKNOWN
    want_kind = kind_of_type(case["type"])
    assert clbplan_kind(got) == want_kind, f"{case['expr']}: {got!r} is a {clbplan_kind(got)}, Terraform: {case['type']}"
    ordered = not (isinstance(case["type"], list) and case["type"][0] == "set"
                   and any(isinstance(x, (dict, list)) for x in case["value"]))
    assert same_value(got, case["value"], set_order_free=not ordered), \
        f"{case['expr']}: clbplan {got!r}, Terraform {case['value']!r}"


@pytest.mark.skipif(shutil.which("terraform") is None, reason="the terraform binary is not on this machine")
def test_fixture_is_what_terraform_says():
    from .record import run_terraform
    entries = read_corpus()
    fresh = run_terraform(entries)
    for name, _expr in entries:
        rec, now = CASES[name], fresh[name]
        if "error" in rec:
            assert "error" in now, f"{name}: Terraform no longer fails: {now}"
        else:
            assert now.get("type") == rec["type"] and same_value(now["value"], rec["value"]), (name, now, rec)
