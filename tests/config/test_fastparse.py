"""The hand-written fast parser gives exactly what the lark path gives, or declines (issue 17).

``parse_text`` tries ``hcl_fastparse.parse_fast`` first and parses with lark when it returns None.
So the fast path must never accept a text lark rejects (syntax errors keep lark's friendly
messages) and, when it accepts one, must build the same IR: same nodes, values and positions, which
end up in every diagnostic a user reads. We compare the parse-cache encoding of both results, which
covers every field of every node.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from planner.config.hcl_fastparse import parse_fast
from planner.config.hclparse import SyntaxProblem, _parse_text_lark, parse_text
from planner.config.parse_cache import encode
from tests.config.bench_shapes import bench_parse, every_shape_once

REPO = Path(__file__).resolve().parents[2]


def _bench_texts() -> list[str]:
    return [every_shape_once()] + [s.format(i=7, j=3, k=1) for s in bench_parse.SHAPES]


def _repo_texts() -> dict[str, str]:
    texts = {str(p.relative_to(REPO)): p.read_text(encoding="utf-8", errors="replace")
             for p in sorted(REPO.rglob("*.tf")) if ".git" not in p.parts and ".clbplan" not in p.parts}
    for n, t in enumerate(_bench_texts()):
        texts[f"bench/parse.py#{n}"] = t
    return texts


TEXTS = _repo_texts()


def _lark(text: str) -> bytes | None:
    """The lark path's result (encoded), None for a syntax error (any other exception is a bug)."""
    try:
        return encode(_parse_text_lark(text))
    except SyntaxProblem:
        return None


def _fast(text: str) -> bytes | None:
    got = parse_fast(text)
    return None if got is None else encode(got)


def test_every_repository_configuration_parses_the_same_and_most_take_the_fast_path():
    assert len(TEXTS) > 100
    valid = fast = 0
    for name, text in TEXTS.items():
        ref, got = _lark(text), _fast(text)
        if ref is None:
            assert got is None, f"{name}: the fast path accepted what lark rejects"
            continue
        valid += 1
        if got is not None:
            fast += 1
            assert got == ref, f"{name}: the fast path's IR differs from lark's"
    # heredocs, template directives, provider functions (a::b::c) and keywords used as names are
    # left to lark on purpose; everything else must take the fast path
    assert fast >= 0.85 * valid, f"only {fast} of {valid} valid files took the fast path"


def test_the_benchmark_configuration_takes_the_fast_path():
    for text in _bench_texts():
        assert parse_fast(text) is not None
        assert encode(parse_text(text)) == _lark(text)


# ---- mutations: whatever lark rejects, the fast path declines ------------------------------------

SMALL = [t for t in TEXTS.values() if len(t) < 3000]
TOKENS = ["{", "}", '"', "=", ",", "\n", "[", "(", ")", "]", ".", "*", "-", "?", ":", " ", "!", "+", "/",
          "#", "//", "/*", "*/", "${", "$${", "%{", "1", "-12", "0.5", "e", "a", "in", "for", "if", "...",
          "[*]", ".*", "\\", "<", "&&", "==", "=>", "\t", "\n\n", "true", "\ufeff"]
MUTATION = st.tuples(st.sampled_from(["delete", "duplicate", "insert"]), st.integers(0, 1 << 20),
                     st.integers(1, 3), st.sampled_from(TOKENS))


def mutate(text: str, mutations: list[tuple[str, int, int, str]]) -> str:
    for kind, where, width, token in mutations:
        p = where % (len(text) + 1)
        if kind == "delete":
            text = text[:p] + text[p + width:]
        elif kind == "duplicate":
            text = text[:p] + text[p:p + width] + text[p:]
        else:
            text = text[:p] + token + text[p:]
    return text


def check_against_lark(text: str) -> None:
    ref, got = _lark(text), _fast(text)
    if ref is None:
        assert got is None, f"the fast path accepted what lark rejects: {text!r}"
    else:
        assert got is None or got == ref, f"the fast path's IR differs from lark's: {text!r}"


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(SMALL), st.lists(MUTATION, min_size=1, max_size=3))
def test_mutated_configurations_parse_the_same_or_fall_back(text, mutations):
    check_against_lark(mutate(text, mutations))


# ---- hand-written shapes -------------------------------------------------------------------------

FAST = [
    # precedence and associativity, as python-hcl2's ladder builds them
    "x = 1 + 2 * 3 - 4",
    "x = a || b && !c",
    'x = x == 1 ? "a" : "b"',
    "x = a ? b : c ? d : e",
    "x = a ? b ? c : d : e",
    "x = (a ? b : c) ? d : e",
    "x = -x.y",
    "x = !a == b",
    "x = a / b % c * d",
    "x = a < b == c >= d != e <= f > g",
    "x = 1 - -1",
    "x = - 12",
    "x = -(1)",
    "x = -1.5e3 + 2.0 + 1e400 + 2e30 + 007",
    "x = a - 1",
    "x = a-1",
    # '-' after an operand is subtraction, also right before a number (lark splits its -10 token)
    "x = a -12",
    "x = f(x)-10",
    "x = var.n -1.5",
    "x = x[0]-10",
    "x = (a)-10",
    'x = "7"-10',
    "x = a[*]-10",
    "x = a - -12",
    "x = 2*-10",
    "x = -1-2.5",
    "x = 1e-5-1",
    'x = "${a -10}"',
    # newlines after a binary operation; a /* */ comment around an operator is a space
    "x = a + b\n\ny = 2",
    "x = a /* c */ + b /* d */",
    # traversals and splats
    "x = a.b[0].c",
    "x = a.0.1",
    "x = a . b",
    "x = a[*].b[0].c",
    "x = a.*.b[0].c",
    "x = a.*[0].c",
    "x = a[*].b[*].c",
    "x = a[*]",
    "x = f(a)[0].b",
    'x = "abc"[0]',
    "x = [1, 2][0]",
    # calls
    "x = f(a, b...)",
    "x = f(a,)",
    "x = f(\n)",
    "x = f (1)",
    "x = f(\n  a,\n  b,\n)",
    "x = f(a\n  , b)",
    # for expressions
    'x = [for s in var.list : upper(s) if s != ""]',
    "x = [for i, v in var.list : v]",
    "x = [for i ,v in var.list : v]",
    "x = {for k, v in var.map : k => v... if v != null}",
    "x = {for k, v in var.map : k => v ...}",
    "x = [\n  for x in xs :\n  x\n  if x\n]",
    "x = {\n  for k, v in m : k => v\n  ...\n  if v\n}",
    # objects and tuples
    'x = { a = 1, "b" = 2, (c) = 3 }',
    "x = { a : 1, b : 2 }",
    "x = {\n  a = 1\n  b = 2\n}",
    "x = {\n  a = 1 + 2\n  , b = 3\n}",
    "x = {\n  a = 1 + 2\n  b = 3\n}",
    "x = {\n  a = b * 2 + 1 # c\n  b = 3\n}",
    "x = { a = 1, }",
    "x = { true = 1, null = 2 }",
    'x = { "${k}" = 1 }',
    "x = {}",
    "x = []",
    "x = [\n  1,\n  2,\n]",
    "x = [\n  1\n  ,\n  2\n]",
    # strings
    'x = "${var.env}-lb-${count.index}"',
    'x = "${1}"',
    'x = "a\\tb\\"c\\\\d\\u00e9"',
    'x = "$${literal} and %%{literal}"',
    'x = "100% $ sign"',
    'x = "${format("%s", "${var.x}")}"',
    'x = ""',
    # comments at odd places
    "x = 1 # c\ny = 2 // c\nz = 3 /* c */",
    "/* a\n b */ x = 1",
    "x = [ # c\n  1, /* c */\n  2 // c\n]",
    "x = f( /* c */ 1)",
    "x = a /* c */ + b",
    "x = a /* c */",
    "x = f(a\n,)",
    "x = f(a\n...)",
    "b /* c */ {\n}",
    "b \"l\" // c\n{\n}",
    # blocks
    "b {}",
    "b { a = 1 }",
    'resource "a" "b" {\n  x {\n  }\n}\n',
    "resource a b {\n}",
    "for_each = var.x\nin = 1\nif {}\n",
    "",
    "\n\n",
]

DECLINED = [
    # left to lark on purpose (valid)
    "x = <<EOT\nhi\nEOT\n",
    'x = "%{if a}b%{endif}"',
    'x = "${~ a ~}"',
    "x = core::upper(a)",
    "x = provider::p::f(a)",
    "x = in",
    "x = { for = 1 }",
    "x = /* c */ 1",
    "x = a /* c\n*/ + b",
    "x = (a\n- b)",
    "x = [a\n\n+ b]",
    'x = "${a\n- b}"',
    'x = "${a /* c */}"',
    "x = a + b\n\n+ c",
    "x = a + b\n- c",
    'x = "${a\n+ b}"',
    "x = 1.e5",
    "x = {\n  1 = 2\n}",
    "x = 1\r\ny = 2\r\n",
    # syntax errors: lark's messages
    "x = - -1",
    "x = { a = 1 b = 2 }",
    "a = 5b = 3",
    "a = 1 b = 2",
    "a = 1 /* c */ b = 2",
    "b {} c = 1",
    "b { a = 1 c = 2 }",
    "x = a.-12",
    'b "${1}" {}',
    'b "${"a"}" {}',
    "x = a\n\n+ b",
    "x = a\n- b",
    "x = [a b]",
    'x = "a\nb"',
    'x = "\\q"',
    'b "${x}" {}',
    "x = ",
    "x = (1",
    "b {",
    "}",
    "x = 1.",
    "\ufeffx = 1",
]


@pytest.mark.parametrize("text", FAST)
def test_shape_takes_the_fast_path_and_matches_lark(text):
    ref = _lark(text)
    assert ref is not None, "lark rejects this hand-written case"
    got = _fast(text)
    assert got is not None, "the fast path declined a common shape"
    assert got == ref


@pytest.mark.parametrize("text", DECLINED)
def test_shape_is_left_to_lark(text):
    assert parse_fast(text) is None
    check_against_lark(text)


def test_nesting_the_lark_path_cannot_convert_is_left_to_it():
    """Lark's converter recurses and gives up on long chains ("Expression too deeply nested"); the fast
    path builds chains in loops and could go on, so it declines deep nesting long before that."""
    for text in ["x = " + " + ".join(["a"] * 600), "x = a" + ".b" * 300, "x = " + "a ? b : " * 600 + "c",
                 "x = " + '"${' * 200 + "a" + '}"' * 200]:
        assert parse_fast(text) is None
        with pytest.raises(SyntaxProblem):
            _parse_text_lark(text)
    assert parse_fast("x = " + " + ".join(["a"] * 40)) is not None
