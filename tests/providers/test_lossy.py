"""Every handler under lost responses and busy windows: each call is reconciled (re-issued with
the same ClientToken, or read back) and the cloud ends exactly as planned, with nothing twice."""

from __future__ import annotations

from collections import Counter

import pytest
from provider_helpers import LISTENER_BASE, assert_matches, new_lb

from planner.emulator import Emulator
from planner.emulator.faults import FaultConfig


@pytest.fixture(params=[3, 8])
def emulator(request):
    emu = Emulator(faults=FaultConfig(lost_response_rate=0.3, busy_window=0.002, transient_rate=0.05,
                                      seed=request.param))
    yield emu
    emu.close()


def kinds(emu: Emulator) -> Counter:
    return Counter(row[1] for row in emu.dump()["tables"]["objects"])


def test_full_lifecycle_under_lost_responses(provider, ctx, emulator):
    vpc = provider.handler("alicloud_vpc").create({"vpc_name": "v", "cidr_block": "172.16.0.0/12"}, ctx)
    vsw = provider.handler("alicloud_vswitch").create(
        {"vpc_id": vpc["id"], "cidr_block": "172.16.0.0/24", "zone_id": "cn-hangzhou-h"}, ctx)
    sg = provider.handler("alicloud_security_group").create({"vpc_id": vpc["id"]}, ctx)
    ids = [provider.handler("alicloud_instance").create({
        "image_id": "ubuntu_22_04_x64_20G_alibase_20240508.vhd", "instance_type": "ecs.g6.large",
        "vswitch_id": vsw["id"], "security_groups": [sg["id"]]}, ctx)["id"] for _ in range(3)]
    lb = new_lb(provider, ctx)
    grp_h = provider.handler("alicloud_slb_server_group")
    planned = {"load_balancer_id": lb["id"], "name": "g",
               "servers": [{"server_ids": ids, "port": p, "weight": 100, "type": "ecs"} for p in range(80, 88)]}
    grp = grp_h.create(planned, ctx)
    assert_matches(planned, grp)
    upd = dict(grp, servers=[{"server_ids": ids[:2], "port": p, "weight": 10, "type": "ecs"} for p in range(84, 92)])
    grp = grp_h.update(grp, upd, ctx)
    assert_matches(upd, grp)
    bs_h = provider.handler("alicloud_slb_backend_server")
    bs = bs_h.create({"load_balancer_id": lb["id"], "backend_servers": [
        {"server_id": i, "weight": 100, "type": "ecs"} for i in ids]}, ctx)
    bs = bs_h.update(bs, dict(bs, backend_servers=[{"server_id": ids[0], "weight": 0, "type": "ecs"}]), ctx)
    assert [b["weight"] for b in bs["backend_servers"]] == [0]
    li_h = provider.handler("alicloud_slb_listener")
    li = li_h.create(dict(LISTENER_BASE, load_balancer_id=lb["id"], frontend_port=80, protocol="http",
                          bandwidth=-1, server_group_id=grp["id"]), ctx)
    rule_h = provider.handler("alicloud_slb_rule")
    rule = rule_h.create({"load_balancer_id": lb["id"], "frontend_port": 80, "name": "r", "domain": "a.example.com",
                          "server_group_id": grp["id"], "listener_sync": "on"}, ctx)
    acl_h = provider.handler("alicloud_slb_acl")
    acl = acl_h.create({"name": "a", "ip_version": "ipv4",
                        "entry_list": [{"entry": f"10.0.{i}.0/24", "comment": None} for i in range(60)]}, ctx)
    assert len(acl["entry_list"]) == 60
    counts = kinds(emulator)
    for kind in ("lb", "vsg", "listener", "rule", "acl", "vpc", "vswitch"):
        assert counts[kind] == 1, (kind, counts)
    assert sum(n for k, n in counts.items() if k.startswith(("instance", "ecs"))) == 3, counts
    rule_h.delete(rule, ctx)
    li_h.delete(li, ctx)
    grp_h.delete(grp, ctx)
    acl_h.delete(acl, ctx)
    provider.handler("alicloud_slb_load_balancer").delete(lb, ctx)
    after = kinds(emulator)
    assert after["lb"] == after["vsg"] == after["listener"] == after["rule"] == after["acl"] == 0
