"""Markdown for pull requests: goldens for three scenarios, destroys first and marked, a hard size cap."""

from __future__ import annotations

import pytest

from planner.addresses import ResourceAddress
from planner.plan.model import Action, Edge, Operation, OpKind, Plan, ResourceChange
from planner.render.markdown import MAX_CHARS, WARN, render_markdown
from tests.scenarios.scenario_runner import normalise
from tests.support.review import check_golden, run, scenario_work


@pytest.mark.parametrize("name", ["listener_port_change", "lb_destroyed_with_children",
                                  "vserver_group_deleted_listener_repointed"])
def test_golden_markdown(name, tmp_path):
    work = scenario_work(tmp_path, name)
    plan_file = tmp_path / "pr.plan"
    assert run("plan", work, "-out", plan_file).exit_code == 0
    r = run("show", plan_file, "-markdown")
    assert r.exit_code == 0, r.output
    # the header names the folder (the scenario's copy) and the plan file as the user passed them
    check_golden(f"{name}.md", normalise(r.output.replace(str(plan_file), "pr.plan")))


def test_destroys_come_first_and_are_marked(tmp_path):
    work = scenario_work(tmp_path, "lb_destroyed_with_children")
    plan_file = tmp_path / "pr.plan"
    assert run("plan", work, "-out", plan_file).exit_code == 0
    md = run("show", plan_file, "-markdown").output
    head, _, details = md.partition("#### Changes")
    assert f"#### {WARN} Destroyed or replaced" in head
    assert f"- {WARN} `alicloud_slb_load_balancer.web`: **destroy**" in head
    assert details.count("<details>") == details.count("</details>") >= 2


def _big_plan(n: int) -> Plan:
    changes, ops, edges = [], [], []
    for i in range(n):
        kind = (Action.CREATE, Action.UPDATE, Action.DELETE_THEN_CREATE, Action.DELETE)[i % 4]
        addr = ResourceAddress("alicloud_slb_listener", f"l{i}")
        before = None if kind is Action.CREATE else {"frontend_port": 1000 + i, "description": "old " * 5}
        after = None if kind is Action.DELETE else {"frontend_port": 2000 + i, "description": "new " * 5}
        ch = ResourceChange(addr, kind, before, after, reason=f"change number {i}",
                            replace_paths=[["frontend_port"]] if kind.is_replace else [])
        changes.append(ch)
        op = Operation(addr, OpKind.DELETE if kind is Action.DELETE else OpKind.CREATE, ch)
        if ops:
            edges.append(Edge(ops[-1].id, op.id, "one step at a time"))
        ops.append(op)
    return Plan(changes=changes, operations=ops, edges=edges)


def test_cap_on_a_ten_thousand_change_plan_keeps_the_summary_and_says_so():
    plan = _big_plan(10_000)
    md = render_markdown(plan)
    assert len(md) <= MAX_CHARS
    assert "**Plan: 5000 to add, 2500 to change, 5000 to destroy.** (2500 of them replaced)" in md
    table = md.split("| **Total** |")[1].splitlines()[0]
    assert table == " **2500** | **2500** | **2500** | **2500** |"  # add/change/replace/destroy
    assert "**Output truncated**" in md and "resource details and the operation list left out" in md
    assert "more destroyed or replaced" in md  # the list of destroys is cut with a count, not silently
    assert md.count("<details>") == md.count("</details>")  # no section cut in half


def test_small_plan_is_not_truncated_and_lists_operations():
    md = render_markdown(_big_plan(8))
    assert "truncated" not in md
    assert "<summary>Operations, in order</summary>" in md
    assert "4. ⚠️ delete `alicloud_slb_listener.l3`" in md and "after 1: one step at a time" in md


def test_custom_limit_is_honoured_exactly():
    plan = _big_plan(300)
    for limit in (5_000, 20_000, 40_000):
        md = render_markdown(plan, limit=limit)
        assert len(md) <= limit and "Plan: " in md
