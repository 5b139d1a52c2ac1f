"""A moderate real-world configuration for the engine tests, and how to run and inspect clbplan on it.

The engine tests drive the real ``clbplan`` CLI in subprocesses, so everything here is about the
process edge: write a directory, run a command, read the embedded cloud (``.clbplan/emulator.sqlite``)
and the state file back. The configuration covers every kind of object an apply creates and orders:
VPC, vSwitch, security group, ECS instances, per load balancer a default group, two VServer groups,
a master-slave group, four listeners (HTTP with forwarding rules and an ACL, HTTPS with a certificate,
TCP on the master-slave group, UDP), and shared ACL and certificate.
"""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from collections import Counter
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
PEM_DIR = REPO / "examples" / "https-certificate"

#: emulator object kinds -> state resource types that own one cloud object of that kind each.
KIND_TO_TYPES: dict[str, tuple[str, ...]] = {
    "vpc": ("alicloud_vpc",),
    "vswitch": ("alicloud_vswitch",),
    "sg": ("alicloud_security_group",),
    "instance": ("alicloud_instance",),
    "lb": ("alicloud_slb_load_balancer", "alicloud_slb"),
    "listener": ("alicloud_slb_listener",),
    "vsg": ("alicloud_slb_server_group",),
    "msg": ("alicloud_slb_master_slave_server_group",),
    "rule": ("alicloud_slb_rule",),
    "acl": ("alicloud_slb_acl",),
    "cert": ("alicloud_slb_server_certificate",),
}


def stack_tf(lbs: int = 3, instances: int = 4, rules: int = 2) -> str:
    """HCL for ``lbs`` load balancers sharing one network, ``instances`` ECS servers, one ACL and one
    certificate. Each LB: 2 VServer groups, 1 master-slave group, default-group servers, 4 listeners,
    ``rules`` forwarding rules on its HTTP listener."""
    names = ", ".join(f'"lb{i}"' for i in range(lbs))
    rule_names = ", ".join(f'"r{i}"' for i in range(rules))
    return f'''
provider "alicloud" {{
  region = "cn-hangzhou"
}}

locals {{
  lbs   = toset([{names}])
  rules = toset([{rule_names}])
  # every (lb, rule) pair, keyed "lb0/r1"
  lb_rules = {{ for pair in setproduct(local.lbs, local.rules) : "${{pair[0]}}/${{pair[1]}}" => {{
    lb = pair[0], rule = pair[1] }} }}
}}

data "alicloud_zones" "default" {{
  available_resource_creation = "VSwitch"
}}

resource "alicloud_vpc" "main" {{
  vpc_name   = "engine-vpc"
  cidr_block = "10.30.0.0/16"
}}

resource "alicloud_vswitch" "main" {{
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "10.30.1.0/24"
  zone_id      = data.alicloud_zones.default.ids[0]
  vswitch_name = "engine-vsw"
}}

resource "alicloud_security_group" "app" {{
  security_group_name = "engine-sg"
  vpc_id              = alicloud_vpc.main.id
}}

resource "alicloud_instance" "app" {{
  count           = {instances}
  instance_name   = "engine-app-${{count.index}}"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.app.id]
}}

resource "alicloud_slb_acl" "office" {{
  name       = "engine-office"
  ip_version = "ipv4"
  entry_list {{
    entry   = "203.0.113.0/24"
    comment = "office"
  }}
}}

resource "alicloud_slb_server_certificate" "shop" {{
  name               = "engine-cert"
  server_certificate = file("{PEM_DIR}/cert.pem")
  private_key        = file("{PEM_DIR}/key.pem")
}}

resource "alicloud_slb_load_balancer" "lb" {{
  for_each           = local.lbs
  load_balancer_name = "engine-${{each.key}}"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s2.small"
}}

resource "alicloud_slb_backend_server" "default" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  dynamic "backend_servers" {{
    for_each = alicloud_instance.app
    content {{
      server_id = backend_servers.value.id
      weight    = 100
    }}
  }}
}}

resource "alicloud_slb_server_group" "web" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  name             = "web-${{each.key}}"
  servers {{
    server_ids = alicloud_instance.app[*].id
    port       = 8080
  }}
}}

resource "alicloud_slb_server_group" "api" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  name             = "api-${{each.key}}"
  servers {{
    server_ids = slice(alicloud_instance.app[*].id, 0, 2)
    port       = 9090
    weight     = 50
  }}
}}

resource "alicloud_slb_master_slave_server_group" "db" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  name             = "db-${{each.key}}"
  servers {{
    server_id   = alicloud_instance.app[0].id
    port        = 5432
    server_type = "Master"
  }}
  servers {{
    server_id   = alicloud_instance.app[1].id
    port        = 5432
    server_type = "Slave"
  }}
}}

resource "alicloud_slb_listener" "http" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  protocol         = "http"
  frontend_port    = 80
  server_group_id  = alicloud_slb_server_group.web[each.key].id
  bandwidth        = -1
  sticky_session   = "off"
  acl_status       = "on"
  acl_type         = "white"
  acl_id           = alicloud_slb_acl.office.id
}}

resource "alicloud_slb_listener" "https" {{
  for_each              = local.lbs
  load_balancer_id      = alicloud_slb_load_balancer.lb[each.key].id
  protocol              = "https"
  frontend_port         = 443
  server_group_id       = alicloud_slb_server_group.web[each.key].id
  server_certificate_id = alicloud_slb_server_certificate.shop.id
  bandwidth             = 50
  sticky_session        = "off"
}}

resource "alicloud_slb_listener" "db" {{
  for_each                     = local.lbs
  load_balancer_id             = alicloud_slb_load_balancer.lb[each.key].id
  protocol                     = "tcp"
  frontend_port                = 5432
  master_slave_server_group_id = alicloud_slb_master_slave_server_group.db[each.key].id
  bandwidth                    = 10
}}

resource "alicloud_slb_listener" "dns" {{
  for_each         = local.lbs
  load_balancer_id = alicloud_slb_load_balancer.lb[each.key].id
  protocol         = "udp"
  frontend_port    = 53
  backend_port     = 53
  bandwidth        = 5
}}

resource "alicloud_slb_rule" "path" {{
  for_each         = local.lb_rules
  load_balancer_id = alicloud_slb_load_balancer.lb[each.value.lb].id
  frontend_port    = 80
  name             = "${{each.value.rule}}-path"
  url              = "/${{each.value.rule}}"
  server_group_id  = alicloud_slb_server_group.api[each.value.lb].id
}}

output "lb_ids" {{
  value = {{ for k, lb in alicloud_slb_load_balancer.lb : k => lb.id }}
}}
'''


def expected_objects(lbs: int = 3, instances: int = 4, rules: int = 2) -> Counter:
    """How many cloud objects of each kind ``stack_tf`` makes: the emulator must hold exactly these."""
    return Counter({"vpc": 1, "vswitch": 1, "sg": 1, "instance": instances, "acl": 1, "cert": 1,
                    "lb": lbs, "vsg": 2 * lbs, "msg": lbs, "listener": 4 * lbs, "rule": rules * lbs})


def write_stack(directory: Path, **kw: int) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "main.tf").write_text(stack_tf(**kw))
    return directory


def clbplan_cmd(*args: str) -> list[str]:
    """The real CLI, as a user runs it (the console script's entry point)."""
    return [sys.executable, "-m", "planner.cli.main", *args]


def cli_env() -> dict[str, str]:
    env = dict(os.environ)
    env.pop("CLBPLAN_DEBUG", None)
    env["PYTHONPATH"] = os.pathsep.join([str(REPO), env.get("PYTHONPATH", "")]).rstrip(os.pathsep)
    return env


def run_cli(workdir: Path, *args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(clbplan_cmd(*args), cwd=str(workdir), capture_output=True, text=True,
                          timeout=timeout, env=cli_env())


def cloud_rows(workdir: Path) -> list[tuple[str, str, dict]]:
    """(kind, id, document) of every object in the directory's embedded cloud, read straight from
    SQLite (read-only, so a test never changes what it inspects)."""
    path = workdir / ".clbplan" / "emulator.sqlite"
    if not path.exists():
        return []
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return [(k, i, json.loads(d)) for k, i, d in conn.execute("SELECT kind, id, doc FROM objects")]
    finally:
        conn.close()


def cloud_counts(workdir: Path) -> Counter:
    return Counter(kind for kind, _id, _doc in cloud_rows(workdir) if kind in KIND_TO_TYPES)


def state_doc(workdir: Path) -> dict:
    path = workdir / "clbplan.tfstate"
    return json.loads(path.read_text()) if path.exists() and path.stat().st_size else {}


def state_resources(workdir: Path) -> list[dict]:
    """The resources of the state file (one entry per instance: address, type, id, attributes)."""
    return list(state_doc(workdir).get("resources", []))


def cloud_key(kind: str, object_id: str, doc: dict) -> str:
    """The id the state records for a cloud object (listeners are ``lb:protocol:port`` in state)."""
    if kind == "listener":
        return f"{doc['LoadBalancerId']}:{doc['ListenerProtocol']}:{doc['ListenerPort']}"
    return object_id


def assert_cloud_matches_state(workdir: Path, expected: Counter) -> None:
    """Every tracked cloud object is in the state exactly once, the state holds nothing the cloud
    lacks, and the cloud holds exactly ``expected`` objects of each kind (nothing created twice)."""
    type_to_kind = {t: k for k, ts in KIND_TO_TYPES.items() for t in ts}
    in_state: Counter = Counter()
    for r in state_resources(workdir):
        kind = type_to_kind.get(r["type"])
        if kind is not None:
            in_state[(kind, r["id"])] += 1
    twice = {k: n for k, n in in_state.items() if n > 1}
    assert not twice, f"objects recorded more than once in state: {twice}"
    in_cloud = {(k, cloud_key(k, i, d)) for k, i, d in cloud_rows(workdir) if k in KIND_TO_TYPES}
    forgotten = sorted(in_cloud - set(in_state))
    assert not forgotten, f"cloud objects missing from state (forgotten by a killed run): {forgotten}"
    phantom = sorted(set(in_state) - in_cloud)
    assert not phantom, f"state records objects the cloud does not have: {phantom}"
    assert cloud_counts(workdir) == expected, "cloud object counts differ from the configuration's"


def member_counts(workdir: Path) -> Counter:
    """Backend servers attached, by kind of group: a retried attach must never add a server twice."""
    out: Counter = Counter()
    for kind, _id, doc in cloud_rows(workdir):
        if kind == "lb":
            out["default"] += len(doc.get("BackendServers") or [])
        elif kind == "vsg":
            out["vsg"] += len(doc.get("BackendServers") or [])
        elif kind == "msg":
            out["msg"] += len(doc.get("MasterSlaveBackendServers") or [])
    return out


def expected_members(lbs: int = 3, instances: int = 4, rules: int = 2) -> Counter:
    """Members ``stack_tf`` attaches: all instances in the default and web groups, 2 in api and db."""
    return Counter({"default": lbs * instances, "vsg": lbs * (instances + 2), "msg": 2 * lbs})
