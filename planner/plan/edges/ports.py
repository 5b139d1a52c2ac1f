"""Rule: listener ports are unique per load balancer and transport, so a delete that frees a port
runs before the create that takes it (swaps of ports between listeners never conflict)."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from planner.addresses import ResourceAddress
from planner.plan.edges.graph import OpGraph
from planner.plan.edges.index import CREATING, PlanIndex
from planner.plan.model import OpKind
from planner.schema.facts import LISTENER


def _transport(protocol: Any) -> str:
    return "udp" if str(protocol).lower() == "udp" else "tcp"


def listener_port_conflicts(ix: PlanIndex) -> list[tuple[ResourceAddress, ResourceAddress]]:
    """(deleted listener, created listener) pairs sharing (load balancer, transport, port)."""
    freed: dict[tuple, list[ResourceAddress]] = defaultdict(list)
    if not ix.operates_on({LISTENER}, CREATING):
        return []  # no listener takes a port
    for addr in ix.operated():
        if addr.type == LISTENER and ix.is_deleted(addr) and ix.old_exists(addr):
            b = ix.before(addr)
            freed[(ix.old_lb(addr), _transport(b.get("protocol")), b.get("frontend_port"))].append(addr)
    out = []
    for addr in ix.sorted_operated():
        if addr.type != LISTENER or not ix.is_created(addr):
            continue
        a = ix.after(addr)
        key = (ix.new_lb(addr), _transport(a.get("protocol")), a.get("frontend_port"))
        for old in freed.get(key, []):
            out.append((old, addr))
    return out


def freed_ports_first(ix: PlanIndex, g: OpGraph) -> None:
    for old, new in listener_port_conflicts(ix):
        g.add(g.op(old, OpKind.DELETE), g.op(new, OpKind.CREATE),
              f"{old} frees its port before {new} takes it (ports are unique per load balancer)")
