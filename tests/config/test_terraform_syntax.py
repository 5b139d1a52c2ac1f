"""HCL syntax where python-hcl2's grammar and Terraform disagreed, with Terraform's answers.

Each expected value below is what Terraform 1.11.4 printed for the same text (``terraform init
-backend=false; terraform apply -auto-approve; terraform output -json``, no providers needed); each
expected error is the summary ``terraform validate`` gave. The oracle tests at the end re-run
Terraform when it is installed and skip otherwise. Every text is also parsed by both parse paths
(``hcl_fastparse`` and lark), which must agree whenever the fast one takes the text.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap

import pytest

from planner.config import ir
from planner.config.hcl_fastparse import parse_fast
from planner.config.hclparse import SyntaxProblem, _parse_text_lark, parse_text
from planner.config.parse_cache import encode

CASES = {
    # an object element whose value is a binary operation, then another element on the next line
    "object_after_binary_operation": ("""
        variable "x" {
          default = 1
        }
        locals {
          tags = {
            a = var.x + 1
            b = 2
          }
          more = {
            a = var.x * 2 + 1 # c
            b = <<EOT
        hi
        EOT
            c = var.x == 1 ? 3 : 4
            d = 5
          }
        }
        output "o" {
          value = [local.tags, local.more]
        }
        """, [{"a": 2, "b": 2}, {"a": 3, "b": "hi\n", "c": 3, "d": 5}]),
    # '-' after an operand is subtraction, even right before a number (no negative number tokens)
    "minus_number_after_operand": ("""
        variable "l" {
          default = [1, 2, 3]
        }
        variable "n" {
          default = 5
        }
        locals {
          x = [10, 20]
          o = { k = 4 }
          a = length(var.l) -1
          b = max(1, 2)-10
          c = var.n -1
          d = local.x[0]-1
          e = (3)-10
          f = var.n -1.5
          g = "7"-10
          h = local.o.k -10
          i = [for v in var.l : v -10]
          j = { k = var.n -10 }
          k = "${var.n -10}"
          l = -1-2.5
          m = 2*-10
          n = - -12
          p = 1e-5-1
        }
        output "o" {
          value = [local.a, local.b, local.c, local.d, local.e, local.f, local.g, local.h, local.i, local.j,
                   local.k, local.l, local.m, local.n, local.p]
        }
        """, [2, -8, 4, 9, -7, 3.5, -3, -6, [-9, -8, -7], {"k": -5}, -5, -3.5, -20, 12, -0.99999]),
    # a /* */ comment is whitespace: not a newline, not part of an operator
    "inline_block_comments": ("""
        locals {
          a = 1
          b = 2
          x = /* c */ 1
          y = local.a /* c */ + local.b
          z = local.a + /* c */ local.b
          w = [1, /* c */ 2]
          v = { /* c */ k = /* c */ 1 /* d */ }
          u = local.a /* c
          */ + local.b
          t = local.a /* c */ * /* d */ local.b /* e */
        }
        output "o" {
          value = [local.x, local.y, local.z, local.w, local.v, local.u, local.t]
        }
        """, [1, 3, 3, [1, 2], {"k": 1}, 3, 2]),
    # an object key written as a template is the template's value
    "template_object_keys": ("""
        locals {
          k = "kk"
          n = 7
          o = { "${local.k}" = 1, "x${local.k}" = 2, "${"lit"}" = 3, "${local.n}" = 4, k = 5 }
        }
        output "o" {
          value = local.o
        }
        """, {"kk": 1, "xkk": 2, "lit": 3, "7": 4, "k": 5}),
    # 1.e5 is a number; newlines are whitespace inside (), [] and ${}
    "numbers_and_newlines_in_brackets": ("""
        locals {
          a = 1
          numbers = [1.e5, 1.E5, 1.e-2, 2.e0, -1.e3]
          in_parens = [max(local.a
            - 1, 0), (3
          -10), [1
          - 1], max([1, 5]
          ...), max(1
          ,), (local.a

          + 1), (local.a # c
          * 4)]
          in_interp = ["${1
          + 2}", "${1 + 2
          }", "${local.a
          - 1}"]
        }
        output "o" {
          value = [local.numbers, local.in_parens, local.in_interp]
        }
        """, [[100000, 100000, 0.01, 2, -1000], [0, -7, [0], 5, 1, 2, 4], [3, 3, 0]]),
    # any number of unary operators in a row
    "repeated_unary_operators": ("""
        locals {
          a = 1
          b = true
          l = [- -1, - - local.a, !!local.b, 1 - -1, -local.a - -local.a, 2 * -3, !(!local.b), !!!local.b]
        }
        output "o" {
          value = local.l
        }
        """, [1, 1, True, 2, 0, -6, True, False]),
    # a heredoc's ${...} reads newlines as spaces, around operators too
    "newlines_in_heredoc_interpolations": ("""
        locals {
          a = <<EOT
        ${1 +
        2}
        EOT
          b = <<EOT
        ${1
        + 2}
        EOT
          c = <<EOT
        ${true ?
        1 : 2}
        EOT
        }
        output "o" {
          value = [local.a, local.b, local.c]
        }
        """, ["3\n", "3\n", "1\n"]),
    # one-line blocks: one argument, closed on its line (the argument itself may span lines)
    "one_line_blocks": ("""
        locals { a = [1,
          2] }
        locals { b = 3 }
        locals {}
        locals { # c
          c = 4
        }
        output "o" { value = [local.a, local.b, local.c] }
        """, [[1, 2], 3, 4]),
    # a {for ...} expression reads newlines as spaces, as () and [] do (an object does not)
    "newlines_in_a_for_object": ("""
        locals {
          m = { a = 1, b = -2 }
          o = {for k, v in local.m :
            k => v if v >
            0}
        }
        output "o" {
          value = local.o
        }
        """, {"a": 1}),
}

# text, Terraform's summary (``terraform validate``), and where we report it (line, column)
ERRORS = [
    ('locals {\n  a = 1 /* c */ b = 2\n}\n', "Missing newline after argument", (2, 17)),
    ('locals {\n  a = 1 /* c\n  */ b = 2\n}\n', "Missing newline after argument", (3, 6)),
    ('locals {\n  a = 5b = 3\n}\n', "Missing newline after argument", (2, 8)),
    ('terraform {} locals { a = 1 }\n', "Missing newline after block definition", (1, 14)),
    ('output "${1}" {\n  value = 1\n}\n', "Invalid string literal", (1, 9)),
    ('output "${"a"}" {\n  value = 1\n}\n', "Invalid string literal", (1, 9)),
    # outside (), [] and ${} an expression ends with its line: a newline after an operator, before one
    ('locals {\n  x = 1 +\n    2\n}\n', "Invalid expression", (2, 9)),
    ('locals {\n  x = { a = 1 -\n    2 }\n}\n', "Invalid expression", (2, 15)),
    ('locals {\n  x = true ?\n    1 : 2\n}\n', "Invalid expression", (2, 12)),
    ('locals {\n  x = true ? 1 :\n    2\n}\n', "Invalid expression", (2, 16)),
    ('locals {\n  x = true && # c\n    false\n}\n', "Invalid expression", (2, 12)),
    ('locals {\n  x = !\n    true\n}\n', "Invalid expression", (2, 7)),
    ('locals {\n  x =\n    1\n}\n', "Invalid expression", (2, 5)),
    ('locals {\n  x = { a =\n    1 }\n}\n', "Invalid expression", (2, 11)),
    ('locals {\n  x = 1\n    * 2\n}\n', "Argument or block definition required", (3, 5)),
    ('locals {\n  x = true\n    ? 1 : 2\n}\n', "Argument or block definition required", (3, 5)),
    ('locals {\n  a = 1\n  x = local.a\n/* c */ + 1\n}\n', "Argument or block definition required", (4, 9)),
    ('locals {\n  x = true ? 1\n    : 2\n}\n', "Missing false expression in conditional", (3, 5)),
    # a block's lines: a one-line block holds one argument and closes on its line; a longer block's
    # closing brace is on a line of its own
    ('locals {\n  a = 1 }\n', "Missing newline after argument", (2, 9)),
    ('resource "terraform_data" "a" {\n  lifecycle {\n    create_before_destroy = true\n  } }\n',
     "Missing newline after block definition", (4, 5)),
    ('locals { a = 1\n}\n', "Invalid single-argument block definition", (1, 10)),
    ('locals { a = 1 + 2\n}\n', "Invalid single-argument block definition", (1, 10)),
    ('output "x" { value = <<-EOT\n  a\n  EOT\n}\n', "Invalid single-argument block definition", (1, 14)),
    ('resource "terraform_data" "a" { lifecycle {} }\n', "Argument definition required", (1, 33)),
]


def _text(name: str) -> str:
    return textwrap.dedent(CASES[name][0]).lstrip("\n")


@pytest.mark.parametrize("name", sorted(CASES))
def test_value_is_terraforms(name, load):
    cfg = load(_text(name))
    assert cfg.outputs["o"].value == CASES[name][1]


@pytest.mark.parametrize("name", sorted(CASES))
def test_both_parse_paths_agree(name):
    text = _text(name)
    fast = parse_fast(text)
    assert fast is None or encode(fast) == encode(_parse_text_lark(text))


@pytest.mark.parametrize("text,summary,where", ERRORS)
def test_error_is_terraforms(text, summary, where):
    assert parse_fast(text) is None
    with pytest.raises(SyntaxProblem) as e:
        parse_text(text)
    assert (e.value.summary, (e.value.line, e.value.col)) == (summary, where)


def _attr(text: str) -> ir.Expr:
    """The expression of the one attribute in ``text``, the same from both paths."""
    lark = _parse_text_lark(text)
    fast = parse_fast(text)
    assert fast is None or encode(fast) == encode(lark)
    return lark.attributes[0].expr


def test_minus_after_a_name_is_part_of_the_name():
    """``-`` is a name character in HCL: ``var.n-1`` is the variable ``n-1`` for Terraform too
    ("An input variable with the name "n-1" has not been declared")."""
    e = _attr("x = var.n-1")
    assert isinstance(e, ir.GetAttr) and e.name == "n-1"
    e = _attr("x = count.index-1")
    assert isinstance(e, ir.GetAttr) and e.name == "index-1"


def test_split_number_keeps_positions():
    e = _attr("x = f(x)-10")
    assert isinstance(e, ir.Binary) and e.op == "-"
    assert (e.right.value, e.right.line, e.right.col) == (10, 1, 10)
    e = _attr("x = -1-2.5")
    assert isinstance(e, ir.Binary)
    assert [(x.value, x.col) for x in (e.left, e.right)] == [(-1, 5), (2.5, 8)]
    assert (_attr("x = -10").value, _attr("x = - -12").value) == (-10, 12)


def test_comment_is_not_part_of_an_operator():
    for text in ("x = a /* c */ + b", "x = a /* c\n */ + b", "x = (a /* c */\n+ b)"):
        e = _attr(text)
        e = e.inner if isinstance(e, ir.Paren) else e
        assert isinstance(e, ir.Binary) and e.op == "+", text


def test_template_key_is_an_expression_and_a_bare_key_a_name():
    (k1, _), (k2, _), (k3, _) = _attr('x = { "${k}" = 1, k = 2, "k" = 3 }').items
    assert isinstance(k1, ir.Name) and k1.name == "k"
    assert isinstance(k2, ir.Lit) and k2.value == "k"
    assert isinstance(k3, ir.Lit) and k3.value == "k"


def test_index_needs_digits_after_the_dot():
    """Terraform: "An attribute name is required after a dot." for ``local.a.-1``."""
    with pytest.raises(SyntaxProblem):
        parse_text("x = a.-12")


def test_validate_answers_the_minus_float_case_without_a_bug_report(tmp_path):
    """``-1-2.5`` used to stop ``clbplan validate`` with "ValueError ... This is a bug in clbplan"."""
    (tmp_path / "main.tf").write_text('locals {\n  x = -1-2.5\n}\noutput "o" {\n  value = local.x\n}\n')
    proc = subprocess.run([sys.executable, "-m", "planner.cli.main", "validate"], capture_output=True, text=True,
                          cwd=tmp_path, timeout=120)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert "bug" not in out and "Traceback" not in out


# ---- the oracle: Terraform itself, when installed -------------------------------------------------

TERRAFORM = shutil.which("terraform")
needs_terraform = pytest.mark.skipif(TERRAFORM is None, reason="terraform is not installed")


def _terraform(tmp_path, text: str, *commands: list[str]) -> subprocess.CompletedProcess:
    (tmp_path / "main.tf").write_text(text)
    env = {**os.environ, "TF_CLI_CONFIG_FILE": os.devnull, "TF_IN_AUTOMATION": "1", "CHECKPOINT_DISABLE": "1"}
    proc = None
    for cmd in [["init", "-backend=false", "-no-color"], *commands]:
        proc = subprocess.run([TERRAFORM, *cmd], capture_output=True, text=True, cwd=tmp_path, env=env,
                              timeout=300)
        if proc.returncode != 0:
            return proc
    return proc


@needs_terraform
@pytest.mark.parametrize("name", sorted(CASES))
def test_terraform_gives_the_recorded_value(name, tmp_path):
    proc = _terraform(tmp_path, _text(name), ["apply", "-auto-approve", "-no-color"], ["output", "-json"])
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert json.loads(proc.stdout)["o"]["value"] == CASES[name][1]


@needs_terraform
@pytest.mark.parametrize("text,summary,where", ERRORS)
def test_terraform_gives_the_recorded_error(text, summary, where, tmp_path):
    proc = _terraform(tmp_path, text, ["validate", "-no-color"])
    assert proc.returncode != 0
    assert f"Error: {summary}" in proc.stdout + proc.stderr
