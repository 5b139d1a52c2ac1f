"""The values an apply sends for one operation, re-evaluated from the configuration.

At plan time a reference to an object not yet created is "(known after apply)"; when the apply
reaches an operation, its instance is evaluated again with the values applied so far, so the id
is the real one now. The executor calls an instance of this class for each create and update, and
``invalidate`` after recording each result (see :class:`planner.apply.ports.PlannedValues`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from planner.addresses import ResourceAddress
from planner.config.evaluation import InstanceValues
from planner.config.model import Configuration
from planner.plan.diff import get_schema, planned_after, strip_unknown
from planner.plan.model import Operation, OpKind
from planner.schema.conform import convert
from planner.values import UNKNOWN, contains_unknown


class ConfigPlannedValues:
    """:class:`planner.apply.ports.PlannedValues` over an evaluated configuration.

    ``cache`` keeps evaluated resource values between the operations of one apply, so an
    evaluation does not rebuild every instance it references; ``invalidate`` drops the one that
    just changed."""

    def __init__(self, config: Configuration):
        self.config = config
        self.cache = InstanceValues()

    def __call__(self, op: Operation, applied: Mapping[ResourceAddress, dict]) -> dict:
        inst = self.config.resources.get(op.address)
        if inst is None:
            return strip_unknown(dict(op.change.after or {}))
        attrs = inst.attributes
        schema = get_schema(op.address.type)
        if contains_unknown(attrs):
            # only a value "(known after apply)" at plan time can come out differently now: every
            # known value the plan showed is final (in Terraform a known planned value that changes
            # at apply is an error), so an instance without one is sent as planned, not evaluated
            # again (re-evaluation was a third of the apply walk's main thread at 1,000 LBs)
            attrs = self._evaluated(op.address, attrs, applied, schema)
        prior = applied.get(op.address) if op.kind is OpKind.UPDATE and op.address in applied else None
        after = planned_after(attrs, prior, schema, inst.lifecycle if prior else None)
        if prior is not None:
            after["id"] = prior.get("id")
        else:
            after["id"] = UNKNOWN
        return strip_unknown(after)

    def _evaluated(self, address: ResourceAddress, planned: dict, applied: Mapping[ResourceAddress, dict],
                   schema: Any) -> dict:
        """The instance's attributes now. When every value still unknown is an id-like argument (a
        string, a list or set of strings: ``load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id``,
        ``security_groups = [alicloud_security_group.app.id]``), at the top or in a nested block
        (``servers { server_ids = [...] }``), only those arguments are evaluated again; they must come out
        strings (or lists of strings, converted as the schema converts them), so the result is what
        evaluating and conforming the whole instance would give, at a fraction of the cost (the whole
        instance was 110-220 us of the walk's main thread per operation). Anything else (a block within
        a block, a value of another type now, a ``dynamic`` block) is the whole instance's evaluation."""
        lookup = _lookup_in(applied)
        if schema is not None:
            targets = _partial_targets(schema, planned)
            if targets is not None:
                names, blocks = targets
                got = self.config.evaluate_arguments(address, names, lookup, self.cache, blocks)
                if got is not None:
                    merged = _merged(schema, planned, got, names, blocks)
                    if merged is not None:
                        return merged
        return self.config.evaluate_instance(address, lookup, self.cache)

    def invalidate(self, address: ResourceAddress) -> None:
        self.cache.invalidate(address)


def _lookup_in(applied: Mapping[ResourceAddress, dict]) -> Callable[[ResourceAddress], dict | None]:
    def lookup(a: ResourceAddress) -> dict | None:
        if a.mode == "data":
            # data sources were read at plan time and their results kept by the evaluator;
            # config.data_sources holds only their arguments, so never hand those back
            return None
        return applied.get(a) if a in applied else None
    return lookup


_ID_LIKE = frozenset(("string", "list(string)", "set(string)"))


def _id_like(attr: Any) -> bool:
    return attr is not None and attr.type in _ID_LIKE and not attr.alias_of


def _partial_targets(schema: Any, planned: dict) -> tuple[frozenset[str], dict[str, frozenset[str]]] | None:
    """The top-level arguments and, per nested block type, the block arguments holding the values still
    unknown; None unless each is id-like (see ``_evaluated``)."""
    names: set[str] = set()
    blocks: dict[str, frozenset[str]] = {}
    for key, value in planned.items():
        if not contains_unknown(value):
            continue
        if key in schema.attributes:
            if not _id_like(schema.attributes[key]):
                return None
            names.add(key)
            continue
        bt = schema.blocks.get(key)
        if bt is None or not isinstance(value, list):
            return None
        need: set[str] = set()
        for item in value:
            if not isinstance(item, dict):
                return None  # a whole block unknown (a dynamic block over an unknown collection)
            for name, v in item.items():
                if contains_unknown(v):
                    if not _id_like(bt.attributes.get(name)):
                        return None  # a block within the block, or not an id
                    need.add(name)
        blocks[key] = frozenset(need)
    return frozenset(names), blocks


def _merged(schema: Any, planned: dict, got: dict, names: frozenset[str],
            blocks: dict[str, frozenset[str]]) -> dict | None:
    """``planned`` with the unknown values replaced by those evaluated now; None when one is not id-like
    now or the blocks do not line up with the plan's."""
    out = dict(planned)
    for name in names:
        value = _as_typed(got[name], schema.attributes[name].type)
        if value is None:
            return None
        out[name] = value
    for btype, need in blocks.items():
        fresh, items = got[btype], planned[btype]
        if len(fresh) != len(items):
            return None
        attrs = schema.blocks[btype].attributes
        new_items = []
        for item, now in zip(items, fresh, strict=True):
            item = dict(item)
            for name in need:
                if name in item and contains_unknown(item[name]):
                    value = _as_typed(now.get(name), attrs[name].type)
                    if value is None:
                        return None
                    item[name] = value
            new_items.append(item)
        out[btype] = new_items
    return out


def _as_typed(value: Any, type_name: str) -> Any:
    """An id-like value as the schema's conversion gives it (a set sorted and without repeats); None when
    it is not one: a string for ``string``, a list of strings for a list or a set."""
    if type_name == "string":
        return value if type(value) is str else None
    if not isinstance(value, (list, tuple)) or not all(type(v) is str for v in value):
        return None
    converted, err = convert(list(value), type_name)
    return None if err else converted
