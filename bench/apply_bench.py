"""Apply and refresh at scale through the real provider + executor against the in-process emulator.

Each load balancer gets the stack the engine benchmark uses: the LB, two VServer groups, four
listeners (tcp, udp, two http) and two forwarding rules: 9 operations. Prints wall time, API
calls (total and per operation), calls/s, refresh cost, and peak RSS.

    python bench/apply_bench.py --lbs 1000 --parallelism 10
    python bench/apply_bench.py --lbs 200 --faults busy=0.01,transient=0.1,lost=0.05,seed=3
    python bench/apply_bench.py --lbs 100 --parallelism 50 --faults latency=0.02

With a latency fault, the apply is also compared with its lower bound: the larger of the calls one
load balancer needs in sequence (the cloud takes one write per load balancer at a time; every stack
is the same, so that is total calls / load balancers) and total calls x latency / parallelism.
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from planner.addresses import ResourceAddress
from planner.apply import Executor
from planner.emulator import Emulator
from planner.emulator.faults import FaultConfig
from planner.plan.model import Action, Edge, Operation, OpKind, ResourceChange
from planner.providers.alicloud import AlicloudProvider
from planner.providers.retry import RetryPolicy
from planner.providers.transport import InProcessTransport
from planner.state.journal import Journal
from planner.state.model import State
from planner.values import UNKNOWN

LB, SG, LI, RULE = "alicloud_slb_load_balancer", "alicloud_slb_server_group", "alicloud_slb_listener", "alicloud_slb_rule"


class Plan:
    def __init__(self) -> None:
        self.ops: list[Operation] = []
        self.edges: list[Edge] = []
        self.refs: dict[ResourceAddress, dict[str, ResourceAddress]] = {}

    def add(self, type_: str, name: str, after: dict, refs: dict[str, ResourceAddress], key: str) -> Operation:
        addr = ResourceAddress(type_, name)
        op = Operation(addr, OpKind.CREATE, ResourceChange(addr, Action.CREATE, None, after), load_balancer=key)
        self.ops.append(op)
        self.refs[addr] = refs
        for target in set(refs.values()):
            self.edges.append(Edge(f"{target}:create", op.id, "reference"))
        return op

    def stack(self, n: int) -> None:
        lb = ResourceAddress(LB, f"lb{n}")
        key = f"new:{lb}"
        self.add(LB, f"lb{n}", {"load_balancer_name": f"web-{n}", "load_balancer_spec": "slb.s2.small"}, {}, key)
        groups = [self.add(SG, f"g{n}_{g}", {"load_balancer_id": UNKNOWN, "name": f"g{g}"},
                           {"load_balancer_id": lb}, key) for g in range(2)]
        http = None
        for i, (proto, port) in enumerate([("tcp", 22), ("udp", 53), ("http", 80), ("http", 8080)]):
            li = self.add(LI, f"l{n}_{i}", {"load_balancer_id": UNKNOWN, "frontend_port": port, "protocol": proto,
                                            "bandwidth": -1, "server_group_id": UNKNOWN, "scheduler": "wrr",
                                            "sticky_session": "off", "health_check": "on"},
                          {"load_balancer_id": lb, "server_group_id": groups[i % 2].address}, key)
            http = li if port == 80 else http
        for r in range(2):
            rule = self.add(RULE, f"r{n}_{r}", {"load_balancer_id": UNKNOWN, "frontend_port": 80, "name": f"r{r}",
                                                "domain": f"r{r}.example.com", "server_group_id": UNKNOWN},
                            {"load_balancer_id": lb, "server_group_id": groups[1].address}, key)
            self.edges.append(Edge(http.id, rule.id, "rule after its listener"))

    def planned_values(self, op: Operation, applied) -> dict:
        out = dict(op.change.after)
        for attr, target in self.refs[op.address].items():
            out[attr] = applied[target]["id"]
        return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lbs", type=int, default=200)
    ap.add_argument("--parallelism", type=int, default=10)
    ap.add_argument("--faults", default="", help="FaultConfig spec, e.g. busy=0.01,transient=0.1,lost=0.05")
    ap.add_argument("--no-journal", action="store_true",
                    help="walk without the crash-safety journal (the command line always keeps one)")
    args = ap.parse_args(argv)

    faults = FaultConfig.from_spec(args.faults) if args.faults else None
    emu = Emulator(faults=faults)
    retry = RetryPolicy(base_delay=0.002, max_delay=0.05, max_attempts=40, max_retry_after=0.01, seed=1)
    prov = AlicloudProvider(InProcessTransport(emu), retry=retry, poll_interval=0.001)
    plan = Plan()
    for n in range(args.lbs):
        plan.stack(n)
    retries = Counter()

    def on_event(ev) -> None:
        if ev.kind == "retry":
            retries[type(ev.error).__name__ if ev.error is not None else "?"] += 1

    with tempfile.TemporaryDirectory(prefix="clbplan-apply-bench-") as tmp:
        journal = None if args.no_journal else Journal(Path(tmp) / "journal.jsonl")
        t0 = time.perf_counter()
        res = Executor(prov, parallelism=args.parallelism, planned_values=plan.planned_values,
                       on_event=on_event, journal=journal).run(plan.ops, plan.edges, State())
        dt = time.perf_counter() - t0
        if journal is not None:
            journal.close()
    n_ops = len(plan.ops)
    print(f"apply   : {args.lbs} LBs, {n_ops} operations, parallelism {args.parallelism}, faults "
          f"[{args.faults or 'none'}]: {dt:.2f} s, {res.api_calls} API calls ({res.api_calls / n_ops:.2f}/op, "
          f"{res.api_calls / dt:.0f} calls/s), retries {dict(retries)}, failures {len(res.failures)}, "
          f"journal fsyncs {journal.fsyncs if journal is not None else 'none'}")
    latency = faults.latency if faults is not None else 0.0
    if latency > 0:
        bound = max(res.api_calls / args.lbs * latency, res.api_calls * latency / args.parallelism)
        print(f"bound   : {bound:.2f} s at {latency * 1000:.0f} ms per call; apply / bound = {dt / bound:.2f}x")
    resources = list(res.state.resources.values())
    before = prov.calls
    t0 = time.perf_counter()
    prov.refresh(resources)
    dt = time.perf_counter() - t0
    reads = prov.calls - before
    print(f"refresh : {len(resources)} resources in {dt:.2f} s, {reads} API calls")
    if latency > 0:
        bound = reads * latency / prov.read_parallelism
        print(f"bound   : {bound:.2f} s ({prov.read_parallelism} reads in flight); refresh / bound = {dt / bound:.2f}x")
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"peak RSS: {rss:.0f} MiB")
    return 1 if res.failures else 0


if __name__ == "__main__":
    sys.exit(main())
