"""Rule: a load balancer holds at most 50 listeners and a listener at most 40 rules at every point
of the apply, so deletes that free room run before the creates that need it."""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Hashable

from planner.addresses import ResourceAddress
from planner.plan.edges.graph import OpGraph
from planner.plan.edges.index import PlanIndex
from planner.plan.model import OpKind
from planner.schema.facts import LISTENER, MAX_LISTENERS_PER_LB, MAX_RULES_PER_LISTENER, RULE

#: (deletes, creates, the limit) that must be ordered delete-first to stay within the limit
Crowd = tuple[list[ResourceAddress], list[ResourceAddress], str]


def over_capacity(ix: PlanIndex) -> list[Crowd]:
    """The groups of deletes and creates that would exceed a CLB limit if the creates ran first."""
    out = _crowds(ix, LISTENER, lambda a: ix.old_lb(a), lambda a: ix.new_lb(a),
                  MAX_LISTENERS_PER_LB, f"at most {MAX_LISTENERS_PER_LB} listeners per load balancer")
    out += _crowds(ix, RULE, lambda a: (ix.old_lb(a), ix.before(a).get("frontend_port")),
                   lambda a: (ix.new_lb(a), ix.after(a).get("frontend_port")),
                   MAX_RULES_PER_LISTENER, f"at most {MAX_RULES_PER_LISTENER} rules per listener")
    return out


def _crowds(ix: PlanIndex, type_name: str, old_key: Callable[[ResourceAddress], Hashable],
            new_key: Callable[[ResourceAddress], Hashable], limit: int, why: str) -> list[Crowd]:
    """Per container (a load balancer, or a listener's (LB, port)): prior count + creates > limit."""
    prior: dict[Hashable, int] = defaultdict(int)
    dels: dict[Hashable, list[ResourceAddress]] = defaultdict(list)
    creates: dict[Hashable, list[ResourceAddress]] = defaultdict(list)
    for addr in ix.operated():
        if addr.type == type_name and ix.is_created(addr):
            creates[new_key(addr)].append(addr)
    if not creates:
        return []  # nothing needs room: the prior objects are not counted
    for addr in ix.prior.resources:
        if addr.type == type_name:
            key = old_key(addr)
            prior[key] += 1
            if ix.is_deleted(addr):
                dels[key].append(addr)
    return [(dels[key], new, why) for key, new in creates.items() if prior[key] + len(new) > limit and dels[key]]


def deletes_free_room_first(ix: PlanIndex, g: OpGraph) -> None:
    for dels, creates, why in over_capacity(ix):
        for d, c in itertools.product(sorted(dels, key=str), sorted(creates, key=str)):
            g.add(g.op(d, OpKind.DELETE), g.op(c, OpKind.CREATE), f"{d} is deleted first to free capacity ({why})")
