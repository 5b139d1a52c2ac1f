"""Rule: a forwarding rule's name and its (domain, url) match are unique per listener (the cloud
says RuleName exists / DomainExist): a rule deleted from a listener frees them before another rule
takes them."""

from __future__ import annotations

from collections import defaultdict

from planner.addresses import ResourceAddress
from planner.plan.edges.graph import OpGraph
from planner.plan.edges.index import PlanIndex
from planner.plan.model import OpKind
from planner.schema.facts import RULE


def _keys(ix: PlanIndex, addr: ResourceAddress, world: str) -> list[tuple]:
    v = ix.before(addr) if world == "old" else ix.after(addr)
    lb = ix.old_lb(addr) if world == "old" else ix.new_lb(addr)
    where = (lb, v.get("frontend_port"))
    return [(*where, "match", v.get("domain") or "", v.get("url") or ""), (*where, "name", v.get("name"))]


def freed_matches_first(ix: PlanIndex, g: OpGraph) -> None:
    freed: dict[tuple, list[ResourceAddress]] = defaultdict(list)
    for addr in ix.operated():
        if addr.type == RULE and ix.is_deleted(addr) and ix.old_exists(addr):
            for k in _keys(ix, addr, "old"):
                freed[k].append(addr)
    if not freed:
        return
    for addr in ix.sorted_operated():
        if addr.type != RULE or not ix.new_exists(addr):
            continue
        taker = g.op(addr, OpKind.CREATE) or g.op(addr, OpKind.UPDATE)
        for k in _keys(ix, addr, "new"):
            for old in freed.get(k, []):
                if old != addr:
                    g.add(g.op(old, OpKind.DELETE), taker,
                          f"{old} frees its rule {k[2]} on port {k[1]} before {addr} takes it "
                          "(unique per listener)")
