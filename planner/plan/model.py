"""What a plan is made of: resource changes with their reasons (Terraform's vocabulary)."""

from __future__ import annotations

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
            "delete-create": "-/+", "create-delete": "+/-",
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
    sensitive: set[str] = field(default_factory=set)

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
        return f"{self.address}:{self.kind.value}"


@dataclass(frozen=True)
class Edge:
    """``before`` must finish before ``after`` starts, for a named reason a person can read."""

    before: str  # Operation.id
    after: str
    reason: str


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
        return any(c.action not in (Action.NOOP, Action.READ) for c in self.changes)

    def operation(self, op_id: str) -> Operation:
        for op in self.operations:
            if op.id == op_id:
                return op
        raise KeyError(op_id)
