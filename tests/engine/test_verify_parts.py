"""The rehearsal cut into parts run at once (planner.engine.verify_parts): where it cuts, and that a cut
rehearsal refuses exactly what one walk over the whole plan refuses."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from planner.engine import pipeline, verify_parts
from planner.plan.model import OpKind
from planner.state.model import State

from .bench_config import bench_engine


def _plan(tmp_path: Path, tf: str, monkeypatch: pytest.MonkeyPatch):
    (tmp_path / "main.tf").write_text(tf)
    monkeypatch.setattr(pipeline, "verify_plan", lambda *a, **k: None)
    return pipeline.make_plan(tmp_path, State())


def test_the_cut_keeps_each_pool_of_shared_servers_in_one_part(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    planned = _plan(tmp_path, bench_engine.config_tf(80), monkeypatch)
    split = verify_parts.split_creates(planned.plan, planned.dependencies(), 2)
    assert split is not None
    scoped = [op for part in split.parts for op in part]
    # every operation once: the networks, instances and load balancers first, the rest in the parts
    assert sorted(op.id for op in split.first + scoped) == sorted(op.id for op in planned.plan.operations)
    assert {op.address.type for op in split.first} == {"alicloud_vpc", "alicloud_vswitch", "alicloud_security_group",
                                                       "alicloud_instance", "alicloud_slb_load_balancer"}
    assert len(split.parts) == 2 and all(split.parts)
    # load balancers 0-39 share one pool of servers and 40-79 another: a pool never straddles the cut
    for part in split.parts:
        pools = {int(str(op.address.key)[2:]) // bench_engine.LBS_PER_POOL for op in part}
        assert len(pools) == 1, pools
    # each part in plan order
    index = {op.id: i for i, op in enumerate(planned.plan.operations)}
    for part in split.parts:
        assert [index[op.id] for op in part] == sorted(index[op.id] for op in part)


def test_no_cut_when_servers_are_shared_by_every_load_balancer(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    """``slice(alicloud_instance.app[*].id, ...)``: every group depends on every instance, so there is
    one component and nothing to run at once."""
    planned = _plan(tmp_path, bench_engine.config_tf(80, splat=True), monkeypatch)
    assert verify_parts.split_creates(planned.plan, planned.dependencies(), 2) is None


def test_no_cut_for_a_plan_that_is_not_only_creates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    planned = _plan(tmp_path, bench_engine.config_tf(80), monkeypatch)
    op = planned.plan.operations[-1]
    op.kind = OpKind.UPDATE
    assert verify_parts.split_creates(planned.plan, planned.dependencies(), 2) is None


def test_parts_are_asked_for_only_where_a_fork_is_safe(monkeypatch: pytest.MonkeyPatch) -> None:
    assert verify_parts.parts_wanted(10**6, {"CLBPLAN_VERIFY_PARTS": "1"}) == 1
    monkeypatch.setattr(verify_parts.threading, "active_count", lambda: 2)  # a fork copies only this thread
    assert verify_parts.parts_wanted(10**6, {"CLBPLAN_VERIFY_PARTS": "4"}) == 1
    monkeypatch.setattr(verify_parts.threading, "active_count", lambda: 1)
    assert verify_parts.parts_wanted(10**6, {"CLBPLAN_VERIFY_PARTS": "4"}) == (4 if hasattr(os, "fork") else 1)


# Two pools of load balancers each with a group that names an instance the cloud does not have (a literal
# id, so no rule of the plan can know): the cloud refuses one step in each pool, on either side of the cut.
MISSING = bench_engine.config_tf(80) + "".join(f'''
resource "alicloud_slb_server_group" "missing_{lb}" {{
  load_balancer_id = alicloud_slb_load_balancer.lb["{lb}"].id
  name             = "missing"
  servers {{
    server_ids = ["i-bp1nosuchserver{lb[-2:]}"]
    port       = 80
    weight     = 100
  }}
}}
''' for lb in ("lb00003", "lb00047"))


def _plans_one_walk_and_cut(tmp_path: Path, main_tf: str) -> tuple[subprocess.CompletedProcess, ...]:
    """``clbplan plan`` of ``main_tf`` rehearsed in one walk, then cut in two parts (fresh workdirs)."""
    outs = []
    for parts in ("1", "2"):
        work = tmp_path / parts
        work.mkdir()
        (work / "main.tf").write_text(main_tf)
        env = {**os.environ, "CLBPLAN_VERIFY_PARTS": parts, "TF_LOG": "INFO", "NO_COLOR": "1"}
        outs.append(subprocess.run([sys.executable, "-m", "planner.cli.main", "plan", "-no-color"], cwd=work,
                                   env=env, capture_output=True, text=True, timeout=600))
    return tuple(outs)


def _shown(err: str) -> list[str]:
    """The diagnostics, without the log's timestamped lines."""
    return [line for line in err.splitlines() if not line[:4].isdigit()]


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the parts run in forked children")
def test_a_cut_rehearsal_refuses_what_one_walk_refuses(tmp_path: Path) -> None:
    one, cut = _plans_one_walk_and_cut(tmp_path, MISSING)
    assert "then 2 part(s)" in cut.stderr and "part(s)" not in one.stderr
    assert one.returncode == cut.returncode == 1
    refused = [line for line in one.stderr.splitlines() if "Plan verification failed" in line]
    assert [line.split('"')[1] for line in refused] == ["create alicloud_slb_server_group.missing_lb00003",
                                                        "create alicloud_slb_server_group.missing_lb00047"]
    assert _shown(cut.stderr) == _shown(one.stderr)
    assert cut.stdout == one.stdout


# An instance in a vSwitch the cloud does not have is refused in the first run; the group and listener of
# load balancer lb00003 that use it are then skipped in its part, as one walk skips them.
LOST = bench_engine.config_tf(80) + '''
resource "alicloud_instance" "lost" {
  instance_name   = "lost"
  image_id        = "ubuntu_22_04_x64_20G_alibase_20240508.vhd"
  instance_type   = "ecs.g6.large"
  vswitch_id      = "vsw-bp1nosuchvswitch0"
  security_groups = [alicloud_security_group.app.id]
}

resource "alicloud_slb_server_group" "lost" {
  load_balancer_id = alicloud_slb_load_balancer.lb["lb00003"].id
  name             = "lost"
  servers {
    server_ids = [alicloud_instance.lost.id]
    port       = 9000
    weight     = 100
  }
}

resource "alicloud_slb_listener" "lost" {
  load_balancer_id = alicloud_slb_load_balancer.lb["lb00003"].id
  protocol         = "tcp"
  frontend_port    = 9000
  server_group_id  = alicloud_slb_server_group.lost.id
  bandwidth        = 10
}
'''


@pytest.mark.skipif(not hasattr(os, "fork"), reason="the parts run in forked children")
def test_a_step_refused_before_the_parts_skips_theirs_as_one_walk_does(tmp_path: Path) -> None:
    one, cut = _plans_one_walk_and_cut(tmp_path, LOST)
    assert "then 2 part(s)" in cut.stderr
    assert one.returncode == cut.returncode == 1
    assert 'step "create alicloud_instance.lost" would be refused' in one.stderr
    assert "2 later step(s) depend on it" in one.stderr
    assert _shown(cut.stderr) == _shown(one.stderr)


def _refusals(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, parts: int) -> list[str]:
    from planner.diagnostics import DiagnosticsError

    monkeypatch.setattr(verify_parts, "parts_wanted", lambda n, env=None: parts)
    work = tmp_path / str(parts)
    work.mkdir()
    (work / "main.tf").write_text(MISSING)
    with pytest.raises(DiagnosticsError) as err:
        pipeline.make_plan(work, State())
    return [f"{d.summary} | {d.detail}" for d in err.value.diagnostics]


def test_a_part_whose_child_gives_no_answer_is_rehearsed_here(tmp_path: Path,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    """No fork (or a child that died): the parent rehearses that part after its own, with the same result."""
    from planner.engine import verify

    one = _refusals(tmp_path, monkeypatch, 1)
    monkeypatch.setattr(verify.ForkedAnswer, "start", classmethod(lambda cls, work: None))
    assert _refusals(tmp_path, monkeypatch, 2) == one and len(one) == 2
