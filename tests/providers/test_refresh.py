"""Bulk refresh: a state's worth of resources reads back in a small, constant number of calls."""

from __future__ import annotations

from provider_helpers import LISTENER_BASE, new_lb

from planner.addresses import ResourceAddress
from planner.state.model import ResourceState


def _stack(provider, ctx, n_listeners: int = 4):
    lb = new_lb(provider, ctx)
    res = [ResourceState(ResourceAddress("alicloud_slb_load_balancer", "web"), lb["id"], lb)]
    groups = []
    for g in range(2):
        grp = provider.handler("alicloud_slb_server_group").create({"load_balancer_id": lb["id"], "name": f"g{g}"}, ctx)
        groups.append(grp)
        res.append(ResourceState(ResourceAddress("alicloud_slb_server_group", "g", g), grp["id"], grp))
    for i in range(n_listeners):
        li = provider.handler("alicloud_slb_listener").create(dict(
            LISTENER_BASE, load_balancer_id=lb["id"], frontend_port=8000 + i, protocol=("tcp", "http")[i % 2],
            bandwidth=-1, server_group_id=groups[i % 2]["id"]), ctx)
        res.append(ResourceState(ResourceAddress("alicloud_slb_listener", "l", i), li["id"], li))
    return lb, res


def test_one_lb_four_listeners_two_groups_refresh_in_four_calls(provider, ctx):
    _, resources = _stack(provider, ctx)
    before = provider.calls
    got = provider.refresh(resources)
    # DescribeLoadBalancers + DescribeLoadBalancerListeners + one DescribeVServerGroupAttribute per group
    assert provider.calls - before == 4
    for r in resources:
        assert got[r.address] == dict(r.attributes, id=r.id), r.address


def test_refresh_cost_does_not_grow_with_listeners(provider, ctx):
    _, resources = _stack(provider, ctx, n_listeners=12)
    before = provider.calls
    provider.refresh(resources)
    assert provider.calls - before == 4


def test_refresh_reports_deleted_objects_as_none(provider, ctx):
    lb, resources = _stack(provider, ctx)
    provider.handler("alicloud_slb_load_balancer").delete(lb, ctx)  # children go with it
    got = provider.refresh(resources)
    assert all(v is None for v in got.values())


def test_ten_load_balancers_refresh_in_one_describe(provider, ctx):
    lbs = [new_lb(provider, ctx, load_balancer_name=f"web-{i}") for i in range(10)]
    states = [ResourceState(ResourceAddress("alicloud_slb_load_balancer", "lb", i), lb["id"], lb)
              for i, lb in enumerate(lbs)]
    before = provider.calls
    got = provider.refresh(states)
    assert provider.calls - before == 1
    assert [got[s.address]["load_balancer_name"] for s in states] == [f"web-{i}" for i in range(10)]


def test_many_load_balancers_refresh_in_region_pages_and_a_deleted_one_stays_gone(provider, ctx):
    """Ten ids per call made 1,000 reads for 10,000 load balancers; the region's pages of 100 take 100.
    25 load balancers: one page instead of three id chunks, and one deleted in the cloud reads as gone."""
    lbs = [new_lb(provider, ctx, load_balancer_name=f"web-{i}") for i in range(25)]
    states = [ResourceState(ResourceAddress("alicloud_slb_load_balancer", "lb", i), lb["id"], lb)
              for i, lb in enumerate(lbs)]
    provider.handler("alicloud_slb_load_balancer").delete(lbs[7], ctx)
    before = provider.calls
    got = provider.refresh(states)
    # one region page, then the id missing from it read by id to be sure it is gone
    assert provider.calls - before == 2
    assert got[states[7].address] is None
    assert [got[s.address]["load_balancer_name"] for s in states if s is not states[7]] == \
        [f"web-{i}" for i in range(25) if i != 7]


def test_a_region_with_many_more_load_balancers_than_the_state_is_read_by_id(provider, ctx):
    """Paging a whole region is only cheaper when the state holds most of it."""
    lbs = [new_lb(provider, ctx, load_balancer_name=f"web-{i}") for i in range(205)]
    states = [ResourceState(ResourceAddress("alicloud_slb_load_balancer", "lb", i), lb["id"], lb)
              for i, lb in enumerate(lbs[:11])]
    before = provider.calls
    got = provider.refresh(states)
    assert provider.calls - before == 3  # the first page (205 in the region: 3 pages > 2 id chunks), then 2 chunks
    assert all(got[s.address]["load_balancer_name"] == s.attributes["load_balancer_name"] for s in states)


def test_network_objects_refresh_per_vpc_and_per_page(provider, ctx):
    vpc = provider.handler("alicloud_vpc").create({"vpc_name": "v", "cidr_block": "10.0.0.0/8"}, ctx)
    states = [ResourceState(ResourceAddress("alicloud_vpc", "v"), vpc["id"], vpc)]
    for i in range(5):
        sw = provider.handler("alicloud_vswitch").create(
            {"vpc_id": vpc["id"], "cidr_block": f"10.{i}.0.0/16", "zone_id": "cn-hangzhou-h"}, ctx)
        states.append(ResourceState(ResourceAddress("alicloud_vswitch", "s", i), sw["id"], sw))
    before = provider.calls
    got = provider.refresh(states)
    assert provider.calls - before == 2  # DescribeVpcs + DescribeVSwitches for the whole VPC
    assert all(got[s.address] == dict(s.attributes, id=s.id) for s in states)


class _InFlight:
    """Wraps the transport to record how many reads were in flight at once."""

    def __init__(self, inner, hold: float = 0.005):
        import threading

        self.inner, self.hold = inner, hold
        self.now = self.peak = 0
        self._lock = threading.Lock()

    def call(self, product, action, params):
        import time

        with self._lock:
            self.now += 1
            self.peak = max(self.peak, self.now)
        try:
            time.sleep(self.hold)
            return self.inner.call(product, action, params)
        finally:
            with self._lock:
                self.now -= 1

    @property
    def total_calls(self):
        return self.inner.total_calls


def test_refresh_reads_side_by_side_within_the_parallelism_bound(provider, ctx):
    """Sequential reads made a refresh against a real endpoint take minutes at 10,000 load balancers."""
    resources = []
    for i in range(6):
        _, res = _stack(provider, ctx, n_listeners=2)
        resources += [ResourceState(ResourceAddress(r.address.type, f"{r.address.name}{i}", r.address.key),
                                    r.id, r.attributes) for r in res]
    expected = provider.refresh(resources)
    probe = provider.transport = _InFlight(provider.transport)
    provider.read_parallelism = 4
    got = provider.refresh(resources)
    assert got == expected
    assert 1 < probe.peak <= 4


def _threads_of_reads(provider, resources) -> set[int]:
    """The threads the emulator ran this refresh's calls on."""
    import threading

    emu = provider.transport.emulator
    seen: set[int] = set()
    original = emu.call

    def call(product, action, params):
        seen.add(threading.get_ident())
        return original(product, action, params)

    emu.call = call
    try:
        provider.refresh(resources)
    finally:
        del emu.call
    return seen


def test_the_embedded_cloud_is_read_one_call_at_a_time_unless_its_calls_wait(provider, ctx):
    """The embedded emulator runs every call under its lock on this CPU: ten reader threads finished no
    sooner and spent a third more CPU on thread switches (1,000 load balancers). Reads fan out when a
    call waits for something (injected latency, as a real endpoint's round trip)."""
    import dataclasses
    import threading

    from planner.emulator.faults import FaultInjector

    resources = []
    for i in range(3):
        _, res = _stack(provider, ctx, n_listeners=2)
        resources += [ResourceState(ResourceAddress(r.address.type, f"{r.address.name}{i}", r.address.key),
                                    r.id, r.attributes) for r in res]
    provider.read_parallelism = 4
    assert _threads_of_reads(provider, resources) == {threading.get_ident()}
    emu = provider.transport.emulator
    emu.faults = dataclasses.replace(emu.faults, latency=0.002)
    emu.injector = FaultInjector(emu.faults, emu.clock)
    assert len(_threads_of_reads(provider, resources)) > 1
