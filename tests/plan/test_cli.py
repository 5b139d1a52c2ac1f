"""The run commands end to end through click, on the embedded emulator in a temp directory."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.addresses import ResourceAddress
from planner.cli.main import cli
from planner.state.backend import LocalBackend

SCENARIOS = Path(__file__).parent.parent / "scenarios"


USES_REAL_SCHEMA = True  # the fake schema of conftest.py is for the unit tests only


@pytest.fixture
def workdir(tmp_path):
    shutil.copy(SCENARIOS / "weight_set_to_zero" / "before" / "main.tf", tmp_path / "main.tf")
    (tmp_path / "outputs.tf").write_text(
        'output "lb_id" {\n  value = alicloud_slb_load_balancer.web.id\n}\n\n'
        'output "group" {\n  value     = alicloud_slb_server_group.app.name\n  sensitive = true\n}\n')
    return tmp_path


def run(*args, input=None):
    return CliRunner().invoke(cli, [str(a) for a in args], input=input)


def test_plan_apply_cycle_with_prompt_and_exit_codes(workdir):
    r = run("plan", workdir, "-detailed-exitcode")
    assert r.exit_code == 2, r.output
    assert "Plan: 9 to add, 0 to change, 0 to destroy." in r.output
    assert "Operations, in order:" in r.output

    r = run("apply", workdir, input="no\n")
    assert r.exit_code == 1 and "Apply cancelled." in r.output
    assert not LocalBackend(workdir / "clbplan.tfstate").read().resources

    r = run("apply", workdir, input="yes\n")
    assert r.exit_code == 0, r.output
    assert "Do you want to perform these actions?" in r.output
    assert "Apply complete! Resources: 9 added, 0 changed, 0 destroyed." in r.output
    assert "alicloud_slb_listener.http: Creating...\n" in r.output  # progress as Terraform prints it
    assert "alicloud_slb_listener.http: Creation complete after 0s [id=" in r.output
    state = LocalBackend(workdir / "clbplan.tfstate").read()
    assert len(state.resources) == 9

    r = run("plan", workdir, "-detailed-exitcode")
    assert r.exit_code == 0, r.output
    assert r.output.startswith("No changes. Your infrastructure matches the configuration.")

    r = run("output", "-state", workdir / "clbplan.tfstate")
    lb_id = state.resources[ResourceAddress.parse("alicloud_slb_load_balancer.web")].id
    assert f'lb_id = "{lb_id}"' in r.output and "group = <sensitive>" in r.output
    r = run("output", "lb_id", "-json", "-state", workdir / "clbplan.tfstate")
    assert json.loads(r.output) == lb_id
    r = run("output", "nope", "-state", workdir / "clbplan.tfstate")
    assert r.exit_code == 1 and 'Output "nope" not found' in r.output

    r = run("show", "-state", workdir / "clbplan.tfstate")
    assert r.exit_code == 0 and '# alicloud_slb_load_balancer.web:' in r.output and lb_id in r.output

    r = run("destroy", workdir, "-auto-approve")
    assert r.exit_code == 0, r.output
    assert "Destroy complete! Resources: 9 destroyed." in r.output
    assert "(with its load balancer: no API call)" in r.output
    assert not LocalBackend(workdir / "clbplan.tfstate").read().resources


def test_import_adopts_an_existing_object(workdir):
    assert run("apply", workdir, "-auto-approve").exit_code == 0
    backend = LocalBackend(workdir / "clbplan.tfstate")
    state = backend.read()
    addr = ResourceAddress.parse("alicloud_slb_server_group.app")
    gid = state.resources.pop(addr).id
    backend.write(state)

    r = run("import", "alicloud_slb_server_group.app", gid, "-dir", workdir,
            "-state", workdir / "clbplan.tfstate")
    assert r.exit_code == 0, r.output and "Import successful!" in r.output
    assert backend.read().resources[addr].id == gid
    r = run("import", "alicloud_slb_server_group.app", gid, "-dir", workdir,
            "-state", workdir / "clbplan.tfstate")
    assert r.exit_code == 1 and "already managed" in r.output
    r = run("plan", workdir)
    assert r.exit_code == 0, r.output
    # managed again: nothing to create (client-side settings the cloud cannot report may be re-set)
    assert "0 to add" in r.output or "No changes." in r.output


def test_bad_input_is_located_and_never_a_traceback(workdir):
    (workdir / "broken.tf").write_text('resource "alicloud_slb_server_group" "x" {\n  name = \n}\n')
    r = run("plan", workdir)
    assert r.exit_code == 1
    assert "broken.tf:" in r.output and "Traceback" not in r.output
    r = run("import", "not an address", "x", "-dir", workdir)
    assert r.exit_code == 1 and "Invalid resource address" in r.output


def test_prevent_destroy_stops_the_plan(workdir):
    assert run("apply", workdir, "-auto-approve").exit_code == 0
    text = (workdir / "main.tf").read_text().replace(
        'resource "alicloud_slb_load_balancer" "web" {',
        'resource "alicloud_slb_load_balancer" "web" {\n  lifecycle {\n    prevent_destroy = true\n  }')
    (workdir / "main.tf").write_text(text)
    r = run("destroy", workdir, "-auto-approve")
    assert r.exit_code == 1
    assert "main.tf:" in r.output and "Instance cannot be destroyed" in r.output


def test_a_held_lock_fails_the_run_naming_the_holder(workdir):
    backend = LocalBackend(workdir / "clbplan.tfstate")
    with backend.lock("apply"):
        r = run("plan", workdir)
    assert r.exit_code == 1
    assert "lock" in r.output.lower()
