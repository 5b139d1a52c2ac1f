"""In-process emulator throughput: the engine benchmark's call mix, per load balancer.

Per LB: CreateLoadBalancer, 2 CreateVServerGroup (20 servers each), CreateMasterSlaveServerGroup,
AddBackendServers (10), 4 listeners (create + start), then DescribeLoadBalancerAttribute,
DescribeVServerGroups, DescribeLoadBalancerListeners and one Describe*ListenerAttribute.

    python bench/emulator_calls.py [N_LB] [--disk] [--mem]
"""

from __future__ import annotations

import json
import resource
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

from planner.emulator import Emulator

IMAGE = "aliyun_3_x64_20G_alibase_20240528.vhd"


def main() -> None:
    n = int(sys.argv[1]) if len(sys.argv) > 1 and sys.argv[1].isdigit() else 500
    disk = "--disk" in sys.argv
    tmp = tempfile.mkdtemp()
    emu = Emulator(Path(tmp) / "bench.sqlite" if disk else None)
    call = emu.call
    vpc = call("Vpc", "CreateVpc", {"CidrBlock": "10.0.0.0/8"})["VpcId"]
    vsw = call("Vpc", "CreateVSwitch", {"VpcId": vpc, "ZoneId": "cn-hangzhou-h", "CidrBlock": "10.0.0.0/16"})["VSwitchId"]
    sg = call("Ecs", "CreateSecurityGroup", {"VpcId": vpc})["SecurityGroupId"]
    servers = call("Ecs", "RunInstances", {"VSwitchId": vsw, "SecurityGroupId": sg, "ImageId": IMAGE,
                                           "InstanceType": "ecs.g6.large", "Amount": 40})["InstanceIdSets"]["InstanceIdSet"]
    g1 = json.dumps([{"ServerId": s, "Port": 80, "Weight": 100} for s in servers[:20]])
    g2 = json.dumps([{"ServerId": s, "Port": 8080, "Weight": 50} for s in servers[20:]])
    ms = json.dumps([{"ServerId": servers[0], "Port": 90, "ServerType": "Master"},
                     {"ServerId": servers[1], "Port": 90, "ServerType": "Slave"}])
    dflt = json.dumps([{"ServerId": s, "Weight": 100} for s in servers[:10]])
    mem = "--mem" in sys.argv
    if mem:
        tracemalloc.start()
    writes = reads = 0
    t0 = time.perf_counter()
    lbs = []
    for _ in range(n):
        lb = call("Slb", "CreateLoadBalancer", {"VSwitchId": vsw, "LoadBalancerSpec": "slb.s1.small"})["LoadBalancerId"]
        lbs.append(lb)
        a = call("Slb", "CreateVServerGroup", {"LoadBalancerId": lb, "BackendServers": g1})["VServerGroupId"]
        b = call("Slb", "CreateVServerGroup", {"LoadBalancerId": lb, "BackendServers": g2})["VServerGroupId"]
        m = call("Slb", "CreateMasterSlaveServerGroup", {"LoadBalancerId": lb, "MasterSlaveBackendServers": ms})
        call("Slb", "AddBackendServers", {"LoadBalancerId": lb, "BackendServers": dflt})
        call("Slb", "CreateLoadBalancerTCPListener", {"LoadBalancerId": lb, "ListenerPort": 80, "Bandwidth": -1,
                                                      "VServerGroupId": a})
        call("Slb", "CreateLoadBalancerUDPListener", {"LoadBalancerId": lb, "ListenerPort": 53, "Bandwidth": -1,
                                                      "MasterSlaveServerGroupId": m["MasterSlaveServerGroupId"]})
        call("Slb", "CreateLoadBalancerHTTPListener", {"LoadBalancerId": lb, "ListenerPort": 8080,
                                                       "StickySession": "off", "HealthCheck": "on",
                                                       "VServerGroupId": b})
        call("Slb", "CreateLoadBalancerTCPListener", {"LoadBalancerId": lb, "ListenerPort": 81, "Bandwidth": -1,
                                                      "BackendServerPort": 80})
        for port in (80, 53, 8080, 81):
            call("Slb", "StartLoadBalancerListener", {"LoadBalancerId": lb, "ListenerPort": port})
        writes += 13
    t1 = time.perf_counter()
    for lb in lbs:
        call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})
        call("Slb", "DescribeVServerGroups", {"LoadBalancerId": lb, "IncludeListener": True})
        call("Slb", "DescribeLoadBalancerListeners", {"LoadBalancerId.1": lb})
        call("Slb", "DescribeLoadBalancerTCPListenerAttribute", {"LoadBalancerId": lb, "ListenerPort": 80})
        reads += 4
    t2 = time.perf_counter()
    shadow_t = time.perf_counter()
    emu.copy().close()
    shadow = time.perf_counter() - shadow_t
    peak = tracemalloc.get_traced_memory()[1] if mem else 0
    print(f"load balancers: {n} ({'disk' if disk else 'memory'})")
    print(f"writes: {writes} in {t1 - t0:.2f}s = {writes / (t1 - t0):,.0f} calls/s ({(t1 - t0) / writes * 1e6:.0f} us/call)")
    print(f"reads:  {reads} in {t2 - t1:.2f}s = {reads / (t2 - t1):,.0f} calls/s ({(t2 - t1) / reads * 1e6:.0f} us/call)")
    print(f"copy(): {shadow * 1000:.0f} ms" + (f"; peak traced memory {peak / 1e6:.0f} MB" if mem else ""))
    print(f"max RSS: {resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024:.0f} MB")


if __name__ == "__main__":
    main()
