"""Rule: what a configuration references exists first, and what a prior object used goes last.

A create/update runs after the create/update of everything it references (the configuration's
references and ``depends_on``); a delete runs before the delete of everything the prior object used
(dependencies recorded in state, and cloud ids found in its attributes). The two halves of a replace
are ordered by its form, and a binder moves to the new half of a create-before-destroy object
before the old half is deleted. A reference to every instance of a counted resource goes through
one group node (N + M edges instead of N x M).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from planner.addresses import ResourceAddress
from planner.plan.edges.graph import OpGraph
from planner.plan.edges.index import GROUP_MIN_MEMBERS, PlanIndex
from planner.plan.model import Action, Operation, OpKind, References
from planner.schema.facts import LOAD_BALANCER_TYPES


@dataclass
class _Shared:
    """What is the same for every dependent outside a whole resource: computed once per rule run."""

    member_writes: dict[ResourceAddress, list[Operation]] = field(default_factory=dict)
    old_members: dict[ResourceAddress, tuple[frozenset[ResourceAddress], list[Operation]]] = field(
        default_factory=dict)


def order_by_references(ix: PlanIndex, g: OpGraph) -> None:
    shared = _Shared()
    for addr in ix.operated():  # every edge below starts or ends at an operation of addr
        writes = g.writes(addr)
        if writes:
            _new_references(ix, g, shared, addr, writes)
        own_d, own_c = g.op(addr, OpKind.DELETE), g.op(addr, OpKind.CREATE)
        if own_d and own_c:
            if ix.action(addr) is Action.CREATE_THEN_DELETE:
                g.add(own_c, own_d, "create before destroy: the new object first")
            else:
                g.add(own_d, own_c, "replace: the old object is deleted first")
        d_op = g.op(addr, OpKind.DELETE)
        if d_op is not None:
            _old_references(ix, g, shared, addr, d_op)


def _new_references(ix: PlanIndex, g: OpGraph, shared: _Shared, addr: ResourceAddress,
                    writes: list[Operation]) -> None:
    singles, wholes = ix.dep_split(addr)
    for d in singles:
        for w in writes:
            for dw in g.writes(d):
                g.add(dw, w, References(addr, d))
        # a create-before-destroy dependency: re-point to the new object before the old one is deleted
        if ix.action(d) is Action.CREATE_THEN_DELETE:
            for w in writes:
                g.add(w, g.op(d, OpKind.DELETE), f"{addr} moves to the new {d} before the old one is deleted")
    for whole in wholes:
        _whole_reference(ix, g, shared, addr, writes, whole)


def _old_references(ix: PlanIndex, g: OpGraph, shared: _Shared, addr: ResourceAddress, d_op: Operation) -> None:
    singles_old, wholes_old = ix.old_dep_split(addr)
    grouped = [_whole_old_dependency(ix, g, shared, addr, d_op, whole) for whole in wholes_old]
    for dep, why in singles_old.items():
        target = g.op(dep, OpKind.DELETE)
        if target is not None and not any(dep in grp for grp in grouped):
            g.add(d_op, target, f"{addr} is deleted before {dep}, which it used ({why})")


def _whole_reference(ix: PlanIndex, g: OpGraph, shared: _Shared, addr: ResourceAddress,
                     writes: list[Operation], whole: ResourceAddress) -> None:
    """``addr`` references every instance of ``whole``: through the group node of its writes
    when there are enough of them, else one edge per write."""
    if addr.resource != whole:
        got = shared.member_writes.get(whole)
        if got is None:
            got = shared.member_writes[whole] = [dw for a in ix.whole_members(whole, addr) for dw in g.writes(a)]
        if len(got) >= GROUP_MIN_MEMBERS:
            gid = g.group(whole, "writes", got)
            for w in writes:
                g.link(gid, w.id, f"{addr} references {whole}")
            _whole_cbd(ix, g, addr, writes, whole)
            return
    for a in ix.whole_members(whole, addr):
        for w in writes:
            for dw in g.writes(a):
                g.add(dw, w, f"{addr} references {a}")
    _whole_cbd(ix, g, addr, writes, whole)


def _whole_cbd(ix: PlanIndex, g: OpGraph, addr: ResourceAddress, writes: list[Operation],
               whole: ResourceAddress) -> None:
    """Re-point to every create-before-destroy instance of ``whole`` before its old one goes."""
    for a in ix.cbd_members(whole):
        if a != addr:
            for w in writes:
                g.add(w, g.op(a, OpKind.DELETE), f"{addr} moves to the new {a} before the old one is deleted")


def _whole_old_dependency(ix: PlanIndex, g: OpGraph, shared: _Shared, addr: ResourceAddress, d_op: Operation,
                          whole: ResourceAddress) -> frozenset[ResourceAddress]:
    """The prior ``addr`` recorded a dependency on every instance of ``whole``: its delete runs
    before theirs, through the ``before-delete`` group node when they are many. Returns the
    instances covered by the group (no single edges needed to them)."""
    if addr.resource != whole and whole in shared.old_members:  # the same for every user outside it
        members, targets = shared.old_members[whole]
    else:
        members = frozenset(a for a in ix.instances_of(whole) if a in ix.prior.resources and a != addr)
        targets = [t for t in (g.op(a, OpKind.DELETE) for a in ix.instances_of(whole) if a in members)
                   if t is not None]
        if addr.resource != whole:
            shared.old_members[whole] = (members, targets)
    if len(targets) >= GROUP_MIN_MEMBERS and addr.resource != whole:
        if whole.type in LOAD_BALANCER_TYPES and addr in ix.cascade_map():
            # deleted by the cloud with its own load balancer (cascade): it orders no LB delete
            return members
        gid = g.group(whole, "before-delete", targets)
        g.link(d_op.id, gid, f"{addr} is deleted before {whole}, which it used (recorded dependency)")
        return members
    for t in targets:
        g.add(d_op, t, f"{addr} is deleted before {t.address}, which it used (recorded dependency)")
    return frozenset()
