"""The parser's fast paths give exactly what the plain ones give (issue 17: configuration load).

Positions end up in every diagnostic a user reads (``main.tf:12:3``), so the lean position
propagation must agree with lark's own on every node; and a run confined to one core must not
pay for worker processes that can only take turns on it."""

from __future__ import annotations

from pathlib import Path

import hcl2
from lark import Tree

from planner.config import load_module
from planner.config import loader as loader_mod
from planner.config.hclparse import _parse_tree, blank_core_namespace, strip_interpolation_markers
from tests.config.bench_shapes import every_shape_once

REPO = Path(__file__).resolve().parents[2]


def _starts(tree: Tree) -> list[tuple[str, int | None, int | None]]:
    """Every node's start, newline nodes aside: hclparse drops the newlines HCL ignores (inside
    brackets, and ``/* */`` comments) before its parser sees them, python-hcl2 keeps them."""
    out = []
    for t in tree.iter_subtrees_topdown():
        if t.data == "new_line_or_comment":
            continue
        m = t.meta
        out.append((t.data, getattr(m, "line", None), getattr(m, "column", None)))
    return out


def test_start_positions_match_lark_on_every_node_of_the_examples_and_bench_shapes():
    texts = [p.read_text() for p in sorted((REPO / "examples").rglob("*.tf"))]
    texts.append(every_shape_once())
    texts.append('locals {\n  x = [for k, v in { a = (1 + 2) * 3 } : "${k}-%{if v > 1}big%{endif}" if v != 0]\n'
                 '  y = var.list[*].id\n  z = <<-EOT\n    hi ${var.n}\n  EOT\n}\n')
    assert len(texts) > 5
    for text in texts:
        cleaned, _ = strip_interpolation_markers(blank_core_namespace(text))
        cleaned = cleaned if cleaned.endswith("\n") else cleaned + "\n"
        assert _starts(_parse_tree(cleaned)) == _starts(hcl2.parses_to_tree(cleaned))


def test_one_core_parses_in_process_without_worker_processes(write_tf, monkeypatch, no_schema):
    files = {f"f{i}.tf": "".join(f'resource "alicloud_slb_load_balancer" "r{i}_{j}" {{\n  load_balancer_name = "n{j}"\n}}\n'
                                 for j in range(30)) for i in range(3)}
    d = write_tf(files)
    monkeypatch.setattr(loader_mod, "PARALLEL_MIN_BYTES", 8)
    monkeypatch.setattr(loader_mod.os, "sched_getaffinity", lambda pid: {0}, raising=False)

    def no_pool(*a, **kw):
        raise AssertionError("a worker pool was started on one core")
    monkeypatch.setattr(loader_mod, "ProcessPoolExecutor", no_pool)
    module = load_module(d)
    assert len(module.resources) == 90
