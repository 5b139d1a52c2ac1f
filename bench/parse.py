"""Configuration load+evaluate benchmark: 1,000 and 10,000 CLB resources, cold and warm parse cache.

Usage: python bench/parse.py [--sizes 1000,10000] [--files 8] [--no-hcl2json]
       taskset -c 0 python bench/parse.py --sizes 10000      # one core (issue 17's ratio)

Each measurement runs in a fresh subprocess (so peak RSS is that run's own, via ru_maxrss) and
prints a markdown table. "cold" = empty parse cache, "warm" = the cache written by the cold run.
"load CPU" is the CPU seconds of ``load_module`` in that process and its parse workers.

The same files are then parsed by HashiCorp's HCL parser (Go, compiled to WASM: the npm package
``@cdktf/hcl2json``, installed on first use under ``~/.cache/clbplan-bench``, never into the
repository), in the same run, and the load is given as a ratio of its time (issue 17: cold on one
core <= 1.0x, warm <= 0.2x). Without node/npm that part is skipped with a message. The engine
benchmark's own configuration (``bench/engine.py``'s ``config_tf(N)``: N load balancers as
``for_each`` blocks, a few KB of text) is measured the same way (rows "engine").
Resource shapes cycle through: a load balancer with tags/merge(), a server group with two
``servers`` blocks, an HTTP listener with an x_forwarded_for block, and a counted server group
with a ``dynamic "servers"`` block.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HEADER = '''
provider "alicloud" {
  region = "cn-hangzhou"
}

variable "env" {
  type    = string
  default = "bench"
}

variable "backends" {
  type = list(object({ id = string, port = number }))
  default = [
    { id = "i-bench0001", port = 8080 },
    { id = "i-bench0002", port = 8081 },
  ]
}

locals {
  common_tags = { env = var.env, team = "clb" }
  enabled     = true
}
'''

SHAPES = [
    '''
resource "alicloud_slb_load_balancer" "lb{i}" {{
  load_balancer_name = "${{var.env}}-lb-{i}"
  load_balancer_spec = "slb.s2.small"
  address_type       = "intranet"
  tags               = merge(local.common_tags, {{ unit = "{i}" }})
}}
''',
    '''
resource "alicloud_slb_server_group" "grp{i}" {{
  load_balancer_id = alicloud_slb_load_balancer.lb{j}.id
  name             = format("grp-%05d", {i})
  servers {{
    server_ids = ["i-a{i}", "i-b{i}"]
    port       = 80
    weight     = 100
  }}
  servers {{
    server_ids = ["i-c{i}"]
    port       = 8080
    weight     = 50
  }}
}}
''',
    '''
resource "alicloud_slb_listener" "http{i}" {{
  load_balancer_id          = alicloud_slb_load_balancer.lb{j}.id
  protocol                  = "http"
  frontend_port             = 80
  server_group_id           = alicloud_slb_server_group.grp{k}.id
  bandwidth                 = -1
  sticky_session            = "off"
  health_check              = "on"
  health_check_uri          = "/status"
  health_check_connect_port = 80
  healthy_threshold         = 3
  unhealthy_threshold       = 3
  x_forwarded_for {{
    retrive_slb_ip = true
  }}
}}
''',
    '''
resource "alicloud_slb_server_group" "dyn{i}" {{
  count            = local.enabled ? 1 : 0
  load_balancer_id = alicloud_slb_load_balancer.lb{j}.id
  name             = "dyn-{i}-${{count.index}}"
  dynamic "servers" {{
    for_each = var.backends
    content {{
      server_ids = [servers.value.id]
      port       = servers.value.port
      weight     = lookup({{ "8080" = 100 }}, tostring(servers.value.port), 10)
    }}
  }}
}}
''',
]


def generate(directory: Path, n: int, files: int) -> int:
    """Write ``n`` resources split over ``files`` files; returns total bytes."""
    directory.mkdir(parents=True, exist_ok=True)
    chunks: list[list[str]] = [[] for _ in range(files)]
    for i in range(n):
        unit = i // 4
        shape = SHAPES[i % 4]
        text = shape.format(i=unit, j=unit, k=unit)
        chunks[unit % files].append(text)
    total = 0
    for f, parts in enumerate(chunks):
        body = (HEADER if f == 0 else "") + "".join(parts)
        (directory / f"clb_{f:02d}.tf").write_text(body)
        total += len(body)
    return total


CHILD = r'''
import json, os, resource, statistics, sys, time
t0 = time.perf_counter()
from planner.config import load_module, evaluate
t1 = time.perf_counter()
c1, w1 = time.process_time(), os.times()
m = load_module(sys.argv[1])
t2 = time.perf_counter()
w2 = os.times()
load_cpu = time.process_time() - c1 + (w2.children_user + w2.children_system) - (w1.children_user + w1.children_system)
c = evaluate(m, env={}) if sys.argv[3] == "evaluate" else None
t3 = time.perf_counter()
again = []
for _ in range(int(sys.argv[2])):  # warm loads in the same process: the cache read alone, precisely
    s = time.perf_counter()
    load_module(sys.argv[1])
    again.append(time.perf_counter() - s)
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "load_cpu": load_cpu, "evaluate": t3 - t2, "resources": len(c.resources) if c else None,
                  "reload_ms": statistics.median(again) * 1000 if again else None,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "child_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
'''


HCL2JSON = "@cdktf/hcl2json@0.21.0"
NODE_SCRIPT = r'''
// argv: package dir, config dir. Parses every .tf file as the benchmark's Python child loads them.
const { parse } = require(process.argv[2]);
const fs = require("fs"), path = require("path");
(async () => {
  const dir = process.argv[3];
  const names = fs.readdirSync(dir).filter(n => n.endsWith(".tf")).sort();
  await parse("warmup.tf", "locals {}\n");  // WASM compiled and started: not part of the load
  const c0 = process.cpuUsage(), t0 = process.hrtime.bigint();
  let blocks = 0;
  for (const n of names) {
    const doc = await parse(n, fs.readFileSync(path.join(dir, n), "utf8"));
    for (const t of Object.values(doc.resource || {})) blocks += Object.keys(t).length;
  }
  const t1 = process.hrtime.bigint(), c1 = process.cpuUsage(c0);
  console.log(JSON.stringify({ load: Number(t1 - t0) / 1e9, load_cpu: (c1.user + c1.system) / 1e6,
                               resource_blocks: blocks }));
})().catch(e => { console.error(String(e)); process.exit(1); });
'''


def hcl2json_dir() -> Path:
    """Where the npm package is installed: the user's cache, never the repository."""
    base = os.environ.get("XDG_CACHE_HOME") or ""
    root = Path(base) if base and os.path.isabs(base) else Path.home() / ".cache"
    return root / "clbplan-bench"


def ensure_hcl2json() -> Path | None:
    """The installed ``@cdktf/hcl2json`` package folder, installing it on first use; None (with a message
    saying why) when node or npm is missing or the install fails."""
    node, npm = shutil.which("node"), shutil.which("npm")
    if not node or not npm:
        print(f"hcl2json comparison skipped: {'node' if not node else 'npm'} is not installed", file=sys.stderr)
        return None
    home = hcl2json_dir()
    pkg = home / "node_modules" / "@cdktf" / "hcl2json"
    if not (pkg / "package.json").exists():
        home.mkdir(parents=True, exist_ok=True)
        print(f"installing {HCL2JSON} under {home} ...", file=sys.stderr)
        done = subprocess.run([npm, "install", "--prefix", str(home), "--no-audit", "--no-fund", "--silent",
                               HCL2JSON], capture_output=True, text=True, check=False, timeout=600)
        if done.returncode != 0 or not (pkg / "package.json").exists():
            print(f"hcl2json comparison skipped: npm install failed:\n{done.stderr[-2000:]}", file=sys.stderr)
            return None
    (home / "load.js").write_text(NODE_SCRIPT)
    return pkg


def measure_hcl2json(pkg: Path, directory: Path) -> dict:
    """HashiCorp's parser on the same files, in a node process of its own (same CPU affinity as ours)."""
    out = subprocess.run(["node", str(pkg.parents[2] / "load.js"), str(pkg), str(directory)],
                         capture_output=True, text=True, check=False)
    if out.returncode != 0:
        raise SystemExit(f"hcl2json child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def measure(directory: Path, repeats: int = 0, evaluate: bool = True) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(directory), str(repeats),
                          "evaluate" if evaluate else "load"], capture_output=True, text=True,
                         check=False, env={**os.environ, "PYTHONHASHSEED": "0"})
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=15, help="warm loads timed in the warm process (median)")
    ap.add_argument("--no-hcl2json", action="store_true", help="skip the comparison with HashiCorp's parser")
    ap.add_argument("--no-engine", action="store_true", help="skip bench/engine.py's configuration")
    args = ap.parse_args()
    pkg = None if args.no_hcl2json else ensure_hcl2json()
    rows, ratios = [], []
    started = time.perf_counter()
    for n in [int(x) for x in args.sizes.split(",")]:
        configs = [("parse", True)] + ([] if args.no_engine else [("engine", False)])
        for kind, evaluate in configs:
            with tempfile.TemporaryDirectory(prefix="clbplan-bench-") as tmp:
                d = Path(tmp) / "cfg"
                if kind == "parse":
                    size, files = generate(d, n, args.files), args.files
                else:
                    sys.path.insert(0, str(Path(__file__).resolve().parent))
                    from engine import config_tf

                    d.mkdir(parents=True)
                    size, files = (d / "main.tf").write_text(config_tf(n)), 1
                ref = measure_hcl2json(pkg, d) if pkg else None
                for phase in ("cold", "warm"):
                    r = measure(d, args.repeats if phase == "warm" else 0, evaluate)
                    rows.append((kind, n, size, files, phase, r))
                    if ref:
                        ratios.append((kind, n, phase, r, ref))
    print("| config | N | bytes | files | cache | load (s) | load CPU (s) | evaluate (s) | total (s) | peak RSS (MB) "
          "| worker peak RSS (MB) | warm reload, median (ms) |")
    print("|---|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for kind, n, size, files, phase, r in rows:
        total = r["load"] + r["evaluate"]
        reload_ms = f"{r['reload_ms']:.1f}" if r.get("reload_ms") is not None else ""
        evaluate_s = f"{r['evaluate']:.2f}" if r["resources"] is not None else "-"
        print(f"| {kind} | {n:,} | {size:,} | {files} | {phase} | {r['load']:.2f} | {r['load_cpu']:.2f} | "
              f"{evaluate_s} | {total:.2f} | {r['maxrss_mb']:.0f} | {r['child_maxrss_mb']:.0f} | {reload_ms} |")
    if ratios:
        print(f"\nAgainst HashiCorp's HCL parser ({HCL2JSON}, Go as WASM under node {node_version()}), same files, "
              "same run: its parse of every file after the WASM module started, against clbplan's load_module.")
        print("\n| config | N | cache | hcl2json load (s) | hcl2json CPU (s) | clbplan load (s) | clbplan CPU (s) "
              "| ratio, wall | ratio, CPU |")
        print("|---|---:|---|---:|---:|---:|---:|---:|---:|")
        for kind, n, phase, r, ref in ratios:
            print(f"| {kind} | {n:,} | {phase} | {ref['load']:.3f} | {ref['load_cpu']:.3f} | {r['load']:.3f} | "
                  f"{r['load_cpu']:.3f} | {r['load'] / max(ref['load'], 1e-9):.2f}x | "
                  f"{r['load_cpu'] / max(ref['load_cpu'], 1e-9):.2f}x |")
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else None
    print(f"\n(cpu count {os.cpu_count()}, usable cpus {cpus}, python {sys.version.split()[0]}, "
          f"wall {time.perf_counter() - started:.1f} s including generation)")


def node_version() -> str:
    try:
        return subprocess.run(["node", "--version"], capture_output=True, text=True, check=False).stdout.strip()
    except OSError:
        return "?"


if __name__ == "__main__":
    main()
