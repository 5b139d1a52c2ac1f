"""One ``run`` for plan, apply, destroy and applying a saved plan.

The steps, in the order that keeps a killed apply recoverable (see ``planner.state.session``):

    lock -> read state (journal replayed) -> recover an interrupted apply -> plan -> verify
         -> show -> approve -> apply (journal) -> outputs -> checkpoint

A fresh plan and a saved plan differ in one branch only, as in Terraform's ``opApply``: a saved
plan is re-made from the same configuration, variables and flags and refused unless it is exactly
the reviewed one (``planner.plan.planfile.check_fresh``); it is never shown again nor asked about.

The engine decides *when* to show, ask or report; the caller (the CLI) decides *how*, through
``RunHooks``. Nothing here prints.
"""

from __future__ import annotations

import contextlib
import enum
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from planner.apply.executor import ApplyEvent, ApplyResult, RecoveryError, recover
from planner.diagnostics import Diagnostic, DiagnosticsError
from planner.engine.options import PlanOptions
from planner.engine.pipeline import (
    Planned,
    _evaluate,
    _load,
    apply_plan,
    final_outputs,
    forget_objects,
    make_plan,
    open_provider,
)
from planner.plan.diff import Differ, values_equal
from planner.plan.planfile import SavedPlan, check_fresh, check_state, saved_var_file
from planner.state.backend import LocalBackend, StateWriteError
from planner.state.journal import JournalWriteError
from planner.state.model import State
from planner.state.session import StateSession, open_state

PENDING_NOTE = ("Warning: an earlier apply was interrupted; the next apply recovers its unfinished "
                "operations first.")
RECOVERING_NOTE = "Recovering operations left unfinished by an interrupted apply..."


class RunHooks(Protocol):
    """The process edge a run calls back: what to print and whom to ask."""

    def note(self, text: str) -> None:
        """A progress or warning line for the operator (stderr in the CLI)."""

    def show(self, planned: Planned) -> None:
        """Show a freshly made plan (never called for a saved plan: it was reviewed already)."""

    def plan_ready(self, planned: Planned) -> None:
        """A plan made, before it is verified: a chance to prepare showing it (see ``make_plan``)."""

    def approve(self, planned: Planned) -> bool:
        """Ask before changing anything; False cancels the run."""

    def on_event(self, planned: Planned, state: State) -> Callable[[ApplyEvent], None] | None:
        """The apply walk's event callback, given the plan it runs and the state it updates in place
        (where a finished operation's new id is found)."""

    def interrupts(self) -> contextlib.AbstractContextManager:
        """Held around the walk; yields an event (or None) that, once set, ends the walk gracefully."""


class QuietHooks:
    """Hooks for callers with no operator: show nothing, approve everything."""

    def note(self, text: str) -> None:
        return None

    def show(self, planned: Planned) -> None:
        return None

    def plan_ready(self, planned: Planned) -> None:
        return None

    def approve(self, planned: Planned) -> bool:
        return True

    def on_event(self, planned: Planned, state: State) -> Callable[[ApplyEvent], None] | None:
        return None

    def interrupts(self) -> contextlib.AbstractContextManager:
        return contextlib.nullcontext(None)


@dataclass(frozen=True)
class RunRequest:
    """What to run. ``apply=False`` is ``plan``; ``saved`` applies that plan file instead of planning."""

    workdir: Path
    backend: LocalBackend
    options: PlanOptions
    apply: bool = True
    var_args: Sequence[str] = ()
    var_files: Sequence[str] = ()
    parallelism: int = 10
    saved: SavedPlan | None = None
    lock: bool = True  # -lock=false: run without the state lock (the CLI warns; recovery needs the lock)
    # a plan shown only as text may be an earlier run's empty plan for the same inputs
    # (``planner.engine.unchanged_plan``); -out and -json need every no-op change, an apply the configuration
    reuse_unchanged: bool = False

    @property
    def operation(self) -> str:
        """The lock's operation name (what ``force-unlock`` shows)."""
        if not self.apply:
            return "plan"
        return "destroy" if self.options.destroy and self.saved is None else "apply"


class RunStatus(enum.Enum):
    PLANNED = "planned"  # plan only
    CANCELLED = "cancelled"  # the operator said no
    UNCHANGED = "unchanged"  # nothing to apply
    REFRESHED = "refreshed"  # refresh-only: drift recorded in the state
    APPLIED = "applied"  # the walk ran (``result`` says how it went)


@dataclass
class RunOutcome:
    """What a run did; the CLI turns it into one report and one exit code."""

    status: RunStatus
    planned: Planned
    state: State
    result: ApplyResult | None = None
    pending: bool = False  # an interrupted apply's intents were found (and, for apply, recovered)
    options: PlanOptions = field(default_factory=lambda: PlanOptions([], [], []))


def run(request: RunRequest, hooks: RunHooks | None = None) -> RunOutcome:
    """Plan (and unless ``request.apply`` is False, apply) under the state lock."""
    hooks = hooks or QuietHooks()
    check_writable = getattr(request.backend, "check_writable", None)  # the local backend's folder
    if request.apply and check_writable is not None:
        check_writable(request.operation)
    with open_state(request.backend, request.operation, mutating=False, lock=request.lock) as session:
        pending = bool(session.pending)
        if pending and not request.apply:
            hooks.note(PENDING_NOTE)
        elif pending and not request.lock:
            # only the lock proves the run that wrote these intents is gone: without it they may be a
            # live run's calls in flight, and finishing them here would race that run
            raise DiagnosticsError([Diagnostic(
                "An interrupted apply's operations need the state lock to be recovered",
                detail=f"{len(session.pending)} operation(s) are pending in the journal of "
                       f"{request.backend.where}; with -lock=false clbplan cannot tell whether the run that "
                       "started them is still going",
                hint="run the apply again without -lock=false (add -lock-timeout=2m to wait for a running one); "
                     "nothing was changed")])
        elif pending and request.saved is not None:
            raise DiagnosticsError([Diagnostic(
                "Saved plan is stale",
                detail="an apply was interrupted after this plan was made; its recovery changes the state",
                hint="run `clbplan plan` (it warns) or `clbplan apply` to recover, then create a new plan")])
        elif pending:
            _recover(request, session, hooks)
        with _plan_inputs(request, session) as var_files:
            reuse = (request.reuse_unchanged and not request.apply and request.saved is None
                     and not pending and not session.recovered)
            planned = make_plan(request.workdir, session.state, var_args=request.var_args, var_files=var_files,
                                destroy=request.options.destroy, refresh=request.options.refresh,
                                reuse_unchanged=reuse, **request.options.plan_kwargs(),
                                on_ready=getattr(hooks, "plan_ready", None) if request.saved is None else None)
            with contextlib.closing(planned):  # the outcome keeps the plan; the clouds close with the run
                if request.saved is not None:
                    check_fresh(request.saved, planned)
                else:
                    hooks.show(planned)
                outcome = RunOutcome(RunStatus.PLANNED, planned, planned.refreshed, pending=pending,
                                     options=request.options)
                if request.apply:
                    outcome = _apply(request, session, outcome, hooks, var_files)
    return outcome


@contextlib.contextmanager
def _plan_inputs(request: RunRequest, session: StateSession) -> Iterator[Sequence[str]]:
    """The variable files to plan with. A saved plan brings its own variables (a temporary file,
    removed when the run ends) and must match the state it was made from."""
    if request.saved is None:
        yield request.var_files
        return
    lineage = session.state.lineage
    check_state(request.saved, session.state)  # may adopt the plan's lineage when there is no state yet
    if session.state.lineage != lineage:
        session.switch_journal()
    tmp = saved_var_file(request.saved)
    try:
        yield (*request.var_files, str(tmp))
    finally:
        tmp.unlink(missing_ok=True)


def _recover(request: RunRequest, session: StateSession, hooks: RunHooks) -> None:
    """Finish what an interrupted apply left half-done, before planning anything new."""
    config = _evaluate(_load(request.workdir), var_args=request.var_args, var_files=request.var_files, env=None,
                      resolver=Differ(session.state).resolve)
    from planner.providers.target import Clouds  # deferred, as in make_plan

    with Clouds(request.workdir) as clouds:
        provider, *_ = open_provider(config, request.workdir, clouds)
        hooks.note(RECOVERING_NOTE)
        try:
            session.state = recover(session.journal, provider, session.state)
        except RecoveryError as e:
            session.backend.write(e.state)  # what was settled is kept; the rest stays pending in the journal
            raise RunRecoveryError(e.failures) from None
    session.save()


class RunRecoveryError(Exception):
    """Some operations an interrupted apply left could not be finished; the rest were saved."""

    def __init__(self, failures: list[tuple[str, Exception]]):
        self.failures = failures
        super().__init__(f"could not finish {len(failures)} operation(s) left by an interrupted apply")


def outputs_change(outputs: dict[str, dict], prior: dict[str, dict]) -> bool:
    """Whether saving ``outputs`` changes an output's value (added, removed or different): what the
    plan shows under "Changes to Outputs:" and Terraform asks approval for when no resource changes."""
    if set(outputs) != set(prior):
        return True
    return any(not values_equal(o.get("value"), prior[name].get("value")) for name, o in outputs.items())


def _apply(request: RunRequest, session: StateSession, outcome: RunOutcome, hooks: RunHooks,
           var_files: Sequence[str]) -> RunOutcome:
    planned, opts, fresh = outcome.planned, request.options, request.saved is None
    plan = planned.plan
    if opts.refresh_only:
        if fresh and plan.drift and not hooks.approve(planned):
            outcome.status = RunStatus.CANCELLED
            return outcome
        session.backend.write(planned.refreshed)
        outcome.status = RunStatus.REFRESHED
        return outcome
    state = planned.refreshed
    if fresh and not plan.has_changes:
        outputs = final_outputs(planned, state, var_args=request.var_args, var_files=var_files)
        # a renamed provider alias: the state records the block's provider from now on (as Terraform)
        moved_provider = any(rs.provider != state.resources[a].provider
                             for a, rs in planned.prior.resources.items() if a in state.resources)
        if outputs_change(outputs, state.outputs) and not hooks.approve(planned):
            outcome.status = RunStatus.CANCELLED  # Terraform asks before saving new output values too
            return outcome
        if outputs != state.outputs or moved_provider or session.recovered:
            state.outputs = outputs
            session.state = state
            # a journal an earlier run left (disk full, killed) is folded into the state now and
            # trimmed, rather than replayed by every later run until the next real change
            session.save()
        outcome.status = RunStatus.UNCHANGED
        return outcome
    if fresh and not hooks.approve(planned):
        outcome.status = RunStatus.CANCELLED
        return outcome
    if forget_objects(plan, state) or not session.backend.exists():
        # the journal is kept per lineage: a run killed before its first state write must leave
        # that lineage on disk, or the next run starts a new one and forgets what was created;
        # moved and forgotten objects are written first so a replayed journal meets their new addresses
        session.backend.write(state)
    with hooks.interrupts() as stop:
        result = apply_plan(planned, state, parallelism=request.parallelism, journal=session.journal,
                            on_event=hooks.on_event(planned, state), stop=stop)
        # a targeted saved plan keeps the outputs it had: they were not part of what was reviewed
        if not result.failures and not result.interrupted and (fresh or not opts.partial):
            state.outputs = final_outputs(planned, state, var_args=request.var_args, var_files=var_files)
        session.state = state
        try:
            session.save()
        except (StateWriteError, JournalWriteError) as e:
            raise _not_saved(e, result, session) from None
    outcome.status, outcome.state, outcome.result = RunStatus.APPLIED, state, result
    return outcome


def _not_saved(err: StateWriteError | JournalWriteError, result: ApplyResult, session: StateSession) -> DiagnosticsError:
    """The cloud changed but the state could not be written (a full disk): say what happened, that
    nothing is lost, and how the next run picks it up."""
    done = result.executed
    if not done:
        return err
    shown = ", ".join(done[:8]) + (f" and {len(done) - 8} more" if len(done) > 8 else "")
    where = getattr(session.backend, "where", "the state")
    return DiagnosticsError([Diagnostic(
        f"the apply changed the cloud but could not save the state: {err.summary}",
        detail=f"{len(done)} operation(s) finished in the cloud: {shown}. {where} still holds the state from "
               f"before this apply; every call this apply made is recorded in the journal "
               f"{session.journal.path}.",
        hint=f"free some space on the filesystem of {err.path.parent} (df -h {err.path.parent}) and run "
             f"`clbplan apply` again: it first recovers the journal's operations into the state (nothing is "
             f"created twice), then plans what is left. Do not delete the journal")])
