"""What configuration evaluation produces: the desired resources and everything around them.

This is the contract between ``planner.config`` (producer) and the graph/diff/plan stages
(consumers). Attribute values are plain Python data: str, int, float, bool, None, list, dict,
with ``planner.values.UNKNOWN`` where a value is known only after apply. Nested blocks
(``servers {}``, ``x_forwarded_for {}``) are always a list of dicts under the block's name.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from typing import Any

from planner.addresses import ResourceAddress
from planner.diagnostics import SourcePos

# An attribute path inside a resource: ("servers", 0, "weight"); () is the block itself.
AttrPath = tuple[str | int, ...]

# The sensitive names of an instance or change that has none, shared: at 10,000 load balancers one
# empty set per instance and per change was 43 MB of the apply's peak. Nothing adds to them in place.
NO_NAMES: frozenset[str] = frozenset()


@dataclass
class Lifecycle:
    create_before_destroy: bool = False
    prevent_destroy: bool = False
    # attribute names; ["*"] stands for ignore_changes = all
    ignore_changes: list[str] = field(default_factory=list)


@dataclass
class ResourceInstance:
    """One expanded resource instance (count/for_each applied)."""

    address: ResourceAddress
    attributes: dict[str, Any]
    pos: SourcePos
    # where each attribute/block/nested attribute was written, for located diagnostics
    positions: dict[AttrPath, SourcePos] = field(default_factory=dict)
    # every resource this instance refers to (expressions + depends_on), instance-precise where
    # the index is static, else every instance of the referenced resource
    depends_on: set[ResourceAddress] = field(default_factory=set)
    lifecycle: Lifecycle = field(default_factory=Lifecycle)
    provider: str = "alicloud"  # "alicloud" or "alicloud.<alias>"
    # top-level attribute names whose value came from a sensitive variable/function
    sensitive: AbstractSet[str] = field(default_factory=set)

    @property
    def type(self) -> str:
        return self.address.type

    def pos_of(self, *path: str | int) -> SourcePos:
        """The closest known position for an attribute path, falling back to the block."""
        p: AttrPath = tuple(path)
        while p:
            if p in self.positions:
                return self.positions[p]
            p = p[:-1]
        return self.pos


@dataclass
class ProviderConfig:
    """``provider "alicloud" { ... }``; credentials never leave this object in output."""

    alias: str | None = None
    region: str | None = None
    access_key: str | None = None
    secret_key: str | None = None
    endpoints: dict[str, str] = field(default_factory=dict)  # product ("slb","vpc","ecs") -> endpoint
    pos: SourcePos | None = None

    @property
    def key(self) -> str:
        return f"alicloud.{self.alias}" if self.alias else "alicloud"


@dataclass
class OutputValue:
    name: str
    value: Any
    sensitive: bool = False
    description: str = ""
    pos: SourcePos | None = None
    # the cty type JSON Terraform records for the value (["list", "string"] for a list(string)
    # variable; None while the value is unknown): carried here because the value itself is plain data
    type: Any = None


@dataclass
class Configuration:
    """The evaluated configuration of one directory."""

    directory: str
    resources: dict[ResourceAddress, ResourceInstance] = field(default_factory=dict)
    data_sources: dict[ResourceAddress, ResourceInstance] = field(default_factory=dict)
    outputs: dict[str, OutputValue] = field(default_factory=dict)
    providers: dict[str, ProviderConfig] = field(default_factory=dict)
    variables: dict[str, Any] = field(default_factory=dict)
    sensitive_variables: set[str] = field(default_factory=set)
    # sha256 over the configuration files' contents, in load order (saved plans record it)
    content_hash: str = ""
    # warnings found while evaluating (errors raise instead); added by planner.config
    warnings: list = field(default_factory=list, repr=False, compare=False)
    # the evaluator that produced this configuration, kept for evaluate_instance (not serialised)
    _instance_evaluator: Any = field(default=None, repr=False, compare=False)

    def __getstate__(self) -> dict:
        """Pickle (saved plans, caches) without the evaluator: it is a live object, not data."""
        state = dict(self.__dict__)
        state["_instance_evaluator"] = None
        return state

    def evaluate_instance(self, address: ResourceAddress,
                          resolver_lookup: Callable[[ResourceAddress], dict | None],
                          cache: Any = None) -> dict:
        """Re-evaluate ONE instance's attributes with referenced resources' values from the callback.

        Apply uses it once dependencies exist, to turn UNKNOWN ids into real ones. Cheap: no
        re-parse and no re-evaluation of other resources (only locals that read resources).
        The callback returns None for an address it has nothing new for (plan-time value kept).
        ``cache`` (a ``planner.config.evaluation.InstanceValues``) keeps resource values between calls
        of one apply; its owner invalidates an address whenever the callback's answer for it changes.
        """
        if self._instance_evaluator is None:
            raise RuntimeError("this Configuration was not produced by planner.config.evaluate")
        return self._instance_evaluator.evaluate_instance(address, resolver_lookup, cache)

    def evaluate_arguments(self, address: ResourceAddress, names: frozenset[str],
                           resolver_lookup: Callable[[ResourceAddress], dict | None],
                           cache: Any = None, blocks: Mapping[str, frozenset[str]] | None = None) -> dict | None:
        """Re-evaluate only the top-level arguments ``names`` of one instance, and the arguments ``blocks``
        names in each of its nested blocks of those types (raw, not conformed); None when that cannot
        stand for ``evaluate_instance`` (see ``ModuleEvaluator.evaluate_arguments``)."""
        if self._instance_evaluator is None:
            raise RuntimeError("this Configuration was not produced by planner.config.evaluate")
        return self._instance_evaluator.evaluate_arguments(address, names, resolver_lookup, cache, blocks)

    def explicit_depends_on(self, address: ResourceAddress) -> set[ResourceAddress]:
        """The instances ``address`` waits for because of ``depends_on`` (its own, or its module
        call's), not because an expression reads them: the graph labels those edges "depends_on"
        and the JSON plan lists them under ``depends_on``. Empty for a configuration that was not
        evaluated (read back from a plan file)."""
        ev = self._instance_evaluator
        if ev is not None and address.module:
            ev = ev.evaluator_for(address.module)
        if ev is None:
            return set()
        node = ("resource" if address.mode == "managed" else "data", address.type, address.name)
        out: set[ResourceAddress] = set(ev.inherited_deps)  # depends_on of the module call
        for ref in ev.explicit_deps.get(node, []):
            kind, t, n = ref[0], ref[1], ref[2]
            if kind == "module":
                for _k, child in ev.child_instances.get(t, ()):
                    out |= child.all_resources()
                continue
            mode = "managed" if kind == "resource" else "data"
            for key in ev.instance_keys.get((mode, t, n), []):
                out.add(ResourceAddress(t, n, key, mode, address.module))
        return out


class ConfigDependencies(Mapping[ResourceAddress, list[ResourceAddress]]):
    """:func:`config_dependencies`, each entry worked out when first asked for: a plan's verification
    and apply read the entries of their operations only, 200 of 100,000 in a 1% plan (sorting every
    resource's dependencies was 0.7 s of it at 10,000 load balancers)."""

    def __init__(self, config: Configuration):
        self._resources = config.resources
        self._done: dict[ResourceAddress, list[ResourceAddress]] = {}

    def __getitem__(self, addr: ResourceAddress) -> list[ResourceAddress]:
        got = self._done.get(addr)
        if got is None:
            inst = self._resources[addr]
            got = self._done[addr] = sorted((d for d in inst.depends_on if d.mode == "managed" and d != addr),
                                            key=str)
        return got

    def __iter__(self) -> Iterator[ResourceAddress]:
        return iter(self._resources)

    def __len__(self) -> int:
        return len(self._resources)


def config_dependencies(config: Configuration) -> dict[ResourceAddress, list[ResourceAddress]]:
    """What each resource references (recorded in state so orphans are deleted in order). A dependency
    on every instance of a counted resource stays its unkeyed address, as Terraform records it."""
    return dict(ConfigDependencies(config))
