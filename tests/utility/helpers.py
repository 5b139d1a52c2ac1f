"""Run a configuration through the real pipeline in a temporary directory (embedded emulator)."""

from __future__ import annotations

from pathlib import Path

from planner.engine.pipeline import Planned, apply_plan, final_outputs, make_plan
from planner.state.backend import LocalBackend
from planner.state.model import State


def write(work: Path, text: str) -> None:
    for old in work.glob("*.tf"):
        old.unlink()
    (work / "main.tf").write_text(text)


def plan(work: Path, **kw) -> Planned:
    return make_plan(work, LocalBackend(work / "clbplan.tfstate").read(), **kw)


def apply(work: Path, planned: Planned | None = None, **kw) -> tuple[Planned, State, object]:
    backend = LocalBackend(work / "clbplan.tfstate")
    with backend.lock("apply"):
        planned = planned or make_plan(work, backend.read(), **kw)
        state = planned.refreshed
        journal = backend.journal(state.lineage)
        result = apply_plan(planned, state, parallelism=4, journal=journal)
        assert not result.failures, result.failures
        state.outputs = final_outputs(planned, state)
        backend.write(state)
        journal.checkpoint()
    return planned, state, result


def actions(planned: Planned) -> dict[str, list[str]]:
    """Address -> Terraform's action words, for every change that is not a no-op."""
    out = {}
    for ch in planned.plan.changes:
        if ch.action.actions != ["no-op"]:
            out[str(ch.address)] = ch.action.actions
    return out
