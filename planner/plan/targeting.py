"""Partial and forced plans: ``-target``, ``-exclude``, ``-replace`` and ``-refresh-only``.

These run as small hooks around the normal pipeline so the diff and the ordering rules stay in
one place:

- ``-replace=ADDR`` is decided during the diff (``ReplacingDiffer``), because whatever references
  the replaced object must see its new id as unknown, exactly as for a forced replace.
- ``-target``/``-exclude`` restrict an already ordered plan (``restrict_plan``). A target brings
  everything it depends on (configuration references, recorded state dependencies and the
  cloud-rule edges of the operation graph); an exclusion removes everything that depends on it.
  Ordering between the operations that stay is kept even when it ran through removed ones, and
  group nodes (one join point for "every write of a counted resource") are walked through like
  any other step and kept as groups, so a partial plan stays N + M edges too.
- ``-refresh-only`` keeps only the drift (``refresh_only_plan``): apply then accepts what the
  cloud reports into the state and changes nothing in the cloud.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import networkx as nx

from planner.addresses import ModuleAddress, ResourceAddress, parse_target
from planner.config.model import Configuration, ResourceInstance, config_dependencies
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.plan.diff import Differ, _mark_replaced, get_schema
from planner.plan.model import Action, Edge, Plan, ResourceChange, is_group_node
from planner.state.model import State
from planner.values import UNKNOWN

TARGET_WARNING = (
    "Warning: Resource targeting is in effect\n\n"
    "You are creating a plan with the -target or -exclude option, which means that the result of "
    "this plan may not represent all of the changes requested by the current configuration.\n\n"
    "The -target and -exclude options are not for routine use, and are provided only for exceptional "
    "situations such as recovering from errors or mistakes, or when clbplan specifically suggests to "
    "use them as part of an error message.\n"
)

REFRESH_ONLY_NOTE = (
    "This is a refresh-only plan, so clbplan will not take any actions to undo these. If you were "
    "expecting these changes then you can apply this plan to record the updated values in the clbplan "
    "state without changing any remote objects."
)


def parse_addresses(values: Iterable[str], flag: str) -> list[ResourceAddress | ModuleAddress]:
    """Parse ``-target``/``-exclude``/``-replace`` values; a bad one is a diagnostic, never a traceback.

    ``-target``/``-exclude`` also take a module (``module.slb``: every instance and everything
    nested; ``module.slb[0]``: one instance); ``-replace`` needs a resource, as in Terraform."""
    out: list[ResourceAddress | ModuleAddress] = []
    problems = []
    for v in values:
        try:
            a = parse_target(v.strip())
        except ValueError as e:
            problems.append(Diagnostic(f"Invalid {flag} address {v!r}", detail=str(e),
                                       hint=f"e.g. {flag}=alicloud_slb_listener.http, "
                                            f"{flag}='alicloud_instance.web[0]' or {flag}=module.slb"))
            continue
        if isinstance(a, ModuleAddress) and flag == "-replace":
            problems.append(Diagnostic(f"Invalid {flag} address {v!r}",
                                       detail="-replace names a resource instance, not a module",
                                       hint=f"e.g. -replace='{a}.alicloud_slb_listener.http'"))
            continue
        out.append(a)
    if problems:
        raise DiagnosticsError(problems)
    return out


def _matches(addr: ResourceAddress, pattern: ResourceAddress | ModuleAddress) -> bool:
    """An address without an index names every instance of that resource (as in Terraform); a module
    address names everything inside it (an unkeyed module step names every instance of the call)."""
    if isinstance(pattern, ModuleAddress):
        return pattern.contains(addr)
    if addr == pattern:
        return True
    return pattern.key is None and addr.resource == pattern


class ReplacingDiffer(Differ):
    """A Differ that turns a no-op or update of the requested addresses into a replace."""

    def __init__(self, prior: State, *, destroy: bool = False, replace: Sequence[ResourceAddress] = ()):
        super().__init__(prior, destroy=destroy)
        self.replace = list(replace)

    def change_for(self, instance: ResourceInstance) -> ResourceChange:
        change = super().change_for(instance)
        if not any(_matches(instance.address, p) for p in self.replace):
            return change
        if change.action not in (Action.NOOP, Action.UPDATE):
            return change
        after = dict(change.after or {})
        schema = get_schema(instance.type)
        _mark_replaced(after, instance.attributes, schema)
        after["id"] = UNKNOWN
        cbd = instance.lifecycle.create_before_destroy
        return ResourceChange(
            change.address, Action.CREATE_THEN_DELETE if cbd else Action.DELETE_THEN_CREATE,
            change.before, after, provider=change.provider, sensitive=set(change.sensitive),
            action_reason="replace_by_request",
            reason="replacement requested with -replace" + (
                "; lifecycle.create_before_destroy creates the new object first" if cbd else ""),
        )


def make_differ(prior: State, *, destroy: bool = False,
                replace: Sequence[ResourceAddress] = ()) -> Differ:
    """The pipeline's Differ: the plain one unless ``-replace`` was given."""
    if replace:
        return ReplacingDiffer(prior, destroy=destroy, replace=replace)
    return Differ(prior, destroy=destroy)


def check_replace(plan: Plan, replace: Sequence[ResourceAddress]) -> None:
    """A ``-replace`` that names nothing in the plan is an error (a typo must not pass silently)."""
    problems = []
    for p in replace:
        if not any(_matches(c.address, p) for c in plan.changes):
            problems.append(Diagnostic(
                f"Invalid -replace address {str(p)!r}: no such resource instance",
                detail="the address is neither in the configuration nor in the state",
                hint="use an address as `clbplan state list` prints it"))
    if problems:
        raise DiagnosticsError(problems)


def _dependency_graph(config: Configuration, refreshed: State) -> nx.DiGraph:
    """Resource-level graph, edge dep -> dependent: configuration references plus recorded state
    dependencies (orphans are ordered by what they depended on when they were applied)."""
    g = nx.DiGraph()
    for addr, deps in config_dependencies(config).items():
        g.add_node(addr)
        for d in deps:
            g.add_edge(d, addr)
    for addr, rs in refreshed.resources.items():
        g.add_node(addr)
        if addr not in config.resources:
            for d in rs.dependencies:
                g.add_edge(d, addr)
    return g


def restrict_plan(plan: Plan, config: Configuration, refreshed: State, *,
                  targets: Sequence[ResourceAddress | ModuleAddress] = (),
                  excludes: Sequence[ResourceAddress | ModuleAddress] = ()) -> Plan:
    """The part of ``plan`` selected by ``-target`` (with dependencies) minus ``-exclude`` (with
    dependents). Operations keep their relative order."""
    if not targets and not excludes:
        return plan
    g = _dependency_graph(config, refreshed)
    for c in plan.changes:
        g.add_node(c.address)
    by_op = {op.id: op for op in plan.operations}

    def node(op_id: str) -> ResourceAddress | str:
        # a group node stays one node here too (its id), so ancestors/descendants walk through it
        return op_id if is_group_node(op_id) else by_op[op_id].address

    for e in plan.edges:  # cloud-rule ordering also makes one resource need another
        a, b = node(e.before), node(e.after)
        if a != b:
            g.add_edge(a, b)
    everything = {n for n in g.nodes if isinstance(n, ResourceAddress)}
    if targets:
        keep: set[ResourceAddress] = set()
        for t in targets:
            for addr in everything:
                if _matches(addr, t) and addr not in keep:
                    keep.add(addr)
                    keep |= nx.ancestors(g, addr)
    else:
        keep = set(everything)
    for x in excludes:
        for addr in list(everything):
            if _matches(addr, x):
                keep.discard(addr)
                keep -= nx.descendants(g, addr)
    ops = [op for op in plan.operations if op.address in keep]
    return Plan(
        changes=[c for c in plan.changes if c.address in keep], operations=ops,
        edges=_induced_edges(plan, {op.id for op in ops}),
        prior_lineage=plan.prior_lineage, prior_serial=plan.prior_serial,
        drift=[d for d in plan.drift if d.address in keep], variables=plan.variables,
        config_hash=plan.config_hash, destroy=plan.destroy, verified=None,
    )


def _induced_edges(plan: Plan, kept: set[str]) -> list[Edge]:
    """Edges between kept operations, including orderings that went through removed operations
    (the reason names the removed step so a reviewer still sees why). Group nodes are kept as
    such (a kept member -> group -> kept dependent), and dropped when nothing kept leads into
    them or out of them."""
    succ: dict[str, list[Edge]] = {}
    groups: set[str] = set()
    for e in plan.edges:
        succ.setdefault(e.before, []).append(e)
        groups.update(x for x in (e.before, e.after) if is_group_node(x))
    kept = set(kept) | groups
    out: dict[tuple[str, str], Edge] = {}
    for start in kept:
        # walk forward through removed operations only
        stack = [(e, e.reason) for e in succ.get(start, [])]
        seen: set[str] = set()
        while stack:
            e, reason = stack.pop()
            if e.after in kept:
                out.setdefault((start, e.after), Edge(start, e.after, reason))
                continue
            if e.after in seen:
                continue
            seen.add(e.after)
            for nxt in succ.get(e.after, []):
                stack.append((nxt, f"{reason} (via {e.after}, not in this partial plan)"
                              if "(via" not in reason else reason))
    ins = {e.after for e in out.values()}
    outs = {e.before for e in out.values()}
    dead = {g for g in groups if g not in ins or g not in outs}
    edges = [e for e in out.values() if e.before not in dead and e.after not in dead]
    order: dict[str, float] = {op.id: i for i, op in enumerate(plan.operations)}
    for e in edges:  # a group sits right after its last member
        if is_group_node(e.after):
            order[e.after] = max(order.get(e.after, -1.0), order[e.before] + 0.5)
    return sorted(edges, key=lambda e: (order.get(e.before, -0.5), order.get(e.after, -0.5), e.before, e.after))


def refresh_only_plan(plan: Plan) -> Plan:
    """Keep only the drift: nothing is changed in the cloud; apply records what it reported.

    Every existing resource stays as a no-op change (as in Terraform's refresh-only JSON), which
    also carries which attributes are sensitive so renderers mask them in the drift too."""
    noops = [ResourceChange(c.address, Action.NOOP, c.before, c.before, provider=c.provider,
                            sensitive=set(c.sensitive), reason="refresh-only: not changed",
                            previous_address=c.previous_address)  # moves are recorded, as in Terraform
             for c in plan.changes if c.before is not None]
    return Plan(changes=noops, operations=[], edges=[], prior_lineage=plan.prior_lineage,
                prior_serial=plan.prior_serial, drift=list(plan.drift), variables=plan.variables,
                config_hash=plan.config_hash, destroy=False, verified=True)


def relevant_drift(plan: Plan) -> list:
    """Drift that matters to this plan (Terraform's rule): attributes the planned changes touch,
    and objects deleted outside clbplan. Drift on attributes the plan leaves alone is shown only by
    ``-refresh-only``, whose whole point is to show all of it."""
    changed: dict[ResourceAddress, ResourceChange] = {
        c.address: c for c in plan.changes if c.action not in (Action.NOOP, Action.READ)}
    out = []
    for d in plan.drift:
        if d.after is None:
            out.append(d)
            continue
        ch = changed.get(d.address)
        if ch is None:
            continue
        from planner.plan.diff import changed_attributes

        touched = set(changed_attributes(ch.before, ch.after or {}, get_schema(d.address.type))) \
            if ch.before is not None and ch.after is not None else set(d.changed)
        if ch.action.is_replace or ch.action is Action.DELETE:
            touched = set(d.changed)
        names = [n for n in d.changed if n in touched]
        if names:
            out.append(type(d)(d.address, names, d.before, d.after))
    return out
