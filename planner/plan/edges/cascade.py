"""Rule: children of a deleted load balancer are deleted by the cloud with it (no API call; the
operations are marked ``cascaded`` when made), and their delete is recorded only after the load
balancer's delete succeeded."""

from __future__ import annotations

from planner.plan.edges.graph import OpGraph
from planner.plan.edges.index import PlanIndex
from planner.plan.model import OpKind
from planner.schema.facts import LOAD_BALANCER_TYPES


def children_go_with_their_load_balancer(ix: PlanIndex, g: OpGraph) -> None:
    cascade = ix.cascade_map()
    if not cascade:
        return
    lb_dels = {op.id for op in (g.op(a, OpKind.DELETE) for a in ix.prior.resources if a.type in LOAD_BALANCER_TYPES)
               if op is not None}
    for addr, lb_addr in cascade.items():
        d = g.op(addr, OpKind.DELETE)
        lb_del = g.op(lb_addr, OpKind.DELETE)
        g.unlink(d.id, lb_del.id)
        g.add(lb_del, d, f"deleted together with its load balancer {lb_addr}")
        # A CLB child belongs to one load balancer and can use no other; an edge "child deleted
        # before another LB" only comes from an unkeyed recorded dependency (lb[each.key] records
        # every instance) and, with the cascade, would order LBs against each other in a cycle.
        for other in [s for s in g.successors(d.id) if s in lb_dels and s != lb_del.id]:
            g.unlink(d.id, other)
