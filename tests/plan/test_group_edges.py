"""Group edges: an operation waiting for every write of a counted resource (a splat) waits on one
group node, so the graph is N + M edges, not N x M, and every consumer still orders, skips,
renders, saves and targets through it correctly. End to end on the embedded emulator."""

from __future__ import annotations

import json
import re
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from planner.cli.main import cli
from planner.engine.pipeline import make_plan
from planner.plan.model import group_node_id, is_group_node, waits_by_operation
from planner.plan.planfile import read_plan_file
from planner.render.json_plan import decision_view
from planner.render.markdown import render_markdown
from planner.state.backend import LocalBackend
from tests.support.progress import executed
from tests.support.review import plan_doc

USES_REAL_SCHEMA = True

N_INSTANCES = 40
N_GROUPS = 6
GROUP = group_node_id("alicloud_instance.x", "writes")

CONFIG = f'''
provider "alicloud" {{
  region = "cn-hangzhou"
}}

resource "alicloud_vpc" "main" {{
  vpc_name   = "groups-vpc"
  cidr_block = "10.0.0.0/8"
}}

resource "alicloud_vswitch" "main" {{
  vpc_id       = alicloud_vpc.main.id
  cidr_block   = "10.0.0.0/20"
  zone_id      = "cn-hangzhou-h"
  vswitch_name = "groups-vsw"
}}

resource "alicloud_security_group" "main" {{
  security_group_name = "groups-sg"
  vpc_id              = alicloud_vpc.main.id
}}

resource "alicloud_instance" "x" {{
  count           = {N_INSTANCES}
  instance_name   = "groups-${{count.index}}"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = alicloud_vswitch.main.id
  security_groups = [alicloud_security_group.main.id]
}}

resource "alicloud_slb_load_balancer" "web" {{
  load_balancer_name   = "groups-web"
  address_type         = "internet"
  internet_charge_type = "PayByTraffic"
  load_balancer_spec   = "slb.s2.small"
}}

locals {{
  groups = {{ for i in range({N_GROUPS}) : "g${{i}}" => i % 2 }}
}}

resource "alicloud_slb_server_group" "g" {{
  for_each         = local.groups
  load_balancer_id = alicloud_slb_load_balancer.web.id
  name             = "group-${{each.key}}"
  servers {{
    server_ids = slice(alicloud_instance.x[*].id, each.value * 20, each.value * 20 + 20)
    port       = 80
    weight     = 100
  }}
}}
'''

# vswitch->vpc, sg->vpc, two per instance (vswitch, security group), one per group (its LB),
# one per instance into the group node, one from the group node to each server group
EXPECTED_EDGES = 2 + 2 * N_INSTANCES + N_GROUPS + N_INSTANCES + N_GROUPS


def run(*args):
    return CliRunner().invoke(cli, [str(a) for a in args])


@pytest.fixture
def work(tmp_path: Path) -> Path:
    (tmp_path / "main.tf").write_text(CONFIG)
    return tmp_path


def test_splat_dependents_wait_on_one_group_node_n_plus_m_edges(work):
    planned = make_plan(work, LocalBackend(work / "clbplan.tfstate").read())
    plan = planned.plan
    assert len(plan.operations) == 3 + N_INSTANCES + 1 + N_GROUPS
    assert len(plan.edges) == EXPECTED_EDGES  # one edge per (instance, group) pair would be 240 more
    into = [e for e in plan.edges if e.after == GROUP]
    out_of = [e for e in plan.edges if e.before == GROUP]
    assert len(into) == N_INSTANCES and len(out_of) == N_GROUPS
    assert not any(e.before.startswith("alicloud_instance.x[") and e.after.startswith("alicloud_slb_server_group")
                   for e in plan.edges)
    assert all(not is_group_node(op.id) for op in plan.operations)
    # every server group still waits for every instance, through the group
    waits = waits_by_operation(plan.edges)
    g0 = waits['alicloud_slb_server_group.g["g0"]:create']
    via = [w for w in g0 if w.group == GROUP]
    assert len(via) == 1 and len(via[0].before) == N_INSTANCES
    assert via[0].reason == 'alicloud_slb_server_group.g["g0"] references alicloud_instance.x'
    # the operations are listed after all their members
    position = {op.id: i for i, op in enumerate(plan.operations)}
    last_instance = max(position[e.before] for e in into)
    assert all(position[e.after] > last_instance for e in out_of)


def test_plan_text_names_the_group_and_its_steps(work, tmp_path):
    plan_file = tmp_path / "p.plan"
    r = run("plan", work, f"-out={plan_file}")
    assert r.exit_code == 0, r.output
    steps = {m.group(2): int(m.group(1)) for m in re.finditer(r"^\s+(\d+)\. \w+\s+(\S+)", r.output, re.M)}
    instance_steps = sorted(v for k, v in steps.items() if k.startswith("alicloud_instance.x["))
    lo, hi = instance_steps[0], instance_steps[-1]
    assert hi - lo + 1 == N_INSTANCES  # listed together: one range
    line = (f'after {lo}-{hi} (all {N_INSTANCES} writes of alicloud_instance.x): '
            'alicloud_slb_server_group.g["g3"] references alicloud_instance.x')
    assert line in r.output
    # the PR comment says the same (given room for its operation list)
    md = render_markdown(read_plan_file(plan_file, decision_view).plan, limit=1_000_000)
    assert f"after {lo}-{hi} (all {N_INSTANCES} writes of alicloud_instance.x)" in md.replace("\\", "")


def test_saved_plan_with_group_edges_applies_exactly_and_converges(work, tmp_path):
    plan_file = tmp_path / "groups.plan"
    r = run("plan", work, f"-out={plan_file}")
    assert r.exit_code == 0, r.output
    saved = json.loads(plan_file.read_text())
    doc = saved["clbplan"]
    assert [g["id"] for g in doc["groups"]] == [GROUP]
    assert len(doc["groups"][0]["operations"]) == N_INSTANCES
    assert len(doc["edges"]) == EXPECTED_EDGES
    waits = {o["address"]: o["after"] for o in doc["operations"]}
    assert any(a.get("group") == GROUP and a["count"] == N_INSTANCES for a in waits['alicloud_slb_server_group.g["g1"]'])

    r = run("apply", plan_file)
    assert r.exit_code == 0, r.output
    done = executed(r.output)
    assert sorted(done) == sorted((o["kind"], o["address"]) for o in doc["operations"])
    state = LocalBackend(work / "clbplan.tfstate").read()
    ids = {str(a): rs.id for a, rs in state.resources.items()}
    g1 = state.resources[next(a for a in state.resources if str(a) == 'alicloud_slb_server_group.g["g1"]')]
    assert sorted(g1.attributes["servers"][0]["server_ids"]) == sorted(
        ids[f"alicloud_instance.x[{i}]"] for i in range(20, 40))
    r = run("plan", work, "-detailed-exitcode")
    assert r.exit_code == 0, r.output


def test_target_and_exclude_walk_through_the_group(work):
    doc = plan_doc(work, '-target=alicloud_slb_server_group.g["g2"]')["clbplan"]
    addrs = [o["address"] for o in doc["operations"]]
    # the target brings every instance it waits for through the group, and nothing else of its kind
    assert sum(a.startswith("alicloud_instance.x[") for a in addrs) == N_INSTANCES
    assert [a for a in addrs if a.startswith("alicloud_slb_server_group")] == ['alicloud_slb_server_group.g["g2"]']
    assert [g["id"] for g in doc["groups"]] == [GROUP]
    assert sum(1 for e in doc["edges"] if e["before"] == GROUP) == 1

    addrs = [o["address"] for o in plan_doc(work, "-exclude=alicloud_instance.x[7]")["clbplan"]["operations"]]
    # every server group waits on all instances (through the group), so all of them go too
    assert not any(a.startswith("alicloud_slb_server_group") for a in addrs)
    assert "alicloud_instance.x[7]" not in addrs and "alicloud_instance.x[8]" in addrs

    r = run("apply", work, '-target=alicloud_slb_server_group.g["g2"]', "-auto-approve")
    assert r.exit_code == 0, r.output
    left = [o["address"] for o in plan_doc(work)["clbplan"]["operations"]]
    assert sorted(left) == sorted(f'alicloud_slb_server_group.g["g{i}"]' for i in range(N_GROUPS) if i != 2)


def test_graph_type_plan_draws_the_group_once(work):
    r = run("graph", work, "-type=plan")
    assert r.exit_code == 0, r.output
    assert r.output.count(f'"{GROUP}" [label = "all {N_INSTANCES} writes of alicloud_instance.x"') == 1
    assert r.output.count(f'-> "{GROUP}"') == N_INSTANCES
    assert r.output.count(f'"{GROUP}" ->') == N_GROUPS


def test_destroy_orders_every_instance_after_its_users_through_one_group(work):
    r = run("apply", work, "-auto-approve")
    assert r.exit_code == 0, r.output
    doc = plan_doc(work, "-destroy")["clbplan"]
    before_delete = group_node_id("alicloud_instance.x", "before-delete")
    into = [e for e in doc["edges"] if e["after"] == before_delete]
    out_of = [e for e in doc["edges"] if e["before"] == before_delete]
    # each server group's delete -> group -> each instance's delete: 6 + 40, not 6 x 40
    assert len(into) == N_GROUPS and len(out_of) == N_INSTANCES
    assert not any(e["before"].startswith("alicloud_slb_server_group") and e["after"].startswith("alicloud_instance")
                   for e in doc["edges"])
    position = {o["id"]: o["index"] for o in doc["operations"]}
    assert max(position[e["before"]] for e in into) < min(position[e["after"]] for e in out_of)
    r = run("destroy", work, "-auto-approve")
    assert r.exit_code == 0, r.output
    assert not LocalBackend(work / "clbplan.tfstate").read().resources


def test_json_plan_with_a_group_matches_the_schema(work):
    schema = json.loads((Path(__file__).parent.parent / "review" / "plan.schema.json").read_text())
    doc = plan_doc(work)
    errors = sorted(e.message for e in jsonschema.Draft202012Validator(schema).iter_errors(doc))
    assert errors == []
    assert doc["clbplan"]["groups"][0]["description"] == f"all {N_INSTANCES} writes of alicloud_instance.x"
