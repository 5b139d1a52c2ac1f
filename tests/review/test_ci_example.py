"""The examples/ci flow end to end against a served emulator: the commands the workflows run, in order."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

import click
import pytest
import yaml

from planner.state.backend import LocalBackend
from tests.support.review import run

CI = Path(__file__).resolve().parents[2] / "examples" / "ci"
KEYS = {"ALICLOUD_ACCESS_KEY": "clbplan", "ALICLOUD_SECRET_KEY": "clbplan-secret"}


@pytest.fixture
def served(tmp_path):
    """``clbplan emulator serve -port 0`` in the background; yields (endpoint, sqlite path)."""
    db = tmp_path / "cloud.sqlite"
    proc = subprocess.Popen([sys.executable, "-c", "from planner.cli.main import cli; cli()", "emulator", "serve",
                             "-port", "0", "-state", str(db)], stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True)
    try:
        deadline = time.monotonic() + 20
        endpoint = None
        while time.monotonic() < deadline:
            line = proc.stdout.readline()
            m = re.search(r"listening on http://(127\.0\.0\.1:\d+)", line)
            if m:
                endpoint = m.group(1)
                break
        assert endpoint, "the emulator did not start"
        yield endpoint, db
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_pr_and_nightly_flow_on_the_served_emulator(tmp_path, served):
    endpoint, db = served
    work = tmp_path / "ci"
    work.mkdir()
    shutil.copy(CI / "main.tf", work / "main.tf")
    var = f"-var=emulator_endpoint={endpoint}"

    # pull request: plan with -detailed-exitcode and -out, render Markdown, apply the saved plan
    plan_file = tmp_path / "plan.bin"
    r = run("plan", work, var, "-detailed-exitcode", f"-out={plan_file}", env=KEYS)
    assert r.exit_code == 2, r.output
    md = run("show", plan_file, "-markdown").output
    assert md.startswith("### clbplan plan") and "| `alicloud_slb_listener` | 1 |" in md
    r = run("apply", plan_file, env=KEYS)
    assert r.exit_code == 0, r.output
    assert not (work / ".clbplan" / "emulator.sqlite").exists()  # it really went over HTTP

    # nightly: no drift, nothing pending
    assert run("plan", work, var, "-refresh-only", "-detailed-exitcode", env=KEYS).exit_code == 0
    assert run("plan", work, var, "-detailed-exitcode", env=KEYS).exit_code == 0

    # someone changes a weight in the console (the workflow's "simulate" step)
    state = LocalBackend(work / "clbplan.tfstate").read()
    group = next(rs for rs in state.resources.values() if rs.type == "alicloud_slb_server_group")
    server = group.attributes["servers"][0]["server_ids"][0]
    r = run("emulator", "call", "SetVServerGroupAttribute", f"VServerGroupId={group.id}",
            "BackendServers=" + json.dumps([{"ServerId": server, "Port": 8080, "Weight": 10}]), "-state", db)
    assert r.exit_code == 0, r.output
    assert run("plan", work, var, "-refresh-only", "-detailed-exitcode", env=KEYS).exit_code == 2  # drift
    assert run("plan", work, var, "-detailed-exitcode", env=KEYS).exit_code == 2  # and it would be undone
    assert run("apply", work, var, "-refresh-only", "-auto-approve", env=KEYS).exit_code == 0
    assert run("plan", work, var, "-refresh-only", "-detailed-exitcode", env=KEYS).exit_code == 0


def test_workflows_only_use_flags_the_cli_has():
    """Every ``clbplan`` line in the workflows parses with the real CLI (a renamed flag fails here)."""
    from planner.cli.main import cli

    seen = 0
    for wf in ("pr-plan.yml", "nightly-drift.yml"):
        doc = yaml.safe_load((CI / wf).read_text())
        for job in doc["jobs"].values():
            for step in job["steps"]:
                for line in str(step.get("run", "")).replace("\\\n", " ").splitlines():
                    m = re.search(r"\bclbplan ([a-z-]+(?: [a-z]+)?)((?: -[a-z-]+(?:=\S+)?)*)", line)
                    if not m:
                        continue
                    words = m.group(1).split()
                    flags = [f.split("=")[0] for f in m.group(2).split()]
                    cmd = cli
                    for w in words:
                        if isinstance(cmd, click.Group) and cmd.get_command(click.Context(cmd), w) is not None:
                            cmd = cmd.get_command(click.Context(cmd), w)
                    known = {o for p in cmd.params for o in getattr(p, "opts", [])}
                    assert set(flags) <= known, f"{wf}: {line.strip()}: unknown {set(flags) - known}"
                    seen += 1
    assert seen >= 8
