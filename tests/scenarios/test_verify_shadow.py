"""Verification runs the plan on a shadow that shares the resources the plan does not touch with the
refreshed state (copying all of them was most of a small plan's verification at 10,000 load
balancers). Sharing is only sound if the shadow run never changes the state it was given: the
refreshed state is what apply starts from and what the next state file is written from."""

from __future__ import annotations

import copy

import pytest
from scenario_runner import HERE, apply_dir, plan_dir, use_config

from planner.engine.verify import verify_plan
from planner.plan.model import OpKind


@pytest.mark.parametrize("folder", ["master_slave_replaced_while_bound_tcp", "server_moved_between_groups",
                                    "default_group_weights", "listener_replaced_rules_recreated"])
def test_verification_leaves_the_refreshed_state_as_it_was(tmp_path, folder):
    use_config(tmp_path, HERE / folder / "before")
    assert not apply_dir(tmp_path)[1].failures
    use_config(tmp_path, HERE / folder / "after")
    planned = plan_dir(tmp_path)
    kinds = {op.kind for op in planned.plan.operations}
    assert OpKind.UPDATE in kinds or OpKind.DELETE in kinds, "the scenario must change existing objects"
    snapshot = copy.deepcopy(planned.refreshed)
    planned.plan.verified = None
    verify_plan(planned.plan, planned.emulator, planned.refreshed, region=planned.region,
                planned_values=planned.planned_values(), dependencies=planned.dependencies())
    assert planned.plan.verified is True
    assert planned.refreshed == snapshot
    # and the real apply from that state still does what the plan says
    _, result = apply_dir(tmp_path, planned)
    assert not result.failures and not result.skipped
    assert not plan_dir(tmp_path).plan.operations
