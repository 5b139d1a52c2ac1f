"""Executor behaviour with a fake provider: ordering, per-LB serialisation, failure handling."""

from __future__ import annotations

import threading
import time

import pytest

from planner.addresses import ResourceAddress
from planner.apply import Executor
from planner.plan.model import Action, Edge, Operation, OpKind, ResourceChange
from planner.providers.base import CallContext
from planner.providers.errors import ApiError
from planner.state.model import ResourceState, State


class FakeHandler:
    def __init__(self, prov: FakeProvider, type_name: str):
        self.prov = prov
        self.type_name = type_name

    def _enter(self, key: str, what: str) -> None:
        with self.prov.lock:
            self.prov.active[key] = self.prov.active.get(key, 0) + 1
            self.prov.max_active[key] = max(self.prov.max_active.get(key, 0), self.prov.active[key])
            self.prov.total += 1
            self.prov.max_total = max(self.prov.max_total, self.prov.total)
            self.prov.log.append(what)
        time.sleep(0.01)
        with self.prov.lock:
            self.prov.active[key] -= 1
            self.prov.total -= 1
        if what in self.prov.fail:
            raise ApiError("InvalidParameter", f"{what} refused")

    def create(self, planned: dict, ctx: CallContext) -> dict:
        self._enter(planned.get("lb", "-"), f"create {planned['name']}")
        return dict(planned, id=f"id-{planned['name']}")

    def update(self, prior: dict, planned: dict, ctx: CallContext) -> dict:
        self._enter(planned.get("lb", "-"), f"update {planned['name']}")
        return dict(planned, id=prior["id"])

    def delete(self, prior: dict, ctx: CallContext) -> None:
        self._enter(prior.get("lb", "-"), f"delete {prior['name']}")

    def load_balancer_id(self, attrs: dict) -> str | None:
        return attrs.get("lb")


class FakeProvider:
    def __init__(self, fail: set[str] = frozenset()):
        self.lock = threading.Lock()
        self.active: dict[str, int] = {}
        self.max_active: dict[str, int] = {}
        self.log: list[str] = []
        self.fail = set(fail)
        self.calls = 0
        self.total = 0
        self.max_total = 0

    def handler(self, type_name: str) -> FakeHandler:
        return FakeHandler(self, type_name)

    def context(self, **kw) -> CallContext:
        return CallContext(transport=None, token_fn=kw.get("token_fn"))  # type: ignore[arg-type]


def op(name: str, kind: OpKind = OpKind.CREATE, lb: str | None = None, cascaded: bool = False) -> Operation:
    addr = ResourceAddress("alicloud_slb_listener", name)
    after = {"name": name, "lb": lb} if kind is not OpKind.DELETE else None
    before = {"name": name, "lb": lb, "id": f"id-{name}"} if kind is not OpKind.CREATE else None
    action = {OpKind.CREATE: Action.CREATE, OpKind.UPDATE: Action.UPDATE, OpKind.DELETE: Action.DELETE}[kind]
    return Operation(addr, kind, ResourceChange(addr, action, before, after), load_balancer=lb,
                     cascaded=cascaded)


def test_edges_order_execution_and_state_records_results():
    a, b, c = op("a"), op("b"), op("c")
    res = Executor(FakeProvider(), parallelism=4).run(
        [a, b, c], [Edge(a.id, b.id, "b uses a"), Edge(b.id, c.id, "c uses b")], State())
    assert res.executed == [a.id, b.id, c.id]
    assert res.failures == [] and res.skipped == []
    assert sorted(str(x) for x in res.state.resources) == [
        "alicloud_slb_listener.a", "alicloud_slb_listener.b", "alicloud_slb_listener.c"]
    assert res.state.resources[a.address].id == "id-a"


def test_one_mutating_op_per_load_balancer_at_a_time_but_lbs_in_parallel():
    prov = FakeProvider()
    ops = [op(f"l{i}", lb="lb-1") for i in range(6)] + [op(f"m{i}", lb="lb-2") for i in range(6)]
    res = Executor(prov, parallelism=8).run(ops, [], State())
    assert len(res.executed) == 12
    assert prov.max_active["lb-1"] == 1 and prov.max_active["lb-2"] == 1
    assert prov.max_total == 2  # the two load balancers' work overlapped


def test_failure_skips_dependents_and_finishes_independent_work():
    prov = FakeProvider(fail={"create a"})
    a, b, c, d = op("a"), op("b"), op("c"), op("d")
    res = Executor(prov, parallelism=2).run(
        [a, b, c, d], [Edge(a.id, b.id, "x"), Edge(b.id, c.id, "y")], State())
    assert [f[0] for f in res.failures] == [a.id]
    assert isinstance(res.failures[0][1], ApiError)
    assert res.skipped == [b.id, c.id]
    assert res.executed == [d.id]
    assert "create b" not in prov.log



def test_inline_walk_runs_in_the_calling_thread_with_the_same_outcome():
    """Plan verification's walk: no worker threads, and failures skip dependents exactly as in a pool."""
    prov = FakeProvider(fail={"create a"})
    threads: set[str] = set()
    real = prov.handler

    def handler(type_name: str):
        threads.add(threading.current_thread().name)
        return real(type_name)

    prov.handler = handler
    a, b, c, d = op("a"), op("b"), op("c"), op("d")
    res = Executor(prov, parallelism=1, inline=True).run(
        [a, b, c, d], [Edge(a.id, b.id, "x"), Edge(b.id, c.id, "y")], State())
    assert [f[0] for f in res.failures] == [a.id] and res.skipped == [b.id, c.id] and res.executed == [d.id]
    assert threads == {threading.current_thread().name}
    with pytest.raises(ValueError, match="parallelism must be 1"):
        Executor(prov, parallelism=2, inline=True)

def test_cascaded_delete_makes_no_call_and_drops_state():
    prov = FakeProvider()
    st = State()
    addr = ResourceAddress("alicloud_slb_listener", "x")
    st.resources[addr] = ResourceState(addr, "id-x", {"name": "x", "lb": "lb-1"})
    res = Executor(prov).run([op("x", OpKind.DELETE, lb="lb-1", cascaded=True)], [], st)
    assert prov.log == []
    assert addr not in res.state.resources


def test_planned_values_callback_resolves_from_applied_values():
    a, b = op("a"), op("b")

    def planned(o: Operation, applied) -> dict:
        if o.address.name == "b":
            return {"name": "b", "parent": applied[a.address]["id"]}
        return dict(o.change.after)

    res = Executor(FakeProvider(), planned_values=planned).run([a, b], [Edge(a.id, b.id, "ref")], State())
    assert res.state.resources[b.address].attributes["parent"] == "id-a"


def test_cycle_is_rejected_with_its_members():
    a, b = op("a"), op("b")
    with pytest.raises(ValueError, match="cycle"):
        Executor(FakeProvider()).run([a, b], [Edge(a.id, b.id, "x"), Edge(b.id, a.id, "y")], State())


class RaisingHandler(FakeHandler):
    def __init__(self, prov, type_name, exc):
        super().__init__(prov, type_name)
        self.exc = exc

    def create(self, planned, ctx):
        raise self.exc


class RaisingProvider(FakeProvider):
    def __init__(self, exc):
        super().__init__()
        self.exc = exc

    def handler(self, type_name):
        return RaisingHandler(self, type_name, self.exc)


def test_journal_keeps_uncertain_calls_pending_and_closes_clean_refusals(tmp_path):
    from planner.providers.errors import TransportError
    from planner.state.journal import Journal

    j1 = Journal(tmp_path / "a.jsonl")
    Executor(RaisingProvider(TransportError("connection reset")), journal=j1).run([op("a")], [], State())
    assert [r.address.name for r in j1.pending()] == ["a"]  # recovery must settle it
    j2 = Journal(tmp_path / "b.jsonl")
    Executor(RaisingProvider(ApiError("InvalidParameter", "no")), journal=j2).run([op("a")], [], State())
    assert j2.pending() == []  # the cloud refused: nothing to reconcile


def test_partial_create_is_recorded_not_forgotten():
    from planner.providers.base import PartialCreateError

    exc = PartialCreateError({"id": "lb-1:http:80", "name": "a"}, ApiError("SystemBusy", "busy", 449))
    res = Executor(RaisingProvider(exc)).run([op("a")], [], State())
    assert [f[0] for f in res.failures] == [op("a").id]
    assert res.state.resources[op("a").address].id == "lb-1:http:80"


def test_replace_create_before_destroy_keeps_the_new_object():
    prov = FakeProvider()
    st = State()
    addr = ResourceAddress("alicloud_slb_listener", "x")
    st.resources[addr] = ResourceState(addr, "id-old", {"name": "x"})
    new = Operation(addr, OpKind.CREATE, ResourceChange(addr, Action.CREATE_THEN_DELETE, {"name": "x", "id": "id-old"},
                                                        {"name": "x"}))
    old = Operation(addr, OpKind.DELETE, ResourceChange(addr, Action.CREATE_THEN_DELETE,
                                                        {"name": "x", "id": "id-old"}, {"name": "x"}))
    res = Executor(prov).run([new, old], [Edge(new.id, old.id, "create before destroy")], st)
    assert res.failures == []
    assert res.state.resources[addr].id == "id-x"
    assert prov.log == ["create x", "delete x"]


def test_ctrl_c_finishes_in_flight_work_records_it_and_skips_the_rest(monkeypatch):
    import planner.apply.executor as ex

    real_next = ex._next
    calls = {"n": 0}

    def next_then_interrupt(finished, timeout):
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt  # Ctrl-C while the scheduler waits for a call to finish
        return real_next(finished, timeout)

    monkeypatch.setattr(ex, "_next", next_then_interrupt)
    prov = FakeProvider()
    ops = [op(f"o{i}", lb="lb-1") for i in range(5)]
    res = Executor(prov, parallelism=2).run(ops, [], State())
    assert res.interrupted and not res.ok
    assert res.executed == [ops[0].id]  # the one in flight (same LB: one at a time) finished
    assert ops[0].address in res.state.resources
    assert res.skipped == [o.id for o in ops[1:]]


def _counting_intents(journal_file) -> tuple[FakeProvider, list[int]]:
    """A fake provider that notes, at each create, how many intents the journal file holds."""
    from planner.state.journal import INTENT

    seen: list[int] = []

    class Watching(FakeProvider):
        def handler(self, type_name):
            handler = FakeHandler(self, type_name)
            create = handler.create

            def looks(planned, ctx):
                with self.lock:
                    lines = journal_file.read_text().splitlines()
                    seen.append(sum(f'"kind":"{INTENT}"' in line for line in lines))
                return create(planned, ctx)

            handler.create = looks
            return handler

    return Watching(), seen


def test_a_round_of_operations_is_journaled_with_one_fsync_before_any_of_its_calls(tmp_path):
    """The walk announces every operation it starts at once in one durable write: a crash after any call
    finds that call's intent on disk, and eight operations cost one fsync, not eight (issue 17)."""
    from planner.state.journal import Journal

    journal = Journal(tmp_path / "j.jsonl")
    prov, seen = _counting_intents(tmp_path / "j.jsonl")
    ops = [op(f"l{i}", lb=f"lb-{i}") for i in range(8)]
    res = Executor(prov, parallelism=8, journal=journal).run(ops, [], State())
    assert not res.failures and len(res.executed) == 8
    assert seen[0] == 8  # every intent of the round was on disk before the first call
    assert journal.fsyncs == 1
    assert journal.pending() == []  # each completed


def test_a_journal_that_cannot_be_written_fails_the_round_before_any_call(tmp_path):
    from planner.state.journal import Journal, JournalWriteError

    journal = Journal(tmp_path / "j.jsonl")

    def full(*_a, **_k):
        raise JournalWriteError(tmp_path / "j.jsonl", OSError(28, "No space left on device"))

    journal.intents = full  # type: ignore[method-assign]
    prov = FakeProvider()
    ops = [op("a", lb="lb-1"), op("b", lb="lb-2"), op("c", lb="lb-1")]
    res = Executor(prov, parallelism=4, journal=journal).run(ops, [Edge(ops[0].id, ops[2].id, "test")], State())
    assert prov.log == []  # no call was made without its intent on disk
    assert {f[0] for f in res.failures} == {ops[0].id, ops[1].id}
    assert res.skipped == [ops[2].id]  # what depends on a failed operation does not start
    assert "No space left on device" in str(res.failures[0][1])


def test_the_next_round_is_announced_ahead_so_fewer_fsyncs_cover_the_walk(tmp_path):
    """Each fsync gives the walk's thread up and waits for it back; announcing as many ready operations
    again as there are workers lets one fsync cover the next round too (issue 17). Every call still
    finds its intent on disk."""
    from planner.state.journal import Journal

    journal = Journal(tmp_path / "j.jsonl")
    prov, seen = _counting_intents(tmp_path / "j.jsonl")
    ops = [op(f"l{i:02d}", lb=f"lb-{i}") for i in range(12)]
    res = Executor(prov, parallelism=2, journal=journal).run(ops, [], State())
    assert not res.failures and len(res.executed) == 12
    assert seen[0] == 4  # two to start now, two more announced ahead in the same write
    assert all(n >= i + 1 for i, n in enumerate(sorted(seen)))  # each call's own intent was there
    assert journal.fsyncs <= 5  # one per operation or two before (rounds of one or two)
    assert journal.pending() == []


def test_ctrl_c_leaves_no_intent_of_an_operation_announced_ahead_for_recovery_to_make(monkeypatch, tmp_path):
    """Operations announced ahead that Ctrl-C kept from starting are journaled as finished with nothing
    done: the user stopped them, so the next run's recovery must not make their calls."""
    import planner.apply.executor as ex
    from planner.state.journal import Journal

    real_next = ex._next
    calls = {"n": 0}

    def next_then_interrupt(finished, timeout):
        calls["n"] += 1
        if calls["n"] == 1:
            raise KeyboardInterrupt
        return real_next(finished, timeout)

    monkeypatch.setattr(ex, "_next", next_then_interrupt)
    journal = Journal(tmp_path / "j.jsonl")
    prov = FakeProvider()
    ops = [op(f"o{i}", lb=f"lb-{i}") for i in range(8)]
    res = Executor(prov, parallelism=2, journal=journal).run(ops, [], State())
    assert res.interrupted
    assert sorted(prov.log) == ["create o0", "create o1"]  # only the two in flight were called
    assert res.executed == [ops[0].id, ops[1].id]
    assert res.skipped == [o.id for o in ops[2:]]
    assert journal.pending() == []  # the two announced ahead are closed, not left for recovery

    recovered = ex.recover(Journal(tmp_path / "j.jsonl"), prov, State())
    assert sorted(prov.log) == ["create o0", "create o1"]  # recovery made no call
    assert set(recovered.resources) == {ops[0].address, ops[1].address}


def test_a_second_ctrl_c_still_closes_the_operations_announced_ahead(monkeypatch, tmp_path):
    """A second Ctrl-C aborts while the calls in flight finish: those stay pending for recovery to settle,
    but the operations only announced ahead were never called, and recovery must not make them."""
    import planner.apply.executor as ex
    from planner.state.journal import Journal

    def interrupt(*_a):
        raise KeyboardInterrupt

    monkeypatch.setattr(ex, "_next", interrupt)  # the first Ctrl-C, while the scheduler waits
    monkeypatch.setattr(ex, "_wait_all", interrupt)  # the second, while the calls in flight finish
    journal = Journal(tmp_path / "j.jsonl")
    prov = FakeProvider()
    ops = [op(f"o{i}", lb=f"lb-{i}") for i in range(8)]
    with pytest.raises(KeyboardInterrupt):
        Executor(prov, parallelism=2, journal=journal).run(ops, [], State())
    pending = sorted(str(r.address) for r in Journal(tmp_path / "j.jsonl").pending())
    assert set(pending) <= {str(ops[0].address), str(ops[1].address)}  # in flight at most, none held
