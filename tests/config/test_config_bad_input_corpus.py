"""Bad-input corpus: each snippet must fail with a located, human diagnostic (message, file, line).

Run through ``clbplan validate`` exactly as a user would, so the CLI edge is covered too.
"""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from planner.cli.main import cli

LB = 'resource "alicloud_slb_load_balancer" "web" {\n  load_balancer_name = "web"\n}\n'

# (id, files, expected summary (substring), file, line)
CORPUS = [
    ("unclosed-block", {"main.tf": 'variable "a" {}\nresource "x" "y" {\n  a = 1\n'},
     "Unclosed configuration block", "main.tf", 2),
    ("unterminated-string", {"main.tf": 'locals {\n  a = "abc\n}\n'}, "Unterminated template string", "main.tf", 2),
    ("missing-equals", {"main.tf": 'locals {\n  port 80\n}\n'}, "Missing '=' after argument name", "main.tf", 2),
    ("bad-character", {"main.tf": 'locals {\n  p = @80\n}\n'}, "Invalid character", "main.tf", 2),
    ("unclosed-bracket", {"main.tf": 'locals {\n  a = [1, 2\n}\n'}, "Mismatched '}'", "main.tf", 3),
    ("stray-closing-brace", {"main.tf": 'locals {\n  a = 1\n}\n}\n'}, "Unexpected closing '}'", "main.tf", 4),
    ("bad-escape", {"main.tf": 'locals {\n  a = "x\\qy"\n}\n'}, "Invalid escape sequence", "main.tf", 2),
    ("unterminated-heredoc", {"main.tf": 'locals {\n  a = <<EOT\nhello\n}\n'}, "Unterminated heredoc", "main.tf", 2),
    ("unterminated-if-directive", {"main.tf": 'locals {\n  a = "%{ if true }x"\n}\n'},
     "Unterminated template if directive", "main.tf", 2),
    ("attribute-redefined", {"main.tf": 'locals {\n  a = 1\n}\nresource "x" "y" {\n  n = 1\n  n = 2\n}\n'},
     "Attribute redefined", "main.tf", 6),
    ("duplicate-resource", {"a.tf": LB, "b.tf": "# second\n\n" + LB},
     'Duplicate resource "alicloud_slb_load_balancer" configuration', "b.tf", 3),
    ("duplicate-variable", {"main.tf": 'variable "a" {}\nvariable "a" {}\n'}, "Duplicate variable declaration",
     "main.tf", 2),
    ("duplicate-local", {"main.tf": 'locals {\n  a = 1\n}\nlocals {\n  a = 2\n}\n'},
     "Duplicate local value definition", "main.tf", 5),
    ("duplicate-output", {"main.tf": 'output "o" {\n value = 1\n}\noutput "o" {\n value = 2\n}\n'},
     "Duplicate output declaration", "main.tf", 4),
    ("unknown-top-level-block", {"main.tf": 'locals {}\nbogus "x" {}\n'}, "Unsupported block type", "main.tf", 2),
    ("resource-missing-label", {"main.tf": 'resource "x" {}\n'}, "Wrong number of labels on resource block",
     "main.tf", 1),
    ("undeclared-variable", {"main.tf": 'locals {\n  a = var.nope\n}\n'}, "Reference to undeclared input variable",
     "main.tf", 2),
    ("undeclared-local", {"main.tf": 'locals {\n  a = 1\n  b = local.c\n}\n'}, "Reference to undeclared local value",
     "main.tf", 3),
    ("undeclared-resource", {"main.tf": 'output "o" {\n  value = alicloud_slb_listener.l.id\n}\n'},
     "Reference to undeclared resource", "main.tf", 2),
    ("unknown-function", {"main.tf": 'locals {\n  a = 1\n  b = frobnicate(1)\n}\n'}, "Call to unknown function",
     "main.tf", 3),
    ("wrong-arity", {"main.tf": 'locals {\n  a = upper("a", "b")\n}\n'}, "Too many function arguments", "main.tf", 2),
    ("type-error-operator", {"main.tf": 'locals {\n  a = 1 + {}\n}\n'}, "Invalid operand", "main.tf", 2),
    ("local-cycle", {"main.tf": 'locals {\n  a = local.b\n  b = local.a\n}\n'}, "Cycle: local.a -> local.b",
     "main.tf", 2),
    ("resource-cycle", {"main.tf": 'resource "alicloud_slb_load_balancer" "a" {\n  load_balancer_name = '
                                   'alicloud_slb_load_balancer.b.id\n}\nresource "alicloud_slb_load_balancer" "b" {\n'
                                   '  load_balancer_name = alicloud_slb_load_balancer.a.id\n}\n'},
     "Cycle: alicloud_slb_load_balancer.", "main.tf", 1),
    ("count-negative", {"main.tf": 'resource "alicloud_slb_load_balancer" "a" {\n  count = -1\n}\n'},
     "Invalid count argument", "main.tf", 2),
    # 1e400 is the whole number 10^400 (as in Terraform), not a float: a located limit error, not a crash
    ("count-huge", {"main.tf": 'resource "alicloud_slb_load_balancer" "a" {\n  count = 1e400\n}\n'},
     "Configuration limit exceeded", "main.tf", 2),
    ("count-unknown", {"main.tf": LB + 'resource "alicloud_slb_load_balancer" "b" {\n'
                                       '  count = length(alicloud_slb_load_balancer.web.id)\n}\n'},
     "Invalid count argument", "main.tf", 5),
    ("for-each-list", {"main.tf": 'resource "alicloud_slb_load_balancer" "a" {\n  for_each = ["x"]\n}\n'},
     "Invalid for_each argument", "main.tf", 2),
    ("count-and-for-each", {"main.tf": 'resource "alicloud_slb_load_balancer" "a" {\n  count = 1\n'
                                       '  for_each = {}\n}\n'}, 'Invalid combination of "count" and "for_each"',
     "main.tf", 3),
    ("each-outside-for-each", {"main.tf": 'resource "alicloud_slb_load_balancer" "a" {\n'
                                          '  load_balancer_name = each.key\n}\n'},
     'Reference to "each" in non-for_each context', "main.tf", 2),
    ("variable-validation", {"main.tf": 'variable "p" {\n  type = number\n  default = 70000\n  validation {\n'
                                        '    condition = var.p < 65536\n    error_message = "Port too big."\n'
                                        '  }\n}\n'}, "Invalid value for variable", "main.tf", 5),
    ("missing-required-variable", {"main.tf": 'locals {}\nvariable "region" {\n  type = string\n}\n'},
     "No value for required variable", "main.tf", 2),
    ("variable-type-mismatch", {"main.tf": 'variable "n" {\n  type = number\n  default = "eighty"\n}\n'},
     "Invalid value for input variable", "main.tf", 3),
    ("bad-type-constraint", {"main.tf": 'variable "n" {\n  type = strng\n}\n'}, "Invalid type specification",
     "main.tf", 2),
    ("index-out-of-range", {"main.tf": 'locals {\n  l = [1]\n  x = local.l[5]\n}\n'}, "Invalid index", "main.tf", 3),
    ("sensitive-output", {"main.tf": 'variable "s" {\n  default = "x"\n  sensitive = true\n}\noutput "o" {\n'
                                     '  value = var.s\n}\n'}, "Output refers to sensitive values", "main.tf", 6),
    ("unknown-provider-alias", {"main.tf": 'resource "alicloud_slb_load_balancer" "a" {\n'
                                           '  provider = alicloud.nowhere\n}\n'},
     "Provider configuration not present", "main.tf", 2),
    ("module-call-missing-folder", {"main.tf": 'module "m" {\n  source = "./m"\n}\n'},
     "Unreadable module directory", "main.tf", 2),
    ("object-missing-comma", {"main.tf": 'locals {\n  a = { x = 1 y = 2 }\n}\n'}, "Missing attribute separator",
     "main.tf", 2),
    ("duplicate-lifecycle", {"main.tf": 'resource "alicloud_slb_load_balancer" "a" {\n  lifecycle {}\n'
                                        '  lifecycle {}\n}\n'}, "Duplicate lifecycle block", "main.tf", 3),
    ("invalid-json", {"main.tf.json": '{"locals": {"a": 1,}}'}, "Invalid JSON", "main.tf.json", 1),
]


@pytest.mark.parametrize("case", CORPUS, ids=[c[0] for c in CORPUS])
def test_bad_input_is_a_located_diagnostic(case, write_tf, monkeypatch):
    _id, files, summary, filename, line = case
    d = write_tf(files)
    monkeypatch.chdir(d)
    result = CliRunner().invoke(cli, ["validate", "-json"], catch_exceptions=False)
    assert result.exit_code == 1, result.output
    report = json.loads(result.output)
    assert report["valid"] is False and report["error_count"] >= 1
    hits = [x for x in report["diagnostics"] if summary in x["summary"]]
    assert hits, f"no {summary!r} in {[x['summary'] for x in report['diagnostics']]}"
    assert any(h["range"]["filename"] == filename and h["range"]["start"]["line"] == line for h in hits), hits


def test_text_output_is_file_line_col_and_never_a_traceback(write_tf, monkeypatch):
    d = write_tf({"main.tf": 'locals {\n  a = var.nope\n  b = nosuch()\n}\n'})
    monkeypatch.chdir(d.parent)
    result = CliRunner().invoke(cli, ["validate", "cfg"])
    assert result.exit_code == 1
    assert "cfg/main.tf:2:7: error: Reference to undeclared input variable" in result.output
    assert "cfg/main.tf:3:7: error: Call to unknown function" in result.output
    assert "Traceback" not in result.output


def test_errors_in_several_files_are_reported_in_one_run(write_tf, monkeypatch):
    d = write_tf({"a.tf": 'locals {\n  x = "open\n}\n', "b.tf": 'locals {\n  y = [1,\n}\n'})
    monkeypatch.chdir(d)
    report = json.loads(CliRunner().invoke(cli, ["validate", "-json"]).output)
    files = {x["range"]["filename"] for x in report["diagnostics"]}
    assert files == {"a.tf", "b.tf"}


def test_valid_configuration_succeeds(write_tf, monkeypatch):
    d = write_tf({"main.tf": 'variable "n" {\n  default = "web"\n}\nlocals {\n  x = upper(var.n)\n}\n'})
    monkeypatch.chdir(d)
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 0
    assert "Success! The configuration is valid." in result.output
    report = json.loads(CliRunner().invoke(cli, ["validate", "-json"]).output)
    assert report == {"format_version": "1.0", "valid": True, "error_count": 0, "warning_count": 0,
                      "diagnostics": []}


def test_json_ranges_carry_byte_offsets(write_tf, monkeypatch):
    d = write_tf({"main.tf": 'locals {\n  x = "é"\n  a = var.nope\n}\n'})
    monkeypatch.chdir(d)
    report = json.loads(CliRunner().invoke(cli, ["validate", "-json"]).output)
    start = report["diagnostics"][0]["range"]["start"]
    text = (d / "main.tf").read_bytes()
    assert (start["line"], start["column"]) == (3, 7)
    assert text[start["byte"]:].startswith(b"var.nope")
