"""Run a configuration directory through plan and apply, in-process or against a served emulator."""

from __future__ import annotations

from pathlib import Path

from planner.engine.pipeline import Planned, apply_plan, final_outputs, make_plan
from planner.state.backend import LocalBackend


def plan_dir(work: Path) -> Planned:
    return make_plan(work, LocalBackend(work / "clbplan.tfstate").read())


def apply_dir(work: Path) -> tuple[Planned, dict]:
    """Plan and apply ``work``; returns the plan and the outputs recorded in the state."""
    backend = LocalBackend(work / "clbplan.tfstate")
    with backend.lock("apply"):
        planned = make_plan(work, backend.read())
        state = planned.refreshed
        journal = backend.journal(state.lineage)
        result = apply_plan(planned, state, parallelism=4, journal=journal)
        assert not result.failures, result.failures
        state.outputs = final_outputs(planned, state)
        backend.write(state)
        journal.checkpoint()
    return planned, {k: v["value"] if isinstance(v, dict) and "value" in v else getattr(v, "value", v)
                     for k, v in state.outputs.items()}
