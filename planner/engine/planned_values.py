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
        """The instance's attributes now. When every value still unknown is a string argument (an id:
        ``load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id``), only those arguments are
        evaluated again and must come out as strings: the schema takes a string as it is, so that is
        what evaluating and conforming the whole instance would give, at a fraction of the cost (the
        whole instance was about 110 us of the walk's main thread per operation). Anything else (a
        nested block, a list, a value that is not a string now) is the whole instance's evaluation."""
        lookup = _lookup_in(applied)
        if schema is not None:
            names = frozenset(k for k, v in planned.items() if contains_unknown(v))
            if all(_is_string_argument(schema, k) for k in names):
                got = self.config.evaluate_arguments(address, names, lookup, self.cache)
                if got is not None and all(type(v) is str for v in got.values()):
                    return {**planned, **got}
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


def _is_string_argument(schema: Any, name: str) -> bool:
    a = schema.attributes.get(name)
    return a is not None and a.type == "string" and not a.alias_of
