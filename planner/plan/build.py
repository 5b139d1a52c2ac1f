"""From an evaluated configuration and a refreshed state to a Plan (diff + ordering)."""

from __future__ import annotations

from collections.abc import Iterable

from planner.config.model import Configuration
from planner.plan.diff import Differ
from planner.plan.model import DriftEntry, Plan
from planner.plan.ordering import order_changes
from planner.state.model import State


def plan_from(config: Configuration, refreshed: State, *, differ: Differ | None = None,
              drift: Iterable[DriftEntry] = (), destroy: bool = False) -> Plan:
    """Diff ``config`` against ``refreshed`` and order the changes.

    Pass the ``Differ`` whose ``resolve`` was the evaluation's resolver (it is reused); sensitive
    variables are masked in ``Plan.variables`` so a saved or rendered plan never shows them.
    """
    differ = differ or Differ(refreshed, destroy=destroy)
    changes = differ.diff(config)
    ordered = order_changes(changes, config, refreshed)
    variables = shown_variables(config)
    return Plan(
        changes=ordered.changes, operations=ordered.operations, edges=ordered.edges,
        prior_lineage=refreshed.lineage, prior_serial=refreshed.serial, drift=list(drift),
        variables=variables, config_hash=config.content_hash, destroy=destroy,
    )


def shown_variables(config: Configuration) -> dict:
    """The configuration's variables as a plan records them: a sensitive one masked, so a saved or
    rendered plan never shows it."""
    return {k: ("(sensitive value)" if k in config.sensitive_variables else v) for k, v in config.variables.items()}
