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
instance: N + M edges instead of N x M, the same ordering. The builder also never loops over all
changes inside a loop over all changes, so planning stays near-linear at 10,000 load balancers.
"""

from __future__ import annotations

import itertools
from collections import defaultdict
from collections.abc import Callable, Iterable
from collections.abc import Set as AbstractSet
from dataclasses import dataclass
from typing import Any

import networkx as nx

from planner.addresses import ResourceAddress
from planner.config.model import Configuration
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.plan.model import (
    Action,
    Edge,
    Operation,
    OpKind,
    ResourceChange,
    group_node_id,
    is_group_node,
)
from planner.schema.utility import is_utility_type
from planner.state.model import State
from planner.values import UNKNOWN, is_unknown

LB_TYPES = frozenset({"alicloud_slb_load_balancer", "alicloud_slb"})
LISTENER = "alicloud_slb_listener"
RULE = "alicloud_slb_rule"
DOMAIN_EXTENSION = "alicloud_slb_domain_extension"
# objects that live inside one listener, found by (load balancer, frontend port) with no reference
LISTENER_CHILDREN = frozenset({RULE, DOMAIN_EXTENSION})
GROUP_TYPES = frozenset({"alicloud_slb_server_group", "alicloud_slb_master_slave_server_group"})
GROUP_ATTACHMENT = "alicloud_slb_server_group_server_attachment"
# objects the cloud refuses to delete while a listener (or rule) uses them, with its refusal: one
# being replaced while bound is created new first, the user re-pointed, then the old one deleted
BOUND_REFUSAL: dict[str, str] = {
    **dict.fromkeys(GROUP_TYPES, "the cloud refuses to delete a bound group: RspoolVipExist"),
    "alicloud_slb_server_certificate":
        "the cloud refuses to delete a certificate a listener uses: CertificateAndPrivateKeyIsRefered",
    "alicloud_slb_ca_certificate":
        "the cloud refuses to delete a CA certificate a listener uses: CertificateAndPrivateKeyIsRefered",
    "alicloud_slb_acl": "the cloud refuses to delete an ACL a listener uses: OperationFailed.AclBindedWithVip",
    "alicloud_slb_tls_cipher_policy":
        "the cloud refuses to delete a TLS cipher policy a listener uses: ResourceInUse.TLSCipherPolicy",
}
# network objects an instance is moved off in place (``-replace=alicloud_vpc.main``): the new one is
# made first, the instance moved, then the old one deleted (the cloud refuses to delete a vSwitch or
# security group that still holds an instance, and a VPC that still holds a vSwitch)
CBD_SAFE: dict[str, str] = {
    **BOUND_REFUSAL,
    "alicloud_vpc": "the cloud refuses to delete a VPC that still holds vSwitches: DependencyViolation",
    "alicloud_vswitch": "the cloud refuses to delete a vSwitch that still holds instances: DependencyViolation",
    "alicloud_security_group":
        "the cloud refuses to delete a security group that still holds instances: DependencyViolation",
}

ENI_TYPES = frozenset({"alicloud_ecs_network_interface", "alicloud_network_interface"})
SECURITY_GROUP = "alicloud_security_group"
SECURITY_GROUP_RULE = "alicloud_security_group_rule"
# what joins security groups, and the attribute listing them
GROUP_MEMBERS = {"alicloud_instance": "security_groups", **dict.fromkeys(ENI_TYPES, "security_group_ids")}
ENI_ATTACHMENT_TYPES = frozenset({"alicloud_ecs_network_interface_attachment", "alicloud_network_interface_attachment"})
ENI_BACKEND_TYPES = GROUP_TYPES | {"alicloud_slb_backend_server", GROUP_ATTACHMENT}

MAX_LISTENERS_PER_LB = 50
MAX_RULES_PER_LISTENER = 40

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

# a whole-resource dependency on at least this many operations goes through one group node
GROUP_MIN_MEMBERS = 4


@dataclass
class OrderedOps:
    operations: list[Operation]
    edges: list[Edge]
    graph: nx.DiGraph


def _transport(protocol: Any) -> str:
    return "udp" if str(protocol).lower() == "udp" else "tcp"


def _strings(value: Any) -> Iterable[str]:
    """Every string inside a value (ids hide in lists and nested blocks)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from _strings(v)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            yield from _strings(v)


class _Builder:
    def __init__(self, changes: list[ResourceChange], config: Configuration | None, prior: State):
        self.changes = {c.address: c for c in changes}
        self.config = config
        self.prior = prior
        self.g = nx.DiGraph()
        self.ops: dict[ResourceAddress, dict[OpKind, Operation]] = defaultdict(dict)
        self.edges: dict[tuple[str, str], Edge] = {}
        # prior cloud ids -> address
        self.by_id: dict[str, ResourceAddress] = {}
        for addr, rs in prior.resources.items():
            if rs.id:
                self.by_id[rs.id] = addr
        # instances of each resource block, for references to a whole counted resource
        self.instances: dict[ResourceAddress, list[ResourceAddress]] = defaultdict(list)
        for addr in set(self.changes) | set(prior.resources):
            self.instances[addr.resource].append(addr)
        self._deps_cache: dict[ResourceAddress, set[ResourceAddress]] = {}
        self._split_cache: dict[ResourceAddress, tuple[AbstractSet[ResourceAddress], tuple[ResourceAddress, ...]]] = {}
        # per resource block: the whole resources its instances depend on, with the address objects
        # that stand for them (see dep_split)
        self._probes: dict[ResourceAddress, list[tuple[ResourceAddress, frozenset[ResourceAddress] | None]]] = {}
        self._configured_cache: dict[ResourceAddress, frozenset[ResourceAddress]] = {}
        self._sorted_instances: dict[ResourceAddress, list[ResourceAddress]] = {}
        # group node id -> ResourceAddress of the whole resource (the node exists in self.g)
        self.groups: dict[str, ResourceAddress] = {}
        # addresses whose delete goes with their deleted load balancer (set before the edges)
        self.cascaded: set[ResourceAddress] = set()
        self.cascade_map: dict[ResourceAddress, ResourceAddress] = {}
        self._cbd_cache: dict[ResourceAddress, list[ResourceAddress]] = {}
        self._deleted_cache: dict[ResourceAddress, list[ResourceAddress]] = {}
        self._prior_cache: dict[ResourceAddress, frozenset[ResourceAddress]] = {}
        self._member_writes: dict[ResourceAddress, list[Operation]] = {}
        self._old_members: dict[ResourceAddress, tuple[frozenset[ResourceAddress], list[Operation]]] = {}

    # -- world views ---------------------------------------------------------------------------
    def before(self, addr: ResourceAddress) -> dict:
        c = self.changes.get(addr)
        if c is not None and c.before is not None:
            return c.before
        rs = self.prior.resources.get(addr)
        return {**rs.attributes, "id": rs.id} if rs is not None else {}

    def after(self, addr: ResourceAddress) -> dict:
        c = self.changes.get(addr)
        return (c.after or {}) if c is not None else {}

    def action(self, addr: ResourceAddress) -> Action:
        c = self.changes.get(addr)
        return c.action if c is not None else Action.NOOP

    def is_deleted(self, addr: ResourceAddress) -> bool:
        return self.action(addr) in (Action.DELETE, Action.DELETE_THEN_CREATE, Action.CREATE_THEN_DELETE)

    def is_created(self, addr: ResourceAddress) -> bool:
        return self.action(addr) in (Action.CREATE, Action.DELETE_THEN_CREATE, Action.CREATE_THEN_DELETE)

    def old_exists(self, addr: ResourceAddress) -> bool:
        return addr in self.prior.resources

    def new_exists(self, addr: ResourceAddress) -> bool:
        c = self.changes.get(addr)
        return c is not None and c.after is not None

    def instances_of(self, resource: ResourceAddress) -> list[ResourceAddress]:
        """Every instance (planned or in the prior state) of a resource block, sorted by address."""
        got = self._sorted_instances.get(resource)
        if got is None:
            got = self._sorted_instances[resource] = sorted(self.instances.get(resource, ()), key=str)
        return got

    def dep_split(self, addr: ResourceAddress) -> tuple[AbstractSet[ResourceAddress], tuple[ResourceAddress, ...]]:
        """The configuration's dependencies of ``addr``: (single instances, whole counted resources).

        A whole resource is one whose every configured instance ``addr`` depends on (the evaluator
        lists them all for a splat, ``values()``, a ``for`` or a key unknown at plan time), or an
        unkeyed address of a counted resource. Wholes are kept unexpanded so callers stay linear
        and order through one group node. The dependency set already holds N addresses per
        instance, so it is never walked in Python per instance: the first instance of a block
        learns which wholes it has, and the others are checked with C-level set operations on the
        very same address objects (the evaluator shares them between instances of a block)."""
        cached = self._split_cache.get(addr)
        if cached is not None:
            return cached
        inst = self.config.resources.get(addr) if self.config is not None else None
        deps: AbstractSet[ResourceAddress] = inst.depends_on if inst is not None else frozenset()
        out = self._split_fast(addr, deps)
        if out is None:
            out = self._split_slow(addr, deps)
        self._split_cache[addr] = out
        return out

    def _split_fast(self, addr: ResourceAddress, deps: AbstractSet[ResourceAddress]
                    ) -> tuple[AbstractSet[ResourceAddress], tuple[ResourceAddress, ...]] | None:
        probes = self._probes.get(addr.resource)
        if probes is None:
            return None
        rest: AbstractSet[ResourceAddress] = deps
        wholes = []
        for whole, members in probes:
            if members is None:  # an unkeyed address of a counted resource
                if whole not in deps:
                    return None
                rest = rest - {whole}
            else:
                if len(rest) < len(members) or not members <= rest:
                    return None
                rest = rest - members
            wholes.append(whole)
        if addr in rest:
            rest = rest - {addr}
        return rest, tuple(wholes)

    def _split_slow(self, addr: ResourceAddress, deps: AbstractSet[ResourceAddress]
                    ) -> tuple[AbstractSet[ResourceAddress], tuple[ResourceAddress, ...]]:
        singles: set[ResourceAddress] = set()
        by_resource: dict[tuple[str, str], list[ResourceAddress]] = defaultdict(list)
        probes: list[tuple[ResourceAddress, frozenset[ResourceAddress] | None]] = []
        for d in deps:
            if d.mode != "managed" or d == addr:
                continue
            if d.key is None and d not in self.changes:
                probes.append((d, None))
            elif d.key is None:
                singles.add(d)
            else:
                by_resource[(d.type, d.name)].append(d)
        for (t, n), ds in by_resource.items():
            whole = ResourceAddress(t, n)
            configured = self._configured(whole)
            if (whole != addr.resource and len(ds) >= GROUP_MIN_MEMBERS and len(ds) == len(configured)
                    and configured == set(ds)):
                probes.append((whole, frozenset(ds)))
            else:
                singles.update(ds)
        probes.sort(key=lambda p: str(p[0]))
        self._probes.setdefault(addr.resource, probes)
        return singles, tuple(w for w, _ in probes)

    def _configured(self, resource: ResourceAddress) -> frozenset[ResourceAddress]:
        """The configured instances of a resource block."""
        got = self._configured_cache.get(resource)
        if got is None:
            conf = self.config.resources if self.config is not None else {}
            got = self._configured_cache[resource] = frozenset(a for a in self.instances_of(resource) if a in conf)
        return got

    def whole_members(self, resource: ResourceAddress, addr: ResourceAddress) -> list[ResourceAddress]:
        """The planned instances a reference from ``addr`` to the whole ``resource`` stands for."""
        return [a for a in self.instances_of(resource) if a in self.changes and a != addr]

    def config_deps(self, addr: ResourceAddress) -> set[ResourceAddress]:
        """Every instance ``addr`` depends on (whole resources expanded): O(instances), so only for
        callers that need them all; the hot paths use :meth:`dep_split` / :meth:`deps_of_types`."""
        cached = self._deps_cache.get(addr)
        if cached is not None:
            return cached
        singles, wholes = self.dep_split(addr)
        out = set(singles)
        for w in wholes:
            out.update(self.whole_members(w, addr))
        self._deps_cache[addr] = out
        return out

    def deps_of_types(self, addr: ResourceAddress, types: frozenset[str] | set[str]) -> list[ResourceAddress]:
        """The dependencies of ``addr`` of the given types (whole resources expanded only when
        their type matches), sorted by address."""
        singles, wholes = self.dep_split(addr)
        out = [d for d in singles if d.type in types]
        for w in wholes:
            if w.type in types:
                out.extend(self.whole_members(w, addr))
        return sorted(set(out), key=str)

    def first_dep_of_types(self, addr: ResourceAddress, types: frozenset[str] | set[str]) -> ResourceAddress | None:
        """The first (by address) dependency of ``addr`` of the given types, without expanding a
        whole resource of thousands of instances just to take its first."""
        singles, wholes = self.dep_split(addr)
        cands = [d for d in singles if d.type in types]
        for w in wholes:
            if w.type in types:
                first = next((a for a in self.instances_of(w) if a in self.changes and a != addr), None)
                if first is not None:
                    cands.append(first)
        return min(cands, key=str) if cands else None

    def old_lb(self, addr: ResourceAddress) -> str | None:
        """The cloud id of the load balancer the prior object belongs to."""
        if not self.old_exists(addr):
            return None
        b = self.before(addr)
        if addr.type in LB_TYPES:
            return b.get("id")
        lb = b.get("load_balancer_id")
        if isinstance(lb, str) and lb:
            return lb
        gid = b.get("server_group_id")
        if addr.type == GROUP_ATTACHMENT and isinstance(gid, str) and gid in self.by_id:
            return self.old_lb(self.by_id[gid])
        return None

    def new_lb(self, addr: ResourceAddress, _seen: frozenset = frozenset()) -> str | None:
        """The load balancer the planned object belongs to: a cloud id, or ``new:<address>``."""
        if not self.new_exists(addr) or addr in _seen:
            return None
        a = self.after(addr)
        if addr.type in LB_TYPES:
            return a["id"] if isinstance(a.get("id"), str) else f"new:{addr}"
        lb = a.get("load_balancer_id")
        if isinstance(lb, str) and lb:
            return lb
        if is_unknown(lb) or lb is None:
            d = self.first_dep_of_types(addr, LB_TYPES)
            if d is not None:
                return self.new_lb(d, _seen | {addr})
        if addr.type == GROUP_ATTACHMENT:
            gid = a.get("server_group_id")
            if isinstance(gid, str) and gid in self.by_id:
                return self.new_lb(self.by_id[gid], _seen | {addr}) or self.old_lb(self.by_id[gid])
            d = self.first_dep_of_types(addr, GROUP_TYPES)
            if d is not None:
                return self.new_lb(d, _seen | {addr})
        return None

    # -- change upgrades -----------------------------------------------------------------------
    def _set_action(self, addr: ResourceAddress, action: Action, note: str) -> None:
        c = self.changes[addr]
        c.action = action
        c.reason = f"{c.reason}; {note}" if c.reason else note

    def upgrade_rules_of_replaced_listeners(self) -> None:
        """Rules live inside their listener: when the listener goes, they go with it, so a kept
        rule of a replaced listener must be re-created after the new listener."""
        gone: dict[tuple[str, int], ResourceAddress] = {}
        for addr in self.prior.resources:
            if addr.type == LISTENER and self.is_deleted(addr):
                b = self.before(addr)
                gone[(self.old_lb(addr) or "", b.get("frontend_port"))] = addr
        for addr in sorted(self.prior.resources, key=str):
            if addr.type not in LISTENER_CHILDREN or self.action(addr) not in (Action.NOOP, Action.UPDATE):
                continue
            b = self.before(addr)
            listener = gone.get((self.old_lb(addr) or "", b.get("frontend_port")))
            if listener is None:
                continue
            c = self.changes[addr]
            after = dict(c.after or {})
            after["id"] = UNKNOWN
            c.after = after
            c.action_reason = "replace_because_cannot_update"
            what = "rules" if addr.type == RULE else "domain extensions"
            self._set_action(addr, Action.DELETE_THEN_CREATE,
                             f"its listener {listener} is replaced, and a listener's {what} go with it")

    def auto_create_before_destroy(self) -> None:
        """A group (or anything) being replaced while something that stays is bound to it must be
        created new first, the binder re-pointed, then the old one deleted."""
        holders: dict[str, set[ResourceAddress]] | None = None
        for addr in sorted(self.changes, key=str):
            c = self.changes[addr]
            if c.action is not Action.DELETE_THEN_CREATE or addr.type not in CBD_SAFE:
                continue
            if holders is None:
                # which prior objects hold which id, built once (not one scan of the state per group)
                holders = defaultdict(set)
                for x in self.prior.resources:
                    for s_ in _strings({k: v for k, v in self.before(x).items() if k != "id"}):
                        holders[s_].add(x)
            old_id = self.before(addr).get("id")
            binders = sorted(
                (x for x in holders.get(old_id, ()) if x != addr and self.action(x) in (Action.UPDATE, Action.NOOP)),
                key=str)
            if binders:
                refusal = CBD_SAFE[addr.type]
                if addr.type == "alicloud_slb_server_certificate" and all(
                        b.type == DOMAIN_EXTENSION for b in binders):
                    refusal = ("the cloud refuses to delete a certificate a domain extension uses: "
                               "CertificateRelatedDomainExtensionExist")
                self._set_action(
                    addr, Action.CREATE_THEN_DELETE,
                    f"created before the old one is deleted because {', '.join(map(str, binders))} "
                    f"must be re-pointed first ({refusal})",
                )

    def inherit_create_before_destroy(self) -> None:
        """What a create-before-destroy object used must outlive its old self: a replaced object it
        depended on (the tls certificate behind an uploaded one, the VPC of a moved-off vSwitch) is
        also created first, as Terraform makes the dependencies of a create_before_destroy
        resource create-first too.
        Files are left delete-first: a new file at the same path would be removed by the old one's
        delete."""
        work = [a for a in sorted(self.changes, key=str) if self.action(a) is Action.CREATE_THEN_DELETE]
        while work:
            addr = work.pop()
            for dep in sorted(self.old_deps(addr), key=str):
                if dep in self.changes and self.action(dep) is Action.DELETE_THEN_CREATE and (
                        dep.type in CBD_SAFE or is_utility_type(dep.type) and not dep.type.startswith("local_")):
                    self._set_action(dep, Action.CREATE_THEN_DELETE,
                                     f"created before the old one is deleted because {addr} is replaced "
                                     "create-before-destroy and uses it")
                    work.append(dep)

    def listener_port_conflicts(self) -> list[tuple[ResourceAddress, ResourceAddress]]:
        """(deleted listener, created listener) pairs sharing (load balancer, transport, port)."""
        freed: dict[tuple, list[ResourceAddress]] = defaultdict(list)
        for addr in self.prior.resources:
            if addr.type == LISTENER and self.is_deleted(addr):
                b = self.before(addr)
                freed[(self.old_lb(addr), _transport(b.get("protocol")), b.get("frontend_port"))].append(addr)
        out = []
        for addr in sorted(self.changes, key=str):
            if addr.type != LISTENER or not self.is_created(addr):
                continue
            a = self.after(addr)
            key = (self.new_lb(addr), _transport(a.get("protocol")), a.get("frontend_port"))
            for old in freed.get(key, []):
                out.append((old, addr))
        return out

    def force_delete_first(self, addrs: Iterable[ResourceAddress], why: str) -> None:
        for addr in sorted(set(addrs), key=str):
            if self.action(addr) is Action.CREATE_THEN_DELETE:
                self._set_action(addr, Action.DELETE_THEN_CREATE, why)

    # -- operations ----------------------------------------------------------------------------
    def make_ops(self) -> None:
        for addr in sorted(self.changes, key=str):
            c = self.changes[addr]
            kinds: list[OpKind] = {
                Action.CREATE: [OpKind.CREATE], Action.UPDATE: [OpKind.UPDATE], Action.DELETE: [OpKind.DELETE],
                Action.DELETE_THEN_CREATE: [OpKind.DELETE, OpKind.CREATE],
                Action.CREATE_THEN_DELETE: [OpKind.CREATE, OpKind.DELETE],
            }.get(c.action, [])
            for kind in kinds:
                lb = self.old_lb(addr) if kind is OpKind.DELETE else self.new_lb(addr)
                if addr.type in LB_TYPES and kind is OpKind.DELETE:
                    lb = self.before(addr).get("id")
                op = Operation(addr, kind, c, load_balancer=lb)
                self.ops[addr][kind] = op
                self.g.add_node(op.id, op=op)
        self._batch_keys()

    def _batch_keys(self) -> None:
        for addr, ops in self.ops.items():
            if addr.type != GROUP_ATTACHMENT:
                continue
            for kind, op in ops.items():
                gid = (self.before(addr) if kind is OpKind.DELETE else self.after(addr)).get("server_group_id")
                if isinstance(gid, str):
                    op.batch_key = f"servers:{gid}"
                else:
                    group = self.first_dep_of_types(addr, GROUP_TYPES)
                    if group is not None:
                        op.batch_key = f"servers:new:{group}"

    def op(self, addr: ResourceAddress, kind: OpKind) -> Operation | None:
        return self.ops.get(addr, {}).get(kind)

    def writes(self, addr: ResourceAddress) -> list[Operation]:
        """The create/update ops of a resource (what makes its new value exist)."""
        return [o for o in (self.op(addr, OpKind.CREATE), self.op(addr, OpKind.UPDATE)) if o is not None]

    def add(self, a: Operation | None, b: Operation | None, reason: str) -> None:
        if a is None or b is None or a is b:
            return
        self.link(a.id, b.id, reason)

    def link(self, a: str, b: str, reason: str) -> None:
        """An edge between node ids (operations or group nodes); the first reason given wins."""
        key = (a, b)
        if key in self.edges:
            return
        self.edges[key] = Edge(a, b, reason)
        self.g.add_edge(a, b, reason=reason)

    def group(self, resource: ResourceAddress, kind: str, members: list[Operation]) -> str:
        """The group node of ``kind`` over ``resource``, made (with its member edges) on first use.
        ``writes``: every member -> group; ``before-delete``: group -> every member."""
        gid = group_node_id(resource, kind)
        if gid not in self.groups:
            self.groups[gid] = resource
            self.g.add_node(gid, group=True)
            for m in members:
                if kind == "writes":
                    self.link(m.id, gid, f"one of the writes of {resource}")
                else:
                    self.link(gid, m.id, f"{m.address} is deleted only after what used {resource}")
        return gid

    # -- edges ---------------------------------------------------------------------------------
    def _old_parts(self, addr: ResourceAddress) -> tuple[dict[ResourceAddress, str], list[ResourceAddress],
                                                         list[tuple[ResourceAddress, str]]]:
        """(recorded single dependencies, recorded whole resources, ids found in the attributes)."""
        recorded: dict[ResourceAddress, str] = {}
        wholes: list[ResourceAddress] = []
        ids: list[tuple[ResourceAddress, str]] = []
        rs = self.prior.resources.get(addr)
        if rs is None:
            return recorded, wholes, ids
        by_resource: dict[tuple[str, str, str], list[ResourceAddress]] = defaultdict(list)
        for d in rs.dependencies:
            if d in self.prior.resources and d != addr:
                recorded[d] = "recorded dependency"
                if d.key is not None:
                    by_resource[(d.type, d.name, d.mode)].append(d)
            elif d.key is None:
                wholes.append(d)
        # state records every instance a splat named: all prior instances of a resource (but the
        # object itself) is a whole-resource dependency, ordered through one group node
        for (t, n, mode), ds in by_resource.items():
            whole = ResourceAddress(t, n, None, mode)
            if len(ds) < GROUP_MIN_MEMBERS or whole == addr.resource or whole in wholes:
                continue
            prior_inst = self._prior_instances(whole)
            if len(ds) == len(prior_inst) and prior_inst == set(ds):
                wholes.append(whole)
                for d in ds:
                    del recorded[d]
        for name, value in rs.attributes.items():
            if name == "id":
                continue
            for s in _strings(value):
                d = self.by_id.get(s)
                if d is not None and d != addr:
                    ids.append((d, f"uses it ({name})"))
        return recorded, wholes, ids

    def _prior_instances(self, resource: ResourceAddress) -> frozenset[ResourceAddress]:
        got = self._prior_cache.get(resource)
        if got is None:
            got = self._prior_cache[resource] = frozenset(
                a for a in self.instances_of(resource) if a in self.prior.resources)
        return got

    def old_deps(self, addr: ResourceAddress) -> dict[ResourceAddress, str]:
        """What the prior object depended on, with why: state dependencies, ids it holds, and the
        cloud's implicit containment (rule in listener, redirect to its target listener)."""
        out, wholes, ids = self._old_parts(addr)
        for w in wholes:
            for a in self.instances_of(w):
                if a in self.prior.resources and a != addr:
                    out[a] = "recorded dependency"
        for d, why in ids:
            out.setdefault(d, why)
        return out

    def old_dep_split(self, addr: ResourceAddress) -> tuple[dict[ResourceAddress, str], list[ResourceAddress]]:
        """:meth:`old_deps` with recorded dependencies on a whole counted resource left unexpanded:
        (single instances with why, whole resources)."""
        out, wholes, ids = self._old_parts(addr)
        for d, why in ids:
            out.setdefault(d, why)
        return out, wholes

    def _cbd_members(self, resource: ResourceAddress) -> list[ResourceAddress]:
        got = self._cbd_cache.get(resource)
        if got is None:
            got = self._cbd_cache[resource] = [
                a for a in self.instances_of(resource) if self.action(a) is Action.CREATE_THEN_DELETE]
        return got

    def edges_references(self) -> None:
        for addr in self.changes:
            writes = self.writes(addr)
            if writes:
                singles, wholes = self.dep_split(addr)
                for d in singles:
                    for w in writes:
                        for dw in self.writes(d):
                            self.add(dw, w, f"{addr} references {d}")
                    # a create-before-destroy dependency: re-point to the new object before the
                    # old one is deleted
                    if self.action(d) is Action.CREATE_THEN_DELETE:
                        for w in writes:
                            self.add(w, self.op(d, OpKind.DELETE),
                                     f"{addr} moves to the new {d} before the old one is deleted")
                for whole in wholes:
                    self._whole_reference(addr, writes, whole)
            own_d, own_c = self.op(addr, OpKind.DELETE), self.op(addr, OpKind.CREATE)
            if own_d and own_c:
                if self.action(addr) is Action.CREATE_THEN_DELETE:
                    self.add(own_c, own_d, "create before destroy: the new object first")
                else:
                    self.add(own_d, own_c, "replace: the old object is deleted first")
            d_op = self.op(addr, OpKind.DELETE)
            if d_op is None:
                continue
            singles_old, wholes_old = self.old_dep_split(addr)
            grouped = [self._whole_old_dependency(addr, d_op, whole) for whole in wholes_old]
            for dep, why in singles_old.items():
                target = self.op(dep, OpKind.DELETE)
                if target is not None and not any(dep in g for g in grouped):
                    self.add(d_op, target, f"{addr} is deleted before {dep}, which it used ({why})")

    def _whole_reference(self, addr: ResourceAddress, writes: list[Operation], whole: ResourceAddress) -> None:
        """``addr`` references every instance of ``whole``: through the group node of its writes
        when there are enough of them, else one edge per write."""
        if addr.resource != whole:
            # the same for every dependent outside the resource: computed once, not per dependent
            got = self._member_writes.get(whole)
            if got is None:
                got = self._member_writes[whole] = [
                    dw for a in self.whole_members(whole, addr) for dw in self.writes(a)]
            if len(got) >= GROUP_MIN_MEMBERS:
                gid = self.group(whole, "writes", got)
                for w in writes:
                    self.link(gid, w.id, f"{addr} references {whole}")
                self._whole_cbd(addr, writes, whole)
                return
        for a in self.whole_members(whole, addr):
            for w in writes:
                for dw in self.writes(a):
                    self.add(dw, w, f"{addr} references {a}")
        self._whole_cbd(addr, writes, whole)

    def _whole_cbd(self, addr: ResourceAddress, writes: list[Operation], whole: ResourceAddress) -> None:
        """Re-point to every create-before-destroy instance of ``whole`` before its old one goes."""
        for a in self._cbd_members(whole):
            if a != addr:
                for w in writes:
                    self.add(w, self.op(a, OpKind.DELETE),
                             f"{addr} moves to the new {a} before the old one is deleted")

    def _whole_old_dependency(self, addr: ResourceAddress, d_op: Operation,
                              whole: ResourceAddress) -> frozenset[ResourceAddress]:
        """The prior ``addr`` recorded a dependency on every instance of ``whole``: its delete runs
        before theirs, through the ``before-delete`` group node when they are many. Returns the
        instances covered by the group (no single edges needed to them)."""
        if addr.resource != whole and whole in self._old_members:  # the same for every user outside it
            members, targets = self._old_members[whole]
        else:
            members = frozenset(a for a in self.instances_of(whole) if a in self.prior.resources and a != addr)
            targets = [t for t in (self.op(a, OpKind.DELETE) for a in self.instances_of(whole) if a in members)
                       if t is not None]
            if addr.resource != whole:
                self._old_members[whole] = (members, targets)
        if len(targets) >= GROUP_MIN_MEMBERS and addr.resource != whole:
            if whole.type in LB_TYPES and addr in self.cascaded:
                # deleted by the cloud with its own load balancer (cascade): it orders no LB delete
                return members
            gid = self.group(whole, "before-delete", targets)
            self.link(d_op.id, gid, f"{addr} is deleted before {whole}, which it used (recorded dependency)")
            return members
        for t in targets:
            self.add(d_op, t, f"{addr} is deleted before {t.address}, which it used (recorded dependency)")
        return frozenset()

    def edges_repoint(self) -> None:
        """A binder updated away from an object that is deleted runs before that delete."""
        for addr in self.changes:
            u = self.op(addr, OpKind.UPDATE)
            if u is None:
                continue
            new_strings = set(_strings({k: v for k, v in self.after(addr).items() if k != "id"}))
            singles, wholes = self.old_dep_split(addr)
            deps = [(a, "recorded dependency") for w in wholes for a in self._deleted_instances(w) if a != addr]
            deps += [(d, why) for d, why in singles.items() if d not in dict(deps)]
            for dep, why in deps:
                d = self.op(dep, OpKind.DELETE)
                if d is None or is_utility_type(dep.type):
                    # nothing in the cloud is bound to a local object (time_sleep, terraform_data):
                    # its replacement is delete, create, then the update that reads the new value
                    continue
                old_id = self.before(dep).get("id")
                if old_id not in new_strings:
                    self.add(u, d, f"{addr} is re-pointed off {dep} before it is deleted ({why})")

    def _deleted_instances(self, resource: ResourceAddress) -> list[ResourceAddress]:
        """The prior instances of ``resource`` this plan deletes (cached per resource)."""
        got = self._deleted_cache.get(resource)
        if got is None:
            got = self._deleted_cache[resource] = [a for a in self.instances_of(resource)
                                     if a in self.prior.resources and self.op(a, OpKind.DELETE) is not None]
        return got

    def edges_rules_and_forwarding(self) -> None:
        """Rules belong to the listener on (load balancer, frontend port); an HTTP listener that
        forwards to an HTTPS port belongs to that listener. No reference is needed for either."""
        new_listeners: dict[tuple, ResourceAddress] = {}
        old_listeners: dict[tuple, ResourceAddress] = {}
        for addr in self.changes:
            if addr.type != LISTENER:
                continue
            if self.new_exists(addr):
                new_listeners[(self.new_lb(addr), self.after(addr).get("frontend_port"))] = addr
            if self.old_exists(addr):
                old_listeners[(self.old_lb(addr), self.before(addr).get("frontend_port"))] = addr

        def dependents(addr: ResourceAddress, world: str) -> tuple | None:
            v = self.after(addr) if world == "new" else self.before(addr)
            lb = self.new_lb(addr) if world == "new" else self.old_lb(addr)
            if addr.type in LISTENER_CHILDREN:
                return (lb, v.get("frontend_port"))
            if addr.type == LISTENER and str(v.get("listener_forward") or "").lower() == "on":
                return (lb, v.get("forward_port"))
            return None

        for addr in sorted(self.changes, key=str):
            if addr.type not in (RULE, DOMAIN_EXTENSION, LISTENER):
                continue
            if self.new_exists(addr):
                key = dependents(addr, "new")
                parent = new_listeners.get(key) if key else None
                if parent is not None and parent != addr:
                    why = (f"{addr} is a rule of {parent} (same load balancer and frontend port)" if addr.type == RULE
                           else f"{addr} is a domain extension of {parent} (same load balancer and frontend port)"
                           if addr.type == DOMAIN_EXTENSION else f"{addr} forwards to {parent}, which must exist first")
                    for w in self.writes(addr):
                        for pw in self.writes(parent):
                            self.add(pw, w, why)
            if self.old_exists(addr):
                key = dependents(addr, "old")
                parent = old_listeners.get(key) if key else None
                d = self.op(addr, OpKind.DELETE)
                if parent is not None and parent != addr and d is not None:
                    why = (f"{addr} is a rule of {parent}: rules go before their listener"
                           if addr.type == RULE else
                           f"{addr} is a domain extension of {parent}: deleted before its listener"
                           if addr.type == DOMAIN_EXTENSION else
                           f"{addr} forwards to {parent}: deleted first (ListenerForwardExist otherwise)")
                    self.add(d, self.op(parent, OpKind.DELETE), why)

    def edges_eni_attached(self) -> None:
        """An ENI serves as a backend only once it is attached to a running instance (the cloud says
        ObtainIpFail otherwise), yet a group names the ENI, not its attachment: order the attachment
        first. Without this edge only the listing order put it first, and a parallel apply raced."""
        attachments: dict[ResourceAddress, list[ResourceAddress]] = defaultdict(list)
        for addr in self.changes:
            if addr.type in ENI_ATTACHMENT_TYPES:
                for d in self.config_deps(addr):
                    if d.type in ENI_TYPES:
                        attachments[d].append(addr)
        if not attachments:
            return
        for addr in sorted(self.changes, key=str):
            if addr.type not in ENI_BACKEND_TYPES:
                continue
            for d in self.config_deps(addr):
                for att in attachments.get(d, ()):
                    for aw in self.writes(att):
                        for w in self.writes(addr):
                            self.add(aw, w, f"{addr} uses {d} as a backend, which must be attached first ({att})")

    def edges_security_group_moves(self) -> None:
        """An instance (or ENI) that moves to other security groups keeps rules all the way: the
        rules of the groups it joins are created before it joins them, and the rules of the groups
        it leaves are deleted only after it has left. The references alone let the old rules go
        first and the new ones come last: a window in which its traffic matched no rule. Only an
        order preference, so it yields to any edge already there (never a cycle)."""
        if not any(a.type == SECURITY_GROUP_RULE for a in self.changes):
            return
        rules = [a for a in sorted(self.changes, key=str) if a.type == SECURITY_GROUP_RULE]
        for addr in sorted(self.changes, key=str):
            attr = GROUP_MEMBERS.get(addr.type)
            u = self.op(addr, OpKind.UPDATE)
            if attr is None or u is None:
                continue
            old_ids = {g for g in _strings(self.before(addr).get(attr)) if g}
            known_new = {g for g in _strings(self.after(addr).get(attr)) if g}
            groups = self.deps_of_types(addr, {SECURITY_GROUP})
            joined = {g for g in groups if not self.old_exists(g) or self.before(g).get("id") not in old_ids}
            kept = known_new | {str(self.before(g).get("id")) for g in groups if self.old_exists(g)}
            left = old_ids - kept
            joined_ids = known_new - old_ids
            for r in rules:
                c = self.op(r, OpKind.CREATE)
                if c is not None:
                    gid = self.after(r).get("security_group_id")
                    into = gid in joined_ids if isinstance(gid, str) else \
                        bool(joined & set(self.deps_of_types(r, {SECURITY_GROUP})))
                    if into and not nx.has_path(self.g, u.id, c.id):
                        self.add(c, u, f"{addr} joins the group of {r} only once the rule exists "
                                       "(no window without rules)")
                d = self.op(r, OpKind.DELETE)
                if d is not None and self.before(r).get("security_group_id") in left \
                        and not nx.has_path(self.g, d.id, u.id):
                    self.add(u, d, f"{addr} leaves the group of {r} before the rule is deleted "
                                   "(no window without rules)")

    def edges_ports(self) -> None:
        for old, new in self.listener_port_conflicts():
            self.add(self.op(old, OpKind.DELETE), self.op(new, OpKind.CREATE),
                     f"{old} frees its port before {new} takes it (ports are unique per load balancer)")

    def edges_rule_matches(self) -> None:
        """A rule's name and its (domain, url) match are unique per listener (RuleName exists /
        DomainExist): a rule deleted from a listener frees them before another rule takes them."""
        def keys(addr: ResourceAddress, world: str) -> list[tuple]:
            v = self.before(addr) if world == "old" else self.after(addr)
            lb = self.old_lb(addr) if world == "old" else self.new_lb(addr)
            where = (lb, v.get("frontend_port"))
            return [(*where, "match", v.get("domain") or "", v.get("url") or ""), (*where, "name", v.get("name"))]

        freed: dict[tuple, list[ResourceAddress]] = defaultdict(list)
        for addr in self.prior.resources:
            if addr.type == RULE and self.is_deleted(addr):
                for k in keys(addr, "old"):
                    freed[k].append(addr)
        if not freed:
            return
        for addr in sorted(self.changes, key=str):
            if addr.type != RULE or not self.new_exists(addr):
                continue
            taker = self.op(addr, OpKind.CREATE) or self.op(addr, OpKind.UPDATE)
            for k in keys(addr, "new"):
                for old in freed.get(k, []):
                    if old != addr:
                        self.add(self.op(old, OpKind.DELETE), taker,
                                 f"{old} frees its rule {k[2]} on port {k[1]} before {addr} takes it "
                                 "(unique per listener)")

    def capacity(self) -> list[tuple[list[ResourceAddress], list[ResourceAddress], str]]:
        """Groups of (deletes, creates) that must be ordered delete-first to stay within limits."""
        out = []
        # listeners per load balancer
        prior_count: dict[str | None, int] = defaultdict(int)
        dels: dict[str | None, list] = defaultdict(list)
        creates: dict[str | None, list] = defaultdict(list)
        for addr in self.prior.resources:
            if addr.type == LISTENER:
                lb = self.old_lb(addr)
                prior_count[lb] += 1
                if self.is_deleted(addr):
                    dels[lb].append(addr)
        for addr in self.changes:
            if addr.type == LISTENER and self.is_created(addr):
                creates[self.new_lb(addr)].append(addr)
        for lb, new in creates.items():
            if prior_count[lb] + len(new) > MAX_LISTENERS_PER_LB and dels[lb]:
                out.append((dels[lb], new, f"at most {MAX_LISTENERS_PER_LB} listeners per load balancer"))
        # rules per listener
        prior_count.clear()
        rdels: dict[tuple, list] = defaultdict(list)
        rcreates: dict[tuple, list] = defaultdict(list)
        rprior: dict[tuple, int] = defaultdict(int)
        for addr in self.prior.resources:
            if addr.type == RULE:
                key = (self.old_lb(addr), self.before(addr).get("frontend_port"))
                rprior[key] += 1
                if self.is_deleted(addr):
                    rdels[key].append(addr)
        for addr in self.changes:
            if addr.type == RULE and self.is_created(addr):
                rcreates[(self.new_lb(addr), self.after(addr).get("frontend_port"))].append(addr)
        for key, new in rcreates.items():
            if rprior[key] + len(new) > MAX_RULES_PER_LISTENER and rdels[key]:
                out.append((rdels[key], new, f"at most {MAX_RULES_PER_LISTENER} rules per listener"))
        return out

    def edges_capacity(self, groups) -> None:
        for dels, creates, why in groups:
            for d, c in itertools.product(sorted(dels, key=str), sorted(creates, key=str)):
                self.add(self.op(d, OpKind.DELETE), self.op(c, OpKind.CREATE),
                         f"{d} is deleted first to free capacity ({why})")

    def _cascade_map(self) -> dict[ResourceAddress, ResourceAddress]:
        """Each child deleted with its deleted load balancer -> that load balancer's address."""
        deleted_lbs = {
            self.before(a).get("id"): a for a in self.prior.resources
            if a.type in LB_TYPES and self.op(a, OpKind.DELETE) is not None
        }
        out: dict[ResourceAddress, ResourceAddress] = {}
        if not deleted_lbs:
            return out
        for addr in sorted(self.prior.resources, key=str):
            if addr.type in LB_TYPES or self.op(addr, OpKind.DELETE) is None:
                continue
            lb = self.old_lb(addr)
            if lb in deleted_lbs:
                out[addr] = deleted_lbs[lb]
        return out

    def mark_cascaded(self) -> None:
        """Known before the edges are drawn, so a cascaded child never joins a group that orders
        load balancer deletes (the cascade removes exactly those orderings)."""
        self.cascade_map = self._cascade_map()
        self.cascaded = set(self.cascade_map)

    def cascade(self) -> None:
        """Children of a deleted load balancer are deleted by the cloud with it: no API call, and
        their delete is recorded only after the load balancer's delete succeeded."""
        if not self.cascade_map:
            return
        lb_dels = {self.op(a, OpKind.DELETE).id for a in self.prior.resources
                    if a.type in LB_TYPES and self.op(a, OpKind.DELETE) is not None}
        for addr, lb_addr in self.cascade_map.items():
            d = self.op(addr, OpKind.DELETE)
            d.cascaded = True
            lb_del = self.op(lb_addr, OpKind.DELETE)
            if self.g.has_edge(d.id, lb_del.id):
                self.g.remove_edge(d.id, lb_del.id)
                self.edges.pop((d.id, lb_del.id), None)
            self.add(lb_del, d, f"deleted together with its load balancer {lb_addr}")
            # A CLB child belongs to one load balancer and can use no other; an edge "child deleted
            # before another LB" only comes from an unkeyed recorded dependency (lb[each.key] records
            # every instance) and, with the cascade, would order LBs against each other in a cycle.
            for other in [s_ for s_ in self.g.successors(d.id) if s_ in lb_dels and s_ != lb_del.id]:
                self.g.remove_edge(d.id, other)
                self.edges.pop((d.id, other), None)


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


def _delete_first_for_ports(b: _Builder) -> None:
    b.force_delete_first(
        [x for pair in b.listener_port_conflicts() for x in pair],
        "delete-first: the new listener needs the port the old one holds",
    )


def _delete_first_for_capacity(b: _Builder) -> None:
    b.force_delete_first(
        [x for dels, creates, _ in b.capacity() for x in (*dels, *creates)],
        "delete-first: the load balancer has no capacity for both at once",
    )


#: The action upgrades, in order, run before any operation exists. Each may rewrite a change's
#: action, reason and planned value; later ones see what earlier ones decided.
UPGRADES: tuple[tuple[str, Callable[[_Builder], None]], ...] = (
    # rules live inside their listener: a kept rule of a replaced listener is re-created after it
    ("rules of replaced listeners", _Builder.upgrade_rules_of_replaced_listeners),
    # a replaced object something that stays is bound to: created new first, binder re-pointed, old deleted
    ("automatic create-before-destroy", _Builder.auto_create_before_destroy),
    # delete-first where a listener's replacement needs the port its old self holds...
    ("delete-first for ports", _delete_first_for_ports),
    # ...or the load balancer capacity its old self frees
    ("delete-first for capacity", _delete_first_for_capacity),
    # a replaced object a create-before-destroy one depended on is created first too (Terraform's rule)
    ("inherited create-before-destroy", _Builder.inherit_create_before_destroy),
)

#: The ordering rules, in order (Terraform's graph builder ``Steps()``): each adds edges between the
#: operations ``make_ops`` built, and every edge states the rule that made it.
STEPS: tuple[tuple[str, Callable[[_Builder], None]], ...] = (
    # configuration references (and depends_on): create/update after what they reference, delete before
    ("references", _Builder.edges_references),
    # a binder updated away from an object that is deleted runs before that delete
    ("repoint", _Builder.edges_repoint),
    # rules belong to the listener on (LB, port); an HTTP listener forwarding to HTTPS belongs to that one
    ("rules and forwarding", _Builder.edges_rules_and_forwarding),
    # an ENI serves as a backend only once attached to a running instance: the attachment first
    ("attached network interfaces", _Builder.edges_eni_attached),
    # an instance or ENI moving to other security groups keeps rules all the way (a preference, never a cycle)
    ("security group moves", _Builder.edges_security_group_moves),
    # a listener port freed by a delete before a create takes it
    ("ports", _Builder.edges_ports),
    # a rule's name and (domain, url) are unique per listener: freed by a delete before a create takes them
    ("rule matches", _Builder.edges_rule_matches),
    # CLB limits (listeners per LB, rules per listener): deletes before the creates that need the room
    ("capacity", lambda b: b.edges_capacity(b.capacity())),
    # children of a deleted LB go with it (no call): their delete recorded after the LB's delete
    ("cascade", _Builder.cascade),
)


#: the actions that make operations (``make_ops``); the others (no-op, read, forget) make none
_OPERATION_ACTIONS = frozenset({Action.CREATE, Action.UPDATE, Action.DELETE, Action.DELETE_THEN_CREATE,
                                Action.CREATE_THEN_DELETE})


def order_changes(changes: list[ResourceChange], config: Configuration | None, prior: State) -> OrderedOps:
    """Build the operation graph for ``changes`` and return its operations in a deterministic
    topological order. May upgrade changes (rules of a replaced listener -> replace, bound groups
    -> create-before-destroy, conflicting listener replaces -> delete-first) and says why in
    ``ResourceChange.reason``. Raises DiagnosticsError naming the cycle if there is one."""
    if not any(c.action in _OPERATION_ACTIONS for c in changes):
        # nothing to do: no operation, and every upgrade starts from a replaced or deleted object.
        # Indexing a 100,000-resource state for nothing was 3 s of a 10,000-LB no-change plan
        return OrderedOps([], [], nx.DiGraph())
    b = _Builder(changes, config, prior)
    for _name, upgrade in UPGRADES:
        upgrade(b)
    b.make_ops()
    b.mark_cascaded()
    for _name, step in STEPS:
        step(b)
    if not nx.is_directed_acyclic_graph(b.g):
        raise _cycle_error(b.g, config)

    def sort_key(node: str) -> tuple:
        op: Operation | None = b.g.nodes[node].get("op")
        if op is None:  # a group node: passed through as soon as its members are done
            return (-1, 0, node, "")
        return (KIND_RANK[op.kind], TYPE_RANK.get(op.address.type, 9), str(op.address), op.kind.value)

    order = list(nx.lexicographical_topological_sort(b.g, key=lambda n: sort_key(n)))
    operations = [b.g.nodes[n]["op"] for n in order if not is_group_node(n)]
    position = {n: i for i, n in enumerate(order)}
    edges = sorted(b.edges.values(), key=lambda e: (position[e.before], position[e.after]))
    return OrderedOps(operations, edges, b.g)
