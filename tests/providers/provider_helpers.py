"""Shared helpers of the provider tests."""

from __future__ import annotations


def assert_matches(planned: dict, got: dict) -> None:
    """Every configured attribute reads back exactly as planned (sets compare as sets)."""
    diffs = {}
    for k, v in planned.items():
        if v is None:
            continue
        g = got.get(k)
        if isinstance(v, list) and all(isinstance(x, str) for x in v) and isinstance(g, list):
            if sorted(v) != sorted(g):
                diffs[k] = (v, g)
        elif g != v:
            diffs[k] = (v, g)
    assert not diffs, f"read back differs from planned: {diffs}"


def new_lb(provider, ctx, **extra) -> dict:
    planned = {"load_balancer_name": "web", "load_balancer_spec": "slb.s2.small", "address_type": "internet",
               "internet_charge_type": "PayByTraffic", "bandwidth": 1, "delete_protection": "off",
               "address_ip_version": "ipv4", "instance_charge_type": "PayBySpec", "payment_type": "PayAsYouGo",
               **extra}
    got = provider.handler("alicloud_slb_load_balancer").create(planned, ctx)
    assert_matches(planned, got)
    return got


LISTENER_BASE = {"scheduler": "wrr", "acl_status": "off", "healthy_threshold": 3, "unhealthy_threshold": 3,
                 "health_check_timeout": 5, "health_check_interval": 2, "sticky_session": "off",
                 "health_check": "on", "health_check_type": "tcp", "health_check_uri": "/",
                 "established_timeout": 900, "persistence_timeout": 0, "idle_timeout": 15, "request_timeout": 60,
                 "enable_http2": "on", "tls_cipher_policy": "tls_cipher_policy_1_0", "gzip": True}
