"""The action upgrades: where the cloud's rules need another form of change than the diff chose.

The diff decides each resource alone; some decisions need the neighbours. A kept rule of a replaced
listener goes with it (so it is replaced too); a group something stays bound to is created before
the old one is deleted; a listener whose replacement needs the port (or the room) its old self holds
is deleted first. Each upgrade reads a :class:`PlanIndex` and returns the changes it decides anew,
as new ``ResourceChange`` objects (``dataclasses.replace``): nothing the diff made is modified, and
the next upgrade reads an index over the new changes. ``prevent_destroy`` is checked on the result
(:func:`check_prevent_destroy`), so an upgrade that would destroy a protected object stops the plan.
"""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from collections.abc import Callable, Iterable

from planner.addresses import ResourceAddress
from planner.config.model import Configuration
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.plan.edges.capacity import over_capacity
from planner.plan.edges.index import PlanIndex, strings
from planner.plan.edges.ports import listener_port_conflicts
from planner.plan.model import Action, ResourceChange
from planner.schema.facts import DOMAIN_EXTENSION, IN_USE_REFUSAL, LISTENER, LISTENER_CHILDREN, RULE
from planner.schema.utility import is_utility_type
from planner.values import UNKNOWN

Decided = dict[ResourceAddress, ResourceChange]


def _upgraded(c: ResourceChange, action: Action, note: str, **more: object) -> ResourceChange:
    """A copy of ``c`` with the new action, and why appended to its reason."""
    return dataclasses.replace(c, action=action, reason=f"{c.reason}; {note}" if c.reason else note, **more)


def rules_of_replaced_listeners(ix: PlanIndex) -> Decided:
    """Rules live inside their listener: when the listener goes, they go with it, so a kept rule of
    a replaced listener must be re-created after the new listener."""
    gone: dict[tuple, ResourceAddress] = {}
    for addr in ix.prior.resources:
        if addr.type == LISTENER and ix.is_deleted(addr):
            gone[(ix.old_lb(addr) or "", ix.before(addr).get("frontend_port"))] = addr
    out: Decided = {}
    for addr in sorted(ix.prior.resources, key=str):
        if addr.type not in LISTENER_CHILDREN or ix.action(addr) not in (Action.NOOP, Action.UPDATE):
            continue
        listener = gone.get((ix.old_lb(addr) or "", ix.before(addr).get("frontend_port")))
        if listener is None:
            continue
        c = ix.change(addr)
        what = "rules" if addr.type == RULE else "domain extensions"
        out[addr] = _upgraded(c, Action.DELETE_THEN_CREATE,
                              f"its listener {listener} is replaced, and a listener's {what} go with it",
                              after={**(c.after or {}), "id": UNKNOWN},
                              action_reason="replace_because_cannot_update")
    return out


def automatic_create_before_destroy(ix: PlanIndex) -> Decided:
    """A group (or anything) being replaced while something that stays is bound to it must be
    created new first, the binder re-pointed, then the old one deleted."""
    holders: dict[str, set[ResourceAddress]] | None = None
    out: Decided = {}
    for addr in ix.sorted_changes():
        c = ix.change(addr)
        if c.action is not Action.DELETE_THEN_CREATE or addr.type not in IN_USE_REFUSAL:
            continue
        if holders is None:
            # which prior objects hold which id, built once (not one scan of the state per group)
            holders = defaultdict(set)
            for x in ix.prior.resources:
                for s in strings({k: v for k, v in ix.before(x).items() if k != "id"}):
                    holders[s].add(x)
        old_id = ix.before(addr).get("id")
        binders = sorted((x for x in holders.get(old_id, ())
                          if x != addr and ix.action(x) in (Action.UPDATE, Action.NOOP)), key=str)
        if binders:
            refusal = IN_USE_REFUSAL[addr.type]
            if addr.type == "alicloud_slb_server_certificate" and all(b.type == DOMAIN_EXTENSION for b in binders):
                refusal = ("the cloud refuses to delete a certificate a domain extension uses: "
                           "CertificateRelatedDomainExtensionExist")
            out[addr] = _upgraded(c, Action.CREATE_THEN_DELETE,
                                  f"created before the old one is deleted because {', '.join(map(str, binders))} "
                                  f"must be re-pointed first ({refusal})")
    return out


def _delete_first(ix: PlanIndex, addrs: Iterable[ResourceAddress], why: str) -> Decided:
    return {addr: _upgraded(ix.change(addr), Action.DELETE_THEN_CREATE, why)
            for addr in sorted(set(addrs), key=str) if ix.action(addr) is Action.CREATE_THEN_DELETE}


def delete_first_for_ports(ix: PlanIndex) -> Decided:
    return _delete_first(ix, [x for pair in listener_port_conflicts(ix) for x in pair],
                         "delete-first: the new listener needs the port the old one holds")


def delete_first_for_capacity(ix: PlanIndex) -> Decided:
    return _delete_first(ix, [x for dels, creates, _ in over_capacity(ix) for x in (*dels, *creates)],
                         "delete-first: the load balancer has no capacity for both at once")


def inherit_create_before_destroy(ix: PlanIndex) -> Decided:
    """What a create-before-destroy object used must outlive its old self: a replaced object it
    depended on (the tls certificate behind an uploaded one, the VPC of a moved-off vSwitch) is
    also created first, as Terraform makes the dependencies of a create_before_destroy
    resource create-first too.
    Files are left delete-first: a new file at the same path would be removed by the old one's
    delete."""
    out: Decided = {}
    work = [a for a in ix.sorted_changes() if ix.action(a) is Action.CREATE_THEN_DELETE]
    while work:
        addr = work.pop()
        for dep in sorted(ix.old_deps(addr), key=str):
            if dep not in ix.changes or (out[dep] if dep in out else ix.change(dep)).action \
                    is not Action.DELETE_THEN_CREATE:
                continue
            if dep.type in IN_USE_REFUSAL or is_utility_type(dep.type) and not dep.type.startswith("local_"):
                out[dep] = _upgraded(ix.change(dep), Action.CREATE_THEN_DELETE,
                                     f"created before the old one is deleted because {addr} is replaced "
                                     "create-before-destroy and uses it")
                work.append(dep)
    return out


#: The action upgrades, in order, run before any operation exists. Each returns the changes it
#: decides anew; later ones read an index over what earlier ones decided.
UPGRADES: tuple[tuple[str, Callable[[PlanIndex], Decided]], ...] = (
    # rules live inside their listener: a kept rule of a replaced listener is re-created after it
    ("rules of replaced listeners", rules_of_replaced_listeners),
    # a replaced object something that stays is bound to: created new first, binder re-pointed, old deleted
    ("automatic create-before-destroy", automatic_create_before_destroy),
    # delete-first where a listener's replacement needs the port its old self holds...
    ("delete-first for ports", delete_first_for_ports),
    # ...or the load balancer capacity its old self frees
    ("delete-first for capacity", delete_first_for_capacity),
    # a replaced object a create-before-destroy one depended on is created first too (Terraform's rule)
    ("inherited create-before-destroy", inherit_create_before_destroy),
)


#: Actions no upgrade starts from: each one needs an object the plan deletes (a listener that goes, a
#: replaced group, a create-before-destroy replacement) to decide anything.
_NOTHING_TO_UPGRADE = frozenset({Action.NOOP, Action.UPDATE, Action.CREATE, Action.READ})


def upgrade_changes(ix: PlanIndex) -> PlanIndex:
    """Run every upgrade in turn; the index over the final changes (the input is left untouched)."""
    if all(c.action in _NOTHING_TO_UPGRADE for c in ix.changes.values()):
        return ix  # an apply from empty, a plan of updates: the capacity and port scans would find nothing
    for _name, upgrade in UPGRADES:
        decided = upgrade(ix)
        if decided:
            ix = ix.with_changes([decided.get(a, c) for a, c in ix.changes.items()])
    return ix


def check_prevent_destroy(changes: Iterable[ResourceChange], config: Configuration | None) -> None:
    """Terraform's ``prevent_destroy``: a plan that destroys a protected object, whether the diff
    or an upgrade decided it, is an error naming the resource and where it is declared (one per
    protected resource, in the configuration's order)."""
    if config is None:
        return
    destroyed = {c.address: c for c in changes
                 if c.action in (Action.DELETE, Action.DELETE_THEN_CREATE, Action.CREATE_THEN_DELETE)}
    if not destroyed:
        return
    problems: list[Diagnostic] = []
    for addr, inst in config.resources.items():
        change = destroyed.get(addr)
        if change is not None and inst.lifecycle.prevent_destroy:
            problems.append(Diagnostic(
                "Instance cannot be destroyed", inst.pos,
                detail=f"Resource {addr} has lifecycle.prevent_destroy set, but the plan calls for "
                       f"this resource to be destroyed ({change.reason}).",
                hint="disable lifecycle.prevent_destroy, or change the configuration so this "
                     "resource is kept",
            ))
    if problems:
        raise DiagnosticsError(problems)
