"""Desired (Configuration) vs prior (refreshed State) -> one ResourceChange per resource.

The diff is where Terraform's per-attribute rules live: Optional+Computed attributes left unset
keep what the cloud holds, computed attributes of anything (re)created are unknown until apply,
``force_new`` attributes turn an update into a replace and ``ignore_changes`` pins prior values.
The upgrades the cloud's rules need (a rule of a replaced listener replaced with it, automatic
create-before-destroy), the ``prevent_destroy`` check on their result and the ordering are decided
later, in ``planner.plan.upgrades`` and ``planner.plan.ordering``.

``Differ.resolve`` is also the plan-time resolver handed to ``planner.config.evaluate``: it is
called per instance in dependency order, so a reference to an existing, unchanged resource sees
its real cloud id, and a reference to something being (re)created sees ``UNKNOWN``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from planner.addresses import ResourceAddress
from planner.config.model import NO_NAMES, Configuration, Lifecycle, ResourceInstance
from planner.plan.model import Action, DriftEntry, ResourceChange
from planner.schema import get_schema
from planner.state.model import ResourceState, State
from planner.values import LEAF_TYPES, UNKNOWN, contains_unknown, is_unknown

# ---------------------------------------------------------------------------------------------
# value comparison

def _canon(value: Any) -> str:
    """A stable text form used to compare and sort values (sets compare unordered)."""
    return json.dumps(value, sort_keys=True, default=repr)


def _normalise(value: Any, attr: Any = None, block: Any = None) -> Any:
    """Make two representations of the same value compare equal: set-typed attributes and
    set-nested blocks are order-free; ``None`` and ``[]`` are 'unset' for blocks."""
    if value is None:
        return None
    if block is not None:
        if not value:
            return None
        items = [
            {k: _normalise(v, (block.attributes or {}).get(k)) for k, v in item.items() if v is not None}
            if isinstance(item, dict) else item
            for item in _explode_server_ids(value)
        ]
        if block.nesting == "set":
            items = sorted(items, key=_canon)
        return items
    if attr is not None and isinstance(value, (list, tuple, set, frozenset)) and str(attr.type).startswith("set"):
        return sorted(value, key=_canon)
    if isinstance(value, tuple):
        return list(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def _explode_server_ids(items: Any) -> list:
    """``servers { server_ids = [a, b] ... }`` means the same as one block per server: compare
    VServer group members one server at a time, however the blocks group them."""
    out = []
    for item in items:
        ids = item.get("server_ids") if isinstance(item, dict) else None
        if isinstance(ids, list) and len(ids) != 1 and not contains_unknown(ids):
            out.extend({**item, "server_ids": [i]} for i in ids)
        else:
            out.append(item)
    return out


def values_equal(a: Any, b: Any, attr: Any = None, block: Any = None) -> bool:
    if a is None and b is None:
        return True
    if a is UNKNOWN or b is UNKNOWN:
        return False
    t = type(a)
    if t is type(b):
        if a == b:  # the common case, without canonical text
            # a scalar holds no unknown: skip the walk (called for every attribute of every instance)
            return t is str or t is int or t is bool or t is float or not contains_unknown(a)
        if block is None and (t is str or t is int or t is bool):
            return False  # _normalise leaves these as they are: their canonical texts differ too
    if contains_unknown(a) or contains_unknown(b):
        return False
    return _canon(_normalise(a, attr, block)) == _canon(_normalise(b, attr, block))


_COMPUTED: dict[int, tuple[Mapping[str, Any], list[str]]] = {}
_PLAIN_SCALARS = frozenset((str, int, bool))


def _fill_block_items(config_items: list, prior_items: list | None, block: Any) -> list:
    """Nested Optional+Computed attributes unset in config take the value of the matching prior
    item (matched on every attribute the config does set)."""
    if not prior_items or not isinstance(config_items, list):
        return config_items
    nested = block.attributes if block is not None else {}
    hit = _COMPUTED.get(id(nested))
    if hit is None or hit[0] is not nested:  # the block's computed names: once per schema block
        hit = _COMPUTED[id(nested)] = (nested, [k for k, a in nested.items() if a.computed])
    computed = hit[1]
    out = []
    for item in config_items:
        if not isinstance(item, dict):
            out.append(item)
            continue
        get = item.get
        for k in computed:
            if get(k) is None:
                break
        else:
            for k, v in item.items():
                if v is None and k not in nested:
                    break
            else:
                out.append(item)  # nothing unset that the cloud could have filled
                continue
        # the first prior item equal on every attribute the config sets; a known string, number or
        # bool compared with one of the same type is equal exactly when ==, as values_equal says
        set_keys = [(k, v, nested.get(k), type(v) in _PLAIN_SCALARS) for k, v in item.items()
                    if v is not None and not is_unknown(v)]
        match = None
        for p in prior_items:
            if not isinstance(p, dict):
                continue
            for k, v, a, plain in set_keys:
                pv = p.get(k)
                if plain and type(pv) is type(v):
                    if pv != v:
                        break
                elif not values_equal(pv, v, a):
                    break
            else:
                match = p
                break
        if match is None:
            out.append(item)
            continue
        merged = dict(item)
        for k, v in match.items():
            a = nested.get(k)
            if merged.get(k) is None and (a is None or a.computed):
                merged[k] = v
        out.append(merged)
    return out


# ---------------------------------------------------------------------------------------------
# planned values

def _name_facts(names: list[str], attrs: Mapping[str, Any], blocks: Mapping[str, Any]) -> list[tuple]:
    out = []
    for name in names:
        attr, block = attrs.get(name), blocks.get(name)
        out.append((name, attr, block,
                    bool((attr is not None and attr.computed) or (block is not None and block.computed)),
                    attr.released_when if attr is not None else None))
    return out


class _SchemaPlan:
    """What ``planned_after`` and ``changed_attributes`` need of one schema, worked out once per run
    instead of once per instance: its names in order with their facts, the set of those names
    (plus ``id``), its deprecated aliases, and each name's (attribute, block)."""

    __slots__ = ("schema", "facts", "names", "aliases", "parts")

    def __init__(self, schema: Any, attrs: Mapping[str, Any], blocks: Mapping[str, Any]):
        names = (set(attrs) | set(blocks)) - {"id"}
        self.schema = schema
        self.facts = _name_facts(sorted(names), attrs, blocks)
        self.names = frozenset(names | {"id"})
        self.aliases = [(name, attr.alias_of) for name, attr in attrs.items() if attr.alias_of]
        self.parts = {name: (attrs.get(name), blocks.get(name)) for name in set(attrs) | set(blocks)}


_NAMES_PLAN: dict[int, _SchemaPlan] = {}
_NO_PARTS = (None, None)


def _schema_plan(schema: Any) -> _SchemaPlan:
    hit = _NAMES_PLAN.get(id(schema))
    if hit is None or hit.schema is not schema:
        attrs = schema.attributes if schema is not None else {}
        blocks = schema.blocks if schema is not None else {}
        hit = _NAMES_PLAN[id(schema)] = _SchemaPlan(schema, attrs, blocks)
    return hit


def planned_after(config_attrs: Mapping[str, Any], prior: Mapping[str, Any] | None, schema: Any,
                  lifecycle: Lifecycle | None = None) -> dict[str, Any]:
    """The planned attribute object (without ``id``) for an in-place change or no-op.

    Computed attributes unset in config keep the prior value (or are UNKNOWN when there is no
    prior); ignore_changes pins prior values. A replace turns the kept computed values into
    UNKNOWN afterwards (see ``_mark_replaced``).
    """
    after: dict[str, Any] = {}
    plan = _schema_plan(schema)
    facts = plan.facts
    known = plan.names
    for k in config_attrs:
        if k not in known:  # an argument the schema does not know
            attrs = schema.attributes if schema is not None else {}
            blocks = schema.blocks if schema is not None else {}
            names = set(config_attrs) | set(attrs) | set(blocks)
            names.discard("id")
            facts = _name_facts(sorted(names), attrs, blocks)
            break
    get = config_attrs.get
    pget = prior.get if prior is not None else None
    for name, attr, block, computed, released_when in facts:
        cv = get(name)
        # the two common cases first, answered as the general code below answers them: an argument
        # the configuration leaves unset (nothing to release), a plain argument it sets
        if cv is None:
            if released_when is None:
                if computed:
                    after[name] = pget(name) if pget is not None else UNKNOWN
                else:
                    after[name] = [] if block is not None else None
                continue
        elif block is None:
            after[name] = cv
            continue
        if cv is None or (block is not None and computed and not is_unknown(cv) and not cv):
            if released_when is not None and get(released_when[0]) == released_when[1] \
                    and prior is not None and prior.get(name):
                # let go of what the prior object held (an ACL a listener no longer uses)
                after[name] = [] if attr.type.startswith(("list", "set")) else None
            elif computed:
                after[name] = prior.get(name) if prior is not None else UNKNOWN
            else:
                after[name] = [] if block is not None else None
        elif block is not None and prior is not None:
            after[name] = _fill_block_items(cv, prior.get(name), block)
        else:
            after[name] = cv
    if prior is not None:
        for name, canonical in plan.aliases:
            # a deprecated alias the provider sets on read follows its canonical attribute (known
            # after apply for a new object, like any computed value)
            if get(name) is None and canonical in after:
                after[name] = after[canonical]
        # attributes the provider reports that the schema does not know: not ours to change
        if schema is not None and len(prior.keys() - after.keys()) > ("id" in prior):
            for name, value in prior.items():
                if name != "id" and name not in after:
                    after[name] = value
        if lifecycle is not None and lifecycle.ignore_changes:
            ignored = set(after) if "*" in lifecycle.ignore_changes or "all" in lifecycle.ignore_changes \
                else set(lifecycle.ignore_changes)
            for name in ignored:
                if name in after or name in prior:
                    after[name] = prior.get(name)
    return after


def _mark_replaced(after: dict[str, Any], config_attrs: Mapping[str, Any], schema: Any) -> None:
    """A replaced object is a new object: whatever the cloud computes is unknown again."""
    if schema is None:
        return
    for name, attr in schema.attributes.items():
        if attr.computed and config_attrs.get(name) is None and name != "id":
            after[name] = UNKNOWN
    for name, block in schema.blocks.items():
        if block.computed and not config_attrs.get(name):
            after[name] = UNKNOWN


def changed_attributes(before: Mapping[str, Any] | None, after: Mapping[str, Any], schema: Any) -> list[str]:
    """Top-level attribute names whose planned value differs from the prior one."""
    if before is None:
        return sorted(k for k in after if k != "id")
    parts = _schema_plan(schema).parts
    out = []
    get = before.get
    for name, b in after.items():  # names only in ``before`` are skipped below: after's are enough; sorted at the end
        a = get(name)
        if a is b:
            t = type(a)
            if a is None or t is str or t is int or t is bool:
                continue  # the same known scalar (a computed value kept from the prior object): equal
        if name == "id":
            continue
        attr, block = parts.get(name, _NO_PARTS)
        if not values_equal(a, b, attr, block):
            if not is_unknown(b) and _normalise(a, attr, block) is None and _normalise(b, attr, block) is None:
                continue
            out.append(name)
    out.sort()
    return out


def _describe_change(name: str, before: Any, after: Any) -> str:
    """``frontend_port 80 -> 81`` for scalars; ``servers changed`` for blocks and collections."""
    def show(v: Any) -> str:
        if is_unknown(v):
            return "(known after apply)"
        if v is None:
            return "null"
        return json.dumps(v) if isinstance(v, str) else _canon(v)

    if isinstance(before, (dict, list)) or isinstance(after, (dict, list)):
        return f"{name} changed"
    return f"{name} {show(before)} -> {show(after)}"


def strip_unknown(value: Any) -> Any:
    """Drop unknown values (and dict keys holding them): what the provider receives must be known.

    Every operation of an apply passes its planned object through here (twice: the rehearsal and the
    walk), so plain values are copied without a call each: at 50 us an object it was a sixth of the
    apply-time evaluation."""
    if isinstance(value, dict):
        out = {}
        for k, v in value.items():
            t = type(v)
            if t in LEAF_TYPES:
                out[k] = v
            elif v is not UNKNOWN:
                out[k] = strip_unknown(v)
        return out
    if isinstance(value, list):
        return [v if type(v) in LEAF_TYPES else strip_unknown(v) for v in value if v is not UNKNOWN]
    return value



# ---------------------------------------------------------------------------------------------
# the differ

class Differ:
    """Computes ResourceChanges against one (refreshed) prior state.

    Use ``resolve`` as the ``resolver`` of ``planner.config.evaluate``, then ``diff(config)``.
    """

    def __init__(self, prior: State, *, destroy: bool = False):
        self.prior = prior
        self.destroy = destroy
        # set by the pipeline from planner.plan.moves: objects a removed block forgets, objects moved
        # to an address the configuration does not declare, and where moved objects came from
        self.forget: set[ResourceAddress] = set()
        self.move_targets: set[ResourceAddress] = set()
        self.previous: dict[ResourceAddress, ResourceAddress] = {}
        # what resolve() computed, reused by diff() when the instance is the same object
        self._changes: dict[ResourceAddress, tuple[ResourceInstance, ResourceChange]] = {}
        # whether resolve() met a configured object to create, update or replace (orphans are found
        # by diff() only): the plan then starts copying its shadow cloud before it is ordered
        self.changing = False
        # type -> (schema, its sensitive names, (alias, canonical) pairs, force-new names), for this run
        self._schemas: dict[str, tuple[Any, frozenset[str], list[tuple[str, str]], frozenset[str]]] = {}

    # -- resolver -----------------------------------------------------------------------------
    def resolve(self, instance: ResourceInstance) -> dict:
        """What references to ``instance`` see during plan-time evaluation."""
        if instance.address.mode != "managed":
            return dict(instance.attributes)
        if self.destroy:
            rs = self.prior.resources.get(instance.address)
            if rs is not None:
                return {**rs.attributes, "id": rs.id}
        change = self.change_for(instance)
        self._changes[instance.address] = (instance, change)
        if change.action is not Action.NOOP:
            self.changing = True
        # not copied: the evaluator only reads it, through the copy ``complete`` makes
        return change.after if change.after is not None else {}

    def noop_after(self, address: ResourceAddress) -> tuple[dict, Any] | None:
        """(planned object, sensitive names) of ``address`` when ``resolve`` found it a no-op that the
        configuration and the prior object alone decide (no ``customize_diff``): what ``resolve_recorded``
        may be given again for the same configuration and prior object (``planner.config.eval_memo``)."""
        got = self._changes.get(address)
        if got is None or got[1].action is not Action.NOOP or got[1].before is None:
            return None
        schema = self._info(address.type)[0]
        if schema is None or getattr(schema, "customize_diff", None) is not None:
            return None
        return got[1].after, got[1].sensitive

    def resolve_recorded(self, instance: ResourceInstance, after: dict) -> dict | None:
        """``resolve`` for an instance whose configuration and prior object are those a no-op was planned
        from, with the planned object ``noop_after`` gave then: the same change, without working it out
        again. None when the prior holds no object there (the caller resolves in full)."""
        rs = self.prior.resources.get(instance.address)
        if rs is None or self.destroy:
            return None
        before = {**rs.attributes, "id": rs.id}
        change = ResourceChange(instance.address, Action.NOOP, before, after, provider=instance.provider,
                                sensitive=self._sensitive(instance, rs, self._info(instance.type)),
                                reason="matches the configuration")
        self._changes[instance.address] = (instance, change)
        return after

    def _info(self, type_name: str) -> tuple[Any, frozenset[str], list[tuple[str, str]], frozenset[str]]:
        """What the schema says is the same for every instance of a type, worked out once per type."""
        info = self._schemas.get(type_name)
        if info is None:
            sch = get_schema(type_name)
            info = self._schemas[type_name] = (
                sch, frozenset(sch.sensitive) if sch is not None else frozenset(),
                [(n, a.alias_of) for n, a in sch.attributes.items() if a.alias_of] if sch is not None else [],
                frozenset(sch.force_new) if sch is not None else frozenset())
        return info

    @staticmethod
    def _sensitive(instance: ResourceInstance, rs: ResourceState | None, info: tuple) -> Any:
        sensitive = set(instance.sensitive) | info[1]
        if rs is not None:
            sensitive |= rs.sensitive  # marks recorded in the state stay (Terraform's sensitive_attributes)
        # an alias carries its canonical attribute's value: a secret in one is a secret in both
        for name, canonical in info[2]:
            if name in sensitive or canonical in sensitive:
                sensitive |= {name, canonical}
        return sensitive or NO_NAMES

    # -- one instance ---------------------------------------------------------------------------
    def change_for(self, instance: ResourceInstance) -> ResourceChange:
        addr = instance.address
        info = self._info(instance.type)
        schema, _sensitive, _aliases, force_new = info
        rs = self.prior.resources.get(addr)
        sensitive = self._sensitive(instance, rs, info)
        if rs is None:
            after = planned_after(instance.attributes, None, schema)
            if schema is not None and getattr(schema, "customize_diff", None) is not None:
                schema.customize_diff(None, after, [], [])
            after["id"] = UNKNOWN
            return ResourceChange(
                addr, Action.CREATE, None, after, provider=instance.provider, sensitive=sensitive,
                reason=f"{addr} is in the configuration but not in the state",
            )
        before = {**rs.attributes, "id": rs.id}
        after = planned_after(instance.attributes, before, schema, instance.lifecycle)
        changed = changed_attributes(before, after, schema)
        replace_by = [n for n in changed if n in force_new]
        if schema is not None and getattr(schema, "customize_diff", None) is not None:
            replace_by = schema.customize_diff(before, after, changed, replace_by)
        if replace_by:
            _mark_replaced(after, instance.attributes, schema)
            after["id"] = UNKNOWN
            cbd = instance.lifecycle.create_before_destroy
            # a secret that forces the replacement is named, never shown (reviewers read this line)
            detail = ", ".join(f"{n} changed (sensitive value)" if n in sensitive
                               else _describe_change(n, before.get(n), after.get(n)) for n in replace_by)
            return ResourceChange(
                addr, Action.CREATE_THEN_DELETE if cbd else Action.DELETE_THEN_CREATE, before, after,
                provider=instance.provider, sensitive=sensitive,
                replace_paths=[[n] for n in replace_by], action_reason="replace_because_cannot_update",
                reason=f"cannot update in place: {detail}"
                + ("; lifecycle.create_before_destroy creates the new object first" if cbd else ""),
            )
        after["id"] = rs.id
        if changed:
            return ResourceChange(
                addr, Action.UPDATE, before, after, provider=instance.provider, sensitive=sensitive,
                reason=f"changed in place: {', '.join(changed)}",
            )
        return ResourceChange(addr, Action.NOOP, before, after, provider=instance.provider,
                              sensitive=sensitive, reason="matches the configuration")

    # -- the whole plan -------------------------------------------------------------------------
    def diff(self, config: Configuration) -> list[ResourceChange]:
        """Every resource change, sorted by address. ``prevent_destroy`` is checked after the
        action upgrades (``planner.plan.upgrades.check_prevent_destroy``), which may replace more."""
        changes: dict[ResourceAddress, ResourceChange] = {}
        if not self.destroy:
            for addr, inst in config.resources.items():
                if addr.mode != "managed":
                    continue
                cached = self._changes.get(addr)
                changes[addr] = cached[1] if cached is not None and cached[0] is inst else self.change_for(inst)
        declared: dict | None = None  # made for the first orphan: a plan with none never needs it
        for addr, rs in self.prior.resources.items():
            if addr.mode != "managed" or addr in changes:
                continue
            schema = get_schema(rs.type)
            before = {**rs.attributes, "id": rs.id}
            if addr in self.forget:
                changes[addr] = ResourceChange(
                    addr, Action.FORGET, before, None, provider=rs.provider,
                    sensitive=set(schema.sensitive) if schema is not None else set(),
                    action_reason="delete_because_no_resource_config",
                    reason="destroy = false is set in the configuration")
                continue
            if declared is None:
                declared = {a.resource: a for a in config.resources}
            why, reason = self._orphan_reason(addr, declared, config)
            changes[addr] = ResourceChange(
                addr, Action.DELETE, before, None, provider=rs.provider,
                sensitive=(set(schema.sensitive) if schema is not None else set()) | rs.sensitive,
                action_reason=why, reason=reason,
            )
        for addr, prev in self.previous.items():
            if addr in changes:
                changes[addr].previous_address = prev
        return [changes[a] for a in sorted(changes, key=str)]

    def _module_prefixes(self, config: Configuration) -> set:
        """Every module instance path (and its ancestors) that holds a resource of the configuration."""
        got = getattr(self, "_prefixes", None)
        if got is None:
            got = {a.module[:i] for a in config.resources for i in range(1, len(a.module) + 1)}
            self._prefixes = got
        return got

    def _orphan_reason(self, addr: ResourceAddress, declared: dict,
                       config: Configuration | None = None) -> tuple[str, str]:
        if self.destroy:
            return "", "destroy was requested"
        if addr in self.move_targets:
            return "delete_because_no_move_target", \
                f"a moved block moved this object to {addr}, which the configuration does not declare"
        if addr.resource in declared:
            other = declared[addr.resource].key
            if addr.key is None:
                return "delete_because_wrong_repetition", \
                    f"{addr.resource} now uses count or for_each, so the un-keyed object is removed"
            if other is None or isinstance(other, int) != isinstance(addr.key, int):
                uses = "no count or for_each" if other is None else \
                    ("count" if isinstance(other, int) else "for_each")
                return "delete_because_wrong_repetition", f"{addr.resource} now uses {uses}"
            if isinstance(addr.key, int):
                return "delete_because_count_index", \
                    f"index [{addr.key}] is out of range for count"
            return "delete_because_each_key", f"key {json.dumps(addr.key)} is not in for_each map"
        if addr.module and config is not None and addr.module not in self._module_prefixes(config):
            return "delete_because_no_module", f"module instance {addr.module_address} is not in the configuration"
        return "delete_because_no_resource_config", f"{addr} is not in the configuration"


# ---------------------------------------------------------------------------------------------
# refresh results and drift

def detect_drift(prior: State, refreshed: Mapping[ResourceAddress, dict | None]) -> list[DriftEntry]:
    """Attributes changed outside clbplan: the state before refresh vs what the cloud reported."""
    out: list[DriftEntry] = []
    for addr in sorted(prior.resources, key=str):
        if addr not in refreshed:
            continue
        rs = prior.resources[addr]
        now = refreshed[addr]
        if now is None:
            out.append(DriftEntry(addr, ["*"], dict(rs.attributes), None))
            continue
        schema = get_schema(rs.type)
        attrs = schema.attributes if schema is not None else {}
        blocks = schema.blocks if schema is not None else {}
        # each name is judged on its own: filter first, sort the (usually empty) result
        ra = rs.attributes
        changed = []
        for n in set(ra) | set(now):
            a, b = ra.get(n), now.get(n)
            t = type(a)
            if t is type(b) and (t is str or t is int or t is bool or a is None) and a == b:
                continue  # equal scalars (or both null): what values_equal says, without the call
            if n != "id" and not values_equal(a, b, attrs.get(n), blocks.get(n)) \
                    and not (_normalise(a, attrs.get(n), blocks.get(n)) is None
                             and _normalise(b, attrs.get(n), blocks.get(n)) is None):
                changed.append(n)
        changed.sort()
        if changed:
            out.append(DriftEntry(addr, changed, dict(rs.attributes), dict(now)))
    return out


def _same_types(a: dict[str, Any], b: dict[str, Any]) -> bool:
    """``a == b`` already holds; also no ``True`` against ``1`` (or ``1`` against ``1.0``) among the top-level
    attributes. Nested values are compared by ``==`` only: both sides were conformed to the same schema
    (the state on read, the refresh by the provider), so a nested bool is a bool on both."""
    return all(type(v) is type(b[k]) for k, v in a.items())


def _holds(rs: ResourceState, rid: str, attrs: dict[str, Any]) -> bool:
    """The cloud reports what ``rs`` already holds: same id, equal attributes of the same types."""
    return rid == rs.id and attrs == rs.attributes and _same_types(attrs, rs.attributes)


def refreshed_state(prior: State, refreshed: Mapping[ResourceAddress, dict | None], *,
                    take: bool = False) -> State:
    """A copy of ``prior`` holding what the cloud reported; resources gone from the cloud dropped.

    ``take``: the caller hands its refresh results over (it drops them afterwards), so each
    result dict becomes the attributes as it is, ``id`` removed in place, instead of being copied:
    at 10,000 load balancers the copies were 100,000 dicts alive beside the originals."""
    st = prior.without_resources()
    taken: dict[int, Any] = {}  # id() of each dict taken -> the id it held
    for addr, rs in prior.resources.items():
        if addr in refreshed:
            now = refreshed[addr]
            if now is None:
                continue
            if take and id(now) not in taken:
                rid = taken[id(now)] = now.pop("id", None)
                if _holds(rs, str(rid or rs.id), now):
                    # what the state already holds (a no-change refresh: nearly every object): the prior
                    # object serves both states, the refresh's copy is dropped with the caller's results
                    st.resources[addr] = rs
                    continue
                st.resources[addr] = ResourceState(addr, str(rid or rs.id), now, rs.provider,
                                                   list(rs.dependencies), set(rs.sensitive))
                continue
            # (a dict given for two addresses is taken by the first and copied for the second)
            rid = taken[id(now)] if id(now) in taken else now.get("id")
            attrs = {k: v for k, v in now.items() if k != "id"}
            st.resources[addr] = ResourceState(addr, str(rid or rs.id), attrs, rs.provider,
                                               list(rs.dependencies), set(rs.sensitive))
        else:
            st.resources[addr] = rs
    return st


# What a refresh changed, as a refresh made in another process sends it back: the prior objects the cloud
# still matches are not sent at all (at 10,000 load balancers, nearly all of them).
RefreshDelta = tuple[dict[ResourceAddress, tuple[str, dict[str, Any]]], list[ResourceAddress]]


def refresh_delta(prior: State, refreshed: Mapping[ResourceAddress, dict | None]) -> RefreshDelta:
    """(address -> (id, attributes) for each object the cloud reports differently, addresses gone from
    the cloud): with ``prior``, all ``refreshed_state`` needs (see ``with_refresh_delta``)."""
    changed: dict[ResourceAddress, tuple[str, dict[str, Any]]] = {}
    gone: list[ResourceAddress] = []
    for addr, rs in prior.resources.items():
        if addr not in refreshed:
            continue
        now = refreshed[addr]
        if now is None:
            gone.append(addr)
            continue
        rid = str(now.get("id") or rs.id)
        attrs = {k: v for k, v in now.items() if k != "id"}
        if not _holds(rs, rid, attrs):
            changed[addr] = (rid, attrs)
    return changed, gone


def drift_and_delta(prior: State, refreshed: Mapping[ResourceAddress, dict | None]
                    ) -> tuple[list[DriftEntry], RefreshDelta]:
    """``detect_drift`` and ``refresh_delta`` at once. Only an object the cloud reports differently from
    the state (in the delta: another id, value or value type, or gone) can have drifted, so the
    attribute-by-attribute comparison runs on those alone: at 10,000 load balancers it was 1.3 s of
    every refresh, for objects that were all byte-for-byte what the state holds."""
    delta = refresh_delta(prior, refreshed)
    changed, gone = delta
    if not changed and not gone:
        return [], delta
    suspects = State(resources={a: prior.resources[a] for a in (*changed, *gone)})
    return detect_drift(suspects, refreshed), delta


def with_refresh_delta(prior: State, delta: RefreshDelta) -> State:
    """``refreshed_state(prior, values)`` rebuilt from ``refresh_delta(prior, values)``: the same
    objects where the cloud matched the state, new ones where it did not, the gone ones dropped. The
    provider, dependencies and sensitive marks come from ``prior`` as it is now, as in ``refreshed_state``."""
    changed, gone = delta
    dropped = set(gone)
    st = prior.without_resources()
    for addr, rs in prior.resources.items():
        if addr in dropped:
            continue
        got = changed.get(addr)
        st.resources[addr] = rs if got is None else ResourceState(
            addr, got[0], got[1], rs.provider, list(rs.dependencies), set(rs.sensitive))
    return st
