"""What an apply sends for an operation whose plan had values "(known after apply)" (issue 17). When every
such value is id-like (a string, or a list or set of strings, at the top or in a nested block), only those
arguments are evaluated again; anything else (a ``dynamic`` block, another type) is the whole instance's
evaluation, as before. Both must send exactly the same values: here every operation of an apply is
evaluated both ways and compared, and the cloud ends as configured."""

from __future__ import annotations

from pathlib import Path

import pytest

from planner.config.model import Configuration
from planner.emulator import Emulator
from planner.engine import pipeline
from planner.engine.planned_values import ConfigPlannedValues
from planner.state.backend import LocalBackend
from planner.state.model import State

CONFIG = """
provider "alicloud" {
  region = "cn-hangzhou"
}

locals {
  zone = "cn-hangzhou-h"
}

resource "alicloud_vpc" "main" {
  vpc_name   = "t"
  cidr_block = "10.0.0.0/8"
}

resource "alicloud_vswitch" "a" {
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "10.0.0.0/20"
  zone_id      = local.zone
  vswitch_name = "sw-${alicloud_vpc.main.id}"
}

resource "alicloud_security_group" "app" {
  security_group_name = "sg"
  vpc_id              = alicloud_vpc.main.id
}

resource "alicloud_instance" "app" {
  count           = 2
  instance_name   = "app-${count.index}"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.a.id
  # a set: the same id twice is one member once known (the plan kept both unknowns)
  security_groups = [alicloud_security_group.app.id, alicloud_security_group.app.id]
}

resource "alicloud_slb_load_balancer" "lb" {
  for_each             = toset(["x", "y"])
  load_balancer_name   = "lb-${each.key}"
  address_type         = "internet"
  internet_charge_type = "PayByTraffic"
  load_balancer_spec   = "slb.s2.small"
}

resource "alicloud_slb_server_group" "g" {
  for_each         = alicloud_slb_load_balancer.lb
  load_balancer_id = each.value.id
  name             = "g-${each.key}"
  servers {
    server_ids = alicloud_instance.app[*].id
    port       = 80
    weight     = 100
  }
}

resource "alicloud_slb_backend_server" "d" {
  load_balancer_id = alicloud_slb_load_balancer.lb["y"].id
  backend_servers {
    server_id = alicloud_instance.app[1].id
    weight    = 50
  }
  backend_servers {
    server_id = alicloud_instance.app[0].id
    weight    = 100
  }
}

resource "alicloud_slb_master_slave_server_group" "ms" {
  load_balancer_id = alicloud_slb_load_balancer.lb["x"].id
  name             = "ms"
  dynamic "servers" {
    for_each = { Master = 0, Slave = 1 }
    content {
      server_id   = alicloud_instance.app[servers.value].id
      port        = 3306
      server_type = servers.key
    }
  }
}

resource "alicloud_slb_listener" "l" {
  for_each         = alicloud_slb_load_balancer.lb
  load_balancer_id = each.value.id
  protocol         = "tcp"
  frontend_port    = 80
  backend_port     = 80
  bandwidth        = 10
  server_group_id  = alicloud_slb_server_group.g[each.key].id
}
"""


def test_arguments_evaluated_alone_send_what_the_whole_instance_would(tmp_path: Path,
                                                                      monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main.tf").write_text(CONFIG)
    partial: list[str] = []
    evaluate_arguments = Configuration.evaluate_arguments

    def spying(self, address, names, lookup, cache=None, blocks=None):
        got = evaluate_arguments(self, address, names, lookup, cache, blocks)
        if got is not None:
            partial.append(f"{address} {sorted(names)} {sorted((blocks or {}).items())}")
        return got

    monkeypatch.setattr(Configuration, "evaluate_arguments", spying)
    compared: list[str] = []
    evaluated = ConfigPlannedValues._evaluated

    def both_ways(self, address, planned, applied, schema):
        got = evaluated(self, address, planned, applied, schema)
        whole = self.config.evaluate_instance(address, lambda a: applied.get(a) if a.mode != "data" else None,
                                              self.cache)
        assert got == whole, address
        compared.append(str(address))
        return got

    monkeypatch.setattr(ConfigPlannedValues, "_evaluated", both_ways)
    planned = pipeline.make_plan(tmp_path, State())
    backend = LocalBackend(tmp_path / "clbplan.tfstate")
    result = pipeline.apply_plan(planned, planned.refreshed, parallelism=4, journal=backend.journal("t"))
    assert not result.failures
    # ids (a listener's two, a vSwitch's interpolated name), a set of ids, ids in nested blocks: evaluated
    # alone; a dynamic block's: the whole instance, as before
    assert any("alicloud_slb_listener.l[\"x\"] ['load_balancer_id', 'server_group_id'] []" in p for p in partial)
    assert any("alicloud_vswitch.a ['vpc_id', 'vswitch_name'] []" in p for p in partial)
    assert any("alicloud_instance.app[0] ['security_groups', 'vswitch_id'] []" in p for p in partial)
    assert any("alicloud_slb_server_group.g[\"x\"] ['load_balancer_id'] [('servers', frozenset({'server_ids'}))]"
               in p for p in partial)
    assert any("alicloud_slb_backend_server.d ['load_balancer_id'] [('backend_servers', frozenset({'server_id'}))]"
               in p for p in partial)
    assert not any("alicloud_slb_master_slave_server_group" in p for p in partial)
    assert {"alicloud_slb_master_slave_server_group.ms", "alicloud_instance.app[1]",
            "alicloud_slb_backend_server.d"} <= set(compared)
    sent = result.state.resources
    assert next(r.attributes["security_groups"] for a, r in sent.items() if a.type == "alicloud_instance") \
        == [next(r.id for a, r in sent.items() if a.type == "alicloud_security_group")]
    # what was sent is what the cloud holds, and a new plan finds nothing to do
    cloud = Emulator(tmp_path / ".clbplan" / "emulator.sqlite")
    lbs = cloud.call("Slb", "DescribeLoadBalancers", {"RegionId": "cn-hangzhou"})["LoadBalancers"]["LoadBalancer"]
    by_name = {lb["LoadBalancerName"]: lb["LoadBalancerId"] for lb in lbs}
    listener = result.state.resources
    for key in ("x", "y"):
        attrs = next(r.attributes for a, r in listener.items()
                     if a.type == "alicloud_slb_listener" and a.key == key)
        assert attrs["load_balancer_id"] == by_name[f"lb-{key}"]
        group = cloud.call("Slb", "DescribeVServerGroupAttribute", {"RegionId": "cn-hangzhou",
                                                                    "VServerGroupId": attrs["server_group_id"]})
        assert group["LoadBalancerId"] == by_name[f"lb-{key}"]
    assert pipeline.make_plan(tmp_path, result.state).plan.operations == []
