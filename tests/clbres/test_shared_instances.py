"""A NEW load balancer with no spec and pay-by-spec is a shared-performance instance, which the cloud
no longer sells (CreateLoadBalancer: ShareSlbHaltSales). Plan refuses it at the resource's line
instead of failing in the shadow run; validate (which cannot see the state) keeps a warning; an
existing shared instance in the state stays managed."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.addresses import ResourceAddress
from planner.cli.main import cli
from planner.diagnostics import DiagnosticsError
from planner.engine.pipeline import make_plan
from planner.plan.model import Action
from planner.state.model import ResourceState, State

SHARED = '''
resource "{type}" "shared" {{
  load_balancer_name = "shared"
  address_type       = "internet"
  {extra}
}}
'''


def _config(type_name: str = "alicloud_slb_load_balancer", extra: str = "") -> str:
    return SHARED.format(type=type_name, extra=extra)


@pytest.mark.parametrize("type_name,extra", [
    ("alicloud_slb_load_balancer", ""),
    ("alicloud_slb_load_balancer", 'instance_charge_type = "PayBySpec"'),
    ("alicloud_slb", ""),
])
def test_plan_refuses_a_new_shared_instance_at_its_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                        type_name: str, extra: str) -> None:
    (tmp_path / "main.tf").write_text(_config(type_name, extra))
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["plan"])
    assert res.exit_code == 1, res.output
    out = res.output
    assert f"main.tf:2:1: error: {type_name}.shared: this creates a shared-performance load balancer" in out
    assert "ShareSlbHaltSales" in out
    assert 'load_balancer_spec = "slb.s1.small"' in out and 'instance_charge_type = "PayByCLCU"' in out
    assert "Plan verification failed" not in out and "Traceback" not in out


def test_validate_keeps_a_warning(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    (tmp_path / "main.tf").write_text(_config())
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(cli, ["validate"])
    assert res.exit_code == 0, res.output
    assert "warning: alicloud_slb_load_balancer.shared: no load_balancer_spec" in res.output
    assert "plan refuses to create one" in res.output


@pytest.mark.parametrize("extra", ['load_balancer_spec = "slb.s1.small"', 'instance_charge_type = "PayByCLCU"'])
def test_a_spec_or_pay_by_lcu_plans(tmp_path: Path, extra: str) -> None:
    (tmp_path / "main.tf").write_text(_config(extra=extra))
    planned = make_plan(tmp_path, State(), env={})
    assert [c.action for c in planned.plan.changes] == [Action.CREATE]


def _state_with_shared(address_type: str = "internet") -> State:
    addr = ResourceAddress("alicloud_slb_load_balancer", "shared")
    attrs = {"load_balancer_name": "shared", "address_type": address_type, "address_ip_version": "ipv4",
             "internet_charge_type": "PayByTraffic", "bandwidth": 1, "delete_protection": "off",
             "instance_charge_type": "PayBySpec", "load_balancer_spec": None}
    return State(resources={addr: ResourceState(addr, "lb-legacy0001", attrs)})


def test_an_existing_shared_instance_stays_managed(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(_config())
    planned = make_plan(tmp_path, _state_with_shared(), env={}, refresh=False, verify=False)
    assert all("create" not in c.action.actions for c in planned.plan.changes)


def test_replacing_an_existing_shared_instance_is_refused(tmp_path: Path) -> None:
    """address_type forces a new instance: the create half would be a new shared instance."""
    (tmp_path / "main.tf").write_text(_config())
    with pytest.raises(DiagnosticsError) as e:
        make_plan(tmp_path, _state_with_shared("intranet"), env={}, refresh=False, verify=False)
    (d,) = e.value.diagnostics
    assert "replacing it creates a shared-performance load balancer" in d.summary
    assert d.pos is not None and d.pos.line == 2
