"""Why the cloud-aware order matters: Terraform's reference-only order for a bound master-slave
group replacement (delete old, create new, re-point) is refused by the cloud with RspoolVipExist;
clbplan's plan for the same change applies."""

from __future__ import annotations

import copy

from scenario_runner import HERE, apply_dir, plan_dir, use_config

from planner.apply.executor import Executor
from planner.plan.model import Action, Edge, Operation, OpKind
from planner.providers.alicloud import AlicloudProvider
from planner.providers.retry import RetryPolicy
from planner.providers.transport import InProcessTransport


def _run(planned, operations, edges, emulator):
    provider = AlicloudProvider(InProcessTransport(emulator), planned.region,
                                retry=RetryPolicy(max_attempts=1, deadline=0.0))
    ex = Executor(provider, parallelism=1, planned_values=planned.planned_values(),
                  dependencies=planned.dependencies())
    return ex.run(operations, edges, copy.deepcopy(planned.refreshed))


def test_reference_only_order_is_refused_but_clbplan_order_applies(tmp_path):
    folder = HERE / "master_slave_replaced_while_bound_tcp"
    use_config(tmp_path, folder / "before")
    _, result = apply_dir(tmp_path)
    assert not result.failures
    use_config(tmp_path, folder / "after")
    planned = plan_dir(tmp_path)

    group = next(c for c in planned.plan.changes if c.type == "alicloud_slb_master_slave_server_group")
    listener = next(c for c in planned.plan.changes if c.type == "alicloud_slb_listener")
    assert group.action is Action.CREATE_THEN_DELETE  # clbplan chose create-before-destroy by itself

    # Terraform's order: default delete-then-create, the listener updated after the new group exists
    naive_group = copy.copy(group)
    naive_group.action = Action.DELETE_THEN_CREATE
    d = Operation(group.address, OpKind.DELETE, naive_group, load_balancer=None)
    c = Operation(group.address, OpKind.CREATE, naive_group, load_balancer=None)
    u = Operation(listener.address, OpKind.UPDATE, listener, load_balancer=None)
    naive = _run(planned, [d, c, u], [Edge(d.id, c.id, "replace"), Edge(c.id, u.id, "reference")],
                 planned.emulator.copy())
    assert [op_id for op_id, _ in naive.failures] == [d.id]
    err = naive.failures[0][1]
    assert err.code == "RspoolVipExist"
    assert set(naive.skipped) == {c.id, u.id}

    ours = _run(planned, planned.plan.operations, planned.plan.edges, planned.emulator.copy())
    assert not ours.failures and not ours.skipped
    assert [op.id for op in planned.plan.operations] == [c.id, u.id, d.id]


def test_verification_turns_a_refused_step_into_a_plan_error(tmp_path):
    import pytest

    from planner.diagnostics import DiagnosticsError
    from planner.engine.verify import verify_plan
    from planner.plan.model import Plan

    folder = HERE / "master_slave_replaced_while_bound_tcp"
    use_config(tmp_path, folder / "before")
    assert not apply_dir(tmp_path)[1].failures
    use_config(tmp_path, folder / "after")
    planned = plan_dir(tmp_path)
    group = next(c for c in planned.plan.changes if c.type == "alicloud_slb_master_slave_server_group")
    listener = next(c for c in planned.plan.changes if c.type == "alicloud_slb_listener")
    d = Operation(group.address, OpKind.DELETE, group)
    c = Operation(group.address, OpKind.CREATE, group)
    u = Operation(listener.address, OpKind.UPDATE, listener)
    bad = Plan(planned.plan.changes, [d, c, u], [Edge(d.id, c.id, "replace"), Edge(c.id, u.id, "reference")])
    before = planned.emulator.copy()
    with pytest.raises(DiagnosticsError) as e:
        verify_plan(bad, planned.emulator, planned.refreshed, planned_values=planned.planned_values())
    diag = e.value.diagnostics[0]
    assert 'step "delete alicloud_slb_master_slave_server_group.db"' in diag.summary
    assert "RspoolVipExist" in diag.detail and "alicloud_slb_listener.db" not in diag.summary
    assert bad.verified is None
    # nothing reached the real (embedded) cloud
    lb_id = planned.refreshed.resources[group.address].attributes["load_balancer_id"]

    def groups(emulator):
        out = emulator.call("Slb", "DescribeMasterSlaveServerGroups", {"LoadBalancerId": lb_id})
        out.pop("RequestId", None)
        return out

    assert groups(planned.emulator) == groups(before)
