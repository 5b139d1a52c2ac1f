"""The operation graph the ordering rules add edges to: one node per operation (one half of a
replace, or a whole create/update/delete), group nodes, and edges that each state their rule."""

from __future__ import annotations

from collections.abc import Iterator

import networkx as nx

from planner.addresses import ResourceAddress
from planner.plan.edges.index import PlanIndex
from planner.plan.model import Action, Edge, Operation, OpKind, References, group_node_id
from planner.schema.facts import BACKEND_GROUP_TYPES, GROUP_ATTACHMENT, LOAD_BALANCER_TYPES

_KINDS: dict[Action, tuple[OpKind, ...]] = {
    Action.CREATE: (OpKind.CREATE,), Action.UPDATE: (OpKind.UPDATE,), Action.DELETE: (OpKind.DELETE,),
    Action.DELETE_THEN_CREATE: (OpKind.DELETE, OpKind.CREATE),
    Action.CREATE_THEN_DELETE: (OpKind.CREATE, OpKind.DELETE),
}


_NO_OPS: dict[OpKind, Operation] = {}


class OpGraph:
    """Operations made from the (upgraded) changes of an index, and the edges the rules add.

    Every operation knows its load balancer (per-instance serialisation), its batch key (server
    changes to one group share one) and whether the cloud deletes it with its load balancer
    (cascaded: no API call). Edges are kept in the order the rules add them; the first reason
    given for a pair wins."""

    def __init__(self, ix: PlanIndex):
        # the graph by hand, not a networkx DiGraph: building one of 100,000 nodes and 650,000 edges was
        # 1.7 s of a 10,000-LB apply's plan, and the rules only add edges, follow successors and ask for
        # a path now and then (``to_networkx`` makes one for a cycle's error)
        self.nodes: dict[str, Operation | None] = {}  # in the order added (the order's tie-breaker)
        self.succ: dict[str, dict[str, None]] = {}
        self._writes: dict[ResourceAddress, list[Operation]] = {}
        self.ops: dict[ResourceAddress, dict[OpKind, Operation]] = {}
        self.edges: dict[tuple[str, str], Edge] = {}
        # group node id -> the whole resource it stands for
        self.groups: dict[str, ResourceAddress] = {}
        cascaded = ix.cascade_map()
        for addr in ix.sorted_operated():
            c = ix.change(addr)
            for kind in _KINDS.get(c.action, ()):
                lb = ix.old_lb(addr) if kind is OpKind.DELETE else ix.new_lb(addr)
                if addr.type in LOAD_BALANCER_TYPES and kind is OpKind.DELETE:
                    lb = ix.before(addr).get("id")
                op = Operation(addr, kind, c, load_balancer=lb,
                               cascaded=kind is OpKind.DELETE and addr in cascaded)
                self.ops.setdefault(addr, {})[kind] = op
                self.nodes[op.id] = op
                self.succ[op.id] = {}
        self._batch_keys(ix)

    def _batch_keys(self, ix: PlanIndex) -> None:
        """Server attachments of one group share a batch: the walk folds them into fewer calls."""
        for addr, ops in self.ops.items():
            if addr.type != GROUP_ATTACHMENT:
                continue
            for kind, op in ops.items():
                gid = (ix.before(addr) if kind is OpKind.DELETE else ix.after(addr)).get("server_group_id")
                if isinstance(gid, str):
                    op.batch_key = f"servers:{gid}"
                else:
                    group = ix.first_dep_of_types(addr, BACKEND_GROUP_TYPES)
                    if group is not None:
                        op.batch_key = f"servers:new:{group}"

    # -- reading -------------------------------------------------------------------------------
    def op(self, addr: ResourceAddress, kind: OpKind) -> Operation | None:
        return self.ops.get(addr, {}).get(kind)

    def op_by_id(self) -> dict[str, Operation]:
        """Every operation by its id."""
        return {op.id: op for ops in self.ops.values() for op in ops.values()}

    def writes(self, addr: ResourceAddress) -> list[Operation]:
        """The create/update ops of a resource (what makes its new value exist). Asked for each of the
        650,000 references of a 10,000-LB plan: the answer is kept (operations never change after
        ``__init__``); callers only read it."""
        got = self._writes.get(addr)
        if got is None:
            ops = self.ops.get(addr, _NO_OPS)
            got = self._writes[addr] = [o for o in (ops.get(OpKind.CREATE), ops.get(OpKind.UPDATE)) if o is not None]
        return got

    def has_path(self, a: Operation, b: Operation) -> bool:
        """``a`` already runs before ``b`` through the edges drawn so far."""
        start, goal = a.id, b.id
        if start == goal:
            return True
        seen, todo = {start}, [start]
        while todo:
            for nxt in self.succ.get(todo.pop(), ()):
                if nxt == goal:
                    return True
                if nxt not in seen:
                    seen.add(nxt)
                    todo.append(nxt)
        return False

    def successors(self, node: str) -> Iterator[str]:
        return iter(list(self.succ.get(node, ())))

    def to_networkx(self) -> nx.DiGraph:
        """The graph as networkx's: for naming a cycle, and for readers that want its algorithms."""
        g = nx.DiGraph()
        for node, op in self.nodes.items():
            g.add_node(node, op=op) if op is not None else g.add_node(node, group=True)
        for (a, b), e in self.edges.items():
            g.add_edge(a, b, reason=e.reason)
        return g

    # -- adding edges --------------------------------------------------------------------------
    def add(self, a: Operation | None, b: Operation | None, reason: str | References) -> None:
        """``a`` before ``b`` for ``reason`` (nothing when either is missing or they are one)."""
        if a is None or b is None or a is b:
            return
        self.link(a.id, b.id, reason)

    def link(self, a: str, b: str, reason: str | References) -> None:
        """An edge between node ids (operations or group nodes); the first reason given wins."""
        key = (a, b)
        if key in self.edges:
            return
        self.edges[key] = Edge(a, b, reason)
        for node in (a, b):
            if node not in self.nodes:  # (as networkx adds a node an edge names)
                self.nodes[node] = None
                self.succ[node] = {}
        self.succ[a][b] = None

    def unlink(self, a: str, b: str) -> None:
        """Remove an edge a later rule overrules (the cascade's deletes)."""
        if self.edges.pop((a, b), None) is not None:
            del self.succ[a][b]

    def group(self, resource: ResourceAddress, kind: str, members: list[Operation]) -> str:
        """The group node of ``kind`` over ``resource``, made (with its member edges) on first use.
        ``writes``: every member -> group; ``before-delete``: group -> every member."""
        gid = group_node_id(resource, kind)
        if gid not in self.groups:
            self.groups[gid] = resource
            if gid not in self.nodes:
                self.nodes[gid] = None
                self.succ[gid] = {}
            for m in members:
                if kind == "writes":
                    self.link(m.id, gid, f"one of the writes of {resource}")
                else:
                    self.link(gid, m.id, f"{m.address} is deleted only after what used {resource}")
        return gid
