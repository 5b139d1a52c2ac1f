"""In-process vs over the wire: the same work against the embedded emulator and against a served one.

Two parts, each run once with InProcessTransport and once with HttpTransport (the official OpenAPI client)
to ``clbplan emulator serve`` running in a separate process on 127.0.0.1:

1. executor (default 1,000 load balancers): each LB with a VServer group of 4 ECS servers and 2 listeners
   (http 80, tcp 443) on it, 4 operations per LB, applied by the real executor + alicloud provider, then
   every resource refreshed in bulk. This isolates what the transport costs at scale.
2. pipeline (default 100 load balancers, same shape written as HCL with ``count``): the real plan/apply
   pipeline: first plan (verified on a shadow; over HTTP rebuilt from the served dump), apply with journal
   and state, and the refresh plan after it.

Prints markdown tables of wall times and API calls, with the HTTP / in-process ratios for apply and
refresh; ``--results`` also (re)writes the "## Wire" section of that file (the other sections are kept).

    python bench/wire.py [--lbs 1000] [--pipeline-lbs 100] [--parallelism 10] [--results bench/RESULTS.md]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.results import write_section  # noqa: E402

SECTION = "## Wire"

AK_ID, AK_SECRET = "bench-wire", "bench-wire-secret"

CONFIG = """
provider "alicloud" {
  region = "cn-hangzhou"
%(endpoints)s}

variable "n" {
  type    = number
  default = %(n)d
}

data "alicloud_images" "ubuntu" {
  name_regex  = "^ubuntu_22_04"
  most_recent = true
}

resource "alicloud_vpc" "main" {
  vpc_name   = "wire-vpc"
  cidr_block = "172.16.0.0/12"
}

resource "alicloud_vswitch" "main" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "172.16.0.0/16"
  zone_id      = "cn-hangzhou-h"
  vswitch_name = "wire-vsw"
}

resource "alicloud_security_group" "app" {
  security_group_name = "wire-sg"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_instance" "app" {
  count           = 4
  instance_name   = "wire-app-${count.index}"
  image_id        = data.alicloud_images.ubuntu.ids[0]
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.app.id]
}

resource "alicloud_slb_load_balancer" "lb" {
  count              = var.n
  load_balancer_name = "wire-lb-${count.index}"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s2.small"
}

resource "alicloud_slb_server_group" "web" {
  count            = var.n
  load_balancer_id = alicloud_slb_load_balancer.lb[count.index].id
  name             = "wire-web-${count.index}"

  servers {
    server_ids = alicloud_instance.app[*].id
    port       = 8080
    weight     = 100
  }
}

resource "alicloud_slb_listener" "http" {
  count            = var.n
  load_balancer_id = alicloud_slb_load_balancer.lb[count.index].id
  protocol         = "http"
  frontend_port    = 80
  server_group_id  = alicloud_slb_server_group.web[count.index].id
  bandwidth        = -1
  sticky_session   = "off"
}

resource "alicloud_slb_listener" "tcp" {
  count            = var.n
  load_balancer_id = alicloud_slb_load_balancer.lb[count.index].id
  protocol         = "tcp"
  frontend_port    = 443
  server_group_id  = alicloud_slb_server_group.web[count.index].id
  bandwidth        = -1
}
"""


def start_server(state: Path) -> tuple[subprocess.Popen, str]:
    """``clbplan emulator serve`` on an ephemeral loopback port, in its own process (its own GIL)."""
    cmd = [sys.executable, "-c", "from planner.cli.main import main; main()", "emulator", "serve",
           "--port", "0", "--state", str(state), "--access-key-id", AK_ID, "--access-key-secret", AK_SECRET]
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, cwd=ROOT)
    assert proc.stdout is not None
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        m = re.search(r"listening on http://(\S+)", line)
        if m:
            return proc, m.group(1)
        if proc.poll() is not None:
            break
    proc.kill()
    raise SystemExit("the served emulator did not start")


def _progress(work: Path, phase: str, figures: tuple[float, int]) -> None:
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"  {work.name}: {phase} {figures[0]:.2f} s, {figures[1]} calls, peak RSS {rss_mb:.0f} MB",
          file=sys.stderr, flush=True)


def run_mode(work: Path, parallelism: int) -> dict[str, tuple[float, int]]:
    from planner.engine.pipeline import apply_plan, final_outputs, make_plan
    from planner.state.backend import LocalBackend

    backend = LocalBackend(work / "clbplan.tfstate")
    out: dict[str, tuple[float, int]] = {}
    with backend.lock("bench"):
        t0 = time.perf_counter()
        planned = make_plan(work, backend.read())
        out["plan"] = (time.perf_counter() - t0, planned.transport.total_calls)
        _progress(work, "plan", out["plan"])
        out["dumps"] = (0.0, getattr(planned.transport, "dump_fetches", 0))
        state = planned.refreshed
        journal = backend.journal(state.lineage)
        before = planned.transport.total_calls
        t0 = time.perf_counter()
        result = apply_plan(planned, state, parallelism=parallelism, journal=journal)
        if result.failures:
            raise SystemExit(f"apply failed: {result.failures[:3]}")
        state.outputs = final_outputs(planned, state)
        backend.write(state)
        journal.checkpoint()
        out["apply"] = (time.perf_counter() - t0, planned.transport.total_calls - before)
        _progress(work, "apply", out["apply"])
        t0 = time.perf_counter()
        again = make_plan(work, backend.read())
        out["refresh"] = (time.perf_counter() - t0, again.transport.total_calls)
        if again.plan.has_changes:
            raise SystemExit("the plan after apply is not empty")
    out["resources"] = (0.0, len(state.resources))
    return out


IMAGE = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"


def executor_part(transport, n_lbs: int, parallelism: int) -> dict[str, tuple[float, int]]:
    """Apply N stacks through the executor and refresh them; returns phase -> (seconds, API calls)."""
    from planner.addresses import ResourceAddress
    from planner.apply import Executor
    from planner.plan.model import Action, Edge, Operation, OpKind, ResourceChange
    from planner.providers.alicloud import AlicloudProvider
    from planner.providers.retry import RetryPolicy
    from planner.state.model import State
    from planner.values import UNKNOWN

    call = transport.call
    vpc = call("Vpc", "CreateVpc", {"CidrBlock": "10.0.0.0/8"})["VpcId"]
    vsw = call("Vpc", "CreateVSwitch", {"VpcId": vpc, "ZoneId": "cn-hangzhou-h",
                                        "CidrBlock": "10.0.0.0/16"})["VSwitchId"]
    sg = call("Ecs", "CreateSecurityGroup", {"VpcId": vpc})["SecurityGroupId"]
    servers = call("Ecs", "RunInstances", {"VSwitchId": vsw, "SecurityGroupId": sg, "ImageId": IMAGE,
                                           "InstanceType": "ecs.g6.large", "Amount": 4})[
        "InstanceIdSets"]["InstanceIdSet"]

    ops: list[Operation] = []
    edges: list[Edge] = []
    refs: dict[ResourceAddress, dict[str, ResourceAddress]] = {}

    def add(type_: str, name: str, after: dict, deps: dict[str, ResourceAddress], key: str) -> None:
        addr = ResourceAddress(type_, name)
        op = Operation(addr, OpKind.CREATE, ResourceChange(addr, Action.CREATE, None, after), load_balancer=key)
        ops.append(op)
        refs[addr] = deps
        for target in set(deps.values()):
            edges.append(Edge(f"{target}:create", op.id, "reference"))

    for n in range(n_lbs):
        lb = ResourceAddress("alicloud_slb_load_balancer", f"lb{n}")
        key = f"new:{lb}"
        add(lb.type, lb.name, {"load_balancer_name": f"wire-lb-{n}", "address_type": "intranet",
                               "vswitch_id": vsw, "load_balancer_spec": "slb.s2.small"}, {}, key)
        group = ResourceAddress("alicloud_slb_server_group", f"g{n}")
        add(group.type, group.name, {"load_balancer_id": UNKNOWN, "name": f"wire-web-{n}",
                                     "servers": [{"server_ids": list(servers), "port": 8080, "weight": 100}]},
            {"load_balancer_id": lb}, key)
        for proto, port in (("http", 80), ("tcp", 443)):
            add("alicloud_slb_listener", f"{proto}{n}", {
                "load_balancer_id": UNKNOWN, "frontend_port": port, "protocol": proto, "bandwidth": -1,
                "server_group_id": UNKNOWN, "sticky_session": "off"},
                {"load_balancer_id": lb, "server_group_id": group}, key)

    def planned_values(op: Operation, applied) -> dict:
        out = dict(op.change.after)
        for attr, target in refs[op.address].items():
            out[attr] = applied[target]["id"]
        return out

    retry = RetryPolicy(base_delay=0.002, max_delay=0.05, max_attempts=40, max_retry_after=0.01, seed=1)
    provider = AlicloudProvider(transport, "cn-hangzhou", retry=retry, poll_interval=0.001)
    before = transport.total_calls
    t0 = time.perf_counter()
    result = Executor(provider, parallelism=parallelism, planned_values=planned_values).run(ops, edges, State())
    apply_s = time.perf_counter() - t0
    if result.failures:
        raise SystemExit(f"apply failed: {result.failures[:3]}")
    apply_calls = transport.total_calls - before
    resources = list(result.state.resources.values())
    before = transport.total_calls
    t0 = time.perf_counter()
    provider.refresh(resources)
    refresh_s = time.perf_counter() - t0
    out = {"apply": (apply_s, apply_calls), "refresh": (refresh_s, transport.total_calls - before),
           "operations": (0.0, len(ops))}
    print(f"  executor: apply {apply_s:.2f} s / {apply_calls} calls, refresh {refresh_s:.2f} s", file=sys.stderr,
          flush=True)
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--lbs", type=int, default=1000, help="load balancers for the executor part")
    ap.add_argument("--pipeline-lbs", type=int, default=100, help="load balancers for the pipeline part (0: skip)")
    ap.add_argument("--parallelism", type=int, default=10)
    ap.add_argument("--results", type=Path, default=None,
                    help=f"(re)write the {SECTION!r} section of this file (e.g. bench/RESULTS.md)")
    args = ap.parse_args(argv)
    for name in ("ALIBABA_CLOUD_ACCESS_KEY_ID", "ALIBABA_CLOUD_ACCESS_KEY_SECRET", "ALICLOUD_ACCESS_KEY",
                 "ALICLOUD_SECRET_KEY", "CLBPLAN_REAL_CLOUD"):
        os.environ.pop(name, None)
    from planner.emulator import Emulator
    from planner.providers.http_transport import HttpTransport
    from planner.providers.transport import InProcessTransport

    started = time.perf_counter()
    load_start = os.getloadavg()[0]
    tmp = Path(tempfile.mkdtemp(prefix="clbplan-wire-"))
    http_name = "HTTP (served emulator, official SDK)"

    executor: dict[str, dict[str, tuple[float, int]]] = {}
    emu = Emulator(tmp / "in-process.sqlite")
    executor["in-process"] = executor_part(InProcessTransport(emu), args.lbs, args.parallelism)
    emu.close()
    proc, endpoint = start_server(tmp / "served-executor.sqlite")
    try:
        t = HttpTransport({"Slb": endpoint, "Vpc": endpoint, "Ecs": endpoint}, "cn-hangzhou", AK_ID, AK_SECRET)
        executor[http_name] = executor_part(t, args.lbs, args.parallelism)
    finally:
        stop_server(proc)

    pipeline: dict[str, dict[str, tuple[float, int]]] = {}
    if args.pipeline_lbs:
        local = tmp / "in-process"
        local.mkdir()
        (local / "main.tf").write_text(CONFIG % {"n": args.pipeline_lbs, "endpoints": ""})
        pipeline["in-process"] = run_mode(local, args.parallelism)
        proc, endpoint = start_server(tmp / "served-pipeline.sqlite")
        try:
            wire = tmp / "http"
            wire.mkdir()
            eps = (f'  access_key = "{AK_ID}"\n  secret_key = "{AK_SECRET}"\n'
                   f'  endpoints {{\n    slb = "{endpoint}"\n    vpc = "{endpoint}"\n    ecs = "{endpoint}"\n  }}\n')
            (wire / "main.tf").write_text(CONFIG % {"n": args.pipeline_lbs, "endpoints": eps})
            pipeline[http_name] = run_mode(wire, args.parallelism)
        finally:
            stop_server(proc)

    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    load = (load_start, os.getloadavg()[0])
    text = report(args, executor, pipeline, rss, time.perf_counter() - started, http_name, load)
    print("\n" + text)
    if args.results:
        write_section(args.results, SECTION, text)
        print(f"wrote the {SECTION!r} section of {args.results}", file=sys.stderr)
    return 0


def _ratio(http_s: float, local_s: float) -> str:
    return f"{http_s / local_s:.1f}x" if local_s > 0 else "n/a"


def report(args: argparse.Namespace, executor: dict[str, dict[str, tuple[float, int]]],
           pipeline: dict[str, dict[str, tuple[float, int]]], rss_mib: float, seconds: float,
           http_name: str, load: tuple[float, float]) -> str:
    """The markdown section: machine and exact command first, so a figure is never read without them,
    then the tables and the HTTP / in-process ratios for apply and refresh."""
    command = f"python bench/wire.py --lbs {args.lbs} --pipeline-lbs {args.pipeline_lbs} " \
              f"--parallelism {args.parallelism}" + (f" --results {args.results}" if args.results else "")
    lines = [
        SECTION, "",
        f"Command: `{command}` ({time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}, {seconds:.0f} s wall).",
        f"Machine: {os.cpu_count()} CPUs ({platform.machine()}, {platform.system()}), Python "
        f"{platform.python_version()}; the served emulator is `clbplan emulator serve` in its own process on "
        f"127.0.0.1, reached through the official OpenAPI client (signed requests, connection reuse). "
        f"Parallelism {args.parallelism}; peak RSS of the benchmark process {rss_mib:.0f} MiB. "
        f"Load average at the start {load[0]:.2f} / at the end {load[1]:.2f} (above ~0.5 other jobs shared the "
        "CPUs: read the figures as noisy).",
        "",
    ]
    n_ops = executor["in-process"]["operations"][1]
    lines += [
        f"Executor + provider, {args.lbs} load balancers ({n_ops} create operations: per LB the LB, a VServer "
        "group of 4 ECS servers, 2 listeners), then a bulk refresh of every resource:",
        "",
        "| target | apply (s) | apply calls | calls/s | refresh (s) | refresh calls |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for name, r in executor.items():
        (at, ac), (rt, rc) = r["apply"], r["refresh"]
        lines.append(f"| {name} | {at:.2f} | {ac} | {ac / at:.0f} | {rt:.2f} | {rc} |")
    local, wire = executor["in-process"], executor[http_name]
    lines += ["", f"HTTP / in-process: apply {_ratio(wire['apply'][0], local['apply'][0])}, "
                  f"refresh {_ratio(wire['refresh'][0], local['refresh'][0])}."]
    if pipeline:
        n_res = pipeline["in-process"]["resources"][1]
        lines += [
            "",
            f"Whole pipeline (HCL with count; first plan verified on a shadow, over HTTP rebuilt from the "
            f"served dump; apply with journal and state; then the refresh plan), {args.pipeline_lbs} load "
            f"balancers ({n_res} resources):",
            "",
            "| target | plan (s) | plan calls (+dumps) | apply (s) | apply calls | refresh plan (s) | refresh calls |",
            "|---|---:|---:|---:|---:|---:|---:|",
        ]
        for name, r in pipeline.items():
            (pt, pc), (at, ac), (rt, rc) = r["plan"], r["apply"], r["refresh"]
            lines.append(f"| {name} | {pt:.2f} | {pc} (+{r['dumps'][1]}) | {at:.2f} | {ac} | {rt:.2f} | {rc} |")
        local, wire = pipeline["in-process"], pipeline[http_name]
        lines += ["", f"HTTP / in-process: apply {_ratio(wire['apply'][0], local['apply'][0])}, "
                      f"refresh plan {_ratio(wire['refresh'][0], local['refresh'][0])}."]
    return "\n".join(lines) + "\n"


def stop_server(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


if __name__ == "__main__":
    raise SystemExit(main())
