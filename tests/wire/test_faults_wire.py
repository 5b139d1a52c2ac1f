"""Fault injection through the real emulator, in-process and over HTTP with the official SDK."""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import pytest
from alibabacloud_slb20140515 import models as slb_models
from alibabacloud_tea_openapi.exceptions import AlibabaCloudException, ThrottlingException

from planner.emulator import Emulator
from planner.emulator.errors import ResponseLost
from planner.emulator.faults import FaultConfig
from planner.emulator.server import serve

from .conftest import AK_ID, AK_SECRET, ApiFailed, Failure, slb_client

SPEC = "slb.s1.small"


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def faulty(tmp_path: Path):
    made: list[Emulator] = []

    def make(spec: str, clock: Any = None) -> Emulator:
        kw = {"clock": clock} if clock is not None else {}
        emu = Emulator(tmp_path / f"e{len(made)}.sqlite", faults=FaultConfig.from_spec(spec), **kw)
        made.append(emu)
        return emu

    yield make
    for emu in made:
        emu.close()


def _new_lb(cloud: Any, name: str = "web") -> str:
    return cloud.call("CreateLoadBalancer", {"LoadBalancerName": name, "LoadBalancerSpec": SPEC,
                                             "AddressType": "internet"})["LoadBalancerId"]


def _concurrent_renames(cloud: Any, lb: str, n: int = 2) -> list[str]:
    barrier = threading.Barrier(n)
    outcomes: list[str] = []
    lock = threading.Lock()

    def rename(i: int) -> None:
        barrier.wait()
        try:
            cloud.call("SetLoadBalancerName", {"LoadBalancerId": lb, "LoadBalancerName": f"name-{i}"})
            outcome = "ok"
        except ApiFailed as e:
            outcome = f"{e.failure.code}/{e.failure.status}"
        with lock:
            outcomes.append(outcome)

    threads = [threading.Thread(target=rename, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    return sorted(outcomes)


def test_busy_window_two_concurrent_writes_one_wins_one_is_busy(make_cloud, faulty):
    clock = Clock()
    cloud = make_cloud(faulty("busy=30", clock))
    lb = _new_lb(cloud)
    clock.now += 31  # the create itself opened a window
    assert _concurrent_renames(cloud, lb) == ["ServiceIsConfiguring/400", "ok"]
    assert fails_busy_message(cloud, lb) == Failure(
        "ServiceIsConfiguring", "A previous configuration is pending; please try again later.", 400)


def fails_busy_message(cloud: Any, lb: str) -> Failure:
    with pytest.raises(ApiFailed) as info:
        cloud.call("SetLoadBalancerName", {"LoadBalancerId": lb, "LoadBalancerName": "late"})
    return info.value.failure


def test_without_busy_window_both_writes_succeed(make_cloud, faulty):
    cloud = make_cloud(faulty(""))
    lb = _new_lb(cloud)
    assert _concurrent_renames(cloud, lb) == ["ok", "ok"]


def test_busy_window_closes_and_reads_are_never_busy(make_cloud, faulty):
    clock = Clock()
    cloud = make_cloud(faulty("busy=2", clock))
    lb = _new_lb(cloud)
    with pytest.raises(ApiFailed):  # a new LB is configuring right after its create
        cloud.call("SetLoadBalancerName", {"LoadBalancerId": lb, "LoadBalancerName": "one"})
    clock.now += 2.5
    cloud.call("SetLoadBalancerName", {"LoadBalancerId": lb, "LoadBalancerName": "one"})
    assert cloud.call("DescribeLoadBalancerAttribute", {"LoadBalancerId": lb})["LoadBalancerName"] == "one"
    other = _new_lb(cloud, "other")
    clock.now += 2.5
    cloud.call("SetLoadBalancerName", {"LoadBalancerId": lb, "LoadBalancerName": "one-again"})
    cloud.call("SetLoadBalancerName", {"LoadBalancerId": other, "LoadBalancerName": "independent"})
    with pytest.raises(ApiFailed):
        cloud.call("SetLoadBalancerName", {"LoadBalancerId": lb, "LoadBalancerName": "two"})
    clock.now += 2.5
    cloud.call("SetLoadBalancerName", {"LoadBalancerId": lb, "LoadBalancerName": "two"})


def test_listener_start_delay_refuses_a_second_start(make_cloud, faulty):
    clock = Clock()
    cloud = make_cloud(faulty("start_delay=10", clock))
    lb = _new_lb(cloud)
    cloud.call("CreateLoadBalancerTCPListener", {"LoadBalancerId": lb, "ListenerPort": 80, "BackendServerPort": 80,
                                                 "Bandwidth": -1})
    cloud.call("StartLoadBalancerListener", {"LoadBalancerId": lb, "ListenerPort": 80})
    attr = {"LoadBalancerId": lb, "ListenerPort": 80}
    assert cloud.call("DescribeLoadBalancerTCPListenerAttribute", attr)["Status"] == "starting"
    with pytest.raises(ApiFailed) as info:
        cloud.call("StartLoadBalancerListener", {"LoadBalancerId": lb, "ListenerPort": 80})
    assert info.value.failure == Failure("Operation.Deny",
                                         "The specified listener is configuring, please try again later.", 400)
    clock.now += 11
    assert cloud.call("DescribeLoadBalancerTCPListenerAttribute", attr)["Status"] == "running"


def _outcomes(emu: Emulator, lb: str, n: int) -> list[str]:
    out = []
    for i in range(n):
        try:
            emu.call("Slb", "SetLoadBalancerName", {"RegionId": "cn-hangzhou", "LoadBalancerId": lb,
                                                    "LoadBalancerName": f"n{i}"})
            out.append("ok")
        except Exception as e:  # noqa: BLE001 - CloudError or ResponseLost, both are outcomes
            out.append(getattr(e, "code", type(e).__name__))
    return out


def test_same_seed_replays_the_same_faults_through_the_emulator(faulty):
    spec = "throttle=0.2,transient=0.2,lost=0.2,seed=11"
    runs = []
    for _ in range(2):
        emu = faulty(spec)
        lb = emu.call("Slb", "CreateLoadBalancer", {"RegionId": "cn-hangzhou", "LoadBalancerSpec": SPEC,
                                                    "AddressType": "internet"})["LoadBalancerId"]
        runs.append(_outcomes(emu, lb, 60))
    assert runs[0] == runs[1]
    assert {"ok", "Throttling.User", "ServiceUnavailable", "ResponseLost"} <= set(runs[0])


def test_lost_response_over_http_committed_anyway(faulty):
    emu = faulty("lost=1")
    with pytest.raises(ResponseLost):  # in-process, the lost response is this exception
        emu.call("Slb", "CreateLoadBalancer", {"RegionId": "cn-hangzhou", "LoadBalancerSpec": SPEC})
    listed = emu.call("Slb", "DescribeLoadBalancers", {"RegionId": "cn-hangzhou"})["LoadBalancers"]["LoadBalancer"]
    assert len(listed) == 1  # ... yet the create committed
    lb_id = listed[0]["LoadBalancerId"]
    with serve(emu, "127.0.0.1", 0, {AK_ID: AK_SECRET}) as server:
        client = slb_client(server.endpoint)
        with pytest.raises(Exception) as info:
            client.set_load_balancer_name(slb_models.SetLoadBalancerNameRequest(
                region_id="cn-hangzhou", load_balancer_id=lb_id, load_balancer_name="landed"))
        assert not isinstance(info.value, AlibabaCloudException)  # no API answer at all
        attr = client.describe_load_balancer_attribute(slb_models.DescribeLoadBalancerAttributeRequest(
            region_id="cn-hangzhou", load_balancer_id=lb_id))
        assert attr.body.load_balancer_name == "landed"


def test_throttled_write_surfaces_as_sdk_throttling_exception_and_reads_pass(faulty):
    emu = faulty("throttle=1,retry_after=2000")
    with serve(emu, "127.0.0.1", 0, {AK_ID: AK_SECRET}) as server:
        client = slb_client(server.endpoint)
        with pytest.raises(ThrottlingException) as info:
            client.create_load_balancer(slb_models.CreateLoadBalancerRequest(
                region_id="cn-hangzhou", load_balancer_spec=SPEC))
        e = info.value
        assert (e.code, e.status_code, e.retry_after) == ("Throttling.User", 400, 2000)
        assert e.data["Message"] == "Request was denied due to user flow control."
        listed = client.describe_load_balancers(slb_models.DescribeLoadBalancersRequest(region_id="cn-hangzhou"))
        assert listed.body.total_count == 0
