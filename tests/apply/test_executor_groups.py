"""The executor walks group nodes (one join point for every write of a counted resource) exactly as
it would walk one edge per (member, dependent) pair: dependents start after every member, and a
failed member skips them while independent work finishes."""

from __future__ import annotations

import pytest
from test_executor_unit import FakeProvider, op

from planner.apply import Executor
from planner.plan.model import Edge, group_node_id
from planner.state.model import State

GROUP = group_node_id("alicloud_instance.app", "writes")


def _plan(n_members: int = 5, n_dependents: int = 3):
    members = [op(f"m{i}") for i in range(n_members)]
    dependents = [op(f"d{i}") for i in range(n_dependents)]
    free = op("free")
    edges = [Edge(m.id, GROUP, "one of the writes of alicloud_instance.app") for m in members]
    edges += [Edge(GROUP, d.id, f"{d.address} references alicloud_instance.app") for d in dependents]
    return members, dependents, free, edges


def test_dependents_start_only_after_every_member():
    members, dependents, free, edges = _plan()
    prov = FakeProvider()
    res = Executor(prov, parallelism=4).run([*members, *dependents, free], edges, State())
    assert res.ok, res.failures
    order = {entry: i for i, entry in enumerate(prov.log)}
    last_member = max(order[f"create {m.change.after['name']}"] for m in members)
    assert all(order[f"create {d.change.after['name']}"] > last_member for d in dependents)
    assert len(res.executed) == len(members) + len(dependents) + 1  # the group is not an operation
    assert GROUP not in res.executed


def test_a_failed_member_skips_the_dependents_and_the_rest_finishes():
    members, dependents, free, edges = _plan()
    prov = FakeProvider(fail={"create m2"})
    events = []
    res = Executor(prov, parallelism=2, on_event=events.append).run([*members, *dependents, free], edges, State())
    assert [f for f, _ in res.failures] == [members[2].id]
    assert sorted(res.skipped) == sorted(d.id for d in dependents)
    # the other members and the independent operation still ran and are in the state
    assert sorted(res.executed) == sorted([m.id for i, m in enumerate(members) if i != 2] + [free.id])
    assert len(res.state.resources) == len(members) - 1 + 1
    skipped = [e for e in events if e.kind == "skipped"]
    assert {e.op_id for e in skipped} == {d.id for d in dependents}
    assert all(members[2].id in e.message for e in skipped)
    assert not any(e.op_id == GROUP for e in events)


def test_two_failed_members_skip_each_dependent_once():
    members, dependents, free, edges = _plan(n_members=6, n_dependents=4)
    res = Executor(FakeProvider(fail={"create m1", "create m4"}), parallelism=1).run(
        [*members, *dependents, free], edges, State())
    assert len(res.failures) == 2
    assert sorted(res.skipped) == sorted(d.id for d in dependents)  # no duplicates


def test_a_group_without_members_orders_nothing():
    # a partial plan may leave a group with no member: its dependents are free to run
    _members, dependents, free, _ = _plan()
    edges = [Edge(GROUP, d.id, "references alicloud_instance.app") for d in dependents]
    res = Executor(FakeProvider()).run([*dependents, free], edges, State())
    assert res.ok and len(res.executed) == len(dependents) + 1


def test_an_edge_naming_neither_an_operation_nor_a_group_is_refused():
    a, b = op("a"), op("b")
    with pytest.raises(ValueError, match="names an operation not in the plan"):
        Executor(FakeProvider()).run([a, b], [Edge(a.id, "alicloud_slb_listener.zz:create", "x")], State())


def test_a_cycle_through_a_group_is_refused():
    members, dependents, free, edges = _plan(n_members=2, n_dependents=1)
    edges.append(Edge(dependents[0].id, members[0].id, "back"))
    with pytest.raises(ValueError, match="cycle"):
        Executor(FakeProvider()).run([*members, *dependents], edges, State())
