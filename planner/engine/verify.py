"""Run a plan on a shadow copy of the cloud before showing it.

The shadow is ``Emulator.copy()`` of the embedded emulator holding the refreshed cloud; the plan's
operations run in their planned order, one at a time, with no journal and no retries. Whatever the
cloud would refuse half-way through apply is refused here instead, at plan time, naming the step,
the cloud's rule (API code and message) and the resources involved.
"""

from __future__ import annotations

import copy
import dataclasses
from collections.abc import Callable, Collection, Mapping
from typing import Any

from planner.addresses import ResourceAddress
from planner.apply.executor import Executor
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.engine.memory import give_back
from planner.plan.model import Operation, Plan, is_group_node, parse_group_node
from planner.providers.retry import RetryPolicy
from planner.providers.transport import InProcessTransport
from planner.state.model import ResourceState, State


def verify_plan(plan: Plan, emulator: Any, refreshed: State, *, region: str = "cn-hangzhou",
                planned_values: Callable[[Operation, Mapping[ResourceAddress, dict]], dict] | None = None,
                dependencies: Mapping[ResourceAddress, list[ResourceAddress]] | None = None,
                key_regions: Mapping[str, str] | None = None) -> None:
    """Raise DiagnosticsError if any operation of ``plan`` fails on a shadow of ``emulator``.

    Sets ``plan.verified = True`` when every operation succeeded.
    """
    # deferred: the providers are not loaded at startup (see engine.pipeline.open_provider)
    from planner.providers.alicloud import AlicloudProvider
    from planner.providers.local import with_local

    if not plan.operations:
        plan.verified = True
        return
    shadow = emulator.copy()

    cloud = AlicloudProvider(InProcessTransport(shadow, region), region,
                             retry=RetryPolicy(max_attempts=1, deadline=0.0))
    cloud.key_regions = dict(key_regions or {})  # aliases in other regions, as in the real apply
    provider = with_local(cloud, dry_run=True)
    executor = Executor(provider, parallelism=1, inline=True, journal=None, lineage=f"{refreshed.lineage}-verify",
                        planned_values=planned_values, dependencies=dependencies)
    touched = {op.address for op in plan.operations}
    try:
        result = executor.run(plan.operations, plan.edges, _shadow_state(refreshed, touched))
    finally:
        # the shadow cloud, the shadow state and the walk's garbage go before the apply walk starts:
        # kept until a later collection they were the bottom of the apply's peak (issue 17)
        close = getattr(shadow, "close", None)
        if close is not None:
            close()
        del executor, provider, cloud, shadow
    failures, skipped = result.failures, len(result.skipped)
    del result
    give_back(len(plan.operations))
    if not failures:
        plan.verified = True
        return
    problems = []
    for op_id, err in failures:
        op = plan.operation(op_id)
        code = getattr(err, "code", None)
        rule = f"{code}: {getattr(err, 'message', err)}" if code else f"{err.__class__.__name__}: {err}"
        involved = _involved(plan, op)
        problems.append(Diagnostic(
            f"Plan verification failed: step \"{op.kind.value} {op.address}\" would be refused by the cloud",
            detail=f"the cloud's rule: {rule}\n  resources involved: {', '.join(involved)}"
                   + (f"\n  {skipped} later step(s) depend on it" if skipped else ""),
            hint="clbplan ran this plan against a copy of the cloud and it failed there, so nothing was "
                 "applied; change the configuration (or split the change into two applies) so this step "
                 "is allowed",
        ))
    raise DiagnosticsError(problems)


_SHARED = (str, int, float, bool, type(None), ResourceAddress)  # immutable: the copy may share them


def _copied(v: Any) -> Any:
    """A deep copy of a state value: JSON-shaped data copied by hand, anything else by deepcopy."""
    t = type(v)
    if t in _SHARED:
        return v
    if t is dict:
        return {k: x if type(x) in _SHARED else _copied(x) for k, x in v.items()}
    if t is list:
        return [x if type(x) in _SHARED else _copied(x) for x in v]
    if t is set and all(type(x) in _SHARED for x in v):
        return set(v)
    return copy.deepcopy(v)


def _shadow_state(state: State, touched: Collection[ResourceAddress] | None = None) -> State:
    """A copy of ``state`` for the shadow run, which the executor updates: the original never changes.

    Equal to ``copy.deepcopy(state)``, field by field, but without deepcopy's per-object
    bookkeeping. With ``touched`` (the addresses the plan's operations act on) only those resources
    are copied and every other one is shared: the executor never changes a resource object in
    place, it puts a new one under the address it applied (or deletes the entry), and only the
    operations' own prior objects reach the provider, which may change what it is handed. At
    10,000 load balancers copying every resource for a plan of 200 updates was 70% of verification."""
    out = copy.copy(state)
    for f in dataclasses.fields(state):
        if f.name != "resources":
            setattr(out, f.name, _copied(getattr(state, f.name)))
    if touched is None:
        out.resources = {addr: _copied_resource(rs) for addr, rs in state.resources.items()}
        return out
    out.resources = dict(state.resources)
    for addr in touched:
        rs = state.resources.get(addr)
        if rs is not None:
            out.resources[addr] = _copied_resource(rs)
    return out


def _copied_resource(rs: ResourceState) -> ResourceState:
    c = copy.copy(rs)
    for f in dataclasses.fields(rs):
        v = getattr(rs, f.name)
        if type(v) not in _SHARED:
            setattr(c, f.name, _copied(v))
    return c


def _involved(plan: Plan, op: Operation) -> list[str]:
    """The operation's resource and the resources of the steps directly around it (a group node
    counts as the counted resource it stands for, not its thousands of members)."""
    def resource(node_id: str) -> str:
        return parse_group_node(node_id)[0] if is_group_node(node_id) else node_id.rsplit(":", 1)[0]

    names = {str(op.address)}
    for e in plan.edges:
        if e.after == op.id:
            names.add(resource(e.before))
        if e.before == op.id:
            names.add(resource(e.after))
    return sorted(names)
