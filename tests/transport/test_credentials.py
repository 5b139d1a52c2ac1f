"""Credential, region and endpoint resolution, as the alicloud provider does it; no network."""

from __future__ import annotations

import pytest

from planner.config.model import Configuration, ProviderConfig, ResourceInstance
from planner.diagnostics import DiagnosticsError, SourcePos
from planner.providers.credentials import (
    Credentials,
    Endpoint,
    check_provider_targets,
    parse_endpoint,
    resolve_target,
    scrub,
)

POS = SourcePos("main.tf", 3, 1)
EP = {"slb": "127.0.0.1:8089", "vpc": "127.0.0.1:8089", "ecs": "127.0.0.1:8089"}


def pc(**kw) -> ProviderConfig:
    kw.setdefault("pos", POS)
    return ProviderConfig(**kw)


def test_no_endpoints_means_the_embedded_emulator() -> None:
    assert resolve_target(None, env={}) is None
    assert resolve_target(pc(region="cn-beijing", access_key="a", secret_key="b"), env={}) is None
    # keys in the environment alone do not send anything over the wire
    assert resolve_target(pc(), env={"ALIBABA_CLOUD_ACCESS_KEY_ID": "a",
                                     "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "b"}) is None


def test_provider_block_keys_win_over_environment() -> None:
    env = {"ALIBABA_CLOUD_ACCESS_KEY_ID": "env-id", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "env-secret"}
    t = resolve_target(pc(endpoints=EP, access_key="block-id", secret_key="block-secret"), env=env)
    assert (t.credentials.access_key_id, t.credentials.access_key_secret) == ("block-id", "block-secret")


@pytest.mark.parametrize(("env", "expected"), [
    ({"ALIBABA_CLOUD_ACCESS_KEY_ID": "a1", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s1"}, ("a1", "s1")),
    ({"ALICLOUD_ACCESS_KEY": "a2", "ALICLOUD_SECRET_KEY": "s2"}, ("a2", "s2")),
    ({"ALIBABA_CLOUD_ACCESS_KEY_ID": "a1", "ALIBABA_CLOUD_ACCESS_KEY_SECRET": "s1",
      "ALICLOUD_ACCESS_KEY": "a2", "ALICLOUD_SECRET_KEY": "s2"}, ("a1", "s1")),
])
def test_environment_keys(env: dict, expected: tuple) -> None:
    t = resolve_target(pc(endpoints=EP), env=env)
    assert (t.credentials.access_key_id, t.credentials.access_key_secret) == expected


def test_security_token_from_environment() -> None:
    t = resolve_target(pc(endpoints=EP, access_key="a", secret_key="b"),
                       env={"ALIBABA_CLOUD_SECURITY_TOKEN": "tok"})
    assert t.credentials.security_token == "tok"


@pytest.mark.parametrize(("block", "env", "region"), [
    ("cn-shanghai", {"ALICLOUD_REGION": "cn-beijing"}, "cn-shanghai"),
    (None, {"ALICLOUD_REGION": "cn-beijing", "ALIBABA_CLOUD_REGION_ID": "cn-shenzhen"}, "cn-beijing"),
    (None, {"ALIBABA_CLOUD_REGION_ID": "cn-shenzhen"}, "cn-shenzhen"),
    (None, {}, "cn-hangzhou"),
])
def test_region_resolution(block, env, region) -> None:
    t = resolve_target(pc(endpoints=EP, access_key="a", secret_key="b", region=block), env=env)
    assert t.region == region


def test_missing_credentials_name_the_provider_block_and_endpoint() -> None:
    with pytest.raises(DiagnosticsError) as err:
        resolve_target(pc(endpoints={"slb": "127.0.0.1:8089"}, access_key="only-id"), env={})
    [d] = err.value.diagnostics
    assert d.pos == POS
    assert d.summary == 'provider "alicloud": no secret_key for the configured endpoint http://127.0.0.1:8089'
    assert "ALIBABA_CLOUD_ACCESS_KEY_SECRET" in d.hint
    assert "only-id" not in d.render()


def test_missing_credentials_for_an_aliased_block() -> None:
    with pytest.raises(DiagnosticsError) as err:
        resolve_target(pc(alias="west", endpoints=EP), env={})
    assert 'provider "alicloud" (alias west): no access_key and secret_key' in err.value.diagnostics[0].summary


def test_endpoints_of_a_served_emulator_fill_the_missing_products() -> None:
    t = resolve_target(pc(endpoints={"slb": "http://127.0.0.1:9000"}, access_key="a", secret_key="b"), env={})
    assert t.endpoints == {p: Endpoint("127.0.0.1:9000", "http") for p in ("Slb", "Vpc", "Ecs")}
    assert not t.real_cloud


def test_real_endpoints_fill_with_public_hosts() -> None:
    t = resolve_target(pc(region="cn-beijing", endpoints={"slb": "slb.aliyuncs.com"}, access_key="a",
                          secret_key="b"), env={})
    assert t.real_cloud
    assert t.endpoints["Slb"] == Endpoint("slb.aliyuncs.com", "https")
    assert t.endpoints["Vpc"] == Endpoint("vpc.cn-beijing.aliyuncs.com", "https")


def test_real_cloud_only_by_explicit_flag() -> None:
    env = {"CLBPLAN_REAL_CLOUD": "1", "ALICLOUD_ACCESS_KEY": "a", "ALICLOUD_SECRET_KEY": "b",
           "ALICLOUD_REGION": "cn-shanghai"}
    t = resolve_target(pc(), env=env)
    assert t.real_cloud
    assert {str(e) for e in t.endpoints.values()} == {
        "https://slb.cn-shanghai.aliyuncs.com", "https://vpc.cn-shanghai.aliyuncs.com",
        "https://ecs.cn-shanghai.aliyuncs.com"}
    assert resolve_target(pc(), env={**env, "CLBPLAN_REAL_CLOUD": "0"}) is None


def test_bad_endpoint_is_a_located_error() -> None:
    with pytest.raises(DiagnosticsError) as err:
        resolve_target(pc(endpoints={"slb": "127.0.0.1:notaport"}, access_key="a", secret_key="b"), env={})
    [d] = err.value.diagnostics
    assert d.pos == POS and "endpoints.slb" in d.summary and "port" in d.detail


def test_endpoints_for_other_products_only_is_an_error() -> None:
    with pytest.raises(DiagnosticsError) as err:
        resolve_target(pc(endpoints={"oss": "127.0.0.1:1"}, access_key="a", secret_key="b"), env={})
    assert "names none of slb, vpc, ecs" in err.value.diagnostics[0].summary


@pytest.mark.parametrize(("raw", "expected"), [
    ("127.0.0.1:8089", Endpoint("127.0.0.1:8089", "http")),
    ("http://127.0.0.1:8089/", Endpoint("127.0.0.1:8089", "http")),
    ("https://127.0.0.1:8443", Endpoint("127.0.0.1:8443", "https")),
    ("localhost:9", Endpoint("localhost:9", "http")),
    ("[::1]:8089", Endpoint("[::1]:8089", "http")),
    ("slb.aliyuncs.com", Endpoint("slb.aliyuncs.com", "https")),
])
def test_parse_endpoint(raw: str, expected: Endpoint) -> None:
    assert parse_endpoint(raw) == expected


@pytest.mark.parametrize("raw", ["", "ftp://x:1", "http://127.0.0.1:1/path", "127.0.0.1:0", "a b:1", "u@h:1"])
def test_parse_endpoint_refuses(raw: str) -> None:
    with pytest.raises(ValueError):
        parse_endpoint(raw)


def test_credentials_repr_and_scrub() -> None:
    c = Credentials("LTAI5tABCDEFGHIJ", "very-secret-value", "sts-token-xyz")
    text = repr(c) + str(c)
    assert "very-secret-value" not in text and "LTAI5tABCDEFGHIJ" not in text and "sts-token-xyz" not in text
    assert scrub("key LTAI5tABCDEFGHIJ secret very-secret-value", c.secrets()) == "key *** secret ***"


def _config(providers: dict[str, ProviderConfig], used: list[str]) -> Configuration:
    from planner.addresses import ResourceAddress

    cfg = Configuration(directory=".")
    cfg.providers.update(providers)
    for i, key in enumerate(used):
        addr = ResourceAddress("alicloud_slb_load_balancer", f"lb{i}")
        cfg.resources[addr] = ResourceInstance(address=addr, attributes={}, pos=POS, provider=key)
    return cfg


def test_aliased_provider_pointing_elsewhere_is_refused() -> None:
    default = pc(endpoints=EP, access_key="a", secret_key="b")
    other = pc(alias="b", endpoints={"slb": "127.0.0.1:9999"}, access_key="a", secret_key="b",
               pos=SourcePos("main.tf", 20, 1))
    cfg = _config({"alicloud": default, "alicloud.b": other}, ["alicloud", "alicloud.b"])
    with pytest.raises(DiagnosticsError) as err:
        check_provider_targets(cfg, env={})
    [d] = err.value.diagnostics
    assert d.pos == SourcePos("main.tf", 20, 1) and "alicloud.b" in d.summary


def test_aliased_provider_with_the_same_target_is_fine() -> None:
    default = pc(endpoints=EP, access_key="a", secret_key="b")
    same = pc(alias="b", endpoints=EP, access_key="a", secret_key="b")
    check_provider_targets(_config({"alicloud": default, "alicloud.b": same}, ["alicloud", "alicloud.b"]), env={})
    # an unused alias is not checked
    other = pc(alias="c", region="us-west-1")
    check_provider_targets(_config({"alicloud": default, "alicloud.c": other}, ["alicloud"]), env={})
