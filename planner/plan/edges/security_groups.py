"""Rule: an instance (or ENI) that moves to other security groups keeps rules all the way.

The rules of the groups it joins are created before it joins them, and the rules of the groups it
leaves are deleted only after it has left. The references alone let the old rules go first and the
new ones come last: a window in which its traffic matched no rule. Only an order preference, so it
yields to any edge already there (never a cycle).
"""

from __future__ import annotations

from planner.addresses import ResourceAddress
from planner.plan.edges.graph import OpGraph
from planner.plan.edges.index import PlanIndex, strings
from planner.plan.model import Operation, OpKind
from planner.schema.facts import SECURITY_GROUP, SECURITY_GROUP_MEMBERS, SECURITY_GROUP_RULE


def rules_outlive_membership(ix: PlanIndex, g: OpGraph) -> None:
    # only operations are ordered: a rule that is neither created nor deleted, or a member that is
    # not updated, has nothing to order
    rules = [a for a in ix.sorted_operated() if a.type == SECURITY_GROUP_RULE]
    if not rules:
        return
    for addr in ix.sorted_operated():
        attr = SECURITY_GROUP_MEMBERS.get(addr.type)
        u = g.op(addr, OpKind.UPDATE)
        if attr is None or u is None:
            continue
        _member_moves(ix, g, rules, addr, attr, u)


def _member_moves(ix: PlanIndex, g: OpGraph, rules: list[ResourceAddress], addr: ResourceAddress,
                  attr: str, u: Operation) -> None:
    """Order the rules of the groups ``addr`` joins before its update, those it leaves after."""
    old_ids = {s for s in strings(ix.before(addr).get(attr)) if s}
    known_new = {s for s in strings(ix.after(addr).get(attr)) if s}
    groups = ix.deps_of_types(addr, {SECURITY_GROUP})
    joined = {s for s in groups if not ix.old_exists(s) or ix.before(s).get("id") not in old_ids}
    kept = known_new | {str(ix.before(s).get("id")) for s in groups if ix.old_exists(s)}
    left = old_ids - kept
    joined_ids = known_new - old_ids
    for r in rules:
        c = g.op(r, OpKind.CREATE)
        if c is not None:
            gid = ix.after(r).get("security_group_id")
            into = gid in joined_ids if isinstance(gid, str) else \
                bool(joined & set(ix.deps_of_types(r, {SECURITY_GROUP})))
            if into and not g.has_path(u, c):
                g.add(c, u, f"{addr} joins the group of {r} only once the rule exists "
                            "(no window without rules)")
        d = g.op(r, OpKind.DELETE)
        if d is not None and ix.before(r).get("security_group_id") in left and not g.has_path(d, u):
            g.add(u, d, f"{addr} leaves the group of {r} before the rule is deleted "
                        "(no window without rules)")
