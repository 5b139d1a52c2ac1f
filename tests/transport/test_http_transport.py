"""HttpTransport against a served emulator: the seam's contract (bodies, errors, counts) over the wire."""

from __future__ import annotations

import socket
import threading
from pathlib import Path

import pytest

from planner.diagnostics import DiagnosticsError
from planner.emulator.faults import FaultConfig
from planner.providers.errors import ApiError, TransportError
from planner.providers.http_transport import (
    AuthenticationError,
    DumpShadow,
    EndpointUnreachable,
    HttpTransport,
    open_http_target,
)
from planner.providers.transport import InProcessTransport
from tests.transport.conftest import AK_ID, AK_SECRET, Cloud, start_cloud

pytestmark = pytest.mark.wire


def transport(cloud: Cloud, **kw) -> HttpTransport:
    ep = cloud.endpoint
    kw.setdefault("access_key_id", AK_ID)
    kw.setdefault("access_key_secret", AK_SECRET)
    return HttpTransport({"Slb": ep, "Vpc": ep, "Ecs": ep}, "cn-hangzhou", **kw)


def served_since(cloud: Cloud, before: int, expect: int) -> int:
    """Requests the server finished since ``before``: it counts after sending, so wait briefly for ``expect``
    and a little longer to see that no further (retried) request follows."""
    import time

    deadline = time.monotonic() + 2.0
    while cloud.server.requests_served - before < expect and time.monotonic() < deadline:
        time.sleep(0.01)
    time.sleep(0.1)
    return cloud.server.requests_served - before


def make_vpc_and_lb(t: HttpTransport) -> str:
    vpc = t.call("Vpc", "CreateVpc", {"CidrBlock": "172.16.0.0/12", "VpcName": "v"})
    vsw = t.call("Vpc", "CreateVSwitch", {"VpcId": vpc["VpcId"], "CidrBlock": "172.16.0.0/24",
                                          "ZoneId": "cn-hangzhou-h"})
    lb = t.call("Slb", "CreateLoadBalancer", {"LoadBalancerName": "over-the-wire", "AddressType": "intranet",
                                              "VSwitchId": vsw["VSwitchId"], "LoadBalancerSpec": "slb.s2.small"})
    return lb["LoadBalancerId"]


def test_call_returns_the_body_and_counts_calls(cloud: Cloud) -> None:
    t = transport(cloud)
    lb_id = make_vpc_and_lb(t)
    body = t.call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb_id})
    assert body["LoadBalancerName"] == "over-the-wire"
    assert body["RequestId"]
    assert t.calls["DescribeLoadBalancerAttribute"] == 1
    assert t.total_calls == 4
    # what arrived equals what the emulator itself holds
    direct = cloud.emulator.call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb_id})
    assert {k: v for k, v in body.items() if k != "RequestId"} == \
        {k: v for k, v in direct.items() if k != "RequestId"}


def test_wire_values_booleans_and_json_lists(cloud: Cloud) -> None:
    """Python values become what the gateway parses: booleans lowercase, lists as JSON, None left out."""
    t = transport(cloud)
    lb_id = make_vpc_and_lb(t)
    t.call("Slb", "SetLoadBalancerDeleteProtection", {"LoadBalancerId": lb_id, "DeleteProtection": "on",
                                                       "Unused": None})
    got = t.call("Slb", "DescribeLoadBalancers", {"LoadBalancerId": lb_id})
    assert got["TotalCount"] == 1


def test_api_error_keeps_code_message_status_and_request_id(cloud: Cloud) -> None:
    t = transport(cloud)
    with pytest.raises(ApiError) as http_err:
        t.call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": "lb-doesnotexist"})
    with pytest.raises(ApiError) as local_err:
        InProcessTransport(cloud.emulator).call("Slb", "DescribeLoadBalancerAttribute",
                                                {"LoadBalancerId": "lb-doesnotexist"})
    e, ref = http_err.value, local_err.value
    assert (e.code, e.message, e.http_status) == (ref.code, ref.message, ref.http_status)
    assert e.request_id and e.request_id != "None"
    assert not isinstance(e, DiagnosticsError)


def test_throttling_carries_retry_after_in_seconds_and_sdk_does_not_retry(tmp_path: Path) -> None:
    c = start_cloud(tmp_path / "e.sqlite", faults=FaultConfig(throttle_rate=1.0, retry_after=1500,
                                                              fault_reads=True))
    try:
        t = transport(c)
        before = c.server.requests_served
        with pytest.raises(ApiError) as err:
            t.call("Slb", "DescribeLoadBalancers", {})
        assert "Throttling" in err.value.code
        assert err.value.retry_after == pytest.approx(1.5)
        assert served_since(c, before, 1) == 1  # the executor retries, never the SDK
    finally:
        c.server.shutdown()
        c.emulator.close()


def test_server_errors_are_sent_once(tmp_path: Path) -> None:
    c = start_cloud(tmp_path / "e.sqlite", faults=FaultConfig(transient_rate=1.0, fault_reads=True))
    try:
        t = transport(c)
        before = c.server.requests_served
        with pytest.raises(ApiError) as err:
            t.call("Slb", "DescribeLoadBalancers", {})
        assert err.value.http_status >= 500
        assert served_since(c, before, 1) == 1
    finally:
        c.server.shutdown()
        c.emulator.close()


def test_lost_response_is_a_transport_error(tmp_path: Path) -> None:
    c = start_cloud(tmp_path / "e.sqlite", faults=FaultConfig(lost_response_rate=1.0))
    try:
        t = transport(c)
        with pytest.raises(TransportError) as err:
            t.call("Vpc", "CreateVpc", {"CidrBlock": "10.0.0.0/8"})
        assert "closed before the response" in str(err.value)
        # ...and the write did happen: the caller must reconcile, as TransportError says
        vpcs = c.emulator.call("Vpc", "DescribeVpcs", {"RegionId": "cn-hangzhou"})
        assert vpcs["TotalCount"] == 1
    finally:
        c.server.shutdown()
        c.emulator.close()


def test_timeout_is_a_transport_error_and_names_the_endpoint() -> None:
    with socket.socket() as listener:  # accepts connections (backlog) but never answers
        listener.bind(("127.0.0.1", 0))
        listener.listen(8)
        port = listener.getsockname()[1]
        t = HttpTransport({"Slb": f"127.0.0.1:{port}"}, "cn-hangzhou", AK_ID, AK_SECRET, timeout=0.3)
        with pytest.raises(EndpointUnreachable) as err:
            t.call("Slb", "DescribeLoadBalancers", {})
    assert isinstance(err.value, TransportError)
    assert f"http://127.0.0.1:{port}" in str(err.value)
    assert "no answer within 0.3 s" in str(err.value)


@pytest.mark.parametrize(("key_id", "secret", "code"), [
    (AK_ID, "wrong", "SignatureDoesNotMatch"),
    ("nobody", AK_SECRET, "InvalidAccessKeyId.NotFound"),
])
def test_authentication_error_is_an_api_error_and_a_diagnostic(cloud: Cloud, key_id: str, secret: str,
                                                              code: str) -> None:
    t = transport(cloud, access_key_id=key_id, access_key_secret=secret)
    with pytest.raises(AuthenticationError) as err:
        t.call("Slb", "DescribeLoadBalancers", {})
    e = err.value
    assert isinstance(e, ApiError) and isinstance(e, DiagnosticsError)
    assert e.code == code
    [diag] = e.diagnostics
    assert diag.summary == f"authentication failed at http://{cloud.endpoint}: {code}"
    assert "access key" in diag.hint
    assert "\n" not in e.message


def test_credentials_stay_out_of_repr_and_errors(cloud: Cloud) -> None:
    t = transport(cloud, access_key_secret="wrong-" + AK_SECRET)
    assert AK_SECRET not in repr(t) and AK_ID not in repr(t)
    with pytest.raises(AuthenticationError) as err:
        t.call("Slb", "DescribeLoadBalancers", {})
    rendered = str(err.value) + "".join(d.render() for d in err.value.diagnostics)
    assert AK_SECRET not in rendered and AK_ID not in rendered


def test_concurrent_calls_from_worker_threads(cloud: Cloud) -> None:
    """The executor calls from many threads at once: every call answered, counted once, on reused sockets."""
    t = transport(cloud)
    lb_id = make_vpc_and_lb(t)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            for _ in range(25):
                assert t.call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb_id})[
                    "LoadBalancerId"] == lb_id
        except BaseException as e:  # noqa: BLE001 - collected for the assertion below
            errors.append(e)

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join(timeout=60)
    assert not errors, errors[:3]
    assert t.calls["DescribeLoadBalancerAttribute"] == 200
    assert served_since(cloud, 0, 203) == 203  # 3 setup calls + 200, nothing retried
    assert len(t._clients) == 2  # one SDK client per product used (Vpc, Slb), shared by the threads


def test_emulator_dump_builds_an_equal_shadow(cloud: Cloud) -> None:
    t = transport(cloud)
    lb_id = make_vpc_and_lb(t)
    dump = t.fetch_emulator_dump()
    assert dump is not None and dump["tables"] == cloud.emulator.dump()["tables"]
    shadow = DumpShadow(t).copy()
    got = shadow.call("Slb", "DescribeLoadBalancerAttribute", {"LoadBalancerId": lb_id})
    assert got["LoadBalancerName"] == "over-the-wire"
    # the shadow is independent: deleting there leaves the served cloud alone
    shadow.call("Slb", "DeleteLoadBalancer", {"LoadBalancerId": lb_id})
    assert t.call("Slb", "DescribeLoadBalancers", {})["TotalCount"] == 1


def test_dump_is_none_for_a_real_cloud_and_for_a_server_without_it(cloud: Cloud) -> None:
    assert transport(cloud, real_cloud=True).fetch_emulator_dump() is None

    class NoDump:
        """An emulated cloud that serves the API but not /_clbplan/dump (answers 404)."""

        def call(self, product, action, params):
            return cloud.emulator.call(product, action, params)

    from planner.emulator.server import serve

    server = serve(NoDump(), "127.0.0.1", 0, {AK_ID: AK_SECRET})
    try:
        t = HttpTransport({"Slb": server.endpoint}, "cn-hangzhou", AK_ID, AK_SECRET)
        assert t.fetch_emulator_dump() is None
        with pytest.raises(DiagnosticsError) as err:
            DumpShadow(t).copy()
        assert "cannot verify the plan" in str(err.value)
    finally:
        server.shutdown()


def test_open_http_target_from_provider_block(cloud: Cloud) -> None:
    from planner.config.model import ProviderConfig

    assert open_http_target(ProviderConfig(region="cn-hangzhou"), env={}) is None
    pc = ProviderConfig(region="cn-hangzhou", endpoints={"slb": cloud.endpoint})
    t, shadow = open_http_target(pc, env={"ALICLOUD_ACCESS_KEY": AK_ID, "ALICLOUD_SECRET_KEY": AK_SECRET})
    assert isinstance(t, HttpTransport) and isinstance(shadow, DumpShadow)
    assert {str(e) for e in t.endpoints.values()} == {f"http://{cloud.endpoint}"}  # vpc/ecs follow slb
    assert t.call("Ecs", "DescribeInstances", {})["TotalCount"] == 0


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        HttpTransport({"Oss": "127.0.0.1:1"}, "cn-hangzhou", "a", "b")
    with pytest.raises(ValueError):
        HttpTransport({"Slb": "127.0.0.1:1"}, "cn-hangzhou", "a", "b", protocol="ftp")
    t = HttpTransport({"Slb": "127.0.0.1:1"}, "cn-hangzhou", "a", "b")
    with pytest.raises(TransportError):
        t.call("Vpc", "DescribeVpcs", {})  # no endpoint for that product
