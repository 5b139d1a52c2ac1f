"""Module evaluation: variables and their precedence, meta-arguments, resolver contract, caching."""

from __future__ import annotations

import json

import pytest

from planner.addresses import ResourceAddress as RA
from planner.config import load_module
from planner.config import loader as loader_mod
from planner.config.evaluation import evaluate
from planner.diagnostics import DiagnosticsError
from planner.graph import find_cycle_diagnostics, resource_graph
from planner.values import UNKNOWN

LB = "alicloud_slb_load_balancer"
SG = "alicloud_slb_server_group"


def test_variable_precedence_env_tfvars_auto_varfile_cli(load, write_tf, tmp_path):
    files = {
        "main.tf": """
            variable "a" {}
            variable "b" {}
            variable "c" {}
            variable "d" {}
            variable "e" {}
            variable "f" {}
        """,
        "terraform.tfvars": 'b = "tfvars"\nc = "tfvars"\nd = "tfvars"\ne = "tfvars"\nf = "tfvars"\n',
        "terraform.tfvars.json": json.dumps({"c": "tfjson", "d": "tfjson", "e": "tfjson", "f": "tfjson"}),
        "x.auto.tfvars": 'd = "auto"\ne = "auto"\nf = "auto"\n',
    }
    extra = tmp_path / "extra.tfvars"
    extra.write_text('e = "varfile"\nf = "varfile"\n')
    env = {f"TF_VAR_{n}": "env" for n in "abcdef"}
    cfg = load(files, env=env, var_files=[str(extra)], var_args=["f=cli"])
    assert cfg.variables == {"a": "env", "b": "tfvars", "c": "tfjson", "d": "auto", "e": "varfile", "f": "cli"}


def test_complex_cli_value_is_parsed_as_hcl_and_converted(load):
    cfg = load("""
        variable "ports" { type = list(number) }
        variable "obj" {
          type = object({ name = string, weight = optional(number, 100) })
        }
    """, var_args=['ports=[80, "443"]', 'obj={name = "a"}'])
    assert cfg.variables["ports"] == [80, 443]
    assert cfg.variables["obj"] == {"name": "a", "weight": 100}


def test_count_for_each_and_dynamic_blocks(load):
    cfg = load(f"""
        variable "backends" {{
          default = {{ a = {{ port = 80 }}, b = {{ port = 81 }} }}
        }}
        resource "{LB}" "lb" {{
          count = 2
          load_balancer_name = "lb-${{count.index}}"
        }}
        resource "{SG}" "g" {{
          for_each = var.backends
          load_balancer_id = {LB}.lb[1].id
          name = "g-${{each.key}}-${{each.value.port}}"
          dynamic "servers" {{
            for_each = [1, 2]
            iterator = srv
            content {{
              port = each.value.port + srv.value
              dynamic "inner" {{
                for_each = toset(["x"])
                content {{ tag = "${{srv.key}}${{inner.value}}" }}
              }}
            }}
          }}
        }}
    """)
    assert set(cfg.resources) == {RA(LB, "lb", 0), RA(LB, "lb", 1), RA(SG, "g", "a"), RA(SG, "g", "b")}
    g = cfg.resources[RA(SG, "g", "b")]
    assert g.attributes["name"] == "g-b-81"
    assert g.attributes["load_balancer_id"] is UNKNOWN
    assert g.attributes["servers"] == [{"port": 82, "inner": [{"tag": "0x"}]}, {"port": 83, "inner": [{"tag": "1x"}]}]
    assert g.depends_on == {RA(LB, "lb", 1)}  # static index: instance-precise
    assert g.pos_of("servers", 1, "port").line == 16


def test_lifecycle_provider_depends_on_and_positions(load):
    cfg = load(f"""
        provider "alicloud" {{
          region = "cn-hangzhou"
        }}
        provider "alicloud" {{
          alias  = "sh"
          region = "cn-shanghai"
          endpoints {{
            slb = "127.0.0.1:9000"
          }}
        }}
        resource "{LB}" "a" {{
          load_balancer_name = "a"
        }}
        resource "{LB}" "b" {{
          provider = alicloud.sh
          load_balancer_name = "b"
          depends_on = [{LB}.a]
          lifecycle {{
            create_before_destroy = true
            prevent_destroy = true
            ignore_changes = [tags, load_balancer_name]
          }}
        }}
        resource "{LB}" "c" {{
          lifecycle {{
            ignore_changes = all
          }}
        }}
    """)
    b = cfg.resources[RA(LB, "b")]
    assert b.provider == "alicloud.sh"
    assert b.depends_on == {RA(LB, "a")}
    assert (b.lifecycle.create_before_destroy, b.lifecycle.prevent_destroy) == (True, True)
    assert b.lifecycle.ignore_changes == ["tags", "load_balancer_name"]
    assert cfg.resources[RA(LB, "c")].lifecycle.ignore_changes == ["*"]
    assert b.positions[("load_balancer_name",)].line == 16
    assert cfg.providers["alicloud.sh"].endpoints == {"slb": "127.0.0.1:9000"}
    assert cfg.providers["alicloud"].region == "cn-hangzhou"
    graph = resource_graph(cfg)
    assert graph.edges[RA(LB, "a"), RA(LB, "b")]["reason"] == "depends_on"


def test_sensitive_values_mark_attributes_and_outputs(load):
    cfg = load(f"""
        variable "key" {{
          default = "k"
          sensitive = true
        }}
        locals {{
          derived = "x-${{var.key}}"
        }}
        resource "{LB}" "a" {{
          load_balancer_name = "plain"
          description = local.derived
          tags = {{ t = sensitive("s") }}
        }}
        output "secret" {{
          value = local.derived
          sensitive = true
        }}
    """)
    assert cfg.resources[RA(LB, "a")].sensitive == {"description", "tags"}
    assert cfg.sensitive_variables == {"key"}
    assert cfg.outputs["secret"].sensitive and cfg.outputs["secret"].value == "x-k"


def test_resolver_is_called_in_dependency_order_and_its_values_are_seen(load):
    seen: list[str] = []

    def resolver(inst):
        seen.append(str(inst.address))
        return {**inst.attributes, "id": f"id-{inst.address.name}"}

    cfg = load(f"""
        resource "{SG}" "g" {{
          load_balancer_id = local.lb_id
        }}
        locals {{
          lb_id = {LB}.lb.id
        }}
        resource "{LB}" "lb" {{
          load_balancer_name = "x"
        }}
        output "g" {{ value = {SG}.g.load_balancer_id }}
    """, resolver=resolver)
    assert seen == [f"{LB}.lb", f"{SG}.g"]
    assert cfg.resources[RA(SG, "g")].attributes["load_balancer_id"] == "id-lb"
    assert cfg.resources[RA(SG, "g")].depends_on == {RA(LB, "lb")}  # through the local
    assert cfg.outputs["g"].value == "id-lb"


def test_evaluate_instance_replaces_unknown_ids_without_reparsing(load, monkeypatch):
    cfg = load(f"""
        resource "{LB}" "lb" {{
          count = 2
          load_balancer_name = "x"
        }}
        locals {{
          first = {LB}.lb[0].id
        }}
        resource "{SG}" "g" {{
          load_balancer_id = local.first
          name = "${{{LB}.lb[1].id}}-grp"
        }}
    """)
    addr = RA(SG, "g")
    assert cfg.resources[addr].attributes["load_balancer_id"] is UNKNOWN

    def boom(*a, **k):
        raise AssertionError("evaluate_instance must not re-parse")
    monkeypatch.setattr(loader_mod, "parse_text", boom)
    ids = {RA(LB, "lb", 0): {"id": "lb-0"}, RA(LB, "lb", 1): {"id": "lb-1"}}
    attrs = cfg.evaluate_instance(addr, ids.get)
    assert attrs["load_balancer_id"] == "lb-0"
    assert attrs["name"] == "lb-1-grp"


def test_data_sources_are_unknown_without_a_reader(load):
    cfg = load(f"""
        data "alicloud_zones" "z" {{
          available_resource_creation = "Slb"
        }}
        resource "{LB}" "a" {{
          load_balancer_name = data.alicloud_zones.z.zones[0].id
        }}
    """)
    assert cfg.resources[RA(LB, "a")].attributes["load_balancer_name"] is UNKNOWN
    assert RA("alicloud_zones", "z", None, "data") in cfg.data_sources
    assert cfg.resources[RA(LB, "a")].depends_on == {RA("alicloud_zones", "z", None, "data")}


def test_heredocs_templates_and_files(load, write_tf):
    d = write_tf({"tpl.tftpl": "%{ for p in ports ~}\nport ${p}\n%{ endfor ~}\n"}, sub="cfg")
    cfg = load({"main.tf": """
        locals {
          plain = <<EOT
        a ${1 + 1}
          b
        EOT
          trimmed = <<-EOT
            one
              two ${"x"}
            EOT
          rendered = templatefile("${path.module}/tpl.tftpl", { ports = [80, 443] })
          raw = file("${path.module}/tpl.tftpl")
        }
        output "o" { value = [local.plain, local.trimmed, local.rendered] }
    """})
    assert d.is_dir()
    plain, trimmed, rendered = cfg.outputs["o"].value
    assert plain == "a 2\n  b\n"
    assert trimmed == "one\n  two x\n"
    assert rendered == "port 80\nport 443\n"


def test_tf_json_files_load_like_hcl(load):
    cfg = load({"main.tf.json": json.dumps({
        "variable": {"n": {"default": "web"}},
        "resource": {LB: {"a": {"load_balancer_name": "${var.n}-lb", "count": 1,
                                "lifecycle": {"ignore_changes": ["tags"]}}}},
    })})
    inst = cfg.resources[RA(LB, "a", 0)]
    assert inst.attributes["load_balancer_name"] == "web-lb"
    assert inst.lifecycle.ignore_changes == ["tags"]


def test_parse_cache_is_used_on_second_load_and_keyed_by_content(write_tf, monkeypatch):
    d = write_tf({"main.tf": 'locals {\n  a = 1\n}\n'})
    load_module(d)
    cached = list((d / ".clbplan" / "parse-cache").iterdir())
    assert len(cached) == 1 and loader_mod.CACHE_KEY_PREFIX in cached[0].name
    calls = []
    real = loader_mod.parse_text
    monkeypatch.setattr(loader_mod, "parse_text", lambda t: calls.append(t) or real(t))
    m = load_module(d)
    assert calls == [] and m.locals["a"][0].name == "a"
    (d / "main.tf").write_text('locals {\n  a = 2\n}\n')
    load_module(d)
    assert len(calls) == 1


def test_content_hash_changes_with_any_file(write_tf, no_schema):
    d = write_tf({"a.tf": "locals {\n  a = 1\n}\n"})
    h1 = evaluate(load_module(d), env={}).content_hash
    (d / "b.tf").write_text("locals {\n  b = 1\n}\n")
    h2 = evaluate(load_module(d), env={}).content_hash
    assert h1 and h2 and h1 != h2


def test_all_syntax_errors_of_all_files_in_one_error(write_tf):
    d = write_tf({"a.tf": 'locals {\n  a = "x\n}\n', "b.tf": "locals {\n", "c.tf": "locals {\n  ok = 1\n}\n"})
    with pytest.raises(DiagnosticsError) as ei:
        load_module(d)
    assert sorted(x.pos.filename.rsplit("/", 1)[-1] for x in ei.value.diagnostics) == ["a.tf", "b.tf"]


def test_find_cycle_diagnostics_names_the_cycle():
    import networkx as nx
    g = nx.DiGraph()
    a, b = RA(LB, "a"), RA(LB, "b")
    g.add_edge(a, b)
    g.add_edge(b, a)
    diags = find_cycle_diagnostics(g)
    assert len(diags) == 1 and diags[0].summary.startswith("Cycle: ")
    assert f"{LB}.a" in diags[0].summary and f"{LB}.b" in diags[0].summary


def test_stale_cache_entries_are_pruned(write_tf):
    d = write_tf({"main.tf": 'locals {\n  a = 1\n}\n'})
    load_module(d)
    (d / "main.tf").write_text('locals {\n  a = 2\n}\n')
    load_module(d)
    assert len(list((d / ".clbplan" / "parse-cache").iterdir())) == 1


def _summaries(excinfo) -> list[str]:
    return [d.summary for d in excinfo.value.diagnostics]


def test_variable_rules_nullable_validation_scope_and_undeclared_cli_var(load):
    with pytest.raises(DiagnosticsError) as ei:
        load("""
            variable "a" {
              default  = null
              nullable = false
            }
            variable "b" {
              default = 1
              validation {
                condition     = var.b > var.c
                error_message = "b must exceed c."
              }
            }
            variable "c" {
              default = 0
            }
        """, var_args=["zzz=1"])
    got = _summaries(ei)
    assert "Required variable not set" in got
    assert "Invalid reference in variable validation" in got
    assert "Value for undeclared variable" in got


def test_undeclared_tfvars_entry_is_only_a_warning(write_tf, monkeypatch, no_schema):
    from click.testing import CliRunner

    from planner.cli.main import cli
    d = write_tf({"main.tf": 'variable "a" {}\n', "terraform.tfvars": 'a = "x"\nextra = 1\n'})
    monkeypatch.chdir(d)
    result = CliRunner().invoke(cli, ["validate"])
    assert result.exit_code == 0
    assert "terraform.tfvars:2:1: warning: Value for undeclared variable" in result.output
    extra = d / "more.tfvars"
    extra.write_text('a = 5\n')
    out = CliRunner().invoke(cli, ["validate", "-json", "-var-file", "more.tfvars", "-var", "a=7"])
    assert json.loads(out.output)["valid"] is True


def test_for_each_over_set_of_numbers_is_rejected(load):
    with pytest.raises(DiagnosticsError) as ei:
        load(f'resource "{LB}" "a" {{\n  for_each = toset([1, 2])\n}}\n')
    assert _summaries(ei) == ["Invalid for_each set argument"]
    assert ei.value.diagnostics[0].pos.line == 2


def test_parallel_parse_gives_the_same_module_as_serial(write_tf, monkeypatch, no_schema):
    files = {f"f{i}.tf": "".join(f'resource "{LB}" "r{i}_{j}" {{\n  load_balancer_name = "n{j}"\n}}\n'
                                 for j in range(30)) for i in range(3)}
    d = write_tf(files)
    serial = evaluate(load_module(d, use_cache=False), env={})
    monkeypatch.setattr(loader_mod, "PARALLEL_MIN_BYTES", 8)
    monkeypatch.setattr(loader_mod, "usable_cpus", lambda: 2)
    used: list[int] = []
    real_pool = loader_mod.ProcessPoolExecutor

    def spy(max_workers, mp_context=None):
        used.append(max_workers)
        return real_pool(max_workers=max_workers, mp_context=mp_context)
    monkeypatch.setattr(loader_mod, "ProcessPoolExecutor", spy)
    parallel = evaluate(load_module(d), env={})
    assert {a: i.attributes for a, i in serial.resources.items()} == \
        {a: i.attributes for a, i in parallel.resources.items()}
    assert len(parallel.resources) == 90
    assert len(list((d / ".clbplan" / "parse-cache").iterdir())) == 3
    assert parallel.resources[RA(LB, "r2_5")].pos.line == 16
    assert used == [2]


def test_nonsensitive_declassifies_an_output(load):
    cfg = load("""
        variable "s" {
          default   = "x"
          sensitive = true
        }
        output "o" {
          value = nonsensitive(var.s)
        }
    """)
    assert cfg.outputs["o"].value == "x" and cfg.outputs["o"].sensitive is False


def test_instance_keys_written_as_expressions_depend_on_one_instance(load):
    """``lb[each.key]`` and ``lb[count.index]`` make each instance wait for the one instance it names
    (not all of them: at 10,000 load balancers that is 10^8 dependencies); a key known only through a
    ``for`` iterator, a local or a splat depends on the whole resource, recorded once as its unkeyed
    address (not one entry per instance: N x M again)."""
    cfg = load(f"""
        variable "names" {{
          default = ["a", "b", "c"]
        }}
        locals {{
          first = {LB}.by_name[var.names[0]].id
        }}
        resource "{LB}" "by_name" {{
          for_each = toset(var.names)
          load_balancer_name = each.key
        }}
        resource "{LB}" "counted" {{
          count = 3
          load_balancer_name = "c-${{count.index}}"
        }}
        resource "{SG}" "per_lb" {{
          for_each = toset(var.names)
          load_balancer_id = {LB}.by_name[each.key].id
          name = {LB}.counted[index(var.names, each.key)].load_balancer_name
        }}
        resource "{SG}" "per_count" {{
          count = 3
          load_balancer_id = {LB}.counted[count.index].id
          name = "n${{count.index}}"
        }}
        resource "{SG}" "through_for" {{
          load_balancer_id = [for k in var.names : {LB}.by_name[k].id][0]
          name = "f"
        }}
        resource "{SG}" "through_local" {{
          count = 1
          load_balancer_id = local.first
          name = "l"
        }}
        resource "{SG}" "splat" {{
          load_balancer_id = {LB}.counted[*].id[0]
          name = "s"
        }}
    """)
    every_named = {RA(LB, "by_name")}  # the unkeyed address stands for every instance
    every_counted = {RA(LB, "counted")}
    assert cfg.resources[RA(SG, "per_lb", "b")].depends_on == {RA(LB, "by_name", "b"), RA(LB, "counted", 1)}
    assert cfg.resources[RA(SG, "per_count", 2)].depends_on == {RA(LB, "counted", 2)}
    assert cfg.resources[RA(SG, "through_for")].depends_on == every_named
    assert cfg.resources[RA(SG, "through_local", 0)].depends_on == every_named
    assert cfg.resources[RA(SG, "splat")].depends_on == every_counted


def test_apply_time_values_are_cached_until_invalidated(load):
    """The executor re-evaluates thousands of instances; the cache keeps resource values between
    evaluations and recomputes only what the executor says changed."""
    from planner.config.evaluation import InstanceValues

    cfg = load(f"""
        resource "{LB}" "lb" {{
          for_each = toset(["a", "b"])
          load_balancer_name = each.key
        }}
        resource "{SG}" "g" {{
          for_each = toset(["a", "b"])
          load_balancer_id = {LB}.lb[each.key].id
          name = join(",", [for k, v in {LB}.lb : v.id])
        }}
    """)
    applied: dict = {}
    cache = InstanceValues()
    lookup = applied.get
    before = cfg.evaluate_instance(RA(SG, "g", "a"), lookup, cache)
    assert before["load_balancer_id"] is UNKNOWN and before["name"] is UNKNOWN
    applied[RA(LB, "lb", "a")] = {"id": "lb-a", "load_balancer_name": "a"}
    cache.invalidate(RA(LB, "lb", "a"))
    mid = cfg.evaluate_instance(RA(SG, "g", "a"), lookup, cache)
    assert mid["load_balancer_id"] == "lb-a" and mid["name"] is UNKNOWN
    applied[RA(LB, "lb", "b")] = {"id": "lb-b", "load_balancer_name": "b"}
    stale = cfg.evaluate_instance(RA(SG, "g", "b"), lookup, cache)
    assert stale["load_balancer_id"] is UNKNOWN  # not invalidated: the cached value stands
    cache.invalidate(RA(LB, "lb", "b"))
    after = cfg.evaluate_instance(RA(SG, "g", "b"), lookup, cache)
    assert after["load_balancer_id"] == "lb-b" and after["name"] == "lb-a,lb-b"
    assert mid["load_balancer_id"] == "lb-a"  # values handed out earlier are never mutated
    # an orphan deleted during the apply (a key the configuration no longer has) changes nothing
    cache.invalidate(RA(LB, "lb", "gone"))
    assert cfg.evaluate_instance(RA(SG, "g", "a"), lookup, cache)["name"] == "lb-a,lb-b"


def test_apply_time_cache_ignores_orphans_of_a_lowered_count(load):
    from planner.config.evaluation import InstanceValues

    cfg = load(f"""
        resource "{LB}" "lb" {{
          count = 2
          load_balancer_name = "n${{count.index}}"
        }}
        resource "{SG}" "g" {{
          load_balancer_id = {LB}.lb[1].id
          name = join(",", {LB}.lb[*].id)
        }}
    """)
    applied = {RA(LB, "lb", i): {"id": f"lb-{i}", "load_balancer_name": f"n{i}"} for i in range(2)}
    cache = InstanceValues()
    assert cfg.evaluate_instance(RA(SG, "g"), applied.get, cache)["name"] == "lb-0,lb-1"
    cache.invalidate(RA(LB, "lb", 5))  # lb[5] was deleted: count went down from 6
    applied[RA(LB, "lb", 1)] = {"id": "lb-1b", "load_balancer_name": "n1"}
    cache.invalidate(RA(LB, "lb", 1))
    assert cfg.evaluate_instance(RA(SG, "g"), applied.get, cache)["name"] == "lb-0,lb-1b"


def test_resource_graph_draws_a_whole_resource_dependency_from_every_instance(load):
    """The unkeyed address a splat records stands for every instance in ``clbplan graph``."""
    cfg = load(f"""
        resource "{LB}" "lb" {{
          count = 3
          load_balancer_name = "n${{count.index}}"
        }}
        resource "{SG}" "g" {{
          load_balancer_id = {LB}.lb[*].id[0]
          name = "g"
        }}
    """)
    assert cfg.resources[RA(SG, "g")].depends_on == {RA(LB, "lb")}
    graph = resource_graph(cfg)
    assert {a for a, b in graph.edges if b == RA(SG, "g")} == {RA(LB, "lb", i) for i in range(3)}


def test_a_remembered_splat_follows_the_list_it_reads():
    """The splat memo is keyed by the list object: another list (the next apply step's values) is
    read afresh, and callers get their own copy to keep."""
    from planner.config.expr import Evaluator, Scope
    from planner.config.hclparse import parse_expression

    ev = Evaluator()
    expr = parse_expression("xs[*].id")
    first = [{"id": f"a{i}"} for i in range(40)]
    second = [{"id": f"b{i}"} for i in range(40)]
    got1 = ev.ev(expr, Scope(lambda n: None, {"xs": first}))
    got1.append("mine")
    assert ev.ev(expr, Scope(lambda n: None, {"xs": first})) == [f"a{i}" for i in range(40)]
    assert ev.ev(expr, Scope(lambda n: None, {"xs": second})) == [f"b{i}" for i in range(40)]


def test_apply_time_evaluation_leaves_nothing_for_the_cyclic_collector(load, monkeypatch):
    """An apply re-evaluates every instance that names a new object's id (100,000 at 10,000 load
    balancers). Each evaluation's scope objects must go when it returns: left in reference cycles they
    waited for the collector, whose passes over them were seconds of the walk."""
    import gc
    import weakref

    from planner.config import evaluation

    cfg = load(f"""
        resource "{LB}" "lb" {{
          for_each = toset(["a", "b"])
          load_balancer_name = each.key
        }}
        locals {{
          names = {{ for k, v in {LB}.lb : k => v.id }}
        }}
        resource "{SG}" "g" {{
          for_each = toset(["a", "b"])
          load_balancer_id = {LB}.lb[each.key].id
          name = "${{local.names[each.key]}}-${{var.suffix}}"
        }}
        variable "suffix" {{
          default = "x"
        }}
    """)
    views: list = []
    real_init = evaluation._ApplyView.__init__

    def init(self, *args, **kwargs):
        real_init(self, *args, **kwargs)
        views.append(weakref.ref(self))
    monkeypatch.setattr(evaluation._ApplyView, "__init__", init)
    applied = {RA(LB, "lb", "a"): {"id": "lb-a", "load_balancer_name": "a"},
               RA(LB, "lb", "b"): {"id": "lb-b", "load_balancer_name": "b"}}
    was = gc.isenabled()
    gc.disable()
    try:
        got = cfg.evaluate_instance(RA(SG, "g", "b"), applied.get)
        assert got["load_balancer_id"] == "lb-b" and got["name"] == "lb-b-x"
        assert views and all(ref() is None for ref in views)  # freed on return, without a collection
    finally:
        if was:
            gc.enable()
