"""The executor against the in-process emulator: real ordering rules, per-LB serialisation, retries
under the emulator's faults, lost responses reconciled without duplicates, crash recovery."""

from __future__ import annotations

from collections import Counter

import pytest

from planner.addresses import ResourceAddress
from planner.apply import Executor, recover
from planner.emulator import Emulator
from planner.emulator.faults import FaultConfig
from planner.plan.model import Action, Edge, Operation, OpKind, ResourceChange
from planner.providers.alicloud import AlicloudProvider
from planner.providers.errors import ApiError
from planner.providers.retry import RetryPolicy
from planner.providers.transport import InProcessTransport
from planner.state.journal import Journal
from planner.state.model import State
from planner.values import UNKNOWN

FAST = RetryPolicy(base_delay=0.002, max_delay=0.05, seed=7, max_attempts=40, max_retry_after=0.01)

LB = "alicloud_slb_load_balancer"
SG = "alicloud_slb_server_group"
LI = "alicloud_slb_listener"
RULE = "alicloud_slb_rule"


def objects(emu: Emulator) -> Counter:
    """How many objects of each kind the cloud holds (from its dump)."""
    return Counter(row[1] for row in emu.dump()["tables"]["objects"])


def provider_for(emu: Emulator) -> AlicloudProvider:
    return AlicloudProvider(InProcessTransport(emu), retry=FAST, poll_interval=0.001, poll_timeout=10)


class PlanBuilder:
    """Hand-built create plans: per LB, a load balancer, two groups, four listeners, two rules.
    References to not-yet-created objects are UNKNOWN and resolved by planned_values."""

    def __init__(self) -> None:
        self.ops: list[Operation] = []
        self.edges: list[Edge] = []
        self.refs: dict[ResourceAddress, dict[str, ResourceAddress]] = {}

    def add(self, type_: str, name: str, after: dict, refs: dict[str, ResourceAddress], lb_key: str) -> Operation:
        addr = ResourceAddress(type_, name)
        op = Operation(addr, OpKind.CREATE, ResourceChange(addr, Action.CREATE, None, after), load_balancer=lb_key)
        self.ops.append(op)
        self.refs[addr] = refs
        for target in set(refs.values()):
            self.edges.append(Edge(f"{target}:create", op.id, f"{addr} references {target}"))
        return op

    def lb_stack(self, n: int) -> None:
        lb_addr = ResourceAddress(LB, f"lb{n}")
        key = f"new:{lb_addr}"
        self.add(LB, f"lb{n}", {"load_balancer_name": f"web-{n}", "load_balancer_spec": "slb.s2.small",
                                "internet_charge_type": "PayByTraffic", "bandwidth": 1, "delete_protection": "off"},
                 {}, key)
        groups = []
        for g in range(2):
            groups.append(self.add(SG, f"g{n}_{g}", {"load_balancer_id": UNKNOWN, "name": f"g{g}"},
                                   {"load_balancer_id": lb_addr}, key))
        listeners = []
        for i, (proto, port) in enumerate([("tcp", 22), ("udp", 53), ("http", 80), ("http", 8080)]):
            listeners.append(self.add(LI, f"l{n}_{i}", {
                "load_balancer_id": UNKNOWN, "frontend_port": port, "protocol": proto, "bandwidth": -1,
                "server_group_id": UNKNOWN, "scheduler": "wrr", "sticky_session": "off", "health_check": "on"},
                {"load_balancer_id": lb_addr, "server_group_id": groups[i % 2].address}, key))
        for r in range(2):
            op = self.add(RULE, f"r{n}_{r}", {"load_balancer_id": UNKNOWN, "frontend_port": 80, "name": f"rule{r}",
                                             "domain": f"r{r}.example.com", "server_group_id": UNKNOWN,
                                             "listener_sync": "on"},
                          {"load_balancer_id": lb_addr, "server_group_id": groups[1].address}, key)
            # the cloud's rule: a rule goes after its listener (same LB + frontend port)
            self.edges.append(Edge(listeners[2].id, op.id, "rule after its listener"))

    def planned_values(self, op: Operation, applied) -> dict:
        out = dict(op.change.after)
        for attr, target in self.refs[op.address].items():
            out[attr] = applied[target]["id"]
        return out


def run_plan(emu: Emulator, n_lbs: int, **kw) -> tuple:
    pb = PlanBuilder()
    for n in range(n_lbs):
        pb.lb_stack(n)
    events = []
    ex = Executor(provider_for(emu), parallelism=8, planned_values=pb.planned_values, on_event=events.append, **kw)
    res = ex.run(pb.ops, pb.edges, State())
    return res, pb, events


def _clean_run(n: int) -> Emulator:
    emu = Emulator()
    res, _, _ = run_plan(emu, n)
    assert res.failures == []
    return emu


def test_full_stack_applies_in_order_and_state_matches_cloud():
    emu = Emulator()
    res, pb, events = run_plan(emu, 2)
    assert res.failures == [] and res.skipped == []
    assert len(res.executed) == len(pb.ops) == 2 * 9
    pos = {op_id: i for i, op_id in enumerate(res.executed)}
    for e in pb.edges:
        assert pos[e.before] < pos[e.after], e.reason
    assert objects(emu) == Counter({"listener": 8, "vsg": 4, "rule": 4, "lb": 2})
    st = res.state
    assert len(st.resources) == 18
    li = st.resources[ResourceAddress(LI, "l0_2")]
    lb_id = st.resources[ResourceAddress(LB, "lb0")].id
    assert li.id == f"{lb_id}:http:80"
    assert li.attributes["server_group_id"] == st.resources[ResourceAddress(SG, "g0_0")].id
    assert res.api_calls > 0
    kinds = Counter(ev.kind for ev in events)
    assert kinds["start"] == kinds["done"] == 18


def test_per_lb_serialisation_holds_with_parallel_workers():
    emu = Emulator()
    prov = provider_for(emu)
    active: Counter = Counter()
    peak: Counter = Counter()
    inner = prov.transport.emulator  # type: ignore[attr-defined]
    real_call = inner.call

    import threading
    lock = threading.Lock()

    def watched(product, action, params):
        lb = params.get("LoadBalancerId")
        writes = not action.startswith("Describe")
        if lb and writes:
            with lock:
                active[lb] += 1
                peak[lb] = max(peak[lb], active[lb])
        try:
            return real_call(product, action, params)
        finally:
            if lb and writes:
                with lock:
                    active[lb] -= 1

    inner.call = watched
    pb = PlanBuilder()
    for n in range(3):
        pb.lb_stack(n)
    res = Executor(prov, parallelism=10, planned_values=pb.planned_values).run(pb.ops, pb.edges, State())
    assert res.failures == []
    assert peak and max(peak.values()) == 1


def test_busy_windows_and_transient_errors_converge():
    emu = Emulator(faults=FaultConfig(busy_window=0.01, transient_rate=0.1, seed=11))
    events: list = []
    res, pb, events = run_plan(emu, 2)
    assert res.failures == [], res.failures
    retried = [ev for ev in events if ev.kind == "retry"]
    assert retried, "the faults should have forced at least one retry"
    assert {type(ev.error) for ev in retried} == {ApiError}
    assert objects(emu) == objects(_clean_run(2))


def test_lost_responses_are_reconciled_without_duplicates():
    emu = Emulator(faults=FaultConfig(lost_response_rate=0.25, seed=5))
    res, pb, events = run_plan(emu, 2)
    assert res.failures == [], res.failures
    assert any(ev.kind == "retry" and "lost" in ev.message for ev in events)
    # exactly as many objects as a fault-free run makes: nothing created twice
    assert objects(emu) == objects(_clean_run(2))


def test_failure_skips_dependents_and_reports(tmp_path):
    emu = Emulator()
    pb = PlanBuilder()
    pb.lb_stack(0)
    pb.lb_stack(1)
    # an impossible listener on lb1: port 0 is refused by the API
    bad = next(op for op in pb.ops if op.address.name == "l1_2")
    bad.change.after["frontend_port"] = 0
    res = Executor(provider_for(emu), planned_values=pb.planned_values).run(pb.ops, pb.edges, State())
    assert [f[0] for f in res.failures] == [bad.id]
    assert sorted(res.skipped) == sorted(op.id for op in pb.ops if op.address.name in ("r1_0", "r1_1"))
    assert len(res.executed) == len(pb.ops) - 3  # lb0's stack and the rest of lb1 finished


def test_recover_adopts_a_create_whose_response_never_came(tmp_path):
    """A kill after the cloud made the LB but before we heard: the re-issued create (same
    ClientToken) adopts it, so the cloud still holds exactly one."""
    emu = Emulator(faults=FaultConfig(lost_response_rate=1.0, seed=1))
    journal = Journal(tmp_path / "journal.jsonl")
    state = State()
    addr = ResourceAddress(LB, "web")
    op = Operation(addr, OpKind.CREATE, ResourceChange(addr, Action.CREATE, None, {
        "load_balancer_name": "web", "load_balancer_spec": "slb.s1.small", "delete_protection": "off"}),
        load_balancer=f"new:{addr}")
    once = RetryPolicy(max_attempts=1)
    prov = AlicloudProvider(InProcessTransport(emu), retry=once, poll_interval=0.001)
    res = Executor(prov, journal=journal, retry=once).run([op], [], state)
    assert res.failures and addr not in res.state.resources
    assert objects(emu)["lb"] == 1  # it exists in the cloud, but state does not know it
    assert [r.address for r in journal.pending()] == [addr]
    # next run: the cloud answers normally again
    emu2 = Emulator.from_dump(emu.dump())
    recovered = recover(journal, provider_for(emu2), State(lineage=state.lineage))
    assert addr in recovered.resources
    assert objects(emu2)["lb"] == 1
    lb_id = recovered.resources[addr].id
    assert emu2.call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb_id})["LoadBalancerName"] == "web"
    assert journal.pending() == []


def test_recover_finishes_an_unfinished_delete(tmp_path):
    emu = Emulator()
    prov = provider_for(emu)
    lb = prov.handler(LB).create({"load_balancer_name": "old", "load_balancer_spec": "slb.s1.small"}, prov.context())
    journal = Journal(tmp_path / "journal.jsonl")
    addr = ResourceAddress(LB, "old")
    state = State()
    from planner.state.model import ResourceState
    state.resources[addr] = ResourceState(addr, lb["id"], lb)
    journal.intent("tok-1", addr, "delete", {"prior": lb, "run": "r1"})  # killed right after this line
    out = recover(journal, prov, state)
    assert addr not in out.resources
    assert objects(emu)["lb"] == 0
    assert journal.pending() == []


@pytest.mark.parametrize("parallelism", [1, 4])
def test_cascaded_children_make_no_calls(parallelism):
    emu = Emulator()
    res, pb, _ = run_plan(emu, 1)
    prov = provider_for(emu)
    state = res.state
    ops = []
    edges = []
    lb_addr = ResourceAddress(LB, "lb0")
    lb_rs = state.resources[lb_addr]
    for addr, rs in sorted(state.resources.items()):
        ch = ResourceChange(addr, Action.DELETE, dict(rs.attributes, id=rs.id), None)
        ops.append(Operation(addr, OpKind.DELETE, ch, load_balancer=lb_rs.id, cascaded=addr != lb_addr))
    for op in ops:
        if op.address != lb_addr:
            edges.append(Edge(op.id, f"{lb_addr}:delete", "children go with their LB"))
    before = prov.calls
    out = Executor(prov, parallelism=parallelism).run(ops, edges, state)
    assert out.failures == [] and out.state.resources == {}
    assert prov.calls - before <= 2  # DeleteLoadBalancer (+ nothing per child)
    assert objects(emu)["lb"] == 0


def test_slow_listener_start_is_waited_for_before_rules():
    """The emulator keeps started listeners 'starting' for a while; rules need them running."""
    emu = Emulator(faults=FaultConfig(listener_start_delay=0.05, seed=2))
    res, pb, _ = run_plan(emu, 1)
    assert res.failures == [], res.failures
    lb_id = res.state.resources[ResourceAddress(LB, "lb0")].id
    for port, proto in ((22, "TCP"), (80, "HTTP")):
        st = emu.call("Slb", f"DescribeLoadBalancer{proto}ListenerAttribute",
                      {"LoadBalancerId": lb_id, "ListenerPort": port, "RegionId": "cn-hangzhou"})
        assert st["Status"] == "running"


def _servers(prov: AlicloudProvider, n: int) -> list[str]:
    ctx = prov.context()
    vpc = prov.handler("alicloud_vpc").create({"vpc_name": "v", "cidr_block": "172.16.0.0/12"}, ctx)
    vsw = prov.handler("alicloud_vswitch").create(
        {"vpc_id": vpc["id"], "cidr_block": "172.16.0.0/24", "zone_id": "cn-hangzhou-h"}, ctx)
    sg = prov.handler("alicloud_security_group").create({"vpc_id": vpc["id"]}, ctx)
    return [prov.handler("alicloud_instance").create({
        "image_id": "ubuntu_22_04_x64_20G_alibase_20240508.vhd", "instance_type": "ecs.g6.large",
        "vswitch_id": vsw["id"], "security_groups": [sg["id"]]}, ctx)["id"] for _ in range(n)]


def test_attachments_with_one_batch_key_fold_into_few_calls():
    emu = Emulator()
    prov = provider_for(emu)
    ids = _servers(prov, 5)
    ctx = prov.context()
    lb = prov.handler(LB).create({"load_balancer_name": "b", "load_balancer_spec": "slb.s1.small"}, ctx)
    grp = prov.handler(SG).create({"load_balancer_id": lb["id"], "name": "g"}, ctx)
    att = "alicloud_slb_server_group_server_attachment"
    ops = []
    for i, sid in enumerate(ids):
        for port in range(8000, 8005):
            addr = ResourceAddress(att, "a", f"{i}-{port}")
            after = {"server_group_id": grp["id"], "server_id": sid, "port": port, "weight": 100, "type": "ecs"}
            ops.append(Operation(addr, OpKind.CREATE, ResourceChange(addr, Action.CREATE, None, after),
                                 load_balancer=lb["id"], batch_key=f"servers:{grp['id']}"))
    transport = prov.transport
    transport.calls.clear()
    res = Executor(prov, parallelism=4).run(ops, [], State())
    assert res.failures == [] and len(res.executed) == 25
    assert transport.calls["AddVServerGroupBackendServers"] == 2  # 20 + 5, not 25
    assert len(prov.handler(SG).import_(grp["id"], ctx)["servers"][0]["server_ids"]) == 5
    st = res.state
    dels = [Operation(o.address, OpKind.DELETE, ResourceChange(
        o.address, Action.DELETE, dict(st.resources[o.address].attributes), None),
        load_balancer=lb["id"], batch_key=o.batch_key) for o in ops]
    transport.calls.clear()
    res2 = Executor(prov, parallelism=4).run(dels, [], st)
    assert res2.failures == [] and res2.state.resources == {}
    assert transport.calls["RemoveVServerGroupBackendServers"] == 2
    assert prov.handler(SG).import_(grp["id"], ctx)["servers"] == []


def test_recover_finishes_a_listener_create_killed_mid_choreography(tmp_path):
    """Create call committed, response lost, process gone: recovery re-issues the create with the
    same token (the cloud answers with the listener it made), starts it, and records it."""
    emu = Emulator()
    prov = provider_for(emu)
    lb = prov.handler(LB).create({"load_balancer_name": "w", "load_balancer_spec": "slb.s1.small"}, prov.context())
    lossy = Emulator.from_dump(emu.dump(), faults=FaultConfig(lost_response_rate=1.0, seed=4))
    once = RetryPolicy(max_attempts=1)
    journal = Journal(tmp_path / "j.jsonl")
    addr = ResourceAddress(LI, "http")
    after = {"load_balancer_id": lb["id"], "frontend_port": 80, "protocol": "http", "backend_port": 80,
             "bandwidth": -1, "sticky_session": "off", "health_check": "on", "scheduler": "wrr"}
    op = Operation(addr, OpKind.CREATE, ResourceChange(addr, Action.CREATE, None, after), load_balancer=lb["id"])
    state = State()
    res = Executor(AlicloudProvider(InProcessTransport(lossy), retry=once), journal=journal, retry=once).run(
        [op], [], state)
    assert res.failures and addr not in res.state.resources
    healthy = Emulator.from_dump(lossy.dump())
    out = recover(journal, provider_for(healthy), state)
    assert out.resources[addr].id == f"{lb['id']}:http:80"
    st = healthy.call("Slb", "DescribeLoadBalancerHTTPListenerAttribute",
                      {"LoadBalancerId": lb["id"], "ListenerPort": 80, "RegionId": "cn-hangzhou"})
    assert st["Status"] == "running"
    assert objects(healthy)["listener"] == 1


def test_recover_adopts_a_batched_add_whose_response_was_lost(tmp_path):
    emu = Emulator()
    prov = provider_for(emu)
    ids = _servers(prov, 3)
    ctx = prov.context()
    lb = prov.handler(LB).create({"load_balancer_name": "b", "load_balancer_spec": "slb.s1.small"}, ctx)
    grp = prov.handler(SG).create({"load_balancer_id": lb["id"], "name": "g"}, ctx)
    att = "alicloud_slb_server_group_server_attachment"
    ops = [Operation(ResourceAddress(att, "a", sid), OpKind.CREATE, ResourceChange(
        ResourceAddress(att, "a", sid), Action.CREATE, None,
        {"server_group_id": grp["id"], "server_id": sid, "port": 80, "weight": 100, "type": "ecs"}),
        load_balancer=lb["id"], batch_key=f"servers:{grp['id']}") for sid in ids]
    lossy = Emulator.from_dump(emu.dump(), faults=FaultConfig(lost_response_rate=1.0, seed=9))
    once = RetryPolicy(max_attempts=1)
    journal = Journal(tmp_path / "j.jsonl")
    state = State()
    res = Executor(AlicloudProvider(InProcessTransport(lossy), retry=once), journal=journal, retry=once).run(
        ops, [], state)
    assert len(res.failures) == 3 and len(journal.pending()) == 3
    healthy = Emulator.from_dump(lossy.dump())
    out = recover(journal, provider_for(healthy), state)
    assert sorted(a.key for a in out.resources) == sorted(ids)
    members = provider_for(healthy).handler(SG).import_(grp["id"], provider_for(healthy).context())["servers"]
    assert sorted(members[0]["server_ids"]) == sorted(ids)


def test_without_planned_values_computed_unknowns_are_not_sent_but_unknown_references_fail():
    emu = Emulator()
    prov = provider_for(emu)
    addr = ResourceAddress(LB, "web")
    after = {"load_balancer_name": "web", "load_balancer_spec": "slb.s1.small", "address": UNKNOWN,
             "status": UNKNOWN, "id": UNKNOWN}
    lb_op = Operation(addr, OpKind.CREATE, ResourceChange(addr, Action.CREATE, None, after))
    g_addr = ResourceAddress(SG, "g")
    g_op = Operation(g_addr, OpKind.CREATE, ResourceChange(g_addr, Action.CREATE, None,
                                                         {"load_balancer_id": UNKNOWN, "name": "g"}))
    res = Executor(prov).run([lb_op, g_op], [Edge(lb_op.id, g_op.id, "ref")], State())
    assert res.state.resources[addr].attributes["address"]  # filled by the cloud
    assert [f[0] for f in res.failures] == [g_op.id]
    assert "load_balancer_id" in str(res.failures[0][1])
