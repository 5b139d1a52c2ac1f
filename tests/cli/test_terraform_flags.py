"""Terraform's global and common flags, used as a CI script (or a person at a terminal) uses them.

Every test runs the installed ``clbplan`` command in a subprocess, from a directory other than the
configuration's, with the environment a CI job sets.
"""

from __future__ import annotations

import os
import pty
import re
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.support.examples import copy_example
from tests.support.terminal import readable

REPO = Path(__file__).resolve().parents[2]
ANSI = re.compile(r"\x1b\[[0-9;]*m")

LB_ONLY = """
variable "lb_name" {
  type = string
}

provider "alicloud" {
  region = "cn-hangzhou"
}

resource "alicloud_slb_load_balancer" "web" {
  load_balancer_name = var.lb_name
  load_balancer_spec = "slb.s1.small"
  address_type       = "intranet"
}
"""


def _env(**extra: str) -> dict:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("TF_", "CLBPLAN_")) and k != "NO_COLOR"}
    env["PYTHONPATH"] = str(REPO)
    env.update(extra)
    return env


def clbplan(*args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "planner.cli.main", *args], cwd=cwd, env=_env(**env),
                          capture_output=True, text=True, timeout=120)


@pytest.fixture
def lb_dir(tmp_path: Path) -> Path:
    d = tmp_path / "infra"
    d.mkdir()
    (d / "main.tf").write_text(LB_ONLY)
    return d


def run_on_terminal(args: list[str], cwd: Path, answers: list[str] = (), **env: str) -> tuple[int, str]:
    """Run clbplan with stdin/stdout/stderr on a pseudo-terminal, typing ``answers`` at each prompt."""
    main, child = pty.openpty()
    proc = subprocess.Popen([sys.executable, "-m", "planner.cli.main", *args], cwd=cwd, env=_env(**env),
                            stdin=child, stdout=child, stderr=child, close_fds=True)
    os.close(child)
    out = b""
    pending = list(answers)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if readable(main, 0.2):
            try:
                chunk = os.read(main, 4096)
            except OSError:
                break
            if not chunk:
                break
            out += chunk
            if pending and out.rstrip().endswith(b"Enter a value:"):
                os.write(main, pending.pop(0).encode() + b"\r")
        elif proc.poll() is not None:
            break
    proc.wait(timeout=30)
    os.close(main)
    return proc.returncode, out.decode("utf-8", "replace").replace("\r\n", "\n")


def test_chdir_runs_the_command_in_that_directory(lb_dir: Path, tmp_path: Path) -> None:
    r = clbplan("-chdir=infra", "plan", "-input=false", "-var", "lb_name=web", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert "Plan: 1 to add, 0 to change, 0 to destroy." in r.stdout
    r = clbplan("-chdir=infra", "apply", "-auto-approve", "-input=false", "-var", "lb_name=web", cwd=tmp_path)
    assert r.returncode == 0, r.stderr
    assert (lb_dir / "clbplan.tfstate").exists() and not (tmp_path / "clbplan.tfstate").exists()
    r = clbplan("-chdir=infra", "state", "list", cwd=tmp_path)
    assert r.stdout.split() == ["alicloud_slb_load_balancer.web"]


def test_chdir_to_a_missing_directory_is_a_clear_error(tmp_path: Path) -> None:
    r = clbplan("-chdir=nowhere", "plan", cwd=tmp_path)
    assert r.returncode == 1
    assert "-chdir" in r.stderr and "nowhere" in r.stderr and "Traceback" not in r.stderr


def test_chdir_after_the_command_is_refused_with_the_right_spelling(lb_dir: Path, tmp_path: Path) -> None:
    r = clbplan("plan", "-chdir=infra", cwd=tmp_path)
    assert r.returncode == 1
    assert "clbplan -chdir=DIR plan" in r.stderr


def test_input_false_makes_a_missing_variable_an_error(lb_dir: Path) -> None:
    r = clbplan("plan", "-input=false", cwd=lb_dir)
    assert r.returncode == 1
    assert "No value for required variable" in r.stderr and "lb_name" in r.stderr


def test_tf_input_false_does_the_same(lb_dir: Path) -> None:
    code, out = run_on_terminal(["plan"], lb_dir, TF_INPUT="false")
    assert code == 1, out
    assert "Enter a value" not in out and "No value for required variable" in out


def test_a_terminal_is_asked_for_a_missing_variable(lb_dir: Path) -> None:
    code, out = run_on_terminal(["plan", "-no-color"], lb_dir, answers=["asked-name"])
    assert code == 0, out
    assert "var.lb_name\n  Enter a value:" in out
    assert re.search(r'\+ load_balancer_name +  = "asked-name"', out), out


def test_input_false_on_a_terminal_does_not_ask(lb_dir: Path) -> None:
    code, out = run_on_terminal(["plan", "-input=false"], lb_dir)
    assert code == 1
    assert "Enter a value" not in out and "No value for required variable" in out


def test_no_color_removes_colour_on_a_terminal(lb_dir: Path) -> None:
    code, coloured = run_on_terminal(["plan", "-var", "lb_name=x"], lb_dir)
    assert code == 0, coloured
    assert ANSI.search(coloured), "a terminal gets Terraform's colours by default"
    code, plain = run_on_terminal(["plan", "-no-color", "-var", "lb_name=x"], lb_dir)
    assert code == 0, plain
    assert not ANSI.search(plain)
    assert "Plan: 1 to add" in plain


def test_tf_cli_args_are_inserted_after_the_command(lb_dir: Path, tmp_path: Path) -> None:
    # as a CI job sets them once for every step: the per-command one first, the command line wins
    r = clbplan("-chdir=infra", "plan", "-var", "lb_name=fromcli", cwd=tmp_path,
                TF_CLI_ARGS="-no-color -input=false", TF_CLI_ARGS_plan="-detailed-exitcode -var lb_name=fromenv")
    assert r.returncode == 2, r.stderr  # -detailed-exitcode came from TF_CLI_ARGS_plan
    assert '"fromcli"' in r.stdout and '"fromenv"' not in r.stdout
    # TF_CLI_ARGS_plan does not reach another command
    r = clbplan("-chdir=infra", "validate", cwd=tmp_path, TF_CLI_ARGS_plan="-detailed-exitcode", TF_VAR_lb_name="x")
    assert r.returncode == 0, r.stderr


def test_tf_cli_args_for_a_two_word_command(lb_dir: Path) -> None:
    r = clbplan("apply", "-auto-approve", "-var", "lb_name=x", cwd=lb_dir)
    assert r.returncode == 0, r.stderr
    r = clbplan("state", "show", cwd=lb_dir, TF_CLI_ARGS_state_show="alicloud_slb_load_balancer.web")
    assert r.returncode == 0, r.stderr
    assert "alicloud_slb_load_balancer.web" in r.stdout


def test_tf_cli_args_with_bad_quoting_is_a_clear_error(lb_dir: Path) -> None:
    r = clbplan("plan", cwd=lb_dir, TF_CLI_ARGS='-var "lb_name=x')
    assert r.returncode == 1
    assert "TF_CLI_ARGS" in r.stderr and "Traceback" not in r.stderr


def test_tf_in_automation_drops_the_next_step_hints(lb_dir: Path) -> None:
    r = clbplan("plan", "-input=false", "-var", "lb_name=x", "-out=saved.plan", cwd=lb_dir)
    assert r.returncode == 0, r.stderr
    assert "Saved the plan to: saved.plan" in r.stdout
    assert "clbplan apply saved.plan" in r.stdout
    r = clbplan("plan", "-input=false", "-var", "lb_name=x", "-out=saved.plan", cwd=lb_dir, TF_IN_AUTOMATION="1")
    assert r.returncode == 0, r.stderr
    assert "Saved the plan to: saved.plan" in r.stdout
    assert "clbplan apply saved.plan" not in r.stdout
    r = clbplan("plan", "-input=false", "-var", "lb_name=x", cwd=lb_dir)
    assert "You didn't use the -out option" in r.stdout
    r = clbplan("plan", "-input=false", "-var", "lb_name=x", cwd=lb_dir, TF_IN_AUTOMATION="true")
    assert "-out option" not in r.stdout and "Plan: 1 to add" in r.stdout


def test_warnings_in_plan_and_compact_warnings_fold_them(lb_dir: Path) -> None:
    (lb_dir / "terraform.tfvars").write_text('lb_name = "x"\nstale_one = 1\nstale_two = 2\n')
    r = clbplan("plan", "-input=false", cwd=lb_dir)
    assert r.returncode == 0, r.stderr
    assert r.stderr.count("Value for undeclared variable") == 2
    assert "stale_one" in r.stderr and "stale_two" in r.stderr
    r = clbplan("plan", "-input=false", "-compact-warnings", cwd=lb_dir)
    assert r.returncode == 0, r.stderr
    assert "Warnings:\n\n- Value for undeclared variable\n  on terraform.tfvars line 2 (and 1 more)\n" in r.stderr
    assert "stale_two" not in r.stderr
    assert "To see the full warning notes, run clbplan without -compact-warnings." in r.stderr
    r = clbplan("apply", "-auto-approve", "-input=false", "-compact-warnings", cwd=lb_dir)
    assert r.returncode == 0, r.stderr
    assert "- Value for undeclared variable" in r.stderr


def test_tf_log_path_records_api_calls_with_timings_and_never_a_secret(tmp_path: Path) -> None:
    work = copy_example("https-certificate", tmp_path)
    key = (work / "key.pem").read_text()
    secret_line = next(line for line in key.splitlines() if line and "PRIVATE KEY" not in line)
    log = tmp_path / "clbplan.log"
    r = clbplan("apply", "-auto-approve", "-input=false", cwd=work, TF_LOG="trace", TF_LOG_PATH=str(log))
    assert r.returncode == 0, r.stderr
    assert "[DEBUG]" not in r.stderr, "with TF_LOG_PATH the log goes to the file only"
    text = log.read_text()
    assert re.search(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z \[DEBUG\] clbplan: api call "
                     r"Slb\.CreateLoadBalancer attempt 1 ok in \d+\.\dms$", text, re.M), text[:2000]
    assert "UploadServerCertificate" in text
    assert "(sensitive value)" in text
    assert secret_line not in text and "PRIVATE KEY" not in text
    assert re.search(r"command apply finished in \d+\.\d{3}s", text)


def test_tf_log_off_and_json(lb_dir: Path) -> None:
    r = clbplan("plan", "-input=false", "-var", "lb_name=x", cwd=lb_dir)
    assert "[DEBUG]" not in r.stderr and "api call" not in r.stderr
    r = clbplan("plan", "-input=false", "-var", "lb_name=x", cwd=lb_dir, TF_LOG="json")
    import json

    lines = [json.loads(line) for line in r.stderr.splitlines() if line.startswith("{")]
    calls = [doc for doc in lines if doc.get("action") == "CreateLoadBalancer"]
    assert calls and all(doc["@module"] == "clbplan" and "elapsed_ms" in doc for doc in calls)
