"""The same provider code path over HTTP: the served emulator, signed requests through the
official OpenAPI client (HttpTransport). A full stack applies, refreshes in bulk, and
converges under busy windows and lost responses (dropped connections)."""

from __future__ import annotations

import pytest
from test_executor_emulator import FAST, PlanBuilder, objects

from planner.apply import Executor
from planner.emulator import Emulator
from planner.emulator.faults import FaultConfig
from planner.emulator.server import serve
from planner.providers.alicloud import AlicloudProvider
from planner.providers.http_transport import HttpTransport
from planner.state.model import State

pytestmark = pytest.mark.wire


def _provider(served) -> AlicloudProvider:
    url = f"http://{served.endpoint}"
    transport = HttpTransport({"Slb": url, "Vpc": url, "Ecs": url}, "cn-hangzhou", served.access_key_id,
                              served.access_key_secret, timeout=10)
    return AlicloudProvider(transport, retry=FAST, poll_interval=0.002, poll_timeout=10)


@pytest.mark.parametrize("faults", [None, FaultConfig(busy_window=0.005, lost_response_rate=0.15, seed=4)],
                         ids=["clean", "busy+lost"])
def test_full_stack_over_http(faults):
    emu = Emulator(faults=faults)
    served = serve(emu)
    try:
        prov = _provider(served)
        pb = PlanBuilder()
        for n in range(2):
            pb.lb_stack(n)
        res = Executor(prov, parallelism=4, planned_values=pb.planned_values).run(pb.ops, pb.edges, State())
        assert res.failures == [], res.failures
        assert objects(emu) == {"lb": 2, "vsg": 4, "listener": 8, "rule": 4}
        before = prov.calls
        got = prov.refresh(list(res.state.resources.values()))
        assert all(got[a] == dict(r.attributes, id=r.id) for a, r in res.state.resources.items())
        # one DescribeLoadBalancers, one DescribeLoadBalancerListeners, one describe per group (4) and
        # per HTTP listener with rules (2)
        assert prov.calls - before == 8
    finally:
        served.shutdown()
        emu.close()
