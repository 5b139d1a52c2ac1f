"""Configuration load+evaluate benchmark: 1,000 and 10,000 CLB resources, cold and warm parse cache.

Usage: python bench/parse.py [--sizes 1000,10000] [--files 8]

Each measurement runs in a fresh subprocess (so peak RSS is that run's own, via ru_maxrss) and
prints a markdown table. "cold" = empty parse cache, "warm" = the cache written by the cold run.
Resource shapes cycle through: a load balancer with tags/merge(), a server group with two
``servers`` blocks, an HTTP listener with an x_forwarded_for block, and a counted server group
with a ``dynamic "servers"`` block.
"""

from __future__ import annotations

import argparse
import json
import os
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
import json, resource, statistics, sys, time
t0 = time.perf_counter()
from planner.config import load_module, evaluate
t1 = time.perf_counter()
m = load_module(sys.argv[1])
t2 = time.perf_counter()
c = evaluate(m, env={})
t3 = time.perf_counter()
again = []
for _ in range(int(sys.argv[2])):  # warm loads in the same process: the cache read alone, precisely
    s = time.perf_counter()
    load_module(sys.argv[1])
    again.append(time.perf_counter() - s)
print(json.dumps({"import": t1 - t0, "load": t2 - t1, "evaluate": t3 - t2, "resources": len(c.resources),
                  "reload_ms": statistics.median(again) * 1000 if again else None,
                  "maxrss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "child_maxrss_mb": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024}))
'''


def measure(directory: Path, repeats: int = 0) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD, str(directory), str(repeats)], capture_output=True, text=True,
                         check=False, env={**os.environ, "PYTHONHASHSEED": "0"})
    if out.returncode != 0:
        raise SystemExit(f"benchmark child failed:\n{out.stderr[-3000:]}")
    return json.loads(out.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", default="1000,10000")
    ap.add_argument("--files", type=int, default=8)
    ap.add_argument("--repeats", type=int, default=15, help="warm loads timed in the warm process (median)")
    args = ap.parse_args()
    rows = []
    started = time.perf_counter()
    for n in [int(x) for x in args.sizes.split(",")]:
        with tempfile.TemporaryDirectory(prefix="clbplan-bench-") as tmp:
            d = Path(tmp) / "cfg"
            size = generate(d, n, args.files)
            for phase in ("cold", "warm"):
                r = measure(d, args.repeats if phase == "warm" else 0)
                rows.append((n, size, phase, r))
    print("| resources | bytes | files | cache | load (s) | evaluate (s) | total (s) | res/s | peak RSS (MB) "
          "| worker peak RSS (MB) | warm reload, median (ms) |")
    print("|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|")
    for n, size, phase, r in rows:
        total = r["load"] + r["evaluate"]
        reload_ms = f"{r['reload_ms']:.1f}" if r.get("reload_ms") is not None else ""
        print(f"| {n:,} | {size:,} | {args.files} | {phase} | {r['load']:.2f} | {r['evaluate']:.2f} | "
              f"{total:.2f} | {n / total:,.0f} | {r['maxrss_mb']:.0f} | {r['child_maxrss_mb']:.0f} | {reload_ms} |")
    print(f"\n(cpu count {os.cpu_count()}, python {sys.version.split()[0]}, "
          f"wall {time.perf_counter() - started:.1f} s including generation)")


if __name__ == "__main__":
    main()
