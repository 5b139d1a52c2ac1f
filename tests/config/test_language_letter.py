"""Terraform's language to the letter, and diagnostics as a user wants them (issue 14, items 5-6).

Each test is one difference from Terraform that a user hit: the legacy splat's index, quoted
references, a missing function, "did you mean" for an unrelated name, one error per count
instance, plan/apply showing absolute paths and only some of the errors.
"""

from __future__ import annotations

import os

from click.testing import CliRunner

from planner.cli.main import cli

LB = "alicloud_slb_load_balancer"


def _instances(cfg, type_):
    return {str(a): i for a, i in cfg.resources.items() if a.type == type_}


def test_legacy_splat_index_applies_to_the_resulting_list(load):
    # alicloud_network_interface.default.*.id[count.index]: one id per instance, not a list
    cfg = load(f"""
        resource "{LB}" "lb" {{
          count              = 2
          load_balancer_name = "lb-${{count.index}}"
        }}
        resource "{LB}" "copy" {{
          count              = 2
          load_balancer_name = {LB}.lb.*.load_balancer_name[count.index]
          description        = join(",", {LB}.lb[*].load_balancer_name)
        }}
    """)
    got = _instances(cfg, LB)
    assert got[f"{LB}.copy[0]"].attributes["load_balancer_name"] == "lb-0"
    assert got[f"{LB}.copy[1]"].attributes["load_balancer_name"] == "lb-1"
    assert got[f"{LB}.copy[1]"].attributes["description"] == "lb-0,lb-1"


def test_full_splat_index_applies_to_each_element(eval_expr):
    assert eval_expr('[{id = ["x", "y"]}, {id = ["z"]}][*].id[0]') == ["x", "z"]
    assert eval_expr('[{id = ["x", "y"]}, {id = ["z"]}].*.id[0]') == ["x", "y"]
    assert eval_expr('{id = "a"}[*].id') == ["a"] and eval_expr("null[*]") == []


def _write(tmp_path, text: str):
    d = tmp_path / "cfg"
    d.mkdir(exist_ok=True)
    (d / "main.tf").write_text(text)
    return d


QUOTED = f"""
provider "alicloud" {{
  region = "cn-hangzhou"
}}
provider "alicloud" {{
  alias  = "bj"
  region = "cn-beijing"
}}
resource "{LB}" "a" {{
  load_balancer_name = "a"
  load_balancer_spec = "slb.s1.small"
}}
resource "{LB}" "b" {{
  provider           = "alicloud.bj"
  load_balancer_name = "b"
  load_balancer_spec = "slb.s1.small"
  depends_on         = ["{LB}.a"]
  lifecycle {{
    ignore_changes = ["tags"]
  }}
}}
"""


def test_quoted_references_are_accepted_with_terraforms_warning(tmp_path, monkeypatch):
    d = _write(tmp_path, QUOTED)
    monkeypatch.chdir(d)
    r = CliRunner().invoke(cli, ["validate", "-json"])
    assert r.exit_code == 0, r.output
    import json
    report = json.loads(r.output)
    warnings = [x for x in report["diagnostics"] if x["summary"] == "Quoted references are deprecated"]
    # provider, depends_on and ignore_changes, each at the opening quote, as Terraform reports them
    assert [(w["range"]["start"]["line"], w["range"]["start"]["column"]) for w in warnings] == \
        [(14, 24), (17, 25), (19, 23)]
    assert all(w["severity"] == "warning" and w["detail"].startswith("In this context, references are expected "
               "literally rather than in quotes. Terraform 0.11 and earlier required quotes") for w in warnings)


def test_quoted_references_mean_what_the_unquoted_ones_mean(load):
    cfg = load(QUOTED)
    b = _instances(cfg, LB)[f"{LB}.b"]
    assert any(str(a) == f"{LB}.a" for a in b.depends_on)
    assert b.provider == "alicloud.bj"
    assert b.lifecycle.ignore_changes == ["tags"]


def test_plan_prints_the_quoted_reference_warnings_too(tmp_path, monkeypatch):
    d = _write(tmp_path, QUOTED)
    monkeypatch.chdir(d)
    r = CliRunner().invoke(cli, ["plan"])
    assert r.exit_code == 0, r.output
    assert r.output.count("warning: Quoted references are deprecated") == 3
    assert "main.tf:14:24: warning" in r.output and str(d) not in r.output


def test_setintersection_and_the_rest_of_the_set_functions(eval_expr):
    assert eval_expr('setintersection(["a", "b", "c"], ["b", "c", "d"], ["c", "b"])') == ["b", "c"]
    assert eval_expr('setunion(["a"], ["b"])') == ["a", "b"]
    assert eval_expr('setsubtract(["a", "b"], ["a"])') == ["b"]


def test_every_terraform_function_exists():
    from pathlib import Path
    listed = set((Path(__file__).parent / "conformance" / "terraform_functions.txt").read_text().split())
    from planner.config.functions import FUNCTIONS, SPECIAL
    assert len(listed) > 100
    assert sorted(listed - set(FUNCTIONS) - SPECIAL) == []


def test_did_you_mean_only_for_a_close_name_of_the_same_provider(tmp_path, monkeypatch):
    d = _write(tmp_path, """
resource "alicloud_slb_listner" "x" {}
resource "alicloud_slb_ruel" "y" {}
locals {
  a = uper("x")
}
""")
    monkeypatch.chdir(d)
    out = CliRunner().invoke(cli, ["validate"]).output
    assert 'did you mean "alicloud_slb_listener"?' in out
    assert 'did you mean "alicloud_slb_rule"?' in out
    assert 'There is no function named "uper". Did you mean "upper"?' in out
    (tmp_path / "nas").mkdir()
    d2 = _write(tmp_path / "nas", 'resource "alicloud_nas_file_system" "fs" {\n  protocol_type = "NFS"\n}\n')
    out = CliRunner().invoke(cli, ["validate", str(d2)]).output
    assert "did you mean" not in out


def test_one_error_per_block_not_per_count_instance(tmp_path, monkeypatch):
    d = _write(tmp_path, f"""
resource "{LB}" "lb" {{
  count              = 3
  load_balancer_name = "a"
  load_balancer_spec = "slb.s1.smal"
  bandwith           = 3
}}
resource "{LB}" "fmt" {{
  count              = 2
  load_balancer_name = format("%d", "x")
}}
""")
    monkeypatch.chdir(d)
    for args in (["validate"], ["plan"], ["apply", "-auto-approve"]):
        out = CliRunner().invoke(cli, args).output
        assert out.count('"slb.s1.smal"') == 1, (args, out)
        assert out.count("bandwith") == 1, (args, out)
        assert out.count('Invalid value for argument of "format"') == 1, (args, out)
        assert f"{LB}.lb:" in out and f"{LB}.lb[0]" not in out


def test_instances_that_differ_keep_their_own_diagnostics(tmp_path, monkeypatch):
    d = _write(tmp_path, f"""
resource "{LB}" "lb" {{
  count              = 2
  load_balancer_name = "a"
  load_balancer_spec = ["slb.s1.smal", "slb.s9.huge"][count.index]
}}
""")
    monkeypatch.chdir(d)
    out = CliRunner().invoke(cli, ["validate"]).output
    assert f"{LB}.lb[0]" in out and f"{LB}.lb[1]" in out


BROKEN = f"""
resource "alicloud_vpc" "v" {{
  vpc_name   = "v"
  cidr_block = "10.0.0.0/8"
  cidr_block = "10.0.0.0/8"
}}
resource "{LB}" "lb" {{
  load_balancer_name = upper(var.nope)
}}
resource "{LB}" "other" {{
  load_balancer_name = local.missing
}}
"""


def test_plan_and_apply_report_what_validate_reports_with_relative_paths(tmp_path, monkeypatch):
    d = _write(tmp_path, BROKEN)
    monkeypatch.chdir(d)
    runs = {}
    for args in (["validate"], ["plan"], ["apply", "-auto-approve"]):
        r = CliRunner().invoke(cli, args)
        assert r.exit_code == 1, (args, r.output)
        runs[args[0]] = [line for line in r.output.splitlines() if ": error: " in line]
        assert str(d) not in r.output and os.sep + "main.tf" not in r.output, r.output
    assert runs["validate"] == runs["plan"] == runs["apply"]
    assert [line.split(": error: ")[0] for line in runs["plan"]] == ["main.tf:5:3", "main.tf:8:30", "main.tf:11:24"]


def test_undeclared_names_suggest_a_close_declared_one(tmp_path, monkeypatch):
    d = _write(tmp_path, f"""
variable "region_name" {{
  default = "x"
}}
locals {{
  port_number = 1
}}
resource "{LB}" "web" {{
  load_balancer_name = var.region_nam
  description        = "${{local.port_numbr}} ${{{LB}.webb.id}} ${{var.zzz}}"
}}
""")
    monkeypatch.chdir(d)
    out = CliRunner().invoke(cli, ["validate"]).output
    assert 'has not been declared. Did you mean "region_name"?' in out
    assert 'has not been declared. Did you mean "port_number"?' in out
    assert 'has not been declared in the root module. Did you mean "web"?' in out
    assert 'An input variable with the name "zzz" has not been declared.\n' in out
