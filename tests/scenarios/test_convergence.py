"""Property: from any load-balancer configuration A to any B, clbplan's plan passes verification,
applies without a refused call, and the next plan is empty. The generator mixes exactly the changes
the ordering rules exist for: groups replaced or dropped while bound, listeners changing port or
protocol (swaps included), rules moving between groups and listeners, master-slave groups rebuilt."""

from __future__ import annotations

import os
import shutil

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from scenario_runner import HERE, apply_dir, plan_dir, plan_text

NET = (HERE / "weight_set_to_zero" / "before" / "main.tf").read_text().split(
    'resource "alicloud_slb_load_balancer"')[0]

LB = '''
resource "alicloud_slb_load_balancer" "web" {
  load_balancer_name = "prop-lb"
  address_type       = "intranet"
  vswitch_id         = alicloud_vswitch.main.id
  load_balancer_spec = "slb.s2.small"
}
'''


@st.composite
def configs(draw) -> str:
    out = [NET, LB]
    groups = draw(st.lists(st.sampled_from(["g0", "g1", "g2"]), min_size=1, max_size=3, unique=True))
    for g in sorted(groups):
        members = draw(st.lists(st.integers(0, 2), min_size=1, max_size=3, unique=True))
        weight = draw(st.sampled_from([0, 50, 100]))
        port = draw(st.sampled_from([80, 8080]))
        servers = "".join(
            f"\n  servers {{\n    server_ids = [alicloud_instance.web[{i}].id]\n    port       = {port}\n"
            f"    weight     = {weight}\n  }}\n" for i in sorted(members))
        out.append(f'\nresource "alicloud_slb_server_group" "{g}" {{\n'
                   f'  load_balancer_id = alicloud_slb_load_balancer.web.id\n  name             = "{g}"\n'
                   f'{servers}}}\n')
    has_ms = draw(st.booleans())
    if has_ms:
        port, swap = draw(st.sampled_from([5432, 5433])), draw(st.booleans())
        master, slave = (1, 0) if swap else (0, 1)
        out.append(f'''
resource "alicloud_slb_master_slave_server_group" "ms" {{
  load_balancer_id = alicloud_slb_load_balancer.web.id
  name             = "ms"

  servers {{
    server_id   = alicloud_instance.web[{master}].id
    port        = {port}
    server_type = "Master"
  }}
  servers {{
    server_id   = alicloud_instance.web[{slave}].id
    port        = {port}
    server_type = "Slave"
  }}
}}
''')
    if has_ms:
        # master-slave backed listener: its own name, so no listener switches between a VServer and a
        # master-slave group (the provider/emulator pair refuses that switch today: see the report)
        proto, port = draw(st.sampled_from(["tcp", "udp"])), draw(st.sampled_from([90, 91]))
        out.append(f'\nresource "alicloud_slb_listener" "lms" {{\n'
                   f'  load_balancer_id = alicloud_slb_load_balancer.web.id\n  protocol         = "{proto}"\n'
                   f'  frontend_port    = {port}\n'
                   f'  master_slave_server_group_id = alicloud_slb_master_slave_server_group.ms.id\n'
                   f'  bandwidth        = -1\n}}\n')
    names = draw(st.lists(st.sampled_from(["l0", "l1", "l2"]), max_size=3, unique=True))
    ports = draw(st.permutations([80, 81, 82]))
    for name, port in zip(sorted(names), ports, strict=False):
        proto = draw(st.sampled_from(["http", "tcp", "udp"]))
        group = draw(st.sampled_from(sorted(groups)))
        out.append(f'\nresource "alicloud_slb_listener" "{name}" {{\n'
                   f'  load_balancer_id = alicloud_slb_load_balancer.web.id\n  protocol         = "{proto}"\n'
                   f'  frontend_port    = {port}\n  server_group_id  = alicloud_slb_server_group.{group}.id\n'
                   f'  bandwidth        = -1\n}}\n')
        if proto == "http":
            for r in draw(st.lists(st.sampled_from(["a", "b"]), max_size=2, unique=True)):
                g = draw(st.sampled_from(sorted(groups)))
                out.append(f'\nresource "alicloud_slb_rule" "{name}_{r}" {{\n'
                           f'  load_balancer_id = alicloud_slb_load_balancer.web.id\n'
                           f'  frontend_port    = {port}\n  name             = "{name}-{r}"\n'
                           f'  url              = "/{r}"\n  server_group_id  = alicloud_slb_server_group.{g}.id\n}}\n')
    return "".join(out)


LONG = os.environ.get("HYPOTHESIS_PROFILE") == "long"


# deterministic in CI (a fixed set of 12 transitions); HYPOTHESIS_PROFILE=long explores 200
@settings(max_examples=200 if LONG else 12, derandomize=not LONG, deadline=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(a=configs(), b=configs())
def test_any_configuration_to_any_other_converges(tmp_path_factory, a, b):
    work = tmp_path_factory.mktemp("conv")
    try:
        for text in (a, b):
            (work / "main.tf").write_text(text)
            planned, result = apply_dir(work)
            assert not result.failures, f"{result.failures}\n{plan_text(planned)}\n{text}"
            again = plan_dir(work)
            assert not again.plan.has_changes, plan_text(again)
    finally:
        shutil.rmtree(work, ignore_errors=True)
