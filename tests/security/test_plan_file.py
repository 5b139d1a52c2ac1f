"""Threat: a saved plan says one thing and does another.

CI runs ``plan -out=p.plan``; a policy gate reads ``show -json p.plan``; a later job applies the
file. An attacker who can edit the artifact between the two jobs:

* edits only the Terraform-JSON view (``delete`` -> ``no-op``): the gate sees no deletion while
  ``apply`` of the same file deleted the listener;
* edits both the view and the private operations consistently;
* applies a plan made for another working directory or another state (``apply ../other/p.plan``
  used to change the other directory's cloud without a word).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]

CONFIG = """
resource "alicloud_slb_load_balancer" "web" {
  load_balancer_name   = "web"
  address_type         = "internet"
  internet_charge_type = "PayByTraffic"
  load_balancer_spec   = "slb.s1.small"
}

resource "alicloud_slb_listener" "http" {
  count             = var.listeners
  load_balancer_id  = alicloud_slb_load_balancer.web.id
  frontend_port     = 80
  backend_port      = 8080
  protocol          = "http"
  bandwidth         = 10
  health_check      = "off"
}

variable "listeners" {
  type    = number
  default = 1
}
"""


def run(cwd: Path, *args: str, check: bool = True) -> subprocess.CompletedProcess:
    p = subprocess.run([sys.executable, "-m", "planner.cli.main", *args], cwd=cwd, capture_output=True, text=True,
                       timeout=120, env={**os.environ, "PYTHONPATH": str(ROOT), "NO_COLOR": "1"})
    if check:
        assert p.returncode == 0, p.stdout + p.stderr
    return p


def _deleting_plan(tmp_path: Path) -> Path:
    (tmp_path / "main.tf").write_text(CONFIG)
    run(tmp_path, "apply", "-auto-approve")
    run(tmp_path, "plan", "-var", "listeners=0", "-out=p.plan")
    return tmp_path / "p.plan"


def _listener_count(tmp_path: Path) -> int:
    doc = json.loads((tmp_path / "clbplan.tfstate").read_text())
    return sum(1 for r in doc["resources"] if r["type"] == "alicloud_slb_listener")


def test_editing_only_the_json_view_is_refused_by_show_and_apply(tmp_path: Path) -> None:
    plan = _deleting_plan(tmp_path)
    doc = json.loads(plan.read_text())
    for rc in doc["resource_changes"]:
        if rc["change"]["actions"] == ["delete"]:
            rc["change"]["actions"] = ["no-op"]
            rc["change"]["after"] = rc["change"]["before"]
    plan.write_text(json.dumps(doc))
    shown = run(tmp_path, "show", "-json", "p.plan", check=False)
    assert shown.returncode == 1
    assert "was modified" in shown.stderr and "alicloud_slb_listener.http[0]" in shown.stderr
    applied = run(tmp_path, "apply", "-var", "listeners=0", "p.plan", check=False)
    assert applied.returncode == 1 and "was modified" in applied.stderr
    assert _listener_count(tmp_path) == 1  # nothing was deleted


def test_editing_view_and_operations_consistently_is_refused_by_apply(tmp_path: Path) -> None:
    plan = _deleting_plan(tmp_path)
    doc = json.loads(plan.read_text())
    # drop the deletion everywhere: view, summary, and the private section's changes and operations
    doc["resource_changes"] = [rc for rc in doc["resource_changes"] if rc["change"]["actions"] != ["delete"]]
    section = doc["clbplan_planfile"]["plan"]
    section["changes"] = [c for c in section["changes"] if c["action"] != "delete"]
    section["operations"] = [o for o in section["operations"] if o["kind"] != "delete"]
    doc["clbplan"]["operations"] = [o for o in doc["clbplan"]["operations"] if o.get("kind") != "delete"]
    plan.write_text(json.dumps(doc))
    applied = run(tmp_path, "apply", "-var", "listeners=0", "p.plan", check=False)
    assert applied.returncode == 1
    assert "Saved plan" in applied.stderr
    assert "Apply complete" not in applied.stdout


def test_plan_from_another_directory_is_refused_with_the_reason(tmp_path: Path) -> None:
    other = tmp_path / "other"
    other.mkdir()
    _deleting_plan(other)
    here = tmp_path / "here"
    here.mkdir()
    (here / "main.tf").write_text(CONFIG)
    p = run(here, "apply", "-var", "listeners=0", "../other/p.plan", check=False)
    assert p.returncode == 1
    assert "another working directory" in p.stderr and str(other.resolve()) in p.stderr
    assert _listener_count(other) == 1
    assert not (here / "clbplan.tfstate").exists()
    # from a directory without a configuration of its own, it applies where it was made and says so
    empty = tmp_path / "empty"
    empty.mkdir()
    p = run(empty, "apply", "-var", "listeners=0", "../other/p.plan")
    assert f"Applying the plan to {other.resolve()}" in p.stderr
    assert _listener_count(other) == 0


def test_plan_for_another_state_is_refused_with_the_reason(tmp_path: Path) -> None:
    _deleting_plan(tmp_path)
    p = run(tmp_path, "apply", "-state=elsewhere.tfstate", "-var", "listeners=0", "p.plan", check=False)
    assert p.returncode == 1
    assert "another backend" in p.stderr and "elsewhere.tfstate" in p.stderr
    assert _listener_count(tmp_path) == 1


def test_untouched_plan_file_still_applies(tmp_path: Path) -> None:
    _deleting_plan(tmp_path)
    run(tmp_path, "show", "-json", "p.plan")
    run(tmp_path, "apply", "-var", "listeners=0", "p.plan")
    assert _listener_count(tmp_path) == 0
