"""Rule: rules and domain extensions belong to the listener on (load balancer, frontend port), and
an HTTP listener that forwards to an HTTPS port belongs to that listener; no reference is needed.
They are written after their listener and deleted before it."""

from __future__ import annotations

from planner.addresses import ResourceAddress
from planner.plan.edges.graph import OpGraph
from planner.plan.edges.index import PlanIndex
from planner.plan.model import OpKind
from planner.schema.facts import DOMAIN_EXTENSION, LISTENER, LISTENER_CHILDREN, RULE

Where = tuple


def children_with_their_listener(ix: PlanIndex, g: OpGraph) -> None:
    # an edge joins two operations: an object with none (nearly all of a 1% plan) has no edge to add,
    # and when no operation has a parent to look up, the listeners are not indexed at all
    children = [(addr, _parent_key(ix, addr, "new") if ix.new_exists(addr) else None,
                 _parent_key(ix, addr, "old") if ix.old_exists(addr) else None)
                for addr in ix.sorted_operated() if addr.type in (RULE, DOMAIN_EXTENSION, LISTENER)]
    if not any(new or old for _addr, new, old in children):
        return
    new_listeners: dict[Where, ResourceAddress] = {}
    old_listeners: dict[Where, ResourceAddress] = {}
    for addr in ix.changes:
        if addr.type != LISTENER:
            continue
        if ix.new_exists(addr):
            new_listeners[(ix.new_lb(addr), ix.after(addr).get("frontend_port"))] = addr
        if ix.old_exists(addr):
            old_listeners[(ix.old_lb(addr), ix.before(addr).get("frontend_port"))] = addr
    for addr, new_key, old_key in children:
        if ix.new_exists(addr):
            parent = new_listeners.get(new_key) if new_key else None
            if parent is not None and parent != addr:
                why = _written_after(addr, parent)
                for w in g.writes(addr):
                    for pw in g.writes(parent):
                        g.add(pw, w, why)
        if ix.old_exists(addr):
            parent = old_listeners.get(old_key) if old_key else None
            d = g.op(addr, OpKind.DELETE)
            if parent is not None and parent != addr and d is not None:
                g.add(d, g.op(parent, OpKind.DELETE), _deleted_before(addr, parent))


def _parent_key(ix: PlanIndex, addr: ResourceAddress, world: str) -> Where | None:
    """(load balancer, port) of the listener ``addr`` belongs to in the old or the new world."""
    v = ix.after(addr) if world == "new" else ix.before(addr)
    lb = ix.new_lb(addr) if world == "new" else ix.old_lb(addr)
    if addr.type in LISTENER_CHILDREN:
        return (lb, v.get("frontend_port"))
    if addr.type == LISTENER and str(v.get("listener_forward") or "").lower() == "on":
        return (lb, v.get("forward_port"))
    return None


def _written_after(addr: ResourceAddress, parent: ResourceAddress) -> str:
    if addr.type == RULE:
        return f"{addr} is a rule of {parent} (same load balancer and frontend port)"
    if addr.type == DOMAIN_EXTENSION:
        return f"{addr} is a domain extension of {parent} (same load balancer and frontend port)"
    return f"{addr} forwards to {parent}, which must exist first"


def _deleted_before(addr: ResourceAddress, parent: ResourceAddress) -> str:
    if addr.type == RULE:
        return f"{addr} is a rule of {parent}: rules go before their listener"
    if addr.type == DOMAIN_EXTENSION:
        return f"{addr} is a domain extension of {parent}: deleted before its listener"
    return f"{addr} forwards to {parent}: deleted first (ListenerForwardExist otherwise)"
