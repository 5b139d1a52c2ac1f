"""What a plan is made of: resource changes with their reasons (Terraform's vocabulary)."""

from __future__ import annotations

from collections.abc import Set as AbstractSet
from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any

from planner.addresses import ResourceAddress


class Action(StrEnum):
    """Terraform's change actions; replace is one of the two ordered pairs."""

    NOOP = "no-op"
    CREATE = "create"
    READ = "read"
    UPDATE = "update"
    DELETE = "delete"
    DELETE_THEN_CREATE = "delete-create"
    CREATE_THEN_DELETE = "create-delete"
    # removed { lifecycle { destroy = false } }: the object leaves the state, the cloud keeps it
    FORGET = "forget"

    @property
    def actions(self) -> list[str]:
        """The JSON plan form: ``["delete", "create"]`` etc."""
        if self is Action.DELETE_THEN_CREATE:
            return ["delete", "create"]
        if self is Action.CREATE_THEN_DELETE:
            return ["create", "delete"]
        return [self.value]

    @property
    def is_replace(self) -> bool:
        return self in (Action.DELETE_THEN_CREATE, Action.CREATE_THEN_DELETE)

    @property
    def symbol(self) -> str:
        return {
            "no-op": " ", "create": "+", "read": "<=", "update": "~", "delete": "-",
            "delete-create": "-/+", "create-delete": "+/-", "forget": ".",
        }[self.value]


@dataclass
class ResourceChange:
    """One resource's planned change. ``before``/``after`` are full attribute objects;
    ``after`` may hold ``planner.values.UNKNOWN``."""

    address: ResourceAddress
    action: Action
    before: dict[str, Any] | None
    after: dict[str, Any] | None
    provider: str = "alicloud"
    # attribute paths that forced a replace, e.g. [["frontend_port"]]
    replace_paths: list[list[str | int]] = field(default_factory=list)
    # Terraform's action_reason words where they apply ("replace_because_cannot_update",
    # "delete_because_no_resource_config", ...), else ""
    action_reason: str = ""
    # a sentence a person reads: why this change, why in this form
    reason: str = ""
    # top-level attribute names whose values are masked in every rendering
    sensitive: AbstractSet[str] = field(default_factory=set)
    # where the object was before a moved block (or an implied count move) re-addressed it
    previous_address: ResourceAddress | None = None

    @property
    def type(self) -> str:
        return self.address.type


class OpKind(StrEnum):
    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"


@dataclass
class Operation:
    """One node of the operation graph: one half of a replace, or a whole create/update/delete.

    The executor walks these in graph order; the provider turns each into API calls.
    """

    address: ResourceAddress
    kind: OpKind
    change: ResourceChange
    # serialisation key: at most one mutating call per load balancer at a time. The LB's cloud id
    # when known, else "new:<address of the LB resource>".
    load_balancer: str | None = None
    # deleted together with its load balancer: recorded in state, but no API call is made
    cascaded: bool = False
    # operations with the same non-empty batch key may be folded into fewer API calls
    batch_key: str = ""

    @property
    def id(self) -> str:
        # asked for at every step of both walks (verification and apply) and by every edge: worked out
        # once per (address, kind) object pair, not rendered again each time (2.8% of verification)
        got = self.__dict__.get("_id")
        if got is not None and got[0] is self.address and got[1] is self.kind:
            return got[2]
        out = f"{self.address}:{self.kind.value}"
        self.__dict__["_id"] = (self.address, self.kind, out)
        return out


class References:
    """The reason "A references B", put into words when someone reads it. A 10,000-LB plan has some
    650,000 of these edges and few are ever read; as text they were 57 MB of the apply's peak."""

    __slots__ = ("source", "target")

    def __init__(self, source: ResourceAddress, target: ResourceAddress) -> None:
        self.source, self.target = source, target

    def __str__(self) -> str:
        return f"{self.source} references {self.target}"

    __repr__ = __str__


@dataclass(frozen=True, slots=True, eq=False)  # slots: a 10,000-LB plan holds some 650,000 of them
class Edge:
    """``before`` must finish before ``after`` starts, for a named reason a person can read.

    ``before``/``after`` are operation ids, or the id of a *group node* (see :func:`group_node_id`).
    ``why`` is the reason as text, or a :class:`References` that words it when read.
    """

    before: str  # Operation.id, or a group node id
    after: str
    why: str | References

    @property
    def reason(self) -> str:
        why = self.why
        return why if type(why) is str else str(why)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Edge):
            return NotImplemented
        return self.before == other.before and self.after == other.after and self.reason == other.reason

    def __hash__(self) -> int:  # equal edges have equal ends: no need to word the reason to hash it
        return hash((self.before, self.after))


# -- group nodes ---------------------------------------------------------------------------------
#
# When many operations wait for *every* write of one counted resource (a splat
# ``alicloud_instance.app[*].id``, ``values(...)``, a ``for`` over it), one edge per (member, dependent)
# pair is N x M edges: 60 million at 10,000 load balancers. Instead the graph holds one join node
# with an edge from each member and an edge to each dependent: N + M edges, the same ordering.
#
# A group node is not an operation: it has no API call, is never listed among ``Plan.operations``,
# and is "done" exactly when every operation with an edge into it is done (a failed or skipped
# member skips everything after the group, as a normal edge would). Its id is reserved:
#
#     group:<resource address>:<kind>
#
# ``kind`` is ``writes`` (the edges into it come from every create/update of the resource's
# instances; the edges out go to what references the whole resource), or ``before-delete`` (the
# edges into it come from the deletes of everything that recorded a dependency on the whole
# resource; the edges out go to the deletes of the resource's instances). An operation id is
# ``<address>:<create|update|delete>`` and an address never starts with ``group:``, so the two never
# collide. Plans saved before group nodes existed have none and load unchanged.

GROUP_PREFIX = "group:"
GROUP_KINDS = {"writes": "writes of", "before-delete": "deletes that must precede deleting"}


def group_node_id(resource: ResourceAddress | str, kind: str) -> str:
    """The reserved node id for a group of ``kind`` (a key of GROUP_KINDS) over ``resource``."""
    if kind not in GROUP_KINDS:
        raise ValueError(f"unknown group kind {kind!r}")
    return f"{GROUP_PREFIX}{resource}:{kind}"


def is_group_node(node_id: str) -> bool:
    """True for a group node id (not an operation)."""
    return node_id.startswith(GROUP_PREFIX)


def parse_group_node(node_id: str) -> tuple[str, str]:
    """``group:alicloud_instance.app:writes`` -> (``"alicloud_instance.app"``, ``"writes"``)."""
    if not is_group_node(node_id):
        raise ValueError(f"{node_id!r} is not a group node id")
    resource, _, kind = node_id[len(GROUP_PREFIX):].rpartition(":")
    return resource, kind


def group_description(node_id: str, size: int) -> str:
    """What a reader sees for a group: ``all 10 writes of alicloud_instance.app``."""
    resource, kind = parse_group_node(node_id)
    return f"all {size} {GROUP_KINDS.get(kind, kind)} {resource}"


@dataclass(frozen=True)
class Wait:
    """One reason an operation waits, with group nodes resolved: the operations it waits for
    (one, or every member of a group) and why. ``group`` is the group node id, if any."""

    before: tuple[str, ...]
    reason: str
    group: str | None = None


def waits_by_operation(edges: list[Edge]) -> dict[str, list[Wait]]:
    """For each operation id, what it waits for. A group's member list is one shared tuple, so this
    stays N + M in memory however many operations wait on the group."""
    members = {g: tuple(m) for g, m in group_members(edges).items()}
    waits: dict[str, list[Wait]] = {}
    for e in edges:
        if is_group_node(e.after):
            continue
        w = (Wait(members.get(e.before, ()), e.reason, e.before) if is_group_node(e.before)
             else Wait((e.before,), e.reason))
        waits.setdefault(e.after, []).append(w)
    return waits


def group_members(edges: list[Edge]) -> dict[str, list[str]]:
    """Each group node id -> the operation ids with an edge into it (groups chained through a
    partial plan are resolved to operations)."""
    incoming: dict[str, list[str]] = {}
    for e in edges:
        if is_group_node(e.after):
            incoming.setdefault(e.after, []).append(e.before)
    out: dict[str, list[str]] = {}

    def resolve(gid: str, seen: frozenset[str]) -> list[str]:
        if gid in out:
            return out[gid]
        res: dict[str, None] = {}
        for b in incoming.get(gid, []):
            if is_group_node(b):
                if b not in seen:
                    res.update(dict.fromkeys(resolve(b, seen | {gid})))
            else:
                res[b] = None
        out[gid] = list(res)
        return out[gid]

    for gid in incoming:
        resolve(gid, frozenset())
    return out


def compact_steps(indexes: list[int], limit: int = 6) -> str:
    """``[3,4,5,6,9]`` -> ``"3-6, 9"``; more than ``limit`` runs end in ``..., N steps``."""
    runs: list[tuple[int, int]] = []
    for i in sorted(set(indexes)):
        if runs and i == runs[-1][1] + 1:
            runs[-1] = (runs[-1][0], i)
        else:
            runs.append((i, i))
    text = [f"{a}-{b}" if a != b else str(a) for a, b in runs]
    if len(text) > limit:
        return ", ".join(text[:limit]) + f", ... ({len(set(indexes))} steps)"
    return ", ".join(text)


@dataclass
class DriftEntry:
    """A resource the cloud changed outside clbplan: prior state (before refresh) vs refreshed.

    ``changed`` holds the top-level attribute names that differ; a resource deleted outside
    clbplan has ``after`` None and ``changed`` == ["*"].
    """

    address: ResourceAddress
    changed: list[str]
    before: dict[str, Any] | None
    after: dict[str, Any] | None


@dataclass
class Plan:
    """Everything ``apply`` needs and every renderer shows.

    ``operations`` are in a deterministic topological order of the edges; ``prior_lineage`` and
    ``prior_serial`` identify the state the plan was made against (a saved plan is refused when
    they no longer match).
    """

    changes: list[ResourceChange]
    operations: list[Operation]
    edges: list[Edge]
    prior_lineage: str = ""
    prior_serial: int = 0
    drift: list[DriftEntry] = field(default_factory=list)
    variables: dict[str, Any] = field(default_factory=dict)
    config_hash: str = ""
    destroy: bool = False
    # set by verification: None = not verified, True = ran cleanly on the shadow cloud
    verified: bool | None = None

    @property
    def counts(self) -> tuple[int, int, int]:
        """Terraform's (add, change, destroy): a replace counts once in add and once in destroy."""
        add = change = destroy = 0
        for c in self.changes:
            if c.action in (Action.CREATE, Action.DELETE_THEN_CREATE, Action.CREATE_THEN_DELETE):
                add += 1
            if c.action in (Action.DELETE, Action.DELETE_THEN_CREATE, Action.CREATE_THEN_DELETE):
                destroy += 1
            if c.action is Action.UPDATE:
                change += 1
        return add, change, destroy

    @property
    def has_changes(self) -> bool:
        """Anything to do, including re-addressing (a move) or forgetting an object (Terraform's rule)."""
        return any(c.action not in (Action.NOOP, Action.READ) or c.previous_address is not None
                   for c in self.changes)

    def operation(self, op_id: str) -> Operation:
        for op in self.operations:
            if op.id == op_id:
                return op
        raise KeyError(op_id)
