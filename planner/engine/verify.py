"""Run a plan on a shadow copy of the cloud before showing it.

The shadow is ``Emulator.copy()`` of the embedded emulator holding the refreshed cloud; the plan's
operations run in their planned order, one at a time, with no journal and no retries. Whatever the
cloud would refuse half-way through apply is refused here instead, at plan time, naming the step,
the cloud's rule (API code and message) and the resources involved.
"""

from __future__ import annotations

import copy
import dataclasses
import threading
import time
from collections.abc import Callable, Collection, Mapping
from typing import Any

from planner.addresses import ResourceAddress
from planner.apply.executor import Executor
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.engine import verify_parts
from planner.engine.memory import give_back
from planner.logs import log
from planner.plan.model import Operation, Plan, is_group_node, parse_group_node
from planner.process import ForkedAnswer
from planner.providers.retry import RetryPolicy
from planner.providers.transport import InProcessTransport
from planner.state.model import ResourceState, State


class ShadowCopy:
    """``emulator.copy()`` made on another thread while the plan is finished.

    SQLite's backup runs without the GIL, so copying a 10,000-LB cloud's file (1.1 s, 274 MB) overlaps
    the diff, the ordering and the secrets' bookkeeping instead of following them. The cloud does not
    change meanwhile: a plan only reads it, under the state's lock. ``take`` or ``discard`` it before
    the emulator is closed."""

    def __init__(self, emulator: Any):
        self._emulator = emulator
        self._copy: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="clbplan-shadow-copy", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            self._copy = self._emulator.copy()
        except BaseException as e:  # noqa: BLE001 - raised again by take(), on the plan's thread
            self._error = e

    def wait(self) -> None:
        """Until the copy is made (a fork copies only the calling thread)."""
        self._thread.join()

    def take(self) -> Any:
        """The copy (waiting for it); raises what the copy raised."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        got, self._copy = self._copy, None
        return got

    def discard(self) -> None:
        """Wait for the copy and close it unused."""
        self._thread.join()
        if self._copy is not None:
            self._copy.close()
            self._copy = None


def verify_plan(plan: Plan, emulator: Any, refreshed: State, *, region: str = "cn-hangzhou",
                planned_values: Callable[[Operation, Mapping[ResourceAddress, dict]], dict] | None = None,
                dependencies: Mapping[ResourceAddress, list[ResourceAddress]] | None = None,
                key_regions: Mapping[str, str] | None = None, copying: ShadowCopy | None = None) -> None:
    """Raise DiagnosticsError if any operation of ``plan`` fails on a shadow of ``emulator``
    (``copying``'s copy when one was started, else a copy made now).

    Sets ``plan.verified = True`` when every operation succeeded.
    """
    # deferred: the providers are not loaded at startup (see engine.pipeline.open_provider)
    from planner.providers.alicloud import AlicloudProvider
    from planner.providers.local import with_local

    if not plan.operations:
        if copying is not None:
            copying.discard()
        plan.verified = True
        return
    shadow = copying.take() if copying is not None else emulator.copy()

    def executor_on(cloud_copy: Any) -> Executor:
        cloud = AlicloudProvider(InProcessTransport(cloud_copy, region, client_tokens=False), region,
                                 retry=RetryPolicy(max_attempts=1, deadline=0.0))
        cloud.key_regions = dict(key_regions or {})  # aliases in other regions, as in the real apply
        return Executor(with_local(cloud, dry_run=True), parallelism=1, inline=True, journal=None,
                        lineage=f"{refreshed.lineage}-verify", planned_values=planned_values,
                        dependencies=dependencies)

    started = time.monotonic()
    touched = {op.address for op in plan.operations}
    state = _shadow_state(refreshed, touched)
    parts = verify_parts.parts_wanted(len(plan.operations))
    split = verify_parts.split_creates(plan, dependencies or {}, parts) \
        if parts > 1 and hasattr(shadow, "snapshot") else None
    try:
        if split is not None:
            failures, skipped = _rehearse_split(plan, split, shadow, executor_on, state)
        else:
            result = executor_on(shadow).run(plan.operations, plan.edges, state)
            failures, skipped = [(op_id, _rule(err)) for op_id, err in result.failures], len(result.skipped)
            del result
    finally:
        # the shadow cloud, the shadow state and the walk's garbage go before the apply walk starts:
        # kept until a later collection they were the bottom of the apply's peak (issue 17)
        close = getattr(shadow, "close", None)
        if close is not None:
            close()
        del shadow, state
    give_back(len(plan.operations))
    log.info("verify: %d step(s) rehearsed in %.1fs, %d refused", len(plan.operations),
             time.monotonic() - started, len(failures))
    if not failures:
        plan.verified = True
        return
    problems = []
    for op_id, rule in failures:
        op = plan.operation(op_id)
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


def _rule(err: BaseException) -> str:
    """The cloud's rule a refusal names, as the diagnostic shows it."""
    code = getattr(err, "code", None)
    return f"{code}: {getattr(err, 'message', err)}" if code else f"{err.__class__.__name__}: {err}"


def _rehearse_split(plan: Plan, split: verify_parts.Split, shadow: Any, executor_on: Callable[[Any], Executor],
                    state: State) -> tuple[list[verify_parts.Refusal], int]:
    """The rehearsal as ``split`` cuts it: the first operations here, then the parts at once (all but
    one in forked children, each on a copy of the shadow as the first operations left it). The same
    refusals as one walk over the whole plan, in plan order, and as many skipped steps."""
    first = executor_on(shadow).run(split.first, verify_parts.edges_within(plan.edges, {o.id for o in split.first}),
                                    state)
    failures = [(op_id, _rule(err)) for op_id, err in first.failures]
    skipped = len(first.skipped)
    # the parts' steps after a refused first step are skipped, as one walk skips them
    gone = verify_parts.descendants(plan.edges, {op_id for op_id, _ in first.failures} | set(first.skipped))
    del first
    parts = []
    for part in split.parts:
        kept = [op for op in part if op.id not in gone]
        skipped += len(part) - len(kept)
        if kept:
            parts.append(kept)

    def rehearse(part: list[Operation], cloud_copy: Any) -> tuple[list[verify_parts.Refusal], int]:
        got = executor_on(cloud_copy).run(part, verify_parts.edges_within(plan.edges, {o.id for o in part}), state)
        return [(op_id, _rule(err)) for op_id, err in got.failures], len(got.skipped)

    log.info("verify: %d step(s) first, then %d part(s) of %s step(s) at once", len(split.first), len(parts),
             "/".join(str(len(p)) for p in parts))
    children: list[tuple[list[Operation], ForkedAnswer | None]] = []
    try:
        if len(parts) > 1:
            snapshot, restored = shadow.snapshot(), type(shadow).restored
            region, clock = shadow.region, shadow.clock

            def in_child(part: list[Operation]) -> Callable[[], tuple[list[verify_parts.Refusal], int]]:
                return lambda: rehearse(part, restored(snapshot, region=region, clock=clock))

            for part in parts[1:]:
                children.append((part, ForkedAnswer.start(in_child(part))))
            del snapshot  # (the children have their copies)
        answers = [rehearse(parts[0], shadow)] if parts else []
        for part, child in children:
            got = child.answer() if child is not None else None
            got = got if isinstance(got, tuple) and len(got) == 2 else None
            # no fork, or a child that failed: that part here, after ours (the parts share nothing)
            if got is None:
                log.info("verify: a part's child gave no answer: rehearsing its %d step(s) here", len(part))
                got = rehearse(part, shadow)
            answers.append(got)
    except BaseException:
        for _part, child in children:
            if child is not None:
                child.cancel()
        raise
    for refused, n in answers:
        failures.extend(refused)
        skipped += n
    index = {op.id: i for i, op in enumerate(plan.operations)}
    failures.sort(key=lambda f: index[f[0]])
    return failures, skipped


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
