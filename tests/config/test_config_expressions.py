"""The expression evaluator and functions, one behaviour per row."""

from __future__ import annotations

import pytest

from planner.config.expr import EvalError
from planner.values import UNKNOWN

CASES = [
    # literals, conversions, operators
    ('"a" == "a"', True), ("1 == \"1\"", False), ("true == 1", False), ("5 / 2", 2.5), ("4 / 2", 2),
    ("7 % 3", 1), ("-3 + 1", -2), ("!false", True), ('"3" + 4', 7), ("1 < 2 && 2 <= 2", True),
    ("1 > 2 || 3 >= 4", False), ("null == null", True), ("1e3", 1000), ("(1 + 2) * 3", 9),
    ("true ? \"y\" : \"n\"", "y"),
    # templates, escapes, directives, strip markers
    ('"a\\"b\\n\\u00e9"', 'a"b\né'), ('"$${x} %%{y}"', "${x} %{y}"), ('"n=${1 + 1}"', "n=2"),
    ('"${true}"', True), ('"%{ if true }on%{ else }off%{ endif }"', "on"),
    ('"%{ for x in [1, 2] ~} ${x} %{~ endfor }"', "12"), ('"${"a"}${1}"', "a1"),
    ('"a  ${~ "b" ~}  c"', "abc"), ('"a ${~ 1} $${~ x}"', "a1 ${~ x}"),
    # collections, for, splat, index
    ("[for x in [1, 2, 3] : x * 10 if x != 2]", [10, 30]),
    ('{for k, v in {b = 1, a = 2} : v => k}', {"2": "a", "1": "b"}),
    ('{for s in ["a", "ab", "b"] : substr(s, 0, 1) => s...}', {"a": ["a", "ab"], "b": ["b"]}),
    ('[{a = 1}, {a = 2}][*].a', [1, 2]), ('[{a = 1}, {a = 2}].*.a', [1, 2]), ("[[1, 2]][0][1]", 2),
    ('{a = {b = "c"}}["a"].b', "c"), ("[5, 6].1", 6), ('{"x" = 1, y: 2}', {"x": 1, "y": 2}),
    ("null[*]", []),
    # functions
    ('length("héllo")', 5), ('lookup({a = 1}, "b", 7)', 7), ("element([1, 2], 3)", 2),
    ("concat([1], [2, 3])", [1, 2, 3]), ("merge({a = 1}, {a = 2, b = 3})", {"a": 2, "b": 3}),
    ("keys({b = 1, a = 2})", ["a", "b"]), ("values({b = 1, a = 2})", [2, 1]),
    ('toset(["b", "a", "b"])', ["a", "b"]), ('tonumber("8")', 8), ('tobool("true")', True),
    ("tostring(1.5)", "1.5"), ('format("%s-%03d-%.1f", "a", 7, 2.25)', "a-007-2.2"),
    ('formatlist("%s:%d", ["a", "b"], 80)', ["a:80", "b:80"]), ('join(",", ["a", "b"])', "a,b"),
    ('split(",", "a,b")', ["a", "b"]), ('replace("a-b-c", "-", "_")', "a_b_c"),
    ('replace("web01", "/(\\\\d+)/", "<$1>")', "web<01>"), ('title("hello world")', "Hello World"),
    ('trimspace("  x ")', "x"), ('trim("--x--", "-")', "x"), ('trimprefix("abc", "a")', "bc"),
    ('trimsuffix("abc", "c")', "ab"), ('substr("hello", 1, 3)', "ell"), ('contains(["a"], "a")', True),
    ('coalesce("", "b")', "b"), ("coalescelist([], [1])", [1]), ('compact(["a", "", null])', ["a"]),
    ("distinct([1, 1, 2])", [1, 2]), ("flatten([[1, [2]], 3])", [1, 2, 3]), ("range(3)", [0, 1, 2]),
    ("range(1, 6, 2)", [1, 3, 5]), ("min(3, 1, 2)", 1), ("max([4, 9]...)", 9), ("abs(-2)", 2),
    ("ceil(1.2)", 2), ("floor(1.8)", 1), ('jsonencode({b = [1, true], a = null})', '{"a":null,"b":[1,true]}'),
    ('jsondecode("{\\"a\\": [1, 2.5]}")', {"a": [1, 2.5]}), ('cidrsubnet("10.0.0.0/16", 8, 2)', "10.0.2.0/24"),
    ('cidrhost("10.0.1.0/24", 5)', "10.0.1.5"), ('try(tonumber("x"), 3)', 3), ('can(tonumber("x"))', False),
    ('zipmap(["a", "b"], [1, 2])', {"a": 1, "b": 2}), ("slice([1, 2, 3], 1, 3)", [2, 3]),
    ("reverse([1, 2])", [2, 1]), ('sort(["b", "a"])', ["a", "b"]), ('startswith("abc", "ab")', True),
    ('endswith("abc", "bc")', True), ("one([])", None), ("alltrue([true, true])", True),
    ("anytrue([false])", False), ("sum([1, 2.5])", 3.5), ('setproduct(["a"], [1, 2])', [["a", 1], ["a", 2]]),
    ('index(["a", "b"], "b")', 1), ('base64decode(base64encode("hi"))', "hi"),
    ('md5("a")', "0cc175b9c0f1b6a831c399e269772661"),
    ('lower("AB")', "ab"), ('upper("ab")', "AB"), ('sensitive("x")', "x"), ('nonsensitive("x")', "x"),
    ('tolist(toset(["a"]))', ["a"]), ('tomap({a = 1})', {"a": 1}),
]


@pytest.mark.parametrize("src,expected", CASES)
def test_expression_value(src, expected, eval_expr):
    assert eval_expr(src) == expected


def test_sha256_of_empty_string(eval_expr):
    assert eval_expr('sha256("")').startswith("e3b0c442")


def test_references_to_roots_and_unknown_propagation(eval_expr):
    names = {"var": {"n": 2, "u": UNKNOWN}}
    assert eval_expr("var.n * 3", names) == 6
    assert eval_expr("var.u + 1", names) is UNKNOWN
    assert eval_expr('"id-${var.u}"', names) is UNKNOWN
    assert eval_expr("var.u ? 1 : 2", names) is UNKNOWN
    assert eval_expr("upper(var.u)", names) is UNKNOWN
    assert eval_expr("length([var.u, 1])", names) == 2  # structural: unknown elements are fine
    assert eval_expr("false && var.u", names) is False


@pytest.mark.parametrize("src,summary", [
    ("nosuch(1)", "Call to unknown function"),
    ("length()", "Not enough function arguments"),
    ("upper(1, 2)", "Too many function arguments"),
    ('1 + "x"', "Invalid operand"),
    ("[1][3]", "Invalid index"),
    ('{a = 1}.b', "Unsupported attribute"),
    ('lookup({}, "k")', "Invalid function argument"),
    ("1 / 0", "Division by zero"),
    ('"x${[1]}"', "Invalid template interpolation value"),
    ("toset([1])[0]", "Invalid index"),
    ('{for x in ["a", "a"] : x => 1}', "Duplicate object key"),
])
def test_expression_errors_are_located(src, summary, eval_expr):
    with pytest.raises(EvalError) as ei:
        eval_expr(src)
    assert ei.value.summary == summary
    assert ei.value.line == 1 and ei.value.col >= 1


# `terraform console` (1.11) answers, recorded: 1e400 is the whole number 10^400, not a float's inf.
BIG_LITERALS = [
    ("1e400 - 1e400", 0),
    ("1e400 * 0", 0),
    ("1e400 / 1e400", 1),
    ("1e400 == 1e401", False),
    ("1e400 - 1e399", 9 * 10**399),
    ("1e400 + 1", 10**400 + 1),
]


@pytest.mark.parametrize("src, expected", BIG_LITERALS)
def test_literals_beyond_a_float_are_exact_as_in_terraform(src, expected, eval_expr):
    assert eval_expr(src) == expected


def test_arithmetic_with_no_numeric_answer_is_a_located_error(eval_expr):
    # inf reaches arithmetic through a function; inf - inf has no answer: a diagnostic, never a crash
    with pytest.raises(EvalError) as ei:
        eval_expr("v - v", {"v": float("inf")})
    assert ei.value.summary == "Invalid arithmetic"
