"""The scheduler of an apply: which operations may start now, and what a finish or failure releases.

It knows the operation graph and nothing of providers, journals or threads; the executor
(:mod:`planner.apply.executor`) asks it for the next startable group and tells it what finished.

- Graph order: an operation becomes ready once everything with an edge into it is done.
- Per-load-balancer serialisation: at most one running group per ``Operation.load_balancer`` key;
  a ready operation whose key is busy is parked until that key is released. A ``new:<address>``
  key is aliased to the real id once that load balancer exists.
- Batches: ready operations with the same (batch key, kind) and load-balancer key are handed out
  together, at most ``batch_limit`` of them.
- Group nodes (``planner.plan.model.is_group_node``) are join points: passed as soon as every
  member is done; a failed or skipped member skips everything after it.
- Ready operations are handed out in plan order (their index in ``operations``), so a run with
  parallelism 1 is deterministic.
"""

from __future__ import annotations

import heapq
from collections.abc import Callable

from planner.plan.model import Edge, Operation, OpKind, is_group_node

RUNNING, DONE, FAILED, SKIPPED = "running", "done", "failed", "skipped"


class Walk:
    """The scheduling state of one apply (see the module docstring)."""

    def __init__(self, operations: list[Operation], edges: list[Edge], *,
                 batchable: Callable[[Operation], bool], batch_limit: int = 100):
        """Raise ValueError for duplicate operation ids, an edge naming an unknown operation, or a cycle."""
        self.ops = {op.id: op for op in operations}
        if len(self.ops) != len(operations):
            raise ValueError("duplicate operation ids in the plan")
        self.index = {op.id: i for i, op in enumerate(operations)}
        self._batchable = batchable
        self.batch_limit = batch_limit
        # successors as plain lists, not a networkx graph: a walk only ever asks "who is after this
        # node" and "how many are before it", and building the DiGraph (plus its DAG check) was a
        # twentieth of plan verification and grew faster than the plan at 10,000 load balancers
        self.succ: dict[str, list[str]] = {i: [] for i in self.ops}
        self.groups: set[str] = set()
        succ, ops = self.succ, self.ops
        waiting = dict.fromkeys(self.ops, 0)
        seen: set[tuple[str, str]] = set()
        for e in edges:
            before, after = e.before, e.after
            if (before, after) in seen:  # a repeated edge orders once, as in a graph
                continue
            seen.add((before, after))
            for end in (before, after):
                if end not in ops and end not in self.groups:
                    if not is_group_node(end):
                        raise ValueError(f"edge {before} -> {after} names an operation not in the plan")
                    self.groups.add(end)
                    succ[end] = []
                    waiting[end] = 0
            succ[before].append(after)
            waiting[after] += 1
        del seen
        _check_acyclic(succ, waiting)
        self.status: dict[str, str] = {}  # running | done | failed | skipped
        self._waiting = waiting
        self._blocked: set[str] = set()  # group nodes after a failed or skipped member
        self._ready: list[tuple[int, str]] = []
        # ready operations that may be folded into one call, by (batch key, kind)
        self._ready_batches: dict[tuple[str, OpKind], set[str]] = {}
        self._parked: dict[str, list[tuple[int, str]]] = {}  # LB key -> ready ops waiting for it
        self._busy: set[str] = set()
        self._alias: dict[str, str] = {}
        for i in [i for i, n in self._waiting.items() if n == 0]:
            if i in self.groups:  # a group with no member in this plan orders nothing
                self._passed(i)
            else:
                self._push(i)

    # -- asking -------------------------------------------------------------------------------

    @property
    def has_ready(self) -> bool:
        return bool(self._ready)

    def key_of(self, op: Operation) -> str | None:
        """The load-balancer key ``op`` serialises on (None: it runs beside anything)."""
        k = op.load_balancer
        if not k or op.cascaded:
            return None
        return self._alias.get(k, k)

    def take(self) -> tuple[list[Operation], str | None] | None:
        """Pop the next ready operation; return it with its batch mates and the key they hold, all
        marked running. None when the popped one was settled meanwhile or had to be parked."""
        item = heapq.heappop(self._ready)
        op_id = item[1]
        if op_id in self.status:  # skipped, or folded into a batch, meanwhile
            return None
        op = self.ops[op_id]
        k = self.key_of(op)
        if k is not None and k in self._busy:
            self._parked.setdefault(k, []).append(item)
            return None
        group = [op]
        if op.batch_key and not op.cascaded and self._batchable(op):
            group += self._partners(op, k)
        for o in group:
            self.status[o.id] = RUNNING
        if k is not None:
            self._busy.add(k)
        return group, k

    def unsettled(self) -> list[Operation]:
        """Operations never started (an interrupted walk), in plan order, now marked skipped."""
        left = sorted(set(self.ops) - set(self.status), key=self.index.__getitem__)
        for op_id in left:
            self.status[op_id] = SKIPPED
        return [self.ops[i] for i in left]

    # -- telling ------------------------------------------------------------------------------

    def release(self, k: str | None) -> None:
        """The group holding key ``k`` is over: operations parked on it are ready again."""
        if k is None:
            return
        self._busy.discard(k)
        for item in self._parked.pop(k, []):
            heapq.heappush(self._ready, item)

    def untake(self, group: list[Operation], k: str | None) -> None:
        """A taken group will not start after all (an interrupted apply): not started, as
        :meth:`unsettled` reports it, and its key free."""
        for o in group:
            self.status.pop(o.id, None)
        self.release(k)

    def alias(self, key: str, real: str) -> None:
        """A load balancer created as ``key`` (``new:<address>``) has the id ``real`` now."""
        self._alias[key] = real

    def done(self, op_id: str) -> None:
        """``op_id`` succeeded: whatever waited only for it becomes ready."""
        self.status[op_id] = DONE
        self._passed(op_id)

    def failed(self, op_id: str) -> list[Operation]:
        """``op_id`` failed: mark it, skip what depends on it, return the skipped, in plan order."""
        self.status[op_id] = FAILED
        # walk only what is not settled yet: a node already skipped had its descendants
        # skipped with it, so many failures under one group stay linear
        found: list[str] = []
        seen: set[str] = set()
        stack = [op_id]
        while stack:
            for d in self.succ[stack.pop()]:
                if d in seen or d in self.status or d in self._blocked:
                    continue
                seen.add(d)
                stack.append(d)
                if d in self.groups:
                    self._blocked.add(d)
                else:
                    found.append(d)
        found.sort(key=self.index.__getitem__)
        for d in found:
            self.status[d] = SKIPPED
        return [self.ops[d] for d in found]

    # -- inside -------------------------------------------------------------------------------

    def _push(self, op_id: str) -> None:
        heapq.heappush(self._ready, (self.index[op_id], op_id))
        op = self.ops[op_id]
        if op.batch_key and not op.cascaded and self._batchable(op):
            self._ready_batches.setdefault((op.batch_key, op.kind), set()).add(op_id)

    def _passed(self, op_id: str) -> None:
        todo = [op_id]
        while todo:
            for s_ in self.succ[todo.pop()]:
                self._waiting[s_] -= 1
                if self._waiting[s_] == 0 and s_ not in self.status:
                    if s_ in self.groups:  # every member done: pass the group
                        todo.append(s_)
                    else:
                        self._push(s_)

    def _partners(self, op: Operation, k: str | None) -> list[Operation]:
        """Other ready operations to fold into the same call as ``op``."""
        bucket = self._ready_batches.get((op.batch_key, op.kind))
        if not bucket:
            return []
        bucket.discard(op.id)
        mates = sorted((i for i in bucket if i not in self.status and self.key_of(self.ops[i]) == k),
                       key=self.index.__getitem__)[:self.batch_limit - 1]
        bucket.difference_update(mates)
        return [self.ops[i] for i in mates]


def _check_acyclic(succ: dict[str, list[str]], waiting: dict[str, int]) -> None:
    """Raise ValueError naming a cycle if the graph has one (Kahn's algorithm; networkx only for the
    message, on the error path)."""
    left = dict(waiting)
    todo = [n for n, k in left.items() if k == 0]
    seen = 0
    while todo:
        n = todo.pop()
        seen += 1
        for s_ in succ[n]:
            left[s_] -= 1
            if left[s_] == 0:
                todo.append(s_)
    if seen != len(succ):
        import networkx as nx

        g = nx.DiGraph((a, b) for a, s_ in succ.items() for b in s_)
        cycle = nx.find_cycle(g)
        raise ValueError("operation graph has a cycle: " + " -> ".join(a for a, _ in cycle))


__all__ = ["DONE", "FAILED", "RUNNING", "SKIPPED", "Walk"]
