"""The scheduler on its own: no provider, no threads, only the graph and the load-balancer keys."""

from __future__ import annotations

from test_executor_unit import op

from planner.apply.walk import Walk
from planner.plan.model import Edge


def test_walk_hands_out_in_plan_order_and_serialises_one_load_balancer():
    a, b, c = op("a", lb="lb-1"), op("b", lb="lb-1"), op("c", lb="lb-2")
    walk = Walk([a, b, c], [], batchable=lambda o: False)
    assert walk.take() == ([a], "lb-1")
    assert walk.take() is None  # b waits for lb-1: parked, not lost
    assert walk.take() == ([c], "lb-2")
    assert not walk.has_ready
    walk.release("lb-1")
    walk.done(a.id)
    assert walk.take() == ([b], "lb-1")


def test_walk_failure_skips_descendants_only_and_reports_them_in_plan_order():
    a, b, c, d = op("a"), op("b"), op("c"), op("d")
    walk = Walk([a, b, c, d], [Edge(a.id, c.id, "x"), Edge(c.id, b.id, "y")], batchable=lambda o: False)
    assert walk.take() == ([a], None)
    assert walk.failed(a.id) == [b, c]
    assert walk.take() == ([d], None)
    walk.done(d.id)
    assert not walk.has_ready and walk.unsettled() == []


def test_walk_folds_ready_mates_of_one_batch_key():
    ops = [op(f"m{i}") for i in range(3)]
    for o in ops:
        o.batch_key = "group-1"
    walk = Walk(ops, [], batchable=lambda o: True, batch_limit=2)
    group, _ = walk.take()
    assert group == ops[:2]  # at most batch_limit per call
    assert walk.take() is None  # m1 was folded into m0's batch
    assert walk.take() == ([ops[2]], None)


def test_an_operation_id_follows_its_address_and_kind_once_worked_out():
    """The id is kept once worked out (every step and edge asks for it); a changed kind or address
    (a test building a naive order, a copied operation re-addressed) must still give the new id."""
    import copy

    from planner.addresses import ResourceAddress
    from planner.plan.model import Operation, OpKind

    one = Operation(ResourceAddress("alicloud_vpc", "a"), OpKind.CREATE, None)
    assert one.id == "alicloud_vpc.a:create"
    one.kind = OpKind.DELETE
    assert one.id == "alicloud_vpc.a:delete"
    moved = copy.copy(one)
    moved.address = ResourceAddress("alicloud_vpc", "b")
    assert (moved.id, one.id) == ("alicloud_vpc.b:delete", "alicloud_vpc.a:delete")
