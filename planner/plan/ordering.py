"""Resource changes -> operations in a graph ordered by references AND by the cloud's rules.

Terraform orders only by references and then the cloud refuses the step (``RspoolVipExist`` when a
group still bound to a listener is deleted first). Here every edge carries the rule that put it
there (DESIGN.md section 4, clb-api.md section 9):

- references: create/update after the create/update of what it references; delete before what
  it referenced (dependencies recorded in state, plus ids found in the prior attributes);
- re-pointing: a listener/rule moving off a group is updated before the old group is deleted,
  and after the new group is created;
- automatic create-before-destroy for a bound VServer/master-slave group being replaced;
- rules after their listener (same load balancer + frontend port) with no reference needed,
  rules deleted before their listener, and rules of a replaced listener re-created with it;
- redirecting HTTP listeners after/before the HTTPS listener they forward to;
- listener ports unique per instance: a delete that frees a port runs before the create that
  takes it (so port swaps never conflict);
- capacity: at most 50 listeners per load balancer and 40 rules per listener at every point;
- children of a deleted load balancer go with it: their deletes are cascaded (no API call);
- server changes to one group share a batch key; every op knows its load balancer for
  per-instance serialisation.

An operation that waits for *every* instance of a counted resource (a splat, ``values()``, a ``for``
over it) waits on one group node (``planner.plan.model.group_node_id``) instead of one edge per
instance: N + M edges instead of N x M, the same ordering. No rule loops over all changes inside a
loop over all changes, so planning stays near-linear at 10,000 load balancers.

Where each part lives: the action upgrades are ``planner/plan/upgrades.py`` (they return new
changes; ``prevent_destroy`` is checked on their result); each ordering rule is one module of
``planner/plan/edges/`` with one function ``(index, graph) -> None``, listed in ``STEPS`` below; the
rules read the read-only ``PlanIndex`` (``edges/index.py``) and add edges to the ``OpGraph``
(``edges/graph.py``). Type names and CLB limits come from ``planner/schema/facts.py``.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable
from dataclasses import dataclass

import networkx as nx

from planner.config.model import Configuration
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.plan.edges import (
    capacity,
    cascade,
    eni_attachments,
    listener_children,
    ports,
    references,
    repoint,
    rule_matches,
    security_groups,
)
from planner.plan.edges.graph import OpGraph
from planner.plan.edges.index import OPERATION_ACTIONS, PlanIndex
from planner.plan.model import Edge, Operation, OpKind, ResourceChange, is_group_node
from planner.plan.upgrades import check_prevent_destroy, upgrade_changes
from planner.schema.facts import DOMAIN_EXTENSION, GROUP_ATTACHMENT, LISTENER, RULE
from planner.state.model import State

# creation order of types; deletes run in the reverse sense through the edges
TYPE_RANK: dict[str, int] = {
    "alicloud_vpc": 0, "alicloud_vswitch": 1, "alicloud_security_group": 2, "alicloud_instance": 3,
    "alicloud_security_group_rule": 3, "alicloud_ecs_key_pair": 2, "alicloud_key_pair": 2,
    "alicloud_eip_address": 4, "alicloud_eip": 4, "alicloud_eip_association": 17,
    "alicloud_ecs_network_interface": 4, "alicloud_network_interface": 4,
    "alicloud_ecs_network_interface_attachment": 5, "alicloud_network_interface_attachment": 5,
    "alicloud_slb_load_balancer": 10, "alicloud_slb": 10,
    "alicloud_slb_server_certificate": 11, "alicloud_slb_ca_certificate": 11, "alicloud_slb_tls_cipher_policy": 11,
    "alicloud_slb_acl": 11, "alicloud_slb_acl_entry_attachment": 12,
    "alicloud_slb_server_group": 13, "alicloud_slb_master_slave_server_group": 13,
    "alicloud_slb_backend_server": 14, GROUP_ATTACHMENT: 14, "alicloud_slb_attachment": 14,
    LISTENER: 15, RULE: 16, DOMAIN_EXTENSION: 16,
}

KIND_RANK = {OpKind.DELETE: 0, OpKind.CREATE: 1, OpKind.UPDATE: 1}


@dataclass
class OrderedOps:
    """The upgraded changes (new objects; the diff's are untouched), their operations in order,
    the edges between them and the graph."""

    changes: list[ResourceChange]
    operations: list[Operation]
    edges: list[Edge]
    graph: OpGraph | None  # (``to_networkx()`` for networkx's view)


def _lexicographic_order(g: OpGraph) -> list[str] | None:
    """The nodes in networkx's ``lexicographical_topological_sort`` order for the key below (Kahn's
    algorithm, always taking the smallest key among the nodes ready; ties go to the node added first),
    or None when there is a cycle. By hand over the graph's own edge list: networkx's node and degree
    views and the key's node-attribute lookups were 1.5 s of a 10,000-LB apply's plan."""
    op_of = g.op_by_id()
    nodes = list(g.nodes)  # in the order they were added: networkx's tie-breaker

    def key(node: str) -> tuple:
        op = op_of.get(node)
        if op is None:  # a group node: passed through as soon as its members are done
            return (-1, 0, node, "")
        return (KIND_RANK[op.kind], TYPE_RANK.get(op.address.type, 9), str(op.address), op.kind.value)

    succ: dict[str, list[str]] = {n: [] for n in nodes}
    waiting = dict.fromkeys(nodes, 0)
    for before, after in g.edges:
        succ[before].append(after)
        waiting[after] += 1
    rank = {n: i for i, n in enumerate(nodes)}
    ready = [(key(n), rank[n], n) for n in nodes if not waiting[n]]
    heapq.heapify(ready)
    order = []
    while ready:
        node = heapq.heappop(ready)[2]
        order.append(node)
        for child in succ[node]:
            waiting[child] -= 1
            if not waiting[child]:
                heapq.heappush(ready, (key(child), rank[child], child))
    return order if len(order) == len(nodes) else None


def _cycle_error(g: nx.DiGraph, config: Configuration | None) -> DiagnosticsError:
    cycle = nx.find_cycle(g)
    steps = " -> ".join(f"{a} ({g.edges[a, b]['reason']})" for a, b in cycle)
    first: Operation | None = next((g.nodes[a]["op"] for a, _ in cycle if "op" in g.nodes[a]), None)
    inst = config.resources.get(first.address) if config is not None and first is not None else None
    return DiagnosticsError([Diagnostic(
        "Cycle in the plan's operations", inst.pos if inst is not None else None,
        detail=f"Cycle: {steps} -> {cycle[0][0]}",
        hint="each step says which rule ordered it; break the cycle by removing one of the references, "
             "or by splitting the change into two applies",
    )])


#: The ordering rules, in order (Terraform's graph builder ``Steps()``): each reads the index and
#: adds edges between the operations the graph was made with; every edge states the rule that made it.
STEPS: tuple[tuple[str, Callable[[PlanIndex, OpGraph], None]], ...] = (
    # configuration references (and depends_on): create/update after what they reference, delete before
    ("references", references.order_by_references),
    # a binder updated away from an object that is deleted runs before that delete
    ("repoint", repoint.repoint_before_delete),
    # rules belong to the listener on (LB, port); an HTTP listener forwarding to HTTPS belongs to that one
    ("rules and forwarding", listener_children.children_with_their_listener),
    # an ENI serves as a backend only once attached to a running instance: the attachment first
    ("attached network interfaces", eni_attachments.attachments_before_backends),
    # an instance or ENI moving to other security groups keeps rules all the way (a preference, never a cycle)
    ("security group moves", security_groups.rules_outlive_membership),
    # a listener port freed by a delete before a create takes it
    ("ports", ports.freed_ports_first),
    # a rule's name and (domain, url) are unique per listener: freed by a delete before a create takes them
    ("rule matches", rule_matches.freed_matches_first),
    # CLB limits (listeners per LB, rules per listener): deletes before the creates that need the room
    ("capacity", capacity.deletes_free_room_first),
    # children of a deleted LB go with it (no call): their delete recorded after the LB's delete
    ("cascade", cascade.children_go_with_their_load_balancer),
)


def order_changes(changes: list[ResourceChange], config: Configuration | None, prior: State) -> OrderedOps:
    """Upgrade the changes (``planner.plan.upgrades``), refuse a destroyed ``prevent_destroy``
    resource, build the operation graph with the ``STEPS`` and return the operations in a
    deterministic topological order. ``changes`` are not modified: the upgraded ones are returned,
    each saying why in ``ResourceChange.reason``. Raises DiagnosticsError for prevent_destroy, or
    naming the cycle if there is one."""
    if not any(c.action in OPERATION_ACTIONS for c in changes):
        # nothing to do: no operation, no destroy to refuse, and every upgrade starts from a replaced
        # or deleted object. Indexing a 100,000-resource state for nothing was 3 s of a 10,000-LB
        # no-change plan
        return OrderedOps(list(changes), [], [], None)
    ix = upgrade_changes(PlanIndex(changes, config, prior))
    check_prevent_destroy(ix.changes.values(), config)
    g = OpGraph(ix)
    for _name, step in STEPS:
        step(ix, g)
    order = _lexicographic_order(g)
    if order is None:
        raise _cycle_error(g.to_networkx(), config)
    op_of = g.op_by_id()
    operations = [op_of[n] for n in order if not is_group_node(n)]
    position = {n: i for i, n in enumerate(order)}
    edges = sorted(g.edges.values(), key=lambda e: (position[e.before], position[e.after]))
    return OrderedOps(list(ix.changes.values()), operations, edges, g)
