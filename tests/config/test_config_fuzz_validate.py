"""Property: whatever bytes a user feeds ``clbplan validate``, it answers exit 0, or exit 1 with
located diagnostics, and never crashes with an uncaught exception."""

from __future__ import annotations

import json
import os
import tempfile

from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st

from planner.cli.main import cli

SEEDS = [
    '''variable "ports" {
  type    = list(number)
  default = [80, 443]
}
locals {
  name = "web-${var.ports[0]}"
  tags = { for i, p in var.ports : "p${i}" => p }
  h    = <<-EOT
    port ${var.ports[1]}
    EOT
}
resource "alicloud_slb_load_balancer" "lb" {
  count              = 2
  load_balancer_name = "${local.name}-${count.index}"
  load_balancer_spec = "slb.s2.small"
}
resource "alicloud_slb_server_group" "g" {
  for_each         = toset(["a", "b"])
  load_balancer_id = alicloud_slb_load_balancer.lb[0].id
  name             = "g-${each.key}"
  dynamic "servers" {
    for_each = var.ports
    content {
      server_ids = ["i-${servers.key}"]
      port       = servers.value
      weight     = 100
    }
  }
}
output "ids" { value = alicloud_slb_load_balancer.lb[*].id }
''',
    '''locals {
  a = [for x in range(3) : x * 2 if x > 0]
  b = "%{ if length(local.a) > 1 }many%{ else }few%{ endif }"
  c = try(local.a[9], lookup({ k = 1 }, "k", 0))
}
output "b" { value = local.b }
''',
]

SIGNIFICANT = list('{}[]()"=$%~<>-.,:?!*/\n#') + ["${", "%{", "<<EOT\n", "...", "for", "if", "var.", "local."]


@st.composite
def mutated(draw):
    text = draw(st.sampled_from(SEEDS))
    for _ in range(draw(st.integers(1, 4))):
        op = draw(st.sampled_from(["truncate", "delete", "insert", "dup_line"]))
        pos = draw(st.integers(0, max(len(text) - 1, 0)))
        if op == "truncate":
            text = text[:pos]
        elif op == "delete":
            text = text[:pos] + text[pos + draw(st.integers(1, 5)):]
        elif op == "insert":
            text = text[:pos] + draw(st.sampled_from(SIGNIFICANT)) + text[pos:]
        else:
            lines = text.split("\n")
            i = draw(st.integers(0, len(lines) - 1))
            lines.insert(i, lines[i])
            text = "\n".join(lines)
    return text


@given(mutated())
def test_validate_never_crashes_on_mutated_configs(text):
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "main.tf"), "w", encoding="utf-8") as f:
            f.write(text)
        result = CliRunner().invoke(cli, ["validate", "-json", d])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    assert "This is a bug" not in result.output and "Traceback" not in result.output
    report = json.loads(result.output)
    if result.exit_code == 1:
        assert report["error_count"] >= 1
        assert all(x["summary"] for x in report["diagnostics"])
        assert any("range" in x for x in report["diagnostics"])
    else:
        assert report["valid"] is True


ATOMS = ["1", "-2.5", "1e400", '"s"', '"${var.v}"', "true", "null", "var.v", "var.l", "var.m", "local.a",
         "[1, 2]", '{a = 1}', "count.index", "each.key", "x", "toset([1])", '"%{ if true }y%{ endif }"']
FUNCS = ["length", "upper", "lookup", "element", "concat", "merge", "keys", "tolist", "toset", "format",
         "join", "split", "min", "max", "range", "cidrsubnet", "jsondecode", "try", "can", "one", "sum",
         "flatten", "zipmap", "slice", "substr", "replace", "coalesce", "index", "setproduct", "tonumber"]
OPS = ["+", "-", "*", "/", "%", "==", "!=", "<", ">=", "&&", "||"]


@st.composite
def expression(draw, depth=0):
    kind = draw(st.integers(0, 6 if depth < 3 else 0))
    if kind == 0:
        return draw(st.sampled_from(ATOMS))
    sub = [draw(expression(depth + 1)) for _ in range(draw(st.integers(1, 3)))]
    if kind == 1:
        return f"{draw(st.sampled_from(FUNCS))}({', '.join(sub)})"
    if kind == 2:
        return f"({sub[0]} {draw(st.sampled_from(OPS))} {sub[-1]})"
    if kind == 3:
        return f"({sub[0]} ? {sub[-1]} : {sub[0]})"
    if kind == 4:
        return f"[for i, v in {sub[0]} : {sub[-1]}]"
    if kind == 5:
        return f"{sub[0]}[{sub[-1]}]"
    return f'"pre-${{{sub[0]}}}"'


@given(expression(), st.sampled_from(["locals", "count", "for_each", "output"]))
def test_random_expressions_never_crash_the_evaluator(expr, where):
    head = ('variable "v" {\n  default = "x"\n}\nvariable "l" {\n  default = [1, "a"]\n}\n'
            'variable "m" {\n  default = { k = "v" }\n}\nlocals {\n  a = 3\n}\n')
    if where == "locals":
        body = f"locals {{\n  r = {expr}\n}}\n"
    elif where == "output":
        body = f'output "o" {{\n  value = {expr}\n}}\n'
    else:
        body = (f'resource "alicloud_slb_load_balancer" "r" {{\n  {where} = {expr}\n'
                f'  load_balancer_name = "n"\n}}\n')
    with tempfile.TemporaryDirectory() as d:
        with open(os.path.join(d, "main.tf"), "w", encoding="utf-8") as f:
            f.write(head + body)
        result = CliRunner().invoke(cli, ["validate", "-json", d])
    assert result.exit_code in (0, 1), result.output
    assert result.exception is None or isinstance(result.exception, SystemExit), repr(result.exception)
    report = json.loads(result.output)
    assert report["valid"] is (result.exit_code == 0)
