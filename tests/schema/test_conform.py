"""conform() on hand-built instances: conversion, defaults, aliases, unknowns, nested blocks."""

from __future__ import annotations

import pytest

from planner.addresses import ResourceAddress
from planner.config.model import ResourceInstance
from planner.diagnostics import SourcePos
from planner.schema import conform, get_schema
from planner.values import UNKNOWN


def make(type_name: str, attrs: dict, mode: str = "managed") -> ResourceInstance:
    positions = {(k,): SourcePos("main.tf", 10 + i, 3) for i, k in enumerate(attrs)}
    return ResourceInstance(ResourceAddress(type_name, "x", None, mode), attrs, SourcePos("main.tf", 9, 1),
                            positions)


def errors(diags):
    return [d for d in diags if d.severity == "error"]


def listener(**kw) -> dict:
    base = {"load_balancer_id": "lb-1", "protocol": "tcp", "frontend_port": 80, "backend_port": 80, "bandwidth": 10}
    base.update(kw)
    return base


def test_strings_convert_to_numbers_and_bools() -> None:
    inst = make("alicloud_slb_listener", listener(frontend_port="8080", protocol="http", gzip="false"))
    assert errors(conform(inst)) == []
    assert inst.attributes["frontend_port"] == 8080
    assert inst.attributes["gzip"] is False


def test_numbers_and_bools_convert_to_strings() -> None:
    inst = make("alicloud_slb_load_balancer", {"load_balancer_name": "web", "load_balancer_spec": "slb.s1.small",
                                               "tags": {"tier": 1, "public": True}})
    assert errors(conform(inst)) == []
    assert inst.attributes["tags"] == {"tier": "1", "public": "true"}


def test_fractional_number_is_rejected_for_integer_argument() -> None:
    inst = make("alicloud_slb_listener", listener(frontend_port=80.5))
    (d,) = errors(conform(inst))
    assert "a whole number is required" in d.summary and d.pos.line == 12


def test_defaults_filled_but_optional_computed_left_unset() -> None:
    attrs = listener(protocol="http")
    del attrs["bandwidth"]  # optional for http: the cloud picks -1
    inst = make("alicloud_slb_listener", attrs)
    assert errors(conform(inst)) == []
    a = inst.attributes
    assert a["scheduler"] == "wrr" and a["health_check_interval"] == 2 and a["request_timeout"] == 60
    assert a["sticky_session"] == "off" and a["gzip"] is True
    # Optional+Computed without a default: the cloud decides; not invented here
    assert "bandwidth" not in a and "health_check_http_code" not in a


def test_nested_block_defaults_are_filled() -> None:
    inst = make("alicloud_slb_server_group", {"load_balancer_id": "lb-1",
                                              "servers": [{"server_ids": ["i-1"], "port": 80}]})
    assert errors(conform(inst)) == []
    assert inst.attributes["servers"][0]["weight"] == 100
    assert inst.attributes["servers"][0]["type"] == "ecs"
    assert inst.attributes["name"] == "tf-server-group"


def test_deprecated_alias_moves_to_canonical_with_warning() -> None:
    inst = make("alicloud_slb_load_balancer", {"name": "web", "specification": "slb.s2.small"})
    diags = conform(inst)
    assert errors(diags) == []
    assert inst.attributes["load_balancer_name"] == "web" and "name" not in inst.attributes
    assert inst.attributes["load_balancer_spec"] == "slb.s2.small" and "specification" not in inst.attributes
    warned = [d for d in diags if d.severity == "warning" and "deprecated" in d.summary]
    assert {d.hint for d in warned} >= {'rename it to "load_balancer_name"', 'rename it to "load_balancer_spec"'}
    # the canonical name now carries the position the user wrote
    assert inst.pos_of("load_balancer_name").line == 10


def test_unknown_values_are_not_converted_or_validated() -> None:
    inst = make("alicloud_slb_listener", listener(frontend_port=UNKNOWN, backend_port=UNKNOWN))
    assert errors(conform(inst)) == []
    assert inst.attributes["frontend_port"] is UNKNOWN


def test_unknown_dynamic_block_is_accepted() -> None:
    inst = make("alicloud_slb_backend_server", {"load_balancer_id": UNKNOWN, "backend_servers": UNKNOWN})
    assert errors(conform(inst)) == []


def test_set_of_strings_is_deduplicated_and_sorted() -> None:
    inst = make("alicloud_instance", {"image_id": "img", "instance_type": "ecs.g6.large",
                                      "security_groups": ["sg-b", "sg-a", "sg-b"]})
    assert errors(conform(inst)) == []
    assert inst.attributes["security_groups"] == ["sg-a", "sg-b"]


def test_read_only_attribute_is_rejected() -> None:
    inst = make("alicloud_vpc", {"vpc_name": "v", "router_id": "vrt-1"})
    (d,) = errors(conform(inst))
    assert '"router_id" is read-only' in d.summary


def test_unknown_block_reports_at_block_and_suggests() -> None:
    inst = make("alicloud_slb_server_group", {"load_balancer_id": "lb-1", "server": [{"port": 80}]})
    del inst.positions[("server",)]  # the loader records nested blocks by index only
    inst.positions[("server", 0)] = SourcePos("main.tf", 20, 3)
    (d,) = errors(conform(inst))
    assert 'did you mean "servers"?' in d.hint and d.pos.line == 20


def test_nested_error_is_located_in_block() -> None:
    inst = make("alicloud_slb_server_group", {"load_balancer_id": "lb-1",
                                              "servers": [{"server_ids": ["i-1"], "port": 80, "type": "vm"}]})
    inst.positions[("servers", 0, "type")] = SourcePos("main.tf", 31, 5)
    (d,) = errors(conform(inst))
    assert 'Invalid value the string "vm" for "servers[0].type"' in d.summary
    assert d.pos == SourcePos("main.tf", 31, 5)
    assert '"ecs", "eni"' in d.hint


def test_data_source_unknown_type_suggests() -> None:
    (d,) = conform(make("alicloud_zone", {}, mode="data"))
    assert 'unsupported data source "alicloud_zone"' in d.summary and 'did you mean "alicloud_zones"?' in d.hint


def test_deprecated_resource_type_shares_schema() -> None:
    assert get_schema("alicloud_slb").attributes == get_schema("alicloud_slb_load_balancer").attributes
    diags = conform(make("alicloud_slb", {"load_balancer_name": "a", "load_balancer_spec": "slb.s1.small"}))
    assert [d.severity for d in diags] == ["warning"]


BRIEF_TYPES = [
    "alicloud_slb_load_balancer", "alicloud_slb", "alicloud_slb_listener", "alicloud_slb_server_group",
    "alicloud_slb_server_group_server_attachment", "alicloud_slb_backend_server",
    "alicloud_slb_master_slave_server_group", "alicloud_slb_rule", "alicloud_slb_acl",
    "alicloud_slb_acl_entry_attachment", "alicloud_slb_server_certificate", "alicloud_vpc", "alicloud_vswitch",
    "alicloud_security_group", "alicloud_instance", "alicloud_ecs_network_interface", "alicloud_network_interface",
    "alicloud_ecs_network_interface_attachment", "alicloud_network_interface_attachment",
]


@pytest.mark.parametrize("type_name", BRIEF_TYPES)
def test_every_type_has_schema_with_computed_id(type_name: str) -> None:
    s = get_schema(type_name)
    assert s is not None and s.type_name == type_name
    assert s.attributes["id"].computed and not s.attributes["id"].optional


def test_force_new_and_sensitive_are_declared() -> None:
    assert {"load_balancer_id", "frontend_port", "protocol", "backend_port"} <= get_schema(
        "alicloud_slb_listener").force_new
    assert "servers" in get_schema("alicloud_slb_master_slave_server_group").force_new
    assert "private_key" in get_schema("alicloud_slb_server_certificate").sensitive
    assert get_schema("alicloud_slb_server_group").blocks["servers"].computed


def test_listener_official_doc_example_is_accepted_with_warning_only() -> None:
    """The provider's documented http listener (cookie with insert stickiness) must still validate."""
    inst = make("alicloud_slb_listener", {
        "load_balancer_id": UNKNOWN, "backend_port": 80, "frontend_port": 80, "protocol": "http",
        "bandwidth": 10, "sticky_session": "on", "sticky_session_type": "insert", "cookie_timeout": 86400,
        "cookie": "tfslblistenercookie", "health_check": "on", "health_check_domain": "ron.xin.com",
        "health_check_uri": "/cons", "health_check_connect_port": 20, "healthy_threshold": 8,
        "unhealthy_threshold": 8, "health_check_timeout": 8, "health_check_interval": 5,
        "health_check_http_code": "http_2xx,http_3xx", "x_forwarded_for": [{"retrive_slb_ip": True,
                                                                           "retrive_slb_id": True}],
        "acl_status": "on", "acl_type": "white", "acl_ids": [UNKNOWN], "request_timeout": 80, "idle_timeout": 30,
    })
    diags = conform(inst)
    assert errors(diags) == []
    assert any("cookie is ignored with insert stickiness" in d.summary for d in diags)


def test_sensitive_values_are_never_echoed() -> None:
    secret = "not-a-pem-but-secret-material"
    inst = make("alicloud_slb_server_certificate", {"name": "c", "server_certificate": "-----BEGIN CERT",
                                                    "private_key": secret})
    diags = conform(inst)
    (d,) = errors(diags)
    assert "private_key" in d.summary and "is not PEM-encoded" in d.summary
    assert all(secret not in x.render() for x in diags)


def test_value_from_sensitive_variable_is_masked() -> None:
    inst = make("alicloud_slb_listener", listener(description="x" * 300))
    inst.sensitive.add("description")
    (d,) = errors(conform(inst))
    assert "xxxx" not in d.render() and "a sensitive value" in d.summary


def test_timeouts_block_is_accepted_checked_and_removed() -> None:
    inst = make("alicloud_slb_rule", {"load_balancer_id": "lb-1", "frontend_port": 80, "url": "/a",
                                      "server_group_id": "rsp-1", "timeouts": [{"create": "5m", "delete": "1h30m"}]})
    diags = conform(inst)
    assert errors(diags) == [] and "timeouts" not in inst.attributes
    assert any("timeouts has no effect" in d.summary for d in diags)
    bad = make("alicloud_slb_rule", {"load_balancer_id": "lb-1", "frontend_port": 80, "url": "/a",
                                     "server_group_id": "rsp-1", "timeouts": [{"create": "soon", "read": "1m"}]})
    msgs = [d.summary for d in errors(conform(bad))]
    assert any('Invalid duration "soon"' in m for m in msgs) and any('"timeouts.read"' in m for m in msgs)


def test_timeouts_on_a_resource_without_them_is_unsupported() -> None:
    inst = make("alicloud_slb_listener", listener(timeouts=[{"create": "5m"}]))
    (d,) = errors(conform(inst))
    assert 'Unsupported argument "timeouts"' in d.summary


def test_conflicting_arguments_are_reported_once() -> None:
    inst = make("alicloud_slb_listener", listener(acl_id="acl-1", acl_ids=["acl-2"], acl_status="on",
                                                  acl_type="white"))
    diags = errors(conform(inst))
    assert [d.summary for d in diags] == ['alicloud_slb_listener.x: "acl_id" conflicts with "acl_ids"']
    assert diags[0].hint == "set only one of acl_id and acl_ids"
