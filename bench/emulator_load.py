"""Bounded loopback load test of the emulator: calls per second in-process and over signed HTTP.

    python bench/emulator_load.py [--inproc-calls 5000] [--http-calls 2000] [--threads 4] [--timeout 120]

Both paths run the same mix against a fresh on-disk (SQLite) emulator holding a few load balancers:
50% DescribeLoadBalancerAttribute, 25% DescribeLoadBalancers, 25% SetLoadBalancerName (a write).
The HTTP path uses the official SDK (tea-openapi ``call_api``, V3 signatures) with one client per
thread; a third row sends the same calls with our own signer over keep-alive ``http.client`` to
separate the server's cost from the SDK's. Clients and server share one process (and its GIL), so
the HTTP figures are a lower bound. Prints a markdown table; nothing is timed inside unit tests.
"""

from __future__ import annotations

import argparse
import platform
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

from planner.emulator import Emulator
from planner.emulator.server import serve

AK_ID, AK_SECRET = "bench", "bench-secret"
N_LBS = 8


class Deadline(Exception):
    pass


def _setup(emu: Emulator) -> list[str]:
    ids = []
    for i in range(N_LBS):
        r = emu.call("Slb", "CreateLoadBalancer", {"RegionId": "cn-hangzhou", "LoadBalancerName": f"bench-{i}",
                                                    "AddressType": "internet", "LoadBalancerSpec": "slb.s1.small"})
        ids.append(r["LoadBalancerId"])
    return ids


def _mix(i: int, lbs: list[str]) -> tuple[str, dict[str, str]]:
    lb = lbs[i % len(lbs)]
    kind = i % 4
    if kind in (0, 1):
        return "DescribeLoadBalancerAttribute", {"RegionId": "cn-hangzhou", "LoadBalancerId": lb}
    if kind == 2:
        return "DescribeLoadBalancers", {"RegionId": "cn-hangzhou", "PageSize": "10"}
    return "SetLoadBalancerName", {"RegionId": "cn-hangzhou", "LoadBalancerId": lb, "LoadBalancerName": f"n{i}"}


def bench_inprocess(calls: int, deadline: float) -> dict[str, Any]:
    with tempfile.TemporaryDirectory() as d:
        emu = Emulator(Path(d) / "emulator.sqlite")
        try:
            lbs = _setup(emu)
            latencies = []
            start = time.perf_counter()
            for i in range(calls):
                if time.monotonic() > deadline:
                    raise Deadline(f"in-process: only {i} of {calls} calls before the timeout")
                action, params = _mix(i, lbs)
                t0 = time.perf_counter()
                emu.call("Slb", action, params)
                latencies.append(time.perf_counter() - t0)
            elapsed = time.perf_counter() - start
        finally:
            emu.close()
    return _summary("in-process `Emulator.call`", calls, 1, elapsed, latencies)


def bench_http(calls: int, threads: int, deadline: float) -> dict[str, Any]:
    from alibabacloud_tea_openapi import models as om
    from alibabacloud_tea_openapi.client import Client
    from darabonba.runtime import RuntimeOptions

    with tempfile.TemporaryDirectory() as d:
        emu = Emulator(Path(d) / "emulator.sqlite")
        server = serve(emu, "127.0.0.1", 0, {AK_ID: AK_SECRET})
        try:
            lbs = _setup(emu)
            per_thread = [calls // threads + (1 if t < calls % threads else 0) for t in range(threads)]
            latencies: list[float] = []
            errors: list[BaseException] = []
            lock = threading.Lock()

            def worker(t: int) -> None:
                client = Client(om.Config(access_key_id=AK_ID, access_key_secret=AK_SECRET,
                                          endpoint=server.endpoint, protocol="http", region_id="cn-hangzhou"))
                mine = []
                try:
                    for j in range(per_thread[t]):
                        if time.monotonic() > deadline:
                            raise Deadline(f"HTTP thread {t}: only {j} calls before the timeout")
                        action, params = _mix(j * threads + t, lbs)
                        api = om.Params(action=action, version="2014-05-15", protocol="HTTP", pathname="/",
                                        method="POST", auth_type="AK", style="RPC", req_body_type="formData",
                                        body_type="json")
                        t0 = time.perf_counter()
                        client.call_api(api, om.OpenApiRequest(query=params), RuntimeOptions())
                        mine.append(time.perf_counter() - t0)
                except BaseException as e:  # noqa: BLE001 - reported by the main thread
                    errors.append(e)
                with lock:
                    latencies.extend(mine)

            workers = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
            start = time.perf_counter()
            for w in workers:
                w.start()
            for w in workers:
                w.join(max(1.0, deadline - time.monotonic() + 5))
            elapsed = time.perf_counter() - start
            if errors:
                raise errors[0]
        finally:
            server.shutdown()
            emu.close()
    return _summary(f"SDK over HTTP (V3 signed, {threads} threads)", len(latencies), threads, elapsed, latencies)


def bench_raw_http(calls: int, threads: int, deadline: float) -> dict[str, Any]:
    """The same calls signed by our own V3 signer over keep-alive http.client: the server's cost
    without the SDK's client-side work (both still share this process's GIL)."""
    import http.client
    import json
    from urllib.parse import urlencode

    from planner.emulator.signatures import sign_v3

    with tempfile.TemporaryDirectory() as d:
        emu = Emulator(Path(d) / "emulator.sqlite")
        server = serve(emu, "127.0.0.1", 0, {AK_ID: AK_SECRET})
        try:
            lbs = _setup(emu)
            per_thread = [calls // threads + (1 if t < calls % threads else 0) for t in range(threads)]
            latencies: list[float] = []
            errors: list[BaseException] = []
            lock = threading.Lock()

            def worker(t: int) -> None:
                conn = http.client.HTTPConnection(server.host, server.port, timeout=30)
                mine = []
                try:
                    for j in range(per_thread[t]):
                        if time.monotonic() > deadline:
                            raise Deadline(f"raw HTTP thread {t}: only {j} calls before the timeout")
                        action, params = _mix(j * threads + t, lbs)
                        t0 = time.perf_counter()
                        headers = sign_v3(method="POST", host=server.endpoint, action=action, version="2014-05-15",
                                          query=params, access_key_id=AK_ID, access_key_secret=AK_SECRET)
                        conn.request("POST", "/?" + urlencode(params), headers=headers)
                        response = conn.getresponse()
                        body = response.read()
                        if response.status != 200:
                            raise RuntimeError(f"{action}: HTTP {response.status} {json.loads(body)}")
                        mine.append(time.perf_counter() - t0)
                except BaseException as e:  # noqa: BLE001 - reported by the main thread
                    errors.append(e)
                finally:
                    conn.close()
                with lock:
                    latencies.extend(mine)

            workers = [threading.Thread(target=worker, args=(t,)) for t in range(threads)]
            start = time.perf_counter()
            for w in workers:
                w.start()
            for w in workers:
                w.join(max(1.0, deadline - time.monotonic() + 5))
            elapsed = time.perf_counter() - start
            if errors:
                raise errors[0]
        finally:
            server.shutdown()
            emu.close()
    return _summary(f"raw signed HTTP, no SDK ({threads} threads)", len(latencies), threads, elapsed, latencies)


def _summary(path: str, calls: int, threads: int, elapsed: float, latencies: list[float]) -> dict[str, Any]:
    lat = sorted(latencies)
    p95 = lat[min(len(lat) - 1, int(0.95 * len(lat)))] if lat else 0.0
    return {"path": path, "calls": calls, "threads": threads, "seconds": elapsed,
            "rate": calls / elapsed if elapsed else 0.0,
            "p50_ms": statistics.median(lat) * 1000 if lat else 0.0, "p95_ms": p95 * 1000}


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--inproc-calls", type=int, default=5000)
    ap.add_argument("--http-calls", type=int, default=2000)
    ap.add_argument("--threads", type=int, default=4)
    ap.add_argument("--timeout", type=float, default=120.0, help="seconds for the whole run")
    args = ap.parse_args(argv)
    deadline = time.monotonic() + args.timeout
    try:
        rows = [bench_inprocess(args.inproc_calls, deadline),
                bench_http(args.http_calls, args.threads, deadline),
                bench_raw_http(args.http_calls, args.threads, deadline)]
    except Deadline as e:
        print(f"timeout: {e}", file=sys.stderr)
        return 1
    print(f"Emulator load ({platform.python_implementation()} {platform.python_version()}, "
          f"{platform.machine()}, on-disk SQLite, mix 50% attribute read / 25% list / 25% rename)\n")
    print("| path | calls | threads | seconds | calls/s | p50 ms | p95 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(f"| {r['path']} | {r['calls']} | {r['threads']} | {r['seconds']:.2f} | {r['rate']:.0f} | "
              f"{r['p50_ms']:.2f} | {r['p95_ms']:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
