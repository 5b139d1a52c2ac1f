"""``clbplan emulator call/reset/serve`` as an operator uses them."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from planner.cli.main import cli


@pytest.fixture
def state(tmp_path: Path) -> str:
    return str(tmp_path / "cloud.sqlite")


def _call(state: str, *args: str):
    return CliRunner().invoke(cli, ["emulator", "call", *args, "--state", state])


def test_call_creates_then_reads_back_and_persists_between_runs(state):
    created = _call(state, "CreateLoadBalancer", "LoadBalancerName=web", "AddressType=internet",
                    "LoadBalancerSpec=slb.s1.small")
    assert created.exit_code == 0, created.output
    lb_id = json.loads(created.output)["LoadBalancerId"]
    renamed = _call(state, "SetLoadBalancerName", f"LoadBalancerId={lb_id}", "LoadBalancerName=drifted")
    assert renamed.exit_code == 0, renamed.output
    shown = _call(state, "DescribeLoadBalancerAttribute", f"LoadBalancerId={lb_id}")
    assert shown.exit_code == 0
    assert json.loads(shown.output)["LoadBalancerName"] == "drifted"


def test_call_api_error_prints_code_and_message_and_exits_1(state):
    result = _call(state, "DeleteLoadBalancer", "LoadBalancerId=lb-doesnotexist")
    assert result.exit_code == 1
    assert "InvalidLoadBalancerId.NotFound" in result.output
    assert "The specified LoadBalancerId does not exist." in result.output
    assert "Traceback" not in result.output


def test_call_rejects_a_parameter_that_is_not_key_value(state):
    result = _call(state, "DescribeLoadBalancers", "LoadBalancerId")
    assert result.exit_code == 1  # bad input exits 1 (the brief), never click's 2
    assert "is not Key=Value" in result.output


def test_reset_empties_the_cloud(state):
    lb_id = json.loads(_call(state, "CreateLoadBalancer", "LoadBalancerName=x", "LoadBalancerSpec=slb.s1.small").output)["LoadBalancerId"]
    result = CliRunner().invoke(cli, ["emulator", "reset", "--state", state, "--yes"])
    assert result.exit_code == 0, result.output
    after = _call(state, "DescribeLoadBalancerAttribute", f"LoadBalancerId={lb_id}")
    assert after.exit_code == 1 and "InvalidLoadBalancerId.NotFound" in after.output


def test_reset_asks_first(state):
    _call(state, "CreateLoadBalancer", "LoadBalancerName=x", "LoadBalancerSpec=slb.s1.small")
    result = CliRunner().invoke(cli, ["emulator", "reset", "--state", state], input="n\n")
    assert result.exit_code == 1  # aborted
    listed = json.loads(_call(state, "DescribeLoadBalancers").output)
    assert listed["TotalCount"] in (1, "1")


def test_serve_refuses_a_public_address(state):
    result = CliRunner().invoke(cli, ["emulator", "serve", "--host", "0.0.0.0", "--state", state])
    assert result.exit_code == 1  # bad input exits 1 (the brief), never click's 2
    assert "not a loopback address" in result.output


def test_serve_rejects_a_bad_fault_spec(state):
    result = CliRunner().invoke(cli, ["emulator", "serve", "--faults", "busy=fast", "--state", state])
    assert result.exit_code == 1  # bad input exits 1 (the brief), never click's 2
    assert "bad value 'fast'" in result.output


def _ignore_sigint() -> None:
    signal.signal(signal.SIGINT, signal.SIG_IGN)


@pytest.mark.parametrize("started", ["foreground", "background"])
def test_serve_runs_until_interrupted_and_answers_the_sdk(tmp_path, state, started):
    """The real process: start it, call it with the SDK, stop it with SIGINT (Ctrl-C). A shell starts a
    background job with SIGINT ignored; `kill -INT` must stop the server there too."""
    from alibabacloud_slb20140515 import models as slb_models

    from .conftest import slb_client

    env = dict(os.environ, CLBPLAN_EMULATOR_ACCESS_KEY_ID="test-ak", CLBPLAN_EMULATOR_ACCESS_KEY_SECRET="test-secret")
    proc = subprocess.Popen([sys.executable, "-m", "planner.cli.main", "emulator", "serve", "--port", "0",
                             "--state", state], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env=env, cwd=tmp_path, preexec_fn=_ignore_sigint if started == "background" else None)
    try:
        first = proc.stdout.readline()
        assert "listening on http://127.0.0.1:" in first, first + proc.stderr.read()
        endpoint = first.split("http://", 1)[1].split()[0]
        client = slb_client(endpoint)
        resp = client.describe_load_balancers(slb_models.DescribeLoadBalancersRequest(region_id="cn-hangzhou"))
        assert resp.status_code == 200
    finally:
        proc.send_signal(signal.SIGINT)
        try:
            proc.wait(timeout=30)  # generous: CI machines are busy
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    err = proc.stderr.read()
    assert proc.returncode == 0, f"exit {proc.returncode} after SIGINT; stderr:\n{err}"
    assert "Stopped after 1 request(s)." in err
