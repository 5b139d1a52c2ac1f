"""The read-only index every upgrade and ordering rule reads: the changes, the configuration's
dependencies and the prior state, with the lookups the rules share.

Built once per plan from (changes, configuration, prior state). Nothing in it changes after
construction as far as a reader can tell: its memo tables only fill on first use. An upgrade that
decides new actions gets a new index with :meth:`PlanIndex.with_changes`, which shares every memo
that depends only on addresses, configuration and prior state (the expensive ones) and starts
afresh those that read actions.

The hot lookups stay near-linear at 10,000 load balancers: a dependency on every instance of a
counted resource (a splat, ``values()``) is kept as one *whole* resource (:meth:`dep_split`) rather
than expanded per dependent, and nothing loops over all changes inside a loop over all changes.
"""

from __future__ import annotations

import copy
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from types import MappingProxyType
from typing import Any

from planner.addresses import ResourceAddress
from planner.config.model import Configuration
from planner.plan.model import Action, ResourceChange
from planner.schema.facts import BACKEND_GROUP_TYPES, GROUP_ATTACHMENT, LOAD_BALANCER_TYPES
from planner.state.model import State
from planner.values import is_unknown

# a whole-resource dependency on at least this many operations goes through one group node
GROUP_MIN_MEMBERS = 4

#: the actions that delete (or replace) an object, and those that create one
DELETING = frozenset({Action.DELETE, Action.DELETE_THEN_CREATE, Action.CREATE_THEN_DELETE})
CREATING = frozenset({Action.CREATE, Action.DELETE_THEN_CREATE, Action.CREATE_THEN_DELETE})
#: the actions that make operations; the others (no-op, read, forget) make none
OPERATION_ACTIONS = DELETING | {Action.CREATE, Action.UPDATE}

Split = tuple[AbstractSet[ResourceAddress], tuple[ResourceAddress, ...]]


def strings(value: Any) -> Iterator[str]:
    """Every string inside a value (ids hide in lists and nested blocks)."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, (list, tuple, set, frozenset)):
        for v in value:
            yield from strings(v)


class PlanIndex:
    """Changes + configuration + prior state, and the lookups the rules share (read-only)."""

    def __init__(self, changes: Iterable[ResourceChange], config: Configuration | None, prior: State):
        self._changes: dict[ResourceAddress, ResourceChange] = {c.address: c for c in changes}
        self._config = config
        self._prior = prior
        # prior cloud ids -> address, and the instances of each resource block (for references to a
        # whole counted resource): both made on first use, since a plan of a few operations in a
        # 100,000-resource state may need neither (half a second at 10,000 load balancers)
        self._by_id_map: dict[str, ResourceAddress] | None = None
        self._instances_map: dict[tuple, list[ResourceAddress]] | None = None
        # memos that read only addresses, configuration and prior state (shared by with_changes)
        self._sorted_instances: dict[ResourceAddress, list[ResourceAddress]] = {}
        self._split_cache: dict[ResourceAddress, Split] = {}
        # per resource block: the whole resources its instances depend on, with the address objects
        # that stand for them (see dep_split)
        self._probes: dict[ResourceAddress, list[tuple[ResourceAddress, frozenset[ResourceAddress] | None]]] = {}
        self._configured_cache: dict[ResourceAddress, frozenset[ResourceAddress]] = {}
        self._deps_cache: dict[ResourceAddress, set[ResourceAddress]] = {}
        self._prior_cache: dict[ResourceAddress, frozenset[ResourceAddress]] = {}
        self._sorted: list[ResourceAddress] | None = None
        self._fresh_action_memos()

    def _fresh_action_memos(self) -> None:
        """Memos that read actions: started afresh for every new set of changes."""
        self._cbd_cache: dict[ResourceAddress, list[ResourceAddress]] = {}
        self._deleted_cache: dict[ResourceAddress, list[ResourceAddress]] = {}
        self._cascade: dict[ResourceAddress, ResourceAddress] | None = None
        self._operated: list[ResourceAddress] | None = None
        self._sorted_operated: list[ResourceAddress] | None = None
        # the new load balancer of each planned object: asked by the graph for every operation, then
        # again by the capacity, port and listener rules (2.5 s of a 10,000-LB apply's plan, uncached)
        self._new_lb_cache: dict[ResourceAddress, str | None] = {}

    def with_changes(self, changes: Iterable[ResourceChange]) -> PlanIndex:
        """The same index over new changes for the same addresses (what an upgrade returns)."""
        new_changes = {c.address: c for c in changes}
        if new_changes.keys() != self._changes.keys():
            raise ValueError("with_changes: an upgrade may change actions, never the set of addresses")
        new = copy.copy(self)  # shares the address/configuration/state memos, which stay valid
        new._changes = new_changes
        new._fresh_action_memos()
        return new

    # -- what the plan holds ---------------------------------------------------------------------
    @property
    def changes(self) -> Mapping[ResourceAddress, ResourceChange]:
        return MappingProxyType(self._changes)

    @property
    def prior(self) -> State:
        return self._prior

    @property
    def config(self) -> Configuration | None:
        return self._config

    def sorted_changes(self) -> list[ResourceAddress]:
        """Every changed address, sorted by its text (the order every rule walks in)."""
        if self._sorted is None:
            self._sorted = sorted(self._changes, key=str)
        return self._sorted

    def operated(self) -> list[ResourceAddress]:
        """The addresses whose change makes an operation, in the changes' order. Every edge joins two
        operations, so the rules start from these: a 1% plan's 200 of 100,000, not all of them."""
        if self._operated is None:
            self._operated = [a for a, c in self._changes.items() if c.action in OPERATION_ACTIONS]
        return self._operated

    def sorted_operated(self) -> list[ResourceAddress]:
        """:meth:`operated` in the order of :meth:`sorted_changes` (by address text)."""
        if self._sorted_operated is None:
            self._sorted_operated = sorted(self.operated(), key=str)
        return self._sorted_operated

    def operates_on(self, types: AbstractSet[str], actions: AbstractSet[Action] = OPERATION_ACTIONS) -> bool:
        """Whether some change of one of ``types`` has one of ``actions`` (a rule with nothing to order
        stops before it indexes the prior state)."""
        return any(a.type in types and self._changes[a].action in actions for a in self.operated())

    @property
    def _by_id(self) -> dict[str, ResourceAddress]:
        if self._by_id_map is None:
            self._by_id_map = {rs.id: a for a, rs in self._prior.resources.items() if rs.id}
        return self._by_id_map

    def address_of_id(self, cloud_id: str) -> ResourceAddress | None:
        """The prior object with this cloud id."""
        return self._by_id.get(cloud_id)

    def change(self, addr: ResourceAddress) -> ResourceChange:
        return self._changes[addr]

    def before(self, addr: ResourceAddress) -> dict:
        c = self._changes.get(addr)
        if c is not None and c.before is not None:
            return c.before
        rs = self._prior.resources.get(addr)
        return {**rs.attributes, "id": rs.id} if rs is not None else {}

    def after(self, addr: ResourceAddress) -> dict:
        c = self._changes.get(addr)
        return (c.after or {}) if c is not None else {}

    def action(self, addr: ResourceAddress) -> Action:
        c = self._changes.get(addr)
        return c.action if c is not None else Action.NOOP

    def is_deleted(self, addr: ResourceAddress) -> bool:
        return self.action(addr) in DELETING

    def is_created(self, addr: ResourceAddress) -> bool:
        return self.action(addr) in CREATING

    def old_exists(self, addr: ResourceAddress) -> bool:
        return addr in self._prior.resources

    def new_exists(self, addr: ResourceAddress) -> bool:
        c = self._changes.get(addr)
        return c is not None and c.after is not None

    # -- instances and configuration dependencies -------------------------------------------------
    def instances_of(self, resource: ResourceAddress) -> list[ResourceAddress]:
        """Every instance (planned or in the prior state) of a resource block, sorted by address."""
        got = self._sorted_instances.get(resource)
        if got is None:
            if self._instances_map is None:
                # keyed by the fields of ``addr.resource``, not the address object: making 200,000
                # frozen dataclasses to group them cost more than the grouping; a planned and a prior
                # instance are one address, made one when a block is asked for
                by: dict[tuple, list[ResourceAddress]] = defaultdict(list)
                for addr in self._changes:
                    by[(addr.type, addr.name, addr.mode, addr.module)].append(addr)
                for addr in self._prior.resources:
                    by[(addr.type, addr.name, addr.mode, addr.module)].append(addr)
                self._instances_map = by
            found = self._instances_map.get((resource.type, resource.name, resource.mode, resource.module), ())
            got = self._sorted_instances[resource] = sorted(dict.fromkeys(found), key=str)
        return got

    def dep_split(self, addr: ResourceAddress) -> Split:
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
        inst = self._config.resources.get(addr) if self._config is not None else None
        deps: AbstractSet[ResourceAddress] = inst.depends_on if inst is not None else frozenset()
        out = self._split_fast(addr, deps)
        if out is None:
            out = self._split_slow(addr, deps)
        self._split_cache[addr] = out
        return out

    def _split_fast(self, addr: ResourceAddress, deps: AbstractSet[ResourceAddress]) -> Split | None:
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

    def _split_slow(self, addr: ResourceAddress, deps: AbstractSet[ResourceAddress]) -> Split:
        singles: set[ResourceAddress] = set()
        by_resource: dict[tuple[str, str], list[ResourceAddress]] = defaultdict(list)
        probes: list[tuple[ResourceAddress, frozenset[ResourceAddress] | None]] = []
        for d in deps:
            if d.mode != "managed" or d == addr:
                continue
            if d.key is None and d not in self._changes:
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
            conf = self._config.resources if self._config is not None else {}
            got = self._configured_cache[resource] = frozenset(a for a in self.instances_of(resource) if a in conf)
        return got

    def whole_members(self, resource: ResourceAddress, addr: ResourceAddress) -> list[ResourceAddress]:
        """The planned instances a reference from ``addr`` to the whole ``resource`` stands for."""
        return [a for a in self.instances_of(resource) if a in self._changes and a != addr]

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

    def deps_of_types(self, addr: ResourceAddress, types: AbstractSet[str]) -> list[ResourceAddress]:
        """The dependencies of ``addr`` of the given types (whole resources expanded only when
        their type matches), sorted by address."""
        singles, wholes = self.dep_split(addr)
        out = [d for d in singles if d.type in types]
        for w in wholes:
            if w.type in types:
                out.extend(self.whole_members(w, addr))
        return sorted(set(out), key=str)

    def first_dep_of_types(self, addr: ResourceAddress, types: AbstractSet[str]) -> ResourceAddress | None:
        """The first (by address) dependency of ``addr`` of the given types, without expanding a
        whole resource of thousands of instances just to take its first."""
        singles, wholes = self.dep_split(addr)
        cands = [d for d in singles if d.type in types]
        for w in wholes:
            if w.type in types:
                first = next((a for a in self.instances_of(w) if a in self._changes and a != addr), None)
                if first is not None:
                    cands.append(first)
        return min(cands, key=str) if cands else None

    # -- which load balancer -----------------------------------------------------------------------
    def old_lb(self, addr: ResourceAddress) -> str | None:
        """The cloud id of the load balancer the prior object belongs to."""
        if not self.old_exists(addr):
            return None
        b = self.before(addr)
        if addr.type in LOAD_BALANCER_TYPES:
            return b.get("id")
        lb = b.get("load_balancer_id")
        if isinstance(lb, str) and lb:
            return lb
        gid = b.get("server_group_id")
        if addr.type == GROUP_ATTACHMENT and isinstance(gid, str) and gid in self._by_id:
            return self.old_lb(self._by_id[gid])
        return None

    def new_lb(self, addr: ResourceAddress, _seen: frozenset = frozenset()) -> str | None:
        """The load balancer the planned object belongs to: a cloud id, or ``new:<address>``."""
        if _seen:  # a step of the search below: not an answer for ``addr`` on its own
            return self._new_lb(addr, _seen)
        cache = self._new_lb_cache
        if addr in cache:
            return cache[addr]
        got = cache[addr] = self._new_lb(addr, _seen)
        return got

    def _new_lb(self, addr: ResourceAddress, _seen: frozenset) -> str | None:
        if not self.new_exists(addr) or addr in _seen:
            return None
        a = self.after(addr)
        if addr.type in LOAD_BALANCER_TYPES:
            return a["id"] if isinstance(a.get("id"), str) else f"new:{addr}"
        lb = a.get("load_balancer_id")
        if isinstance(lb, str) and lb:
            return lb
        if is_unknown(lb) or lb is None:
            d = self.first_dep_of_types(addr, LOAD_BALANCER_TYPES)
            if d is not None:
                return self.new_lb(d, _seen | {addr})
        if addr.type == GROUP_ATTACHMENT:
            gid = a.get("server_group_id")
            if isinstance(gid, str) and gid in self._by_id:
                return self.new_lb(self._by_id[gid], _seen | {addr}) or self.old_lb(self._by_id[gid])
            d = self.first_dep_of_types(addr, BACKEND_GROUP_TYPES)
            if d is not None:
                return self.new_lb(d, _seen | {addr})
        return None

    # -- what the prior objects depended on ------------------------------------------------------
    def _old_parts(self, addr: ResourceAddress) -> tuple[dict[ResourceAddress, str], list[ResourceAddress],
                                                         list[tuple[ResourceAddress, str]]]:
        """(recorded single dependencies, recorded whole resources, ids found in the attributes)."""
        recorded: dict[ResourceAddress, str] = {}
        wholes: list[ResourceAddress] = []
        ids: list[tuple[ResourceAddress, str]] = []
        rs = self._prior.resources.get(addr)
        if rs is None:
            return recorded, wholes, ids
        by_resource: dict[tuple[str, str, str], list[ResourceAddress]] = defaultdict(list)
        for d in rs.dependencies:
            if d in self._prior.resources and d != addr:
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
            prior_inst = self.prior_instances(whole)
            if len(ds) == len(prior_inst) and prior_inst == set(ds):
                wholes.append(whole)
                for d in ds:
                    del recorded[d]
        for name, value in rs.attributes.items():
            if name == "id":
                continue
            for s in strings(value):
                d = self._by_id.get(s)
                if d is not None and d != addr:
                    ids.append((d, f"uses it ({name})"))
        return recorded, wholes, ids

    def prior_instances(self, resource: ResourceAddress) -> frozenset[ResourceAddress]:
        """The instances of a resource block in the prior state."""
        got = self._prior_cache.get(resource)
        if got is None:
            got = self._prior_cache[resource] = frozenset(
                a for a in self.instances_of(resource) if a in self._prior.resources)
        return got

    def old_deps(self, addr: ResourceAddress) -> dict[ResourceAddress, str]:
        """What the prior object depended on, with why: state dependencies, ids it holds, and the
        cloud's implicit containment (rule in listener, redirect to its target listener)."""
        out, wholes, ids = self._old_parts(addr)
        for w in wholes:
            for a in self.instances_of(w):
                if a in self._prior.resources and a != addr:
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

    # -- views that read actions ----------------------------------------------------------------
    def cbd_members(self, resource: ResourceAddress) -> list[ResourceAddress]:
        """The instances of ``resource`` replaced create-before-destroy."""
        got = self._cbd_cache.get(resource)
        if got is None:
            got = self._cbd_cache[resource] = [
                a for a in self.instances_of(resource) if self.action(a) is Action.CREATE_THEN_DELETE]
        return got

    def deleted_instances(self, resource: ResourceAddress) -> list[ResourceAddress]:
        """The prior instances of ``resource`` this plan deletes."""
        got = self._deleted_cache.get(resource)
        if got is None:
            got = self._deleted_cache[resource] = [
                a for a in self.instances_of(resource) if a in self._prior.resources and self.is_deleted(a)]
        return got

    def cascade_map(self) -> Mapping[ResourceAddress, ResourceAddress]:
        """Each child deleted with its deleted load balancer -> that load balancer's address.
        Known before any edge is drawn, so a cascaded child never joins a group that orders load
        balancer deletes (the cascade removes exactly those orderings)."""
        if self._cascade is None:
            self._cascade = self._find_cascade()
        return MappingProxyType(self._cascade)

    def _find_cascade(self) -> dict[ResourceAddress, ResourceAddress]:
        deleted_lbs = {
            self.before(a).get("id"): a for a in self.operated()
            if a.type in LOAD_BALANCER_TYPES and a in self._prior.resources and self.is_deleted(a)
        }
        out: dict[ResourceAddress, ResourceAddress] = {}
        if not deleted_lbs:
            return out
        for addr in self.sorted_operated():
            if addr.type in LOAD_BALANCER_TYPES or addr not in self._prior.resources or not self.is_deleted(addr):
                continue
            lb = self.old_lb(addr)
            if lb in deleted_lbs:
                out[addr] = deleted_lbs[lb]
        return out
