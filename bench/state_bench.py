"""State and journal I/O at scale: how long a checkpoint and a journal record cost.

Builds a state of N load balancers (each with 2 listeners and a server group: 4N resources),
then times LocalBackend write/read/no-change write/changed write, and journal appends
(serial, and from 8 threads to show fsync group commit). Run:

    python bench/state_bench.py [N]      # default N=10000
"""

from __future__ import annotations

import os
import sys
import tempfile
import threading
import time
import tracemalloc
from pathlib import Path

from planner.addresses import ResourceAddress as A
from planner.state.backend import LocalBackend
from planner.state.journal import Journal, client_token
from planner.state.model import ResourceState, State


def build(n: int) -> State:
    st = State()
    for i in range(n):
        lb = A("alicloud_slb_load_balancer", "lb", i)
        st.resources[lb] = ResourceState(lb, f"lb-{i:08d}", {
            "load_balancer_name": f"lb{i}", "address_type": "intranet", "vswitch_id": "vsw-1",
            "load_balancer_spec": "slb.s1.small", "tags": {"env": "prod", "i": str(i)},
            "delete_protection": "off", "bandwidth": 5120, "address": "10.0.0.1"})
        g = A("alicloud_slb_server_group", "g", i)
        st.resources[g] = ResourceState(g, f"rsp-{i}", {"name": "g", "servers": [
            {"server_ids": [f"i-{i}-{k}" for k in range(4)], "port": 8080, "weight": 100}]}, dependencies=[lb])
        for p in (80, 443):
            la = A("alicloud_slb_listener", "l", f"{i}:{p}")
            st.resources[la] = ResourceState(la, f"lb-{i:08d}:http:{p}", {
                "load_balancer_id": f"lb-{i:08d}", "frontend_port": p, "backend_port": 8080, "protocol": "http",
                "bandwidth": -1, "health_check": "on", "server_group_id": f"rsp-{i}"}, dependencies=[lb, g])
    return st


def timed(label: str, fn) -> float:
    t = time.perf_counter()
    fn()
    dt = time.perf_counter() - t
    print(f"{label:<46} {dt * 1000:9.1f} ms")
    return dt


def peak_of(label: str, fn) -> float:
    """Python's peak allocation while ``fn`` runs, beyond what was live before (tracemalloc: run apart
    from the timings, which it slows down)."""
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        fn()
        peak = tracemalloc.get_traced_memory()[1] - base
    finally:
        tracemalloc.stop()
    print(f"{label:<46} {peak / 1e6:9.1f} MB")
    return peak


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 10000
    st = build(n)
    with tempfile.TemporaryDirectory(dir=os.getcwd()) as td:
        be = LocalBackend(Path(td) / "clbplan.tfstate")
        print(f"state: {len(st.resources)} resources")
        timed("first write", lambda: be.write(st))
        print(f"{'file size':<46} {be.path.stat().st_size / 1e6:9.1f} MB")
        fresh_path = Path(td) / "peak.tfstate"
        peak_of("first write peak Python memory", lambda: LocalBackend(fresh_path).write(st))
        st.outputs["p"] = {"value": 0, "sensitive": False}
        peak_of("changed write, new process, peak memory", lambda: LocalBackend(fresh_path).write(st))
        del st.outputs["p"]
        timed("no-change write (same process, cached)", lambda: be.write(st))
        st.outputs["x"] = {"value": 1, "sensitive": False}
        timed("changed write (same process)", lambda: be.write(st))
        fresh = LocalBackend(be.path)
        holder: dict[str, State] = {}
        timed("read", lambda: holder.__setitem__("s", fresh.read()))
        tracemalloc.start()
        LocalBackend(be.path).read()
        peak = tracemalloc.get_traced_memory()[1]
        tracemalloc.stop()
        print(f"{'read peak Python memory':<46} {peak / 1e6:9.1f} MB")
        s2 = holder["s"]
        s2.outputs["y"] = {"value": 2, "sensitive": False}
        timed("changed write (new process: parses old file)", lambda: fresh.write(s2))

        ops = 2000
        j = Journal(Path(td) / "j1.jsonl")

        def serial() -> None:
            for i in range(ops):
                a = A("alicloud_slb_listener", "x", i)
                tok = client_token("lin", a, "Create")
                j.intent(tok, a, "CreateLoadBalancerHTTPListener", {"ListenerPort": i})
                j.complete(tok, a, ResourceState(a, f"id{i}", {"frontend_port": i}))

        dt = timed(f"journal: {2 * ops} records, 1 thread", serial)
        print(f"{'  per record':<46} {dt / (2 * ops) * 1e6:9.1f} us")
        j2 = Journal(Path(td) / "j2.jsonl")

        def worker(w: int) -> None:
            for i in range(ops // 8):
                a = A("alicloud_slb_listener", f"w{w}", i)
                tok = client_token("lin", a, "Create")
                j2.intent(tok, a, "CreateLoadBalancerHTTPListener", {"ListenerPort": i})
                j2.complete(tok, a, ResourceState(a, f"id{i}", {"frontend_port": i}))

        def threaded() -> None:
            ts = [threading.Thread(target=worker, args=(w,)) for w in range(8)]
            for t in ts:
                t.start()
            for t in ts:
                t.join()

        dt = timed(f"journal: {2 * ops} records, 8 threads", threaded)
        print(f"{'  per record':<46} {dt / (2 * ops) * 1e6:9.1f} us   (fsyncs: {j2.fsyncs})")
        timed("journal: replay 4000 records into the state", lambda: j.replay_into(s2))
        timed("journal: checkpoint", j.checkpoint)


if __name__ == "__main__":
    main()
