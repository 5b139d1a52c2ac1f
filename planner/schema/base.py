"""Schema building blocks: what an argument is, and what a resource type accepts.

One module per resource type under ``planner.schema`` declares a ``SCHEMA: ResourceSchema``;
``planner.schema.registry`` collects them. Consumers:
- config evaluation calls ``conform`` to convert types, fill defaults, and validate one instance;
- the diff uses ``force_new``, ``computed`` and ``sensitive``;
- cross-resource (seed) rules live in ``planner.schema.rules``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# HCL-ish type words: "string", "number", "bool", "list(string)", "set(string)", "map(string)",
# "list(number)", "set(number)".
TypeName = str


@dataclass
class Attribute:
    name: str
    type: TypeName = "string"
    required: bool = False
    optional: bool = True
    computed: bool = False  # the cloud fills it (ids, addresses), or fills it when unset
    default: Any = None  # filled into the planned value when unset (Terraform SDK "Default")
    force_new: bool = False  # a change replaces the resource
    sensitive: bool = False
    # validation: allowed values, inclusive numeric range(s), regex, or a custom check returning
    # an error sentence or None
    one_of: tuple[Any, ...] | None = None
    ranges: tuple[tuple[int | float, int | float], ...] | None = None
    pattern: str | None = None
    check: Callable[[Any], str | None] | None = None
    conflicts_with: tuple[str, ...] = ()
    deprecated: str = ""  # message when set: "use load_balancer_name instead"
    alias_of: str = ""  # deprecated alias: the value is moved to this attribute
    description: str = ""
    # ADDED by the schema helper: the provider removed this argument; setting it is an error
    # carrying this message ("use address_type instead")
    removed: str = ""
    # ADDED by the lead: an optional+computed reference that is kept while unset, except when another
    # attribute has this value in the configuration: then unset means "let go of it" (planned empty).
    # acl_ids with acl_status = "off": otherwise a listener keeps holding an ACL the plan deletes.
    released_when: tuple[str, Any] | None = None


@dataclass
class BlockType:
    """A nested block (``servers {}``), always carried as a list of dicts."""

    name: str
    attributes: dict[str, Attribute]
    blocks: dict[str, BlockType] = field(default_factory=dict)
    nesting: str = "list"  # "list" or "set"
    min_items: int = 0
    max_items: int | None = None
    force_new: bool = False
    computed: bool = False


@dataclass
class ResourceSchema:
    type_name: str
    attributes: dict[str, Attribute]
    blocks: dict[str, BlockType] = field(default_factory=dict)
    mode: str = "managed"  # or "data"
    # cross-attribute checks within one instance: fn(attrs, instance) -> list[Diagnostic]
    instance_checks: list[Callable[..., list]] = field(default_factory=list)
    description: str = ""
    # ADDED by the utility helper: a provider's own plan logic for an update of an existing object,
    # fn(before, after, changed, replace_by) -> replace_by. It may mark values of ``after`` unknown
    # (terraform_data's output when its input changes) and returns the attribute names that force
    # replacement (random's keepers replace only when a value that is not null changes).
    customize_diff: Callable[..., list[str]] | None = None

    @property
    def computed(self) -> set[str]:
        return {n for n, a in self.attributes.items() if a.computed}

    @property
    def force_new(self) -> set[str]:
        return {n for n, a in self.attributes.items() if a.force_new} | {
            n for n, b in self.blocks.items() if b.force_new
        }

    @property
    def sensitive(self) -> set[str]:
        return {n for n, a in self.attributes.items() if a.sensitive}
