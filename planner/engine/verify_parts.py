"""A plan's rehearsal cut into parts that run at once, each on its own shadow cloud (issue 17).

The rehearsal (``planner.engine.verify``) is one Python thread replaying every operation on a copy of
the cloud: at 10,000 new load balancers, a minute on one core while the others wait. Most of those
operations belong to one load balancer (its listeners, groups, backend servers, rules) and touch
nothing another load balancer's operations touch, so they can be replayed on separate copies.

The cut is made only where it cannot change an answer:

- every operation creates (no update or delete reads or frees what another part uses);
- the operations that do not belong to a load balancer (networks, instances, the load balancers
  themselves: what region-wide quotas count) run first, in this process, as they would have;
- the operations of a load balancer stay together, and so do any two that reference a common object
  (a backend server shared by several load balancers, an ACL, a certificate, one written as a literal
  id), that an edge of the plan joins, or that meet at a group node: every rule the cloud checks
  across load balancers is about such a shared object;
- no first-run operation comes after one of the parts' (then nothing is cut).

Each part beyond the first runs in a forked child (``planner.process.ForkedAnswer``) on a copy of the
shadow loaded from its bytes (a SQLite connection must not cross a fork) and sends back only what it
refused.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from planner import process
from planner.addresses import ResourceAddress
from planner.plan.model import Edge, Operation, OpKind, Plan, is_group_node
from planner.schema.facts import LOAD_BALANCER_TYPES

ENV_PARTS = "CLBPLAN_VERIFY_PARTS"
# below this many operations of load balancers, a fork and a copy of the shadow cost more than they save
MIN_SPLIT_OPS = 2000
MAX_PARTS = 8
# a literal cloud id in a planned value (``i-bp1...``, ``acl-...``, ``1231579085529123_...``): two
# operations naming the same one stay in one part (a false match only keeps more together)
_ID = re.compile(r"^(?:[a-z]{1,8}-[0-9a-z]{8,}|\d{6,}_[0-9a-z_-]+)$")

Refusal = tuple[str, str]  # (operation id, the cloud's rule as the diagnostic shows it)


def parts_wanted(n_ops: int, env: Mapping[str, str] | None = None) -> int:
    """How many parts to cut a rehearsal of ``n_ops`` operations into: one per core this process may
    use, for a one-shot command with a large plan and no other thread (a fork copies only the
    calling thread). ``CLBPLAN_VERIFY_PARTS=N`` asks for N whatever the size (1: never cut)."""
    if not hasattr(os, "fork") or threading.active_count() != 1:
        return 1
    raw = (env if env is not None else os.environ).get(ENV_PARTS, "").strip()
    if raw:
        try:
            return max(1, min(int(raw), MAX_PARTS))
        except ValueError:
            return 1
    if not process.is_one_shot() or n_ops < MIN_SPLIT_OPS:
        return 1
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # (no affinity on this system)
        cores = os.cpu_count() or 1
    return max(1, min(cores, MAX_PARTS))


@dataclass
class Split:
    """``first`` runs before the parts; each of ``parts`` then runs on its own shadow."""

    first: list[Operation]
    parts: list[list[Operation]]


class _Union:
    """Union-find over hashable keys: operation ids, ("lb", key), referenced addresses, ("id", text)."""

    def __init__(self) -> None:
        self.up: dict[Any, Any] = {}

    def find(self, x: Any) -> Any:
        up = self.up
        root = x
        while root in up:  # (a root has no entry)
            root = up[root]
        while x in up:  # every key on the way now points at the root: later finds are one step
            up[x], x = root, up[x]
        return root

    def join(self, a: Any, b: Any) -> None:
        ra, rb = self.find(a), self.find(b)
        if ra is not rb and ra != rb:
            self.up[ra] = rb


def split_creates(plan: Plan, dependencies: Mapping[ResourceAddress, Iterable[ResourceAddress]],
                  parts: int) -> Split | None:
    """The cut described in the module docstring, or None when there is nothing safe to cut."""
    ops = plan.operations
    if parts < 2 or any(op.kind is not OpKind.CREATE or op.cascaded for op in ops):
        return None
    scoped = {op.id: op for op in ops if op.load_balancer and op.address.type not in LOAD_BALANCER_TYPES}
    if len(scoped) < 2:
        return None
    u = _Union()
    join, find, up = u.join, u.find, u.up
    for op_id, op in scoped.items():
        # (a referenced address by its text, cached on the address: hashing the address object itself was
        # most of this at 10,000 load balancers; an address's text never equals an operation id)
        keys = [("lb", op.load_balancer), *map(str, dependencies.get(op.address, ())),
                *(("id", v) for v in _literal_ids(op.change.after))]
        root = find(op_id)
        for key in keys:
            other = find(key)
            if other != root:
                up[other] = root
    first_ids = {op.id for op in ops} - scoped.keys()
    scoped_before: set[str] = set()  # group nodes with a member among the parts' operations
    first_after: set[str] = set()  # group nodes a first-run operation waits for
    for e in plan.edges:
        before, after = e.before, e.after
        if before in first_ids:
            continue  # (most edges) a first-run step before anything: done before the parts start
        if before in scoped:
            if after in scoped:
                join(before, after)
            elif is_group_node(after):
                join(before, after)
                scoped_before.add(after)
            else:
                return None  # a first-run operation after a part's: the parts could not run after it
        elif is_group_node(after):
            return None  # a chain of group nodes: not worth following for the rare plan that has one
        elif after in scoped:
            join(before, after)
        else:
            first_after.add(before)
    if scoped_before & first_after:
        return None
    components: dict[Any, list[Operation]] = {}
    for op_id, op in scoped.items():
        components.setdefault(u.find(op_id), []).append(op)
    if len(components) < 2:
        return None
    bins: list[list[Operation]] = [[] for _ in range(min(parts, len(components)))]
    for comp in sorted(components.values(), key=len, reverse=True):
        min(bins, key=len).extend(comp)
    index = {op.id: i for i, op in enumerate(ops)}
    return Split(first=[op for op in ops if op.id not in scoped],
                 parts=[sorted(b, key=lambda op: index[op.id]) for b in bins])


def _literal_ids(value: Any) -> list[str]:
    """The strings inside ``value`` that look like cloud ids (no recursion: planned values nest)."""
    out: list[str] = []
    stack = [value]
    match = _ID.match
    while stack:
        v = stack.pop()
        t = type(v)
        if t is str:
            if len(v) >= 10 and match(v):
                out.append(v)
        elif t is dict:
            stack.extend(v.values())
        elif t is list or t is tuple:
            stack.extend(v)
    return out


def edges_within(edges: list[Edge], ids: set[str]) -> list[Edge]:
    """The edges among ``ids`` and the group nodes they meet (an edge from an operation that ran
    before is already satisfied)."""
    return [e for e in edges if (e.before in ids or is_group_node(e.before))
            and (e.after in ids or is_group_node(e.after))]


def descendants(edges: list[Edge], roots: set[str]) -> set[str]:
    """Every node after ``roots`` (through group nodes too): what a refusal among them skips."""
    if not roots:
        return set()
    succ: dict[str, list[str]] = {}
    for e in edges:
        succ.setdefault(e.before, []).append(e.after)
    seen: set[str] = set()
    todo = list(roots)
    while todo:
        for nxt in succ.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen
