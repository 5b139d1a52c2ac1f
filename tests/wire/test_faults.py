"""Fault injection: spec parsing, determinism, busy windows and which real code a busy LB returns."""

from __future__ import annotations

import threading

import pytest

from planner.emulator.errors import CloudError, ResponseLost
from planner.emulator.faults import FaultConfig, FaultInjector


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_spec_parses_every_alias_and_round_trips():
    cfg = FaultConfig.from_spec("busy=0.2,transient=0.1,throttle=0.05,lost=0.02,latency=0.01,seed=7,"
                                "start_delay=0.5,retry_after=1500,reads=1")
    assert cfg == FaultConfig(busy_window=0.2, transient_rate=0.1, throttle_rate=0.05, lost_response_rate=0.02,
                              latency=0.01, seed=7, listener_start_delay=0.5, retry_after=1500, fault_reads=True)
    assert FaultConfig.from_spec(cfg.to_spec()) == cfg
    assert FaultConfig.from_spec("") == FaultConfig()
    assert not FaultConfig().enabled and cfg.enabled


@pytest.mark.parametrize("spec, fragment", [
    ("busy", "expected KEY=VALUE"),
    ("speed=3", "expected KEY=VALUE"),
    ("throttle=1.5", "between 0 and 1"),
    ("busy=-1", ">= 0"),
    ("seed=abc", "bad value 'abc'"),
    ("busy=1,busy=2", "twice"),
])
def test_bad_spec_says_what_is_wrong(spec, fragment):
    with pytest.raises(ValueError, match=fragment):
        FaultConfig.from_spec(spec)


def _run(injector: FaultInjector, n: int) -> list[str]:
    outcomes = []
    for i in range(n):
        try:
            injector.before_call("AddBackendServers", f"lb-{i}", True)
            injector.after_commit("AddBackendServers", f"lb-{i}", True)
            outcomes.append("ok")
        except CloudError as e:
            outcomes.append(e.code)
        except ResponseLost:
            outcomes.append("lost")
    return outcomes


def test_same_seed_gives_the_same_fault_sequence_and_another_seed_differs():
    cfg = FaultConfig(throttle_rate=0.2, transient_rate=0.2, lost_response_rate=0.2, seed=42)
    first = _run(FaultInjector(cfg), 200)
    second = _run(FaultInjector(cfg), 200)
    assert first == second
    assert {"ok", "Throttling.User", "ServiceUnavailable", "lost"} <= set(first)
    other = _run(FaultInjector(FaultConfig(throttle_rate=0.2, transient_rate=0.2, lost_response_rate=0.2,
                                           seed=43)), 200)
    assert other != first
    # reset replays from the seed
    injector = FaultInjector(cfg)
    _run(injector, 50)
    injector.reset()
    assert _run(injector, 200) == first


def test_rates_are_roughly_honoured():
    outcomes = _run(FaultInjector(FaultConfig(throttle_rate=0.3, seed=1)), 2000)
    share = outcomes.count("Throttling.User") / len(outcomes)
    assert 0.25 < share < 0.35


def test_throttling_carries_retry_after_header_and_real_message():
    injector = FaultInjector(FaultConfig(throttle_rate=1.0, retry_after=1500))
    with pytest.raises(CloudError) as info:
        injector.before_call("CreateRules", "lb-1", True)
    e = info.value
    assert (e.code, e.http_status, e.message) == ("Throttling.User", 400, "Request was denied due to user flow control.")
    assert e.headers == {"x-acs-retry-after": "1500"}


def test_reads_are_not_faulted_unless_asked():
    quiet = FaultInjector(FaultConfig(throttle_rate=1.0, transient_rate=1.0))
    quiet.before_call("DescribeLoadBalancers", None, False)  # no error
    loud = FaultInjector(FaultConfig(transient_rate=1.0, fault_reads=True))
    with pytest.raises(CloudError) as info:
        loud.before_call("DescribeLoadBalancers", None, False)
    assert (info.value.code, info.value.http_status) == ("ServiceUnavailable", 503)


@pytest.mark.parametrize("action, code, status", [
    ("AddBackendServers", "ServiceIsConfiguring", 400),
    ("StartLoadBalancerListener", "ServiceIsConfiguring", 400),
    ("SetBackendServers", "BackendServer.configuring", 409),
    ("AddVServerGroupBackendServers", "VServerGroupProcessing", 400),
    ("SetLoadBalancerHTTPListenerAttribute", "OperationFailed.ListenerStatusNotSupport", 400),
])
def test_busy_window_refuses_writes_with_the_real_code_then_closes(action, code, status):
    clock = Clock()
    injector = FaultInjector(FaultConfig(busy_window=2.0), clock=clock)
    injector.before_call("CreateLoadBalancerHTTPListener", "lb-1", True)
    injector.after_commit("CreateLoadBalancerHTTPListener", "lb-1", True)
    clock.now += 1.0
    with pytest.raises(CloudError) as info:
        injector.before_call(action, "lb-1", True)
    assert (info.value.code, info.value.http_status) == (code, status)
    injector.before_call("DescribeLoadBalancerAttribute", "lb-1", False)  # reads pass
    injector.before_call(action, "lb-2", True)  # other LBs are independent
    clock.now += 1.5
    injector.before_call(action, "lb-1", True)  # window closed


def test_busy_window_off_lets_back_to_back_writes_through():
    injector = FaultInjector(FaultConfig())
    for _ in range(3):
        injector.before_call("AddBackendServers", "lb-1", True)
        injector.after_commit("AddBackendServers", "lb-1", True)


def test_failed_write_releases_its_reservation_but_not_a_committed_window():
    clock = Clock()
    injector = FaultInjector(FaultConfig(busy_window=5.0), clock=clock)
    injector.before_call("AddBackendServers", "lb-1", True)
    injector.after_failure("AddBackendServers", "lb-1", True)  # the handler rejected it
    assert not injector.is_busy("lb-1")
    injector.before_call("AddBackendServers", "lb-1", True)
    injector.after_commit("AddBackendServers", "lb-1", True)
    with pytest.raises(CloudError):
        injector.before_call("AddBackendServers", "lb-1", True)
    injector.after_failure("AddBackendServers", "lb-1", True)  # must not free a committed window
    assert injector.is_busy("lb-1")


def test_lost_response_opens_the_window_too():
    clock = Clock()
    injector = FaultInjector(FaultConfig(busy_window=1.0, lost_response_rate=1.0), clock=clock)
    injector.before_call("CreateVServerGroup", "lb-1", True)
    with pytest.raises(ResponseLost):
        injector.after_commit("CreateVServerGroup", "lb-1", True)
    assert injector.is_busy("lb-1")
    assert injector.history == [("CreateVServerGroup", "ResponseLost")]


def test_concurrent_writes_to_one_lb_exactly_one_passes():
    injector = FaultInjector(FaultConfig(busy_window=30.0))
    barrier = threading.Barrier(8)
    results: list[str] = []
    lock = threading.Lock()

    def write() -> None:
        barrier.wait()
        try:
            injector.before_call("AddBackendServers", "lb-1", True)
            outcome = "ok"
        except CloudError as e:
            outcome = e.code
        with lock:
            results.append(outcome)

    threads = [threading.Thread(target=write) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(results) == ["ServiceIsConfiguring"] * 7 + ["ok"]
