"""The compiled form of expressions (what a block's instances evaluate) answers exactly as the tree walk.

Every expression of the Terraform conformance corpus, of the evaluator's own table and a set with
unknown values, ``each``/``count`` bindings and errors is evaluated both ways: same value and type,
or the same error (summary, detail, line and column). Then whole blocks: errors keep their
file:line per instance, sensitive marks stay per argument.
"""

from __future__ import annotations

from typing import Any

import pytest

from planner.config.expr import EvalError, Evaluator, Scope
from planner.config.hclparse import SyntaxProblem, parse_expression
from planner.values import UNKNOWN
from tests.config.conformance.corpus import HERE, read_corpus
from tests.config.test_config_expressions import CASES

# (expression, bindings): unknowns, instance bindings and the errors the compiled closures raise themselves
EXTRA = [
    ("var.u + 1", {}), ('"a-${var.u}"', {}), ('"${each.key}-${each.value * 40 + 3}"', {}),
    ("var.lst[each.value]", {}), ("var.lst[each.value + 5]", {}), ('var.obj["nope"]', {}),
    ("var.obj.nope", {}), ("var.obj.a.b", {}), ("var.n.x", {}), ("var.n[0]", {}),
    ('var.u ? 1 : "a"', {}), ('true ? 1 : "a"', {}), ("false ? [1] : {}", {}), ("var.n ? 1 : 2", {}),
    ('"x" ? 1 : 2', {}), ("var.u && false", {}), ("var.u || true", {}), ("var.u && true", {}),
    ('1 && "true"', {}), ("-var.u", {}), ('!"x"', {}), ("-\"3\"", {}), ("[var.u, 1][1]", {}),
    ("{(var.u) = 1}", {}), ("{(var.lst) = 1}", {}), ('"${var.lst}"', {}), ('"${var.n}x"', {}),
    ("count.index * 2 - 1", {"count": {"index": 4}}), ("each.key", {"each": {"key": "k", "value": 1}}),
    ('"${each.key}:${each.value * 40 + 1}"', {"each": {"key": "lb1", "value": 2}}),
    ("var.lst[each.value * 2]", {"each": {"key": "k", "value": 1}}), ("var.u[0]", {}), ("var.u.a", {}),
    ('format("%s", var.u)', {}), ("nosuchfunction(1)", {}), ("lenght([1])", {}), ("core::length([1, 2])", {}),
    ("max(var.lst...)", {}), ("max(var.u...)", {}), ('max("a"...)', {}), ("length()", {}),
    ('contains(["a"], each.key)', {"each": {"key": "a", "value": 0}}), ("1 / 0", {}), ("5 % 0", {}),
    ("9007199254740993 * 9007199254740993", {}), ("1.5 == 1.5", {}), ('"a" != 1', {}), ("3 >= var.u", {}),
]


def _root(n: Any) -> Any:
    if n.name == "var":
        return {"u": UNKNOWN, "lst": [10, 11, 12], "obj": {"a": "s"}, "n": None}
    raise EvalError("Reference to undeclared name", n.name, n.line, n.col)


def _outcome(fn: Any) -> tuple:
    try:
        v = fn()
    except EvalError as x:
        return ("error", x.summary, x.detail, x.line, x.col, x.hint)
    return ("value", type(v).__name__, repr(v))


def _both(src: str, bindings: dict) -> tuple[tuple, tuple]:
    try:
        e = parse_expression(src)
    except SyntaxProblem as p:  # refused before any evaluation: nothing to compare
        return ("syntax", p.summary), ("syntax", p.summary)
    walk = _outcome(lambda: Evaluator(str(HERE)).ev(e, Scope(_root, dict(bindings))))
    compiled = _outcome(lambda: Evaluator(str(HERE)).compiled(e)(Scope(_root, dict(bindings))))
    return walk, compiled


VOLATILE = ("timestamp", "uuid", "bcrypt", "plantimestamp")
EXPRESSIONS = [(f"corpus:{name}", src, {}) for name, src in read_corpus()] + \
    [(f"table:{i}", src, {}) for i, (src, _v) in enumerate(CASES)] + \
    [(f"extra:{i}", src, b) for i, (src, b) in enumerate(EXTRA)]


@pytest.mark.parametrize("case", EXPRESSIONS, ids=[c[0] for c in EXPRESSIONS])
def test_compiled_answers_as_the_tree_walk(case):
    _name, src, bindings = case
    walk, compiled = _both(src, bindings)
    if walk != compiled and any(v in src for v in VOLATILE):
        assert walk[:2] == compiled[:2]  # a fresh timestamp or uuid each time: same kind of answer
        return
    assert compiled == walk


def test_a_compiled_expression_is_built_once_per_evaluator():
    ev = Evaluator(".")
    e = parse_expression('"lb-${each.key}"')
    assert ev.compiled(e) is ev.compiled(e)
    assert ev.compiled(e)(Scope(_root, {"each": {"key": "a"}})) == "lb-a"
    assert ev.compiled(e)(Scope(_root, {"each": {"key": "b"}})) == "lb-b"


def test_block_instances_keep_their_own_errors_and_marks(load):
    """One for_each block, three instances: the one whose key indexes past the list reports its own
    error at the argument's line; a sensitive input marks the argument of every instance."""
    from planner.diagnostics import DiagnosticsError

    with pytest.raises(DiagnosticsError) as err:
        load('''
            variable "ports" {
              default = [80, 81]
            }
            resource "terraform_data" "x" {
              for_each = {a = 0, b = 1, c = 2}
              input    = var.ports[each.value]
            }
        ''')
    diags = [d for d in err.value.diagnostics if d.severity == "error"]
    assert [(d.summary, d.pos.line) for d in diags] == [("Invalid index", 6)]
    assert "index 2 is out of range" in diags[0].detail

    config = load('''
        variable "secret" {
          default   = "s3cr3t"
          sensitive = true
        }
        resource "terraform_data" "x" {
          for_each = toset(["a", "b"])
          input    = "${each.key}-${var.secret}"
          triggers_replace = each.key
        }
    ''')
    for key in ("a", "b"):
        inst = next(i for a, i in config.resources.items() if a.key == key)
        assert inst.attributes["input"] == f"{key}-s3cr3t"
        assert inst.sensitive == {"input"}
        assert inst.positions[("input",)].line == 7
