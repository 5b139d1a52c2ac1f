"""The apply executor: walk the operation graph against the provider, in parallel but safely.

- Graph order: an operation starts only after everything it depends on finished successfully.
- Per-load-balancer serialisation: at most one mutating operation per ``Operation.load_balancer``
  key at a time (CLB rejects overlapping writes on one instance); different LBs run in parallel.
  A ``new:<address>`` key is aliased to the real id once that LB exists.
- Retries live in the provider's CallContext (busy codes, throttling, 5xx, lost responses), so a
  multi-step create resumes at the failing step instead of starting over.
- A failure skips everything that depends on it; independent work still finishes; every failure
  is reported.
- Group nodes (``planner.plan.model.is_group_node``) are join points, not operations: one is passed
  as soon as every operation with an edge into it is done, and a failed or skipped member skips
  everything after it, exactly as one edge per (member, dependent) pair would.
- Crash safety: a journal intent before each mutating operation, a completion after it; the
  ClientTokens are deterministic per (lineage, address, operation, step), so :func:`recover`
  re-issues an unfinished create and the cloud answers with the object it already made.
"""

from __future__ import annotations

import functools
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from queue import Empty, SimpleQueue
from typing import Any

from planner.addresses import ResourceAddress
from planner.apply.ports import (
    BatchHandler,
    JournalWriter,
    PlannedValues,
    PlannedValuesFn,
    Provider,
    RecoveryJournal,
    as_planned_values,
)
from planner.apply.walk import Walk
from planner.plan.model import Edge, Operation, OpKind
from planner.providers.base import CallContext, PartialCreateError, ProviderError
from planner.providers.errors import TransportError
from planner.providers.retry import RetryPolicy
from planner.schema import get_schema
from planner.schema.facts import LOAD_BALANCER_TYPES
from planner.state.journal import JournalWriteError
from planner.state.journal import client_token as _journal_client_token
from planner.state.model import ResourceState, State
from planner.values import UNKNOWN, contains_unknown


class _StateView(Mapping):
    """Read-only ``address -> attributes (with id)`` over a State, without copying it."""

    def __init__(self, state: State):
        self._r = state.resources

    def __getitem__(self, key: ResourceAddress) -> dict:
        rs = self._r[key]
        return dict(rs.attributes, id=rs.id)

    def __iter__(self):
        return iter(list(self._r))

    def __len__(self) -> int:
        return len(self._r)


@functools.lru_cache(maxsize=256)
def _computed_attrs(type_name: str) -> frozenset[str]:
    schema = get_schema(type_name)
    if schema is None:
        return frozenset()
    return frozenset(set(schema.computed) | {n for n, b in schema.blocks.items() if b.computed})


def client_token(lineage: str, address: ResourceAddress, operation: str, step: str = "") -> str:
    """Deterministic ClientToken (ASCII, <= 64 chars) for one step of one operation (the journal's scheme)."""
    return _journal_client_token(lineage, address, operation, step)


@dataclass
class ApplyEvent:
    """Progress for the CLI: ``start``, ``done``, ``failed``, ``skipped``, ``retry``, ``cascaded``,
    ``interrupted``."""

    kind: str
    op_id: str
    address: ResourceAddress
    op_kind: OpKind
    elapsed: float = 0.0
    error: Exception | None = None
    message: str = ""


@dataclass
class ApplyResult:
    state: State
    failures: list[tuple[str, Exception]] = field(default_factory=list)
    skipped: list[str] = field(default_factory=list)
    executed: list[str] = field(default_factory=list)  # completion order
    api_calls: int = 0
    # Ctrl-C arrived: operations in flight were finished and recorded, the rest skipped
    interrupted: bool = False

    @property
    def ok(self) -> bool:
        return not self.failures and not self.skipped and not self.interrupted


def _jsonable(value: Any) -> Any:
    """Journal details must be JSON: unknowns become None."""
    if value is UNKNOWN:
        return None
    if isinstance(value, dict):
        return {str(k): _jsonable(v) for k, v in value.items()}
    if isinstance(value, (list, tuple, set, frozenset)):
        return [_jsonable(v) for v in value]
    return value


class Executor:
    """Runs a plan's operations; see the module docstring for the guarantees.

    The scheduling (graph order, one group per load balancer, batches, skipping after a failure)
    is :class:`planner.apply.walk.Walk`; this class runs what the walk hands out on a pool,
    journals each call, records results in the state and reports progress."""

    def __init__(self, provider: Provider, *, parallelism: int = 10, journal: JournalWriter | None = None,
                 lineage: str = "",
                 planned_values: PlannedValues | PlannedValuesFn | None = None,
                 on_event: Callable[[ApplyEvent], None] | None = None,
                 retry: RetryPolicy | None = None,
                 dependencies: Mapping[ResourceAddress, list[ResourceAddress]] | None = None,
                 inline: bool = False, stop: threading.Event | None = None):
        """``stop``: set (by the CLI's SIGINT handler) to stop gracefully: nothing new starts, the
        operations in flight finish and are recorded, the rest are skipped, ``interrupted`` is set.
        ``retry``: None uses the provider's own policy."""
        if parallelism < 1:
            raise ValueError("parallelism must be at least 1")
        if inline and parallelism != 1:
            raise ValueError("inline runs one operation at a time: parallelism must be 1")
        self.provider = provider
        self.parallelism = parallelism
        # run operations in the calling thread (plan verification on the in-memory shadow: no calls
        # to wait for, and a thread hand-off per operation was most of its time); a user's apply keeps
        # its worker so Ctrl-C lets the call in flight finish and be recorded
        self.inline = inline
        self.journal = journal
        self.lineage = lineage
        self.planned_values = as_planned_values(planned_values)
        self.on_event = on_event
        self.stop = stop
        self.retry = retry
        self.dependencies = dependencies or {}
        # at most this many operations folded into one batch (the handler chunks its calls)
        self.batch_limit = 100
        self._run_id = ""
        self._event_lock = threading.Lock()
        self._batch_kinds: dict[tuple[str, OpKind], bool] = {}
        self.journal_errors: list[JournalWriteError] = []  # completions a full disk kept off the journal

    # -- events / journal ----------------------------------------------------------------------

    def _emit(self, ev: ApplyEvent) -> None:
        if self.on_event is not None:
            with self._event_lock:
                self.on_event(ev)

    def _token(self, op: Operation, step: str = "") -> str:
        # the run id keeps tokens of a later apply (say, re-creating a replaced object) distinct
        # from this one's; it is journaled with each intent so recovery re-derives the same tokens
        return client_token(self.lineage, op.address, op.kind.value, f"{self._run_id}:{step}")

    def _announce(self, starting: list[list[tuple[Operation, dict, dict, ResourceState | None]]]) -> None:
        """Journal the intents of every group of one round, durably and together, before any of their
        calls: one fsync for the round instead of one per operation (each worker syncing its own was
        the walk's serial path: 85,000 fsyncs of about 0.9 ms at 10,000 load balancers). A group of
        several operations is one batched call (:meth:`_calls_batch`); its intents say so. Runs in the
        round's first worker (:class:`_Round`): encoding the intents was a fifth of the scheduler's time."""
        if self.journal is None:
            return
        items = []
        for batch in starting:
            batch_key = batch[0][0].batch_key if len(batch) > 1 else None
            for op, planned, prior, _prev in batch:
                detail = _intent_detail(op, planned, prior, batch_key)
                detail.update(run=self._run_id, lineage=self.lineage)
                items.append((self._token(op), op.address, op.kind.value, _jsonable(detail)))
        self.journal.intents(items)

    def _complete(self, op: Operation, result: ResourceState | None, deleted: bool = False) -> None:
        if self.journal is not None:
            try:
                self.journal.complete(self._token(op), op.address, result, deleted=deleted)
            except JournalWriteError as e:
                # a full disk: the call's intent is on disk, so the next run settles it against the
                # cloud (same ClientToken); the result is in the state this run writes, if it can
                self.journal_errors.append(e)

    # -- the run -------------------------------------------------------------------------------

    def run(self, operations: list[Operation], edges: list[Edge], state: State) -> ApplyResult:
        """Execute ``operations`` respecting ``edges``; ``state`` is updated in place and returned."""
        if not self.lineage:
            self.lineage = state.lineage
        self._run_id = uuid.uuid4().hex[:12]
        walk = Walk(operations, edges, batchable=self._batchable, batch_limit=self.batch_limit)
        result = ApplyResult(state=state)
        calls_before = self.provider.calls
        running: dict[_Task, _Running] = {}
        # each task is put here when it ends: the scheduler takes what finished without waiting on (and
        # locking) every task in flight each time, which at -parallelism 50 was most of its work
        finished: SimpleQueue[_Task] = SimpleQueue()
        pool_cm = _InlinePool(finished) if self.inline else _WorkerPool(self.parallelism, finished)
        with pool_cm as pool:
            held: deque[_Held] = deque()
            try:
                while walk.has_ready or running or held:
                    if self.stop is not None and self.stop.is_set():
                        self._interrupt(result)
                    self._start_ready(walk, pool, running, result, held)
                    if not running:
                        break
                    for fut in self._wait(walk, running, result, finished):
                        self._settle_group(walk, running.pop(fut), fut, result)
            finally:
                # also when the walk ends by an exception (a second Ctrl-C): calls never made are not
                # left for recovery to make
                self._drop_held(walk, held)
        for op in walk.unsettled():
            # not started because of an interruption (a DAG leaves nothing else behind)
            result.skipped.append(op.id)
            self._emit(ApplyEvent("skipped", op.id, op.address, op.kind, message="not started: apply interrupted"))
        result.api_calls = self.provider.calls - calls_before
        return result

    def _start_ready(self, walk: Walk, pool: _WorkerPool | _InlinePool, running: dict[_Task, _Running],
                     result: ApplyResult, held: deque[_Held]) -> None:
        """Hand ready groups to the pool while there is room (nothing new once interrupted).

        Groups announced ahead (``held``) start first. When none are left, up to ``parallelism`` more
        ready groups than there is room for are taken and their intents journaled in the same round:
        one fsync then covers the next round too. Each fsync gives the GIL up and waits for it back,
        and the walk was making one for every 3.3 operations (about 4 s of a 14 s walk at 2,000 load
        balancers). A group held is ready (everything before it done), so its values are final; one
        that an interruption keeps from starting is journaled as finished with nothing done
        (:meth:`_drop_held`), and one a crash leaves pending is settled by :func:`recover` like any
        intent whose call may have been made."""
        state = result.state
        if result.interrupted:
            return
        free = self.parallelism - len(running)
        starting: list[_Held] = []
        while held and len(starting) < free:
            starting.append(held.popleft())
        room = free - len(starting)
        if room > 0:
            # nothing ahead to save an fsync for without a journal
            want = room + (self.parallelism if self.journal is not None else 0)
            taken_now: list[tuple[list[tuple[Operation, dict, dict, ResourceState | None]], Any]] = []
            while walk.has_ready and len(taken_now) < want:
                taken = walk.take()
                if taken is None:
                    continue
                group, k = taken
                batch: list[tuple[Operation, dict, dict, ResourceState | None]] = []
                for o in group:
                    try:
                        batch.append((o, self._planned(o, state), self._prior(o, state),
                                      state.resources.get(o.address)))
                    except Exception as e:  # a reference could not be resolved
                        self._fail(walk, o, e, result)
                if not batch:
                    walk.release(k)
                    continue
                taken_now.append((batch, k))
            if taken_now:
                # the round's intents are journaled by whichever of its workers comes first, the others
                # wait for that (a failed write fails each, before any call); with no journal there is
                # nothing to wait for
                round_ = _Round([batch for batch, _k in taken_now], self._announce) \
                    if self.journal is not None else None
                starting.extend(_Held(batch, k, round_) for batch, k in taken_now[:room])
                held.extend(_Held(batch, k, round_) for batch, k in taken_now[room:])
        for h in starting:
            for o, *_ in h.batch:
                self._emit(ApplyEvent("start", o.id, o.address, o.kind))
            if len(h.batch) == 1:
                fut = pool.submit(self._execute_one, *h.batch[0], h.round)
            else:
                fut = pool.submit(self._execute_batch, h.batch, h.round)
            running[fut] = _Running([o for o, *_ in h.batch], h.key, time.monotonic())

    def _drop_held(self, walk: Walk, held: deque[_Held]) -> None:
        """Groups announced ahead that an interruption kept from starting: their intents are on disk (or
        were never written), so each is completed as "nothing done", or the next run's recovery would
        make calls the user stopped. The walk then reports them skipped."""
        while held:
            h = held.popleft()
            ops = [o for o, *_ in h.batch]
            walk.untake(ops, h.key)
            if h.round is not None:
                try:
                    h.round.announced()  # not completed before its intent is written
                except Exception:
                    continue  # no intents on disk: nothing to complete
            for o in ops:
                self._complete(o, None)

    def _wait(self, walk: Walk, running: dict[_Task, _Running], result: ApplyResult,
              finished: SimpleQueue[_Task]) -> list[_Task]:
        """The tasks that finished, in plan order: all those ``finished`` holds, after waiting for one
        when it holds none."""
        done = _drain(finished, running)
        if not done:
            try:
                # with a stop event, wake up now and then to notice it (the signal handler
                # only sets it); without one, Ctrl-C arrives here as KeyboardInterrupt
                first = _next(finished, None if self.stop is None else 0.1)
            except KeyboardInterrupt:
                # Ctrl-C: start nothing new, let the calls in flight finish and record them,
                # so the state the caller writes is true; a second Ctrl-C aborts for real
                self._interrupt(result)
                _wait_all(running)
                first = None
            if first is not None and first in running:
                done.append(first)
            done.extend(f for f in _drain(finished, running) if f is not first)
        return sorted(done, key=lambda f: walk.index[running[f].ops[0].id])

    def _settle_group(self, walk: Walk, run: _Running, fut: _Task, result: ApplyResult) -> None:
        """Record one finished group in the state and the journal, and tell the walk."""
        walk.release(run.key)
        elapsed = time.monotonic() - run.started
        state = result.state
        try:
            outcomes = fut.result()
        except _JournalFailed as e:
            raise e.__cause__ from None  # type: ignore[misc]
        except PartialCreateError as e:
            # the object exists: record it rather than forget it
            op = run.ops[0]
            self._record(op, e.attributes, state, deleted=False)
            self._fail(walk, op, e, result, elapsed)
            return
        except Exception as e:
            for op in run.ops:
                if not isinstance(e, TransportError | JournalWriteError):  # (no intent: no call made)
                    # refused cleanly: nothing for recovery to reconcile. A lost
                    # response leaves the intent open so recover() settles it.
                    self._complete(op, None)
                self._fail(walk, op, e, result, elapsed)
            return
        for op, (rs, attrs, deleted) in zip(run.ops, outcomes, strict=True):
            self._put(op, rs, attrs, state, deleted=deleted)
            if op.kind is OpKind.CREATE and attrs and op.address.type in LOAD_BALANCER_TYPES:
                walk.alias(f"new:{op.address}", attrs["id"])
            result.executed.append(op.id)
            walk.done(op.id)
            self._emit(ApplyEvent("cascaded" if op.cascaded else "done", op.id, op.address,
                                  op.kind, elapsed=elapsed))

    # -- helpers ---------------------------------------------------------------------------------

    def _interrupt(self, result: ApplyResult) -> None:
        if not result.interrupted:
            result.interrupted = True
            self._emit(ApplyEvent("interrupted", "", ResourceAddress("-", "-"), OpKind.UPDATE,
                                  message="interrupted: waiting for operations in progress"))

    def _fail(self, walk: Walk, op: Operation, err: Exception, result: ApplyResult,
              elapsed: float = 0.0) -> None:
        """``op`` failed: report it, then skip (and report) everything that depends on it."""
        result.failures.append((op.id, err))
        skipped = walk.failed(op.id)
        self._emit(ApplyEvent("failed", op.id, op.address, op.kind, elapsed=elapsed, error=err,
                              message=str(err)))
        for dop in skipped:
            result.skipped.append(dop.id)
            self._emit(ApplyEvent("skipped", dop.id, dop.address, dop.kind,
                                  message=f"skipped because {op.id} did not complete"))

    def _planned(self, op: Operation, state: State) -> dict:
        """The attributes to apply, with references to just-created objects resolved."""
        if op.kind is OpKind.DELETE:
            return {}
        if self.planned_values is not None:
            planned = dict(self.planned_values(op, _StateView(state)))
        else:
            planned = dict(op.change.after or {})
        # what the cloud computes ("known after apply") is simply not sent
        computed = _computed_attrs(op.address.type)
        planned = {k: v for k, v in planned.items() if not (v is UNKNOWN and (k in computed or k == "id"))}
        if contains_unknown({k: v for k, v in planned.items() if k != "id"}):
            unknown = sorted(k for k, v in planned.items() if k != "id" and contains_unknown(v))
            raise ValueError(f"{op.address}: values still unknown at apply time: {', '.join(unknown)}")
        return planned

    def _prior(self, op: Operation, state: State) -> dict:
        if op.kind is OpKind.DELETE and op.change.before is not None:
            before = dict(op.change.before)
            if "id" not in before and op.address in state.resources:
                before["id"] = state.resources[op.address].id
            return before
        rs = state.resources.get(op.address)
        if rs is not None:
            return dict(rs.attributes, id=rs.id)
        return dict(op.change.before or {})

    def _batchable(self, op: Operation) -> bool:
        if op.kind is OpKind.UPDATE:
            return False
        key = (op.address.type, op.kind)
        known = self._batch_kinds.get(key)
        if known is None:
            known = self._batch_kinds[key] = isinstance(self.provider.handler(op.address.type), BatchHandler)
        return known

    def _execute_one(self, op: Operation, planned: dict, prior: dict,
                     prev: ResourceState | None, round_: _Round | None = None) -> list[_Outcome]:
        if round_ is not None:
            round_.announced()
        attrs, deleted = self._execute(op, planned, prior)
        return [self._finished(op, attrs, prev, deleted=deleted)]

    def _execute_batch(self, batch: list[tuple[Operation, dict, dict, ResourceState | None]],
                       round_: _Round | None = None) -> list[_Outcome]:
        """Runs in a worker thread: :meth:`_calls_batch`, then each operation's state entry and completion."""
        if round_ is not None:
            round_.announced()
        got = self._calls_batch([(op, planned, prior) for op, planned, prior, _ in batch])
        return [self._finished(op, attrs, prev, deleted=deleted)
                for (op, _, _, prev), (attrs, deleted) in zip(batch, got, strict=True)]

    def _calls_batch(self, batch: list[tuple[Operation, dict, dict]]) -> list[tuple[dict | None, bool]]:
        """Runs in a worker thread: several creates (or deletes) folded into as few calls as the
        API allows (server attachments of one group: up to 20 servers per call)."""
        first = batch[0][0]
        handler = self.provider.handler(first.address.type)
        assert isinstance(handler, BatchHandler)  # _batchable let only such handlers batch
        ctx = self._context(first)
        if first.kind is OpKind.CREATE:
            got = handler.create_many([p for _, p, _ in batch], ctx)
            return [(a, False) for a in got]
        priors = [prior for _, _, prior in batch]
        handler.delete_many(priors, ctx)
        return [(p, True) for p in priors]

    def _execute(self, op: Operation, planned: dict, prior: dict) -> tuple[dict | None, bool]:
        """Runs in a worker thread: the provider calls for one operation (``planned`` and
        ``prior`` were taken from the state in the main thread)."""
        if op.cascaded:
            # goes with its load balancer: no API call, only dropped from state
            return None, True
        handler = self.provider.handler(op.address.type)
        ctx = self._context(op)
        if op.kind is OpKind.CREATE:
            return handler.create(planned, ctx), False
        if op.kind is OpKind.UPDATE:
            return handler.update(prior, planned, ctx), False
        handler.delete(prior, ctx)
        return prior, True

    def _context(self, op: Operation) -> CallContext:
        def on_retry(action: str, err: Exception, attempt: int) -> None:
            self._emit(ApplyEvent("retry", op.id, op.address, op.kind, error=err,
                                  message=f"{action} attempt {attempt}: {err}"))

        return self.provider.context(token_fn=lambda step: self._token(op, step), retry=self.retry,
                                     on_retry=on_retry, provider_key=op.change.provider)

    def _resource_state(self, op: Operation, attrs: dict, prev: ResourceState | None) -> ResourceState:
        """The state entry for a finished create or update (``prev``: the entry it replaces)."""
        addr = op.address
        deps = list(self.dependencies.get(addr, prev.dependencies if prev else []))
        return ResourceState(address=addr, id=str(attrs["id"]), attributes=dict(attrs),
                             provider=op.change.provider or "alicloud", dependencies=deps,
                             sensitive={n for n in set(op.change.sensitive) | (prev.sensitive if prev else set())
                                        if n in attrs})

    def _finished(self, op: Operation, attrs: dict | None, prev: ResourceState | None, *,
                  deleted: bool) -> _Outcome:
        """Runs in the worker thread that made the calls: the state entry and the journal's completion
        record, so the scheduler's thread only files the entry (encoding and writing the completion
        there, behind the intents' fsyncs, was most of its bookkeeping)."""
        rs = None if deleted else self._resource_state(op, attrs or {}, prev)
        try:
            self._complete(op, rs, deleted=deleted)
        except Exception as e:
            # the call succeeded: this must not read as a refusal (that would journal "nothing
            # changed" and lose the object); the run stops as it did when the main thread wrote it
            raise _JournalFailed() from e
        return rs, attrs, deleted

    def _put(self, op: Operation, rs: ResourceState | None, attrs: dict | None, state: State, *,
             deleted: bool) -> None:
        """File one finished operation in the state (main thread only; its completion is journaled)."""
        addr = op.address
        # planned values of later operations are re-evaluated from the state: tell their cache
        # which instance just changed
        if self.planned_values is not None:
            self.planned_values.invalidate(addr)
        if deleted:
            cur = state.resources.get(addr)
            gone_id = (attrs or {}).get("id") if attrs else None
            # a create-before-destroy replace already put the new object here: keep it
            if cur is not None and (gone_id is None or cur.id == gone_id or op.cascaded):
                del state.resources[addr]
            return
        assert rs is not None
        state.resources[addr] = rs

    def _record(self, op: Operation, attrs: dict | None, state: State, *, deleted: bool) -> None:
        """Apply one finished operation to the state (main thread) and journal it: for an object a
        failed create left behind."""
        rs = None if deleted else self._resource_state(op, attrs or {}, state.resources.get(op.address))
        self._complete(op, rs, deleted=deleted)
        self._put(op, rs, attrs, state, deleted=deleted)


class _Round:
    """The groups the scheduler started together, whose intents are journaled in one durable write."""

    def __init__(self, batches: list, announce: Callable[[list], None]):
        self._batches: list | None = batches
        self._announce = announce
        self._lock = threading.Lock()
        self._error: BaseException | None = None

    def announced(self) -> None:
        """Return once the round's intents are on disk (writing them if this worker is first); raise what
        kept them off it (a full disk: the caller's operation then fails without a call)."""
        with self._lock:
            if self._batches is not None:
                batches, self._batches = self._batches, None
                try:
                    self._announce(batches)
                except BaseException as e:
                    self._error = e
        if self._error is not None:
            raise self._error


def _intent_detail(op: Operation, planned: dict, prior: dict, batch_key: Any) -> dict:
    """What an operation's intent records: what recovery needs to make (or find) its calls again."""
    if op.cascaded and batch_key is None:
        return {"op": op.id, "cascaded": True}  # goes with its load balancer: no call
    if op.kind is OpKind.CREATE:
        detail = {"op": op.id, "planned": planned}
    elif op.kind is OpKind.UPDATE:
        detail = {"op": op.id, "prior": prior, "planned": planned}
    else:
        detail = {"op": op.id, "prior": prior}
    if batch_key is not None:
        detail["batch"] = batch_key
    if op.kind is OpKind.CREATE:
        detail["provider"] = op.change.provider
    return detail


_Outcome = tuple[ResourceState | None, "dict | None", bool]  # (state entry, attributes, deleted)


class _JournalFailed(Exception):
    """A worker could not journal the completion of a call that succeeded (the cause says why)."""


@dataclass
class _Held:
    """A group taken from the walk, its values worked out, to start when a worker is free."""

    batch: list[tuple[Operation, dict, dict, ResourceState | None]]
    key: Any
    round: _Round | None


@dataclass
class _Running:
    """A group handed to the pool: its operations, the load-balancer key it holds, when it started."""

    ops: list[Operation]
    key: str | None
    started: float


def _drain(finished: SimpleQueue[_Task], running: Mapping[_Task, Any]) -> list[_Task]:
    """Every task ``finished`` holds now that is still running (not settled yet)."""
    out: list[_Task] = []
    while True:
        try:
            fut = finished.get_nowait()
        except Empty:
            return out
        if fut in running:
            out.append(fut)


def _next(finished: SimpleQueue[_Task], timeout: float | None) -> _Task | None:
    """The next task to finish (None: ``timeout`` passed first); Ctrl-C raises KeyboardInterrupt here."""
    try:
        return finished.get(timeout=timeout)
    except Empty:
        return None


class _Task:
    """One group handed to a pool: what it returned or raised, once it has run."""

    __slots__ = ("fn", "args", "value", "error", "done")

    def __init__(self, fn: Callable[..., Any], args: tuple) -> None:
        self.fn: Callable[..., Any] | None = fn
        self.args: tuple | None = args
        self.value: Any = None
        self.error: BaseException | None = None
        self.done = False

    def run(self) -> None:
        fn, args = self.fn, self.args
        self.fn = self.args = None  # (nothing of the call kept after it)
        try:
            self.value = fn(*args)  # type: ignore[misc]
        except BaseException as e:  # noqa: BLE001 - delivered by result(), in the scheduler's thread
            self.error = e
        self.done = True

    def result(self) -> Any:
        """What the call returned; raises what it raised."""
        if self.error is not None:
            raise self.error
        return self.value


class _WorkerPool:
    """``parallelism`` threads taking tasks in turn; each finished task is put on ``finished``.

    concurrent.futures' pool made a Future (with its Condition and lock) and a work item for every
    group, and its submit was a fifth of the scheduler's time at 10,000 load balancers; the walk needs
    only a queue in and a queue out. Leaving the ``with`` block waits for the tasks in flight, as
    ``ThreadPoolExecutor`` did."""

    def __init__(self, parallelism: int, finished: SimpleQueue[_Task]) -> None:
        self._todo: SimpleQueue[_Task | None] = SimpleQueue()
        self._finished = finished
        self._threads = [threading.Thread(target=self._work, name=f"apply_{i}", daemon=True)
                         for i in range(parallelism)]

    def __enter__(self) -> _WorkerPool:
        for t in self._threads:
            t.start()
        return self

    def __exit__(self, *exc: object) -> None:
        for _ in self._threads:
            self._todo.put(None)
        for t in self._threads:
            t.join()

    def submit(self, fn: Callable[..., Any], *args: Any) -> _Task:
        task = _Task(fn, args)
        self._todo.put(task)
        return task

    def _work(self) -> None:
        todo, finished = self._todo, self._finished
        while True:
            task = todo.get()
            if task is None:
                return
            task.run()
            finished.put(task)


class _InlinePool:
    """The pool of ``Executor(inline=True)``: each operation runs in the calling thread."""

    def __init__(self, finished: SimpleQueue[_Task]) -> None:
        self._finished = finished

    def __enter__(self) -> _InlinePool:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def submit(self, fn: Callable[..., Any], *args: Any) -> _Task:
        task = _Task(fn, args)
        task.run()
        self._finished.put(task)
        return task


def _wait_all(running: Mapping[_Task, Any]) -> None:
    """Return once every task in ``running`` has run (Ctrl-C: the calls in flight finish and are recorded;
    a second Ctrl-C raises here)."""
    while not all(t.done for t in running):
        time.sleep(0.01)


class RecoveryError(ProviderError):
    """Some unfinished operations could not be settled; the rest were (and are journaled)."""

    def __init__(self, state: State, failures: list[tuple[str, Exception]]):
        self.state = state
        self.failures = failures
        what = "; ".join(f"{a}: {e}" for a, e in failures)
        super().__init__(f"could not recover {len(failures)} unfinished operation(s) of a previous apply: {what}")


def recover(journal: RecoveryJournal, provider: Provider, state: State) -> State:
    """Finish what a killed apply left half-done, so nothing is created twice or forgotten.

    First replays completed operations from the journal into ``state``; then, for every intent
    without a completion: a create is re-issued with the same deterministic ClientTokens (the cloud
    returns the object it already made, or makes it now) and adopted; an update is re-applied
    (updates set absolute values, so repeating one is harmless); a delete is re-issued (already
    gone counts as done). Each settled intent gets its completion record. Raises RecoveryError
    (carrying the state) if some could not be settled; those stay pending for the next run.
    """
    state = journal.replay_into(state) or state
    failures: list[tuple[str, Exception]] = []
    for rec in journal.pending():
        try:
            _settle(journal, provider, state, rec.address, rec.operation, rec.detail or {}, rec.token)
        except Exception as e:  # keep going: every other intent still deserves settling
            failures.append((f"{rec.address} ({rec.operation})", e))
    if failures:
        raise RecoveryError(state, failures)
    return state


def _settle(journal: RecoveryJournal, provider: Provider, state: State, addr: ResourceAddress, operation: str,
            detail: dict, token: str) -> None:
    if detail.get("cascaded"):
        state.resources.pop(addr, None)
        journal.complete(token, addr, None, deleted=True)
        return
    handler = provider.handler(addr.type)
    run, lineage = detail.get("run", ""), detail.get("lineage") or state.lineage
    prev = state.resources.get(addr)
    key = prev.provider if prev is not None else detail.get("provider")
    ctx = provider.context(token_fn=lambda step: client_token(lineage, addr, operation, f"{run}:{step}"),
                           provider_key=key)
    ctx.adopt_existing = True
    deps = list(prev.dependencies) if prev else []
    sens = set(prev.sensitive) if prev else set()
    if operation == OpKind.CREATE.value:
        try:
            attrs = handler.create(dict(detail.get("planned") or {}), ctx)
        except PartialCreateError as e:
            attrs = e.attributes
        rs = ResourceState(addr, str(attrs["id"]), attrs, dependencies=deps, sensitive=sens)
        state.resources[addr] = rs
        journal.complete(token, addr, rs)
    elif operation == OpKind.UPDATE.value:
        # the killed update may have done part of its calls (servers added, not yet removed): diff
        # from what the cloud holds now, not from the journal's prior, or the re-run adds twice
        prior = dict(detail.get("prior") or {})
        current = handler.read_many([prior], ctx)[0] if prior.get("id") else None
        attrs = handler.update(current if current is not None else prior, dict(detail.get("planned") or {}), ctx)
        rs = ResourceState(addr, str(attrs["id"]), attrs, dependencies=deps, sensitive=sens)
        state.resources[addr] = rs
        journal.complete(token, addr, rs)
    else:
        prior = dict(detail.get("prior") or {})
        handler.delete(prior, ctx)
        if prev is not None and (not prior.get("id") or prev.id == prior.get("id")):
            del state.resources[addr]
        journal.complete(token, addr, None, deleted=True)


__all__ = ["ApplyEvent", "ApplyResult", "Executor", "RecoveryError", "RetryPolicy", "client_token", "recover"]
