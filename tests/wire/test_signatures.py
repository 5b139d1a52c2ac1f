"""The served emulator's gateway: signatures (V3 and V2), replay, keys, error envelope, wire parsing.

Uses a small recording stand-in for the emulator so these tests exercise only the HTTP front; the
CLB rules are tested through the real Emulator in test_rules.py.
"""

from __future__ import annotations

import hashlib
import json
import threading
import urllib.error
import urllib.parse
import urllib.request
from typing import Any

import pytest
from alibabacloud_slb20140515 import models as slb_models
from alibabacloud_tea_openapi.exceptions import ClientException, ThrottlingException

from planner.emulator.errors import CloudError, ResponseLost
from planner.emulator.faults import throttling_error
from planner.emulator.server import DUMP_PATH, fetch_dump, serve
from planner.emulator.signatures import SignatureVerifier, sign_v2, sign_v3

from .conftest import AK_ID, AK_SECRET, slb_client


class Recorder:
    """Answers every action; a few actions fail the way the test needs."""

    def __init__(self) -> None:
        self.calls: list[tuple[str, str, dict[str, str]]] = []
        self._lock = threading.Lock()

    def call(self, product: str, action: str, params: Any) -> dict:
        with self._lock:
            self.calls.append((product, action, dict(params)))
        if action == "DeleteLoadBalancer":
            raise CloudError("OperationDenied.DeleteProtectionIsOn",
                             "The loadbalancer can not be deleted due to DeleteProtection is enabled.", 400)
        if action == "DescribeZones":
            raise throttling_error(1500)
        if action == "StartLoadBalancerListener":
            raise ResponseLost("lost")
        if action == "DescribeRegions":
            raise RuntimeError("handler bug")
        return {"LoadBalancerId": "lb-test", "Echo": dict(params)}

    def dump(self) -> dict:
        return {"calls": len(self.calls)}


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def server(recorder: Recorder):
    s = serve(recorder, "127.0.0.1", 0, {AK_ID: AK_SECRET})
    yield s
    s.shutdown()


def _raw(server, method: str, query: dict[str, str], headers: dict[str, str], body: bytes = b"",
         path: str = "/") -> tuple[int, dict, dict]:
    url = f"{server.url}{path}"
    if query:
        url += "?" + urllib.parse.urlencode(query)
    req = urllib.request.Request(url, data=body or None, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=10) as r:
            return r.status, dict(r.headers), json.loads(r.read())
    except urllib.error.HTTPError as e:
        return e.code, dict(e.headers), json.loads(e.read())


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_sdk_signed_call_reaches_the_emulator_with_decoded_params(server, recorder, algorithm):
    client = slb_client(server.endpoint, signature_algorithm=algorithm)
    name = "web α+b *x~/y"  # characters whose encodings differ between the wire and the signature
    resp = client.create_load_balancer(slb_models.CreateLoadBalancerRequest(
        region_id="cn-hangzhou", load_balancer_name=name, address_type="intranet", auto_pay=True,
        tag=[slb_models.CreateLoadBalancerRequestTag(key="env", value="prod a")]))
    assert resp.status_code == 200
    assert resp.body.load_balancer_id == "lb-test"
    product, action, params = recorder.calls[-1]
    assert (product, action) == ("Slb", "CreateLoadBalancer")
    assert params == {"AddressType": "intranet", "AutoPay": "True", "LoadBalancerName": name,
                      "RegionId": "cn-hangzhou", "Tag.1.Key": "env", "Tag.1.Value": "prod a"}


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_wrong_secret_is_signature_does_not_match(server, recorder, algorithm):
    client = slb_client(server.endpoint, access_key_secret="not-the-secret", signature_algorithm=algorithm)
    with pytest.raises(ClientException) as info:
        client.describe_load_balancers(slb_models.DescribeLoadBalancersRequest(region_id="cn-hangzhou"))
    e = info.value
    assert (e.code, e.status_code) == ("SignatureDoesNotMatch", 400)
    assert e.data["Message"].startswith("Specified signature is not matched with our calculation.")
    assert recorder.calls == []  # never reached the cloud


@pytest.mark.parametrize("algorithm", [None, "v2"])
def test_unknown_access_key_is_not_found(server, algorithm):
    client = slb_client(server.endpoint, access_key_id="LTAI-nobody", signature_algorithm=algorithm)
    with pytest.raises(ClientException) as info:
        client.describe_load_balancers(slb_models.DescribeLoadBalancersRequest(region_id="cn-hangzhou"))
    assert (info.value.code, info.value.status_code) == ("InvalidAccessKeyId.NotFound", 404)
    assert info.value.data["Message"] == "Specified access key is not found."


def test_replayed_v3_request_is_refused_with_signature_nonce_used(server, recorder):
    query = {"RegionId": "cn-hangzhou", "LoadBalancerId": "lb-1"}
    headers = sign_v3(method="POST", host=server.endpoint, action="DescribeLoadBalancerAttribute",
                      version="2014-05-15", query=query, access_key_id=AK_ID, access_key_secret=AK_SECRET)
    first = _raw(server, "POST", query, headers)
    second = _raw(server, "POST", query, headers)
    assert first[0] == 200
    assert second[0] == 400
    assert second[2]["Code"] == "SignatureNonceUsed"
    assert second[2]["Message"] == "Specified signature nonce was used already."
    assert len(recorder.calls) == 1  # the replay did not run


def test_replayed_v2_request_is_refused(server, recorder):
    params = sign_v2(method="POST", action="DescribeLoadBalancers", version="2014-05-15",
                     params={"RegionId": "cn-hangzhou"}, access_key_id=AK_ID, access_key_secret=AK_SECRET)
    assert _raw(server, "POST", params, {})[0] == 200
    status, _, body = _raw(server, "POST", params, {})
    assert (status, body["Code"]) == (400, "SignatureNonceUsed")


def test_v2_params_in_a_form_body_like_terraform_sends_them(server, recorder):
    """Terraform's tea-rpc client signs in the query and puts API parameters in a form body."""
    api = {"RegionId": "cn-hangzhou", "LoadBalancerId": "lb-9", "LoadBalancerName": "a b&c=d"}
    signed = sign_v2(method="POST", action="SetLoadBalancerName", version="2014-05-15", params=api,
                     access_key_id=AK_ID, access_key_secret=AK_SECRET)
    envelope = {k: v for k, v in signed.items() if k not in api}
    body = urllib.parse.urlencode(api).encode()
    status, _, _ = _raw(server, "POST", envelope, {"Content-Type": "application/x-www-form-urlencoded"}, body)
    assert status == 200
    assert recorder.calls[-1] == ("Slb", "SetLoadBalancerName", api)


def test_tampered_query_after_signing_is_refused(server, recorder):
    query = {"RegionId": "cn-hangzhou", "LoadBalancerId": "lb-1"}
    headers = sign_v3(method="POST", host=server.endpoint, action="DeleteLoadBalancer",
                      version="2014-05-15", query=query, access_key_id=AK_ID, access_key_secret=AK_SECRET)
    status, _, body = _raw(server, "POST", {**query, "LoadBalancerId": "lb-2"}, headers)
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    assert recorder.calls == []


def test_action_header_must_be_signed(server, recorder):
    query = {"RegionId": "cn-hangzhou"}
    headers = sign_v3(method="POST", host=server.endpoint, action="DescribeLoadBalancers",
                      version="2014-05-15", query=query, access_key_id=AK_ID, access_key_secret=AK_SECRET)
    headers["x-acs-action"] = "DeleteLoadBalancer"  # swap the action under a valid signature
    status, _, body = _raw(server, "POST", query, headers)
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")
    headers = sign_v3(method="POST", host=server.endpoint, action="DescribeLoadBalancers",
                      version="2014-05-15", query=query, access_key_id=AK_ID, access_key_secret=AK_SECRET)
    headers["x-acs-extra"] = "smuggled"
    status, _, body = _raw(server, "POST", query, headers)
    assert (status, body["Code"]) == (400, "IncompleteSignature")
    assert recorder.calls == []


def test_unsigned_request_is_missing_signature(server, recorder):
    status, _, body = _raw(server, "POST", {"Action": "DescribeLoadBalancers", "Version": "2014-05-15"}, {})
    assert (status, body["Code"], body["Message"]) == (400, "MissingSignature", "Signature is mandatory for this action.")
    assert recorder.calls == []


def test_stale_timestamp_is_expired(server):
    query = {"RegionId": "cn-hangzhou"}
    import time

    headers = sign_v3(method="POST", host=server.endpoint, action="DescribeLoadBalancers",
                      version="2014-05-15", query=query, access_key_id=AK_ID, access_key_secret=AK_SECRET,
                      now=time.time() - 3600)
    status, _, body = _raw(server, "POST", query, headers)
    assert (status, body["Code"]) == (400, "InvalidTimeStamp.Expired")


def test_error_envelope_is_the_gateways(server):
    client = slb_client(server.endpoint)
    with pytest.raises(ClientException) as info:
        client.delete_load_balancer(slb_models.DeleteLoadBalancerRequest(region_id="cn-hangzhou",
                                                                         load_balancer_id="lb-1"))
    e = info.value
    assert e.code == "OperationDenied.DeleteProtectionIsOn"
    assert e.status_code == 400
    assert e.data["Message"] == "The loadbalancer can not be deleted due to DeleteProtection is enabled."
    assert e.data["HostId"] == "slb.aliyuncs.com"
    assert e.request_id and e.data["RequestId"] == e.request_id
    assert "q=OperationDenied.DeleteProtectionIsOn" in e.data["Recommend"]


def test_throttling_surfaces_as_the_sdks_throttling_exception(server):
    client = slb_client(server.endpoint)
    with pytest.raises(ThrottlingException) as info:
        client.describe_zones(slb_models.DescribeZonesRequest(region_id="cn-hangzhou"))
    assert info.value.code == "Throttling.User"
    assert info.value.retry_after == 1500
    assert info.value.data["Message"] == "Request was denied due to user flow control."


def test_lost_response_closes_the_connection_unanswered(server, recorder):
    client = slb_client(server.endpoint)
    with pytest.raises(Exception) as info:  # the SDK wraps the connection error; no API response exists
        client.start_load_balancer_listener(slb_models.StartLoadBalancerListenerRequest(
            region_id="cn-hangzhou", load_balancer_id="lb-1", listener_port=80))
    assert not isinstance(info.value, ClientException)
    assert recorder.calls[-1][1] == "StartLoadBalancerListener"
    # the server is still healthy afterwards
    assert client.describe_load_balancers(
        slb_models.DescribeLoadBalancersRequest(region_id="cn-hangzhou")).status_code == 200


def test_handler_bug_is_internal_error_not_a_dead_server(server):
    client = slb_client(server.endpoint)
    from alibabacloud_tea_openapi.exceptions import ServerException

    with pytest.raises(ServerException) as info:
        client.describe_regions(slb_models.DescribeRegionsRequest())
    assert (info.value.code, info.value.status_code) == ("InternalError", 500)


def test_version_picks_the_product(server, recorder):
    for version, product in [("2016-04-28", "Vpc"), ("2014-05-26", "Ecs"), ("2014-05-15", "Slb")]:
        headers = sign_v3(method="POST", host=server.endpoint, action="DescribeX", version=version,
                          query={}, access_key_id=AK_ID, access_key_secret=AK_SECRET)
        assert _raw(server, "POST", {}, headers)[0] == 200
        assert recorder.calls[-1][0] == product
    headers = sign_v3(method="POST", host=server.endpoint, action="DescribeX", version="1999-01-01",
                      query={}, access_key_id=AK_ID, access_key_secret=AK_SECRET)
    status, _, body = _raw(server, "POST", {}, headers)
    assert (status, body["Code"]) == (400, "InvalidVersion")


def test_dump_requires_a_signature_and_returns_the_emulator_dump(server, recorder):
    assert fetch_dump(server.endpoint, AK_ID, AK_SECRET) == {"calls": 0}
    with pytest.raises(CloudError) as info:
        fetch_dump(server.endpoint, AK_ID, "wrong")
    assert info.value.code == "SignatureDoesNotMatch"
    status, _, body = _raw(server, "GET", {}, {}, path=DUMP_PATH)
    assert (status, body["Code"]) == (400, "MissingSignature")


def test_concurrent_sdk_clients_are_all_served(server, recorder):
    errors: list[BaseException] = []

    def worker(n: int) -> None:
        client = slb_client(server.endpoint)
        try:
            for i in range(15):
                r = client.set_load_balancer_name(slb_models.SetLoadBalancerNameRequest(
                    region_id="cn-hangzhou", load_balancer_id=f"lb-{n}", load_balancer_name=f"n{i}"))
                assert r.body.to_map()["RequestId"]
        except BaseException as e:  # noqa: BLE001 - reported below
            errors.append(e)

    threads = [threading.Thread(target=worker, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    assert errors == []
    assert len(recorder.calls) == 90
    assert server.requests_served == 90


def test_non_loopback_is_refused_without_allow_remote(recorder):
    with pytest.raises(ValueError, match="non-loopback"):
        serve(recorder, "0.0.0.0", 0)


def test_verifier_accepts_its_own_signer_and_checks_payload_hash():
    v = SignatureVerifier({AK_ID: AK_SECRET})
    body = b"LoadBalancerId=lb-1"
    headers = sign_v3(method="POST", host="h:1", action="A", version="2014-05-15", query={"x": "1 2"},
                      access_key_id=AK_ID, access_key_secret=AK_SECRET, body=body)
    headers = {k.lower(): v for k, v in headers.items()}
    assert v.verify(method="POST", path="/", query=[("x", "1 2")], headers=headers, body=body).scheme == "v3"
    headers["x-acs-signature-nonce"] = "other"
    with pytest.raises(CloudError) as info:
        v.verify(method="POST", path="/", query=[("x", "1 2")], headers=headers, body=body)
    assert info.value.code == "SignatureDoesNotMatch"
    assert hashlib.sha256(body).hexdigest() == headers["x-acs-content-sha256"]


def test_v2_signed_get_request(server, recorder):
    """Terraform reads some attributes with GET; the V2 string to sign starts with the method."""
    params = sign_v2(method="GET", action="DescribeRuleAttribute", version="2014-05-15",
                     params={"RegionId": "cn-hangzhou", "RuleId": "rule-1"}, access_key_id=AK_ID,
                     access_key_secret=AK_SECRET)
    assert _raw(server, "GET", params, {})[0] == 200
    assert recorder.calls[-1] == ("Slb", "DescribeRuleAttribute", {"RegionId": "cn-hangzhou", "RuleId": "rule-1"})
    as_post = sign_v2(method="GET", action="DescribeRuleAttribute", version="2014-05-15",
                      params={"RegionId": "cn-hangzhou", "RuleId": "rule-1"}, access_key_id=AK_ID,
                      access_key_secret=AK_SECRET)
    status, _, body = _raw(server, "POST", as_post, {})  # signed for GET, sent as POST
    assert (status, body["Code"]) == (400, "SignatureDoesNotMatch")


def test_on_request_reports_action_status_and_drops(recorder):
    seen: list[tuple[str, int]] = []
    with serve(recorder, "127.0.0.1", 0, {AK_ID: AK_SECRET},
               on_request=lambda action, status, _s: seen.append((action, status))) as s:
        client = slb_client(s.endpoint)
        client.describe_load_balancers(slb_models.DescribeLoadBalancersRequest(region_id="cn-hangzhou"))
        with pytest.raises(ClientException):
            client.delete_load_balancer(slb_models.DeleteLoadBalancerRequest(region_id="cn-hangzhou",
                                                                             load_balancer_id="lb-1"))
        with pytest.raises(Exception):  # noqa: B017 - the dropped response surfaces as a connection error
            client.start_load_balancer_listener(slb_models.StartLoadBalancerListenerRequest(
                region_id="cn-hangzhou", load_balancer_id="lb-1", listener_port=80))
    assert seen == [("DescribeLoadBalancers", 200), ("DeleteLoadBalancer", 400), ("StartLoadBalancerListener", 0)]


def test_garbage_form_body_is_a_400_not_a_crash(server, recorder):
    status, _, body = _raw(server, "POST", {}, {"Content-Type": "application/x-www-form-urlencoded"}, b"\xff\xfe")
    assert (status, body["Code"]) == (400, "InvalidParameter")
    assert recorder.calls == []
