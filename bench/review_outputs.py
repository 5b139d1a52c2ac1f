"""How long the review outputs take on a large plan: saved-plan encode/write/read, JSON, Markdown.

    python bench/review_outputs.py [N] [--memory]      (default 10000 resource changes)

Builds the Plan object directly (N listeners: creates, updates, replaces, deletes in turn, each
with a chain edge), so it measures only the renderers and the plan file, not planning itself.
"""

from __future__ import annotations

import json
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from planner.addresses import ResourceAddress
from planner.plan.model import Action, Edge, Operation, OpKind, Plan, ResourceChange
from planner.plan.planfile import decode_plan, encode_plan, write_plan_file
from planner.render.json_plan import plan_json
from planner.render.markdown import render_markdown
from planner.state.model import State
from planner.values import UNKNOWN


def big_plan(n: int) -> Plan:
    changes, ops, edges = [], [], []
    for i in range(n):
        kind = (Action.CREATE, Action.UPDATE, Action.DELETE_THEN_CREATE, Action.DELETE)[i % 4]
        addr = ResourceAddress("alicloud_slb_listener", f"l{i}")
        before = None if kind is Action.CREATE else {
            "id": f"lb-{i}:http:{1000 + i}", "frontend_port": 1000 + i, "protocol": "http", "bandwidth": -1,
            "description": f"listener {i}", "health_check": "on", "server_group_id": f"rsp-{i}"}
        after = None if kind is Action.DELETE else {
            "id": UNKNOWN if kind is not Action.UPDATE else f"lb-{i}:http:{1000 + i}",
            "frontend_port": 2000 + i, "protocol": "http", "bandwidth": -1, "description": f"listener {i}",
            "health_check": "on", "server_group_id": UNKNOWN}
        ch = ResourceChange(addr, kind, before, after, reason=f"change {i}",
                            replace_paths=[["frontend_port"]] if kind.is_replace else [])
        changes.append(ch)
        op = Operation(addr, OpKind.DELETE if kind is Action.DELETE else OpKind.CREATE, ch,
                       load_balancer=f"lb-{i // 50}")
        if ops:
            edges.append(Edge(ops[-1].id, op.id, "same load balancer: one mutating call at a time"))
        ops.append(op)
    return Plan(changes=changes, operations=ops, edges=edges, verified=True)


def timed(label: str, fn):
    t = time.perf_counter()
    out = fn()
    print(f"  {label:<34} {time.perf_counter() - t:7.3f} s")
    return out


def main() -> None:
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    n = int(args[0]) if args else 10_000
    plan = big_plan(n)
    print(f"review outputs for {n} resource changes, {len(plan.operations)} operations, {len(plan.edges)} edges")
    if "--memory" in sys.argv:
        tracemalloc.start()  # slows everything down: timings are only meaningful without it
    enc = timed("encode_plan (saved form)", lambda: encode_plan(plan, "salt"))
    doc = timed("plan_json (Terraform JSON)", lambda: plan_json(plan, prior=State()))
    with tempfile.TemporaryDirectory() as d:
        path = Path(d) / "p.plan"
        timed("write plan file (atomic, fsync)", lambda: write_plan_file(path, {**doc, "clbplan_planfile": enc}))
        size = path.stat().st_size
        back = timed("read + decode plan file", lambda: decode_plan(json.loads(path.read_text())
                                                                       ["clbplan_planfile"]))
    assert len(back.changes) == n
    md = timed("render_markdown (65,000 cap)", lambda: render_markdown(plan))
    print(f"  plan file size                     {size / 1e6:7.1f} MB")
    print(f"  markdown length                    {len(md):7d} chars")
    if tracemalloc.is_tracing():
        print(f"  peak traced memory                 {tracemalloc.get_traced_memory()[1] / 1e6:7.1f} MB")


if __name__ == "__main__":
    main()
