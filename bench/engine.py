"""Engine benchmark: the real pipeline (config load -> plan -> apply) at N load balancers.

For each N it generates a configuration: N load balancers, each with 4 listeners (TCP 80 and TCP 443,
HTTP 8080, UDP 53), 2 VServer groups of 20 servers, a master-slave group and 10 default-group servers;
one VPC, /20 vSwitches and a pool of 40 ECS instances shared by every 40 load balancers (a server may
back at most 50 CLB instances). Then, each phase in a fresh process (as a user runs the CLI), with the
embedded emulator on disk and the local state backend:

* ``apply``   : plan + apply from an empty cloud and state (what ``clbplan apply`` does);
* ``plan0``   : plan with no changes (refresh of everything, diff, nothing to verify);
* ``plan1``   : plan with 1% of the load balancers changed (listener bandwidth + group weights).

It reports wall times per pipeline step, API calls (reads and writes to the real cloud; the shadow
cloud used to verify a plan is in-process and not counted as API calls), peak RSS per phase, and the
calls Terraform's one-call-per-resource strategy would make for the same work (model below).

    python bench/engine.py --sizes 100,1000 [--budget 900] [--profile plan0] [--results]
    python bench/engine.py --sizes 10000 --budget 1800

``--results`` rewrites the "## Engine" section of bench/RESULTS.md with the figures of this run.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import json
import os
import platform
import pstats
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
if str(REPO) not in sys.path:
    sys.path.insert(0, str(REPO))

LBS_PER_POOL = 40
POOL = 40  # servers per pool: 20 + 20 in the two VServer groups; the first 10 also in the default group
VSWITCH_HOSTS = 4000  # ECS instances per /20 vSwitch


# --- the configuration --------------------------------------------------------------------------

def config_tf(n: int, splat: bool = False) -> str:
    """HCL for ``n`` load balancers; ``var.changed`` lists LB keys whose settings differ (the 1% edit).

    By default each group names its servers by an index computed from ``each.value`` (it depends on its
    own 20 servers). ``splat=True`` writes ``slice(alicloud_instance.app[*].id, ...)`` instead, as many
    configurations do: every group then depends on every instance (a whole-resource dependency, which
    the engine keeps as one group node and one unkeyed address, not N x M edges)."""
    pools = (n + LBS_PER_POOL - 1) // LBS_PER_POOL
    instances = pools * POOL
    vswitches = (instances + VSWITCH_HOSTS - 1) // VSWITCH_HOSTS

    def server(i: int) -> str:
        return f"alicloud_instance.app[each.value * {POOL} + {i}].id"

    def sliced(a: int, b: int) -> str:
        return f"slice(alicloud_instance.app[*].id, each.value * {POOL} + {a}, each.value * {POOL} + {b})"

    if splat:
        default_servers = (f'  dynamic "backend_servers" {{\n    for_each = {sliced(0, 10)}\n    content {{\n'
                           "      server_id = backend_servers.value\n      weight    = 100\n    }\n  }")
        group_a, group_b = sliced(0, 20), sliced(20, 40)
    else:
        default_servers = "\n".join(
            f"  backend_servers {{\n    server_id = {server(i)}\n    weight    = 100\n  }}" for i in range(10))
        group_a = "[" + ", ".join(server(i) for i in range(20)) + "]"
        group_b = "[" + ", ".join(server(i) for i in range(20, 40)) + "]"
    return f'''
provider "alicloud" {{
  region = "cn-hangzhou"
}}

variable "changed" {{
  type    = list(string)
  default = []
}}

locals {{
  # lb key -> index of its server pool
  # range() makes at most 1,024 values (Terraform's limit): thousands of LBs in blocks of 1,000
  lbs = merge([for a in range({(n + 999) // 1000}) : {{
    for b in range(1000) : format("lb%05d", a * 1000 + b) => floor((a * 1000 + b) / {LBS_PER_POOL}) if a * 1000 + b < {n}
  }}]...)
  changed = toset(var.changed)
}}

resource "alicloud_vpc" "main" {{
  vpc_name   = "bench-vpc"
  cidr_block = "10.0.0.0/8"
}}

resource "alicloud_vswitch" "pool" {{
  count        = {vswitches}
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "10.${{floor(count.index / 16)}}.${{(count.index % 16) * 16}}.0/20"
  zone_id      = "cn-hangzhou-h"
  vswitch_name = "bench-vsw-${{count.index}}"
}}

resource "alicloud_security_group" "app" {{
  security_group_name = "bench-sg"
  vpc_id              = alicloud_vpc.main.id
}}

resource "alicloud_instance" "app" {{
  count           = {instances}
  instance_name   = "bench-app-${{count.index}}"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.pool[floor(count.index / {VSWITCH_HOSTS})].id
  security_groups = [alicloud_security_group.app.id]
}}

resource "alicloud_slb_load_balancer" "lb" {{
  for_each             = local.lbs
  load_balancer_name   = "bench-${{each.key}}"
  address_type         = "internet"
  internet_charge_type = "PayByTraffic"
  load_balancer_spec   = "slb.s2.small"
}}

resource "alicloud_slb_backend_server" "default" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
{default_servers}
}}

resource "alicloud_slb_server_group" "a" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  name             = "a-${{each.key}}"
  servers {{
    server_ids = {group_a}
    port       = 80
    weight     = contains(local.changed, each.key) ? 50 : 100
  }}
}}

resource "alicloud_slb_server_group" "b" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  name             = "b-${{each.key}}"
  servers {{
    server_ids = {group_b}
    port       = 8080
  }}
}}

resource "alicloud_slb_master_slave_server_group" "ms" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  name             = "ms-${{each.key}}"
  servers {{
    server_id   = alicloud_instance.app[each.value * {POOL}].id
    port        = 3306
    server_type = "Master"
  }}
  servers {{
    server_id   = alicloud_instance.app[each.value * {POOL} + 1].id
    port        = 3306
    server_type = "Slave"
  }}
}}

resource "alicloud_slb_listener" "tcp" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  protocol         = "tcp"
  frontend_port    = 80
  server_group_id  = alicloud_slb_server_group.a[each.key].id
  bandwidth        = contains(local.changed, each.key) ? 20 : 10
}}

resource "alicloud_slb_listener" "tls" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  protocol         = "tcp"
  frontend_port    = 443
  backend_port     = 443
  bandwidth        = 10
}}

resource "alicloud_slb_listener" "http" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  protocol         = "http"
  frontend_port    = 8080
  server_group_id  = alicloud_slb_server_group.b[each.key].id
  bandwidth        = -1
  sticky_session   = "off"
}}

resource "alicloud_slb_listener" "udp" {{
  for_each                     = local.lbs
  load_balancer_id             = alicloud_slb_load_balancer.lb[each.key].id
  protocol                     = "udp"
  frontend_port                = 53
  master_slave_server_group_id = alicloud_slb_master_slave_server_group.ms[each.key].id
  bandwidth                    = 5
}}
'''


def shape(n: int) -> dict[str, int]:
    """Resource and member counts of ``config_tf(n)`` (for the Terraform call model)."""
    pools = (n + LBS_PER_POOL - 1) // LBS_PER_POOL
    instances = pools * POOL
    return {"lb": n, "listener": 4 * n, "vsg": 2 * n, "msg": n, "backend_server": n,
            "vsg_members": 40 * n, "instance": instances,
            "vswitch": (instances + VSWITCH_HOSTS - 1) // VSWITCH_HOSTS, "vpc": 1, "sg": 1}


def terraform_calls(n: int, changed: int = 0) -> dict[str, int]:
    """API calls the alicloud Terraform provider's one-resource-at-a-time strategy makes (clb-api.md 4.x),
    counting only the calls it cannot avoid (one poll per wait, no retries, no tag reads):

    * refresh: one read per resource in state;
    * create: LB 3 (CreateLoadBalancer, one poll for active, Read); listener 6 (Create, wait stopped,
      Start, wait running, Set*ListenerAttribute, Read); VServer group 1 + (20 // 20 + 1) chunked
      AddVServerGroupBackendServers + Read = 4; master-slave group 2 (Create, Read); default servers
      2 (AddBackendServers, Read); ECS instance 3 (RunInstances, one poll for Running, Read); VPC and
      vSwitch 3 (Create, one poll, Read); security group 2;
    * corrected (``*_corrected``): the provider's listener read is DescribeLoadBalancerAttribute plus the
      per-protocol listener read, so each listener read counts two calls;
    * a 1% change: per changed LB the refresh of everything plus, for the listener, Set + Read and for
      the group SetVServerGroupAttribute (chunks of 20: 2 calls, as the chunk loop runs len/20+1 times)
      + Read.
    """
    s = shape(n)
    resources = (s["lb"] + s["listener"] + s["vsg"] + s["msg"] + s["backend_server"] + s["instance"]
                 + s["vswitch"] + s["vpc"] + s["sg"])
    create = (3 * s["lb"] + 6 * s["listener"] + (1 + (20 // 20 + 1) + 1) * s["vsg"] + 2 * s["msg"]
              + 2 * s["backend_server"] + 3 * s["instance"] + 3 * (s["vswitch"] + s["vpc"]) + 2 * s["sg"])
    update = changed * ((1 + 1) + (2 + 1))
    # corrected for what the provider really does: its listener read is DescribeLoadBalancerAttribute
    # plus the per-protocol Describe*ListenerAttribute, two calls (one more per listener read)
    listener_reads = s["listener"]
    return {"resources": resources, "refresh": resources, "apply_create": create,
            "refresh_corrected": resources + listener_reads, "apply_create_corrected": create + listener_reads,
            "plan_changed": resources, "apply_changed": resources + update}


# --- one phase, in a fresh process ----------------------------------------------------------------

class Counting:
    """Counts API calls that reach the cloud on disk (the shadow copy lives in memory: not counted)."""

    def __init__(self) -> None:
        self.calls: Counter = Counter()
        self.phase = "other"

    def install(self) -> None:
        # counted where the planner hands a call over: an apply's walk has its calls answered by a child
        # process (planner.engine.cloud_apart), which an Emulator.call wrapper here would not see
        from planner.providers.transport import InProcessTransport

        original = InProcessTransport.call
        me = self

        def call(transport: Any, product: str, action: str, params: Any) -> dict:
            if transport.emulator.path is not None:
                kind = "read" if action.startswith(("Describe", "List")) else "write"
                me.calls[(me.phase, kind)] += 1
                me.calls[("action", action)] += 1
            return original(transport, product, action, params)

        InProcessTransport.call = call  # type: ignore[method-assign]


CPU: dict[str, float] = {}  # CPU seconds (all threads) per step: steadier than wall time on a shared machine


def _timed(module: Any, name: str, times: dict[str, float], key: str, counting: Counting | None = None) -> None:
    """Wrap ``module.name`` so its wall time adds up under ``key`` (and its calls count under it);
    its CPU time adds up in ``CPU[key]``."""
    fn = getattr(module, name)

    def wrapper(*a: Any, **kw: Any) -> Any:
        prev = counting.phase if counting else None
        if counting:
            counting.phase = key
        t0, c0 = time.perf_counter(), time.process_time()
        try:
            return fn(*a, **kw)
        finally:
            times[key] = times.get(key, 0.0) + time.perf_counter() - t0
            CPU[key] = CPU.get(key, 0.0) + time.process_time() - c0
            if counting:
                counting.phase = prev or "other"

    setattr(module, name, wrapper)


def _count_child_refresh(counting: Counting, times: dict[str, float]) -> dict:
    """A plan that refreshes in a child process (planner.engine.background_refresh): its calls count as
    the refresh's, its wall time is reported as ``refresh (child)`` and the parent's wait for it as
    ``refresh wait``. Returns a dict the child's peak RSS lands in (empty when no child ran)."""
    from planner.engine.background_refresh import BackgroundRefresh

    seen: dict = {}
    answer = BackgroundRefresh.answer

    def wrapper(self: Any) -> Any:
        t0 = time.perf_counter()
        got = answer(self)
        times["refresh wait"] = times.get("refresh wait", 0.0) + time.perf_counter() - t0
        if got is not None:
            times["refresh (child)"] = got.seconds
            seen["rss_kib"] = got.peak_rss_kib
            for calls in got.calls.values():
                for action, k in calls.items():
                    kind = "read" if action.startswith(("Describe", "List")) else "write"
                    counting.calls[("refresh", kind)] += k
                    counting.calls[("action", action)] += k
        return got

    BackgroundRefresh.answer = wrapper  # type: ignore[method-assign]
    return seen


def _watch_cloud_servers() -> list:
    """The cloud processes the walk starts (planner.engine.cloud_apart), to report their CPU and memory."""
    from planner.engine import cloud_apart

    seen: list = []
    start = cloud_apart.CloudServer.start.__func__

    def watching(cls: Any, *args: Any) -> Any:
        server = start(cls, *args)
        if server is not None:
            seen.append(server)
        return server

    cloud_apart.CloudServer.start = classmethod(watching)  # type: ignore[method-assign, assignment]
    return seen


def run_phase(workdir: Path, phase: str, n: int, profile: Path | None) -> dict:
    """Run one phase the way ``clbplan plan``/``apply`` does and measure it."""
    import planner.engine.pipeline as pipeline
    from planner.process import keep as process_keep
    from planner.providers.alicloud import AlicloudProvider
    from planner.state.backend import LocalBackend

    counting = Counting()
    counting.install()
    times: dict[str, float] = {}
    _timed(pipeline, "_load", times, "load")
    _timed(pipeline, "_evaluate", times, "evaluate")
    _timed(pipeline, "plan_from", times, "diff+order")
    _timed(pipeline, "verify_plan", times, "verify")
    _timed(AlicloudProvider, "refresh", times, "refresh", counting)
    child = _count_child_refresh(counting, times)
    cloud_rss_mb = 0.0
    changed = [f"lb{i:05d}" for i in range(0, n, 100)] if phase == "plan1" else []
    var_args = [f"changed={json.dumps(changed)}"] if changed else []

    prof = cProfile.Profile() if profile else None
    t0 = time.perf_counter()
    c0 = time.process_time()
    if prof:
        prof.enable()
    backend = LocalBackend(workdir / "clbplan.tfstate")
    with backend.lock("apply" if phase == "apply" else "plan"):
        t_state, c_state = time.perf_counter(), time.process_time()
        state = backend.read()
        journal = backend.journal(state.lineage)
        times["state read"] = time.perf_counter() - t_state
        CPU["state read"] = time.process_time() - c_state
        t_plan = time.perf_counter()
        planned = pipeline.make_plan(workdir, state, var_args=var_args)
        times["plan total"] = time.perf_counter() - t_plan
        ops = Counter(op.kind.value for op in planned.plan.operations)
        if phase == "apply":
            state = planned.refreshed
            if not backend.path.exists():
                backend.write(state)
            counting.phase = "apply"
            t_apply, c_apply = time.perf_counter(), time.process_time()
            servers = _watch_cloud_servers()
            result = pipeline.apply_plan(planned, state, parallelism=10, journal=journal)
            times["apply"] = time.perf_counter() - t_apply
            CPU["apply"] = time.process_time() - c_apply
            for server in servers:  # the cloud's own process (planner.engine.cloud_apart), when it had one
                CPU["apply (cloud process)"] = round(server.cpu_seconds, 3)
                cloud_rss_mb = round(server.peak_rss_kib / 1024, 1)
            assert not result.failures, result.failures[:5]
            t_w = time.perf_counter()
            backend.write(state)
            journal.checkpoint()
            times["state write"] = time.perf_counter() - t_w
    total = time.perf_counter() - t0
    cpu = time.process_time() - c0  # all threads: steadier than wall time on a shared machine
    if prof:
        prof.disable()
        prof.dump_stats(str(profile))
    calls = {f"{p}:{k}": v for (p, k), v in counting.calls.items() if p != "action"}
    actions = {k: v for (p, k), v in counting.calls.items() if p == "action"}
    process_keep((planned, state, backend))
    return {"phase": phase, "n": n, "total_s": round(total, 3), "cpu_s": round(cpu, 3), "times_s": {k: round(v, 3) for k, v in times.items()},
            "cpu_times_s": {k: round(v, 3) for k, v in CPU.items()},
            "ops": dict(ops), "calls": calls, "actions": actions,
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
            **({"refresh_child_peak_rss_mb": round(child["rss_kib"] / 1024, 1)} if child else {}),
            **({"cloud_process_peak_rss_mb": cloud_rss_mb} if cloud_rss_mb else {}),
            "resources_in_state": len(state.resources)}


# --- driver ---------------------------------------------------------------------------------------

def bench_size(n: int, budget: float, profile_phase: str | None, keep: bool, splat: bool = False) -> dict:
    """All phases for one N, each in its own process, within ``budget`` seconds overall."""
    work = Path(tempfile.mkdtemp(prefix=f"clbplan-bench-{n}-"))
    (work / "main.tf").write_text(config_tf(n, splat=splat))
    deadline = time.monotonic() + budget
    out: dict[str, Any] = {"n": n, "shape": shape(n), "terraform": terraform_calls(n, changed=len(range(0, n, 100)))}
    try:
        for phase in ("apply", "plan0", "plan1"):
            left = deadline - time.monotonic()
            if left <= 0:
                out[phase] = {"skipped": "time budget exhausted"}
                continue
            prof = work / f"{phase}.prof" if profile_phase == phase else None
            cmd = [sys.executable, __file__, "--phase", phase, "--n", str(n), "--workdir", str(work)]
            if prof:
                cmd += ["--profile-out", str(prof)]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=left)
            except subprocess.TimeoutExpired:
                out[phase] = {"skipped": f"did not finish within the budget ({budget:.0f}s)"}
                break
            if proc.returncode != 0:
                out[phase] = {"error": proc.stderr[-3000:]}
                break
            out[phase] = json.loads(proc.stdout.strip().splitlines()[-1])
            if prof:
                out[phase]["profile"] = top_hotspots(prof)
            print(f"N={n} {phase}: {out[phase]['total_s']}s {out[phase]['times_s']} calls={out[phase]['calls']} "
                  f"rss={out[phase]['peak_rss_mb']}MB", file=sys.stderr, flush=True)
    finally:
        if not keep:
            shutil.rmtree(work, ignore_errors=True)
    return out


def top_hotspots(path: Path, limit: int = 15) -> str:
    buf = io.StringIO()
    stats = pstats.Stats(str(path), stream=buf)
    stats.strip_dirs().sort_stats("tottime").print_stats(limit)
    buf.write("\n--- by cumulative time ---\n")
    stats.sort_stats("cumulative").print_stats(limit + 10)
    return buf.getvalue()


def summary_rows(results: list[dict]) -> list[str]:
    """Markdown table rows: one per N."""
    rows = []
    for r in results:
        a, p0, p1, tf = r.get("apply", {}), r.get("plan0", {}), r.get("plan1", {}), r["terraform"]

        def t(ph: dict, key: str = "total_s") -> str:
            return f"{ph[key]:.2f}" if key in ph else (ph.get("skipped") or "error" if ph else "-")

        def c(ph: dict, *keys: str) -> int:
            return sum(v for k, v in ph.get("calls", {}).items() if k in keys)

        apply_calls = c(a, "apply:read", "apply:write")
        refresh_calls = c(p0, "refresh:read")
        plan1_calls = c(p1, "refresh:read")
        rows.append(
            f"| {r['n']:,} | {r['shape']['lb'] * 9 + r['shape']['instance'] + r['shape']['vswitch'] + 2:,} | "
            f"{t(p0)} | {t(p1)} | {t(a)} ({a.get('times_s', {}).get('apply', 0):.2f} walk) | "
            f"{tf['apply_create']:,} / {apply_calls:,} = {tf['apply_create'] / max(apply_calls, 1):.1f}x | "
            f"{tf['refresh']:,} / {refresh_calls:,} = {tf['refresh'] / max(refresh_calls, 1):.1f}x | "
            f"{plan1_calls:,} | "
            f"{a.get('peak_rss_mb', '-')} / {p0.get('peak_rss_mb', '-')} / {p1.get('peak_rss_mb', '-')} |")
    return rows


SECTION = "## Engine"
SPLAT_SECTION = "## Engine, groups on a splat (--splat)"


def results_text(results: list[dict], table: str, machine: str, args: argparse.Namespace) -> str:
    """The RESULTS.md section: what was measured, how, the table and the Terraform call model."""
    sizes = ",".join(str(r["n"]) for r in results)
    splat = " --splat" if args.splat else ""
    lines = [
        SPLAT_SECTION if args.splat else SECTION, "",
        f"`python bench/engine.py --sizes {sizes}{splat} --budget {args.budget:.0f} --results` on {machine}, "
        f"{time.strftime('%Y-%m-%d')}. Each phase is a fresh process (as a user runs the CLI), the embedded emulator "
        "on disk, the local state backend. Per load balancer: 4 listeners (TCP 80 on VServer group a, TCP 443, "
        "HTTP 8080 on group b, UDP 53 on a master-slave group), 2 VServer groups of 20 servers, a master-slave "
        "group, 10 default-group servers; one VPC, /20 vSwitches and 40 ECS instances per 40 load balancers. "
        + ("Every group takes its servers from `slice(alicloud_instance.app[*].id, ...)`: each depends on all "
           "ECS instances (a whole-resource dependency)." if args.splat else
           "Each group names its servers by an index computed from `each.value` (see `--splat` for the "
           "whole-resource form)."),
        "",
        "- *plan, no change*: refresh of everything + diff, nothing to verify; *plan, 1% changed*: every 100th "
        "load balancer gets a new listener bandwidth and new group weights, and the plan is verified on the "
        "shadow cloud; *apply from empty*: plan (with verification) + apply + state write.",
        "- API calls are the calls that reach the cloud (the shadow copy used for verification is in-process "
        "and not a cloud call). The Terraform figure is the one-call-per-resource strategy of the alicloud "
        "provider, counting only calls it cannot avoid (model in `terraform_calls()`): refresh is one read per "
        "resource; a listener create is Create, wait, Start, wait, Set, Read; a VServer group create is "
        "Create + chunked Add + Read.",
        "",
        table, "",
    ]
    for r in results:
        for ph in ("apply", "plan0", "plan1"):
            d = r.get(ph, {})
            if "times_s" in d:
                steps = ", ".join(f"{k} {v:.2f}s" for k, v in d["times_s"].items())
                lines.append(f"- N={r['n']:,} {ph}: {steps}; calls {d['calls']}")
            elif d:
                lines.append(f"- N={r['n']:,} {ph}: {d.get('skipped') or 'error: ' + d.get('error', '')[-300:]}")
    return "\n".join(lines) + "\n"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", default="100,1000", help="comma-separated N (load balancers)")
    ap.add_argument("--budget", type=float, default=900, help="seconds per size, all phases together")
    ap.add_argument("--profile", choices=["apply", "plan0", "plan1"], help="cProfile this phase")
    ap.add_argument("--json", type=Path, help="also write the raw results here")
    ap.add_argument("--keep", action="store_true", help="keep the generated working directories")
    ap.add_argument("--splat", action="store_true",
                    help="groups take their servers from slice(alicloud_instance.app[*].id, ...) (whole-resource "
                         "dependencies) instead of computed indexes")
    ap.add_argument("--results", nargs="?", const=REPO / "bench" / "RESULTS.md", type=Path,
                    help="rewrite the '## Engine' section of this file (default bench/RESULTS.md)")
    # internal: one phase in this process
    ap.add_argument("--phase", help=argparse.SUPPRESS)
    ap.add_argument("--n", type=int, help=argparse.SUPPRESS)
    ap.add_argument("--workdir", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--profile-out", type=Path, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.phase:
        # as the clbplan command runs (planner.cli.main): the collector's thresholds sized for a large
        # heap, the run kept to the end and no interpreter teardown; without this the benchmark paid
        # default-threshold collections the command never pays
        from planner import process

        process.one_shot()
        print(json.dumps(run_phase(args.workdir, args.phase, args.n, args.profile_out)), flush=True)
        sys.stderr.flush()
        os._exit(0)
    results = []
    for n in (int(x.replace("_", "").replace(",", "")) for x in args.sizes.split(",") if x.strip()):
        results.append(bench_size(n, args.budget, args.profile, args.keep, args.splat))
    table = "\n".join([
        "| N LBs | resources | plan, no change (s) | plan, 1% changed (s) | apply from empty (s) | "
        "API calls apply: Terraform / clbplan | API calls refresh: Terraform / clbplan | refresh calls, 1% plan | "
        "peak RSS MB apply / plan / plan 1% |",
        "|---|---|---|---|---|---|---|---|---|",
        *summary_rows(results)])
    machine = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    print(f"machine: {machine}")
    print(table)
    if args.results:
        from bench.results import write_section

        write_section(args.results, SPLAT_SECTION if args.splat else SECTION,
                      results_text(results, table, machine, args))
    for r in results:
        for ph in ("apply", "plan0", "plan1"):
            prof = r.get(ph, {}).get("profile")
            if prof:
                print(f"\n### cProfile N={r['n']} {ph}\n{prof}")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, default=str))


if __name__ == "__main__":
    main()
