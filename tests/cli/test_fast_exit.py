"""The command leaves with os._exit (no teardown of a large plan's heap, issue 17): everything it
promised is still on disk and on the pipe when it does. Run as a CI script runs it: a subprocess
whose stdout and stderr are pipes (block-buffered, so unflushed output would be lost)."""

from __future__ import annotations

import gc
import json
import os
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner

from planner import process
from planner.cli.main import cli
from planner.engine.run import RunOutcome

REPO = Path(__file__).resolve().parents[2]

CONFIG = """
provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_slb_load_balancer" "web" {
  count              = 3
  load_balancer_name = "web-${count.index}"
  load_balancer_spec = "slb.s1.small"
  address_type       = "intranet"
}

output "names" {
  value = alicloud_slb_load_balancer.web[*].load_balancer_name
}
"""


def clbplan(cwd: Path, *args: str) -> subprocess.CompletedProcess:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "CLBPLAN_"))}
    env["PYTHONPATH"] = str(REPO)
    return subprocess.run([sys.executable, "-m", "planner.cli.main", *args], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=120)


def test_plan_out_then_apply_leave_complete_files_and_output(tmp_path: Path) -> None:
    (tmp_path / "main.tf").write_text(CONFIG)
    r = clbplan(tmp_path, "plan", "-input=false", "-out=saved.plan")
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith("run the following command to apply:\n    clbplan apply saved.plan\n")
    assert "Plan: 3 to add, 0 to change, 0 to destroy." in r.stdout
    saved = json.loads((tmp_path / "saved.plan").read_text())  # complete: it parses
    assert len(saved["resource_changes"]) == 3

    r = clbplan(tmp_path, "apply", "saved.plan")
    assert r.returncode == 0, r.stderr
    assert r.stdout.endswith('names = [\n  "web-0",\n  "web-1",\n  "web-2",\n]\n')  # the last line reached the pipe
    assert "Apply complete! Resources: 3 added, 0 changed, 0 destroyed." in r.stdout
    state = json.loads((tmp_path / "clbplan.tfstate").read_text())
    assert state["version"] == 4 and len(state["resources"][0]["instances"]) == 3
    assert state["outputs"]["names"]["value"] == ["web-0", "web-1", "web-2"]
    journals = list((tmp_path / ".clbplan" / "journal").glob("*.jsonl"))
    assert all(j.stat().st_size == 0 for j in journals)  # checkpointed: nothing left to recover

    r = clbplan(tmp_path, "plan", "-input=false", "-detailed-exitcode")
    assert r.returncode == 0, r.stdout + r.stderr  # the apply's cloud and state agree: no changes
    assert "No changes." in r.stdout


def test_a_one_shot_process_keeps_the_run_to_the_end(tmp_path: Path, monkeypatch) -> None:
    """The run's plan, configuration and states are not freed when the command returns (that freeing,
    object by object, was paid before the fast exit could skip it); a long-lived process keeps nothing."""
    (tmp_path / "main.tf").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(process, "_kept", None)
    assert CliRunner().invoke(cli, ["plan", "-input=false"]).exit_code == 0
    assert process._kept is None
    monkeypatch.setattr(process, "_kept", [])
    assert CliRunner().invoke(cli, ["plan", "-input=false"]).exit_code == 0
    (outcome,) = process._kept
    assert isinstance(outcome, RunOutcome) and len(outcome.planned.plan.operations) == 3


def test_a_one_shot_process_leaves_the_plan_heap_frozen(tmp_path: Path, monkeypatch) -> None:
    """After the plan the command only renders and exits: the millions of objects a large plan built stay
    out of the collector's reach (a full collection walked them all again, seconds at 10,000 load
    balancers); a long-lived process gets them back into collection when the plan returns."""
    (tmp_path / "main.tf").write_text(CONFIG)
    monkeypatch.chdir(tmp_path)
    gc.unfreeze()
    monkeypatch.setattr(process, "_kept", None)
    assert CliRunner().invoke(cli, ["plan", "-input=false"]).exit_code == 0
    assert gc.get_freeze_count() == 0
    monkeypatch.setattr(process, "_kept", [])
    try:
        assert CliRunner().invoke(cli, ["plan", "-input=false"]).exit_code == 0
        assert gc.get_freeze_count() > 1000
    finally:
        gc.unfreeze()


def test_what_a_paused_collector_saw_built_is_frozen_in_a_one_shot_process(monkeypatch) -> None:
    """A state read or an evaluation builds millions of objects with the collector paused; in the
    command they are frozen when it ends, so the first allocation after it does not walk them all
    (0.4-0.5 s at 10,000 load balancers); a long-lived process can still collect them."""
    gc.unfreeze()
    monkeypatch.setattr(process, "_kept", None)
    with process.gc_paused():
        built = [[i] for i in range(20_000)]
    assert gc.get_freeze_count() == 0 and gc.isenabled()
    monkeypatch.setattr(process, "_kept", [])
    try:
        with process.gc_paused():
            built = [[i] for i in range(20_000)]
        assert gc.get_freeze_count() >= len(built) and gc.isenabled()
        assert gc.get_count()[0] < 1_000  # the young generation starts empty again
    finally:
        gc.unfreeze()
